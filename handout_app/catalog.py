"""Content as data: load the content items and selection rules, validate them, and select.

Each content item is one TOML table with an id, a section, its wording per language and the
conditions (`when`) under which it applies. Rules use the same conditions to refuse impossible
selections or warn about unusual ones. `select()` is the one generic function that applies them;
no Python code names a particular item.
"""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import resources
from .choices import LANGUAGES as LANGUAGES  # the registry's handout languages, read from here by many
from .choices import AllergyKind, Factor, Guidance, Intent, Language, Medication, Side, Target, values
from .choices import required_labels as registry_labels
from .claims import Ledger, LedgerError, load_ledger, with_clinic_facts
from .domain import Selection
from .toml_lines import error_line, item_line, key_line

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

CONDITION_KEYS: tuple[str, ...] = (
    *_CONDITION_VALUES,
    *(f"not_{key}" for key, values in _CONDITION_VALUES.items() if values is not None),
    "medication_all",
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


class CatalogError(ValueError):
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


def _parse_items(
    path: Path,
    data: dict[str, Any],
    text: str,
    start_order: float,
    ledger: Ledger,
    allowed: set[str] = _ITEM_KEYS,
    source: str = "",
) -> list[ContentItem]:
    unknown_top = set(data) - {"item", "version"}
    if unknown_top:
        raise CatalogError(path, f"unknown top-level key(s) {sorted(unknown_top)}; only [[item]] tables belong here.")
    items: list[ContentItem] = []
    for position, raw in enumerate(data.get("item", [])):
        item_id = raw.get("id")
        if not isinstance(item_id, str) or not _ID_PATTERN.match(item_id):
            raise CatalogError(path, f"item number {position + 1} needs an id of lowercase letters, digits and dashes.")
        line = item_line(text, item_id)
        extra = set(raw) - allowed
        if extra:
            hint = _LIKELIHOOD_HINT if "likelihood" in extra else ""
            raise CatalogError(
                path, f"unknown key(s) {sorted(extra)}; allowed: {sorted(allowed)}.{hint}", line=line, item_id=item_id
            )
        section = raw.get("section")
        if section not in SECTIONS:
            raise CatalogError(
                path, f"section '{section}' is unknown; use one of: {', '.join(SECTIONS)}.", line=line, item_id=item_id
            )
        order = raw.get("order", start_order + position)
        if not isinstance(order, (int, float)):
            raise CatalogError(path, "'order' must be a number.", line=line, item_id=item_id)
        items.append(
            ContentItem(
                id=item_id,
                section=section,
                text=_check_wording(path, text, item_id, "text", raw.get("text"), required=True),
                title=_check_wording(path, text, item_id, "title", raw.get("title"), required=False),
                frequency=_check_frequency(path, text, item_id, raw.get("frequency", ""), ledger),
                facts=_check_facts(path, text, item_id, raw.get("facts", []), ledger),
                when=check_conditions(path, text, item_id, raw.get("when", {})),
                order=float(order),
                source=source or path.name,
            )
        )
    return items


def _enabled(path: Path, text: str, raw: dict[str, Any]) -> bool:
    value = raw.get("enabled", True)
    if not isinstance(value, bool):
        raise CatalogError(
            path,
            "'enabled' must be true or false (no quotes).",
            line=item_line(text, raw.get("id")),
            item_id=str(raw.get("id")),
        )
    return value


def _override_item(
    path: Path, text: str, raw: dict[str, Any], base: ContentItem, source: str, ledger: Ledger
) -> ContentItem:
    item_id = base.id
    line = item_line(text, item_id)
    extra = set(raw) - _OVERRIDE_KEYS
    if extra:
        hint = " To move an item, switch it off (enabled = false) and add a new one." if "section" in extra else ""
        hint += _LIKELIHOOD_HINT if "likelihood" in extra else ""
        raise CatalogError(
            path,
            f"key(s) {sorted(extra)} cannot be changed on a built-in item; allowed: {sorted(_OVERRIDE_KEYS)}.{hint}",
            line=line,
            item_id=item_id,
        )
    changes: dict[str, Any] = {"source": source}
    if "text" in raw:
        changes["text"] = {**base.text, **_check_wording(path, text, item_id, "text", raw["text"], required=True)}
    if "title" in raw:
        changes["title"] = {**base.title, **_check_wording(path, text, item_id, "title", raw["title"], required=True)}
    if "when" in raw:
        changes["when"] = check_conditions(path, text, item_id, raw["when"])
    if "frequency" in raw:
        changes["frequency"] = _check_frequency(path, text, item_id, raw["frequency"], ledger)
    if "facts" in raw:
        changes["facts"] = _check_facts(path, text, item_id, raw["facts"], ledger)
    if "order" in raw:
        if not isinstance(raw["order"], (int, float)) or isinstance(raw["order"], bool):
            raise CatalogError(path, "'order' must be a number.", line=line, item_id=item_id)
        changes["order"] = float(raw["order"])
    return replace(base, **changes)


def apply_overrides(catalog: Catalog, content_dir: Path, source_prefix: str = "content/") -> Catalog:
    """The catalog with a clinic's content files applied, in file-name order.

    In each file, an [[item]] whose id is built in changes that item (wording per language,
    conditions, order, likelihood) or switches it off with `enabled = false`; any other id adds a
    new item, written exactly like a built-in one. Without an `order`, a new item goes last in
    its section. Errors name the clinic's file, line and item id.
    """
    try:
        ledger = with_clinic_facts(catalog.ledger, content_dir / CLAIMS_FILE)
    except LedgerError as exc:
        raise CatalogError(exc.path, str(exc).split(": ", 1)[-1], line=exc.line) from None
    items = {item.id: item for item in catalog.items}
    added_by: dict[str, str] = {}
    for path in sorted(content_dir.glob("*.toml")):
        if path.name == CLAIMS_FILE:
            continue  # the clinic's own sources and facts, read above
        data, text = _load_toml(path)
        source = source_prefix + path.name
        raws = data.get("item", [])
        if set(data) - {"item"} or not isinstance(raws, list):
            raise CatalogError(path, "only [[item]] tables belong in a clinic content file.")
        for position, raw in enumerate(raws):
            item_id = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(item_id, str) or not _ID_PATTERN.match(item_id):
                raise CatalogError(
                    path, f"item number {position + 1} needs an id of lowercase letters, digits and dashes."
                )
            if item_id in added_by:
                raise CatalogError(
                    path,
                    f"id is also used in {added_by[item_id]}; ids must be unique.",
                    line=item_line(text, item_id),
                    item_id=item_id,
                )
            added_by[item_id] = source
            enabled = _enabled(path, text, raw)
            fields_given = {k: v for k, v in raw.items() if k != "enabled"}
            if item_id in items:
                if not enabled:
                    del items[item_id]
                    continue
                items[item_id] = _override_item(
                    path,
                    text,
                    {k: v for k, v in fields_given.items() if k not in _PLACEMENT_KEYS},
                    items[item_id],
                    source,
                    ledger,
                )
            else:
                placement = {k: fields_given.pop(k) for k in _PLACEMENT_KEYS if k in fields_given}
                new = _parse_items(path, {"item": [fields_given]}, text, 0.0, ledger, source=source)[0]
                if "order" not in raw:
                    last = max((i.order for i in items.values() if i.section == new.section), default=0.0)
                    new = replace(new, order=last + 0.5)
                if enabled:
                    items[item_id] = _place(path, text, {**fields_given, **placement}, new, items)
                continue
            items[item_id] = _place(path, text, raw, items[item_id], items)
    ordered = tuple(sorted(items.values(), key=lambda item: (SECTIONS.index(item.section), item.order)))
    return replace(catalog, items=ordered, ledger=ledger)


def _place(path: Path, text: str, raw: dict[str, Any], item: ContentItem, items: dict[str, ContentItem]) -> ContentItem:
    """Apply `after = "id"` or `before = "id"`: put the item right next to another in its section."""
    keys = [k for k in _PLACEMENT_KEYS if k in raw]
    if not keys:
        return item
    line = item_line(text, item.id)
    if len(keys) > 1 or "order" in raw:
        raise CatalogError(path, "use only one of 'after', 'before' or 'order'.", line=line, item_id=item.id)
    key, other_id = keys[0], raw[keys[0]]
    other = items.get(other_id) if isinstance(other_id, str) else None
    if other is None or other.section != item.section or other.id == item.id:
        raise CatalogError(
            path,
            f"'{key}' must name another item in section '{item.section}'; '{other_id}' is not one.",
            line=line,
            item_id=item.id,
        )
    neighbours = sorted(i.order for i in items.values() if i.section == item.section and i.id != item.id)
    if key == "after":
        following = [o for o in neighbours if o > other.order]
        order = (other.order + following[0]) / 2 if following else other.order + 0.5
    else:
        preceding = [o for o in neighbours if o < other.order]
        order = (other.order + preceding[-1]) / 2 if preceding else other.order - 0.5
    return replace(item, order=order)


def _parse_rules(path: Path, data: dict[str, Any], text: str) -> list[Rule]:
    rules: list[Rule] = []
    for position, raw in enumerate(data.get("rule", [])):
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not _ID_PATTERN.match(rule_id):
            raise CatalogError(path, f"rule number {position + 1} needs an id of lowercase letters, digits and dashes.")
        line = item_line(text, rule_id)
        extra = set(raw) - _RULE_KEYS
        if extra:
            raise CatalogError(
                path, f"unknown key(s) {sorted(extra)}; allowed: {sorted(_RULE_KEYS)}.", line=line, item_id=rule_id
            )
        if raw.get("level") not in ("refuse", "warn"):
            raise CatalogError(path, 'level must be "refuse" or "warn".', line=line, item_id=rule_id)
        if not raw.get("when"):
            raise CatalogError(path, "a rule needs at least one condition in 'when'.", line=line, item_id=rule_id)
        rules.append(
            Rule(
                id=rule_id,
                level=raw["level"],
                field=str(raw.get("field", "")),
                message=_check_wording(path, text, rule_id, "message", raw.get("message"), required=True),
                when=check_conditions(path, text, rule_id, raw["when"]),
            )
        )
    return rules


def load_catalog(content_dir: Path | None = None) -> Catalog:
    """Load and validate every `*.toml` content file and `rules.toml` in `content_dir`."""
    folder = content_dir or resources.content_dir()
    version_path = folder / "version.toml"
    version_data, _ = _load_toml(version_path)
    version = version_data.get("version")
    if not isinstance(version, str) or not version:
        raise CatalogError(version_path, 'needs version = "...".')
    try:
        ledger = load_ledger(folder / CLAIMS_FILE)
    except LedgerError as exc:
        raise CatalogError(exc.path, str(exc).split(": ", 1)[-1], line=exc.line) from None
    items: list[ContentItem] = []
    rules: list[Rule] = []
    for path in sorted(folder.glob("*.toml")):
        if path.name in ("version.toml", "labels.toml", CLAIMS_FILE):
            continue
        data, text = _load_toml(path)
        if path.name == "rules.toml":
            rules.extend(_parse_rules(path, data, text))
        else:
            # Files are numbered (10-key-points.toml...) so file order then position gives print order.
            items.extend(_parse_items(path, data, text, start_order=len(items) * 1.0, ledger=ledger))
    seen: dict[str, str] = {}
    for item in items:
        if item.id in seen:
            raise CatalogError(
                folder / item.source, f"id is also used in {seen[item.id]}; ids must be unique.", item_id=item.id
            )
        seen[item.id] = item.source
    labels_path = folder / "labels.toml"
    labels, labels_text = _load_toml(labels_path)
    check_labels(labels_path, labels_text, labels)
    return Catalog(version=version, items=tuple(items), rules=tuple(rules), labels=labels, ledger=ledger)


def _label_line(text: str, path: tuple[str, ...]) -> int | None:
    """The line of the deepest part of a label's path that is written in the file: the setting of its
    top-level key in the language's table, else the table's header."""
    language, *keys = path
    if keys:
        line = key_line(text, keys[0], table=language)
        if line is not None:
            return line
    return key_line(text, language)


def _label_paths(value: Any, path: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], Any]]:
    """Every label under `value`, at every depth, with its path (list entries by their 1-based number)."""
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _label_paths(item, (*path, str(key)))
    elif isinstance(value, list):
        for number, item in enumerate(value, start=1):
            yield from _label_paths(item, (*path, str(number)))


def _label_at(labels: dict[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    """(True, the value) at `path`, or (False, None) when some part of it is not there."""
    value: Any = labels
    for part in path:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and 1 <= int(part) <= len(value):
            value = value[int(part) - 1]
        else:
            return False, None
    return True, value


def check_labels(path: Path, text: str, labels: dict[str, Any]) -> None:
    """Raise CatalogError unless labels.toml holds a table for every language of the registry, every
    label the registry's choices need (choices.KINDS), and, in every other language, every label English
    has, at every depth, of the same kind (text, table or list of the same length). A missing label is
    named by file, line and dotted key here, never found as a KeyError while a sheet renders."""
    unknown = sorted(set(labels) - set(LANGUAGES))
    if unknown:
        raise CatalogError(
            path,
            f"[{unknown[0]}] is not a handout language; use {', '.join(LANGUAGES)}, "
            "or add the language to handout_app/choices.py (Language).",
            line=key_line(text, unknown[0]),
            key=unknown[0],
        )
    for member in Language:
        if not isinstance(labels.get(member.value), dict):
            raise CatalogError(
                path,
                f"needs a [{member.value}] table of labels ({member.description}), with every label [en] has.",
                key=member.value,
            )
    english = labels["en"]
    for language in LANGUAGES:
        for table, key in registry_labels():
            found, value = _label_at(labels, (language, table, key))
            if not found or not isinstance(value, str) or not value.strip():
                raise CatalogError(
                    path,
                    f"[{language}] has no label {table}.{key}; every {table} entry of handout_app/choices.py "
                    f'needs one, e.g. {table} = {{ {key} = "..." }}.',
                    line=_label_line(text, (language, table)),
                    key=f"{language}.{table}.{key}",
                )
        if language == "en":
            continue
        for label_path, value in _label_paths(english, (language,)):
            found, translated = _label_at(labels, label_path)
            dotted = ".".join(label_path)
            if not found:
                shown = f' (English: "{value}")' if isinstance(value, str) else ""
                raise CatalogError(
                    path,
                    f"[{language}] has no label {'.'.join(label_path[1:])}{shown}; add it in {language}.",
                    line=_label_line(text, label_path[:2]),
                    key=dotted,
                )
            if type(translated) is not type(value) or (isinstance(value, list) and len(value) != len(translated)):
                raise CatalogError(
                    path,
                    f"[{language}] label {'.'.join(label_path[1:])} is not written as in [en] "
                    "(text, a table, or a list of as many entries); write it the same way.",
                    line=_label_line(text, label_path[:2]),
                    key=dotted,
                )


def selection_facts(selection: Selection) -> dict[str, Any]:
    """The selection as the sets of names that conditions test against."""
    factors = {factor.value for factor in selection.factors.present}
    for allergy in selection.factors.allergies:
        factors.add("any-allergy")
        factors.add(f"allergy-{allergy.kind.value}")
    return {
        "target": {selection.target.value},
        "medication": {m.value for m in selection.medications},
        "guidance": {selection.guidance.value},
        "intent": {selection.effective_intent.value},
        "side": {selection.side.value},
        "factor": factors,
        "contrast": selection.contrast,
    }


def conditions_match(when: dict[str, Any], facts: dict[str, Any]) -> bool:
    """All keys must hold; within a list, any value may match (medication_all: every value)."""
    for key, wanted in when.items():
        if key == "contrast":
            if facts["contrast"] != wanted:
                return False
        elif key == "medication_all":
            if not set(wanted) <= facts["medication"]:
                return False
        elif key.startswith("not_"):
            if facts[key.removeprefix("not_")] & set(wanted):
                return False
        elif not facts[key] & set(wanted):
            return False
    return True


def check_rules(catalog: Catalog, selection: Selection) -> tuple[Finding, ...]:
    """Every rule the selection matches (refusals and warnings), in file order."""
    facts = selection_facts(selection)
    return tuple(
        Finding(rule.id, rule.level, rule.field, rule.message.get(selection.language) or rule.message["en"])
        for rule in catalog.rules
        if conditions_match(rule.when, facts)
    )


def select(catalog: Catalog, selection: Selection) -> SelectedContent:
    """The items that apply to `selection`, grouped by section in print order, plus warnings.

    Raises SelectionRefused when a `refuse` rule matches.
    """
    findings = check_rules(catalog, selection)
    refusals = tuple(f for f in findings if f.level == "refuse")
    if refusals:
        raise SelectionRefused(refusals)
    facts = selection_facts(selection)
    chosen = sorted((i for i in catalog.items if conditions_match(i.when, facts)), key=lambda i: i.order)
    sections = {name: tuple(i for i in chosen if i.section == name) for name in SECTIONS}
    return SelectedContent(sections=sections, warnings=tuple(f for f in findings if f.level == "warn"))


def iter_wording(item: ContentItem, language: str = "en") -> Iterable[str]:
    """The item's title and text in one language (for readability checks)."""
    if language in item.title:
        yield item.title[language]
    if language in item.text:
        yield item.text[language]
