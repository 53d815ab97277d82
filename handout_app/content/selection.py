"""Selection: the items and rule findings that apply to one Selection, by the items' conditions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..domain import Selection
from .fields import SECTIONS, Catalog, ContentItem, Finding, SelectedContent, SelectionRefused


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
    """All keys must hold; within a list, any value may match (`*_all` keys: every value)."""
    for key, wanted in when.items():
        if key == "contrast":
            if facts["contrast"] != wanted:
                return False
        elif key.endswith("_all"):
            if not set(wanted) <= facts[key.removesuffix("_all")]:
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
