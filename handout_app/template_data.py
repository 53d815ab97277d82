"""What templates may see: plain, immutable data only.

A clinic's templates and wording are untrusted. Everything they receive is turned into strings,
numbers, booleans, dates, tuples and read-only mappings first, so no value in a template has a
method that touches the file system (a `Path`), the process, or state shared with the next sheet
(a dict the next render reuses). `freeze()` converts; `check_plain()` proves it, and every render
calls it, so a forgotten conversion fails loudly instead of opening a hole.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from collections.abc import Iterator, Mapping
from typing import Any

from markupsafe import Markup


class FrozenMap(Mapping[str, Any]):
    """A read-only mapping with string keys. Templates reach values as `map.key` or `map['key']`.

    Unlike `types.MappingProxyType` it has no `copy()` that hands out the mutable dict underneath.
    """

    __slots__ = ("_data", "_plain")
    _data: dict[str, Any]
    # Set by check_plain once every value inside is proven plain: nothing inside can change, so a map shared
    # by many sheets (the labels, a rendered item) is proven once, and freeze() passes it on as it is.
    _plain: bool

    def __init__(self, data: Mapping[str, Any]) -> None:
        object.__setattr__(self, "_data", dict(data))
        object.__setattr__(self, "_plain", False)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("template data is read-only")

    def __hash__(self) -> int:
        return hash(tuple(self._data.items()))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"


# The only types a template may be handed (str covers Markup, which is escaped-safe text).
PLAIN_SCALARS: tuple[type, ...] = (str, Markup, bool, int, float, type(None), dt.date, dt.datetime)


_KEPT_AS_THEY_ARE: frozenset[type] = frozenset({str, bool, int, float, type(None), dt.date, dt.datetime})


def freeze(value: Any) -> Any:
    """`value` as plain immutable data; raises TypeError for anything that cannot be made plain."""
    # The usual types first, by exact type (a sheet's context has hundreds of values); the same results as below.
    kind = type(value)
    if kind in _KEPT_AS_THEY_ARE:
        return value
    if kind is FrozenMap and value._plain:
        return value
    if kind is Markup:
        return Markup(value)
    if kind is dict:
        return FrozenMap({str(key): freeze(item) for key, item in value.items()})
    if kind is tuple or kind is list:
        return tuple(freeze(item) for item in value)
    if isinstance(value, enum.Enum):
        return freeze(value.value)
    if isinstance(value, Markup):
        return Markup(value)
    if isinstance(value, str):
        return str(value)  # drops str subclasses and whatever methods they add
    if value is None or type(value) in (bool, int, float, dt.date, dt.datetime):
        return value
    if isinstance(value, Mapping):
        return FrozenMap({str(key): freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return tuple(freeze(item) for item in items)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return FrozenMap({f.name: freeze(getattr(value, f.name)) for f in dataclasses.fields(value)})
    raise TypeError(f"{type(value).__name__} may not be passed to a template; pass plain text or numbers instead.")


def check_plain(value: Any, where: str = "context") -> None:
    """Raise TypeError naming the first value in `value` that is not plain immutable data."""
    if type(value) in PLAIN_SCALARS:
        return
    if type(value) is FrozenMap:
        if value._plain:
            return
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(f"{where}: key {key!r} is not text")
            check_plain(item, f"{where}.{key}")
        object.__setattr__(value, "_plain", True)
        return
    if type(value) is tuple:
        for index, item in enumerate(value):
            check_plain(item, f"{where}[{index}]")
        return
    raise TypeError(f"{where} is a {type(value).__name__}, which templates may not be given")
