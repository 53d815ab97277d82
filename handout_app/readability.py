"""Offline reading-level scores, so content checks never need a network.

Flesch-Kincaid grade = 0.39 * words/sentences + 11.8 * syllables/words - 15.59.
Syllables are counted two ways (Pyphen hyphenation and vowel groups) and the larger count is used,
so the estimate errs on the side of a harder (higher) grade.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pyphen

_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?:;]+(?=\s|$)")
_JINJA = re.compile(r"{{.*?}}|{%.*?%}")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")


@lru_cache(maxsize=2)
def _hyphenator(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang={"en": "en_US", "es": "es"}[language])


def syllables(word: str, language: str = "en") -> int:
    """Estimated syllables in one word (at least 1)."""
    lower = word.lower().replace("’", "'").split("'")[0]
    by_hyphenation = len(_hyphenator(language).inserted(lower).split("-"))
    groups = len(_VOWEL_GROUP.findall(lower))
    if language == "en" and lower.endswith("e") and not lower.endswith(("le", "ee")) and groups > 1:
        groups -= 1  # silent final e: "make", "rinse"
    return max(1, by_hyphenation, groups)


def plain_text(wording: str) -> str:
    """Wording with template expressions replaced by a short word, as a reader would see it."""
    return _JINJA.sub("your hip", wording)


def flesch_kincaid_grade(text: str, language: str = "en") -> float:
    """US school grade needed to read `text`; lower is easier."""
    text = plain_text(text)
    words = _WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len(_SENTENCE_END.findall(text)))
    total_syllables = sum(syllables(w, language) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * total_syllables / len(words) - 15.59
