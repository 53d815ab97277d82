"""Every target x guidance x single medicine (and the common mixes) renders, with exactly the right content."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Callable

import pytest
from pypdf import PdfReader

from handout_app.domain import Guidance, Medication, Target
from handout_app.pdf import render_pdf

from .helpers import handout_text, make_selection, normalise, pdf_bytes

SINGLE = [
    {"target": t.value, "guidance": g.value, "medications": (m.value,)}
    for t, g, m in itertools.product(Target, Guidance, Medication)
]
MIXES = [
    {"target": "joint", "guidance": g.value, "medications": ("anesthetic", "corticosteroid")} for g in Guidance
] + [
    {"target": "joint", "guidance": "fluoroscopy", "contrast": True, "medications": ("anesthetic", "corticosteroid")},
    {
        "target": "trochanteric",
        "guidance": "ultrasound",
        "medications": ("anesthetic", "corticosteroid"),
        "side": "left",
    },
    {
        "target": "iliopsoas",
        "guidance": "fluoroscopy",
        "contrast": True,
        "medications": ("anesthetic",),
        "side": "bilateral",
    },
]
CASES = SINGLE + MIXES


def _id(case: dict) -> str:
    extra = "+contrast" if case.get("contrast") else ""
    return f"{case['target']}-{case['guidance']}{extra}-{'+'.join(case['medications'])}-{case.get('side', 'right')}"


def _meds(case: dict) -> set[str]:
    return set(case["medications"])


def _intent(case: dict) -> str:
    return make_selection(**{k: v for k, v in case.items()}).effective_intent.value


# (rule name, applies-to predicate, phrase): the phrase must appear exactly when the predicate holds.
RULES: list[tuple[str, Callable[[dict], bool], str]] = [
    ("contrast only with contrast", lambda c: bool(c.get("contrast")), "contrast"),
    ("radiation only with fluoroscopy", lambda c: c["guidance"] == "fluoroscopy", "radiation"),
    (
        "X-ray pregnancy checklist only with fluoroscopy",
        lambda c: c["guidance"] == "fluoroscopy",
        "I have told the team if I am or could be pregnant",
    ),
    ("steroid skin risk only with corticosteroid", lambda c: "corticosteroid" in _meds(c), "Lighter skin"),
    (
        "bone damage risk only with corticosteroid into the joint",
        lambda c: "corticosteroid" in _meds(c) and c["target"] == "joint",
        "Damage to the hip bone",
    ),
    ("steroid timing only with corticosteroid", lambda c: "corticosteroid" in _meds(c), "No relief at all by now"),
    ("steroid onset only with corticosteroid", lambda c: "corticosteroid" in _meds(c), "If the steroid helps"),
    ("numb leg risk only with anesthetic", lambda c: "anesthetic" in _meds(c), "Numb or weak leg"),
    ("blood sugar named only with corticosteroid", lambda c: "corticosteroid" in _meds(c), "blood sugar"),
    ("no sheet says the patient has diabetes unless ticked", lambda c: False, "You have diabetes. A steroid"),
    ("hyaluronic acid evidence only with hyaluronic acid", lambda c: "hyaluronic-acid" in _meds(c), "mixed results"),
    ("PRP blood draw only with PRP", lambda c: "prp" in _meds(c), "own blood"),
    ("pain diary only when diagnostic", lambda c: _intent(c) in ("diagnostic", "both"), "Pain diary"),
    (
        "landmark depth caution only for deep targets",
        lambda c: c["guidance"] == "landmark" and c["target"] in ("joint", "iliopsoas"),
        "The spot lies deep",
    ),
    (
        "ultrasound alternative only with fluoroscopy",
        lambda c: c["guidance"] == "fluoroscopy",
        "Ultrasound instead of X-ray",
    ),
    ("joint wording only for the joint", lambda c: c["target"] == "joint", "hip joint injection"),
    (
        "outer hip wording only for trochanteric",
        lambda c: c["target"] == "trochanteric",
        "outer hip (trochanteric bursa) injection",
    ),
    (
        "front of hip wording only for iliopsoas",
        lambda c: c["target"] == "iliopsoas",
        "front of hip (iliopsoas) injection",
    ),
    (
        "soft tissue wording only for periarticular",
        lambda c: c["target"] == "periarticular",
        "hip soft tissue injection",
    ),
    (
        "infection figure only for the hip joint, the target it was given for",
        lambda c: c["target"] == "joint",
        "fewer than 1 in 15,000",
    ),
    ("always: saying no", lambda c: True, "Saying no"),
    ("always: consent signatures", lambda c: True, "Interpreter (if used)"),
    ("always: when to call", lambda c: True, "When to call us"),
]


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_every_selection_renders_with_side_in_capitals(case: dict) -> None:
    text = handout_text(**case)
    side = {"right": "RIGHT", "left": "LEFT", "bilateral": "BOTH SIDES (LEFT AND RIGHT)"}[case.get("side", "right")]
    assert f"{side} " in text
    assert text.count(side) >= 3  # banner, running header, consent
    assert "Test Patient" in text


@pytest.mark.parametrize("rule", RULES, ids=[r[0] for r in RULES])
def test_content_rule_holds_across_the_matrix(rule: tuple[str, Callable[[dict], bool], str]) -> None:
    _name, applies, phrase = rule
    wrong = []
    for case in CASES:
        present = phrase.lower() in handout_text(**case).lower()
        if present != applies(case):
            wrong.append(f"{_id(case)}: {'has' if present else 'lacks'} {phrase!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_every_page_says_page_x_of_y_and_signatures_stay_together(paper: str) -> None:
    from dataclasses import replace

    from handout_app.domain import Paper

    selection = replace(make_selection(guidance="fluoroscopy", contrast=True), paper=Paper(paper))
    reader = PdfReader(io.BytesIO(pdf_bytes(selection)))
    pages = [normalise(p.extract_text() or "") for p in reader.pages]
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
    signature_pages = [i for i, t in enumerate(pages) if "Patient, or legal representative" in t]
    interpreter_pages = [i for i, t in enumerate(pages) if "Interpreter (if used)" in t]
    assert signature_pages == interpreter_pages and len(signature_pages) == 1
    box = reader.pages[0].mediabox
    expected = (595, 842) if paper == "a4" else (612, 792)
    assert (round(float(box.width)), round(float(box.height))) == expected


def test_procedure_is_named_in_full() -> None:
    text = handout_text(
        target="joint", guidance="fluoroscopy", contrast=True, medications=("anesthetic", "corticosteroid")
    )
    assert "RIGHT hip joint injection, fluoroscopy-guided with contrast, corticosteroid and local anesthetic" in text


@pytest.mark.parametrize("paper", ["a4", "letter"])
@pytest.mark.parametrize("guidance", ["fluoroscopy", "ultrasound"])
def test_headings_and_introductions_stay_with_what_they_introduce(paper: str, guidance: str) -> None:
    """A heading and its introduction never end a page alone (found on the README's own example)."""
    from dataclasses import replace

    from handout_app.domain import Paper
    from handout_app.template_set import load_template_set

    from .conftest import EXAMPLE_CLINIC
    from .helpers import GENERATED_AT

    template_set = load_template_set(EXAMPLE_CLINIC)
    selection = replace(
        make_selection(
            guidance=guidance,
            contrast=guidance == "fluoroscopy",
            diabetes=True,
            allergies=("penicillin",),
            clinician="Dr. Sam Rivera",
            date_of_birth=dt.date(1956, 4, 2),
            procedure_date=dt.date(2026, 11, 24),
        ),
        paper=Paper(paper),
    )
    rendered = template_set.render_html(selection, GENERATED_AT)
    data = render_pdf(
        rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
    )
    pages = [normalise(p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages]
    # (heading, its introduction, the first thing it introduces: the first risk, the example clinic's
    # first checklist line (it moves the infection check first), the first reason to call).
    for heading, intro, first_thing in (
        ("What are the risks?", "Every procedure has some risk", "Little or short relief."),
        ("Before the injection: checklist", "Tick each line with the nurse", "I have no fever or infection"),
        ("When to call us", "Call the clinic if:", "You have a fever"),
    ):
        (page,) = [i for i, t in enumerate(pages) if heading in t]
        assert intro in pages[page] and first_thing in pages[page], f"'{heading}' ends page {page + 1} alone"
