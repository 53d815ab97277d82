"""Content as data: load the content items and selection rules, validate them, and select.

Each content item is one TOML table with an id, a section, its wording per language and the
conditions (`when`) under which it applies. Rules use the same conditions to refuse impossible
selections or warn about unusual ones. `select()` is the one generic function that applies them;
no Python code names a particular item.

The work is done in the content package, one job per module: content/fields.py (the model and the
one validator of an item's fields), content/loading.py (the built-in content), content/overrides.py
(a clinic's changes and additions), content/labels.py (the labels' checks) and content/selection.py
(select and the rules). This module names them for the rest of the program.
"""

from __future__ import annotations

from .content.fields import (
    CLAIMS_FILE,
    CONDITION_KEYS,
    FACTORS,
    LANGUAGES,
    MAX_CONTENT_FILE_BYTES,
    MAX_WORDING_CHARS,
    SECTIONS,
    Catalog,
    CatalogError,
    ContentItem,
    Finding,
    Rule,
    SelectedContent,
    SelectionRefused,
    check_conditions,
    check_fields,
)
from .content.labels import check_labels
from .content.loading import load_catalog
from .content.overrides import apply_overrides
from .content.selection import check_rules, conditions_match, iter_wording, select, selection_facts

__all__ = [
    "CLAIMS_FILE",
    "CONDITION_KEYS",
    "FACTORS",
    "LANGUAGES",
    "MAX_CONTENT_FILE_BYTES",
    "MAX_WORDING_CHARS",
    "SECTIONS",
    "Catalog",
    "CatalogError",
    "ContentItem",
    "Finding",
    "Rule",
    "SelectedContent",
    "SelectionRefused",
    "apply_overrides",
    "check_conditions",
    "check_fields",
    "check_labels",
    "check_rules",
    "conditions_match",
    "iter_wording",
    "load_catalog",
    "select",
    "selection_facts",
]
