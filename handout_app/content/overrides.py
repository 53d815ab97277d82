"""A clinic's content files over the built-in catalog: change, switch off, add and place items."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..claims import Ledger, LedgerError, with_clinic_facts
from ..toml_lines import item_line
from .fields import (
    _ID_PATTERN,
    _LIKELIHOOD_HINT,
    _OVERRIDE_KEYS,
    _PLACEMENT_KEYS,
    CLAIMS_FILE,
    SECTIONS,
    Catalog,
    CatalogError,
    ContentItem,
    _load_toml,
    check_fields,
)
from .loading import _parse_items


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
    changes: dict[str, Any] = {"source": source, **check_fields(path, text, item_id, raw, ledger)}
    # Wording is changed per language: a clinic that rewrites the English keeps the built-in Spanish.
    for key in ("text", "title"):
        if key in changes:
            changes[key] = {**getattr(base, key), **changes[key]}
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
