"""Printing from the window: the PDF itself goes to the queue, nothing done meanwhile changes the sheet,
printing can be cancelled, failures say what to do, and the sheet says when it was really handed out."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from handout_app import print_queue
from handout_app.domain import Side
from handout_app.gui import dialogs, printing
from handout_app.gui.main_window import MainWindow
from handout_app.gui.print_job import PrintProgressDialog

from .. import fake_cups
from ..helpers import document_number, pdf_text
from .conftest import fill_valid, wait_for_preview


@pytest.fixture
def one_printer(monkeypatch: pytest.MonkeyPatch) -> None:
    """The computer knows one printer and the print dialog is answered with OK."""
    monkeypatch.setattr(printing, "available_printers", lambda: [fake_cups.QUEUE])
    monkeypatch.setattr(dialogs, "ask_printer", lambda parent, printer, count: True)


def print_and_cancel_once_queued(qtbot: QtBot, window: MainWindow) -> list[str]:
    """Print, and press Cancel in the progress window once the queue holds the job; returns what the
    progress window said at that moment."""
    said: list[str] = []

    def cancel_once_queued() -> None:
        dialog = window.findChild(PrintProgressDialog)
        if dialog is None or not dialog.close_button.isEnabled():
            QTimer.singleShot(100, cancel_once_queued)
            return
        said.append(dialog.label.text())
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(100, cancel_once_queued)
    window.print_pdf()
    return said


def _click(widget) -> None:
    """Post (not send) a press and release, as a click that arrives while printing would be queued."""
    centre = QPointF(widget.rect().center())
    for kind in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonRelease):
        QApplication.postEvent(
            widget,
            QMouseEvent(
                kind,
                centre,
                widget.mapToGlobal(centre),
                Qt.MouseButton.LeftButton,
                Qt.MouseButton.LeftButton,
                Qt.KeyboardModifier.NoModifier,
            ),
        )


def _key(widget, key: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier, text: str = "") -> None:
    for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
        QApplication.postEvent(widget, QKeyEvent(kind, key, modifiers, text))


def test_the_queue_gets_the_pdf_itself_with_the_dialogs_choices(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,
) -> None:
    cups = fake_cups.install(monkeypatch, tmp_path, pending_polls=2)
    fill_valid(window, name="Queue Patient")
    wait_for_preview(qtbot, window)
    window.print_action.trigger()  # as the menu, the toolbar and Ctrl+P do
    pages = window.preview.document.pageCount()
    assert cups.job_pdf.read_bytes() == window.preview.pdf_bytes  # the previewed bytes, not page pictures
    args = cups.lp_args
    title = args[args.index("-t") + 1]
    assert title.startswith("hip-joint-injection_RIGHT_") and "Queue" not in title  # no patient details on the server
    assert args[args.index("-n") + 1] == "1"
    assert window.statusBar().currentMessage() == (
        f"Sent {pages} pages to {fake_cups.QUEUE} (job {fake_cups.JOB_ID}); "
        f"the printer has it. Document {document_number(window.preview.pdf_bytes)}."
    )
    assert not window.has_unsent_sheet()


def test_clicks_and_keys_during_printing_never_change_the_sheet_or_the_form(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,
) -> None:
    """Issue 11: a click on Left while a RIGHT sheet printed was applied afterwards."""
    cups = fake_cups.install(monkeypatch, tmp_path, hold_lp=True)  # the print lasts until meddle() is done
    fill_valid(window, name="Steady Patient", side="right")
    wait_for_preview(qtbot, window)
    form = window.form
    seen_during: list[bool] = []

    def meddle() -> None:
        dialog = window.findChild(PrintProgressDialog)
        if dialog is None or not dialog.isVisible():  # not printing yet
            QTimer.singleShot(20, meddle)
            return
        seen_during.append(not form.isEnabled())
        _click(form.side_buttons[Side.LEFT])
        _key(form.patient_name, Qt.Key.Key_X, text="X")
        _key(window, Qt.Key.Key_L, Qt.KeyboardModifier.AltModifier)
        _key(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # New patient would clear the form
        qtbot.mouseClick(form.side_buttons[Side.LEFT], Qt.MouseButton.LeftButton)
        # The queue takes the job only after the clicks and keys posted above have been delivered (posted
        # events go before the next timer), so they all arrive while the print is under way.
        QTimer.singleShot(0, cups.release_lp)

    QTimer.singleShot(0, meddle)
    qtbot.keyClick(window.form.patient_name, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)  # Ctrl+P
    QApplication.sendPostedEvents()  # anything still queued is delivered now, not after some time
    QApplication.processEvents()
    assert seen_during == [True]
    assert form.side_buttons[Side.RIGHT].isChecked() and not form.side_buttons[Side.LEFT].isChecked()
    assert form.patient_name.text() == "Steady Patient"
    printed = pdf_text(cups.job_pdf.read_bytes())
    assert "RIGHT hip joint injection" in printed and "LEFT" not in printed
    assert form.isEnabled() and window.print_action.isEnabled()
    assert "Sent" in window.statusBar().currentMessage()


def test_printing_can_be_cancelled_and_the_sheet_still_counts_as_not_handed_out(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,
    discard_questions: list[bool],
) -> None:
    cups = fake_cups.install(monkeypatch, tmp_path, pending_polls=1000)
    fill_valid(window)
    wait_for_preview(qtbot, window)

    labels = print_and_cancel_once_queued(qtbot, window)
    assert labels and "is printing it" in labels[0]
    assert cups.cancelled
    assert window.statusBar().currentMessage() == f"Printing cancelled: job {fake_cups.JOB_ID} was taken off the queue."
    assert window.has_unsent_sheet()
    window.close()
    assert discard_questions == [True]


def test_a_refused_job_says_why_and_points_to_save(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,
    dialog_log: list[tuple[str, str]],
) -> None:
    fake_cups.install(monkeypatch, tmp_path, lp_fails="The printer or class does not exist.")
    fill_valid(window, name="Kept Name")
    wait_for_preview(qtbot, window)
    window.print_pdf()
    title, message = dialog_log[-1]
    assert title == "Could not print"
    assert "The printer or class does not exist." in message and "Save PDF" in message
    assert window.form.patient_name.text() == "Kept Name" and window.print_action.isEnabled()
    assert window.has_unsent_sheet()


def test_no_printer_set_up_points_to_save_pdf(
    qtbot: QtBot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    dialog_log: list[tuple[str, str]],
) -> None:
    monkeypatch.setattr(printing, "available_printers", lambda: [])
    fill_valid(window)
    wait_for_preview(qtbot, window)
    window.print_pdf()  # the print dialog is never opened (dialog_log refuses it)
    assert dialog_log[-1][0] == "No printer is set up"
    assert "File > Save PDF" in dialog_log[-1][1]


def test_print_to_file_writes_the_previewed_pdf_itself(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    output = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(output))
    monkeypatch.setattr(dialogs, "ask_printer", lambda parent, p, count: True)
    window.print_pdf(printer)
    assert output.read_bytes() == window.preview.pdf_bytes
    pages = window.preview.document.pageCount()
    assert (
        window.statusBar().currentMessage()
        == f"Printed {pages} pages to the file {output}. Document {document_number(output.read_bytes())}."
    )


def test_without_cups_pages_are_drawn_at_300_dpi_and_can_be_stopped(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    data, pages = window.preview.pdf_bytes, window.preview.document.pageCount()
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "pictures.pdf"))
    message, done = window._print_pictures(data, printer, pages)
    assert done and message.startswith(f"Sent {pages} pages")
    pictures = PdfReader(io.BytesIO((tmp_path / "pictures.pdf").read_bytes()))
    assert len(pictures.pages) == pages
    image = next(iter(pictures.pages[0].images)).image
    assert image.width <= 300 / 72 * 612 + 2  # no wider than a page at 300 dpi
    stopped = QPrinter(QPrinter.PrinterMode.HighResolution)
    stopped.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    stopped.setOutputFileName(str(tmp_path / "stopped.pdf"))
    assert printing.print_pdf(data, stopped, on_page=lambda done, total: done < 1) == 0


def test_a_preview_older_than_a_minute_is_made_again_for_the_time_on_the_sheet(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,
) -> None:
    cups = fake_cups.install(monkeypatch, tmp_path)
    fill_valid(window)
    wait_for_preview(qtbot, window)
    preview = window.preview.pdf_bytes
    made = PdfReader(io.BytesIO(preview)).metadata["/CreationDate"]
    # The sheet's time has whole seconds: the sheet made again must be made in a later second than the
    # preview to tell them apart. The clock is the reason; a busy machine only makes the gap longer.
    time.sleep(1.1)
    window._shown_at -= 61  # as if the nurse had left the form for a minute
    window.print_pdf()
    printed = cups.job_pdf.read_bytes()
    assert PdfReader(io.BytesIO(printed)).metadata["/CreationDate"] > made
    assert pdf_text(printed).count("RIGHT") == pdf_text(preview).count("RIGHT")


def test_closing_asks_only_while_a_sheet_is_neither_saved_nor_printed(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,
    discard_questions: list[bool],
) -> None:
    fake_cups.install(monkeypatch, tmp_path)
    fill_valid(window)
    wait_for_preview(qtbot, window)
    assert window.has_unsent_sheet()
    monkeypatch.setattr(dialogs, "confirm_discard", lambda parent: discard_questions.append(False) or False)
    window.close()
    assert discard_questions == [False] and window.isVisible()  # "Keep working" keeps the window
    window.print_pdf()
    window.close()
    assert discard_questions == [False] and not window.isVisible()  # printed: no question


def test_print_settings_from_the_dialog() -> None:
    printer = QPrinter()
    printer.setCopyCount(3)
    settings = printing.settings_from_printer(printer, "title.pdf")
    assert settings.copies == 3 and settings.title == "title.pdf" and settings.first_page is None
    command = print_queue.submit_command(
        print_queue.PrintSettings(
            printer="Front", copies=2, sides="two-sided-long-edge", first_page=2, last_page=3, title="t.pdf"
        )
    )
    assert command[1:] == ["-d", "Front", "-n", "2", "-t", "t.pdf", "-o", "sides=two-sided-long-edge", "-P", "2-3"]


def test_a_cancel_the_queue_refuses_is_said_plainly(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,
    dialog_log: list[tuple[str, str]],
) -> None:
    fake_cups.install(monkeypatch, tmp_path, pending_polls=1000, cancel_fails=True)
    fill_valid(window)
    wait_for_preview(qtbot, window)

    print_and_cancel_once_queued(qtbot, window)
    assert dialog_log[-1][0] == "Could not cancel printing" and "may still print" in dialog_log[-1][1]
    assert "could not be cancelled" in window.statusBar().currentMessage()


def test_more_copies_than_the_queue_takes_is_refused_before_printing(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialog_log: list[tuple[str, str]],
) -> None:
    cups = fake_cups.install(monkeypatch, tmp_path)
    monkeypatch.setattr(printing, "available_printers", lambda: [fake_cups.QUEUE])

    def ask(parent, printer, count):  # type: ignore[no-untyped-def]
        printer.setCopyCount(500)
        return True

    monkeypatch.setattr(dialogs, "ask_printer", ask)
    fill_valid(window)
    wait_for_preview(qtbot, window)
    window.print_pdf()
    assert dialog_log[-1][0] == "Too many copies" and not cups.job_pdf.exists()


def test_a_page_range_is_what_the_status_line_says_was_sent(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Printing only the consent pages must not read as if the whole sheet went to the printer."""
    cups = fake_cups.install(monkeypatch, tmp_path)
    monkeypatch.setattr(printing, "available_printers", lambda: [fake_cups.QUEUE])

    def ask(parent, printer, count):  # type: ignore[no-untyped-def]
        printer.setPrintRange(printer.PrintRange.PageRange)
        printer.setFromTo(2, 3)
        return True

    monkeypatch.setattr(dialogs, "ask_printer", ask)
    fill_valid(window)
    wait_for_preview(qtbot, window)
    window.print_pdf()
    pages = window.preview.document.pageCount()
    args = cups.lp_args
    assert args[args.index("-P") + 1] == "2-3"
    assert window.statusBar().currentMessage().startswith(f"Sent pages 2 to 3 of {pages} to {fake_cups.QUEUE} (job ")
    assert f"Sent {pages} pages" not in window.statusBar().currentMessage()
