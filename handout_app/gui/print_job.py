"""One print job from the window: the PDF to a CUPS queue without freezing the window, with a modal
progress dialog that can cancel it.

The commands and their answers come from `print_queue` (shared with the CLI); here they run in QProcess,
so the window keeps painting. The dialog is modal: clicks and keys on the form while it is open are
refused by Qt, never queued and applied afterwards (issue 11: a click during printing changed the side).
"""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QObject, QProcess, QTimer, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from .. import print_queue
from ..print_queue import PrintSettings

POLL_MS = 500  # how often the queue is asked whether the job has left it


class Outcome(Enum):
    """How a print job ended, as far as the window knows."""

    PRINTED = "printed"  # the queue finished the job (sent it to the printer)
    QUEUED = "queued"  # accepted; the user closed the dialog while it waited in the queue
    CANCELLED = "cancelled"
    FAILED = "failed"


class CupsPrintJob(QObject):
    """Sends PDF bytes to a queue with `lp`, then watches the queue until the job leaves it."""

    accepted = Signal(str)  # the job id: the queue has the whole PDF
    completed = Signal()
    failed = Signal(str)  # a message for the user

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.job_id: str | None = None
        self._settings: PrintSettings | None = None
        self._submit = QProcess(self)
        self._submit.finished.connect(self._on_submitted)
        self._submit.errorOccurred.connect(self._on_submit_error)
        self._submit_deadline = QTimer(self, singleShot=True, interval=print_queue.SUBMIT_TIMEOUT_S * 1000)
        self._submit_deadline.timeout.connect(self._on_submit_timeout)
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._ask_queue)
        self._query = QProcess(self)
        self._query.finished.connect(self._on_queue_answer)
        self._ended = False

    def start(self, pdf: bytes, settings: PrintSettings) -> None:
        """Begin sending; the signals tell how it goes."""
        self._settings = settings
        command = print_queue.submit_command(settings)
        self._submit.start(command[0], command[1:])
        self._submit_deadline.start()
        self._submit.write(pdf)
        self._submit.closeWriteChannel()

    def cancel(self) -> bool:
        """Stop sending, or cancel the job in the queue once it is there; False when the queue refused."""
        self._poll.stop()
        self._submit_deadline.stop()
        if self._submit.state() != QProcess.ProcessState.NotRunning:
            # An interrupted `lp` leaves no job behind: the scheduler only queues a complete file.
            self._ended = True
            self._submit.kill()
            self._submit.waitForFinished(5000)
        elif self.job_id is not None:
            self._ended = True
            command = print_queue.cancel_command(self.job_id)
            return QProcess.execute(command[0], command[1:]) == 0
        return True

    def _fail(self, message: str) -> None:
        if not self._ended:
            self._ended = True
            self._poll.stop()
            self.failed.emit(message)

    def _on_submit_error(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._submit_deadline.stop()
            self._fail(
                "The `lp` print command could not be started. Save "
                "the PDF (File > Save PDF...) and print it from there."
            )

    def _on_submit_timeout(self) -> None:
        self._submit.kill()
        self._fail(
            f"The print queue did not answer within {print_queue.SUBMIT_TIMEOUT_S} seconds. Check the printer's "
            "queue before printing again, so the sheet is not printed twice."
        )

    def _on_submitted(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        self._submit_deadline.stop()
        if self._ended:
            return
        output = bytes(self._submit.readAllStandardOutput().data()).decode("utf-8", "replace")
        errors = bytes(self._submit.readAllStandardError().data()).decode("utf-8", "replace")
        if status != QProcess.ExitStatus.NormalExit or exit_code != 0:
            assert self._settings is not None
            self._fail(print_queue.refusal_message(self._settings.printer, errors))
            return
        try:
            self.job_id = print_queue.job_id_from(output)
        except print_queue.PrintError as exc:
            self._fail(str(exc))
            return
        self.accepted.emit(self.job_id)
        self._poll.start()

    def _ask_queue(self) -> None:
        if self.job_id is None or self._query.state() != QProcess.ProcessState.NotRunning:
            return
        command = print_queue.pending_command(self.job_id)
        self._query.start(command[0], command[1:])

    def _on_queue_answer(self, exit_code: int, status: QProcess.ExitStatus) -> None:
        output = bytes(self._query.readAllStandardOutput().data()).decode("utf-8", "replace")
        if self._ended or self.job_id is None or exit_code != 0:
            return  # a failed query is asked again at the next poll
        if not print_queue.job_is_pending(self.job_id, output):
            self._ended = True
            self._poll.stop()
            self.completed.emit()


class PrintProgressDialog(QDialog):
    """Modal while a job is sent and printed: what is happening, Cancel printing, and Close once queued."""

    def __init__(self, parent: QWidget | None, printer: str, pages: str) -> None:
        super().__init__(parent)
        self.setObjectName("print-progress")
        self.setWindowTitle("Printing")
        self.setModal(True)
        self.outcome = Outcome.CANCELLED  # until the job says otherwise
        self.message = ""
        self._ended = False
        self._printer = printer
        self._pages = pages
        layout = QVBoxLayout(self)
        self.label = QLabel(f"Sending the handout ({pages}) to {printer}...")
        self.label.setWordWrap(True)
        self.label.setMinimumWidth(420)
        # Room for the longest message from the start: a window manager may not grow the dialog later.
        self.label.setMinimumHeight(self.label.fontMetrics().lineSpacing() * 3)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy: the queue does not report a percentage
        self.bar.setTextVisible(False)
        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton("&Cancel printing")
        self.close_button = QPushButton("C&lose, keep printing")
        self.close_button.setEnabled(False)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.close_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.cancel_button.clicked.connect(self.reject)
        self.close_button.clicked.connect(self._close_keep_printing)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(buttons)
        self.job: CupsPrintJob | None = None

    def run(self, job: CupsPrintJob, pdf: bytes, settings: PrintSettings) -> Outcome:
        """Start the job and wait (modal) until it ends or the user closes or cancels."""
        self.job = job
        job.accepted.connect(self._on_accepted)
        job.completed.connect(self._on_completed)
        job.failed.connect(self._on_failed)
        job.start(pdf, settings)
        self.exec()
        return self.outcome

    def _on_accepted(self, job_id: str) -> None:
        self.label.setText(
            f"The printer {self._printer} has the handout ({self._pages}, job {job_id}) and is printing it."
        )
        self.close_button.setEnabled(True)
        self.adjustSize()
        self.outcome = Outcome.QUEUED

    def _on_completed(self) -> None:
        self._ended, self.outcome = True, Outcome.PRINTED
        self.accept()

    def _on_failed(self, message: str) -> None:
        self._ended, self.outcome, self.message = True, Outcome.FAILED, message
        self.done(QDialog.DialogCode.Rejected)

    def _close_keep_printing(self) -> None:
        self._ended, self.outcome = True, Outcome.QUEUED
        self.accept()

    def reject(self) -> None:
        """Cancel printing (the button, Esc or the window's close box)."""
        if not self._ended and self.job is not None:
            cancelled = self.job.cancel()
            self._ended, self.outcome = True, Outcome.CANCELLED if cancelled else Outcome.QUEUED
            if not cancelled:
                self.message = "the queue did not take it off"
        super().reject()
