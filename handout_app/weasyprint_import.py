"""Import WeasyPrint without the quarter of a second Linux spends looking for libraries by other systems' names.

WeasyPrint opens Pango, HarfBuzz and fontconfig through cffi, trying each library's Windows and macOS
names before its Linux one. cffi looks up every name that does not load with ctypes.util.find_library,
which on Linux runs `ldconfig -p`, then gcc, then ld: about 13 ms for each of some 20 names that do not
exist here, a quarter of every cold start (the worker's, so the first preview's and the CLI's; see
Kozea/WeasyPrint#1125, "Why is weasyprint exec'ing gcc?"). While WeasyPrint loads, the lookup reads the
linker's cache once instead, which is the first place ctypes.util looks anyway; the Linux names
(libpango-1.0.so.0 and so on) load directly, from LD_LIBRARY_PATH too. Should the import fail that
way, it is tried once more with the standard lookup, so nothing that loaded before fails to load now.
Once WeasyPrint's C declarations are kept (ffi_declarations.py), cffi opens the libraries by the names
WeasyPrint gives and looks nothing up; the quick lookup serves the start that keeps them.
"""

from __future__ import annotations

import ctypes.util
import functools
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

from .ffi_declarations import forget_package, import_with_kept_declarations
from .resources import user_cache_folder

_IMPORT_LOCK = threading.Lock()


def import_weasyprint() -> ModuleType:
    """The weasyprint module, imported now if it was not (quickly on Linux, plainly elsewhere)."""
    with _IMPORT_LOCK:
        if "weasyprint" not in sys.modules:
            # Its C declarations come from the table kept in the cache folder when it holds them
            # (ffi_declarations.py), so cffi does not parse them again.
            import_with_kept_declarations(_import, _declarations_folder())
        return sys.modules["weasyprint"]


def _import() -> None:
    """Import WeasyPrint: on Linux through the linker's cache, and the standard way should that fail."""
    if sys.platform.startswith("linux"):
        standard = ctypes.util.find_library
        ctypes.util.find_library = _from_linker_cache
        try:
            import weasyprint  # the caller takes it from sys.modules

            return
        except OSError:
            forget_package("weasyprint")  # a library the cache does not list: the standard lookup may find it
        finally:
            ctypes.util.find_library = standard
    import weasyprint  # noqa: F401 (the caller takes it from sys.modules)


def _declarations_folder() -> Path | None:
    """Where WeasyPrint's C declarations are kept: this user's cache folder (None if there is none to be had)."""
    try:
        return user_cache_folder()
    except Exception:  # no home folder, say: WeasyPrint still loads, parsing its declarations
        return None


def _from_linker_cache(name: str) -> str | None:
    """ctypes.util.find_library's answer from the linker's cache alone: the file name of the library
    `name` (as 'pango-1.0' -> 'libpango-1.0.so.0') for this process's word size, or None."""
    pattern = re.compile(rf"lib{re.escape(name)}\.\S*")
    for file_name in _linker_cache():
        if pattern.fullmatch(file_name):
            return file_name
    return None


@functools.cache
def _linker_cache() -> tuple[str, ...]:
    """The file names of the shared libraries `ldconfig -p` lists for this process's word size."""
    ldconfig = shutil.which("ldconfig") or shutil.which("ldconfig", path="/sbin:/usr/sbin")
    if ldconfig is None:
        return ()
    try:
        listing = subprocess.run(
            [ldconfig, "-p"], capture_output=True, text=True, errors="replace", timeout=10, check=False
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    wide = sys.maxsize > 2**32  # a 64-bit Python loads only 64-bit libraries ("libc6,x86-64", "libc6,AArch64")
    names = []
    for line in listing.splitlines():
        match = re.match(r"\s+(\S+) \(([^)]*)\) => ", line)
        if match and ("64" in match.group(2)) == wide:
            names.append(match.group(1))
    return tuple(names)
