"""The content model and the one validator of its fields.

The sections, the condition vocabulary, the data classes (items, rules, the catalog, findings), reading
one content file, and `check_fields`: the single check of an item's fields that built-in items, a
clinic's new items and a clinic's changes to built-in items all go through, so the three can never
disagree about what a field may hold.
"""

from __future__ import annotations

import re
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..choices import LANGUAGES as LANGUAGES  # the registry's handout languages, read from here by many
from ..choices import AllergyKind, Factor, Guidance, Intent, Medication, Side, Target, values
from ..claims import Ledger
from ..errors import SetError
from ..toml_lines import error_line, item_line

# The handout's sections, in print order.
SECTIONS: tuple[str, ...] = (
    "key-points",
    "about",
    "medicines",
    "how",
    "benefits",
    "alternatives",
    "risks",
    "before",
    "after",
    "call",
    "emergency",
    "faq",
    "consent",
)

# The registry's patient factors, then the allergies (any, or of one kind).
FACTORS: tuple[str, ...] = (
    *values(Factor),
    "any-allergy",
    *(f"allergy-{kind.value}" for kind in AllergyKind),
)

# Condition key -> the values it may hold (None means a boolean condition).
_CONDITION_VALUES: dict[str, tuple[str, ...] | None] = {
    "target": values(Target),
    "medication": values(Medication),
    "guidance": values(Guidance),
    "intent": values(Intent),
    "side": values(Side),
    "factor": FACTORS,
    "contrast": None,
}

# The conditions a selection may hold several values of, so that "all of these" means something:
# `medication_all` (anesthetic and corticosteroid) and `factor_all` (two allergies at once).
ALL_OF_KEYS: tuple[str, ...] = ("medication", "factor")

CONDITION_KEYS: tuple[str, ...] = (
    *_CONDITION_VALUES,
    *(f"not_{key}" for key, values in _CONDITION_VALUES.items() if values is not None),
    *(f"{key}_all" for key in ALL_OF_KEYS),
)

_ITEM_KEYS = {"id", "section", "title", "text", "frequency", "facts", "when", "order"}
_RULE_KEYS = {"id", "level", "field", "message", "when"}
# What a clinic may change on a built-in item (by id); moving an item to another section is not one.
_OVERRIDE_KEYS = {"id", "text", "title", "when", "order", "frequency", "facts", "enabled", "after", "before"}
# Said when a clinic file still uses the old frequency labels, which no source backed.
_LIKELIHOOD_HINT = (
    " 'likelihood' is no longer used: a risk says how often it happens only through a fact with a"
    ' rate, frequency = "fact-id", declared with its source in content/claims.toml.'
)
CLAIMS_FILE = "claims.toml"
_PLACEMENT_KEYS = ("after", "before")
_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class CatalogError(SetError):
    """Content data that cannot be used; names the file, line and item so staff can fix it."""

    def __init__(self, path: Path, message: str, *, line: int | None = None, item_id: str = "", key: str = "") -> None:
        self.path = path
        self.line = line
        self.item_id = item_id
        self.key = key  # a label's dotted path, e.g. 'es.medications.prp'
        self.detail = message
        where = (
            str(path)
            + (f", line {line}" if line else "")
            + (f", item '{item_id}'" if item_id else "")
            + (f", label '{key}'" if key else "")
        )
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True)
class ContentItem:
    """One piece of wording (a risk, a checklist line, an FAQ...) and when it applies."""

    id: str
    section: str
    text: dict[str, str]
    when: dict[str, Any]
    title: dict[str, str] = field(default_factory=dict)
    frequency: str = ""  # the id of a fact with a rate: how often this risk happens
    facts: tuple[str, ...] = ()  # the claims-ledger facts the wording rests on
    order: float = 0.0
    source: str = ""


@dataclass(frozen=True)
class Rule:
    """A selection rule: `refuse` stops the handout, `warn` lets it through with a message."""

    id: str
    level: str
    field: str
    message: dict[str, str]
    when: dict[str, Any]


@dataclass(frozen=True)
class Catalog:
    """All content items and rules, validated."""

    version: str
    items: tuple[ContentItem, ...]
    rules: tuple[Rule, ...]
    labels: dict[str, dict[str, Any]]
    ledger: Ledger

    def labels_for(self, language: str) -> dict[str, Any]:
        """Headings and fixed wording in one language."""
        return self.labels[language]


@dataclass(frozen=True)
class Finding:
    """A rule that matched a selection."""

    rule_id: str
    level: str
    field: str
    message: str


@dataclass(frozen=True)
class SelectedContent:
    """The outcome of `select()`: the items per section, in order, and any warnings."""

    sections: dict[str, tuple[ContentItem, ...]]
    warnings: tuple[Finding, ...]


class SelectionRefused(ValueError):
    """The selection is impossible; `findings` say why and what to change."""

    def __init__(self, findings: tuple[Finding, ...]) -> None:
        self.findings = findings
        super().__init__(" ".join(f.message for f in findings))


MAX_CONTENT_FILE_BYTES = 2 * 1024 * 1024
MAX_WORDING_CHARS = 4_000


def _load_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            # A pipe or device would block or never end; a clinic folder only ever needs plain files.
            raise CatalogError(path, "is not a regular file; replace it with a plain text file.")
        if info.st_size > MAX_CONTENT_FILE_BYTES:
            raise CatalogError(
                path, f"is over {MAX_CONTENT_FILE_BYTES // (1024 * 1024)} MB; a content file is far smaller."
            )
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(path, f"cannot be read ({exc.strerror}).") from exc
    except UnicodeDecodeError as exc:
        raise CatalogError(path, "is not UTF-8 text; save it as UTF-8.") from exc
    try:
        return tomllib.loads(text), text
    except RecursionError:
        raise CatalogError(
            path, "nests brackets or tables too deeply to read; content files are flat lists of items."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(
            path,
            f"is not valid TOML ({exc}). Check quotes, brackets and '=' signs on that line.",
            line=error_line(exc),
        ) from exc


def _check_wording(path: Path, text: str, item_id: str, key: str, value: Any, required: bool) -> dict[str, str]:
    line = item_line(text, item_id)
    if value is None:
        if required:
            raise CatalogError(path, f"'{key}' is missing; add {key}.en = \"...\".", line=line, item_id=item_id)
        return {}
    if not isinstance(value, dict) or not value:
        raise CatalogError(
            path, f"'{key}' must be a table of languages, e.g. {key}.en = \"...\".", line=line, item_id=item_id
        )
    for lang, words in value.items():
        if lang not in LANGUAGES:
            raise CatalogError(
                path,
                f"'{key}.{lang}': unknown language; use one of {', '.join(LANGUAGES)}.",
                line=line,
                item_id=item_id,
            )
        if not isinstance(words, str) or not words.strip():
            raise CatalogError(path, f"'{key}.{lang}' must be non-empty text.", line=line, item_id=item_id)
        if len(words) > MAX_WORDING_CHARS:
            # The longest built-in item is under 600 characters; a patient reads short items.
            raise CatalogError(
                path,
                f"'{key}.{lang}' is {len(words):,} characters long; at most "
                f"{MAX_WORDING_CHARS:,} are allowed. Split it into shorter items.",
                line=line,
                item_id=item_id,
            )
    # Only ordinary white space is collapsed: a no-break space ("15\u00a0000") must keep a figure on one line.
    return {lang: re.sub(r"[ \t\r\n]+", " ", words).strip() for lang, words in value.items()}


def check_conditions(path: Path, text: str, owner_id: str, when: Any) -> dict[str, Any]:
    """Validate a `when` table against the condition vocabulary; return it unchanged if valid."""
    line = item_line(text, owner_id)
    if not isinstance(when, dict):
        raise CatalogError(path, "'when' must be a table of conditions.", line=line, item_id=owner_id)
    for key, value in when.items():
        if key not in CONDITION_KEYS:
            raise CatalogError(
                path,
                f"unknown condition '{key}'; use one of: {', '.join(CONDITION_KEYS)}.",
                line=line,
                item_id=owner_id,
            )
        base = key.removeprefix("not_").removesuffix("_all")
        allowed = _CONDITION_VALUES[base]
        if allowed is None:
            if not isinstance(value, bool):
                raise CatalogError(path, f"condition '{key}' must be true or false.", line=line, item_id=owner_id)
            continue
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise CatalogError(
                path,
                f"condition '{key}' must be a list of names, e.g. [\"{allowed[0]}\"].",
                line=line,
                item_id=owner_id,
            )
        for name in value:
            if name not in allowed:
                raise CatalogError(
                    path,
                    f"condition '{key}' has unknown value '{name}'; use: {', '.join(allowed)}.",
                    line=line,
                    item_id=owner_id,
                )
    return dict(when)


def _check_facts(path: Path, text: str, item_id: str, value: Any, ledger: Ledger) -> tuple[str, ...]:
    line = item_line(text, item_id)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CatalogError(
            path,
            "'facts' must be a list of fact ids from claims.toml, e.g. facts = [\"infection-rate\"].",
            line=line,
            item_id=item_id,
        )
    for fact_id in value:
        if fact_id not in ledger.facts:
            raise CatalogError(
                path,
                f"cites fact '{fact_id}', which no claims file declares; add it with its source "
                "to content/claims.toml.",
                line=line,
                item_id=item_id,
            )
    return tuple(value)


def _check_frequency(path: Path, text: str, item_id: str, value: Any, ledger: Ledger) -> str:
    if value == "":
        return ""
    line = item_line(text, item_id)
    fact = ledger.facts.get(value) if isinstance(value, str) else None
    if not isinstance(value, str) or fact is None or not fact.rate_in:
        raise CatalogError(
            path,
            f"frequency '{value}' must name a fact with a rate (rate = {{ fewer-than = N }}) in a claims file.",
            line=line,
            item_id=item_id,
        )
    return value


def check_fields(
    path: Path, text: str, item_id: str, raw: dict[str, Any], ledger: Ledger, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The one check of an item's fields: each of order, text, title, frequency, facts and when that
    `raw` gives, checked and converted for ContentItem; fields not given are left out, unless named in
    `required` (a new item needs its text). Built-in items, a clinic's new items and a clinic's changes
    to built-in items all come here, so a value is accepted or refused alike on every path."""
    checked: dict[str, Any] = {}
    if "order" in raw:
        order = raw["order"]
        # bool is an int to Python, but `order = true` is a slip, not a position.
        if not isinstance(order, (int, float)) or isinstance(order, bool):
            raise CatalogError(path, "'order' must be a number.", line=item_line(text, item_id), item_id=item_id)
        checked["order"] = float(order)
    for key in ("text", "title"):
        if key in raw or key in required:
            checked[key] = _check_wording(path, text, item_id, key, raw.get(key), required=True)
    if "frequency" in raw:
        checked["frequency"] = _check_frequency(path, text, item_id, raw["frequency"], ledger)
    if "facts" in raw:
        checked["facts"] = _check_facts(path, text, item_id, raw["facts"], ledger)
    if "when" in raw:
        checked["when"] = check_conditions(path, text, item_id, raw["when"])
    return checked
