"""Run in a child process by the CUPS test: open the window, fill it, and print to a named CUPS queue.

A child process is needed because libcups reads CUPS_SERVER once per process; the test's own process
may already have asked the machine's default scheduler.  Prints one JSON line with what happened.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from handout_app.catalog import load_catalog
from handout_app.domain import Medication, Side
from handout_app.gui import dialogs
from handout_app.gui.launch import make_application
from handout_app.gui.main_window import MainWindow


def wait_until(condition, timeout_ms: int) -> bool:
    """Let Qt run until `condition()` holds or the time is up (no busy loop)."""
    loop = QEventLoop()
    poll = QTimer(interval=50)
    poll.timeout.connect(lambda: condition() and loop.quit())
    QTimer.singleShot(timeout_ms, loop.quit)
    poll.start()
    if not condition():
        loop.exec()
    poll.stop()
    return bool(condition())


def main(queue: str, settings_folder: str, clinic_folder: str) -> int:
    app = make_application()
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, settings_folder)
    names = QPrinterInfo.availablePrinterNames()
    window = MainWindow(load_catalog(), clinic_folder=Path(clinic_folder))
    window.show()
    window.form.medications[Medication.CORTICOSTEROID].setChecked(True)
    window.form.side_buttons[Side.LEFT].setChecked(True)
    window.form.patient_name.setText("Cups Test Patient")
    previewed = wait_until(lambda: window.print_action.isEnabled(), 60_000)
    result = {"printers": names, "previewed": previewed}
    if previewed:
        printer = QPrinter(QPrinterInfo.printerInfo(queue), QPrinter.PrinterMode.HighResolution)
        printer.setDocName("hip-handout-cups-test")
        dialogs.ask_printer = lambda parent, p, count: True  # the system dialog needs a person
        errors: list[str] = []
        dialogs.show_error = lambda parent, title, message: errors.append(f"{title}: {message}")
        window.print_pdf(printer)
        result.update(pages=window.preview.document.pageCount(), status=window.statusBar().currentMessage(),
                      errors=errors, printer=printer.printerName(), resolution=printer.resolution())
    print(json.dumps(result), flush=True)
    window.close()
    app.processEvents()
    os._exit(0)  # skip PySide6's interpreter-exit clean-up, which can abort (see bench/render_bench.py)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
