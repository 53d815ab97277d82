"""Which characters the bundled fonts can print, so text they cannot print is refused before any render.

Without this, a character no bundled font has either stops WeasyPrint with a wall of ".notdef glyph"
messages or is printed in whatever system font the workstation has. The fonts' character maps are read
once per process (fontTools ships with WeasyPrint) and cached.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

from . import resources

# Invisible or structural characters: a font may map them, but on a consent sheet they only hide
# or reorder what the reader sees (U+202E turns "Ann" into "nnA" on screen), so they are never accepted.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Default-ignorable characters outside category Cf: variation selectors, grapheme joiner, Hangul fillers.
_INVISIBLE = frozenset({0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0, *range(0x180B, 0x1810), *range(0xFE00, 0xFE10)})
# Noto Sans also has Devanagari, but a Devanagari name's text layer comes out reordered (शर्मा is
# extracted as शार्मा), so screen readers, search and copy would not get the name exactly. Refused until
# a font and renderer print it exactly.
_COMPLEX_SCRIPTS = (range(0x0900, 0x0980), range(0x1CD0, 0x1D00), range(0xA8E0, 0xA900))
# Combining accents left on one letter after NFC: Lithuanian i̇̀ needs two; more stack over the lines around it.
MAX_MARKS_PER_LETTER = 2


def _family_cmap(folder: Path) -> set[int]:
    """Code points every file in one family folder maps: a letter must exist in all its weights and styles."""
    from fontTools.ttLib import TTFont

    maps: list[set[int]] = []
    for path in sorted(folder.glob("*.ttf")):
        with TTFont(path, lazy=True) as font:
            maps.append(set(font.getBestCmap()))
    return set.intersection(*maps) if maps else set()


@cache
def covered() -> frozenset[int]:
    """The code points the handout prints exactly: in every style of the main or the fallback family.

    Latin, Greek and Cyrillic letters, marks, digits and punctuation; never invisible or control characters.
    """
    points = _family_cmap(resources.font_dir()) | _family_cmap(resources.fallback_font_dir())
    return frozenset(
        p
        for p in points
        if unicodedata.category(chr(p)) not in _REFUSED_CATEGORIES
        and p not in _INVISIBLE
        and not any(p in block for block in _COMPLEX_SCRIPTS)
    )


_KINDS = {
    "Cc": "control character",
    "Cs": "surrogate",
    "Cn": "unassigned or non-character",
    "Co": "private-use character",
}


def describe(char: str) -> str:
    """A character as a user can recognise it: "'山' (U+5C71)", or its code and name if it is invisible."""
    code = f"U+{ord(char):04X}"
    category = unicodedata.category(char)
    if category in _KINDS:
        # Never echo these: they are invisible, act on the terminal, or cannot be encoded at all.
        return f"{code} ({_KINDS[category]})"
    if category in _REFUSED_CATEGORIES or ord(char) in _INVISIBLE or category.startswith("Z"):
        return f"{code} ({unicodedata.name(char, 'invisible character')})"
    if category.startswith("M"):
        return f"'\u25cc{char}' ({code})"  # a mark alone is shown on a dotted circle, as in character charts
    return f"'{char}' ({code})"


# Characters both bundled families have (a test holds covered() to them): text of these alone is answered
# without reading the fonts' character maps, which costs each worker's first sheet a tenth of a second.
# Printable ASCII; Latin-1's letters and signs (Spanish ñ, á, ¿, and the · in the footer), all but the
# invisible soft hyphen; and the punctuation sheets print: the list bullet (•) of every list, dashes,
# curly quotes and the ellipsis.
PRINTABLE_ASCII = frozenset(chr(p) for p in range(0x20, 0x7F))
PRINTED_WITHOUT_LOOKUP = (
    PRINTABLE_ASCII
    | frozenset(chr(p) for p in range(0xA0, 0x100) if p != 0xAD)
    | frozenset("\u2013\u2014\u2018\u2019\u201c\u201d\u2022\u2026")
)


def unprintable(text: str) -> list[str]:
    """Each distinct character of `text` (NFC) the bundled fonts cannot print, described, in order of first use."""
    if PRINTED_WITHOUT_LOOKUP.issuperset(text):
        return []  # already NFC: none of these characters combines with another
    points = covered()
    seen: dict[str, None] = {}
    for char in unicodedata.normalize("NFC", text):
        if char != " " and ord(char) not in points:
            seen.setdefault(char)
    return [describe(char) for char in seen]


def misplaced_marks(text: str) -> str | None:
    """Why the accents in `text` (NFC) would print wrongly, or None.

    An accent must sit on a letter, and more than MAX_MARKS_PER_LETTER on one letter stack up over
    the lines around it ("Zalgo" text): neither is part of any name in the scripts we print.
    """
    run = 0
    previous = " "
    for char in unicodedata.normalize("NFC", text):
        if unicodedata.category(char).startswith("M"):
            if run == 0 and not unicodedata.category(previous).startswith("L"):
                return f"has an accent that is not on a letter ({describe(char)})"
            run += 1
            if run > MAX_MARKS_PER_LETTER:
                return f"has a letter with more than {MAX_MARKS_PER_LETTER} accents stacked on it"
        else:
            run = 0
        previous = char
    return None


_ALPHABETS = ("LATIN", "GREEK", "CYRILLIC")


def mixed_alphabets(text: str) -> str | None:
    """Why a word of `text` (NFC) mixes Latin, Greek and Cyrillic letters, or None.

    Latin "A", Greek "Α" and Cyrillic "А" look the same but are different letters: a word that mixes
    them is a keyboard-layout slip (or a trick), and the sheet would not match the patient's record.
    """
    for word in re.findall(r"[^\W\d_]+", unicodedata.normalize("NFC", text)):
        found = {a for char in word for a in _ALPHABETS if unicodedata.name(char, "").startswith(a + " ")}
        if len(found) > 1:
            names = " and ".join(a.title() for a in _ALPHABETS if a in found)
            return f"mixes {names} letters in the word '{word}', which look alike but are different letters"
    return None


def problem(text: str, what: str) -> str | None:
    """A message saying why `text` cannot be printed (`what` names the field, e.g. "The patient's name"), or None."""
    bad = unprintable(text)
    if bad:
        shown = ", ".join(bad[:8]) + (f" and {len(bad) - 8} more" if len(bad) > 8 else "")
        return (
            f"{what} has characters the handout cannot print: {shown}. "
            "Remove them: use Latin, Greek or Cyrillic letters, and write words from other scripts in Latin letters."
        )
    reason = misplaced_marks(text) or mixed_alphabets(text)
    if reason:
        return f"{what} {reason}; type it again."
    return None
