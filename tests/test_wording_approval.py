"""Wording sign-off (issue 10, item 7): the wording hash, clinic.toml's [approval], the footer that
names it only while it matches, check-templates' report, and the built-in wording's own review."""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from handout_app import check_templates, resources, worker
from handout_app.check_templates import Job, run_check
from handout_app.clinic import ClinicError, load_clinic
from handout_app.clinic_file import write_clinic_toml
from handout_app.pdf import render_pdf
from handout_app.template_set import TemplateSet, load_template_set
from handout_app.wording_approval import ApprovalState, builtin_review, check_approval, wording_hash

from .helpers import GENERATED_AT, catalog, make_selection, normalise, pdf_text

FOOTER_EN = "Wording approved by Dr A. Lee (Clinical lead), 1 Nov 2026"
FOOTER_ES = "Texto aprobado por Dr A. Lee (Clinical lead), 1 nov 2026"


def version() -> str:
    return catalog().version


def approve(folder: Path, digest: str | None = None, date: str = "2026-11-01") -> str:
    """Sign the folder's wording off as Dr A. Lee; returns the hash written."""
    digest = digest or wording_hash(load_clinic(folder), version())
    toml = folder / "clinic.toml"
    text = toml.read_text().split("\n[approval]")[0]
    toml.write_text(
        text + f'\n[approval]\nname = "Dr A. Lee"\nrole = "Clinical lead"\ndate = {date}\ncontent_hash = "{digest}"\n'
    )
    return digest


def sheet(template_set: TemplateSet, language: str = "en", large_print: bool = False) -> str:
    selection = replace(make_selection(medications=("corticosteroid",)), language=language, large_print=large_print)
    rendered = template_set.render_html(selection, GENERATED_AT)
    return pdf_text(
        render_pdf(
            rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
        )
    )


def footer_html(template_set: TemplateSet, language: str = "en") -> str:
    selection = replace(make_selection(medications=("corticosteroid",)), language=language)
    html = normalise(template_set.render_html(selection, GENERATED_AT).html)
    return html[html.index('<div class="running-footer">') :].split("</div>", 1)[0]


# -- the hash ------------------------------------------------------------------------------------------


def test_the_hash_is_a_full_sha256_and_the_same_for_the_same_wording(clinic: Path) -> None:
    digest = wording_hash(load_clinic(clinic), version())
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    assert wording_hash(load_clinic(clinic), version()) == digest


@pytest.mark.parametrize(
    "change",
    [
        "content wording",
        "a new content file",
        "a template",
        "the clinic style sheet",
        "the Spanish emergency line",
        "the phone number",
        "the set version",
        "the built-in content version",
    ],
)
def test_the_hash_changes_with_any_wording_change(clinic: Path, change: str) -> None:
    before = wording_hash(load_clinic(clinic), version())
    content_version = version()
    toml = clinic / "clinic.toml"
    if change == "content wording":
        path = clinic / "content" / "10-riverside.toml"
        path.write_text(path.read_text().replace("up to 4 times a day", "up to 3 times a day"))
    elif change == "a new content file":
        (clinic / "content" / "20-more.toml").write_text("")
    elif change == "a template":
        path = clinic / "templates" / "partials" / "header.html.j2"
        path.write_text(path.read_text().replace("front desk", "reception"))
    elif change == "the clinic style sheet":
        path = clinic / "templates" / "clinic.css"
        path.write_text(path.read_text() + "\n.clinic-tagline { font-weight: 700; }\n")
    elif change == "the Spanish emergency line":
        toml.write_text(toml.read_text().replace("o llame al 911.", "o llame al 112."))
    elif change == "the phone number":
        toml.write_text(toml.read_text().replace("555-0100", "555-0101"))
    elif change == "the set version":
        toml.write_text(toml.read_text().replace('template_set_version = "3"', 'template_set_version = "4"'))
    else:
        content_version += "-next"
    assert wording_hash(load_clinic(clinic), content_version) != before


def test_the_hash_ignores_the_approval_itself_comments_and_settings(clinic: Path) -> None:
    before = wording_hash(load_clinic(clinic), version())
    approve(clinic, "sha256:" + "0" * 64)
    toml = clinic / "clinic.toml"
    toml.write_text("# a comment\n" + toml.read_text().replace('default_paper = "a4"', 'default_paper   =   "letter"'))
    (clinic / "assets" / "notes.txt").write_text("not wording")
    assert wording_hash(load_clinic(clinic), version()) == before


def test_the_three_states(clinic: Path) -> None:
    check = check_approval(load_clinic(clinic), version())
    assert check.state is ApprovalState.NONE and check.approved is None
    digest = approve(clinic)
    check = check_approval(load_clinic(clinic), version())
    assert check.state is ApprovalState.APPROVED and check.current_hash == digest and check.approved is not None
    (clinic / "content" / "10-riverside.toml").write_text((clinic / "content" / "10-riverside.toml").read_text() + "\n")
    check = check_approval(load_clinic(clinic), version())
    assert check.state is ApprovalState.CHANGED and check.approved is None
    assert check.approval is not None and check.approval.name == "Dr A. Lee" and check.current_hash != digest


# -- [approval] in clinic.toml is checked ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("approval", "message", "line"),
    [
        ('name = "Dr A. Lee"\nrole = "Clinical lead"\ndate = 2026-11-01\n', "[approval] is missing content_hash", 3),
        (
            'name = "Dr A. Lee"\nrole = "Clinical lead"\ndate = 2026-11-01\ncontent_hash = "sha256:abc123"\n',
            "'content_hash' must be the whole wording hash",
            7,
        ),
        (
            'name = "Dr A. Lee"\nrole = "Clinical lead"\ndate = "1 Nov 2026"\ncontent_hash = "sha256:'
            + "0" * 64
            + '"\n',
            "'date' must be the day the wording was approved, as YYYY-MM-DD",
            6,
        ),
        (
            'name = "Dr A. Lee"\nrole = "Clinical lead"\ndate = 2999-01-01\ncontent_hash = "sha256:' + "0" * 64 + '"\n',
            "'date' 2999-01-01 is not a past day",
            6,
        ),
        (
            'name = ""\nrole = "Clinical lead"\ndate = 2026-11-01\ncontent_hash = "sha256:' + "0" * 64 + '"\n',
            "[approval] 'name' must be text in quotes",
            4,
        ),
        (
            'name = "Dr A.\\u0007Lee"\nrole = "Clinical lead"\ndate = 2026-11-01\ncontent_hash = "sha256:'
            + "0" * 64
            + '"\n',
            "'approval.name' contains a control character",
            4,
        ),
        (
            'name = "Dr A. Lee"\nrole = "Clinical lead"\ndate = 2026-11-01\ncontent_hash = "sha256:'
            + "0" * 64
            + '"\nsigned = true\n',
            "[approval] has an unknown field 'signed'",
            8,
        ),
    ],
)
def test_a_bad_approval_is_refused_with_file_and_line(tmp_path: Path, approval: str, message: str, line: int) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "clinic.toml").write_text(f'[clinic]\nname = "Riverside"\n[approval]\n{approval}')
    with pytest.raises(ClinicError) as error:
        load_clinic(folder)
    assert message in str(error.value) and error.value.line == line and "clinic.toml" in str(error.value)


def test_saving_the_clinic_settings_keeps_the_approval_table(clinic: Path) -> None:
    digest = approve(clinic)
    write_clinic_toml(replace(load_clinic(clinic), name="Riverside Clinic"), clinic)
    approval = tomllib.loads((clinic / "clinic.toml").read_text())["approval"]
    assert approval == {
        "name": "Dr A. Lee",
        "role": "Clinical lead",
        "date": dt.date(2026, 11, 1),
        "content_hash": digest,
    }
    # The name is printed wording: saving a new one makes the approval stale, never silently re-approved.
    assert check_approval(load_clinic(clinic), version()).state is ApprovalState.CHANGED


# -- the footer ---------------------------------------------------------------------------------------


def test_the_footer_names_the_approval_while_the_wording_matches(clinic: Path) -> None:
    approve(clinic)
    approved = load_template_set(clinic)
    assert FOOTER_EN in sheet(approved) and FOOTER_ES in sheet(approved, "es")
    assert FOOTER_EN in footer_html(approved)


def test_a_changed_set_says_nothing_about_approval(clinic: Path) -> None:
    approve(clinic)
    path = clinic / "content" / "10-riverside.toml"
    path.write_text(path.read_text().replace("up to 4 times a day", "up to 3 times a day"))
    changed = load_template_set(clinic)
    assert changed.approval is None
    text = sheet(changed)
    assert "approved" not in text.lower() and "Dr A. Lee" not in text
    assert "aprobado" not in sheet(changed, "es").lower()


def test_the_built_in_wording_never_claims_an_approval(clinic: Path) -> None:
    text = sheet(load_template_set(None))
    assert "approved" not in text.lower() and "Wording: built-in 2026." in text
    # A clinic's sign-off covers its own wording, not the built-in wording used while its set is broken.
    approve(clinic)
    (clinic / "templates" / "partials" / "header.html.j2").write_text("{% if %}broken\n")
    fallback = load_template_set(clinic, builtin_only=True)
    assert fallback.approval is None and "approved" not in sheet(fallback).lower()


def test_the_built_in_wording_records_that_it_is_not_approved() -> None:
    review = tomllib.loads((resources.templates_dir() / "content" / "version.toml").read_text())["review"]
    assert "not yet approved by a clinician" in review and builtin_review() == review


def test_typed_settings_that_change_the_wording_drop_the_footer_approval(clinic: Path) -> None:
    approve(clinic)
    template_set = load_template_set(clinic)
    unchanged = worker._with_overrides(template_set, {"phone": "555-0100"})
    assert unchanged.approval == template_set.approval is not None
    assert worker._with_overrides(template_set, {"phone": "555-0177"}).approval is None
    assert (
        worker._with_overrides(template_set, {"emergency_line": {"en": "Call 911.", "es": "Llame al 911."}}).approval
        is None
    )


# -- check-templates ----------------------------------------------------------------------------------

ALL_SHEETS = check_templates.combinations


def few_sheets(catalog: object = None, **_: object) -> list[Job]:
    """Two sheets instead of 2,800: the report's own lines are what these tests read."""
    return [job for job in ALL_SHEETS() if job.output_format == "html"][:2]


def report(folder: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str]:
    monkeypatch.setattr(check_templates, "combinations", few_sheets)
    out = io.StringIO()
    code = run_check(folder, out, workers=1)
    return code, out.getvalue()


def test_check_templates_prints_the_hash_to_copy_and_the_built_in_review(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, text = report(clinic, monkeypatch)
    assert code == 0, text
    assert f"Wording hash: {wording_hash(load_clinic(clinic), version())}" in text
    assert "Approval: none in clinic.toml" in text
    assert f"Built-in wording {version()}: {builtin_review()}" in text and "not yet approved by a clinician" in text
    # The printed hash is the one to copy: with it, the set is approved.
    approve(clinic, re.search(r"Wording hash: (\S+)", text).group(1))  # type: ignore[union-attr]
    code, text = report(clinic, monkeypatch)
    assert code == 0 and "Approval: approved by Dr A. Lee (Clinical lead) on 2026-11-01; unchanged since" in text


def test_check_templates_reports_a_set_changed_since_its_approval(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    approve(clinic)
    path = clinic / "templates" / "partials" / "header.html.j2"
    path.write_text(path.read_text().replace("front desk", "reception"))
    code, text = report(clinic, monkeypatch)
    assert code == 2
    problem = next(line for line in text.splitlines() if line.startswith("PROBLEM") and "[approval]" in line)
    assert f"{clinic / 'clinic.toml'}, [approval]" in problem
    assert "approved by Dr A. Lee (Clinical lead) on 2026-11-01, but it has changed since" in problem
    assert "must be approved again" in problem
    current = wording_hash(load_clinic(clinic), version())
    assert f'content_hash = "{current}"' in text and "Result: 1 problem(s)." in text
