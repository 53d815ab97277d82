"""The claims ledger: the sources behind the handout's content and the facts taken from each.

`templates/content/claims.toml` lists each source (the five seed documents by title, and established
references with a full citation) and each fact: the source it comes from, what the source says (a
short quote or figure), and, for a risk, how often it happens as "1 in N" when the source gives a
number. Every content item names the facts it rests on (`facts = [...]`). A clinic adds its own
sources and facts in `content/claims.toml` in its folder (for example its own infection audit).

`unsupported_claims()` is the rule the tests and `check-templates` apply: every number (in digits or
words), frequency word and unit of time an item prints must appear in one of the facts it cites.
"""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .toml_lines import error_line, item_line, key_line

# The scale the sheet states how often a risk happens on (CIOMS III, as used in EU package leaflets):
# (the band's key, fewest cases per N treated that still falls in the band). Declared once here.
FREQUENCY_BANDS: tuple[tuple[str, int], ...] = (
    ("very-common", 10),
    ("common", 100),
    ("uncommon", 1_000),
    ("rare", 10_000),
    ("very-rare", 0),
)

NUMBER_WORDS: dict[str, str] = {
    # "one" and "once" are left out: "no one", "a different one", "at once" say no number.
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "half": "0.5",
    "twice": "2",
    # Spanish "un", "una" and "uno" are mostly articles ("una inyección"), so they are not counted.
    "dos": "2",
    "tres": "3",
    "cuatro": "4",
    "cinco": "5",
    "seis": "6",
    "siete": "7",
    "ocho": "8",
    "nueve": "9",
    "diez": "10",
    "doce": "12",
    "quince": "15",
    "veinte": "20",
    "treinta": "30",
    "cuarenta": "40",
    "cincuenta": "50",
    "cien": "100",
    "mil": "1000",
}

# Words and phrases that say how often something happens, in either language, mapped to one
# canonical English word. Longer phrases are matched first, so "very rare" is never also "rare".
FREQUENCY_WORDS: dict[str, str] = {
    "very common": "very common",
    "extremely rare": "extremely rare",
    "very rare": "very rare",
    "very rarely": "very rare",
    "on occasion": "occasionally",
    "in some cases": "in some cases",
    "uncommon": "uncommon",
    "commonly": "common",
    "common": "common",
    "rarely": "rare",
    "rare": "rare",
    "often": "often",
    "usually": "usually",
    "typically": "usually",
    "generally": "usually",
    "most": "most",
    "many": "many",
    "sometimes": "sometimes",
    "occasionally": "occasionally",
    "seldom": "rare",
    "frequently": "often",
    "frequent": "often",
    "unlikely": "unlikely",
    "likely": "likely",
    "muy rara vez": "very rare",
    "rara vez": "rare",
    "muy frecuente": "very common",
    "muy frecuentes": "very common",
    "poco frecuente": "uncommon",
    "poco frecuentes": "uncommon",
    "extremadamente raro": "extremely rare",
    "muy raro": "very rare",
    "muy rara": "very rare",
    "muy raros": "very rare",
    "muy raras": "very rare",
    "en algunos casos": "in some cases",
    "en ocasiones": "occasionally",
    "a menudo": "often",
    "a veces": "sometimes",
    "por lo general": "usually",
    "la mayoría": "most",
    "poco probable": "unlikely",
    "frecuente": "common",
    "frecuentes": "common",
    "común": "common",
    "comunes": "common",
    "raro": "rare",
    "rara": "rare",
    "raros": "rare",
    "raras": "rare",
    "suele": "usually",
    "suelen": "usually",
    "muchas": "many",
    "muchos": "many",
    "probable": "likely",
    "probables": "likely",
}

# Units of time, in either language, mapped to one canonical English unit.
TIME_UNITS: dict[str, str] = {
    "second": "second",
    "seconds": "second",
    "minute": "minute",
    "minutes": "minute",
    "hour": "hour",
    "hours": "hour",
    "day": "day",
    "days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "overnight": "night",
    "night": "night",
    "segundo": "second",
    "segundos": "second",
    "minuto": "minute",
    "minutos": "minute",
    "hora": "hour",
    "horas": "hour",
    "día": "day",
    "días": "day",
    "semana": "week",
    "semanas": "week",
    "mes": "month",
    "meses": "month",
    "año": "year",
    "años": "year",
    "noche": "night",
}

MAX_CLAIMS_FILE_BYTES = 2 * 1024 * 1024
_TEMPLATE_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.DOTALL)
_DIGITS = re.compile(r"\d+(?:[.,\u00a0\u202f ]\d{3})*(?:\.\d+)?")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class Source:
    """Where facts come from: a seed document by title, or a reference with its full citation."""

    id: str
    title: str
    citation: str
    origin: str  # the file that declared it: built-in claims.toml or a clinic's


@dataclass(frozen=True)
class Fact:
    """One fact: what its source says, and (for a risk) how often, as fewer than / about 1 in N."""

    id: str
    source: str
    says: str
    rate_in: int = 0  # 15000 for "1 in 15,000"
    rate_bound: str = ""  # "fewer-than" or "about"
    origin: str = ""


@dataclass(frozen=True)
class Ledger:
    """Every source and fact, built-in and the clinic's."""

    sources: dict[str, Source]
    facts: dict[str, Fact]
    labels: dict[str, tuple[str, ...]]  # fixed wording in labels.toml -> the facts it rests on


class LedgerError(ValueError):
    """A claims file that cannot be used; names the file, line and entry."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        super().__init__(f"{path}{f', line {line}' if line else ''}: {message}")


def _text(path: Path, text: str, entry: dict[str, Any], key: str, entry_id: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LedgerError(path, f"'{entry_id}' needs {key} = \"...\".", item_line(text, entry_id))
    return " ".join(value.split())


def load_ledger(path: Path, base: Ledger | None = None) -> Ledger:
    """Read a claims file; with `base`, add its sources and facts to those already known."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_CLAIMS_FILE_BYTES:
            raise LedgerError(path, "must be a plain text file of at most 2 MB.")
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise LedgerError(path, f"cannot be read ({exc.strerror}).") from exc
    except UnicodeDecodeError:
        raise LedgerError(path, "is not UTF-8 text; save it as UTF-8.") from None
    except tomllib.TOMLDecodeError as exc:
        raise LedgerError(path, f"is not valid TOML ({exc}).", error_line(exc)) from None
    except RecursionError:
        raise LedgerError(
            path, "nests brackets too deeply to read; a claims file is flat lists of sources and facts."
        ) from None
    unknown = set(data) - {"source", "fact", "labels"}
    if unknown:
        raise LedgerError(
            path, f"unknown table(s) {sorted(unknown)}; a claims file holds [[source]], [[fact]] and [labels]."
        )
    for table in ("source", "fact"):
        entries = data.get(table, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise LedgerError(path, f"'{table}' must be written as [[{table}]] tables.")
    if not isinstance(data.get("labels", {}), dict):
        raise LedgerError(path, "'labels' must be a [labels] table.")
    sources = dict(base.sources) if base else {}
    facts = dict(base.facts) if base else {}
    labels = dict(base.labels) if base else {}
    for entry in data.get("source", []):
        source_id = entry.get("id")
        if not isinstance(source_id, str) or not source_id:
            raise LedgerError(path, "every [[source]] needs an id.")
        if source_id in sources:
            raise LedgerError(path, f"source '{source_id}' is declared twice.", item_line(text, source_id))
        sources[source_id] = Source(
            source_id,
            _text(path, text, entry, "title", source_id),
            _text(path, text, entry, "citation", source_id),
            str(path),
        )
    for entry in data.get("fact", []):
        fact_id = entry.get("id")
        line = item_line(text, fact_id)
        if not isinstance(fact_id, str) or not fact_id:
            raise LedgerError(path, "every [[fact]] needs an id.")
        if fact_id in facts:
            raise LedgerError(path, f"fact '{fact_id}' is declared twice.", line)
        source = entry.get("source")
        if source not in sources:
            raise LedgerError(path, f"fact '{fact_id}' names source '{source}', which no [[source]] declares.", line)
        rate = entry.get("rate", {})
        rate_in, bound = 0, ""
        if rate:
            bound = next(iter(rate), "")
            rate_in = rate.get(bound, 0)
            if bound not in ("fewer-than", "about") or len(rate) != 1 or not isinstance(rate_in, int) or rate_in < 2:
                raise LedgerError(
                    path,
                    f"fact '{fact_id}': write rate = {{ fewer-than = 15000 }} or "
                    "rate = { about = 1000 } (cases: 1 in that many).",
                    line,
                )
        facts[fact_id] = Fact(fact_id, source, _text(path, text, entry, "says", fact_id), rate_in, bound, str(path))
    for key, cited in data.get("labels", {}).items():
        if not isinstance(cited, list) or not all(isinstance(c, str) for c in cited):
            raise LedgerError(path, f"[labels] {key} must be a list of fact ids.", key_line(text, key, "labels"))
        labels[key] = tuple(cited)
    ledger = Ledger(sources, facts, labels)
    for key, cited in labels.items():
        for fact_id in cited:
            if fact_id not in facts:
                raise LedgerError(
                    path,
                    f"[labels] {key} cites '{fact_id}', which no [[fact]] declares.",
                    key_line(text, key, "labels"),
                )
    return ledger


def claim_tokens(text: str) -> set[str]:
    """The numbers, frequency words and units of time in `text`, each in one canonical spelling."""
    lowered = " " + _TEMPLATE_EXPRESSION.sub(" ", text).casefold() + " "
    tokens: set[str] = set()
    for phrase in sorted(FREQUENCY_WORDS, key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(phrase)}(?!\w)"
        if re.search(pattern, lowered):
            tokens.add("often:" + FREQUENCY_WORDS[phrase])
            lowered = re.sub(pattern, " ", lowered)
    for number in _DIGITS.findall(lowered):
        tokens.add("n:" + re.sub(r"[,\u00a0\u202f ]|\.(?=\d{3}\b)", "", number))
    for word in _WORD.findall(lowered):
        if word in NUMBER_WORDS:
            tokens.add("n:" + NUMBER_WORDS[word])
        elif word in TIME_UNITS:
            tokens.add("time:" + TIME_UNITS[word])
    return tokens


def describe(token: str) -> str:
    """A claim token as staff would read it in a message."""
    kind, _, value = token.partition(":")
    return {
        "n": f"the number {value}",
        "often": f"the frequency word '{value}'",
        "time": f"the unit of time '{value}'",
    }[kind]


def unsupported_claims(wording: Iterable[str], cited: Iterable[str], ledger: Ledger) -> list[str]:
    """What `wording` states that none of the `cited` facts holds (empty when every claim is backed)."""
    backed: set[str] = set()
    for fact_id in cited:
        fact = ledger.facts.get(fact_id)
        if fact is not None:
            backed |= claim_tokens(fact.says)
    claimed: set[str] = set()
    for text in wording:
        claimed |= claim_tokens(text)
    return sorted(describe(token) for token in claimed - backed)


def frequency_band(fact: Fact) -> str:
    """The scale band ("very-rare"...) a fact's rate falls in; empty when the fact gives no rate.

    "About 1 in N" takes N's band (1 in 10,000 is rare); "fewer than 1 in N" takes the band of its upper
    limit, and the sheet prints the figure beside the word, so the reader sees the limit itself.
    """
    if not fact.rate_in:
        return ""
    for band, floor in FREQUENCY_BANDS[:-1]:
        if fact.rate_in <= floor and not (fact.rate_bound == "fewer-than" and fact.rate_in == floor):
            return band
    return FREQUENCY_BANDS[-1][0]


def with_clinic_facts(ledger: Ledger, clinic_file: Path | None) -> Ledger:
    """The ledger with a clinic's own claims file added (unchanged when it has none)."""
    if clinic_file is None or not clinic_file.is_file():
        return ledger
    return load_ledger(clinic_file, base=replace(ledger))


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def item_problems(item: Any, ledger: Ledger, languages: Iterable[str]) -> list[str]:
    """What is wrong with a content item's claims, in words staff can act on (empty when none)."""
    if not item.facts:
        return [
            f"item '{item.id}' names no facts; add facts = [\"...\"] with the ids of the facts in claims.toml "
            "that its wording rests on."
        ]
    problems = []
    for language in languages:
        wording = [table[language] for table in (item.title, item.text) if language in table]
        missing = unsupported_claims(wording, item.facts, ledger)
        if missing:
            problems.append(
                f"item '{item.id}' ({language}) states {', '.join(missing)}, which none of its facts "
                f"({', '.join(item.facts)}) holds. Cite the fact that gives it, or take it out."
            )
    return problems


def label_problems(labels: dict[str, dict[str, Any]], ledger: Ledger) -> list[str]:
    """Fixed wording (labels.toml) that states a figure, frequency or time no fact in [labels] backs.
    A label listed there with no facts (after_hours = []) is a heading that states no fact."""
    problems = []
    for language, table in labels.items():
        for key, value in table.items():
            cited = ledger.labels.get(key)
            if cited is not None and not cited:
                continue
            missing = unsupported_claims(_strings(value), cited or (), ledger)
            if missing:
                problems.append(
                    f"label '{key}' ({language}) states {', '.join(missing)}, which no fact listed for it "
                    "under [labels] in claims.toml holds."
                )
    return problems
