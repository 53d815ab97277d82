"""The last look before a sheet becomes a PDF: does the laid-out page say what the selection says?

A clinic's template or style sheet can change what is printed without any template error: hide the
risk table, cut the consent off with an unclosed comment, add "Your RIGHT hip" with CSS `::after`
on a LEFT sheet, or draw words in a font of its own. So every render, in every caller, checks the
text WeasyPrint actually laid out, before any byte is written:
- the side the nurse chose, the consent and every selected risk are on the pages;
- page 1 shows the side banner ("Your LEFT hip") in large type: a clinic's style may restyle it, but not
  hide it (display, ::first-line, a white ::first-letter), shrink it, or make the side word small letters;
- the opposite side's word (RIGHT on a LEFT sheet, in any of the handout's languages) is not, not
  even hidden, split across elements or written with look-alike letters;
- every piece of text is set in the handout's own fonts, so no font of the clinic's can draw
  different words than the text says, and no font name can carry the patient's details.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

# The only font families the handout prints with (templates/handout.css, @font-face in handout.html.j2).
HANDOUT_FONT_FAMILIES = frozenset({"Handout Sans", "Handout Sans Fallback"})
# Below this size (in CSS px; 8 px = 6 pt) text is not something a patient can read.
MIN_READABLE_PX = 8.0
# The side banner is large: at least this many times the sheet's body text (18 pt on 12 pt; 28 on 18 in large print).
SIDE_HEADING_SCALE = 1.4

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


class SheetProblem(ValueError):
    """The laid-out sheet does not say what the selection says; the message names what is wrong."""


def _squash(text: str) -> str:
    """Text as the presence check compares it: no white space, soft hyphens or hyphens, NFKC."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s\u00ad\u2010\u2011-]+", "", text)


def _skeleton(text: str) -> str:
    """Capital letters as the forbidden-word check compares them: look-alikes made Latin, accents off."""
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).translate(_LOOK_ALIKES))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _luminance(color: Any) -> float:
    def channel(value: float) -> float:
        value = min(1.0, max(0.0, float(value)))
        return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = color.to("srgb").coordinates[:3]  # a tinycss2 colour, in any colour space
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def _contrast(one: Any, other: Any) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _text_boxes(document: Any) -> Iterable[tuple[int, Any, bool]]:
    """Every text box on every page, with its page's index and whether a reader could see it: big
    enough, visible, opaque enough, standing out from the background painted behind it, and on the page."""
    from weasyprint.css.computed_values import parse_color
    from weasyprint.formatting_structure.boxes import TextBox

    white = parse_color("white")

    def walk(box: Any, opacity: float, background: Any, page: Any) -> Iterable[tuple[Any, bool]]:
        opacity *= float(box.style["opacity"])
        own = box.style["background_color"]
        if own is not None and own.alpha > 0.5:
            background = own
        if isinstance(box, TextBox):
            color = box.style["color"]
            x, y = box.position_x, box.position_y
            readable = (
                opacity > 0.5
                and box.style["visibility"] == "visible"
                and float(box.style["font_size"]) >= MIN_READABLE_PX
                and color.alpha > 0.5
                and _contrast(color, background) >= MIN_CONTRAST
                and x >= -1
                and x + box.width <= page.width + 1
                and y >= -1
                and y + box.height <= page.height + 1
            )
            yield box, readable
            return
        for child in box.all_children():
            yield from walk(child, opacity, background, page)

    for index, page in enumerate(document.pages):
        for box, readable in walk(page._page_box, 1.0, white, page):  # no public box tree
            yield index, box, readable


def check_sheet(
    document: Any,
    required_text: Iterable[str],
    forbidden_words: Iterable[str],
    forbidden_phrases: Iterable[str] = (),
    every_page: Iterable[str] = (),
    only_number: str = "",
    side_heading: str = "",
    side_word: str = "",
) -> None:
    """Raise SheetProblem unless the laid-out `document` shows every required text (and each of
    `every_page` on every page), no forbidden side word or phrase anywhere, only characters the
    handout's fonts print, and only those fonts. With `only_number`, no other document number may
    appear anywhere (a style could print a second, false one). With `side_heading`, page 1 must show
    it in large type, with `side_word` in capitals."""
    from .glyphs import unprintable

    readable: list[str] = []
    everything: list[str] = []
    per_page: list[list[str]] = [[] for _ in document.pages]
    # How much readable text each font size holds (the commonest is the body text), and page 1's text by size.
    characters_by_size: Counter[float] = Counter()
    first_page: list[tuple[str, float]] = []
    for page_index, box, can_read in _text_boxes(document):
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
            per_page[page_index].append(box.text)
            size = float(box.style["font_size"])
            characters_by_size[size] += len(box.text.strip())
            if page_index == 0:
                first_page.append((box.text, size))
    if side_heading:
        _check_side_heading(side_heading, side_word, first_page, characters_by_size)
    for text in every_page:
        for number, page_texts in enumerate(per_page, start=1):
            if text and _squash(text) not in _squash("".join(page_texts)):
                raise SheetProblem(
                    f'page {number} does not show "{text}". A clinic template or style hides or cuts it; '
                    "every page must show its document number."
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
    shown = _squash("".join(readable))
    for text in required_text:
        if text and _squash(text) not in shown:
            raise SheetProblem(
                f'the printed sheet does not show "{text}". A clinic template or style hides or cuts it; '
                "every sheet must show the side, every risk and the consent."
            )
    spaced = _skeleton(" ".join(everything))
    for word in forbidden_words:
        letters = r"\s*".join(re.escape(letter) for letter in _skeleton(word))
        # All text, and the readable text alone (a tiny or hidden box between "RI" and "GHT" splits nothing).
        if word and (
            _shows_word(everything, _skeleton(word))
            or _shows_word(readable, _skeleton(word))
            or re.search(rf"(?<![A-Z])(?<![A-Z] ){letters}(?![A-Z])(?! [A-Z])", spaced)
        ):
            raise SheetProblem(
                f'the sheet shows the word "{word}", the other side. A clinic template or style adds it; '
                "a sheet names only the side the nurse chose."
            )
    lowered = spaced.casefold()
    for phrase in forbidden_phrases:
        pattern = r"\s+".join(re.escape(_skeleton(part).casefold()) for part in phrase.split())
        if re.search(rf"(?<!\w){pattern}(?!\w)", lowered):
            raise SheetProblem(
                f'the sheet says "{phrase}", the other side. A clinic template, wording or style adds it; '
                "a sheet names only the side the nurse chose."
            )


def _check_side_heading(
    heading: str, side_word: str, first_page: list[tuple[str, float]], characters_by_size: Counter[float]
) -> None:
    """Raise SheetProblem unless page 1's large readable text holds `heading` (any case) with `side_word`
    in capitals. Large means SIDE_HEADING_SCALE times the size most of the sheet's text is set in."""
    body_size = characters_by_size.most_common(1)[0][0] if characters_by_size else 0.0
    large = _squash("".join(text for text, size in first_page if size >= SIDE_HEADING_SCALE * body_size))
    if _squash(heading).casefold() not in large.casefold() or _squash(side_word) not in large:
        raise SheetProblem(
            f'page 1 does not show "{heading}" in large type. A clinic template or style hides, shrinks or '
            "removes the side banner; page 1 must show the side large, the side word in capitals."
        )


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
