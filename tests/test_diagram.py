"""The hip diagram: the chosen target highlighted, the side shown (both for bilateral), alt text tagged."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from handout_app.choices import LANGUAGES
from handout_app.diagram import MIRROR_OPEN, hip_figures, hip_svg
from handout_app.domain import Side, Target
from handout_app.readability import flesch_kincaid_grade

from .helpers import catalog, make_selection, normalise, pdf_bytes


@pytest.mark.parametrize("target", list(Target))
def test_only_the_chosen_region_is_highlighted(target: Target) -> None:
    svg = hip_svg(target, mirrored=False)
    highlighted = re.findall(r"#region-([a-z]+) \{ fill: #e8a317", svg)
    assert highlighted == [target.value]
    assert f'id="region-{target.value}"' in svg and MIRROR_OPEN not in svg
    assert MIRROR_OPEN in hip_svg(target, mirrored=True)  # a LEFT hip is the mirror image


def test_one_figure_per_side_right_first_with_plain_alt_text() -> None:
    labels = catalog().labels_for("en")
    (left,) = hip_figures(Target.ILIOPSOAS, Side.LEFT, labels)
    assert left.title == "Your LEFT hip" and "your LEFT hip" in left.alt and "front of the hip" in left.alt
    both = hip_figures(Target.JOINT, Side.BILATERAL, labels)
    assert [f.title for f in both] == ["Your RIGHT hip", "Your LEFT hip"]
    assert all(f.uri.startswith("data:image/svg+xml;base64,") for f in both)
    for place in labels["diagram_places"].values():
        assert flesch_kincaid_grade(labels["diagram_caption"].format(place=place)) <= 8


def figure_alts(data: bytes) -> list[str]:
    """The /Alt text of every Figure in the PDF's structure tree."""
    alts: list[str] = []

    def walk(node: object) -> None:
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, dict):
            if node.get("/S") == "/Figure":
                alts.append(str(node.get("/Alt")))
            kids = node.get("/K")
            for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
                walk(kid)

    walk(PdfReader(io.BytesIO(data)).trailer["/Root"]["/StructTreeRoot"])
    return alts


def test_the_pdf_shows_the_diagram_with_alt_text_for_each_side() -> None:
    alts = [
        a
        for a in figure_alts(pdf_bytes(make_selection(target="trochanteric", side="bilateral")))
        if "hip from the front" in a
    ]
    assert len(alts) == 2 and "your RIGHT hip" in alts[0] and "your LEFT hip" in alts[1]
    assert all("outer side of the hip" in alt for alt in alts)
    (alt,) = [
        a for a in figure_alts(pdf_bytes(make_selection(target="joint", side="left"))) if "hip from the front" in a
    ]
    assert "your LEFT hip" in alt and "inside the hip joint" in alt


def _item_text(item_id: str, language: str) -> str:
    (item,) = [item for item in catalog().items if item.id == item_id]
    return item.text[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_aftercare_picture_stands_beside_its_own_item_and_says_nothing_else(language: str) -> None:
    """The ice pack and the crossed-out car stand beside the aftercare rows they show, with alt text; their
    words are the rows' words, printed once (a caption of their own repeated the row, or said other than it)."""
    from dataclasses import replace

    from handout_app.clinic import ClinicProfile
    from handout_app.templating import render_html

    from .helpers import GENERATED_AT, pdf_text

    selection = replace(make_selection(medications=("anesthetic",)), language=language)
    html = normalise(render_html(selection, catalog(), ClinicProfile(), GENERATED_AT).html)
    data = pdf_bytes(selection)
    alts, text = figure_alts(data), pdf_text(data)
    actions = catalog().labels_for(language)["actions"]
    assert {action["item"] for action in actions} == {"after-ice", "after-no-driving"}
    for action in actions:
        words = _item_text(action["item"], language)
        assert action["alt"] in alts and text.count(words) == 1, (action, words)
        assert f'alt="{action["alt"]}">{words}</td>' in html  # in the row, just before its words
    # Without the numbing medicine there is no no-driving row, and so no crossed-out car.
    alts = figure_alts(pdf_bytes(replace(make_selection(medications=("hyaluronic-acid",)), language=language)))
    no_driving = next(a["alt"] for a in actions if a["item"] == "after-no-driving")
    ice = next(a["alt"] for a in actions if a["item"] == "after-ice")
    assert ice in alts and no_driving not in alts


def test_a_clinic_that_rewrites_or_switches_off_the_ice_step_changes_its_picture_too(clinic: Path) -> None:
    """The picture has no words of its own, so it can never tell the patient the built-in ice advice beside the
    clinic's own, nor keep telling them to ice after the clinic took that step out."""
    from handout_app.template_set import load_template_set

    from .helpers import GENERATED_AT

    ice_alt = next(a["alt"] for a in catalog().labels_for("en")["actions"] if a["item"] == "after-ice")
    html = normalise(load_template_set(clinic).render_html(make_selection(), GENERATED_AT).html)
    assert html.count("thin towel on it for 15 minutes") == 1 and "cold pack" not in html
    assert f'alt="{ice_alt}"' in html
    wording = clinic / "content" / "10-riverside.toml"
    ice_override = wording.read_text(encoding="utf-8").split("\n[[item]]")[1]
    assert 'id = "after-ice"' in ice_override
    wording.write_text(
        wording.read_text(encoding="utf-8").replace(ice_override, '\nid = "after-ice"\nenabled = false\n\n'),
        encoding="utf-8",
    )
    html = normalise(load_template_set(clinic).render_html(make_selection(), GENERATED_AT).html)
    assert "thin towel" not in html and ice_alt not in html


# Two handouts where the page ended right after the heading, or inside the caption, before the fix.
SPLIT_CASES = {
    "soft-tissue-prp": dict(target="periarticular", medications=("prp",), guidance="ultrasound"),
    "joint-letter": dict(
        target="joint",
        guidance="fluoroscopy",
        contrast=True,
        side="left",
        diabetes=True,
        blood_thinners=True,
        allergies=("iodine", "latex"),
    ),
}


@pytest.mark.parametrize("large_print", [False, True])
@pytest.mark.parametrize("case", sorted(SPLIT_CASES))
def test_heading_drawing_and_caption_share_one_page(case: str, large_print: bool) -> None:
    from dataclasses import replace

    from handout_app.domain import Paper
    from handout_app.pdf import render_pdf
    from handout_app.template_set import load_template_set

    from .conftest import EXAMPLE_CLINIC
    from .helpers import GENERATED_AT, normalise

    template_set = load_template_set(EXAMPLE_CLINIC)
    selection = replace(
        make_selection(**SPLIT_CASES[case]),
        large_print=large_print,
        paper=Paper.LETTER if case == "joint-letter" else Paper.A4,
    )
    rendered = template_set.render_html(selection, GENERATED_AT)
    data = render_pdf(
        rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
    )
    pages = [normalise(p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages]
    heading = [i for i, t in enumerate(pages) if "What is this injection, and why is it done?" in t]
    caption_start = [i for i, t in enumerate(pages) if "The colored area is where the injection goes" in t]
    caption_end = [i for i, t in enumerate(pages) if "as if you faced us" in t]
    assert heading == caption_start == caption_end and len(heading) == 1


@pytest.mark.parametrize("language", ["en", "es"])
def test_both_hips_in_large_print_stand_level_with_the_caption_beside_them(language: str) -> None:
    """In large print the two drawings took most of a page under their heading, so the page before them was left
    half empty (six English sheets with every factor took 9 pages for 4). They now stand side by side, smaller,
    level even when one name wraps ("Your RIGHT / hip", "Your LEFT hip"), with the caption beside them."""
    from dataclasses import replace

    from weasyprint.formatting_structure.boxes import LineBox, ReplacedBox

    from handout_app.clinic import ClinicProfile
    from handout_app.domain import Paper
    from handout_app.layout_stats import _content_root, _descendants
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    from .helpers import GENERATED_AT

    selection = replace(
        make_selection("joint", ("prp",), "ultrasound", side="bilateral"),
        large_print=True,
        paper=Paper.A4,
        language=language,
    )
    rendered = render_html(selection, catalog(), ClinicProfile(), GENERATED_AT)
    document = lay_out(rendered.html, facts=rendered.facts)
    for page in document.pages:
        boxes = list(_descendants(_content_root(page)))
        holders = [b for b in boxes if "hip-one" in _classes(b)]
        if holders:
            break
    drawings = list(  # one box per <img>: a holder's anonymous boxes share its element
        {id(d.element): d for h in holders for d in _descendants(h) if isinstance(d, ReplacedBox)}.values()
    )
    assert len(drawings) == 2
    assert drawings[0].position_y == pytest.approx(drawings[1].position_y, abs=0.5)  # level
    caption = next(b for b in boxes if getattr(b, "element_tag", "") == "figcaption")
    first_line = next(b for b in _descendants(caption) if isinstance(b, LineBox))
    assert first_line.position_x >= max(d.position_x + d.margin_width() for d in drawings)  # beside, not under
    assert first_line.position_y <= drawings[0].position_y
    figure = next(b for b in boxes if getattr(b, "element_tag", "") == "figure")
    assert figure.margin_height() < page._page_box.height / 2


def _classes(box: object) -> list[str]:
    """The classes of the element a laid-out box was made for (none for anonymous boxes)."""
    element = getattr(box, "element", None)
    return (element.get("class") or "").split() if element is not None and hasattr(element, "get") else []
