"""Start the window: `handout-app`, `handout-app gui [--clinic DIR]`, or `make run`."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from ..catalog import CatalogError, load_catalog
from ..output_files import clean_stale_temp_files
from .main_window import MainWindow

ORGANIZATION, APPLICATION = "HipInjectionHandout", "handout-app"


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with the names QSettings files are stored under."""
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    return app  # type: ignore[return-value]


def launch(clinic_folder: Path | None = None) -> int:
    """Show the main window and run until it closes."""
    clean_stale_temp_files()  # temporary files a killed earlier run left behind
    app = make_application()
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"error: the handout content has a problem: {exc}", file=sys.stderr)
        return 1
    if clinic_folder is not None:
        QSettings().setValue("clinic_folder", str(clinic_folder.resolve()))
    remembered = QSettings().value("clinic_folder")
    folder = Path(remembered) if remembered and Path(remembered).is_dir() else None
    window = MainWindow(catalog, clinic_folder=folder)
    window.show()
    return app.exec()
