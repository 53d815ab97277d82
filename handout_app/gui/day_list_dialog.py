"""File > Day list... (Ctrl+D): a day's list shown row by row with its problems before anything is made,
then made in one go with a progress dialog that can stop it (only whole files are left).

The reading, checking and making are batch.py and day_list.py, the same as `handout-app batch`; the
making runs on a background thread so the window keeps painting, and the progress dialog is modal.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import print_queue
from ..batch import BatchOutcome, make_day, print_day, summary
from ..day_list import Problem, Row
from ..naming import procedure_name
from . import dialogs

if TYPE_CHECKING:
    from ..template_set import TemplateSet  # loaded by the window when a list is opened, not at start-up

COLUMNS = ("Row", "Name", "Procedure", "Side", "Language and edition", "Problems and warnings")
PROBLEM_COLOUR = QColor("#a4001d")


class _Progress(QObject):
    """Carries progress from the making thread to the window (queued signals)."""

    step = Signal(int, str)  # handouts done, and the last one's error (all are listed at the end)
    finished = Signal(object)  # the BatchOutcome


class DayListDialog(QDialog):
    """The rows of one list, their problems, and Make handouts."""

    def __init__(
        self,
        path: Path,
        rows: list[Row],
        template_set: TemplateSet,
        clinic_folder: Path | None,
        output_folder: Path,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("day-list")
        self.setWindowTitle(f"Day list: {path.name}")
        self.rows = rows
        self._template_set = template_set
        self._clinic_folder = clinic_folder
        self.output_folder = output_folder
        self.outcome: BatchOutcome | None = None
        self.bad = [row for row in rows if row.problems]
        layout = QVBoxLayout(self)
        good = len(rows) - len(self.bad)
        self.summary = QLabel(
            f"{len(rows)} patients in {path.name}: {good} ready"
            + (
                f", {len(self.bad)} with problems (in red). Fix them in the list and open it again, or make the others."
                if self.bad
                else ". Check the side of each before you make them."
            )
        )
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.table = QTableWidget(len(rows), len(COLUMNS))
        self.table.setObjectName("day-list-rows")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        labels = template_set.catalog.labels_for("en")
        for index, row in enumerate(rows):
            selection = row.selection
            # The procedure as the sheet will name it (side in capitals, guidance, contrast, medicines).
            procedure = procedure_name(selection, labels, "en") if selection is not None else ""
            edition = (
                ", ".join(
                    [selection.language, selection.paper.value]
                    + ["large print"] * selection.large_print
                    + ["consent copy"] * selection.consent_copy
                )
                if selection
                else ""
            )
            cells = (
                str(row.number),
                row.values.get("name", ""),
                procedure,
                selection.side.value.upper() if selection else row.values.get("side", ""),
                edition,
                "; ".join([_problem_text(p) for p in row.problems] + row.warnings),
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if row.problems:
                    item.setForeground(PROBLEM_COLOUR)
                self.table.setItem(index, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        options = QHBoxLayout()
        self.folder_label = QLabel()
        self._show_folder()
        choose = QPushButton("&Folder...")
        choose.clicked.connect(self._choose_folder)
        options.addWidget(self.folder_label, 1)
        options.addWidget(choose)
        layout.addLayout(options)
        self.combined = QCheckBox("One PDF for one print job (each handout starts on an odd page)")
        self.combined.setObjectName("day-list-combined")
        layout.addWidget(self.combined)
        # Printing needs CUPS (Linux, macOS); on Windows the saved PDFs are printed from their folder.
        self.print_too = QCheckBox("Also &print them on the default printer")
        self.print_too.setObjectName("day-list-print")
        self.print_too.setVisible(print_queue.cups_available())
        layout.addWidget(self.print_too)
        self.skip_bad = QCheckBox(f"Leave out the {len(self.bad)} rows with problems and make the others")
        self.skip_bad.setObjectName("day-list-skip")
        self.skip_bad.setVisible(bool(self.bad))
        self.skip_bad.toggled.connect(self._update_button)
        layout.addWidget(self.skip_bad)
        buttons = QDialogButtonBox()
        self.make_button = buttons.addButton("&Make handouts", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.make_button.clicked.connect(self.make)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._update_button()
        self.resize(1320, 560)  # every column in view at 1440 px

    def _show_folder(self) -> None:
        self.folder_label.setText(f"Save to: {self.output_folder}")

    def _choose_folder(self) -> None:
        folder = dialogs.ask_folder(self, "Choose the folder for the day's handouts", self.output_folder)
        if folder is not None:
            self.output_folder = folder
            self._show_folder()

    def _update_button(self) -> None:
        ready = [row for row in self.rows if row.selection is not None]
        self.make_button.setEnabled(bool(ready) and (not self.bad or self.skip_bad.isChecked()))

    def make(self) -> None:
        """Make the ready rows with a progress dialog; Cancel stops after the handouts under way."""
        if not self.make_button.isEnabled():
            return
        if not self.output_folder.is_dir():
            dialogs.show_error(self, "No such folder", f"{self.output_folder} does not exist. Choose another folder.")
            return
        ready = [row for row in self.rows if row.selection is not None]
        progress = QProgressDialog(f"Making {len(ready)} handouts...", "&Cancel", 0, len(ready), self)
        progress.setWindowTitle("Day list")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(0)
        progress.setValue(0)
        signals = _Progress()
        cancelled = threading.Event()

        def show_step(done: int, error: str) -> None:
            if progress.wasCanceled():
                cancelled.set()  # Cancel (or Esc): finish the ones under way, start no more
            else:
                progress.setValue(done)

        signals.step.connect(show_step)
        finished: list[BatchOutcome] = []
        signals.finished.connect(finished.append)
        labels = self._template_set.catalog.labels_for("en")["targets"]
        allow_names = self._template_set.clinic.patient_name_in_file_name
        combined, folder, print_too = self.combined.isChecked(), self.output_folder, self.print_too.isChecked()
        printed: list[str] = []
        from ..records.recorder import recorder_for, store_choice

        recorder = recorder_for(store_choice(self._template_set.clinic))  # each handout's number and record

        def work() -> None:
            try:
                outcome = make_day(
                    ready,
                    self._clinic_folder,
                    folder,
                    labels,
                    allow_names,
                    combined,
                    on_step=signals.step.emit,
                    should_stop=cancelled.is_set,
                    recorder=recorder,
                )
                if print_too and outcome.made and not outcome.cancelled:
                    try:
                        problem = print_day(outcome, None, recorder, on_sent=printed.append)
                    except OSError as exc:  # the saved files are whole; only printing stopped
                        problem = f"a saved handout could not be read to print it ({exc.strerror or exc})"
                    if problem:
                        printed.append(f"Printing stopped: {problem}")
            except Exception as exc:  # a full disk or a broken PDF must end the wait, not hang it
                outcome = BatchOutcome(cancelled=True)
                outcome.failed.append(
                    (
                        0,
                        f"the handouts could not be saved ({type(exc).__name__}: "
                        f"{getattr(exc, 'strerror', None) or 'see the folder'})",
                    )
                )
            signals.finished.emit(outcome)

        loop = QEventLoop()
        signals.finished.connect(loop.quit)  # queued: runs in this thread once the work is done
        thread = threading.Thread(target=work, name="day-list", daemon=True)
        thread.start()
        if not finished:
            loop.exec()  # the window paints and the progress dialog takes Cancel; the form is blocked (modal)
        thread.join()
        progress.close()
        self.outcome = outcome = finished[0]
        message = summary(outcome, folder, combined)
        if outcome.failed:
            message += "\n\nNot made:\n" + "\n".join(f"row {number}: {error}" for number, error in outcome.failed)
        if self.bad:
            message += f"\n\n{len(self.bad)} rows with problems were left out."
        if printed:
            message += "\n\n" + "\n".join(printed)
        if outcome.record_warnings:
            message += "\n\n" + "\n".join(dict.fromkeys(outcome.record_warnings))
        self.summary.setText(message)
        dialogs.show_info(self, "Day list", message)
        self.make_button.setEnabled(False)


def _problem_text(problem: Problem) -> str:
    """A problem for the table's last column: as the CLI prints it, without the row (the first column has it)."""
    return str(problem).split(", ", 1)[-1] if problem.column else str(problem).split(":", 1)[-1].strip()
