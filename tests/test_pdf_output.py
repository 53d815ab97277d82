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
from handout_app.sheet_check import PRINTER_INSET_MM

from .helpers import make_selection, pdf_bytes, pdf_text

PRINTER_INSET_PX = PRINTER_INSET_MM * 96 / 25.4 - 0.5  # WeasyPrint lays out in CSS pixels; 0.5 is rounding


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


def test_a_risk_title_with_an_endless_word_stays_on_the_page() -> None:
    """The consent's risks cell wraps long words cheaply (break-word); a word wider than the page, as a
    clinic's own item could hold, is still broken, so the table never runs off the paper."""
    import dataclasses

    from handout_app.clinic import ClinicProfile
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    from .helpers import GENERATED_AT, catalog

    word = "Bleeding" + "x" * 160
    plain = render_html(make_selection(), catalog(), ClinicProfile(), GENERATED_AT).html
    shown = next(i for i in catalog().items if i.section == "risks" and i.title and i.title["en"] in plain)
    items = tuple(
        dataclasses.replace(item, title={**item.title, "en": word}) if item is shown else item
        for item in catalog().items
    )
    rendered = render_html(make_selection(), dataclasses.replace(catalog(), items=items), ClinicProfile(), GENERATED_AT)
    assert word in rendered.html.replace("\u200b", "")
    document = lay_out(rendered.html, facts=rendered.facts)

    def boxes(box):  # type: ignore[no-untyped-def]
        yield box
        for child in getattr(box, "children", []):
            yield from boxes(child)

    tables = [
        (page, box)
        for page in document.pages
        for box in boxes(page._page_box)
        if type(box).__name__ == "TableBox" and box.element.get("class") == "consent-facts"
    ]
    assert tables
    for page, table in tables:
        content_right = page._page_box.position_x + page._page_box.margin_left + page._page_box.width
        assert table.position_x + table.width <= content_right + 0.5


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize(
    "name",
    # The last is all wide letters: the template's estimate from the length falls short, and the measured
    # layout must take the taller margin.
    ["Ana Ejemplo", "Ana María Ejemplo de la Cruz Fernández", "Ana María Ejemplo de la Cruz " * 7, "WMW MWM " * 14],
)
def test_every_page_s_header_shows_the_patient_and_the_side_whole(name: str, large: bool) -> None:
    """The running header sits at the foot of the top margin; a header longer than the margin holds would
    push its first line, the patient's name, off the top of the page. The margin grows with the header
    (the form takes names of up to 200 letters)."""
    import datetime as dt

    from weasyprint.formatting_structure.boxes import LineBox, MarginBox

    from handout_app.clinic import ClinicProfile
    from handout_app.domain import Language, Paper
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    from .helpers import GENERATED_AT, catalog

    def boxes(box):  # type: ignore[no-untyped-def]
        yield box
        for child in box.all_children():
            yield from boxes(child)

    name = name.strip()
    for paper in Paper:
        selection = replace(
            make_selection(guidance="fluoroscopy", side="bilateral", contrast=True, name=name),
            language=Language.ES.value,
            large_print=large,
            paper=paper,
        )
        selection = replace(selection, patient=replace(selection.patient, date_of_birth=dt.date(1956, 4, 2)))
        rendered = render_html(selection, catalog(), ClinicProfile(), GENERATED_AT)
        document = lay_out(rendered.html, facts=rendered.facts)
        assert len(document.pages) > 2
        for number, page in enumerate(document.pages[1:], start=2):
            header = next(
                b for b in page._page_box.children if isinstance(b, MarginBox) and b.at_keyword == "@top-left"
            )
            lines = [box for box in boxes(header) if isinstance(box, LineBox)]
            text = "".join(box.text for box in boxes(header) if hasattr(box, "text"))
            # Not only on the page: clear of the strip at the paper's edge that printers leave blank.
            assert lines and min(line.position_y for line in lines) >= PRINTER_INSET_PX, (paper, number)
            squashed = text.replace(" ", "")  # a line break leaves no space between the words it parts
            assert name.replace(" ", "") in squashed and "AMBAScaderas" in squashed, (paper, number)


@pytest.mark.parametrize(
    ("clinic_name", "signed_off"),
    [
        ("", False),  # no clinic: a blank, the built-in wording and the print time, in the low margin
        ("Valley Hip Clinic", True),  # a sign-off: the taller margin, chosen from the footer's length
        # Wide letters: the estimate from the length falls short; the measured footer takes the taller margin.
        ("WMWMW MWMWM " * 5, False),
        # A long name and a sign-off: the deepest margin.
        ("St Bartholomew's Regional Musculoskeletal and Sports Medicine Centre", True),
    ],
)
@pytest.mark.parametrize("large", [False, True])
def test_the_footer_stays_in_its_margin_on_every_page(clinic_name: str, signed_off: bool, large: bool) -> None:
    """The footer (clinic, wording, sign-off, print time) sits in the bottom margin, whose height follows the
    footer's lines: no line may reach over the text above it or into the 5 mm a printer leaves blank."""
    import datetime as dt

    from weasyprint.formatting_structure.boxes import LineBox, MarginBox

    from handout_app.clinic import Approval, ClinicProfile
    from handout_app.document_numbers import EXAMPLE_NUMBER
    from handout_app.domain import Language, Paper
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    from .helpers import GENERATED_AT, catalog

    def boxes(box):  # type: ignore[no-untyped-def]
        yield box
        for child in box.all_children():
            yield from boxes(child)

    approval = (
        Approval("Dr Alexandra Leeward-Smith", "Clinical lead", dt.date(2026, 11, 2), "sha256:0")
        if signed_off
        else None
    )
    for language in Language:
        for paper in Paper:
            selection = replace(
                make_selection(medications=("prp",), side="left"),
                language=language.value,
                large_print=large,
                paper=paper,
            )
            rendered = render_html(
                selection,
                catalog(),
                ClinicProfile(name=clinic_name),
                GENERATED_AT,
                approval=approval,
                document_number=EXAMPLE_NUMBER,  # its own line under "Page X of Y", at the foot of every page
            )
            document = lay_out(rendered.html, facts=rendered.facts)
            for number, page in enumerate(document.pages, start=1):
                footer = next(
                    b for b in page._page_box.children if isinstance(b, MarginBox) and b.at_keyword == "@bottom-left"
                )
                lines = [box for box in boxes(footer) if isinstance(box, LineBox)]
                text = "".join(box.text for box in boxes(footer) if hasattr(box, "text")).replace(" ", "")
                where = (language, paper, number)
                assert min(line.position_y for line in lines) >= footer.position_y - 0.5, where  # over the text
                # Off the paper, or into the strip at its edge that printers leave blank.
                assert max(line.position_y + line.height for line in lines) <= page.height - PRINTER_INSET_PX, where
                assert ("Leeward-Smith" in text) == signed_off and clinic_name.replace(" ", "") in text, where
                # Nothing on the page (the page number, the header) reaches the strip printers leave blank.
                everything = [box for box in boxes(page._page_box) if isinstance(box, LineBox)]
                assert min(line.position_y for line in everything) >= PRINTER_INSET_PX, where
                assert max(line.position_y + line.height for line in everything) <= page.height - PRINTER_INSET_PX


def test_a_footer_no_margin_can_hold_is_refused_with_what_to_shorten() -> None:
    """A clinic name of hundreds of wide letters makes a footer deeper than the deepest margin; its last
    lines would print in the strip printers cut. The sheet is refused and the message says what to do."""
    from handout_app.clinic import ClinicProfile
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    from .helpers import GENERATED_AT, catalog

    selection = replace(make_selection(medications=("prp",), side="left"), large_print=True)
    rendered = render_html(selection, catalog(), ClinicProfile(name="WMW MWM " * 30), GENERATED_AT)
    with pytest.raises(
        RenderFailed, match=r"too long for the footer every page prints; shorten the name in clinic\.toml"
    ):
        lay_out(rendered.html, facts=rendered.facts)
