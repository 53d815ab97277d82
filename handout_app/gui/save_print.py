"""Handing the sheet out: File > Save PDF... and File > Print..., and the record of each sheet handed out.

The sheet saved or printed is the sheet on screen, or the same sheet made again when it is stale
(preview_controller.py decides); the form and the window are never changed by a failure here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QMainWindow, QProgressDialog

from .. import print_queue
from ..catalog import Catalog
from ..clinic import ClinicProfile
from ..naming import handout_file_name
from ..output_files import OutputExists, OutputNotRegular, check_target, free_name, write_atomically
from . import dialogs, printing
from .actions import action
from .form import SelectionForm
from .preview_controller import PreviewController, Sheet, SheetNotMade
from .preview_pane import PreviewPane
from .print_job import CupsPrintJob, Outcome, PrintProgressDialog
from .printing import PrintFailed

if TYPE_CHECKING:
    from ..records.recorder import Recorder


def save_refusal(path: Path, exc: OSError) -> str:
    """Why `path` cannot be saved to, for a path refused before or while writing."""
    if isinstance(exc, OutputNotRegular):
        return (
            f"{path.name} in {path.parent} is {exc.kind}, not an ordinary "
            "file, so it was not replaced.\n\nChoose another file name."
        )
    return f"{path} cannot be used ({exc.strerror or exc}).\n\nChoose another file name."


class SavePrint(QObject):
    """Save and Print for one main window, each sheet handed out recorded in the clinic's record store."""

    def __init__(
        self,
        window: QMainWindow,
        form: SelectionForm,
        pane: PreviewPane,
        previews: PreviewController,
        catalog: Catalog,
        clinic: Callable[[], ClinicProfile | None],
        busy: Callable[[str], AbstractContextManager[None]],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._form = form
        self._pane = pane
        self._previews = previews
        self._catalog = catalog
        self._clinic = clinic  # the clinic profile in use, read when needed (it changes on Reload)
        self._busy = busy  # form, menus and toolbar refuse input while a sheet is handed out
        self.save_action = action("&Save PDF...", window, self.save_pdf, QKeySequence.StandardKey.Save)
        # A lambda, so that print_pdf is not handed the action's "checked" flag.
        self.print_action = action("&Print...", window, lambda: self.print_pdf(), QKeySequence.StandardKey.Print)

    def _status(self, message: str) -> None:
        self._window.statusBar().showMessage(message)

    # -- records ---------------------------------------------------------------------------------
    def recorder(self) -> Recorder:
        """The record store of the clinic in use (records/recorder.py; imported when first needed)."""
        from ..records.recorder import recorder_for, store_choice

        return recorder_for(store_choice(self._clinic()))

    def _record(self, sheet: Sheet, kind: str, printer: str | None = None) -> str:
        """Record the sheet handed out; a plain warning when the store could not take it (the sheet is
        saved or printed all the same). Returns the words for the status bar."""
        outcome = self.recorder().record(sheet.request, sheet.wording, sheet.pdf, kind, printer, pages=sheet.pages)
        if outcome.warning:
            dialogs.show_error(
                self._window, "Recorded with a problem" if outcome.stored else "Not recorded yet", outcome.warning
            )
        return f" Document {sheet.request.document_number}."

    def _sheet(self, archival: bool) -> Sheet | None:
        """The sheet to hand out (preview_controller.py), or None after saying why it could not be made."""
        try:
            return self._previews.sheet_to_hand_out(
                archival, self._form.archival.isChecked(), lambda number: self.recorder().claim(number)
            )
        except SheetNotMade as exc:
            # Saving and printing both come here (the sheet is made again with the time it is handed out).
            dialogs.show_error(
                self._window,
                "Could not make the handout",
                f"{exc}\n\nNothing was saved or printed. The form has not changed; try again.",
            )
            return None

    # -- Save ------------------------------------------------------------------------------------
    def suggested_path(self) -> Path:
        """Where Save suggests putting the sheet: the last folder saved to, and a name not yet taken."""
        folder = Path(str(QSettings().value("last_save_folder", str(Path.home()))))
        return free_name((folder if folder.is_dir() else Path.home()) / self.suggested_name())

    def suggested_name(self, with_patient: bool = True) -> str:
        """The file name for this sheet; without the patient it is also the print job's title, which
        everyone on the print server can see."""
        state = self._form.state()
        assert state.selection is not None
        clinic = self._clinic()
        allowed = with_patient and clinic is not None and clinic.patient_name_in_file_name
        return handout_file_name(
            state.selection,
            self._catalog.labels_for("en")["targets"][state.selection.target.value],
            patient_in_name=allowed,
        )

    def save_pdf(self) -> None:
        """Save the previewed PDF; asks before replacing; never loses the form."""
        if not self.save_action.isEnabled():
            return
        window = self._window
        suggestion = self.suggested_path()
        while True:
            choice = dialogs.ask_save_path(window, suggestion, archival=self._form.archival.isChecked())
            if choice is None:
                return
            try:
                check_target(choice.path, replace=True)  # a pipe, device, link or folder is never offered for replacing
            except OSError as exc:
                dialogs.show_error(
                    window,
                    "Could not save the handout",
                    save_refusal(choice.path, exc) + " The form has not changed.",
                )
                return
            # "No" to replacing goes back to the Save dialog instead of quietly dropping the save.
            if not choice.path.exists() or dialogs.confirm_replace(window, choice.path):
                break
            suggestion = free_name(choice.path)
        path = choice.path
        replace = path.exists()  # the user agreed to replace it above
        with self._busy(f"Saving to {path}..."):
            sent_selection = self._previews.shown
            sheet = self._sheet(archival=choice.archival)
            if sheet is None or not self._write_pdf(path, sheet.pdf, replace):
                return
            recorded = self._record(sheet, "saved")
        QSettings().setValue("last_save_folder", str(path.parent))
        self._previews.handed_out = sent_selection
        self._status(f"Saved to {path}.{recorded}")

    def _write_pdf(self, path: Path, data: bytes, replace: bool) -> bool:
        """Write the PDF whole or not at all; says why when it cannot. True when written."""
        window = self._window
        try:
            write_atomically(path, data, replace=replace)
        except OutputExists:
            dialogs.show_error(
                window, "File already exists", f"{path} appeared while saving. Save again to choose what to do."
            )
            return False
        except OutputNotRegular as exc:  # it became one after the check
            dialogs.show_error(
                window, "Could not save the handout", save_refusal(path, exc) + " The form has not changed."
            )
            return False
        except OSError as exc:
            dialogs.show_error(
                window,
                "Could not save the handout",
                f"The PDF could not be written to {path.parent} ({exc.strerror or exc}).\n\n"
                "Choose another folder, for example your Documents folder. The form has not changed.",
            )
            return False
        return True

    # -- Print -----------------------------------------------------------------------------------
    def print_pdf(self, printer: QPrinter | None = None) -> None:
        """Print the previewed sheet: the PDF itself to a CUPS queue, or page pictures where there is no CUPS."""
        window = self._window
        if not self.print_action.isEnabled() or self._pane.document is None:
            return
        if printer is None:
            if not printing.available_printers():
                dialogs.show_error(
                    window,
                    "No printer is set up",
                    "This computer has no printer set up, so the handout cannot be printed from here.\n\n"
                    "Save it instead (File > Save PDF..., Ctrl+S) and print the file from a computer that has a "
                    "printer, or ask your IT support to add the printer. The form has not changed.",
                )
                return
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        pages = self._pane.document.pageCount()
        if not dialogs.ask_printer(window, printer, pages):
            return
        if printer.copyCount() > print_queue.MAX_COPIES:  # Qt's dialog allows 999
            dialogs.show_error(
                window,
                "Too many copies",
                f"Print at most {print_queue.MAX_COPIES} copies at a time. "
                "Nothing was printed; the form has not changed.",
            )
            return
        where = printer.printerName() or printer.outputFileName()
        with self._busy(f"Printing on {where}..."):
            sent_selection = self._previews.shown
            sheet = self._sheet(archival=self._form.archival.isChecked())
            if sheet is None:
                return
            data = sheet.pdf
            if printing.prints_to_file(printer):
                path = Path(printer.outputFileName())
                if not self._write_pdf(path, data, replace=path.exists()):  # Qt's dialog asked before replacing
                    return
                message, done, kind, queue = f"Printed {pages} pages to the file {path}.", True, "saved", None
            elif print_queue.cups_available():
                settings = printing.settings_from_printer(printer, self.suggested_name(False))
                queue = settings.printer or print_queue.default_printer() or "the default printer"
                message, done = self._print_to_queue(data, settings, pages, queue)
                kind = "printed"
            else:
                message, done = self.print_pictures(data, printer, pages)
                kind, queue = "printed", printer.printerName() or "the default printer"
            if done:
                message += self._record(sheet, kind, queue)
        if done:
            self._previews.handed_out = sent_selection
        self._status(message)

    def _print_to_queue(
        self, data: bytes, settings: print_queue.PrintSettings, pages: int, printer: str
    ) -> tuple[str, bool]:
        """Send the PDF to a CUPS queue with a modal progress dialog; returns the status line and whether it printed."""
        window = self._window
        job = CupsPrintJob(window)
        sent = settings.pages_phrase(pages)
        dialog = PrintProgressDialog(window, printer, sent)
        try:
            outcome = dialog.run(job, data, settings)
        finally:
            job.deleteLater()
            dialog.deleteLater()
        if outcome is Outcome.FAILED:
            dialogs.show_error(window, "Could not print", dialog.message)
            return "Not printed: " + dialog.message.splitlines()[0], False
        if outcome is Outcome.CANCELLED:
            return (
                "Printing cancelled"
                + (
                    f": job {job.job_id} was taken off the queue."
                    if job.job_id
                    else " before the printer received the handout."
                )
            ), False
        if outcome is Outcome.QUEUED and dialog.message:  # Cancel was refused by the queue
            dialogs.show_error(
                window,
                "Could not cancel printing",
                f"The queue did not take job {job.job_id} off, so it may still print. Cancel it at the "
                "printer or in the computer's printer settings.",
            )
            return f"Job {job.job_id} could not be cancelled; it may still print on {printer}.", True
        if outcome is Outcome.QUEUED:
            return f"Sent {sent} to {printer} (job {job.job_id}); it is waiting in the printer's queue.", True
        return f"Sent {sent} to {printer} (job {job.job_id}); the printer has it.", True

    def print_pictures(self, data: bytes, printer: QPrinter, pages: int) -> tuple[str, bool]:
        """No CUPS (Windows): draw the pages onto the printer, with progress and Cancel."""
        progress = QProgressDialog("Printing...", "&Cancel printing", 0, pages, self._window)
        progress.setWindowTitle("Printing")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)

        def show_progress(done: int, total: int) -> bool:
            progress.setMaximum(total)
            progress.setValue(done)
            progress.setLabelText(f"Printing page {done + 1} of {total}...")
            QApplication.processEvents()  # input to the window is refused while the modal dialog is up
            return not progress.wasCanceled()

        try:
            printed = printing.print_pdf(data, printer, on_page=show_progress)
        except PrintFailed as exc:
            dialogs.show_error(self._window, "Could not print", str(exc))
            return f"Not printed: {exc}", False
        finally:
            progress.close()
            progress.deleteLater()
        if printed == 0:
            return "Printing cancelled.", False
        return f"Sent {printed} pages to {printer.printerName() or 'the printer'}.", True
