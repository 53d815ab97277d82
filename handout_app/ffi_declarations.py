"""WeasyPrint's C declarations, read once and kept between runs, so that a cold start does not read them again.

WeasyPrint declares the Pango, HarfBuzz and fontconfig functions it calls as 16 KB of C source, which cffi
parses in Python (pycparser) every time WeasyPrint loads: about 55 ms of each cold start (the worker's, so
the first preview's and every CLI render's). Each C type WeasyPrint then names in a call, such as
`ffi.new('hb_codepoint_t[71]')`, is parsed the same way against all of those declarations, 3 to 8 ms the
first time each is met: about 80 ms of a first sheet. cffi's out-of-line form of the same declarations
(`FFI.emit_python_code`) is a compact type table that cffi's C part loads in a few milliseconds and in
which it looks type names up in C. Under callgrind, the worker's cold path to its first PDF went from 5.05
to 4.45 billion instructions (-12%); every PDF the tests compared is byte for byte the same either way.

The first load with a given cache folder parses the declarations as before and keeps the table there
(`weasyprint-declarations.txt`); later loads hand WeasyPrint an FFI built from it. The table is used only
for exactly the declarations it was made from: the SHA-256 of each piece of C source WeasyPrint passes to
`cdef` is checked as WeasyPrint passes it, under the same cffi, Python and machine, and WeasyPrint must
open as many libraries as it did then (an optional one, such as HarfBuzz's subsetter, found then but not
now would change the PDFs). Anything else (a new WeasyPrint, a damaged or unreadable file, a library that
loads only through the standard lookup, any error) means WeasyPrint is loaded afresh the usual way, and
the table is made anew. The file holds Python literals only, read with ast.literal_eval behind a
checksum, never run, and nothing about a patient. A table made on purpose to mislead cffi could still
crash the worker: the cache folder is trusted as the user's own, as it is for the compiled templates
kept beside it (template_cache.py), which are code.

Linux only, as weasyprint_import.py's quick lookup is: with a table, cffi opens each library by the names
WeasyPrint tries, without ctypes.util.find_library, which on Windows and macOS is how some are found.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import _cffi_backend
import cffi

FILE_NAME = "weasyprint-declarations.txt"
# The module WeasyPrint declares its C functions in; only its FFI is taken from the table.
DECLARING_MODULE = "weasyprint.text.ffi"
# The name cffi writes into the out-of-line table (it names the FFI in cffi's own messages).
_TABLE_NAME = "_handout_weasyprint_ffi"
_ORIGINAL_FFI = cffi.FFI
# A table is written to a file of this prefix first, then renamed; one older than this (seconds) was left by
# a process that was killed while writing it.
_PARTIAL_PREFIX = ".declarations-"
STALE_PARTIAL_S = 3600

Result = TypeVar("Result")


class DeclarationsChanged(Exception):
    """WeasyPrint declared something other than what the kept table was made from."""


def import_with_kept_declarations(import_module: Callable[[], Result], folder: Path | None) -> Result:
    """What `import_module()` (which imports WeasyPrint) returns, WeasyPrint's C declarations taken from the
    table kept in `folder` when it holds theirs; otherwise parsed as usual and kept there for the next start.
    With no folder, or on a system other than Linux, WeasyPrint loads exactly as it would without this module."""
    if folder is None or not sys.platform.startswith("linux"):
        return import_module()
    path = folder / FILE_NAME
    kept = _read(path)
    if kept is not None:
        made: list[_KeptFFI] = []

        def kept_ffi() -> _KeptFFI:
            made.append(_KeptFFI(kept))
            return made[-1]

        try:
            with _weasyprint_ffi(kept_ffi):
                result = import_module()
            # An optional library (HarfBuzz's subsetter, say) that WeasyPrint opened when the table was made
            # but not now, opening by the names it gives alone, would change the PDFs: not this way, then.
            if made and made[-1].libraries_opened == kept["libraries"]:
                return result
        except Exception:
            # Whatever went wrong (a newer WeasyPrint, a library found only by the standard lookup, a table cffi
            # takes but WeasyPrint cannot use), the usual way below decides, as it did before tables were kept.
            pass
        forget_package(DECLARING_MODULE.partition(".")[0])
    notes = _Notes()
    with _weasyprint_ffi(lambda: _RecordingFFI(notes)):
        result = import_module()
    if notes.declared:
        _keep(path, notes)
    return result


def forget_package(package: str) -> None:
    """Take every module of `package` out of sys.modules after its import failed, so that the next attempt
    starts afresh. Python drops only the modules whose own code failed: the subpackages that loaded stay,
    and a new `weasyprint` module would then lack them as attributes (`weasyprint.text`)."""
    for name in [name for name in sys.modules if name == package or name.startswith(package + ".")]:
        del sys.modules[name]


def _stamp() -> str:
    """What the table depends on besides the declarations: cffi (its table format), Python and the machine."""
    return f"cffi {cffi.__version__} {_cffi_backend.__version__}; Python {sys.version}; {os.uname().machine}"


def _cdef_key(csource: str, options: dict[str, Any]) -> str:
    """The SHA-256 of one `cdef` call: its C source and its options (override, packed, pack)."""
    described = "\0".join(f"{name}={options[name]!r}" for name in sorted(options))
    return hashlib.sha256(f"{described}\0{csource}".encode()).hexdigest()


class _KeptFFI(_cffi_backend.FFI):  # type: ignore[misc]  # cffi's C type, untyped
    """cffi's out-of-line FFI, made from a kept table, for WeasyPrint's `ffi = cffi.FFI(); ffi.cdef(...)`: each
    `cdef` must hand it the very source the table was made from, or the import stops (DeclarationsChanged)."""

    def __init__(self, kept: dict[str, Any]) -> None:
        super().__init__(_TABLE_NAME, **kept["table"])
        self._expected_cdefs = list(kept["cdefs"])
        self.libraries_opened = 0

    def cdef(self, csource: str, override: bool = False, packed: bool = False, pack: int | None = None) -> None:
        """Check that `csource` is the next declaration the table holds (the table already declares it)."""
        key = _cdef_key(csource, {"override": override, "packed": packed, "pack": pack})
        if not self._expected_cdefs or self._expected_cdefs.pop(0) != key:
            raise DeclarationsChanged

    def dlopen(self, name: str, flags: int = 0) -> Any:
        """Open a library as cffi does, counting the ones that open."""
        library = super().dlopen(name, flags)
        self.libraries_opened += 1
        return library


@dataclass
class _Notes:
    """What WeasyPrint declared, in order, and how many libraries it opened, as it loaded the usual way."""

    declared: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    libraries_opened: int = 0


class _RecordingFFI(_ORIGINAL_FFI):  # type: ignore[misc,valid-type]  # cffi is untyped
    """cffi's usual FFI, which also notes each declaration it is given and each library it opens, so that a
    table can be made of them."""

    def __init__(self, notes: _Notes) -> None:
        super().__init__()
        notes.declared.clear()  # a second attempt at the import declares and opens everything again
        notes.libraries_opened = 0
        self._notes = notes

    def cdef(self, csource: str, override: bool = False, packed: bool = False, pack: int | None = None) -> None:
        """Declare as cffi does, and note the declaration."""
        super().cdef(csource, override=override, packed=packed, pack=pack)
        self._notes.declared.append((csource, {"override": override, "packed": packed, "pack": pack}))

    def dlopen(self, name: str, flags: int = 0) -> Any:
        """Open a library as cffi does, and count it."""
        library = super().dlopen(name, flags)
        self._notes.libraries_opened += 1
        return library


@contextlib.contextmanager
def _weasyprint_ffi(make: Callable[[], Any]) -> Iterator[None]:
    """While WeasyPrint loads, its module DECLARING_MODULE gets a new `make()` for each `cffi.FFI()` (once per
    attempt at the import); any other caller (none is known) still gets cffi's own FFI."""

    def ffi_for_caller(*args: Any, **kwargs: Any) -> Any:
        if sys._getframe(1).f_globals.get("__name__") == DECLARING_MODULE and not args and not kwargs:
            return make()
        return _ORIGINAL_FFI(*args, **kwargs)

    cffi.FFI = ffi_for_caller
    try:
        yield
    finally:
        cffi.FFI = _ORIGINAL_FFI


def _read(path: Path) -> dict[str, Any] | None:
    """The table kept at `path` for this cffi, Python and machine, or None (missing, damaged, another stamp, or
    not one cffi takes)."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeError):
        return None
    checksum, _, body = text.partition("\n")
    if hashlib.sha256(body.encode("ascii")).hexdigest() != checksum:
        return None
    try:
        kept = ast.literal_eval(body)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if not (
        isinstance(kept, dict)
        and kept.get("stamp") == _stamp()
        and isinstance(kept.get("cdefs"), list)
        and all(isinstance(key, str) for key in kept["cdefs"])
        and type(kept.get("libraries")) is int
        and isinstance(kept.get("table"), dict)
        and all(isinstance(name, str) and name.startswith("_") for name in kept["table"])
    ):
        return None
    try:
        _KeptFFI(kept)  # once here, so that a table cffi refuses is found out before WeasyPrint loads
    except Exception:  # checked and stamped, yet not a table this cffi takes: the declarations are parsed instead
        return None
    return kept


def _keep(path: Path, notes: _Notes) -> None:
    """Make the out-of-line table of `declared` and write it to `path` (whole or not at all). Nothing that goes
    wrong here is the user's concern: WeasyPrint has loaded, and the next start parses the declarations again."""
    try:
        builder = _ORIGINAL_FFI()
        for csource, options in notes.declared:
            builder.cdef(csource, **options)
        builder.set_source(_TABLE_NAME, None, compiler_verbose=False)
        with tempfile.TemporaryDirectory() as scratch:
            module = Path(scratch) / f"{_TABLE_NAME}.py"
            builder.emit_python_code(str(module))
            # The generated module is `import _cffi_backend` and `ffi = _cffi_backend.FFI(name, **table)`.
            call = ast.parse(module.read_text(encoding="utf-8")).body[-1].value  # type: ignore[attr-defined]
        table = {keyword.arg: ast.literal_eval(keyword.value) for keyword in call.keywords}
        kept = {
            "stamp": _stamp(),
            "cdefs": [_cdef_key(csource, options) for csource, options in notes.declared],
            "libraries": notes.libraries_opened,
            "table": table,
        }
        body = repr(kept)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        _remove_stale_partials(path.parent)
        with tempfile.NamedTemporaryFile(
            "w", encoding="ascii", dir=path.parent, prefix=_PARTIAL_PREFIX, delete=False
        ) as partial:
            partial.write(hashlib.sha256(body.encode("ascii")).hexdigest() + "\n" + body)
        os.replace(partial.name, path)
    except Exception:  # see the docstring: the table is only ever a shortcut
        with contextlib.suppress(NameError, OSError):
            os.unlink(partial.name)


def _remove_stale_partials(folder: Path) -> None:
    """Remove the half-written tables of processes killed while writing one (older than STALE_PARTIAL_S: one
    being written now by another process is left alone)."""
    for partial in folder.glob(f"{_PARTIAL_PREFIX}*"):
        with contextlib.suppress(OSError):
            if time.time() - partial.stat().st_mtime > STALE_PARTIAL_S:
                partial.unlink()
