"""One WeasyPrint font configuration kept from sheet to sheet (on a process's main thread, where the worker
renders), and given up whenever it would not be exactly what a fresh one is.

Left to itself, every WeasyPrint render builds a new FontConfiguration: it loads fontconfig's setup, copies
the handout's five font files (4.5 MB with the fallback) into a new temp folder, registers them, and starts
Pango's caches (open font files, glyph metrics) empty. Keeping one saves 7% of a warm render's instructions
(callgrind), and the PDFs are byte for byte the same (tests/test_font_reuse.py).

A sheet must never depend on the sheets made before it, so what a kept configuration makes stands only
when a fresh one would have been the same:

- the faces the sheet asked for (its @font-face rules, which WeasyPrint registers as it reads the style
  sheets) must be, at the end of the render, exactly the faces the configuration holds, in the order they
  were registered. A sheet with a clinic's own face, or without a face the sheet before it had, is made
  again with a fresh configuration, which is then kept instead (the render a fresh one makes anyway).
- it is kept after a render only when every face it holds was registered to the end without a warning:
  a render cancelled by a newer keystroke may stop inside a registration (WeasyPrint would then find the
  font's copy and never register it again), and a face that warned was not loaded.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# The main thread's configuration between renders, or None. Renders run on a process's main thread (the
# worker's, a test's); one on another thread always starts fresh, as WeasyPrint would.
_kept: Any = None
_cleanup_registered_in = 0  # the process id that has registered its clean-up at exit


class _WarningSeen(logging.Handler):
    """Notes whether WeasyPrint warned while one face was registered (the face was then not loaded)."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = True


@functools.cache
def _configuration_class() -> type:
    from weasyprint.text.fonts import FontConfiguration  # WeasyPrint is imported lazily everywhere

    class RecordingFontConfiguration(FontConfiguration):  # type: ignore[misc]  # WeasyPrint ships no types
        """A FontConfiguration that records which faces it holds, in order, and which registered cleanly."""

        def __init__(self) -> None:
            super().__init__()
            self.faces: list[str] = []  # every face asked for, in the order first asked
            self.settled: set[str] = set()  # the faces whose registration ran to its end without a warning
            self.asked: list[str] = []  # the faces the current render has asked for

        def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> None:
            # str(descriptors) is WeasyPrint's own key for a face: its copied file is named by that text's hash.
            face = str(rule_descriptors)
            if face not in self.asked:
                self.asked.append(face)
            if face not in self.faces:
                self.faces.append(face)
            watcher = _WarningSeen()
            logger = logging.getLogger("weasyprint")
            logger.addHandler(watcher)
            try:
                super().add_font_face(rule_descriptors, url_fetcher)
            finally:
                logger.removeHandler(watcher)
            if not watcher.seen:
                self.settled.add(face)

    return RecordingFontConfiguration


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _keep_if_settled(config: Any) -> None:
    """Keep `config` for the next render if every face it holds was registered cleanly."""
    global _kept
    if _on_main_thread() and set(config.faces) <= config.settled:
        _kept = config


def _take_kept() -> Any:
    """The kept configuration, no longer kept: should the render stop, the next one starts fresh."""
    global _kept
    if not _on_main_thread():
        return None
    config, _kept = _kept, None
    return config


def _fresh() -> Any:
    """A new configuration, with its folder's removal at exit registered once in this process."""
    global _cleanup_registered_in
    if _on_main_thread() and _cleanup_registered_in != os.getpid():
        _cleanup_registered_in = os.getpid()
        if "multiprocessing" in sys.modules:
            # A multiprocessing child (a ProcessPoolExecutor's) ends with os._exit, which skips atexit; it
            # runs these finalisers instead, and only those registered in the child itself.
            from multiprocessing import util

            util.Finalize(None, remove_kept_fonts, exitpriority=0)
    return _configuration_class()()


def render_with_kept_fonts(render: Callable[[Any], T]) -> T:
    """`render(font_config)` (a WeasyPrint render given `font_config=`), with the kept configuration
    when the render asks for exactly its faces, otherwise (and the first time) with a fresh one, kept after.

    Its result, or the exception it raises, is the one a fresh configuration gives. A BaseException that
    is not an Exception (a cancel, the memory limit) passes through at once, never starting a second render.
    """
    kept = _take_kept()
    if kept is not None:
        kept.asked = []
        try:
            result = render(kept)
        except Exception:
            if kept.asked == kept.faces:
                _keep_if_settled(kept)
                raise  # a fresh configuration would have held the same faces: the same failure
        except BaseException:
            _keep_if_settled(kept)
            raise
        else:
            if kept.asked == kept.faces:
                _keep_if_settled(kept)
                return result
    fresh = _fresh()
    try:
        return render(fresh)
    finally:
        _keep_if_settled(fresh)


def remove_kept_fonts() -> None:
    """Drop the kept configuration and remove its temp folder of font copies (at exit). The styles of every
    sheet laid out with it refer to it in reference cycles, so without this the folder would outlive a
    process that ends in os._exit (a multiprocessing child does), which never collects them."""
    global _kept
    config, _kept = _kept, None
    if config is not None and config._folder:
        shutil.rmtree(config._folder, ignore_errors=True)
        config._folder = None  # FontConfiguration.__del__ removes the folder it names


def _disown_after_fork() -> None:
    """In a forked child: the copied configuration's folder is the parent's, so the child must not remove it."""
    global _kept, _cleanup_registered_in
    if _kept is not None:
        _kept._folder = None
        _kept = None
    _cleanup_registered_in = 0


atexit.register(remove_kept_fonts)  # the folder goes with the process (a worker's, with its own TMPDIR too)
if hasattr(os, "register_at_fork"):  # not on Windows, where a child process starts afresh
    os.register_at_fork(after_in_child=_disown_after_fork)
