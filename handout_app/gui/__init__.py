"""The desktop window (PySide6). The only package that imports Qt.

Importing this package also applies `_guard_singleton_refcounts`, a guard against a PySide6 6.12.0 bug.
"""

from __future__ import annotations

import ctypes
import sys

import PySide6

# Far more than a working day of form changes (each change emits a handful of signals).
_EXTRA_REFERENCES = 1 << 40


def _guard_singleton_refcounts() -> bool:
    """Give `True`, `False` and `None` many references that are never released, on affected versions.

    PySide6 6.12.0 drops references it never took: every `Signal.emit()` made from Python drops
    one to `True` (100 emits lower `sys.getrefcount(True)` by exactly 100), and every call of a
    Python slot drops one to `None` (one form change: about 13). 6.11.3 does not, but the QtPdf
    wheel requires 6.12.0. Before Python 3.12 these are ordinary counted objects, so after about a
    thousand form changes a count reaches zero and the interpreter aborts ("bool_dealloc",
    "none_dealloc"): the window would vanish mid-shift with what the nurse typed. Holding Python
    references would not do, as they are released at exit and the abort follows then; so the count
    itself is raised. Python 3.12+ makes these objects immortal and needs nothing.
    Returns whether the guard was applied.
    """
    if sys.version_info >= (3, 12) or not PySide6.__version__.startswith("6.12.0"):
        return False
    # ob_refcnt is the first field of every CPython object header.
    for singleton in (True, False, None):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _EXTRA_REFERENCES
    return True


REFCOUNT_GUARD_APPLIED = _guard_singleton_refcounts()
