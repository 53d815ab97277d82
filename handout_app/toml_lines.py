"""The line of a TOML file that a key, an item or a parse error is on, so that a message can point at it.

tomllib gives values without their positions, so the text is searched again, as a person may have
written it: a bare, "quoted" or 'literal' key, spaces around '=', a comment after the value. The
content files, claims.toml, clinic.toml and the patient file all find their lines here.
"""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache

_HEADER = re.compile(r"^[ \t]*\[", flags=re.MULTILINE)


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _key(name: str) -> str:
    """A pattern for the key `name` written bare, "basic" or 'literal'."""
    escaped = re.escape(name)
    return rf"(?:{escaped}|\"{escaped}\"|'{escaped}')"


def _table_part(text: str, table: str) -> tuple[int, int] | None:
    """Where the keys of [table] ('' for the top level) are written: from its header to the next one."""
    start = 0
    if table:
        header = re.search(rf"^[ \t]*\[[ \t]*{_key(table)}[ \t]*\]", text, flags=re.MULTILINE)
        if header is None:
            return None
        start = header.end()
    following = _HEADER.search(text, start)
    return start, following.start() if following else len(text)


def key_line(text: str, key: str, table: str = "") -> int | None:
    """The 1-based line where `key` is set in [table] (the top level when ''): `key = ...` or `key.en = ...`
    under the table's header, else a header of the key's own ([key], [table.key], [[key]]); None if not found."""
    part = _table_part(text, table)
    if part is not None:
        assignment = re.compile(rf"^[ \t]*{_key(key)}[ \t]*[=.]", flags=re.MULTILINE).search(text, *part)
        if assignment:
            return _line_at(text, assignment.start())
    path = rf"{_key(table)}[ \t]*\.[ \t]*{_key(key)}" if table else _key(key)
    header = re.search(rf"^[ \t]*\[\[?[ \t]*{path}[ \t]*[.\]]", text, flags=re.MULTILINE)
    return _line_at(text, header.start()) if header else None


def item_line(text: str, item_id: object, key: str = "id") -> int | None:
    """The 1-based line of `id = "x-1"` naming an item of an array of tables (or of an inline table),
    however the key and the value are quoted; None when `item_id` is not text or is not found."""
    if not isinstance(item_id, str) or not item_id:
        return None
    return _item_lines(text, key).get(item_id)


@lru_cache(maxsize=64)
def _item_lines(text: str, key: str) -> dict[str, int]:
    """Every item id set with `key` in the text, with the line of its first setting: one pass over a
    file, where a pattern per item would be compiled again for each (a fifth of the worker's start)."""
    # The whole value: 'x-1' must not find `id = "x-10"`; a comment line (# id = "x-1") is not a setting.
    pattern = re.compile(
        rf"(?:^|[{{,])[ \t]*{_key(key)}[ \t]*=[ \t]*(?:\"([^\"\r\n]*)\"|'([^'\r\n]*)')[ \t]*(?=[,}}#\r\n]|$)",
        flags=re.MULTILINE,
    )
    lines: dict[str, int] = {}
    for match in pattern.finditer(text):
        value = match.group(1) if match.group(1) is not None else match.group(2)
        lines.setdefault(value, _line_at(text, match.start()))
    return lines


def error_line(exc: tomllib.TOMLDecodeError) -> int | None:
    """The line tomllib names for a syntax error ('... (at line 3, column 7)'), or None."""
    line = getattr(exc, "lineno", None)  # an attribute from Python 3.14; in the message before that
    if isinstance(line, int):
        return line
    found = re.search(r"\bline (\d+)", str(exc))
    return int(found.group(1)) if found else None
