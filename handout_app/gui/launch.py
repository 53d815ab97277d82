"""The window's Qt side of starting: the application, the main window with its render worker, and the hook
that turns an unexpected error into a plain message. window.py starts the worker, then calls show_main_window
and runs the application."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from ..worker_client import SpawnedWorker
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


def show_main_window(clinic_folder: Path | None, worker: SpawnedWorker | None, console: bool) -> MainWindow | None:
    """Show the main window, with the render worker window.py started (None: it starts one); None when the
    built-in content cannot be read (said on the console, and in a dialog when there is none). The caller
    runs the application. `console`: whether errors can be written to one."""
    try:
        make_application()
    except BaseException:
        if worker is not None:
            worker.discard()  # nobody took it over yet
        raise
    from ..catalog import CatalogError

    try:
        window = open_main_window(clinic_folder, worker)
    except CatalogError as exc:
        print(f"error: the handout content has a problem: {exc}", file=sys.stderr)
        if not console:
            from . import dialogs

            dialogs.show_error(None, "The handout content has a problem", f"{exc} Reinstall the application.")
        return None
    sys.excepthook = _unexpected_error_hook(window)
    window.show()
    return window


def run_application() -> int:
    """Run the application until its last window closes; its exit code."""
    return QApplication.exec()


def open_main_window(clinic_folder: Path | None = None, worker: SpawnedWorker | None = None) -> MainWindow:
    """The main window, not yet shown, for the given or the remembered clinic folder, with the render worker
    window.py started (make bench opens it this way too). Raises CatalogError when the built-in content
    cannot be read."""
    # Without one started already, the worker starts before the window's own modules are imported, the
    # content is read and the window is built, so its start-up runs on the other core meanwhile.
    client = RenderClient(started=worker)
    client.start()
    from ..catalog import load_catalog
    from .main_window import MainWindow

    try:
        catalog = load_catalog()
        if clinic_folder is not None:
            QSettings().setValue("clinic_folder", str(clinic_folder.resolve()))
        remembered = QSettings().value("clinic_folder")
        folder = Path(str(remembered)) if remembered and Path(str(remembered)).is_dir() else None
        return MainWindow(catalog, clinic_folder=folder, client=client)
    except BaseException:  # CatalogError, or any failure to build the window: no worker is left behind
        client.stop()
        raise


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
