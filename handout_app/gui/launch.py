"""Start the window: `handout-app`, `handout-app gui [--clinic DIR]`, `handout-app-window` (no console), or
`make run`."""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from ..output_files import clean_stale_temp_files
from .render_client import RenderClient
from .settings_file import APPLICATION, ORGANIZATION, use_settings_file

if TYPE_CHECKING:  # imported by open_main_window once the worker is starting (a quarter of a second)
    from .main_window import MainWindow


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with its settings in the INI file of settings_file.py."""
    # instance() is typed as the QCoreApplication base; the only one this program makes is a QApplication.
    app = cast(QApplication, QApplication.instance() or QApplication(argv or sys.argv[:1]))
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    use_settings_file()
    return app


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


def launch(clinic_folder: Path | None = None) -> int:
    """Show the main window and run until it closes (exit 2 when there is no display)."""
    console = _has_console()
    problem = display_problem()
    if problem:
        sys.stderr.write(problem)
        return 2
    clean_stale_temp_files()  # temporary files a killed earlier run left behind
    app = make_application()
    from ..catalog import CatalogError

    try:
        window = open_main_window(clinic_folder)
    except CatalogError as exc:
        print(f"error: the handout content has a problem: {exc}", file=sys.stderr)
        if not console:
            from . import dialogs

            dialogs.show_error(None, "The handout content has a problem", f"{exc} Reinstall the application.")
        return 1
    sys.excepthook = _unexpected_error_hook(window)
    window.show()
    return app.exec()


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


def open_main_window(clinic_folder: Path | None = None) -> MainWindow:
    """The main window, not yet shown, for the given or the remembered clinic folder (make bench opens
    it this way too). Raises CatalogError when the built-in content cannot be read."""
    # The worker starts before the window's own modules are imported, the content is read and the window
    # is built, so its imports and start-up run on the other core meanwhile and the first preview comes sooner.
    client = RenderClient()
    client.start()
    from ..catalog import CatalogError, load_catalog
    from .main_window import MainWindow

    try:
        catalog = load_catalog()
    except CatalogError:
        client.stop()
        raise
    if clinic_folder is not None:
        QSettings().setValue("clinic_folder", str(clinic_folder.resolve()))
    remembered = QSettings().value("clinic_folder")
    folder = Path(str(remembered)) if remembered and Path(str(remembered)).is_dir() else None
    return MainWindow(catalog, clinic_folder=folder, client=client)


def _unexpected_error_hook(
    window: QWidget,
) -> Callable[[type[BaseException], BaseException, TracebackType | None], None]:
    """A bug in a menu command must not pass in silence, nor show a traceback: say so plainly.

    stderr gets where it happened (file, line, kind), not the exception's text, which could hold
    what was typed about the patient."""
    from . import dialogs

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        where = "".join(traceback.format_tb(trace)[-3:])
        sys.stderr.write(f"Unexpected error {kind.__name__} in:\n{where}")
        dialogs.show_error(
            window,
            "Something went wrong",
            "That command stopped because of an error in the program. The form has not changed: "
            "check the preview, then try again. If it happens again, save the PDF instead "
            f"(Ctrl+S) and tell your IT support ({kind.__name__}).",
        )

    return hook
