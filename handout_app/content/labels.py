"""The labels (labels.toml): every language of the registry, every label its choices need, and in every
language every label English has, at every depth; a gap is a CatalogError naming file, line and key."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..choices import LANGUAGES, Language
from ..choices import required_labels as registry_labels
from ..toml_lines import key_line
from .fields import CatalogError


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
