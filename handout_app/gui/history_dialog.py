"""History > History and reprints...: every sheet saved, printed or reprinted, an audit export, and reprints.

The dialog shows what the record store holds (records/store.py) for a range of local days, oldest
first, in the same words as `handout-app records list`; "Export CSV..." writes exactly what
`records list --format csv` writes for those days. "Reprint..." makes the selected sheet again, byte
for byte, from its archived wording (records/reprint.py) once the nurse has typed the patient's
details as they were on the original sheet: the store never keeps the patient's name or birth date.

The store may be a PostgreSQL server that is away: the dialog then says so in a line of its own and
never shows a traceback. Sheets are still saved and printed meanwhile (their entries wait in this
computer's queue), so the dialog also says how many entries wait to be sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar, cast

from PySide6.QtCore import QEvent, QEventLoop, QLocale, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..formats import format_date
from ..output_files import OutputExists, OutputNotRegular, check_target, free_name, write_atomically
from ..patient_input import FIRST_YEAR
from ..records.listing import as_csv, editions_text, local_time, output_text, procedure_text
from ..records.store import StoreUnavailable
from ..records_cli import utc_bounds
from . import dialogs
from .date_field import DateField
from .reprint_details import CheckedDetails, ReprintDetails, ReprintDetailsDialog

COLUMNS = ("Time", "Document", "Side", "Language", "Editions", "Output", "Procedure")
DEFAULT_DAYS = 30  # the list opens on the last month: an audit or a reprint is rarely about older sheets

_T = TypeVar("_T")


def sheets_text(count: int) -> str:
    """'12 sheets', '1 sheet'."""
    return f"{count} sheet{'s' if count != 1 else ''}"


def waiting_text(count: int) -> str:
    """The line about entries kept in this computer's queue while the store was away."""
    if count == 1:
        return "1 sheet made on this computer waits to be sent to the record store."
    return f"{count} sheets made on this computer wait to be sent to the record store."


def day_first_for(date_order: str) -> bool:
    """The order of numeric dates such as 02/11/2026, as the form reads them (clinic.toml date_order;
    "" follows the computer: month first only on one set to the United States)."""
    if date_order:
        return date_order == "day-month-year"
    return QLocale.system().territory() != QLocale.Country.UnitedStates


def _last_folder() -> Path:
    """The folder the nurse last saved a handout to (the main window's setting), else the home folder."""
    folder = Path(str(QSettings().value("last_save_folder", str(Path.home()))))
    return folder if folder.is_dir() else Path.home()


class _Finished(QObject):
    """Tells the dialog's thread that the work on the other thread is done (a queued signal)."""

    done = Signal()


class HistoryDialog(QDialog):
    """The record store's sheets for a range of days: the table, Export CSV..., Reprint... and Close."""

    def __init__(self, recorder: Any, parent: QWidget | None = None, date_order: str = "") -> None:
        """`recorder` is records.recorder.Recorder; `date_order` is the clinic's order for numeric dates
        (clinic.toml date_order), "" for the computer's."""
        super().__init__(parent)
        self.setObjectName("history")
        self.setWindowTitle("Handout history")
        self.recorder = recorder
        self.rows: list[dict[str, Any]] = []
        self._shown_days: tuple[dt.date | None, dt.date | None] | None = None  # the days the table lists
        self._busy = False
        self._day_first = day_first_for(date_order)
        today = dt.date.today()
        layout = QVBoxLayout(self)

        self.store_label = QLabel(f"Record store: {recorder.name}")  # Recorder.name never holds the password
        self.store_label.setObjectName("history-store")
        self.store_label.setWordWrap(True)
        self.store_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.store_label)
        self.problem = QLabel()
        self.problem.setObjectName("history-problem")
        self.problem.setAccessibleName("Problem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(dialogs.PROBLEM_STYLE)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problem.hide()
        layout.addWidget(self.problem)
        self.waiting = QLabel()
        self.waiting.setObjectName("history-waiting")
        self.waiting.setWordWrap(True)
        self.waiting.hide()
        layout.addWidget(self.waiting)

        filters = QHBoxLayout()
        # Both ends are local days and included; the calendars end today (no sheet is made tomorrow).
        self.since = DateField("history-from", "From this day", dt.date(FIRST_YEAR, 1, 1), None, None)
        self.until = DateField("history-to", "To this day (included)", dt.date(FIRST_YEAR, 1, 1), None, None)
        for field_, text in ((self.since, "&From:"), (self.until, "&To:")):
            field_.set_day_first(self._day_first)
            label = QLabel(text)
            label.setBuddy(field_.edit)
            field_.setMaximumWidth(field_.fontMetrics().horizontalAdvance("e.g. 2 Apr 1956 or 02/04/1956") + 60)
            filters.addWidget(label)
            filters.addWidget(field_, 1)
        self.since.setDate(today - dt.timedelta(days=DEFAULT_DAYS))
        self.until.setDate(today)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("history-show")
        self.show_button.setAccessibleName("Show the sheets of these days")
        self.show_button.setDefault(True)  # Enter in a date field lists its days
        self.show_button.clicked.connect(self.reload)
        filters.addWidget(self.show_button)
        filters.addStretch(1)
        layout.addLayout(filters)

        table_label = QLabel("Sheets &handed out, oldest first:")
        layout.addWidget(table_label)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("history-rows")
        self.table.setAccessibleName("Sheets saved, printed or reprinted, oldest first")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table for the buttons; arrows move in it
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        # Enter (or a double click) on a sheet reprints it; otherwise Enter would reach the Show button
        # and list the days again, dropping the row the nurse just chose.
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(lambda _index: self.reprint_selected())
        table_label.setBuddy(self.table)
        layout.addWidget(self.table, 1)
        self.count = QLabel()
        self.count.setObjectName("history-count")
        layout.addWidget(self.count)

        buttons = QDialogButtonBox()
        self.export_button = buttons.addButton("&Export CSV...", QDialogButtonBox.ButtonRole.ActionRole)
        self.export_button.setObjectName("history-export")
        self.export_button.setAccessibleName("Export the listed sheets as CSV")
        self.export_button.clicked.connect(self.export_csv)
        self.reprint_button = buttons.addButton("&Reprint...", QDialogButtonBox.ButtonRole.ActionRole)
        self.reprint_button.setObjectName("history-reprint")
        self.reprint_button.setAccessibleName("Reprint the selected sheet")
        self.reprint_button.clicked.connect(self.reprint_selected)
        self.close_button = buttons.addButton("&Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setObjectName("history-close")
        buttons.rejected.connect(self.reject)
        # Enter on a focused button presses it (Qt's auto-default); anywhere else Enter means Show.
        layout.addWidget(buttons)

        self.setTabOrder(self.since.edit, self.until.edit)
        self.setTabOrder(self.until.edit, self.show_button)
        self.setTabOrder(self.show_button, self.table)
        self.setTabOrder(self.table, self.export_button)
        self.setTabOrder(self.export_button, self.reprint_button)
        self.setTabOrder(self.reprint_button, self.close_button)
        self.resize(1180, 600)  # every column in view at 1280 px
        for field_ in (self.since, self.until):
            field_.edited.connect(self._on_days_edited)  # connected once the buttons it updates exist
        self.reload()
        self.since.edit.setFocus()

    # -- listing --------------------------------------------------------------------------------
    def days(self) -> tuple[dt.date | None, dt.date | None] | None:
        """The typed days (an empty field leaves that end open), or None with the problem shown."""
        since, problem = self.since.value()
        if problem:
            self._show_problem(f"From: {problem}")
            return None
        until, problem = self.until.value()
        if problem:
            self._show_problem(f"To: {problem}")
            return None
        if since is not None and until is not None and since > until:
            self._show_problem(
                f"From ({format_date(since)}) is after To ({format_date(until)}); give the earlier day first."
            )
            return None
        return since, until

    def reload(self) -> None:
        """List the sheets of the typed days, after sending what waits in this computer's queue."""
        if self._busy:
            return
        days = self.days()
        if days is None:
            return  # the table keeps the days it lists; the problem line says what to fix
        self._show_problem("")
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            rows, problem = self._read(days)
            waiting = self._waiting()
        finally:
            QApplication.restoreOverrideCursor()
        self.rows = rows
        self._shown_days = days if problem is None else None
        self._fill_table()
        if problem is not None:
            self._show_problem(problem)
            self.count.setText("No sheets listed: the record store could not be read. Press Show to try again.")
        else:
            self.count.setText(sheets_text(len(rows)) + self._days_text(days))
        self.waiting.setText(waiting_text(waiting) if waiting else "")
        self.waiting.setVisible(bool(waiting))
        self._update_buttons()

    def _read(self, days: tuple[dt.date | None, dt.date | None]) -> tuple[list[dict[str, Any]], str | None]:
        """The rows for the days, or no rows and a plain sentence why (never an exception)."""
        with contextlib.suppress(
            StoreUnavailable
        ):  # the list below says the store is away; the waiting line says what is kept here
            self.recorder.send_queued(wait=False)
        try:
            return self.recorder.store().deliveries(*utc_bounds(*days)), None
        except StoreUnavailable as exc:
            return [], (
                f"The record store could not be read: {_sentence(exc)} Sheets can still be saved and printed; "
                "their entries are kept on this computer until the store answers."
            )

    def _waiting(self) -> int:
        """How many entries wait in the queue; 0 when even the queue cannot be read (that is not worth a
        second problem line: the next save says so)."""
        try:
            return int(self.recorder.waiting_count())
        except StoreUnavailable:
            return 0

    @staticmethod
    def _days_text(days: tuple[dt.date | None, dt.date | None]) -> str:
        since, until = days
        if since and until:
            return f", {format_date(since)} to {format_date(until)}"
        if since:
            return f", from {format_date(since)}"
        if until:
            return f", up to {format_date(until)}"
        return ", all days"

    def _fill_table(self) -> None:
        self.table.clearSelection()
        self.table.setRowCount(len(self.rows))
        for index, row in enumerate(self.rows):
            for column, text in enumerate(self._cells(row)):
                item = QTableWidgetItem(text)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                self.table.setItem(index, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)

    def _cells(self, row: dict[str, Any]) -> tuple[str, ...]:
        """One row's cells, in the words of `records list` (side in capitals, as on the sheet)."""
        return (
            local_time(row["delivered_at"]).strftime("%Y-%m-%d %H:%M"),
            row["number"],
            row["side"].upper(),
            row["language"],
            editions_text(row),
            output_text(row),
            self._procedure(row),
        )

    def _procedure(self, row: dict[str, Any]) -> str:
        return procedure_text(row)  # the catalog is read once; a choice this version does not know shows as stored

    def _on_days_edited(self) -> None:
        """Typed days that are not the listed ones: Export would not match what the fields say."""
        self._update_buttons()

    def _shows_typed_days(self) -> bool:
        since, since_problem = self.since.value()
        until, until_problem = self.until.value()
        return not since_problem and not until_problem and self._shown_days == (since, until)

    def _update_buttons(self) -> None:
        listed = self._shown_days is not None
        self.export_button.setEnabled(listed and self._shows_typed_days() and not self._busy)
        self.export_button.setToolTip(
            ""
            if self.export_button.isEnabled() or not listed
            else "Press Show to list the days typed, then export them."
        )
        self.reprint_button.setEnabled(self.selected_row() is not None and not self._busy)
        self.show_button.setEnabled(not self._busy)

    def _show_problem(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.setVisible(bool(message))

    def selected_row(self) -> dict[str, Any] | None:
        """The stored row of the selected sheet, or None."""
        selected = self.table.selectionModel().selectedRows()
        if len(selected) != 1 or not 0 <= selected[0].row() < len(self.rows):
            return None
        return self.rows[selected[0].row()]

    # -- work that takes a while ----------------------------------------------------------------
    def _run_busy(self, work: Callable[[], _T]) -> _T:
        """Run `work` on a thread with the wait cursor; the dialog keeps painting but takes no clicks.
        Returns what `work` returns, or raises what it raised."""
        outcome: list[_T] = []
        failure: list[BaseException] = []
        finished = _Finished()
        loop = QEventLoop()
        finished.done.connect(loop.quit)  # queued: runs here once the thread is done

        def run() -> None:
            try:
                outcome.append(work())
            except BaseException as exc:  # handed back to the caller below
                failure.append(exc)
            finished.done.emit()

        self._busy = True
        self._update_buttons()
        self.setEnabled(False)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        thread = threading.Thread(target=run, name="history", daemon=True)
        try:
            thread.start()
            loop.exec()
            thread.join()
        finally:
            QApplication.restoreOverrideCursor()
            self.setEnabled(True)
            self._busy = False
            self._update_buttons()
        if failure:
            raise failure[0]
        return outcome[0]

    def reject(self) -> None:
        """Close, except while a reprint or export is being made (its thread would be left behind)."""
        if not self._busy:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._busy:
            event.ignore()
            return
        super().closeEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and cast(QKeyEvent, event).key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.selected_row() is not None
        ):
            self.reprint_selected()
            return True
        return super().eventFilter(watched, event)

    # -- saving files ---------------------------------------------------------------------------
    def _ask_target(self, title: str, suggested: Path, file_filter: str, suffix: str) -> tuple[Path, bool] | None:
        """Where to write, and whether the nurse agreed to replace an existing file; None if cancelled.
        As the handout's Save: a folder, link or pipe is refused; "No" to replacing asks again."""
        while True:
            path = dialogs.ask_save_file(self, title, suggested, file_filter, suffix)
            if path is None:
                return None
            try:
                check_target(path, replace=True)
            except OSError as exc:
                dialogs.show_error(self, title, _refusal(path, exc))
                return None
            if not path.exists():
                return path, False
            if dialogs.confirm_replace(self, path):
                return path, True
            suggested = free_name(path)

    def _write(self, title: str, path: Path, data: bytes, replace: bool) -> bool:
        """Write the file whole or not at all; says why when it cannot. True when written."""
        try:
            write_atomically(path, data, replace=replace)
        except OutputExists:
            dialogs.show_error(self, title, f"{path} appeared while saving. Save again to choose what to do.")
            return False
        except OSError as exc:
            dialogs.show_error(self, title, _refusal(path, exc))
            return False
        QSettings().setValue("last_save_folder", str(path.parent))
        return True

    def export_csv(self) -> None:
        """Write the listed sheets as `records list --format csv` writes them, to a file the nurse chooses."""
        if not self.export_button.isEnabled():
            return
        rows, days = list(self.rows), self._shown_days
        assert days is not None
        since, until = days
        name = "handout-history_" + "_".join(day.isoformat() if day else "all" for day in (since, until)) + ".csv"
        target = self._ask_target(
            "Export the handout history", free_name(_last_folder() / name), "CSV files (*.csv)", ".csv"
        )
        if target is None:
            return
        path, replace = target
        try:
            text = self._run_busy(lambda: as_csv(rows))
        except (ValueError, KeyError) as exc:
            dialogs.show_error(
                self,
                "Could not export",
                f"A recorded sheet could not be read by this version of "
                f"handout-app ({exc}). Export it with the version that made it.",
            )
            return
        # With a byte-order mark, so Excel on Windows reads accented wording names as they are.
        if self._write("Could not export", path, text.encode("utf-8-sig"), replace):
            dialogs.show_info(self, "History exported", f"Saved {sheets_text(len(rows))} to {path}.")

    def reprint_selected(self) -> None:
        """Make the selected sheet again from the typed details, save it, and record the reprint.

        A refused reprint (details that do not make the same bytes) says why and opens the details
        again as they were typed, so a nurse can correct one letter without typing all of it again."""
        row = self.selected_row()
        if row is None or self._busy:
            return
        number = row["number"]
        typed = ReprintDetails(record_number=row.get("record_number") or "")  # kept when the clinic records it
        suggested = free_name(_last_folder() / f"reprint_{number}.pdf")  # never the patient's name: shared folders
        while True:
            details = ReprintDetailsDialog(number, typed, self._day_first, self)
            accepted = dialogs.run_dialog(details)
            typed, checked = details.typed(), details.checked
            details.deleteLater()
            if not accepted or checked is None:
                return
            target = self._ask_target(f"Save the reprint of document {number}", suggested, "PDF files (*.pdf)", ".pdf")
            if target is None:
                return
            path, replace = target
            suggested = path if not replace else suggested
            try:
                store = self.recorder.store()
            except StoreUnavailable as exc:
                dialogs.show_error(self, "Could not reprint", f"The record store could not be opened: {_sentence(exc)}")
                return
            try:
                made = self._run_busy(partial(_reprint, store, number, checked))
            except _Refused as exc:
                dialogs.show_error(self, "Could not reprint", str(exc))
                continue  # the details open again as typed
            if not self._write("Could not save the reprint", path, made.pdf, replace):
                return
            outcome = self.recorder.record_reprint(made.document)
            message = (
                f"Saved document {number} to {path}. It is identical to the sheet handed out on "
                f"{made.document['made_at'][:16].replace('T', ' ')}."
            )
            if not outcome.stored:
                message += f"\n\n{outcome.warning}"
            dialogs.show_info(self, "Reprint saved", message)
            self.reload()  # the reprint is now in the list
            return


class _Refused(Exception):
    """A reprint that could not be made; the message is for the nurse."""


def _reprint(store: Any, number: str, details: CheckedDetails) -> Any:
    """records.reprint.reprint, with every way it can fail turned into one plain message."""
    from ..records.reprint import ReprintFailed, reprint

    try:
        return reprint(store, number, details.name, details.date_of_birth, details.record_number)
    except ReprintFailed as exc:
        raise _Refused(str(exc)) from None
    except OSError as exc:  # the render process died under us (a broken pipe) or its folder could not be made
        raise _Refused(
            f"Document {number} could not be made again: the render process failed "
            f"({exc.strerror or exc}). Try again; if it keeps failing, restart handout-app."
        ) from None


def _sentence(exc: Exception) -> str:
    """An exception's message as a sentence: one full stop at the end, never two."""
    return str(exc).rstrip(". ") + "."


def _refusal(path: Path, exc: OSError) -> str:
    """Why `path` cannot be written, in plain words."""
    if isinstance(exc, OutputNotRegular):
        return f"{path} is {exc.kind}, not an ordinary file. Choose another name."
    return f"The file could not be written to {path.parent} ({exc.strerror or exc}). Choose another folder."


def open_history(parent: QWidget, recorder: Any, date_order: str = "") -> None:
    """Show the history of `recorder`'s store (records.recorder.Recorder) as a modal dialog over `parent`.

    `date_order` is the clinic's order for numeric dates (clinic.toml date_order), "" for the computer's."""
    dialog = HistoryDialog(recorder, parent, date_order)
    try:
        dialogs.run_dialog(dialog)
    finally:
        dialog.deleteLater()
