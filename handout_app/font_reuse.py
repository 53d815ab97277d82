"""One WeasyPrint font configuration kept from sheet to sheet (on a process's main thread, where the worker
renders), and given up whenever it would not be what a fresh one is.

Left to itself, every WeasyPrint render builds a new FontConfiguration: it loads fontconfig's setup, copies
the handout's five font files (4.5 MB with the fallback) into a new temp folder, registers them, and starts
Pango's caches (open font files, glyph metrics) empty. Keeping one saves 7% of a warm render's instructions
(callgrind); the PDFs are byte for byte those of a fresh configuration in every case tests/test_font_reuse.py
and two independent reviews tried, with the one exception at the end.

A sheet must never depend on the sheets made before it, so:

- The kept configuration is used only by a sheet that asks for exactly the faces it holds, in the order
  they were registered, and no other: its @font-face rules, which WeasyPrint registers as it reads the
  style sheets, before it lays out any text. At the first face that differs, or at the first text when
  the sheet asked for fewer, that try stops (before a page is made) and the sheet is made with a fresh
  configuration, which is then kept instead. A kept configuration never gains a face: WeasyPrint keeps
  line heights on it (`strut_layouts`) worked out with the faces it held then.
- Those line heights are keyed by the style alone, and a line-height WeasyPrint leaves unresolved (a
  calc() with a percentage) has the same key whatever it holds, so they are cleared before each sheet.
- One is not kept, or not used again, once a face came after text was laid out (an SVG picture's own
  @font-face, read when the picture is placed or when the PDF is written): a fresh configuration would lay
  out the text before the picture without that face.
- It is kept only when every face it holds was registered to the end without a warning: a render
  cancelled by a newer keystroke may stop inside a registration (WeasyPrint would then find the font's
  copy and never register it again), and a face that warned was not loaded.

Every configuration's temp folder is removed at exit, also in a multiprocessing child (which ends in
os._exit and never collects the reference cycles that hold given-up configurations); a process that
calls os._exit itself, or is killed, leaves them, as WeasyPrint alone would (the worker's folders are in
its own temp folder, which the app removes).

The exception: fontconfig's list of the computer's own fonts is read when a configuration is made, so a
font installed while the app runs is used from the next fresh configuration (at the latest when the app
starts again). Only a clinic picture's SVG text can use such a font: the sheet's own text may use the
handout's bundled fonts only (sheet_check.py refuses any other).
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import shutil
import sys
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# The main thread's configuration between renders, or None. Renders run on a process's main thread (the
# worker's, a test's); one on another thread always starts fresh, as WeasyPrint would.
_kept: Any = None
_made: weakref.WeakSet[Any] = weakref.WeakSet()  # every configuration of this process not yet freed
_cleanup_registered_in = 0  # the process id that has registered its clean-up at exit


class _NotFresh(BaseException):
    """Raised in a render that reuses a configuration as soon as its faces differ, before any text is laid
    out; the sheet is then made with a fresh one. A BaseException, so no handler in WeasyPrint (some turn
    an Exception into a warning) can swallow it."""


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
            self.faces: list[str] = []  # every face asked for, in the order first asked
            self.settled: set[str] = set()  # the faces whose registration ran to its end without a warning
            self.asked: list[str] = []  # the faces the current render has asked for
            self.held: list[str] | None = None  # when the render reuses this configuration: the faces it held
            self.shaped = False  # whether the current render has laid out text (set by the font map's use)
            self.late = False  # whether a face was asked for after that: an SVG picture's own @font-face
            self._registering = True  # WeasyPrint's own set-up and registrations reach the font map too
            super().__init__()
            self._registering = False

        def reuse(self) -> None:
            """Start a render with this configuration as the sheet before it left it."""
            self.held, self.asked, self.shaped = list(self.faces), [], False
            # Line heights are kept keyed by the style alone; one whose line-height WeasyPrint leaves
            # unresolved (a calc() with a percentage) would get another sheet's value.
            self.strut_layouts.clear()

        @property
        def font_map(self) -> Any:
            # WeasyPrint reaches Pango's font map to lay out every piece of text, and otherwise only to
            # set it up and to register a face. By the first text, every style sheet has been read.
            if not (self.shaped or self._registering):
                if self.held is not None and self.asked != self.held:
                    raise _NotFresh  # the sheet asked for fewer faces than the configuration holds
                self.shaped = True
            return self._font_map

        @font_map.setter
        def font_map(self, value: Any) -> None:
            self._font_map = value

        def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> None:
            # str(descriptors) is WeasyPrint's own key for a face: its copied file is named by that text's hash.
            face = str(rule_descriptors)
            next_held = self.held[len(self.asked) : len(self.asked) + 1] if self.held is not None else [face]
            if face not in self.asked and next_held != [face]:
                raise _NotFresh  # another face, or one more: a kept configuration never gains a face
            self.late = self.late or self.shaped
            if face not in self.asked:
                self.asked.append(face)
            if face not in self.faces:
                self.faces.append(face)
            watcher = _WarningSeen()
            logger = logging.getLogger("weasyprint")
            logger.addHandler(watcher)
            self._registering = True
            try:
                super().add_font_face(rule_descriptors, url_fetcher)
            finally:
                logger.removeHandler(watcher)
                self._registering = False
            if not watcher.seen:
                self.settled.add(face)

    return RecordingFontConfiguration


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _keep_if_settled(config: Any) -> None:
    """Keep `config` for the next render if every face it holds was registered cleanly, before any text."""
    global _kept
    config.held = None  # its render is over: a face its PDF's writing adds is judged when it is taken again
    if _on_main_thread() and set(config.faces) <= config.settled and not config.late:
        _kept = config


def _take_kept() -> Any:
    """The kept configuration, no longer kept: should the render stop, the next one starts fresh."""
    global _kept
    if not _on_main_thread():
        return None
    config, _kept = _kept, None
    if config is not None and (config.late or not set(config.faces) <= config.settled):
        return None  # a face came while the last sheet's PDF was written (a picture's own SVG @font-face)
    return config


def _fresh() -> Any:
    """A new configuration, with the removal of its folder at exit registered once in this process."""
    global _cleanup_registered_in
    if _cleanup_registered_in != os.getpid():
        _cleanup_registered_in = os.getpid()
        if "multiprocessing" in sys.modules:
            # A multiprocessing child (a ProcessPoolExecutor's) ends with os._exit, which skips atexit; it
            # runs these finalisers instead, and only those registered in the child itself.
            from multiprocessing import util

            util.Finalize(None, remove_font_copies, exitpriority=0)
    config = _configuration_class()()
    _made.add(config)
    return config


def render_with_kept_fonts(render: Callable[[Any], T]) -> T:
    """`render(font_config)` (a WeasyPrint render given `font_config=`), with the kept configuration
    when the render asks for exactly the faces it holds, in their order, and no other; otherwise (and the
    first time) with a fresh one, kept after.

    A cancel (a BaseException) or running out of memory (MemoryError, the worker's limit on Linux) passes
    through at once and never starts a second render.
    """
    kept = _take_kept()
    if kept is not None:
        kept.reuse()
        try:
            result = render(kept)
        except _NotFresh:
            pass  # found before any text was laid out: the sheet is made below, fresh
        except MemoryError:
            raise  # the worker's memory limit: reported as such, never a second render
        except Exception:
            if kept.asked == kept.held == kept.faces and not kept.late:
                _keep_if_settled(kept)
                raise  # a fresh configuration would have held the same faces: the same failure
        except BaseException:
            if kept.faces == kept.held:  # a face added before the cancel would meet line heights kept without it
                _keep_if_settled(kept)
            raise
        else:
            if kept.asked == kept.held == kept.faces and not kept.late:
                _keep_if_settled(kept)
                return result
            del result  # not held in memory while the sheet is made again
    fresh = _fresh()
    try:
        return render(fresh)
    finally:
        _keep_if_settled(fresh)


def remove_font_copies() -> None:
    """Drop the kept configuration and remove the temp folder of font copies of every configuration this
    process made: at exit, or between renders (tests). The styles of the sheets laid out with one refer to
    it in reference cycles, so a given-up configuration waits for the garbage collector, which a process
    ending in os._exit never runs."""
    global _kept
    _kept = None
    for config in list(_made):
        if config._folder:
            shutil.rmtree(config._folder, ignore_errors=True)
            config._folder = None  # FontConfiguration.__del__ removes the folder it names


def _disown_after_fork() -> None:
    """In a forked child: the copied configurations' folders are the parent's, so the child must not remove
    them, nor use the kept one."""
    global _kept, _cleanup_registered_in
    for config in list(_made):
        config._folder = None
    _made.clear()
    _kept = None
    _cleanup_registered_in = 0


atexit.register(remove_font_copies)
if hasattr(os, "register_at_fork"):  # not on Windows, where a child process starts afresh
    os.register_at_fork(after_in_child=_disown_after_fork)
