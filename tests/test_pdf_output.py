"""The PDF itself: deterministic, tagged, titled, free of WeasyPrint warnings; hostile input stays text."""

from __future__ import annotations

import io
import logging
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from handout_app.domain import PatientDetails
from handout_app.pdf import RenderFailed, allowed_roots, render_pdf, resolve_allowed

from .helpers import make_selection, pdf_bytes, pdf_text


def test_same_input_gives_identical_bytes() -> None:
    selection = make_selection(guidance="fluoroscopy", contrast=True, diabetes=True)
    assert pdf_bytes(selection) == pdf_bytes(selection)


def test_pdf_is_tagged_with_title_and_language() -> None:
    reader = PdfReader(io.BytesIO(pdf_bytes(make_selection())))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    title = reader.metadata.title
    assert "RIGHT hip joint injection" in title
    assert "Test Patient" not in title  # the title names the procedure, not the patient


def test_no_weasyprint_warning_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf_bytes(make_selection(target="iliopsoas", guidance="landmark", medications=("prp",)))
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_warning_during_render_fails_the_render() -> None:
    with pytest.raises(RenderFailed):
        render_pdf("<html><head><style>p { colr: red; }</style></head><body><p>x</p></body></html>")


@pytest.mark.parametrize(
    "name",
    ['<b>Bold</b> & "quoted"', '<img src="file:///etc/passwd">', "<script>alert(1)</script>"],
)
def test_html_in_the_patient_name_prints_as_literal_text(name: str) -> None:
    selection = replace(make_selection(), patient=PatientDetails(name=name))
    data = pdf_bytes(selection)
    text = pdf_text(data)
    assert name in text
    assert b"root:x:0:0" not in data


@pytest.mark.parametrize(
    "name",
    [
        "José Núñez-García",
        "Siobhán O'Connor",
        "Zoë Ø. Łukasiewicz-Ångström",
        "Bartholomew Montgomery-Fitzwilliam Alexander Christopherson the Third",
    ],
)
def test_unicode_and_long_names_print_correctly(name: str) -> None:
    text = pdf_text(pdf_bytes(replace(make_selection(), patient=PatientDetails(name=name))))
    assert name in text


def test_the_fetcher_refuses_files_outside_the_allowed_folders(tmp_path: Path) -> None:
    canary = tmp_path / "canary.txt"
    canary.write_text("CANARY-SECRET")
    for url in (canary.as_uri(), "file:///etc/passwd", "https://example.com/x.png", "file://server/share/x.png"):
        with pytest.raises(ValueError, match="Refused"):
            resolve_allowed(url, allowed_roots())
    html = f'<html><body><img src="{canary.as_uri()}"><p>x</p></body></html>'
    with pytest.raises(RenderFailed, match="Refused"):
        render_pdf(html)


def test_the_fetcher_refuses_dot_dot_escapes_and_symlinks_out(tmp_path: Path) -> None:
    from handout_app import resources

    escape = resources.templates_dir().as_uri() + "/../../../../../etc/passwd"
    with pytest.raises(ValueError, match="Refused"):
        resolve_allowed(escape, allowed_roots())
    link_dir = tmp_path / "clinic"
    link_dir.mkdir()
    (link_dir / "logo.png").symlink_to("/etc/passwd")
    with pytest.raises(ValueError, match="outside"):
        resolve_allowed((link_dir / "logo.png").as_uri(), allowed_roots([link_dir]))
