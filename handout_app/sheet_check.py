"""The last look before a sheet becomes a PDF: does the laid-out page say what the selection says?

A clinic's template or style sheet can change what is printed without any template error: hide the
risk table, cut the consent off with an unclosed comment, add "Your RIGHT hip" with CSS `::after`
on a LEFT sheet, or draw words in a font of its own. So every render, in every caller, checks the
text WeasyPrint actually laid out, before any byte is written:
- the side the nurse chose, the consent, every selected risk, the allergies and when to call are on the pages;
- page 1 shows the side banner ("Your LEFT hip") whole and large: a clinic's style may restyle it, but not
  hide it (display, ::first-line, a white ::first-letter), shrink it, break it up or set the side word in
  small letters; every page shows the side and is the paper the nurse chose; the page the consent starts
  on shows the procedure with its side;
- "readable" takes in what is painted behind and over the text: backgrounds (an ancestor's or another
  box's, half-transparent ones blended), pictures and other text, and the strip a printer cannot print;
- the opposite side's word (RIGHT on a LEFT sheet, in any of the handout's languages) is not, not
  even hidden, split across elements or written with look-alike letters;
- every piece of text is set in the handout's own fonts, so no font of the clinic's can draw
  different words than the text says, and no font name can carry the patient's details.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# The only font families the handout prints with (templates/handout.css, @font-face in handout.html.j2).
HANDOUT_FONT_FAMILIES = frozenset({"Handout Sans", "Handout Sans Fallback"})
# Below this size (in CSS px; 8 px = 6 pt) text is not something a patient can read.
MIN_READABLE_PX = 8.0
# The side banner on page 1 is large: at least this size in points in the standard and the large-print
# edition (the handout sets it in 18 and 28 pt), and this many times the size most of the sheet is set in.
SIDE_HEADING_MIN_PT = {False: 16.0, True: 24.0}
SIDE_HEADING_SCALE = 1.25
_CSS_PX_PER_PT = 96 / 72

# Greek and Cyrillic capitals that look like Latin ones: "RІGHT" with a Cyrillic І is still RIGHT.
_LOOK_ALIKES = str.maketrans(
    {
        "А": "A",
        "В": "B",
        "Е": "E",
        "Ѕ": "S",
        "І": "I",
        "Ј": "J",
        "К": "K",
        "М": "M",
        "Н": "H",
        "О": "O",
        "Р": "P",
        "С": "C",
        "Т": "T",
        "Х": "X",
        "Ү": "Y",
        "Ԁ": "D",
        "Ԍ": "G",
        "Ӏ": "I",
        "Α": "A",
        "Β": "B",
        "Ε": "E",
        "Ζ": "Z",
        "Η": "H",
        "Ι": "I",
        "Κ": "K",
        "Μ": "M",
        "Ν": "N",
        "Ο": "O",
        "Ρ": "P",
        "Τ": "T",
        "Υ": "Y",
        "Χ": "X",
        # Signs and letters read as the capital beside them in a word in capitals: "R1GHT", "RlGHT", "R|GHT",
        # "RIGĦT" (NFKD leaves these whole).
        "1": "I",
        "l": "I",
        "|": "I",
        "ǀ": "I",
        "ı": "I",
        "Ɩ": "I",
        "Ɨ": "I",
        "ӏ": "I",
        "Ɪ": "I",
        "ɩ": "I",
        "Ħ": "H",
        "Ң": "H",
        "Ŧ": "T",
        "Ʀ": "R",
        "Ɍ": "R",
        "ꟻ": "F",
        # Latin small capitals look like capitals too.
        "ᴀ": "A",
        "ʙ": "B",
        "ᴄ": "C",
        "ᴅ": "D",
        "ᴇ": "E",
        "ꜰ": "F",
        "ɢ": "G",
        "ʜ": "H",
        "ɪ": "I",
        "ᴊ": "J",
        "ᴋ": "K",
        "ʟ": "L",
        "ᴍ": "M",
        "ɴ": "N",
        "ᴏ": "O",
        "ᴘ": "P",
        "ʀ": "R",
        "ꜱ": "S",
        "ᴛ": "T",
        "ᴜ": "U",
        "ᴠ": "V",
        "ᴡ": "W",
        "ʏ": "Y",
        "ᴢ": "Z",
    }
)
# Anything that reads as a document number ("K7M-XH3-QTH", document_numbers.py), dashes of any kind.
_DOCUMENT_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[0-9A-Z]{3}[-\u2010\u2011\u2012\u2013\u2212 "
    r"][0-9A-Z]{3}[-\u2010\u2011\u2012\u2013\u2212 ][0-9A-Z]{3}(?![0-9A-Za-z])"
)
# Text on the page must stand out from what is behind it (WCAG's large-text minimum).
MIN_CONTRAST = 3.0

# Printers leave the outer 4 to 5 mm of a sheet blank (laser printers 4.2 mm, many inkjets 5 mm at the foot):
# text there may not be printed at all.
PRINTER_INSET_MM = 5.0
CSS_PX_PER_MM = 96 / 25.4
# Two pieces of text overlapping by more than this share of the smaller one print over each other.
MAX_TEXT_OVERLAP = 0.2


# Between the letters of a word in capitals: any white space, or none ("RI GHT").
_SPACES = r"\s*"
# Spaces narrower than a word space: "RI" + a hair space + "GHT" reads as RIGHT.
_NARROW_SPACES = re.compile("[\u2006\u2008\u2009\u200a\u202f\u205f]")
# A word spelled out one letter at a time, apart by spaces or signs ("R.I.G.H.T", "R − I − G − H − T").
_LETTER_GAP = r"[\s.,·•*_/:;'’~+=\-\u2010-\u2015\u2212]+"
_LETTER_RUN = re.compile(rf"(?<![A-Za-z])[A-Za-z](?![A-Za-z])(?:{_LETTER_GAP}[A-Za-z](?![A-Za-z]))+")


class SheetProblem(ValueError):
    """The laid-out sheet does not say what the selection says; the message names what is wrong."""


def _squash(text: str) -> str:
    """Text as the presence check compares it: no white space, soft hyphens or hyphens, NFKC."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\u00ad\u2010\u2011-]+", "", text)


def _skeleton(text: str) -> str:
    """Capital letters as the forbidden-word check compares them: look-alikes made Latin (also those an
    accent hid: Cyrillic Ї), accents off, and the narrow spaces that split a word in capitals taken out."""
    text = _NARROW_SPACES.sub("", text)  # before NFKC, which makes them word spaces
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).translate(_LOOK_ALIKES))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).translate(_LOOK_ALIKES)


_Rgb = tuple[float, float, float]
_Rect = tuple[float, float, float, float]  # left, top, right, bottom in CSS px
_WHITE: _Rgb = (1.0, 1.0, 1.0)


# CSS Color 4's matrices: XYZ (D50) to XYZ (D65) by the Bradford transform, and XYZ (D65) to linear sRGB.
_D50_TO_D65 = (
    (0.955473421488075, -0.02309845494876471, 0.06325924320057072),
    (-0.0283697093338637, 1.0099953980813041, 0.021041441191917323),
    (0.012314014864481998, -0.020507649298898964, 1.330365926242124),
)
_XYZ_TO_LINEAR_SRGB = (
    (3.2409699419045226, -1.537383177570094, -0.4986107602930034),
    (-0.9692436362808796, 1.8759675015077202, 0.04155505740717559),
    (0.05563007969699366, -0.20397695888897652, 1.0569715142428786),
)


def _times(matrix: tuple[_Rgb, _Rgb, _Rgb], vector: Iterable[float]) -> _Rgb:
    x, y, z = vector
    first, second, third = (row[0] * x + row[1] * y + row[2] * z for row in matrix)
    return first, second, third


def _srgb(color: Any) -> _Rgb:
    """A tinycss2 colour's sRGB coordinates. tinycss2 turns only hsl() and hwb() into sRGB; lab(), lch(),
    oklab() and oklch() (which WeasyPrint prints) are taken through XYZ here, as CSS Color 4 does. Raises
    SheetProblem for a colour space the check cannot read (display-p3 and the like), rather than guessing."""
    linear: Iterable[float]
    if color.space in ("srgb", "hsl", "hwb"):
        red, green, blue = color.to("srgb").coordinates[:3]
        return red, green, blue
    if color.space == "srgb-linear":
        linear = color.coordinates[:3]
    elif color.space in ("lab", "lch", "xyz-d50"):
        linear = _times(_XYZ_TO_LINEAR_SRGB, _times(_D50_TO_D65, color.to("xyz-d50").coordinates[:3]))
    elif color.space in ("oklab", "oklch", "xyz-d65"):
        linear = _times(_XYZ_TO_LINEAR_SRGB, color.to("xyz-d65").coordinates[:3])
    else:
        raise SheetProblem(
            f"a colour is given in the {color.space} colour space, which the check cannot compare; give it as "
            "#rrggbb, rgb(), hsl(), lab() or oklch() in the clinic's styles"
        )

    def encoded(value: float) -> float:
        value = min(1.0, max(0.0, value))  # out of the sRGB gamut: the nearest colour a printer can make
        return 12.92 * value if value <= 0.0031308 else 1.055 * value ** (1 / 2.4) - 0.055

    red, green, blue = (encoded(value) for value in linear)
    return red, green, blue


def _over(color: Any, backdrop: _Rgb) -> _Rgb:
    """`color`, a tinycss2 colour in any colour space, painted with its alpha over `backdrop`."""
    alpha = float(color.alpha)

    def mix(top: float, bottom: float) -> float:
        return alpha * min(1.0, max(0.0, float(top))) + (1 - alpha) * bottom

    red, green, blue = _srgb(color)
    return mix(red, backdrop[0]), mix(green, backdrop[1]), mix(blue, backdrop[2])


def _luminance(rgb: _Rgb) -> float:
    def channel(value: float) -> float:
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = rgb
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(one: _Rgb, other: _Rgb) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _overlap(one: _Rect, other: _Rect) -> float:
    """The area two rectangles share."""
    width = min(one[2], other[2]) - max(one[0], other[0])
    height = min(one[3], other[3]) - max(one[1], other[1])
    return width * height if width > 0 and height > 0 else 0.0


def _area(rect: _Rect) -> float:
    return max(0.0, rect[2] - rect[0]) * max(0.0, rect[3] - rect[1])


@dataclass(frozen=True)
class _Paint:
    """A background or a picture on the page: where it is painted in the page's painting order."""

    order: int  # the box's place in the box tree (the painting order within each layer)
    rect: _Rect
    color: Any  # the background colour; None for a picture
    inline: bool  # painted with the text, in tree order (an inline box), not before all of it (a block)
    atomic: bool = False  # inside a float or an inline-block, painted whole before in-flow inline boxes


def _page_text(page: Any) -> Iterable[tuple[Any, bool, bool]]:
    """Every text box on one page, with whether a reader could see it: big enough, visible, opaque enough,
    standing out from what is painted behind it, with nothing painted over it (a later inline, floated or
    inline-block background or border, a picture, other text), and inside the area a printer prints; and
    whether it is in a page margin (the running header and footer)."""
    from weasyprint.formatting_structure.boxes import (
        AtomicInlineLevelBox,
        FootnoteAreaBox,
        InlineLevelBox,
        MarginBox,
        PageBox,
        ReplacedBox,
        TableBox,
        TableColumnBox,
        TableColumnGroupBox,
        TextBox,
    )

    texts: list[tuple[int, Any, bool, _Rect]] = []  # tree order, box, opaque and not struck out, where
    in_margins: set[int] = set()  # the orders of the text boxes in a page margin
    in_atomic: set[int] = set()  # the orders of the text boxes in a float or an inline-block
    whole_page = (0.0, 0.0, float(page.width), float(page.height))
    page_area = whole_page  # inside the page margins: the page box's border box
    root_has_background = False
    paints: list[_Paint] = []

    def walk(box: Any, opacity: float, struck: bool, atomic: bool, later: int, table: int) -> None:
        nonlocal root_has_background, page_area
        opacity *= float(box.style["opacity"])
        # Struck-out text reads as withdrawn ("Your ~~LEFT~~ hip"); a line-through drawn on a box crosses
        # the text of every box inside it.
        struck = struck or "line-through" in box.style["text_decoration_line"]
        # Page margins and the footnote area are painted after the page's content: over it.
        later = _PAINTED_LATER if isinstance(box, (MarginBox, FootnoteAreaBox)) else later
        order = later + len(texts) + len(paints)
        if isinstance(box, TextBox):
            x, y = box.position_x, box.position_y
            texts.append((order, box, opacity > 0.5 and not struck, (x, y, x + box.width, y + box.height)))
            if later:
                in_margins.add(order)
            if atomic:
                in_atomic.add(order)
            return
        # A float or an inline-block is painted whole, background to text, in tree order among the text.
        atomic = atomic or box.is_floated() or isinstance(box, AtomicInlineLevelBox)
        inline = atomic or isinstance(box, InlineLevelBox) or bool(later)
        x, y = box.border_box_x(), box.border_box_y()
        width, height = box.border_width(), box.border_height()
        rect = (x, y, x + width, y + height)
        color = box.style["background_color"]
        painted = color is not None and color.alpha > 0
        # The page's background covers the whole paper (margins too); the root's, or the body's when the
        # root has none, covers the page inside the margins, whatever the size of its own box.
        if isinstance(box, PageBox):
            page_area, rect = rect, whole_page
        elif box.element_tag == "html" and not later:
            rect, root_has_background = page_area, painted
        elif box.element_tag == "body" and not later and not root_has_background:
            rect = page_area
        # A table's columns are painted under its rows and cells, though the box tree lists them after.
        paint_order = table if isinstance(box, (TableColumnBox, TableColumnGroupBox)) else order
        table = order if isinstance(box, TableBox) else table
        if isinstance(box, ReplacedBox):
            paints.append(_Paint(order, rect, None, inline, atomic))
        elif painted and _area(rect) > 0:
            paints.append(_Paint(paint_order, rect, color, inline, atomic))
        for side, strip in _border_strips(box, rect):
            color = box.style[f"border_{side}_color"]
            color = box.style["color"] if color == "currentcolor" else color
            if color.alpha > 0:
                paints.append(_Paint(paint_order, strip, color, inline, atomic))
        for child in box.all_children():
            walk(child, opacity, struck, atomic, later, table)

    walk(page._page_box, 1.0, False, False, 0, 0)  # WeasyPrint exposes no public box tree
    # Blocks' backgrounds and borders are all painted before any text, in tree order; the rest with the text.
    bands: dict[int, list[_Paint]] = {}
    for paint in sorted((p for p in paints if p.color is not None), key=lambda p: (p.inline, p.order)):
        for band in range(int(paint.rect[1] // _BAND_PX), int(paint.rect[3] // _BAND_PX) + 1):
            bands.setdefault(band, []).append(paint)
    pictures = [p.rect for p in paints if p.color is None]
    inset = PRINTER_INSET_MM * CSS_PX_PER_MM - 0.5  # half a pixel: rounding, not overflow
    overprinted = _overprinted([rect for _, box, _, rect in texts if box.text.strip()])
    solid = iter(overprinted)
    for order, box, clear, rect in texts:
        hidden = bool(box.text.strip()) and next(solid)
        centre_x, centre_y = (rect[0] + rect[2]) / 2, (rect[1] + rect[3]) / 2
        backdrop = _WHITE
        for paint in bands.get(int(centre_y // _BAND_PX), ()):
            left, top, right, bottom = paint.rect
            if left <= centre_x <= right and top <= centre_y <= bottom:
                # Painted over the text: a later inline box, or any in-flow inline box over a float's text.
                if paint.inline and (paint.order > order or (order in in_atomic and not paint.atomic)):
                    hidden = hidden or paint.color.alpha > 0.5
                else:
                    backdrop = _over(paint.color, backdrop)
        color = box.style["color"]
        yield (
            box,
            (
                clear
                and not hidden
                and box.style["visibility"] == "visible"
                and float(box.style["font_size"]) >= MIN_READABLE_PX
                and color.alpha > 0.5
                and _contrast(_over(color, backdrop), backdrop) >= MIN_CONTRAST
                and not any(_overlap(rect, picture) > MAX_TEXT_OVERLAP * _area(rect) for picture in pictures)
                and rect[0] >= inset
                and rect[1] >= inset
                and rect[2] <= page.width - inset
                and rect[3] <= page.height - inset
            ),
            order in in_margins,
        )


# Paints are looked up by the horizontal band of the page they reach into, this many CSS px high.
_BAND_PX = 64
# Added to the painting order of what is in the page margins and the footnote area: painted after the rest.
_PAINTED_LATER = 1_000_000


def _border_strips(box: Any, rect: _Rect) -> Iterable[tuple[str, _Rect]]:
    """Each drawn side of a box's border, with the strip of the page it covers."""
    left, top, right, bottom = rect
    widths = {
        "top": box.border_top_width,
        "bottom": box.border_bottom_width,
        "left": box.border_left_width,
        "right": box.border_right_width,
    }
    strips = {
        "top": (left, top, right, top + widths["top"]),
        "bottom": (left, bottom - widths["bottom"], right, bottom),
        "left": (left, top, left + widths["left"], bottom),
        "right": (right - widths["right"], top, right, bottom),
    }
    for side, width in widths.items():
        if width and box.style[f"border_{side}_style"] not in ("none", "hidden"):
            yield side, strips[side]


def _overprinted(rects: list[_Rect]) -> list[bool]:
    """For each rectangle of text, whether other text is printed over it (they share more than
    MAX_TEXT_OVERLAP of the smaller one's area)."""
    hit = [False] * len(rects)
    by_top = sorted(range(len(rects)), key=lambda index: rects[index][1])
    for place, one in enumerate(by_top):
        for other in by_top[place + 1 :]:
            if rects[other][1] >= rects[one][3]:
                break  # this and every later one start below it
            shared = _overlap(rects[one], rects[other])
            if shared and shared > MAX_TEXT_OVERLAP * min(_area(rects[one]), _area(rects[other])):
                hit[one] = hit[other] = True
    return hit


def _text_boxes(document: Any) -> Iterable[tuple[int, Any, bool, bool]]:
    """Every text box on every page, with its page's index, whether a reader could see it and whether it is
    in a page margin (_page_text)."""
    for index, page in enumerate(document.pages):
        for box, readable, in_margin in _page_text(page):
            yield index, box, readable, in_margin


def check_sheet(
    document: Any,
    required_text: Iterable[str],
    forbidden_words: Iterable[str],
    forbidden_phrases: Iterable[str] = (),
    every_page: Iterable[str] = (),
    only_number: str = "",
    side_heading: str = "",
    side_word: str = "",
    large_print: bool = False,
    page_mm: tuple[float, float] | None = None,
    consent_heading: str = "",
    consent_shows: Iterable[str] = (),
) -> None:
    """Raise SheetProblem unless the laid-out `document` shows every required text (and each of
    `every_page` on every page), no forbidden side word or phrase anywhere, only characters the
    handout's fonts print, and only those fonts. With `only_number`, no other document number may
    appear anywhere (a style could print a second, false one). With `side_heading`, page 1 must show
    it whole and large (_check_side_heading), with `side_word` in capitals; with `page_mm`, every page
    must be that paper (width, height). Every page that starts the consent (its heading, `consent_heading`)
    must show each of `consent_shows` (the procedure, with the side) where the patient reads and signs.
    Text counts as shown as written or in capitals (a style may set a heading in capitals)."""
    if page_mm is not None:
        _check_paper(document, page_mm)
    from .glyphs import unprintable

    readable: list[str] = []
    everything: list[str] = []
    per_page: list[list[str]] = [[] for _ in document.pages]
    first_page: list[Any] = []  # page 1's readable text boxes, for the side banner
    characters_by_size: Counter[float] = Counter()  # readable characters by font size (the commonest: body text)
    body: list[str] = []  # the readable text outside the page margins: a risk may run on over a page break
    body_by_page: list[list[str]] = [[] for _ in document.pages]
    consent_pages: list[int] = []  # the pages the consent's heading is on (the sheet's, and the patient's copy)
    for page_index, box, can_read, in_margin in _text_boxes(document):
        odd_characters = unprintable(box.text)
        if odd_characters:
            # Invisible or direction characters ("RI" + zero-width space + "GHT") and letters the
            # bundled fonts lack (drawn by some system font) would defeat every check below.
            raise SheetProblem(
                f"the sheet holds characters that are invisible, change the text's direction or are not in the "
                f"handout's fonts: {', '.join(odd_characters)}. Remove "
                "them from the clinic's wording, templates and styles."
            )
        families = set(box.style["font_family"])
        if not families <= HANDOUT_FONT_FAMILIES:
            odd = ", ".join(sorted(families - HANDOUT_FONT_FAMILIES))
            raise SheetProblem(
                f"the sheet sets text in the font '{odd}'. Only the handout's own fonts may be used; "
                "remove font-family and @font-face rules from the clinic's styles."
            )
        everything.append(box.text)
        if can_read:
            readable.append(box.text)
            if not in_margin:
                body.append(box.text)
                body_by_page[page_index].append(box.text)
                heading = box.text.strip()
                if consent_heading and _is_heading(heading, consent_heading):
                    consent_pages.append(page_index)
            per_page[page_index].append(box.text)
            characters_by_size[float(box.style["font_size"])] += len(box.text.strip())
            if page_index == 0:
                first_page.append(box)
    if side_heading:
        _check_side_heading(side_heading, side_word, first_page, characters_by_size, large_print)
    for text in every_page:
        for number, page_texts in enumerate(per_page, start=1):
            if text and _squash(text) not in _squash("".join(page_texts)):
                raise SheetProblem(
                    f'page {number} does not show "{text}". A clinic template or style hides or cuts it; '
                    "every page must show the side and its document number."
                )
    if only_number:
        found = {
            re.sub(r"[^0-9A-Z]", "", text)
            for text in _DOCUMENT_NUMBER.findall(unicodedata.normalize("NFKC", " ".join(everything)))
        }
        others = found - {only_number.replace("-", "")}
        if others:
            raise SheetProblem(
                f"the sheet shows another document number ({', '.join(sorted(others))}). A clinic "
                "template or style adds it; a sheet shows only its own number."
            )
    shown = _squash("".join(body))
    for text in required_text:
        if text and not _shows(shown, text):
            raise SheetProblem(
                f'the printed sheet does not show "{text}". A clinic template or style hides or cuts it; '
                "every sheet must show the side, every risk, the allergies, when to call and the consent."
            )
    if consent_heading and not consent_pages:
        raise SheetProblem(
            f'the printed sheet does not show the consent\'s heading "{consent_heading}". A clinic template or '
            "style hides or changes it; the consent starts with its heading."
        )
    for page_index in consent_pages:
        page_text = _squash("".join(body_by_page[page_index]))
        for text in consent_shows:
            if text and not _shows(page_text, text):
                raise SheetProblem(
                    f'the consent on page {page_index + 1} does not show "{text}". A clinic template or style '
                    "hides or moves it; the consent names the procedure and the side where the patient signs."
                )
    _check_other_side(everything, readable, forbidden_words, forbidden_phrases, "the sheet shows")


def _is_heading(text: str, heading: str) -> bool:
    """Whether a line of text is `heading` (as written or in capitals), alone or before a colon."""
    return any(text.startswith(form) and text[len(form) :][:1] in ("", ":") for form in (heading, heading.upper()))


def _shows(squashed_text: str, text: str) -> bool:
    """Whether `text` is in the squashed text as written, or in capitals (a style may set it so)."""
    wanted = _squash(text)
    return wanted in squashed_text or wanted.upper() in squashed_text


def svg_text(data: bytes) -> str:
    """The words an SVG picture holds: its elements' text (CDATA included) with the tags taken out and
    character references read, comments and style sheets left out."""
    text = re.sub(r"<!--.*?-->", " ", data.decode("utf-8", errors="replace"), flags=re.DOTALL)
    # A style sheet is not drawn: its class names (".right-side") are no words on the page.
    text = re.sub(r"<(\w+:)?style\b[^>]*>.*?</(\w+:)?style\s*>", " ", text, flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(r"<!\[CDATA\[(.*?)\]\]>", r"\1", text, flags=re.DOTALL)
    return html.unescape(re.sub(r"<[^>]*>", " ", text))


def check_picture_text(texts: Iterable[str], forbidden_words: Iterable[str], forbidden_phrases: Iterable[str]) -> None:
    """Raise SheetProblem if the text inside the sheet's SVG pictures (the logo's, a clinic picture's) names
    the other side: a picture saying "Your RIGHT hip" over a LEFT sheet is as wrong as the words."""
    _check_other_side(list(texts), [], forbidden_words, forbidden_phrases, "a picture on the sheet shows")


def _check_other_side(
    everything: list[str],
    readable: list[str],
    forbidden_words: Iterable[str],
    forbidden_phrases: Iterable[str],
    where: str,
) -> None:
    """Raise SheetProblem if the texts (every one, seen or not, and the `readable` ones) name the other side."""
    spaced = _skeleton(" ".join(everything))
    for word in forbidden_words:
        letters = [re.escape(letter) for letter in _skeleton(word)]
        # All text, and the readable text alone (a tiny or hidden box between "RI" and "GHT" splits nothing);
        # letters with spaces in between, apart from capitals around them ("BRIGHT" is no side); and a word
        # spelled one letter at a time, read whole ("R.I.G.H.T hip", "R I G H T HIP"; "B R I G H T" is BRIGHT).
        if word and (
            _shows_word(everything, _skeleton(word))
            or _shows_word(readable, _skeleton(word))
            or re.search(rf"(?<![A-Z])(?<![A-Z] ){_SPACES.join(letters)}(?![A-Z])(?! [A-Z])", spaced)
            or any(
                re.search(rf"(?<![A-Z]){''.join(letters)}(?![A-Z])", re.sub(r"[^A-Za-z]", "", run.group()))
                for run in _LETTER_RUN.finditer(spaced)
            )
        ):
            raise SheetProblem(
                f'{where} the word "{word}", the other side. A clinic template, style or picture adds it; '
                "a sheet names only the side the nurse chose."
            )
    lowered = spaced.casefold()
    for phrase in forbidden_phrases:
        # Parts apart by spaces or hyphens: "right hip", "right-hip".
        pattern = r"[\s\-\u2010\u2011]+".join(re.escape(_skeleton(part).casefold()) for part in phrase.split())
        if re.search(rf"(?<!\w){pattern}(?!\w)", lowered):
            raise SheetProblem(
                f'{where} "{phrase}", the other side. A clinic template, wording, style or picture adds it; '
                "a sheet names only the side the nurse chose."
            )


def _check_side_heading(
    heading: str, side_word: str, first_page: list[Any], characters_by_size: Counter[float], large_print: bool
) -> None:
    """Raise SheetProblem unless page 1's readable text boxes show `heading` (in any case) whole and large:
    in boxes of at least the banner's smallest size, `side_word` in capitals, no word broken over two lines.
    `characters_by_size` counts the sheet's readable characters by size: the commonest is the body text."""
    body_size = characters_by_size.most_common(1)[0][0] if characters_by_size else 0.0
    smallest = max(SIDE_HEADING_MIN_PT[large_print] * _CSS_PX_PER_PT, SIDE_HEADING_SCALE * body_size)
    large = [box for box in first_page if float(box.style["font_size"]) >= smallest - 0.01]
    letters, owners = "", []  # page 1's large text without spaces or hyphens, and the box of each letter
    for index, box in enumerate(large):
        squashed = _squash(box.text)
        letters += squashed
        owners += [index] * len(squashed)
    lowered = "".join(letter.lower() if len(letter.lower()) == 1 else letter for letter in letters)
    wanted = _squash(heading)
    words = [_squash(word) for word in heading.split() if _squash(word)]
    for match in re.finditer(re.escape(wanted.lower()), lowered):
        if _squash(side_word) not in letters[match.start() : match.end()]:
            continue  # "your left hip": the side word in small letters
        start, whole = match.start(), True
        for word in words:
            boxes = {large[owners[at]] for at in range(start, start + len(word))}
            whole = whole and all(_one_line(one, other) for one in boxes for other in boxes)
            start += len(word)
        if whole:
            return
    raise SheetProblem(
        f'page 1 does not show "{heading}" whole and large: at least {smallest / _CSS_PX_PER_PT:.0f} pt, '
        f'"{side_word}" in capitals, no word broken over two lines. A clinic template or style hides, shrinks '
        "or breaks up the side banner, or sets the rest of page 1 too large beside it."
    )


def _check_paper(document: Any, page_mm: tuple[float, float]) -> None:
    """Raise SheetProblem unless every page is `page_mm` (width, height) in size, to half a millimetre."""
    for number, page in enumerate(document.pages, start=1):
        size = (page.width / CSS_PX_PER_MM, page.height / CSS_PX_PER_MM)
        if any(abs(got - wanted) > 0.5 for got, wanted in zip(size, page_mm, strict=True)):
            raise SheetProblem(
                f"page {number} is {size[0]:.0f} x {size[1]:.0f} mm, not the {page_mm[0]:g} x {page_mm[1]:g} mm "
                "paper chosen: printed, it would be cut or shrunk. A clinic style changes the paper size; "
                "remove 'size' from its @page rules."
            )


def _one_line(one: Any, other: Any) -> bool:
    """Whether two text boxes stand on one line: they share at least half the height of the shorter."""
    top, bottom = (
        max(one.position_y, other.position_y),
        min(one.position_y + one.height, other.position_y + other.height),
    )
    return bool(bottom - top >= 0.5 * min(one.height, other.height))


def _shows_word(texts: list[str], word: str) -> bool:
    """True if `word` (capitals) appears in the text boxes, seen or not: as a word of its own inside one
    box ("your RIGHT hip", not "WRIGHT"), or split across boxes ("RI" + "GHT" in two elements)."""
    boxes = [_skeleton(text) for text in texts]
    joined = "".join(boxes)
    ends, position = [], 0
    for text in boxes:
        position += len(text)
        ends.append(position)
    for match in re.finditer(re.escape(word), joined):
        first = next(i for i, end in enumerate(ends) if end > match.start())
        last = next(i for i, end in enumerate(ends) if end >= match.end())
        if first != last:
            return True  # a word split over elements is a trick, never the sheet's own wording
        start = ends[first] - len(boxes[first])
        before = joined[match.start() - 1] if match.start() > start else ""
        after = joined[match.end()] if match.end() < ends[first] else ""
        if not (before.isalpha() and before.isupper()) and not (after.isalpha() and after.isupper()):
            return True
    return False
