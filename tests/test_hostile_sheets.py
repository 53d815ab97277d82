"""What an independent attack on the clinic folder found, each now refused: patient details through
links, the outline, form fields and font names; a sheet that shows the other side, hides the risks or
cuts off the consent; clinic fonts; files reached through links; UTF-16 SVGs; and a check-templates
run that never ends."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from handout_app.choices import LANGUAGES, Paper
from handout_app.clinic import ClinicError
from handout_app.pdf import RenderFailed, render_pdf
from handout_app.sheet_check import SheetProblem, check_sheet
from handout_app.template_set import load_template_set
from handout_app.templating import TemplateProblem
from handout_app.weasyprint_import import import_weasyprint

from .helpers import GENERATED_AT, make_selection

MM_PER_PT = 25.4 / 72

NAME = "Zebediah Quixotic"


def header(clinic: Path, body: str) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}{{ super() }}\n'
        + body
        + "\n{% endblock %}\n"
    )


def render(
    clinic: Path,
    side: str = "left",
    language: str = "en",
    *,
    large_print: bool = False,
    number: str = "",
    medications: tuple[str, ...] = ("anesthetic", "corticosteroid"),
    paper: Paper = Paper.A4,
) -> bytes:
    """The clinic's sheet as the app makes it, with the sheet check; `number` prints a document number."""
    template_set = load_template_set(clinic)
    selection = dataclasses.replace(
        make_selection(name=NAME, mrn="MRN-998877", side=side, medications=medications),
        language=language,
        large_print=large_print,
        paper=paper,
    )
    rendered = template_set.render_html(selection, GENERATED_AT, number)
    return render_pdf(
        rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
    )


def page_one_boxes(clinic: Path) -> list[Any]:
    """Every box of page 1 of the clinic's LEFT sheet, laid out as render() makes it (no PDF written)."""
    from handout_app.pdf import lay_out

    template_set = load_template_set(clinic)
    rendered = template_set.render_html(make_selection(side="left"), GENERATED_AT)
    document = lay_out(
        rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
    )

    def walk(box: Any) -> Iterator[Any]:
        yield box
        for child in box.all_children():
            yield from walk(child)

    return list(walk(document.pages[0]._page_box))


def annotations(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(str(a.get_object()) for page in reader.pages for a in (page.get("/Annots") or []))


# -- patient details through links, the outline, form fields and font names ---------------------------
@pytest.mark.parametrize(
    "link",
    [
        '<a href="tel:{{ clinic.phone }};{{ patient.name|urlencode }}">call</a>',
        '<a href="tel:{{ clinic.phone }}{{ patient.mrn|replace("-", "") }}">call</a>',
        '<a href="{{ clinic.website }}%20%09{{ patient.name|urlencode }}">web</a>',
        '<a href="{{ clinic.website }}?{{ patient.name|urlencode }}">web</a>',
    ],
)
def test_a_link_carrying_anything_beyond_the_clinics_own_address_is_dropped(clinic: Path, link: str) -> None:
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text() + 'website = "https://riverside.example/hip"\n')
    header(clinic, link)
    text = annotations(render(clinic))
    assert "Zebediah" not in text and "998877" not in text and "%20" not in text


def test_an_outline_heading_in_another_alphabet_is_refused(clinic: Path) -> None:
    # The name spelt in Braille: the handout's fonts have no Braille, so the sheet is refused outright.
    header(
        clinic,
        "{% set br = dict(z='⠵', e='⠑', b='⠃', d='⠙', i='⠊', a='⠁', h='⠓') %}"
        "<h2>Risks {% for c in patient.name|lower %}{{ br.get(c, c) }}{% endfor %}</h2>",
    )
    with pytest.raises(RenderFailed, match="not in the handout's fonts"):
        render(clinic)


def test_the_outline_is_the_sheets_own_headings_once_each_in_order(clinic: Path) -> None:
    # Headings a template adds (here: label phrases, one per letter of the record number) never reach the outline.
    header(
        clinic,
        "{% for c in patient.mrn %}<h6>{{ labels.other_side_phrases.left[loop.index % 3] }}</h6>"
        "<h2>{{ labels.risks }}</h2>{% endfor %}",
    )
    reader = PdfReader(io.BytesIO(render(clinic)))

    def walk(items: list) -> list[str]:  # type: ignore[type-arg]
        return [title for item in items for title in (walk(item) if isinstance(item, list) else [str(item.title)])]

    titles = walk(reader.outline)
    from handout_app.catalog import load_catalog
    from handout_app.templating import OUTLINE_LABELS

    labels = load_catalog().labels_for("en")
    order = [labels[key] for key in OUTLINE_LABELS]
    assert titles and all(title in order for title in titles) and len(titles) == len(set(titles))
    assert [order.index(title) for title in titles] == sorted(order.index(title) for title in titles)


def test_form_fields_never_reach_the_pdf(clinic: Path) -> None:
    header(
        clinic,
        '<input name="{{ patient.name|replace(" ", "_") }}" value="{{ patient.name }}" style="appearance: auto">'
        '<textarea style="appearance: auto">{{ patient.name }}</textarea>',
    )
    data = render(clinic)
    reader = PdfReader(io.BytesIO(data))
    assert "/AcroForm" not in reader.trailer["/Root"] and "Zebediah" not in annotations(data)


def test_a_font_named_after_the_patient_is_refused(clinic: Path) -> None:
    header(
        clinic,
        '<style>@font-face { font-family: "{{ patient.name }}"; src: url("{{ font_regular }}"); }</style>'
        "<span style=\"font-family: '{{ patient.name }}'\">x</span>",
    )
    with pytest.raises(RenderFailed, match="Only the handout's own fonts"):
        render(clinic)


@pytest.mark.parametrize("name", ["brand.ttf", "brand", "brand.css.woff2"])
def test_a_clinic_font_file_is_refused_whatever_it_is_called(clinic: Path, name: str) -> None:
    from handout_app import resources

    (clinic / "assets" / name).write_bytes(resources.font_files()[0].read_bytes())
    (clinic / "templates" / "clinic.css").write_text(
        f'@font-face {{ font-family: "Handout Sans"; src: url("../assets/{name}"); }}\n'
    )
    with pytest.raises(RenderFailed, match="own fonts only"):
        render(clinic)


# -- the printed sheet says what the selection says ---------------------------------------------------------
@pytest.mark.parametrize(
    ("css", "language"),
    [
        ('.banner-side { font-size: 0 } .banner-side::after { content: "Your RIGHT hip"; font-size: 20pt }', "en"),
        ('.doc-header::after { content: "RI" "GHT"; }', "en"),
        ('body::before { content: "Cadera DERECHA"; position: fixed; top: 0 }', "es"),
        ('.doc-header::after { content: "RІGHT"; }', "en"),  # noqa: RUF001, RUF003 (with a Cyrillic І on purpose)
        ('.doc-header::after { content: "RIGHT"; color: white; font-size: 1pt }', "en"),
    ],
)
def test_a_style_that_adds_the_other_side_is_refused_or_has_no_effect(clinic: Path, css: str, language: str) -> None:
    from .helpers import pdf_text

    (clinic / "templates" / "clinic.css").write_text(css)
    try:
        data = render(clinic, side="left", language=language)
    except RenderFailed as error:
        assert "the other side" in str(error) or "does not show" in str(error)
        return
    text = pdf_text(data)  # the app's locks took the generated text, layers and transparency away
    assert "RIGHT" not in text and "DERECHA" not in text and ("LEFT" in text or "IZQUIERDA" in text)


@pytest.mark.parametrize(
    ("css", "missing"),
    [
        (".risk-table { display: none }", "Infection"),
        (".consent p, .consent li { visibility: hidden }", "Consent"),
        ("body { opacity: 0 }", "your LEFT hip"),
        ("* { color: transparent !important; }", "your LEFT hip"),
        ("* { color: rgba(0, 0, 0, 0.01) !important; }", "your LEFT hip"),
        (
            ".banner-side, .banner-procedure, .rh-procedure, p, li, td, th, h1, h2, h3 { color: white !important; }",
            "your LEFT hip",
        ),
        ("body { margin-left: -3000px; }", "your LEFT hip"),
        ("body { transform: scale(0.01); transform-origin: 0 0; }", "your LEFT hip"),
        ("p, li, td, th, h1, h2, h3, span { overflow: hidden; height: 0; }", "your LEFT hip"),
        (
            'html::after { content: ""; position: fixed; top: -30mm; left: -20mm; width: 300mm; height: 330mm; '
            "background: white; z-index: 1000; }",
            "your LEFT hip",
        ),
        (".banner-side { background: #111; color: #222; }", "your LEFT hip"),
    ],
)
def test_a_style_that_hides_the_side_the_risks_or_the_consent_is_refused_or_undone(
    clinic: Path, css: str, missing: str
) -> None:
    from .helpers import pdf_text

    (clinic / "templates" / "clinic.css").write_text(css)
    try:
        data = render(clinic, side="left")
    except RenderFailed as error:
        assert "does not show" in str(error)
        return
    assert missing in pdf_text(data)


@pytest.mark.parametrize(
    "css",
    [
        # The side is still on the sheet elsewhere ("your LEFT hip" in the key points); only the banner goes.
        ".banner-side::first-line { visibility: hidden }",
        ".banner-side::first-line { color: white }",
        ".banner-side::first-line { font-size: 1px }",
        ".banner-side::first-letter { color: white }",
        ".banner-side { display: none }",
        ".procedure-banner { display: none }",
        ".banner-side, .large-print .banner-side { font-size: 12pt }",
        ".banner-side { text-transform: lowercase }",
        # Found by a fresh reviewer: what is painted behind or over the banner, and where it stands.
        ".doc-header h1 { background: #000; padding-bottom: 230pt; margin-bottom: -230pt; }",  # a sibling's
        "html, body, .doc-header, .procedure-banner, .banner-side { background-color: rgba(0, 0, 0, 0.5); }",
        # the procedure's line printed over the banner's
        ".banner-side, .large-print .banner-side { line-height: 1; margin-bottom: -1em; }",
        ".procedure-banner { clear: none; margin-top: -173px; border: none; padding: 0; }",  # the printer's strip
        "* { font-size: 6pt !important; } .banner-side { font-size: 8.5pt !important; }",
        ".banner-side { text-transform: lowercase; } .banner-procedure { font-size: 28pt; }",
        ".banner-side { width: 0.8em; word-break: break-all; line-height: 1; }",  # a letter or two per line
        ".banner-side { text-decoration: line-through; }",
        # Found by a second reviewer: borders, floats and inline-blocks painted over the banner.
        ".banner-procedure { border-top: 40px solid #000; margin-top: -40px; }",
        ".banner-procedure, .large-print .banner-procedure { border-top: 60px solid #000; margin-top: -60px; }",
        ".procedure-banner { display: flow-root; } .banner-side { float: left; width: 100%; } "
        ".banner-procedure { float: left; width: 100%; background: #fff; margin-top: -80px; padding-top: 80px; }",
        # Found by a third reviewer: the root's background covers the page whatever its box's size; a table's
        # columns are painted under its cells; floats are painted before in-flow inline backgrounds.
        "html { background: #000; width: 4mm; } body { width: 180mm; }",
        ".procedure-banner { display: table; width: 100%; } .banner-side, .banner-procedure { display: table-cell;"
        " background: #000; } .banner-intent { display: table-column; background: #fff; }",
        ".clinic-tagline { display: inline; background: #fff; padding-bottom: 200mm; }"
        " .procedure-banner, .patient-table, .key-points { float: left; width: 100%; box-sizing: border-box; }",
        # Found by a fourth reviewer: a colour in Lab as pale as the paper (the check now reads Lab and OKLCH).
        ".banner-side { color: lab(98% 0 0); }",
        ".banner-side { color: oklch(99% 0.01 250); }",
    ],
)
@pytest.mark.parametrize(("language", "large_print"), [("en", False), ("es", True)])
def test_a_style_that_hides_or_shrinks_the_side_banner_is_refused(
    clinic: Path, css: str, language: str, large_print: bool
) -> None:
    (clinic / "templates" / "clinic.css").write_text(css)
    heading = "Su cadera IZQUIERDA" if language == "es" else "Your LEFT hip"
    with pytest.raises(RenderFailed, match=f'page 1 does not show "{heading}" whole and large'):
        render(clinic, side="left", language=language, large_print=large_print)


@pytest.mark.parametrize(
    "css",
    [
        ".banner-side { color: #0b4f6c; text-transform: uppercase; font-size: 22pt }",
        ".banner-side::first-letter { color: #8a1c1c; font-size: 150% }",
        ".procedure-banner { border-color: #0b4f6c }",
        ".procedure-banner { background-color: rgba(0, 0, 0, 0.5); color: #fff; }",  # white on mid grey
        "html { font-size: 13pt; }",
        "h2 { text-transform: uppercase; }",
        # Colours in the spaces of CSS Color 4 that WeasyPrint prints (the check stopped on them before).
        ".banner-side { color: lab(30% 20 -45); } h2 { color: oklch(40% 0.1 250); } p { color: lch(20% 10 90); }",
    ],
)
@pytest.mark.parametrize("side", ["left", "bilateral"])
def test_a_style_that_only_restyles_the_side_banner_prints(clinic: Path, css: str, side: str) -> None:
    (clinic / "templates" / "clinic.css").write_text(css)
    assert render(clinic, side=side).startswith(b"%PDF")


def test_what_would_paint_over_or_behind_the_text_is_locked_away(clinic: Path) -> None:
    """Painted over the text or behind it, where the sheet check does not look, so the app's locks take it
    away: a white outline and a white margin box blanked the banner, an inset shadow and a border-image
    fill darkened it, a mask border blanked every page, a clipped background or a thick moved underline
    hid its letters, a column rule as wide as the page blacked it out, a rounded corner left its white
    letters on white paper, and a bleed printed the page shrunk; hairline condensed letters weakened it."""
    from weasyprint.formatting_structure.boxes import MarginBox

    (clinic / "templates" / "clinic.css").write_text(
        ".banner-procedure { outline: 36pt solid #fff; } .procedure-banner { box-shadow: inset 0 0 0 300pt #000; }"
        " .banner-side { border-image-source: linear-gradient(#000, #000);"
        " mask-border-source: linear-gradient(transparent, transparent); background-clip: content-box;"
        " text-decoration-thickness: 30px; text-underline-offset: -12px; text-decoration-style: wavy;"
        " font-family: 'Handout Sans Fallback'; font-stretch: ultra-condensed; font-variation-settings: 'wdth' 62.5; }"
        " .procedure-banner { column-count: 2; column-gap: 0; column-rule: 800px solid #000;"
        " border-top-left-radius: 100% 100%; grid-column: 2 / 3; grid-row: 1; }"
        ' @page { bleed: 25mm; marks: crop cross; @top-right { content: "SAMPLE"; }'
        " @bottom-left { background: #fff; border-top: 266mm solid #fff; } }"
        " h1 { max-lines: 1; block-ellipsis: ' Your RIGHT hip'; continue: discard; }"
    )
    boxes = page_one_boxes(clinic)
    page = boxes[0]
    banner = [box for box in boxes if box.element is not None and "banner" in (box.element.get("class") or "")]
    assert banner
    for box in banner:
        style = box.style
        assert style["outline_style"] == "none" and not style["box_shadow"]
        assert style["border_image_source"][0] == "none" and style["mask_border_source"][0] == "none"
        assert style["background_clip"] == ("border-box",)
        assert style["text_underline_offset"] == "auto" and style["text_decoration_style"] == "solid"
        thickness = style["text_decoration_thickness"]
        assert (thickness.value, thickness.unit) == (1, "px")
        assert style["column_rule_style"] == "none" and style["font_stretch"] == "normal"
        assert style["font_variation_settings"] == "normal"
        assert {style[f"grid_{line}"] for line in ("row_start", "row_end", "column_start", "column_end")} == {"auto"}
        assert all(
            radius.value == 0
            for corner in ("top_left", "top_right", "bottom_left", "bottom_right")
            for radius in style[f"border_{corner}_radius"]
        )
    title = [box for box in boxes if box.element_tag == "h1"]
    assert title and all(
        box.style["block_ellipsis"] == "none" and box.style["max_lines"] == "none" and box.style["continue"] == "auto"
        for box in title
    )
    assert not page.style["marks"] and all(page.style[f"bleed_{side}"].value == 0 for side in ("top", "left"))
    margins = [box for box in page.children if isinstance(box, MarginBox)]
    assert "@top-right" not in [box.at_keyword for box in margins]  # its content is none: never made
    assert all(box.style["background_color"].alpha == 0 and box.border_top_width == 0 for box in margins)


def test_a_banner_printed_over_a_picture_is_refused(clinic: Path) -> None:
    # A picture as wide as the page pulled up under the banner: its text stands on the picture, where no
    # contrast can be told, or the picture covers it.
    header(clinic, '<img class="under" src="{{ logo_uri }}" alt="">')
    (clinic / "templates" / "clinic.css").write_text(
        ".under { display: block; width: 170mm; height: 40mm; margin-bottom: -40mm; }"
    )
    with pytest.raises(RenderFailed, match='page 1 does not show "Your LEFT hip" whole and large'):
        render(clinic, side="left")


@pytest.mark.parametrize(
    "css",
    [
        # A transparent mask border: every page came out white but for the header and footer.
        "html { mask-border-source: linear-gradient(transparent, transparent); mask-border-slice: 0 fill; "
        "mask-border-width: 0; }",
        # A black border-image fill behind the black banner.
        ".banner-side { border-image-source: linear-gradient(#000, #000); border-image-slice: 0 fill; }",
        # A white margin box as large as the page, painted after the content.
        '@page { @top-right { content: ""; background: #fff; width: 190mm; height: 260mm; margin-bottom: -250mm; } }',
        # An underline as thick as the letters, moved up over them.
        ".banner-side { text-decoration: underline; text-decoration-thickness: 30px; text-underline-offset: -12px; }",
        # The background under the padding only: the banner's white text on white.
        ".procedure-banner { background: #0b3d6b; background-clip: content-box; padding: 40px 9pt 4pt; color: #fff; }"
        " .banner-side { margin-top: -40px; margin-bottom: 16px; }",
        # The footnote area, painted after the page's content, pulled up over it.
        ".clinic-tagline { float: footnote; } @page { @footnote { margin-top: -230mm; border-top: 230mm solid #fff;"
        " background: #fff; } }",
        # A bleed and crop marks: the PDF's page larger than the paper, printed shrunk to fit.
        "@page { bleed: 25mm; marks: crop cross; }",
        # A rule between two columns, as wide as the page, over the banner (and the risks, the consent).
        ".procedure-banner { column-count: 2; column-gap: 0; column-rule: 800px solid #000; }",
        # White letters in the unpainted rounded corner of a black banner.
        ".procedure-banner { background: #000; color: #fff; border-top-left-radius: 100% 100%; }",
    ],
)
def test_what_paints_over_the_page_is_locked_away_and_the_banner_still_reads(clinic: Path, css: str) -> None:
    """Refused, or undone by the app's locks: the sheet prints with the banner readable on an A4 page."""
    (clinic / "templates" / "clinic.css").write_text(css)
    try:
        data = render(clinic, side="left")
    except RenderFailed as error:
        assert "does not show" in str(error)
        return
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert [round(float(side)) for side in page.mediabox[2:]] == [595, 842]  # A4 in points, no bleed
    from .helpers import pdf_text

    assert "Your LEFT hip" in pdf_text(data)


def test_a_colour_the_check_cannot_compare_is_refused_with_what_to_write_instead(clinic: Path) -> None:
    (clinic / "templates" / "clinic.css").write_text(".banner-side { color: color(display-p3 0.1 0.2 0.5); }")
    with pytest.raises(
        RenderFailed, match=r"display-p3 colour space, which the check cannot compare; give it as #rrggbb"
    ):
        render(clinic, side="left")


def test_a_line_through_a_huge_space_is_as_thin_as_any_other(clinic: Path) -> None:
    # An element of three spaces in a 400 px font under the banner: its line-through, as thick as the
    # font made it, lay over "Your LEFT hip" like a white bar, and no text of its own was there to check.
    from handout_app import resources

    builtin = (resources.templates_dir() / "partials" / "header.html.j2").read_text(encoding="utf-8")
    banner = '<p class="banner-side">{{ side_heading }}</p>'
    assert banner in builtin
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        builtin.replace(banner, banner + '<div class="veil">&nbsp;&nbsp;&nbsp;</div>')
    )
    (clinic / "templates" / "clinic.css").write_text(
        ".veil { font-size: 400px; line-height: 0; height: 0; padding-top: 1px; margin: -44px 0 45.7px 0;"
        " white-space: pre; text-decoration: line-through; text-decoration-color: #fff; }"
    )
    veil = [
        box
        for box in page_one_boxes(clinic)
        if box.element is not None and box.element_tag == "div" and box.element.get("class") == "veil"
    ]
    assert veil and all(
        (box.style["text_decoration_thickness"].value, box.style["font_size"]) == (1, 400) for box in veil
    )


def test_a_risk_running_on_over_a_page_break_prints(clinic: Path) -> None:
    # The running footer and header fall between its two parts; the risk is whole to the reader.
    (clinic / "templates" / "clinic.css").write_text(
        "ul.risk-list li { break-inside: auto; orphans: 1; widows: 1; } .consent-sign { break-inside: auto; }"
    )
    data = render(clinic, side="left", large_print=True, number="K7M-XH3-QTH", medications=("corticosteroid",))
    assert data.startswith(b"%PDF")


def test_the_other_sides_phrase_with_a_hyphen_is_refused(clinic: Path) -> None:
    header(clinic, '<p class="clinic-tagline">Your right-hip is checked first.</p>')
    with pytest.raises(RenderFailed, match='the sheet shows "right hip", the other side'):
        render(clinic, side="left")


@pytest.mark.parametrize(
    ("style", "paper"),
    [
        # A2 on page 1 of an A4 sheet: printed to fit, everything on it (the banner too) came out at half size.
        ("@page :first { size: 420mm 594mm; }", Paper.A4),
        ("@page { size: A4 !important; }", Paper.LETTER),
        ("@page :left { size: letter landscape; }", Paper.A4),
    ],
)
def test_a_clinic_style_cannot_print_a_page_on_another_paper(clinic: Path, style: str, paper: Paper) -> None:
    (clinic / "templates" / "clinic.css").write_text(style)
    pages = PdfReader(io.BytesIO(render(clinic, side="left", paper=paper))).pages
    assert len(pages) > 2  # a left and a right page
    sizes = {
        (round(float(p.mediabox.width) * MM_PER_PT, 1), round(float(p.mediabox.height) * MM_PER_PT, 1)) for p in pages
    }
    assert sizes == {paper.spec.page_mm}


def test_a_laid_out_page_of_another_paper_size_is_refused() -> None:
    # The check behind the lock (pdf.paper_css): a sheet with a page of another size is never made.
    weasyprint = import_weasyprint()
    document = weasyprint.HTML(string="<p>one</p><p style='break-before: page'>two</p>").render(
        stylesheets=[weasyprint.CSS(string="@page :first { size: 420mm 594mm; }")]
    )
    with pytest.raises(SheetProblem, match=r"page 1 is 420 x 594 mm, not the 210 x 297 mm paper chosen"):
        check_sheet(document, (), (), page_mm=(210.0, 297.0))


@pytest.mark.parametrize(
    "words",
    ["Your RIGHT hip", "Your R&#73;GHT hip", "<![CDATA[Your RIGHT hip]]>", "your right hip"],
)
def test_a_picture_that_names_the_other_side_is_refused(clinic: Path, words: str) -> None:
    # A logo drawn as a banner saying "Your RIGHT hip" at the top of a LEFT sheet.
    (clinic / "assets" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 40" width="300" height="40">'
        f'<text x="4" y="30" font-size="30">{words}</text></svg>'
    )
    with pytest.raises(RenderFailed, match=r"a picture on the sheet shows .*the other side"):
        render(clinic, side="left")


@pytest.mark.parametrize(
    "wording",
    [
        "This is about your RI\u200bGHT hip.",
        "This is about your RI\u2060GHT hip.",
        "About your \u202eTHGIR\u202c hip.",
        "About your \ua4e3\ua4f2\ua4d6\ua4e7\ua4d4 hip.",
        "About your \u0280\u026a\u0262\u029c\u1d1b hip.",
        "About your Right hip.",
        "About your R I G H T hip.",
        "About your RI&#8203;GHT hip.",
        "About your RI<span style='font-size: 0.01px'>x</span>GHT hip.",
    ],
)
def test_wording_that_writes_the_other_side_in_disguise_is_refused(clinic: Path, wording: str) -> None:
    (clinic / "content" / "10-riverside.toml").write_text(
        f'[[item]]\nid = "kp-side"\ntext.en = "{wording}"\ntext.es = "Su cadera."\n'
    )
    with pytest.raises(RenderFailed, match=r"other side|invisible|does not show"):
        render(clinic, side="left")


def test_a_hidden_copy_under_a_fake_sheet_is_refused(clinic: Path) -> None:
    # Round two's full swap: the real sheet made transparent under a copy that says RIGHT.
    (clinic / "templates" / "handout.html.j2").write_text(
        '{% extends "builtin/handout.html.j2" %}{% block body %}<div class="real">{{ super() }}</div>'
        '<div class="fake">{{ super()|replace("LEFT", "RI\u200bGHT") }}</div>{% endblock %}'
    )
    (clinic / "templates" / "clinic.css").write_text(
        ".real { position: absolute; left: 0; top: 0; width: 100%; } .real * { color: transparent !important; }"
    )
    with pytest.raises(RenderFailed):
        render(clinic, side="left")


def test_a_mirrored_drawing_is_drawn_the_right_way_round(clinic: Path) -> None:
    (clinic / "templates" / "clinic.css").write_text(".hip-one img { transform: scaleX(-1); }")
    data = render(clinic, side="left")  # the transform lock ignores it: the drawing stays a LEFT hip
    assert data.startswith(b"%PDF")


def test_alt_text_is_the_sheets_own(clinic: Path) -> None:
    header(clinic, '<img src="{{ logo_uri }}" alt="{{ patient.name }} {{ patient.mrn }}" style="width: 10pt">')
    data = render(clinic)
    assert b"Zebediah" not in data and "Zebediah" not in str(PdfReader(io.BytesIO(data)).trailer["/Root"])


def test_wording_that_opens_a_comment_and_swallows_the_consent_is_refused(clinic: Path) -> None:
    (clinic / "content" / "10-riverside.toml").write_text(
        '[[item]]\nid = "after-ice"\ntext.en = "Rest today. <!-- "\ntext.es = "Descanse hoy."\n'
    )
    with pytest.raises(RenderFailed, match="does not show"):
        render(clinic, side="left")


def test_the_builtin_sheets_pass_the_sheet_check_on_every_side_and_language() -> None:
    template_set = load_template_set(None)
    for side in ("left", "right", "bilateral"):
        for language in LANGUAGES:
            selection = dataclasses.replace(make_selection(side=side, name="Wright Leftwich"), language=language)
            rendered = template_set.render_html(selection, GENERATED_AT)
            assert render_pdf(rendered.html, facts=rendered.facts).startswith(b"%PDF")


# -- files and pictures ---------------------------------------------------------------------------------------
def test_a_content_file_linked_from_outside_the_folder_is_refused(clinic: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside.toml"
    outside.write_text('[[item]]\nid = "after-ice"\ntext.en = "SECRET"\ntext.es = "SECRETO"\n')
    (clinic / "content" / "30-link.toml").symlink_to(outside)
    with pytest.raises(ClinicError, match="link to something outside the clinic folder"):
        load_template_set(clinic)


def test_a_template_over_the_size_limit_is_refused_before_loading(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "big.html.j2").write_text("{{ a.b(c) }}" * 30_000)
    with pytest.raises(ClinicError, match="is over 256 KB"):
        load_template_set(clinic)


def test_wording_over_the_length_limit_is_refused(clinic: Path) -> None:
    from handout_app.catalog import CatalogError

    (clinic / "content" / "10-riverside.toml").write_text(
        f'[[item]]\nid = "after-ice"\ntext.en = "{"Rest. " + "{{ a " * 2000}"\ntext.es = "x"\n'
    )
    with pytest.raises(CatalogError, match="at most 4,000 are allowed"):
        load_template_set(clinic)


def test_a_utf16_svg_with_a_doctype_is_refused(clinic: Path) -> None:
    svg = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE svg [<!ENTITY e "RIGHT">]><svg xmlns="http://www.w3.org/2000/svg"><text>&e;</text></svg>'
    (clinic / "assets" / "side.svg").write_bytes("\ufeff".encode("utf-16-le") + svg.encode("utf-16-le"))
    header(clinic, '<img src="assets/side.svg" alt="x">')
    with pytest.raises(RenderFailed, match="not saved as UTF-8"):
        render(clinic)


def test_a_check_that_runs_past_its_budget_is_not_clean(clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import handout_app.check_templates as check

    monkeypatch.setattr(check, "CHECK_BUDGET_S", 3.0)
    out = io.StringIO()
    assert check.run_check(clinic, out) == 2
    assert "sheets were not checked" in out.getvalue() and "Result: clean" not in out.getvalue()


def test_template_problems_in_wording_still_name_the_item(clinic: Path) -> None:
    (clinic / "content" / "10-riverside.toml").write_text(
        '[[item]]\nid = "after-ice"\ntext.en = "{{ clinic.folder }}"\ntext.es = "x"\n'
    )
    with pytest.raises(TemplateProblem, match="after-ice"):
        render(clinic)


def test_a_hard_link_to_an_outside_file_is_refused(clinic: Path, tmp_path: Path) -> None:
    import os

    outside = tmp_path / "secret.txt"
    outside.write_text("SECRET")
    os.link(outside, clinic / "templates" / "partials" / "leak.html.j2")
    with pytest.raises(ClinicError, match="is a hard link"):
        load_template_set(clinic)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        (
            "content/30-f.toml",
            '[[item]]\nid = "x1"\nsection = "risks"\ntitle.en = "X"\ntitle.es = "X"\ntext.en = "X."\n'
            'text.es = "X."\nlikelihood = ["x"]\n',
            "likelihood",
        ),
        ("templates/partials/deep.html.j2", "{{ " + "(" * 3000 + "1" + ")" * 3000 + " }}", "too deeply"),
    ],
)
def test_odd_clinic_files_give_a_plain_message_naming_the_file(
    clinic: Path, name: str, text: str, message: str
) -> None:
    from handout_app.domain import selection_to_dict
    from handout_app.worker import encode_request, handle

    (clinic / name).write_text(text)
    reply, data = handle(
        __import__("json").loads(
            encode_request("x", selection_to_dict(make_selection()), str(clinic), GENERATED_AT.isoformat())
        )
    )
    assert reply["error_kind"] == "set" and message in reply["error"] and data == b""


def test_a_failure_inside_weasyprint_without_words_still_gets_a_message(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A floated ::first-letter in one layout stopped WeasyPrint with a bare AssertionError: the message was
    # "The PDF could not be made: ." and said nothing.
    from handout_app import pdf

    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError

    monkeypatch.setattr(pdf, "_lay_out_once", fail)
    with pytest.raises(RenderFailed, match=r"stopped laying out the page \(AssertionError\)\. A clinic style"):
        render(clinic)


@pytest.mark.parametrize(
    ("css", "message"),
    [
        # The consent without its facts still says "on the side named above": named nowhere near it.
        (".consent-facts { display: none; }", 'the consent on page [0-9]+ does not show "LEFT hip joint injection'),
        (".consent h2 { display: none; }", 'does not show the consent\'s heading "Consent"'),
        # Without the running header, pages after the first never name the side.
        ("@page { @top-left { content: none; } }", 'page [0-9]+ does not show "LEFT"'),
    ],
)
def test_the_consent_and_every_page_keep_the_side(clinic: Path, css: str, message: str) -> None:
    (clinic / "templates" / "clinic.css").write_text(css)
    with pytest.raises(RenderFailed, match=message):
        render(clinic, side="left", number="K7M-XH3-QTH")


@pytest.mark.parametrize(
    ("css", "missing"),
    [
        (".call-list { display: none; }", "You have a fever"),
        (".emergency { visibility: hidden; color: #fff; }", "Get emergency help at once"),
        (".patient-more td { color: #fff; }", "None reported"),
    ],
)
def test_a_style_that_hides_when_to_call_or_the_allergies_is_refused(clinic: Path, css: str, missing: str) -> None:
    (clinic / "templates" / "clinic.css").write_text(css)
    with pytest.raises(RenderFailed, match=f'does not show "{missing}'):
        render(clinic, side="left")


def test_text_in_the_page_margins_on_the_pages_own_background_is_judged_against_it(clinic: Path) -> None:
    # The page's background covers its margins; the root's only the page inside them. Black margins
    # under the black running header: pages after the first never showed the side.
    (clinic / "templates" / "clinic.css").write_text("@page { background: #000; } html { background: #fff; }")
    with pytest.raises(RenderFailed, match=r'page [0-9]+ does not show "LEFT"'):
        render(clinic, side="left")


def test_a_clinic_style_that_takes_the_page_margins_away_is_told_so(clinic: Path) -> None:
    # Found by a fourth reviewer: the footer no longer fits its margin, and the message only said to
    # shorten the clinic's name.
    (clinic / "templates" / "clinic.css").write_text("@page { margin-bottom: 2mm !important; }")
    with pytest.raises(RenderFailed, match=r"too long for the \w+ every page prints.*@page margin, take that out"):
        render(clinic, side="left")


@pytest.mark.parametrize(
    "element",
    [
        '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="44"><text x="0" y="32" font-size="30">'
        "Your RIGHT hip</text></svg>",
        '<object data="assets/logo.svg" type="image/svg+xml"></object>',
        '<embed src="assets/logo.svg" type="image/svg+xml">',
    ],
)
def test_an_element_that_draws_a_picture_of_its_own_is_refused(clinic: Path, element: str) -> None:
    # Found by a fifth reviewer: an inline SVG printed a red "Your RIGHT hip" under the LEFT banner, and one
    # 2 px wide painted a white box with "Your RIGHT hip" over it; no laid-out text showed either.
    header(clinic, element)
    with pytest.raises(
        RenderFailed, match=r"puts a <(svg|object|embed)> element on the page\. Show a picture with <img"
    ):
        render(clinic, side="left")


_BLACK_OUTSIDE = (
    '<rect x="3" y="-400" width="1600" height="2400" fill="#000"/>'
    '<rect x="-1600" y="-400" width="1598" height="2400" fill="#000"/>'
)


@pytest.mark.parametrize(
    "picture",
    [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" viewBox="0 0 2 2">{_BLACK_OUTSIDE}</svg>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2">{_BLACK_OUTSIDE}</svg>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 2 2">{_BLACK_OUTSIDE}</svg>',
        # Found by a sixth reviewer, past the first clip (which wrapped the SVG's content in a nested <svg>):
        f'<svg width="2" height="2" viewBox="0 0 2 2">{_BLACK_OUTSIDE}</svg>',  # no namespace
        '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" transform="translate(-10 -45) scale(100)">'
        f"{_BLACK_OUTSIDE}</svg>",
        '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" viewBox="0 0 2 2">'
        f"<style>svg {{ overflow: visible }} svg svg {{ width: 5000px; height: 5000px }}</style>{_BLACK_OUTSIDE}</svg>",
        '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2" viewBox="0 0 600 6"'
        ' preserveAspectRatio="xMinYMid slice"><rect x="7" width="593" height="6" fill="#000"/></svg>',
    ],
)
def test_a_picture_paints_nothing_outside_its_own_box(clinic: Path, tmp_path: Path, picture: str) -> None:
    """A 2 px SVG whose drawing reaches far beyond it (black over the banner and the risks) while the page's
    boxes show a 2 px picture: it is drawn clipped to its box, so the pages come out as with a picture that
    draws nothing there (all but the footer, whose wording hash names the set's files). The pictures below
    only stay inside their 2 px, where the page is not compared."""
    import subprocess

    from PIL import Image

    pages = {}
    for name, svg in (("veil", picture), ("blank", '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>')):
        (clinic / "assets" / f"{name}.svg").write_text(svg)
        header(clinic, f'<img src="assets/{name}.svg" alt="" style="width: 2px; height: 2px">')
        pdf = tmp_path / f"{name}.pdf"
        pdf.write_bytes(render(clinic, side="left"))
        subprocess.run(
            ["pdftoppm", "-r", "40", "-f", "1", "-l", "3", "-png", str(pdf), str(tmp_path / name)], check=True
        )
        pages[name] = []
        for path in sorted(tmp_path.glob(f"{name}-*.png")):
            with Image.open(path) as page:
                pages[name].append(page.crop((0, 0, page.width, page.height - 40)).tobytes())  # 40 px: 25 mm
    assert len(pages["veil"]) == 3 and pages["veil"] == pages["blank"]


@pytest.mark.parametrize(
    "words",
    [
        "R1GHT",
        "RlGHT",
        "R|GHT",
        "RIG&#x126;T",
        "R.I.G.H.T hip",
        "Your R I G H T HIP",
        "R - I - G - H - T",
        # Found by a sixth reviewer, past the first version of this rule:
        "Your R&#x4CF;GHT hip",
        "YOUR R&#xA7AE;GHT HIP",
        "YOUR RI&#x200A;GHT HIP",
        "R&#x2212;I&#x2212;G&#x2212;H&#x2212;T",
        "Your R&#x407;GHT hip",
    ],
)
def test_the_other_side_spelled_with_look_alike_signs_or_letter_by_letter_is_refused(clinic: Path, words: str) -> None:
    # Found by a fifth reviewer: each read as RIGHT at a glance under the LEFT banner, in 24 pt bold red.
    header(clinic, f'<p class="clinic-tagline">{words}</p>')
    with pytest.raises(RenderFailed, match='the sheet shows the word "RIGHT", the other side'):
        render(clinic, side="left")


@pytest.mark.parametrize(
    "words",
    ["B R I G H T   S M I L E   D E N T A L", "W R I G H T  O R T H O", "R. I. G. Hart, MD", "Points: 1 | 2 | 3"],
)
def test_letter_spaced_capitals_and_initials_that_spell_no_side_print(clinic: Path, words: str) -> None:
    header(clinic, f'<p class="clinic-tagline">{words}</p>')
    assert render(clinic, side="left").startswith(b"%PDF")


def test_a_logo_whose_style_sheet_names_a_side_prints(clinic: Path) -> None:
    # Its class names are no words on the page (a sixth reviewer's logo was refused on every sheet).
    (clinic / "assets" / "logo.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 240 60" width="240" height="60">'
        "<style>.right-side { fill: #0b4f6c } .left-side { fill: #333 }</style>"
        '<text x="10" y="40" class="right-side">Riverside</text></svg>'
    )
    assert render(clinic, side="left").startswith(b"%PDF")
    assert render(clinic, side="right").startswith(b"%PDF")
