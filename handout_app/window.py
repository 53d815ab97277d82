"""Open the window: `handout-app`, `handout-app gui [--clinic DIR]`, `handout-app-window` (no console), or
`make run`.

This module loads no Qt. The render worker is started here first, before Qt is loaded (Qt's own loading
takes a seventh of a second), so the worker's start-up, the longest step before the first preview, runs on
the other core from the very start; the window then takes it over (gui/launch.py, RenderClient `started`).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .output_files import clean_stale_temp_files
from .start_up import collector_paused
from .worker_client import SpawnedWorker, WorkerUnavailable, clean_stale_temp_dirs, spawn_worker

if TYPE_CHECKING:  # Qt loads only once the worker is starting
    from .gui.main_window import MainWindow

NO_DISPLAY_MESSAGE = (
    "error: no display was found, so the window cannot open (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
    "To make a handout without a window, use the command line, for example:\n"
    "  handout-app render --target joint --medication corticosteroid --guidance ultrasound --side left "
    '--patient-name "Jane Example" --output sheet.pdf\n'
    "(`handout-app render --help` lists every option; `make sample` makes an example.) To open the window, "
    "run it on the computer's desktop, or connect with a display (for example `ssh -X`).\n"
)


def display_problem() -> str | None:
    """Why no window can open on this machine, or None. Checked before Qt starts: without a display,
    Qt's X11 plugin aborts with a message that wrongly blames an installed library."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return None  # Windows and macOS always have a screen; an explicit Qt platform is the user's choice
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY_MESSAGE


def start_render_worker() -> SpawnedWorker | None:
    """The window's render worker, started now; None when it cannot start (the window then tries again and
    says so where the preview would be)."""
    clean_stale_temp_dirs()  # folders of workers killed before they could tidy up
    try:
        return spawn_worker()
    except WorkerUnavailable:
        return None


def launch(clinic_folder: Path | None = None) -> int:
    """Show the main window and run until it closes (exit 2 when there is no display)."""
    console = _has_console()
    problem = display_problem()
    if problem:
        sys.stderr.write(problem)
        return 2
    window = show_window(clinic_folder, console)  # held here: the window lasts as long as this reference
    if window is None:
        return 1
    from .gui.launch import run_application

    return run_application()


def show_window(clinic_folder: Path | None, console: bool) -> MainWindow | None:
    """The main window, shown, its render worker starting; None when the built-in content cannot be read
    (said already, on the console or in a dialog). make bench opens the window this way too.

    `console`: whether errors can be written to one."""
    clean_stale_temp_files()  # temporary files a killed earlier run left behind
    # Qt's bindings, the window's modules, the content and the window itself last as long as the program: no
    # collection walks them while they load, and they are frozen once the window shows (start_up.py).
    with collector_paused(keep_for_life=True):
        worker = start_render_worker()
        try:
            from .gui.launch import show_main_window  # Qt loads here, while the worker starts
        except BaseException:  # Qt could not load (a system library missing): the worker is not left behind
            if worker is not None:
                worker.discard()
            raise
        return show_main_window(clinic_folder, worker, console)


def main() -> int:
    """Entry point of `handout-app-window` (pyproject's gui-scripts): the window, remembered clinic folder and
    all, started without a console (pythonw on Windows; the bundle's windowed program runs `launch` too)."""
    return launch()


def _has_console() -> bool:
    """Whether there is a console to write to. Where there is none (pythonw, a windowed bundle) Python sets
    sys.stdout and sys.stderr to None; they are pointed at the null device, so that nothing written to them
    (a library's warning, the error hook's note) can break the window, and errors are shown in dialogs."""
    if sys.stdout is not None and sys.stderr is not None:
        return True
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (open for the life of the process)
    sys.stdout = sys.stdout or sink
    sys.stderr = sys.stderr or sink
    return False
