"""Names in other scripts: Greek and Cyrillic print exactly in the bundled fonts; what they cannot print is refused."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from handout_app import glyphs
from handout_app.domain import SelectionError

from .helpers import make_selection, pdf_bytes, pdf_text

BUNDLED_FAMILIES = {"Atkinson Hyperlegible", "Noto Sans"}
# WeasyPrint names an embedded @font-face font after its CSS family, behind a six-letter subset tag.
BUNDLED_NAME = re.compile(r"/[A-Z]{6}\+Handout-Sans(-Fallback)?(-Bold)?(-Italic)?")


def embedded_fonts(data: bytes) -> dict[str, str]:
    """Every font in the PDF: its /FontDescriptor /FontName and the family named inside the embedded program."""
    fonts: dict[str, str] = {}
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts") or [font]:
                descriptor = descendant.get_object()["/FontDescriptor"]
                program = next(descriptor[k] for k in ("/FontFile2", "/FontFile3", "/FontFile") if k in descriptor)
                family = TTFont(io.BytesIO(program.get_object().get_data()))["name"].getDebugName(1)
                fonts[str(descriptor["/FontName"])] = family or ""
    return fonts


@pytest.mark.parametrize("name", ["Αλέξανδρος Παπαδόπουλος", "Дмитрий Иванов"], ids=["greek", "cyrillic"])
def test_greek_and_cyrillic_names_print_exactly_in_bundled_fonts_only(name: str) -> None:
    data = pdf_bytes(make_selection(name=name, clinician=f"Dr {name.split()[1]}"))
    assert name in pdf_text(data)
    fonts = embedded_fonts(data)
    assert fonts, "the PDF has no fonts at all"
    for font_name, family in fonts.items():
        # A system font (DejaVu here) would show up under its own name, e.g. /XKQQSR+DejaVu-Sans.
        assert BUNDLED_NAME.fullmatch(font_name), font_name
        assert family in BUNDLED_FAMILIES, (font_name, family)
    assert any("Fallback" in font_name for font_name in fonts)  # the Greek or Cyrillic letters came from Noto Sans


@pytest.mark.parametrize(
    "name",
    [
        "Ann Lee",
        "Αλέξανδρος Παπαδόπουλος",
        "Дмитрий Иванов",
        "Nguyễn Thị Minh Khai",
        "Łukasz Żółć",
        "Ærø Åse-O'Brien",
        "İsmail Ağaoğlu",
        "Zoë Ψ. Ωμέγα",
    ],
)
def test_latin_greek_and_cyrillic_names_are_printable(name: str) -> None:
    assert glyphs.unprintable(name) == []
    assert glyphs.problem(name, "The name") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("山田 太郎", ["'山' (U+5C71)", "'田' (U+7530)", "'太' (U+592A)", "'郎' (U+90CE)"]),
        ("محمد", ["'م' (U+0645)", "'ح' (U+062D)", "'د' (U+062F)"]),
        ("דוד", ["'ד' (U+05D3)", "'ו' (U+05D5)"]),  # noqa: RUF001 (Hebrew on purpose)
        ("Ann 😀", ["'😀' (U+1F600)"]),
        # Noto Sans maps Devanagari, but its text layer comes out reordered: refused until it is exact.
        ("देव", ["'द' (U+0926)", "'◌े' (U+0947)", "'व' (U+0935)"]),
    ],
)
def test_characters_the_fonts_cannot_print_are_named_with_their_code(text: str, expected: list[str]) -> None:
    assert glyphs.unprintable(text) == expected


@pytest.mark.parametrize(
    ("char", "expected"),
    [
        ("\u202e", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("\u200d", "U+200D (ZERO WIDTH JOINER)"),
        ("\u200b", "U+200B (ZERO WIDTH SPACE)"),
        ("\u00ad", "U+00AD (SOFT HYPHEN)"),
        ("\ufeff", "U+FEFF (ZERO WIDTH NO-BREAK SPACE)"),
        ("\ufe0f", "U+FE0F (VARIATION SELECTOR-16)"),
        ("\t", "U+0009 (control character)"),
        ("\x85", "U+0085 (control character)"),
        ("\ufdd0", "U+FDD0 (unassigned or non-character)"),
        ("\ue000", "U+E000 (private-use character)"),
        ("\udcff", "U+DCFF (surrogate)"),
    ],
)
def test_invisible_and_control_characters_are_refused_without_being_echoed(char: str, expected: str) -> None:
    # The fonts map several of these, but on a sheet they hide or reorder what the reader sees.
    assert glyphs.unprintable(f"Ann{char}Lee") == [expected]
    assert char not in expected


def test_a_separately_typed_accent_is_joined_to_its_letter_first() -> None:
    assert glyphs.unprintable("Zoe\u0308 Rene\u0301e") == []
    assert glyphs.problem("Zoe\u0308", "The name") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Ann \u0301Lee", "not on a letter"), ("\u0301Ann", "not on a letter"), ("Ze\u0301\u0323\u0330\u0331", "stacked")],
)
def test_accents_off_a_letter_or_stacked_high_are_refused(text: str, expected: str) -> None:
    message = glyphs.problem(text, "The name")
    assert message is not None and expected in message


@pytest.mark.parametrize(
    "text", ["\u0410nn Lee", "Ann \u039flsen", "Ivan \u0406vanov"], ids=["cyrillic-a", "greek-o", "cyrillic-i"]
)
def test_a_word_mixing_look_alike_alphabets_is_refused(text: str) -> None:
    message = glyphs.problem(text, "The name")
    assert message is not None and "mixes" in message and "look alike" in message


@pytest.mark.parametrize("text", ["Ann Иванов", "β-lactam", "µg", "Ωμέγα-3"])
def test_alphabets_may_differ_between_words(text: str) -> None:
    assert glyphs.problem(text, "The allergy") is None


def test_the_font_maps_are_read_once() -> None:
    assert glyphs.covered() is glyphs.covered()
    assert ord("Ω") in glyphs.covered() and ord("Ж") in glyphs.covered() and ord("山") not in glyphs.covered()


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("patient-name", {"name": "山田 太郎"}),
        ("mrn", {"mrn": "12\u202e34"}),
        ("clinician", {"clinician": "Dr 😀"}),
        ("allergy", {"allergies": ("ペニシリン",)}),
    ],
)
def test_selection_check_refuses_unprintable_text_naming_field_and_characters(field: str, changes: dict) -> None:
    with pytest.raises(SelectionError) as caught:
        make_selection(**changes).check()
    assert caught.value.field_name == field
    assert "cannot print" in caught.value.message and "U+" in caught.value.message


def test_a_sheet_with_a_cyrillic_name_is_the_same_bytes_a_second_later(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    import time

    # In a fresh process each time, as a reprint is: the same request (document number included).
    script = (
        "import json, sys\n"
        "from handout_app.worker import handle, encode_request\n"
        "from handout_app.domain import *\n"
        "s = Selection(target=Target('joint'), "
        "medications=frozenset({Medication('corticosteroid')}), guidance=Guidance('ultrasound'),"
        " side=Side('left'), patient=PatientDetails(name='Дмитрий Иванов'))\n"
        "reply, pdf = handle(json.loads(encode_request('x', selection_to_dict(s), None, '2026-11-21T09:00:00+00:00',"
        " document_number='K7M-XH3-QTH')))\n"
        "open(sys.argv[1], 'wb').write(pdf)\n"
    )
    outputs = []
    for index in range(2):
        output = tmp_path / f"sheet-{index}.pdf"
        subprocess.run([sys.executable, "-c", script, str(output)], check=True, capture_output=True)
        outputs.append(output.read_bytes())
        if index == 0:
            # The fallback font was stamped with the current second: the two sheets are made in different
            # seconds, so equal bytes prove the stamp is gone. The clock is the reason; load only widens the gap.
            time.sleep(1.1)
    assert outputs[0] == outputs[1]


def test_every_character_answered_without_the_fonts_is_in_both_bundled_families() -> None:
    """unprintable() answers text of printable ASCII, Latin-1 and common punctuation alone without reading the
    fonts: that holds only while every one of those characters is in the fonts (a font swapped for one
    without, say, '~' or 'ñ' fails here)."""
    assert glyphs.PRINTABLE_ASCII <= glyphs.PRINTED_WITHOUT_LOOKUP
    assert {ord(char) for char in glyphs.PRINTED_WITHOUT_LOOKUP} - {ord(" ")} <= glyphs.covered()
    assert glyphs.unprintable("Ann O'Brien-Smith (MRN 4821) ~ {x} ^_^") == []
    assert glyphs.unprintable("Muñoz · ¿Peña? • “Zoë” – José…") == []
    assert glyphs.unprintable("Ann\u202eO") == ["U+202E (RIGHT-TO-LEFT OVERRIDE)"]
    assert glyphs.unprintable("Ann\u00adO") == ["U+00AD (SOFT HYPHEN)"]  # Latin-1, but invisible: still refused


def test_a_standard_sheet_is_checked_without_reading_the_fonts_character_maps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # English and Spanish sheets print bullets, the footer's '·' and Spanish letters, all answered at once:
    # reading the fonts' maps cost each worker's first sheet (the CLI's, the window's first preview) ~50 ms.
    read: list[Path] = []
    monkeypatch.setattr(glyphs, "_family_cmap", lambda folder: read.append(folder) or set())
    glyphs.covered.cache_clear()
    try:
        for language in ("en", "es"):
            assert pdf_text(pdf_bytes(replace(make_selection(), language=language)))
    finally:
        glyphs.covered.cache_clear()
    assert read == []
