"""HTML -> PDF with WeasyPrint and a URL fetcher that only serves allowed folders.

WeasyPrint is imported lazily so that importing this module stays light. Writing the PDF to a file
is `output_files.write_atomically`.
"""

from __future__ import annotations

import base64
import binascii
import gc
import logging
import mimetypes
import os
import re
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from . import resources
from .font_reuse import render_with_kept_fonts
from .picture_clip import clip_pictures_to_their_boxes
from .sheet_check import CSS_PX_PER_MM, PRINTER_INSET_MM, SheetProblem, check_picture_text, check_sheet, svg_text
from .weasyprint_import import import_weasyprint

FONT_TIMESTAMP = "1767225600"  # 2026-01-01: the date written into every embedded font
DEFAULT_VARIANT = "pdf/ua-1"  # tagged, for screen readers
ARCHIVAL_VARIANT = "pdf/a-3a"  # tagged PDF/A, for the clinic's records


def variant_for(archival: bool) -> str:
    """The PDF variant for a selection's `archival` choice."""
    return ARCHIVAL_VARIANT if archival else DEFAULT_VARIANT


@dataclass(frozen=True)
class SheetFacts:
    """What the application itself writes into a PDF after the template has run.

    A clinic's template may put anything in <meta>, headings and links; none of it reaches the PDF's
    metadata, outline or link annotations unless it matches these facts, which hold no patient details.
    """

    title: str = ""
    subject: str = ""
    language: str = "en"
    created: str | None = None
    # Link targets allowed in the PDF, exactly as written: the clinic's own tel:, mailto: and https:.
    links: frozenset[str] = frozenset()
    # Headings the outline (bookmarks) may show: the sheet's own labels and item titles, which hold no
    # patient details. Any other heading (one a template made from the patient's name) is left out.
    outline: tuple[str, ...] = ()
    # What the printed page must show, checked on the laid-out pages (sheet_check.py): the side, the
    # consent, every selected risk; and side words that must not appear (RIGHT on a LEFT sheet).
    required_text: tuple[str, ...] = ()
    forbidden_words: tuple[str, ...] = ()
    forbidden_phrases: tuple[str, ...] = ()
    # The side banner ("Your LEFT hip") page 1 must show in large type, its side word ("LEFT") in capitals.
    side_heading: str = ""
    side_word: str = ""
    large_print: bool = False
    # The paper chosen: its size as CSS names it, which every page is made (paper_css; "" for WeasyPrint's
    # default, A4), and its width and height in mm, which every page must be (None: not checked).
    page_size: str = ""
    page_mm: tuple[float, float] | None = None
    # The consent's heading, and what each page it starts on must show (the procedure, with the side).
    consent_heading: str = ""
    consent_shows: tuple[str, ...] = ()
    # Alternative texts pictures may carry (the drawing's, the aftercare pictures', the logo's).
    alt_texts: frozenset[str] = frozenset()
    neutral_alt: str = "Picture"
    # The document number (document_numbers.py) and the words printed with it at the foot of every
    # page, under "Page X of Y". Empty for a sheet that is never handed out (checks, benchmarks).
    document_number: str = ""
    number_label: str = "Document"
    page_label: str = "Page"
    of_label: str = "of"


def css_quoted(value: str) -> str:
    """Text quoted for a CSS string (content: "..."): quotes, backslashes, '<' and line breaks escaped."""
    escaped = value.replace("\\", "\\5C ").replace('"', "\\22 ").replace("<", "\\3C ").replace("\n", " ")
    return f'"{escaped}"'


def footer_number_css(facts: SheetFacts) -> str:
    """The user style sheet that prints "Page X of Y" and the document number at the foot of every page.

    A user style sheet's !important rules beat every author rule (locks.css), so no clinic template
    or style can drop or change the number; check_sheet then confirms every page shows it.
    """
    page = f"{css_quoted(facts.page_label + ' ')} counter(page) {css_quoted(' ' + facts.of_label + ' ')} counter(pages)"
    number = css_quoted(f"{facts.number_label} {facts.document_number}")
    return (
        "@page { @bottom-right { content: " + page + ' "\\A " ' + number + " !important; white-space: pre !important;"
        # At the top of the margin, level with the footer beside it (1.5 mm down): centred, its second line
        # fell within PRINTER_INSET_MM; 1 mm leaves two large-print lines room in the lowest margin.
        " text-align: right !important; vertical-align: top !important; padding-top: 1mm !important;"
        " color: #000 !important;"
        " transform: none !important; letter-spacing: normal !important; word-spacing: normal !important;"
        " opacity: 1 !important; visibility: visible !important; background: none !important;"
        " font-variant: normal !important; font-feature-settings: normal !important; } }"
    )


def paper_css(page_size: str) -> str:
    """The user style sheet that sets every page to the chosen paper (its CSS size, "A4" or "letter").

    The paper is the app's to set, not the template's: the HTML is then the same on both papers (so
    check-templates need not make it twice, check_plan.py), and as a user !important rule no clinic
    style can give a page another size (check_sheet still confirms every page's size)."""
    return f"@page {{ size: {page_size} !important; }}"


def heading_key(text: str) -> str:
    """A heading as the outline check compares it: runs of white space made one space."""
    return " ".join(text.split())


# Elements that draw a picture of their own, with no URL for the fetcher to check: an inline <svg> printed
# "Your RIGHT hip" under the banner where no laid-out text showed it. A sheet's pictures are <img> elements,
# whose files the fetcher checks (their SVG text too) and which are drawn clipped to their box (picture_clip.py).
_DRAWING_ELEMENTS = ("svg", "object", "embed", "canvas", "video", "audio", "iframe")


def _refuse_drawing_elements(html_document: Any) -> None:
    """Raise RenderFailed when the page holds an element that draws a picture of its own."""
    for element in html_document.etree_element.iter():
        tag = element.tag.rsplit("}", 1)[-1].lower() if isinstance(element.tag, str) else ""
        if tag in _DRAWING_ELEMENTS:
            raise RenderFailed(
                f"The sheet was not made: a template puts a <{tag}> element on the page. Show a picture with "
                '<img src="assets/..."> instead (PNG, JPEG or SVG).'
            )


def _replace_alt_texts(html_document: Any, facts: SheetFacts) -> None:
    """A picture's alternative text (read aloud, and kept in the tagged PDF) must be one of the sheet's
    own: a template's other alt text, which could hold the patient's details or the other side, is
    replaced by a neutral word."""
    for element in html_document.etree_element.iter():
        alt = element.get("alt")
        if alt is not None and heading_key(alt) not in facts.alt_texts:
            element.set("alt", facts.neutral_alt)


def _keep_outline(document: Any, outline: tuple[str, ...]) -> None:
    """Keep only the sheet's own section headings in the outline, each once and in the sheet's order:
    which headings appear, and in what order, is then no place to hide anything."""
    position = -1
    for page in document.pages:
        kept = []
        for mark in page.bookmarks:
            label = heading_key(mark[1])
            if label in outline and outline.index(label) > position:
                position = outline.index(label)
                kept.append((1, label, mark[2], mark[3]))
        page.bookmarks = kept


def _apply_facts(document: Any, facts: SheetFacts) -> None:
    """Replace the document's metadata, links, named destinations and outline with the app's own."""
    from . import __version__

    document.metadata = type(document.metadata)(
        title=facts.title or None,
        description=facts.subject or None,
        lang=facts.language,
        generator=f"handout-app {__version__}",
        created=facts.created,
        modified=facts.created,
    )  # no authors, keywords, custom fields, XMP extras or attachments, whatever the template said
    for page in document.pages:
        # A link survives only if its target is exactly one the clinic gave: a tel: link with the
        # patient's name after a ';', or a web page with text appended, is dropped.
        page.links = [link for link in page.links if link[0] == "external" and link[1] in facts.links]
        page.anchors = {}  # an id="..." would become a named destination: a place for hidden text
        page.forms = {None: []}  # <input>, <select>, <textarea> would become form fields named anything
    _keep_outline(document, facts.outline)


class RenderFailed(RuntimeError):
    """WeasyPrint could not make the PDF; the message says why in plain words."""


def allowed_roots(extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Folders the renderer may read: built-in templates and assets, the font package, plus `extra`."""
    roots = [
        resources.templates_dir(),
        resources.assets_dir(),
        resources.font_dir(),
        resources.fallback_font_dir(),
        *extra,
    ]
    return tuple(Path(os.path.realpath(r)) for r in roots)


def resolve_allowed(url: str, roots: tuple[Path, ...]) -> Path:
    """The real path behind a file:// URL if it is a regular file inside `roots`; else ValueError."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "file":
        raise ValueError(f"Refused to load '{url}': only the application's own files may be used.")
    if parsed.netloc not in ("", "localhost"):
        raise ValueError(f"Refused to load '{url}': network and shared-drive addresses are not allowed.")
    real = Path(os.path.realpath(urllib.request.url2pathname(parsed.path)))
    if not any(real.is_relative_to(root) for root in roots):
        raise ValueError(f"Refused to load '{url}': it is outside the template and asset folders.")
    if not real.is_file():
        raise ValueError(f"Refused to load '{url}': it is not a readable file.")
    return real


DATA_URL_TYPES = ("image/svg+xml", "image/png", "image/jpeg")
MAX_FETCHED_BYTES = 8 * 1024 * 1024  # fonts are the largest files a sheet uses (under 1 MB each)
MAX_DATA_URL_BYTES = 2 * 1024 * 1024


def decode_data_url(url: str) -> tuple[str, bytes]:
    """The type and bytes of a base64 `data:` picture (the hip diagram is one); else ValueError.

    Reading one needs no file or network, so it is safe; only pictures within a size limit pass.
    """
    header, _, payload = url.partition(",")
    content_type = header.removeprefix("data:").removesuffix(";base64")
    if not header.endswith(";base64") or content_type not in DATA_URL_TYPES:
        raise ValueError(f"Refused to load '{url[:60]}...': only base64 PNG, JPEG or SVG pictures may be embedded.")
    if len(payload) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
        raise ValueError("Refused to load an embedded picture over 2 MB.")
    try:
        return content_type, base64.b64decode(payload, validate=True)
    except binascii.Error:
        raise ValueError("Refused to load an embedded picture that is not valid base64.") from None


def _make_fetcher(roots: tuple[Path, ...]) -> Any:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    bundled_fonts = {Path(os.path.realpath(font)) for font in resources.font_files()}

    # WeasyPrint ships no types, so URLFetcher is Any to mypy; subclassing it is the documented way to fetch.
    class RestrictedFetcher(URLFetcher):  # type: ignore[misc]
        """Serves files from the allowed folders only; anything else stops the render. Keeps the text of
        every SVG picture it serves, for the other-side check (sheet_check.check_picture_text)."""

        picture_texts: list[str]

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                try:
                    content_type, data = decode_data_url(url)
                except ValueError as exc:
                    raise FatalURLFetchingError(str(exc)) from None
                _check_picture(data, content_type, "an embedded picture")
                self._keep_text(data, content_type)
                return URLFetcherResponse(url[:64], data, headers={"Content-Type": content_type})
            try:
                path = resolve_allowed(url, roots)
            except ValueError as exc:
                # Fatal, so a refused resource is an error the user sees, never a silently missing image.
                raise FatalURLFetchingError(str(exc)) from None
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if path.stat().st_size > MAX_FETCHED_BYTES:
                raise FatalURLFetchingError(
                    f"Refused to load '{path.name}': it is over {MAX_FETCHED_BYTES // (1024 * 1024)} MB."
                )
            if path not in bundled_fonts and path.suffix.lower() != ".css" and not content_type.startswith("image/"):
                # Pictures, style sheets and the handout's own fonts only: a font of the clinic's (whatever
                # its file is called) could draw "RIGHT" where the text says LEFT, with a ligature.
                raise FatalURLFetchingError(
                    f"Refused to load '{path.name}': a sheet may use pictures (PNG, JPEG, SVG), style sheets "
                    "and the handout's own fonts only."
                )
            data = path.read_bytes()
            if content_type.startswith("image/"):
                _check_picture(data, content_type, f"'{path.name}'")
                self._keep_text(data, content_type)
            return URLFetcherResponse(path.as_uri(), data, headers={"Content-Type": content_type})

        def _keep_text(self, data: bytes, content_type: str) -> None:
            if content_type == "image/svg+xml":
                self.picture_texts.append(svg_text(data))

    def _check_picture(data: bytes, content_type: str, name: str) -> None:
        from .logo import PICTURE_TYPES, LogoError, check_picture

        try:
            if content_type not in PICTURE_TYPES:
                raise LogoError("is not a PNG, JPEG or SVG picture.")
            check_picture(data, PICTURE_TYPES[content_type])
        except LogoError as exc:
            raise FatalURLFetchingError(f"Refused to load {name}: it {exc}") from None

    fetcher = RestrictedFetcher()
    fetcher.picture_texts = []
    return fetcher


class _WarningCollector(logging.Handler):
    """Collects WeasyPrint's warnings so a render with any warning fails instead of printing wrong."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class MadePdf(NamedTuple):
    """A sheet's PDF bytes and its number of pages (for the record store, which would otherwise parse it)."""

    data: bytes
    pages: int


def make_pdf(
    html: str,
    *,
    facts: SheetFacts = SheetFacts(),
    base_dir: Path | None = None,
    extra_roots: Iterable[Path] = (),
    variant: str = DEFAULT_VARIANT,
) -> MadePdf:
    """Render HTML to tagged PDF bytes, with the page count. Raises RenderFailed on any fetch refusal or
    WeasyPrint warning.

    The PDF's metadata, links and outline come from `facts`, never from the HTML (see SheetFacts).
    """
    pdf, document = _render(html, facts, base_dir, extra_roots, variant, write=True)
    return MadePdf(pdf, len(document.pages))


def render_pdf(
    html: str,
    *,
    facts: SheetFacts = SheetFacts(),
    base_dir: Path | None = None,
    extra_roots: Iterable[Path] = (),
    variant: str = DEFAULT_VARIANT,
) -> bytes:
    """make_pdf's bytes alone."""
    return make_pdf(html, facts=facts, base_dir=base_dir, extra_roots=extra_roots, variant=variant).data


def lay_out(
    html: str,
    *,
    facts: SheetFacts = SheetFacts(),
    base_dir: Path | None = None,
    extra_roots: Iterable[Path] = (),
    variant: str = DEFAULT_VARIANT,
) -> Any:
    """WeasyPrint's laid-out document of the sheet `render_pdf` would make, with the same checks, but no PDF
    written (a quarter of the work): for page statistics (layout_stats.py) and the length tests."""
    _, document = _render(html, facts, base_dir, extra_roots, variant, write=False)
    return document


# handout.html.j2's body classes that size a page margin for its running text, each from the smallest
# margin to the tallest, with the margin boxes they size. The template estimates which one the text needs;
# a laid-out header or footer that still leaves its margin takes the next.
_MARGIN_CLASSES = (
    (("@top-left",), "header", ("short", "tall", "taller")),  # the header: patient, date of birth, procedure
    # the footer: clinic, wording, sign-off, time; beside it "Page X of Y" and the document number
    (("@bottom-left", "@bottom-right"), "footer", ("short", "long", "longer")),
)
# What to shorten when even the tallest margin cannot hold a header or footer (a very long clinic name).
# A clinic style that narrows the page's margins (@page { margin: 0 }) ends here too: the message says so.
_TOO_LONG = {
    "header": (
        "the patient's name is too long for the header every page prints; shorten it (or, where the clinic's "
        "styles set the pages' top margin, @page margin, take that out)"
    ),
    "footer": (
        "the clinic's name and the wording's sign-off are too long for the footer every page prints; "
        "shorten the name in clinic.toml (or, where the clinic's styles set the pages' bottom margin, "
        "@page margin, take that out)"
    ),
}


def _leaves_its_margin(document: Any, keywords: tuple[str, ...]) -> bool:
    """True when a line of a page's margin boxes (`@top-left`: the running header, `@bottom-left`: the footer)
    lies outside that box or within PRINTER_INSET_MM of the paper's edge: a header's first line, the
    patient's name, where the printer cannot print it, or a footer's lines over the text or off the print."""
    from weasyprint.formatting_structure.boxes import LineBox, MarginBox

    def lines(box: Any) -> Iterable[Any]:
        if isinstance(box, LineBox):
            yield box
        for child in box.all_children():
            yield from lines(child)

    slack = 0.5  # CSS px: rounding, not overflow
    inset = PRINTER_INSET_MM * CSS_PX_PER_MM  # no line of the header or footer, the patient's name among them
    return any(
        line.position_y < max(margin.position_y, inset) - slack
        or line.position_y + line.height > min(margin.position_y + margin.margin_height(), page.height - inset) + slack
        for page in document.pages
        for margin in page._page_box.children  # WeasyPrint exposes no public box tree
        if isinstance(margin, MarginBox) and margin.at_keyword in keywords
        for line in lines(margin)
    )


def _roomier(html: str, document: Any) -> str | None:
    """The same HTML with the next taller margin for the first header or footer that leaves its margin, or
    None when none does (or the page template has none of these classes). Raises RenderFailed when one
    leaves even the tallest: a sheet whose header or footer the printer would cut is not made."""
    for keywords, name, sizes in _MARGIN_CLASSES:
        match = re.search(rf'(<body class="[^"]*\b{name}-)({"|".join(sizes)})\b', html)
        if match is not None and _leaves_its_margin(document, keywords):
            if match.group(2) == sizes[-1]:
                raise RenderFailed(f"The sheet was not made: {_TOO_LONG[name]}.")
            following = sizes[sizes.index(match.group(2)) + 1]
            return html[: match.start(2)] + following + html[match.end(2) :]
    return None


def _lay_out_once(html_document: Any, user_sheets: list[Any], variant: str, collector: _WarningCollector) -> Any:
    """WeasyPrint's layout of one HTML document, with the font configuration kept from the last sheet."""
    before = len(collector.messages)

    def lay_out(fonts: Any) -> Any:
        del collector.messages[before:]  # a try given up for a fresh configuration leaves no warning behind
        return html_document.render(
            stylesheets=user_sheets, pdf_variant=variant, uncompressed_pdf=False, font_config=fonts
        )

    return render_with_kept_fonts(lay_out)


def _render(
    html: str, facts: SheetFacts, base_dir: Path | None, extra_roots: Iterable[Path], variant: str, *, write: bool
) -> tuple[bytes, Any]:
    weasyprint = import_weasyprint()
    from weasyprint.urls import FatalURLFetchingError

    clip_pictures_to_their_boxes()  # a picture paints only inside its box, where the sheet check sees it

    # fontTools stamps the fallback font it cuts down with the current time unless this is set, so the
    # same sheet would differ byte for byte from one second to the next (Greek or Cyrillic names).
    os.environ.setdefault("SOURCE_DATE_EPOCH", FONT_TIMESTAMP)
    roots = allowed_roots(extra_roots)
    base = (base_dir or resources.templates_dir()).resolve()
    collector = _WarningCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        fetcher = _make_fetcher(roots)
        html_document = weasyprint.HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher)
        _refuse_drawing_elements(html_document)
        _replace_alt_texts(html_document, facts)
        user_sheets = [weasyprint.CSS(filename=str(resources.templates_dir() / "locks.css"), url_fetcher=fetcher)]
        if facts.page_size:
            user_sheets.append(weasyprint.CSS(string=paper_css(facts.page_size), url_fetcher=fetcher))
        if facts.document_number:
            user_sheets.append(weasyprint.CSS(string=footer_number_css(facts), url_fetcher=fetcher))
        document = _lay_out_once(html_document, user_sheets, variant, collector)
        while (roomier := _roomier(html, document)) is not None:
            # The template chose the margins from the header's and footer's lengths; one needs more lines.
            html = roomier
            html_document = weasyprint.HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher)
            _replace_alt_texts(html_document, facts)
            document = _lay_out_once(html_document, user_sheets, variant, collector)
        # The app writes the metadata, links and outline itself: a template's <meta name=author>,
        # a heading holding the patient's name or a link carrying it never reach the PDF, and no
        # file is ever embedded (<link rel=attachment> could otherwise attach any file it can name).
        _apply_facts(document, facts)
        number_shown = (f"{facts.number_label} {facts.document_number}",) if facts.document_number else ()
        side_shown = (facts.side_word,) if facts.side_word else ()  # the banner on page 1, the header after
        check_sheet(
            document,
            facts.required_text,
            facts.forbidden_words,
            facts.forbidden_phrases,
            every_page=side_shown + number_shown,
            only_number=facts.document_number,
            side_heading=facts.side_heading,
            side_word=facts.side_word,
            large_print=facts.large_print,
            page_mm=facts.page_mm,
            consent_heading=facts.consent_heading,
            consent_shows=facts.consent_shows,
        )
        pdf = b""
        with warnings.catch_warnings():
            # WeasyPrint's PDF/A output opens its sRGB profile and leaves closing it to the garbage
            # collector (REFERENCE: "unclosed ICC file"); collect it here, where that one warning is expected.
            warnings.filterwarnings("ignore", category=ResourceWarning, message=r"unclosed file .*\.icc")
            if write:
                pdf = document.write_pdf(pdf_variant=variant, uncompressed_pdf=False)
            if write and variant.startswith("pdf/a"):
                gc.collect()  # only PDF/A opens the profile; other sheets leave collecting to the worker's idle time
        # After writing: a picture nested in an SVG is read only while the PDF is written.
        check_picture_text(fetcher.picture_texts, facts.forbidden_words, facts.forbidden_phrases)
    except FatalURLFetchingError as exc:
        raise RenderFailed(str(exc)) from None
    except SheetProblem as exc:
        raise RenderFailed(f"The sheet was not made: {exc}") from None
    except (RenderFailed, MemoryError):
        raise  # a refused sheet says why itself; running out of memory is the worker's limit to report
    except RecursionError:
        raise RenderFailed("The PDF could not be made: the page's styles or elements nest too deeply.") from None
    except Exception as exc:  # WeasyPrint raises many types; the user needs one plain message.
        # Some carry no text (an AssertionError inside WeasyPrint's float layout, met with a floated
        # ::first-letter): the message then names the kind of failure and where to look.
        raise RenderFailed(
            f"The PDF could not be made: {exc}."
            if str(exc)
            else f"The PDF could not be made: WeasyPrint stopped laying out the page ({type(exc).__name__}). "
            "A clinic style (a float, a ::first-letter) can cause this: undo the latest style change."
        ) from exc
    finally:
        logger.removeHandler(collector)
    if collector.messages:
        raise RenderFailed("The PDF could not be made cleanly: " + "; ".join(collector.messages))
    assert isinstance(pdf, bytes)
    return pdf, document
