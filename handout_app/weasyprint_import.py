"""Import WeasyPrint without the quarter of a second Linux spends looking for libraries by other systems' names.

WeasyPrint opens Pango, HarfBuzz and fontconfig through cffi, trying each library's Windows and macOS
names before its Linux one. cffi looks up every name that does not load with ctypes.util.find_library,
which on Linux runs `ldconfig -p`, then gcc, then ld: about 13 ms for each of some 20 names that do not
exist here, a quarter of every cold start (the worker's, so the first preview's and the CLI's; see
Kozea/WeasyPrint#1125, "Why is weasyprint exec'ing gcc?"). While WeasyPrint loads, the lookup reads the
linker's cache once instead, which is the first place ctypes.util looks anyway; the Linux names
(libpango-1.0.so.0 and so on) load directly, from LD_LIBRARY_PATH too. Should the import fail that
way, it is tried once more with the standard lookup, so nothing that loaded before fails to load now.
"""

from __future__ import annotations

import ctypes.util
import functools
import re
import shutil
import subprocess
import sys
import threading
from types import ModuleType

_IMPORT_LOCK = threading.Lock()


def import_weasyprint() -> ModuleType:
    """The weasyprint module, imported now if it was not (quickly on Linux, plainly elsewhere)."""
    with _IMPORT_LOCK:
        if "weasyprint" in sys.modules:
            return sys.modules["weasyprint"]
        if sys.platform.startswith("linux"):
            standard = ctypes.util.find_library
            ctypes.util.find_library = _from_linker_cache
            try:
                import weasyprint  # returned from sys.modules below, typed as a module

                return sys.modules["weasyprint"]
            except OSError:
                pass  # a library the cache does not list: the standard lookup below may still find it
            finally:
                ctypes.util.find_library = standard
        import weasyprint  # noqa: F401 (returned from sys.modules below, typed as a module)

        return sys.modules["weasyprint"]


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
