"""Loading the built-in content: version, claims ledger, items, rules and labels, all validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .. import resources
from ..claims import Ledger, LedgerError, load_ledger
from ..toml_lines import item_line
from .fields import (
    _ID_PATTERN,
    _ITEM_KEYS,
    _LIKELIHOOD_HINT,
    _RULE_KEYS,
    CLAIMS_FILE,
    SECTIONS,
    Catalog,
    CatalogError,
    ContentItem,
    Rule,
    _check_wording,
    _load_toml,
    check_conditions,
    check_fields,
)
from .labels import check_labels


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
        fields = check_fields(path, text, item_id, raw, ledger, required=("text",))
        items.append(
            ContentItem(
                id=item_id,
                section=section,
                when=fields.pop("when", {}),
                order=fields.pop("order", float(start_order + position)),
                source=source or path.name,
                **fields,
            )
        )
    return items


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
