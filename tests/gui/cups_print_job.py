"""Run in a child process by the CUPS test: open the window, fill it, and print to a named CUPS queue.

A child process is needed because libcups reads CUPS_SERVER once per process; the test's own process
may already have asked the machine's default scheduler.  Prints one JSON line with what happened.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from handout_app.catalog import load_catalog
from handout_app.domain import Medication, Side
from handout_app.gui import dialogs
from handout_app.gui.launch import make_application
from handout_app.gui.main_window import MainWindow
from handout_app.gui.print_job import PrintProgressDialog


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


def main(queue: str, settings_folder: str, clinic_folder: str, large_print: str = "") -> int:
    app = make_application()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings_folder)
    names = QPrinterInfo.availablePrinterNames()
    window = MainWindow(load_catalog(), clinic_folder=Path(clinic_folder))
    window.show()
    window.form.medications[Medication.CORTICOSTEROID].setChecked(True)
    window.form.side_buttons[Side.LEFT].setChecked(True)
    window.form.patient_name.setText("Cups Test Patient")
    window.form.large_print.setChecked(large_print == "large-print")
    previewed = wait_until(lambda: window.print_action.isEnabled(), 60_000)
    result = {"printers": names, "previewed": previewed}
    if previewed:
        printer = QPrinter(QPrinterInfo.printerInfo(queue), QPrinter.PrinterMode.HighResolution)
        dialogs.ask_printer = lambda parent, p, count: True  # the system dialog needs a person
        errors: list[str] = []
        dialogs.show_error = lambda parent, title, message: errors.append(f"{title}: {message}")
        accepted_at: list[float] = []
        on_accepted = PrintProgressDialog._on_accepted

        def note_acceptance(dialog: PrintProgressDialog, job_id: str) -> None:
            accepted_at.append(time.perf_counter())
            on_accepted(dialog, job_id)

        PrintProgressDialog._on_accepted = note_acceptance  # type: ignore[method-assign]
        started = time.perf_counter()  # Ctrl+P, with the print dialog answered at once
        window.print_pdf(printer)
        result.update(
            pages=window.preview.document.pageCount(),
            status=window.statusBar().currentMessage(),
            errors=errors,
            printer=printer.printerName(),
            pdf_bytes=len(window.preview.pdf_bytes),
            accepted_s=(accepted_at[0] - started) if accepted_at else None,
            text_sample=window.preview.pdf_bytes[:4].decode("latin-1"),
        )
    print(json.dumps(result), flush=True)
    window.close()
    app.processEvents()
    os._exit(0)  # skip PySide6's interpreter-exit clean-up, which can abort (see bench/render_bench.py)


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
