"""Offline reading-level scores, so content checks never need a network.

English: Flesch-Kincaid grade = 0.39 * words/sentences + 11.8 * syllables/words - 15.59 (lower is easier).
Spanish: Szigriszt-Pazos perspicuity = 206.835 - 62.3 * syllables/words - words/sentences, read on
the INFLESZ scale (higher is easier: 55 to 65 "normal", 65 to 80 "fairly easy", over 80 "very easy").
Syllables are counted two ways (Pyphen hyphenation and vowel groups) and the larger count is used,
so the estimate errs on the side of a harder (higher) grade.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import pyphen

from .choices import Language

_WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:['’][A-Za-z]+)?")
_SENTENCE_END = re.compile(r"[.!?:;]+(?=\s|$)")
_JINJA = re.compile(r"{{.*?}}|{%.*?%}")
_VOWEL_GROUP = re.compile(r"[aeiouyáéíóúü]+")
# INFLESZ "normal" starts at 55: the least a patient handout may score in Spanish.
MIN_SPANISH_PERSPICUITY = 55.0


@lru_cache(maxsize=2)
def _hyphenator(language: str) -> pyphen.Pyphen:
    return pyphen.Pyphen(lang=Language(language).spec.hyphenation or language)


def syllables(word: str, language: str = "en") -> int:
    """Estimated syllables in one word (at least 1)."""
    lower = word.lower().replace("’", "'").split("'")[0]
    by_hyphenation = len(_hyphenator(language).inserted(lower).split("-"))
    groups = len(_VOWEL_GROUP.findall(lower))
    if language == "en" and lower.endswith("e") and not lower.endswith(("le", "ee")) and groups > 1:
        groups -= 1  # silent final e: "make", "rinse"
    return max(1, by_hyphenation, groups)


def plain_text(wording: str, language: str = "en") -> str:
    """Wording with template expressions replaced by a short word, as a reader would see it."""
    return _JINJA.sub(Language(language).spec.placeholder, wording)


def _counts(text: str, language: str) -> tuple[int, int, int]:
    """Words, sentences and syllables of `text`."""
    text = plain_text(text, language)
    words = _WORD.findall(text)
    sentences = max(1, len(_SENTENCE_END.findall(text)))
    return len(words), sentences, sum(syllables(w, language) for w in words)


def szigriszt_pazos(text: str) -> float:
    """Spanish perspicuity (INFLESZ scale); higher is easier, 55 or more reads as "normal"."""
    words, sentences, total_syllables = _counts(text, "es")
    if not words:
        return 100.0
    return 206.835 - 62.3 * total_syllables / words - words / sentences


def flesch_kincaid_grade(text: str, language: str = "en") -> float:
    """US school grade needed to read `text`; lower is easier."""
    words, sentences, total_syllables = _counts(text, language)
    if not words:
        return 0.0
    return 0.39 * words / sentences + 11.8 * total_syllables / words - 15.59


MAX_ENGLISH_GRADE = 8.0


def item_wording(title: str, text: str) -> str:
    """An item as a reader meets it: its title (if any) and its text."""
    return f"{title}. {text}" if title else text


def reading_problem(wording: str, language: str) -> str | None:
    """None when `wording` is plain enough for a patient; else what its score is and the limit."""
    if language == "es":
        score = szigriszt_pazos(wording)
        if score < MIN_SPANISH_PERSPICUITY:
            return (
                # One decimal, rounded down: a score of 54.6 must not read as "55; it needs at least 55".
                f"scores {math.floor(score * 10) / 10:.1f} on the Spanish (Szigriszt-Pazos) "
                f"scale; it needs at least {MIN_SPANISH_PERSPICUITY:g}."
            )
        return None
    grade = flesch_kincaid_grade(wording, language)
    if grade > MAX_ENGLISH_GRADE:
        return f"reads at grade {grade:.1f}; the limit is {MAX_ENGLISH_GRADE:g}."
    return None
