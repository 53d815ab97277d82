"""The main window: the form on the left, the live PDF preview on the right, actions in menu and toolbar."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QBuffer, QEventLoop, QObject, QPointF, QSettings, Qt, QTimer, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from .. import __version__, print_queue
from ..catalog import Catalog, CatalogError
from ..clinic import ClinicError, ClinicProfile, load_clinic, read_clinic_for_repair
from ..clinic_archive import ArchiveError, export_zip, import_zip
from ..day_list import DayListError, check_rows, read_table
from ..document_numbers import new_number
from ..domain import selection_to_dict
from ..naming import handout_file_name
from ..new_clinic import create_clinic_folder
from ..output_files import OutputExists, OutputNotRegular, check_target, free_name, write_atomically
from ..records.entry import SheetRequest
from ..template_set import load_template_set
from ..templating import TemplateProblem
from ..wording_approval import ApprovalState, check_approval
from . import dialogs, printing
from .clinic_settings import ClinicSettingsDialog
from .day_list_dialog import DayListDialog
from .form import SelectionForm
from .print_job import CupsPrintJob, Outcome, PrintProgressDialog
from .printing import PrintFailed, load_pdf
from .render_client import RenderClient, RenderResult

if TYPE_CHECKING:
    from ..records.recorder import Recorder

# A sheet handed out: its PDF, the request that made it and the wording set the worker used.
_Sheet = tuple[bytes, SheetRequest, dict[str, str]]

# No fixed pause before rendering: a change is sent on the next turn of the event loop, so the
# several signals of one change make one request. A click shows its preview a render later, not a
# pause plus a render; while typing, the newest request replaces any that has not started
# (render_client.py), and measured typing is no slower than with the old 300 ms pause (make bench).
PREVIEW_DELAY_MS = 0
ZOOM_STEPS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)
# The sheet prints the time it was made; a preview older than this is made again for Save and Print,
# so the time on paper is when it was handed out, not when the form was last touched.
FRESH_PREVIEW_S = 60
SETTINGS_GROUP = "procedure"


class PreviewPane(QWidget):
    """Warnings above, the PDF below, or a plain message when there is nothing to show."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.warnings = QLabel()
        self.warnings.setObjectName("preview-warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("background: #fff4ce; color: #4a3b00; padding: 6px; border: 1px solid #c9a400;")
        self.warnings.setAccessibleName("Warnings about this selection")
        self.warnings.hide()
        self.message = QLabel()
        self.message.setObjectName("preview-message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("font-size: 14px; padding: 24px;")
        self.view = QPdfView()
        self.view.setObjectName("preview")
        self.view.setAccessibleName("Handout preview")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.pageNavigator().currentPageChanged.connect(lambda _page: self._show_page_number())
        self.page_label = QLabel()
        self.page_label.setObjectName("preview-page")
        self.page_label.setAccessibleName("Page shown in the preview")
        self.controls = QWidget()
        self.controls.setObjectName("preview-controls")
        self._control_row = QHBoxLayout(self.controls)
        self._control_row.setContentsMargins(4, 2, 4, 2)
        self._control_row.addWidget(self.page_label)
        self._control_row.addStretch(1)
        self._to_top_next = False
        self.document: QPdfDocument | None = None
        self._buffer: QBuffer | None = None
        self.pdf_bytes: bytes = b""
        self.set_error_buttons = QWidget()
        self.set_error_buttons.setObjectName("set-error-buttons")
        buttons = QHBoxLayout(self.set_error_buttons)
        # No letter for Reload: every letter of it is taken in the form; Ctrl+R reloads from anywhere.
        self.reload_button = QPushButton("Reload the clinic folder (Ctrl+R)")
        self.fallback_button = QPushButton("Use the built-in &wording for now")
        buttons.addStretch(1)
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.fallback_button)
        buttons.addStretch(1)
        self.set_error_buttons.hide()
        layout.addWidget(self.warnings)
        layout.addWidget(self.message)
        layout.addWidget(self.set_error_buttons)
        layout.addWidget(self.controls)
        layout.addWidget(self.view, 1)
        self.show_message("Fill in the form to see the handout here.")
        self.controls.hide()

    def show_warnings(self, warnings: list[str] | tuple[str, ...]) -> None:
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))

    def show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
        self.set_error_buttons.hide()

    def show_set_error(self, error: str) -> None:
        """The clinic's template set is broken: say where, and offer Reload or the built-in wording."""
        self.clear_pdf()
        self.message.setText(
            "The clinic's own wording or templates have a problem, so no handout can be printed yet:\n\n"
            f"{error}\n\nFix the file named above and press Reload, or use the built-in wording for now "
            "(the sheet's footer will then say so)."
        )
        self.message.show()
        self.set_error_buttons.show()

    def add_control(self, action: QAction) -> None:
        """A button for one of the window's preview actions (zoom, pages), beside the page number."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Tab stays in the form; the shortcuts work anywhere
        self._control_row.addWidget(button)

    def _show_page_number(self) -> None:
        count = self.document.pageCount() if self.document is not None else 0
        page = self.view.pageNavigator().currentPage() + 1
        self.page_label.setText(f"Page {min(page, count)} of {count}" if count else "")

    def go_to_page(self, page: int) -> None:
        """Show the top of `page` (0-based, clamped to the sheet)."""
        if self.document is None or self.document.pageCount() == 0:
            return
        page = max(0, min(page, self.document.pageCount() - 1))
        navigator = self.view.pageNavigator()
        navigator.jump(page, QPointF(0, 0), navigator.currentZoom())
        if page == 0:
            self.view.verticalScrollBar().setValue(0)  # the very top, the margin above page 1 included
        self._show_page_number()

    def turn_page(self, step: int) -> None:
        self.go_to_page(self.view.pageNavigator().currentPage() + step)

    def zoom(self, step: int) -> None:
        """One step in (1) or out (-1) from the zoom on screen; 0 fits the page width again."""
        if step == 0:
            self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
            return
        current = (
            self.view.zoomFactor() if self.view.zoomMode() == QPdfView.ZoomMode.Custom else self._fit_width_factor()
        )
        if step > 0:
            factor = next((z for z in ZOOM_STEPS if z > current + 0.01), ZOOM_STEPS[-1])
        else:
            factor = next((z for z in reversed(ZOOM_STEPS) if z < current - 0.01), ZOOM_STEPS[0])
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(factor)

    def _fit_width_factor(self) -> float:
        if self.document is None or self.document.pageCount() == 0:
            return 1.0
        page_pixels = self.document.pagePointSize(0).width() / 72 * self.view.logicalDpiX()
        return max(0.1, (self.view.viewport().width() - 2 * self.view.documentMargins().left()) / page_pixels)

    def back_to_top_next_time(self) -> None:
        """The next sheet shown opens at the top of page 1 (a new patient's sheet, not where the last was)."""
        self._to_top_next = True

    def show_pdf(self, data: bytes) -> None:
        old_document, old_buffer = self.document, self._buffer
        self.document, self._buffer = load_pdf(data)
        self.pdf_bytes = data
        self.view.setDocument(self.document)
        if self._to_top_next:
            self._to_top_next = False
            self.go_to_page(0)
        self._show_page_number()
        self.view.show()
        self.controls.show()
        self.message.hide()
        self.set_error_buttons.hide()
        if old_document is not None:
            old_document.close()
        if old_buffer is not None:
            old_buffer.close()

    def clear_pdf(self) -> None:
        """Hide the preview (an outdated sheet must never be on screen); the message explains why."""
        self.pdf_bytes = b""
        self.view.hide()
        self.controls.hide()


def _action(
    text: str,
    parent: QObject,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
) -> QAction:
    """A menu action that calls `slot` when chosen (as QAction(text, parent, shortcut=..., triggered=...) does)."""
    action = QAction(text, parent)
    if shortcut is not None:
        action.setShortcut(shortcut)
    action.triggered.connect(slot)
    return action


class MainWindow(QMainWindow):
    """The product as nurses see it."""

    def __init__(self, catalog: Catalog, clinic_folder: Path | None = None, client: RenderClient | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Hip injection handout")
        self._catalog = catalog
        self._clinic_folder = clinic_folder
        self.form = SelectionForm(catalog)
        self.preview = PreviewPane()
        self.client = client or RenderClient(parent=self)
        self.client.setParent(self)
        if not self.client.is_running:
            # First, so the worker imports WeasyPrint on the other core while the window is built; its
            # "ready" arrives through the event loop, after the signals below are connected.
            self.client.start()
        self._current_request: str | None = None
        self._shown_request: str | None = None
        self._shown_selection: dict[str, Any] | None = None
        self._wanted_selection: dict[str, Any] | None = None
        self._requested_selection: dict[str, Any] | None = None
        self._awaiting_reply = False
        self._shown_at = 0.0  # time.monotonic() when the preview on screen was made
        self._handed_out: dict[str, Any] | None = None  # the selection last saved or printed (for the close question)
        self._builtin_only = False  # the user's explicit choice after a clinic set error
        self._clinic_overrides: dict[str, Any] = {}  # clinic settings being edited, not saved yet
        # What each render request asked for (document number included), so the sheet handed out is
        # recorded exactly as it was made; and the request and wording set behind the preview shown.
        self._sheet_requests: dict[str, SheetRequest] = {}
        self._shown_sheet: tuple[SheetRequest, dict[str, str]] | None = None
        self.clinic_label = QLabel()
        self.clinic_label.setObjectName("clinic-folder")
        self.clinic_label.setAccessibleName("Active clinic folder")
        self.statusBar().addPermanentWidget(self.clinic_label)
        self._clinic = self._load_clinic_profile()

        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        # The whole form fits side by side with its scroll bar: no control is cut off.
        scroll.setMinimumWidth(self.form.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        self.splitter = splitter = QSplitter()
        splitter.addWidget(scroll)
        splitter.addWidget(self.preview)
        splitter.setStretchFactor(1, 1)
        # Above the form and preview: the clinic's wording has changed since it was signed off.
        self.approval_banner = QLabel()
        self.approval_banner.setObjectName("approval-banner")
        self.approval_banner.setWordWrap(True)
        self.approval_banner.setStyleSheet(
            "background: #fde7e9; color: #5c0011; padding: 8px; border: 2px solid #a4001d; font-weight: bold;"
        )
        self.approval_banner.setAccessibleName("Wording approval warning")
        self.approval_banner.hide()
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.approval_banner)
        column.addWidget(splitter, 1)
        self.setCentralWidget(central)
        self._show_approval_state()
        self._build_actions()
        self.statusBar().showMessage("Starting the preview engine...")

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(PREVIEW_DELAY_MS)
        self._debounce.timeout.connect(self.request_preview)
        self.form.changed.connect(self._on_form_changed)
        self._notice = ""
        self.form.notice.connect(self._show_notice)
        self.client.ready.connect(self._on_worker_ready)
        self.client.finished.connect(self._on_rendered)
        self.client.failed.connect(self._on_render_failed)
        self.client.set_failed.connect(self._on_set_failed)
        self.preview.reload_button.clicked.connect(self.reload_clinic)
        self.preview.fallback_button.clicked.connect(self.use_builtin_wording)

        self._restore_settings()
        self._update_actions()

    # -- actions -------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.new_action = _action("&New patient", self, self.new_patient, QKeySequence.StandardKey.New)
        self.save_action = _action("&Save PDF...", self, self.save_pdf, QKeySequence.StandardKey.Save)
        # A lambda, so that print_pdf is not handed the action's "checked" flag.
        self.print_action = _action("&Print...", self, lambda: self.print_pdf(), QKeySequence.StandardKey.Print)
        self.day_list_action = _action("&Day list...", self, self.open_day_list, QKeySequence("Ctrl+D"))
        self.about_action = _action("&About", self, self.show_about)
        quit_action = _action("&Quit", self, self.close, QKeySequence.StandardKey.Quit)
        file_menu = self.menuBar().addMenu("&File")
        for action in (self.new_action, self.save_action, self.print_action, self.day_list_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.clinic_settings_action = _action("Clinic &settings...", self, self.edit_clinic_settings)
        self.choose_clinic_action = _action("&Choose clinic folder...", self, self.choose_clinic_folder)
        self.new_clinic_action = _action("&New clinic folder...", self, self.new_clinic_folder)
        self.open_clinic_action = _action("&Open clinic folder", self, self.open_clinic_folder)
        self.reload_action = _action("&Reload clinic folder", self, self.reload_clinic, QKeySequence("Ctrl+R"))
        self.builtin_action = QAction("Use &built-in wording for now", self)
        self.builtin_action.setCheckable(True)
        self.builtin_action.toggled.connect(self._set_builtin_only)
        self.export_action = _action("&Export clinic folder...", self, self.export_clinic)
        self.import_action = _action("&Import clinic folder...", self, self.import_clinic)
        clinic_menu = self.menuBar().addMenu("&Clinic")
        for action in (
            self.clinic_settings_action,
            self.choose_clinic_action,
            self.new_clinic_action,
            self.open_clinic_action,
            self.reload_action,
        ):
            clinic_menu.addAction(action)
        clinic_menu.addAction(self.builtin_action)
        clinic_menu.addSeparator()
        clinic_menu.addAction(self.export_action)
        clinic_menu.addAction(self.import_action)
        self.zoom_out_action = _action(
            "Zoom out", self, lambda: self.preview.zoom(-1), QKeySequence.StandardKey.ZoomOut
        )
        self.zoom_in_action = _action("Zoom in", self, lambda: self.preview.zoom(1))
        self.zoom_in_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.ZoomIn), QKeySequence("Ctrl+=")])
        self.fit_width_action = _action("Fit width", self, lambda: self.preview.zoom(0), QKeySequence("Ctrl+0"))
        self.previous_page_action = _action(
            "Previous page", self, lambda: self.preview.turn_page(-1), QKeySequence(Qt.Key.Key_PageUp)
        )
        self.next_page_action = _action(
            "Next page", self, lambda: self.preview.turn_page(1), QKeySequence(Qt.Key.Key_PageDown)
        )
        view_menu = self.menuBar().addMenu("&Zoom")  # V is taken by Archi&val; Z is free
        for action in (
            self.zoom_in_action,
            self.zoom_out_action,
            self.fit_width_action,
            self.previous_page_action,
            self.next_page_action,
        ):
            action.setToolTip(f"{action.text()} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
            view_menu.addAction(action)
            self.preview.add_control(action)
        self.history_action = _action("&History and reprints...", self, self.open_history, QKeySequence("Ctrl+H"))
        self.menuBar().addMenu("Histor&y").addAction(self.history_action)  # H is Help's; Y is free
        self.menuBar().addMenu("&Help").addAction(self.about_action)
        self.toolbar = self.addToolBar("Main")
        self.toolbar.setObjectName("main-toolbar")
        for action in (self.new_action, self.save_action, self.print_action, self.clinic_settings_action):
            self.toolbar.addAction(action)

    @contextmanager
    def _busy(self, status: str) -> Iterator[None]:
        """While a sheet is saved or printed: form, menus and toolbar refuse input.

        Disabled widgets drop clicks and keys instead of queueing them, so nothing typed meanwhile can
        change the form after the sheet has gone (issue 11: a click on Left during printing was applied
        afterwards, and the form said LEFT while the paper said RIGHT)."""
        widgets = (self.form, self.menuBar(), self.toolbar)
        for widget in widgets:
            widget.setEnabled(False)
        self.statusBar().showMessage(status)
        try:
            yield
        finally:
            for widget in widgets:
                widget.setEnabled(True)
            self._update_actions()

    def _preview_is_current(self) -> bool:
        return self._shown_selection is not None and self._shown_selection == self._wanted_selection

    def _update_actions(self) -> None:
        state = self.form.state()
        ready = state.selection is not None and self._preview_is_current() and bool(self.preview.pdf_bytes)
        self.save_action.setEnabled(ready)
        self.print_action.setEnabled(ready)

    # -- preview -------------------------------------------------------------------------------
    def _on_form_changed(self) -> None:
        state = self.form.state()
        self.preview.show_warnings(state.warnings)
        self._wanted_selection = selection_to_dict(state.selection) if state.selection else None
        if state.selection is None:
            self._debounce.stop()
            self.preview.clear_pdf()
            self._shown_selection = None
            self.preview.show_message(
                "The preview appears when the form is complete:\n" + "\n".join(state.errors.values())
            )
            self.statusBar().showMessage("Complete the form: " + " ".join(state.errors.values()))
        else:
            self._debounce.start()
        self._update_actions()

    def request_preview(self, force: bool = False) -> None:
        """Ask the worker for the current selection's PDF (newest request wins).

        A selection that is already on screen, or already being rendered, is not sent again
        (unless `force`): a second identical request would make the first reply stale and
        double the wait.
        """
        if self._wanted_selection is None:
            return
        if (
            not force
            and self._wanted_selection == self._requested_selection
            and (self._awaiting_reply or self._shown_selection == self._wanted_selection)
        ):
            return
        self._awaiting_reply = True
        self._current_request = self._send(self._wanted_selection)
        self._requested_selection = self._wanted_selection
        self.statusBar().showMessage("Updating the preview...")

    def _send(self, selection: dict[str, Any]) -> str:
        """Ask the worker for `selection` made now, with a fresh document number; returns the request id.

        Every preview carries its own number, so the bytes on screen are the bytes saved or printed.
        """
        sheet = SheetRequest(
            selection,
            str(self._clinic_folder) if self._clinic_folder else None,
            dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
            new_number(),
            self._builtin_only,
            dict(self._clinic_overrides),
        )
        request_id = self.client.request(
            sheet.selection,
            sheet.clinic,
            sheet.generated_at,
            builtin_only=sheet.builtin_only,
            clinic_overrides=sheet.clinic_overrides,
            document_number=sheet.document_number,
        )
        self._sheet_requests = {**{k: v for k, v in list(self._sheet_requests.items())[-8:]}, request_id: sheet}
        return request_id

    def _recorder(self) -> Recorder:
        """The record store of the clinic in use (records/recorder.py; imported when first needed)."""
        from ..records.recorder import recorder_for, store_choice

        return recorder_for(store_choice(self._clinic))

    def _record(self, sheet: _Sheet, kind: str, printer: str | None = None) -> str:
        """Record the sheet handed out; a plain warning when the store could not take it (the sheet is
        saved or printed all the same). Returns the words for the status bar."""
        pdf, request, wording = sheet
        outcome = self._recorder().record(request, wording, pdf, kind, printer)
        if outcome.warning:
            dialogs.show_error(
                self, "Recorded with a problem" if outcome.stored else "Not recorded yet", outcome.warning
            )
        return f" Document {request.document_number}."

    def _on_worker_ready(self) -> None:
        self.statusBar().showMessage("Ready.")
        if self._wanted_selection is not None:
            self.request_preview()

    def _on_rendered(self, result: RenderResult) -> None:
        if result.request_id != self._current_request:
            return  # an older request; a newer one is on its way
        self._awaiting_reply = False
        if self._wanted_selection is None:
            return  # the form became incomplete meanwhile (e.g. New patient): show no sheet at all
        self.preview.show_pdf(result.pdf)
        self._shown_sheet = (self._sheet_requests[result.request_id], dict(result.wording))
        self._shown_at = time.monotonic()
        self._shown_request = result.request_id
        self._shown_selection = self._requested_selection
        self.preview.show_warnings(result.warnings)
        pages = self.preview.document.pageCount() if self.preview.document else 0
        # A change the form made by itself (Contrast unticked) stays in view with the new preview.
        notice, self._notice = self._notice, ""
        self.statusBar().showMessage(f"Preview up to date: {pages} pages.{' ' + notice if notice else ''}")
        self._update_actions()

    def _on_set_failed(self, request_id: str, message: str) -> None:
        self._awaiting_reply = False
        self._requested_selection = None
        self._shown_selection = None
        self.preview.show_set_error(message)
        self.statusBar().showMessage(
            "The clinic folder has a problem: fix it and reload, or use the built-in wording for now."
        )
        self._update_actions()

    def _on_render_failed(self, request_id: str, message: str) -> None:
        self._awaiting_reply = False
        self._requested_selection = None  # the next change, or the same one again, renders anew
        self.preview.clear_pdf()
        self._shown_selection = None
        self.preview.show_message(message)
        self.statusBar().showMessage(message)
        self._update_actions()

    # -- commands ------------------------------------------------------------------------------
    def new_patient(self) -> None:
        """Clear the patient, keep the procedure and clinic."""
        self.preview.back_to_top_next_time()
        self.form.clear_patient()
        self.statusBar().showMessage("New patient: the procedure is kept. Choose the side and type the name.")

    def _show_notice(self, message: str) -> None:
        self._notice = message
        self.statusBar().showMessage(message)

    def _suggested_path(self) -> Path:
        folder = Path(str(QSettings().value("last_save_folder", str(Path.home()))))
        return free_name((folder if folder.is_dir() else Path.home()) / self._suggested_name())

    def _suggested_name(self, with_patient: bool = True) -> str:
        """The file name for this sheet; without the patient it is also the print job's title, which
        everyone on the print server can see."""
        state = self.form.state()
        assert state.selection is not None
        allowed = with_patient and self._clinic is not None and self._clinic.patient_name_in_file_name
        return handout_file_name(
            state.selection,
            self._catalog.labels_for("en")["targets"][state.selection.target.value],
            patient_in_name=allowed,
        )

    def save_pdf(self) -> None:
        """Save the previewed PDF; asks before replacing; never loses the form."""
        if not self.save_action.isEnabled():
            return
        suggestion = self._suggested_path()
        while True:
            choice = dialogs.ask_save_path(self, suggestion, archival=self.form.archival.isChecked())
            if choice is None:
                return
            try:
                check_target(choice.path, replace=True)  # a pipe, device, link or folder is never offered for replacing
            except OSError as exc:
                dialogs.show_error(
                    self,
                    "Could not save the handout",
                    self._save_refusal(choice.path, exc) + " The form has not changed.",
                )
                return
            # "No" to replacing goes back to the Save dialog instead of quietly dropping the save.
            if not choice.path.exists() or dialogs.confirm_replace(self, choice.path):
                break
            suggestion = free_name(choice.path)
        path = choice.path
        replace = path.exists()  # the user agreed to replace it above
        with self._busy(f"Saving to {path}..."):
            sent_selection = self._shown_selection
            sheet = self._output_pdf(archival=choice.archival)
            if sheet is None or not self._write_pdf(path, sheet[0], replace):
                return
            recorded = self._record(sheet, "saved")
        QSettings().setValue("last_save_folder", str(path.parent))
        self._handed_out = sent_selection
        self.statusBar().showMessage(f"Saved to {path}.{recorded}")

    def _write_pdf(self, path: Path, data: bytes, replace: bool) -> bool:
        """Write the PDF whole or not at all; says why when it cannot. True when written."""
        try:
            write_atomically(path, data, replace=replace)
        except OutputExists:
            dialogs.show_error(
                self, "File already exists", f"{path} appeared while saving. Save again to choose what to do."
            )
            return False
        except OutputNotRegular as exc:  # it became one after the check
            dialogs.show_error(
                self, "Could not save the handout", self._save_refusal(path, exc) + " The form has not changed."
            )
            return False
        except OSError as exc:
            dialogs.show_error(
                self,
                "Could not save the handout",
                f"The PDF could not be written to {path.parent} ({exc.strerror or exc}).\n\n"
                "Choose another folder, for example your Documents folder. The form has not changed.",
            )
            return False
        return True

    def _output_pdf(self, archival: bool) -> _Sheet | None:
        """The PDF to save or print, with the request and wording it was made from: the preview's bytes,
        or made again when the archival choice differs, the preview is older than FRESH_PREVIEW_S (the
        sheet then says when it was really handed out) or another workstation claimed its number first."""
        fresh = time.monotonic() - self._shown_at < FRESH_PREVIEW_S
        sheet: _Sheet | None
        if fresh and archival == self.form.archival.isChecked() and self._shown_sheet is not None:
            sheet = (self.preview.pdf_bytes, *self._shown_sheet)
        else:
            sheet = self._render_variant(archival=archival)
        from ..records.recorder import wording_unchanged  # the store's code loads on the first Save, not at start

        for _ in range(3):
            # Made again when another workstation claimed the number first, or when a file of the clinic's
            # set changed since the preview (the record archives the set as it is now).
            if sheet is None or (
                wording_unchanged(sheet[1], sheet[2]) and self._recorder().claim(sheet[1].document_number)
            ):
                break
            sheet = self._render_variant(archival=archival)
        if sheet is not None and sheet[0] != self.preview.pdf_bytes:
            # The sheet handed out is the sheet on screen: a second Save or Print a moment later reuses it.
            self.preview.show_pdf(sheet[0])
            self._shown_sheet, self._shown_at = (sheet[1], sheet[2]), time.monotonic()
        return sheet

    @staticmethod
    def _save_refusal(path: Path, exc: OSError) -> str:
        """Why `path` cannot be saved to, for a path refused before or while writing."""
        if isinstance(exc, OutputNotRegular):
            return (
                f"{path.name} in {path.parent} is {exc.kind}, not an ordinary "
                "file, so it was not replaced.\n\nChoose another file name."
            )
        return f"{path} cannot be used ({exc.strerror or exc}).\n\nChoose another file name."

    def _render_variant(self, archival: bool) -> _Sheet | None:
        """The previewed handout made again now (as or not as archival PDF/A), waiting for the worker."""
        assert self._wanted_selection is not None
        selection = {**self._wanted_selection, "archival": archival}
        self.statusBar().showMessage("Making the archival PDF..." if archival else "Making the PDF...")
        made: list[tuple[bytes, dict[str, str]]] = []  # the PDF and its wording set, once it comes
        errors: list[str] = []
        loop = QEventLoop()
        request_id = self._send(selection)

        def finished(rendered: RenderResult) -> None:
            if rendered.request_id == request_id:
                made.append((rendered.pdf, dict(rendered.wording)))
                loop.quit()

        def failed(failed_id: str, message: str) -> None:
            if failed_id == request_id:
                errors.append(message)
                loop.quit()

        self.client.finished.connect(finished)
        self.client.failed.connect(failed)
        self.client.set_failed.connect(failed)
        QTimer.singleShot(60_000, loop.quit)
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            loop.exec()
        finally:
            QApplication.restoreOverrideCursor()
            self.client.finished.disconnect(finished)
            self.client.failed.disconnect(failed)
            self.client.set_failed.disconnect(failed)
        if not made:
            # Saving and printing both come here (the sheet is made again with the time it is handed out).
            error = errors[-1] if errors else "The PDF took too long to make."
            dialogs.show_error(
                self,
                "Could not make the handout",
                f"{error}\n\nNothing was saved or printed. The form has not changed; try again.",
            )
            return None
        pdf, wording = made[-1]
        return pdf, self._sheet_requests[request_id], wording

    def print_pdf(self, printer: QPrinter | None = None) -> None:
        """Print the previewed sheet: the PDF itself to a CUPS queue, or page pictures where there is no CUPS."""
        if not self.print_action.isEnabled() or self.preview.document is None:
            return
        if printer is None:
            if not printing.available_printers():
                dialogs.show_error(
                    self,
                    "No printer is set up",
                    "This computer has no printer set up, so the handout cannot be printed from here.\n\n"
                    "Save it instead (File > Save PDF..., Ctrl+S) and print the file from a computer that has a "
                    "printer, or ask your IT support to add the printer. The form has not changed.",
                )
                return
            printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        pages = self.preview.document.pageCount()
        if not dialogs.ask_printer(self, printer, pages):
            return
        if printer.copyCount() > print_queue.MAX_COPIES:  # Qt's dialog allows 999
            dialogs.show_error(
                self,
                "Too many copies",
                f"Print at most {print_queue.MAX_COPIES} copies at a time. "
                "Nothing was printed; the form has not changed.",
            )
            return
        where = printer.printerName() or printer.outputFileName()
        with self._busy(f"Printing on {where}..."):
            sent_selection = self._shown_selection
            sheet = self._output_pdf(archival=self.form.archival.isChecked())
            if sheet is None:
                return
            data = sheet[0]
            if printing.prints_to_file(printer):
                path = Path(printer.outputFileName())
                if not self._write_pdf(path, data, replace=path.exists()):  # Qt's dialog asked before replacing
                    return
                message, done, kind, queue = f"Printed {pages} pages to the file {path}.", True, "saved", None
            elif print_queue.cups_available():
                settings = printing.settings_from_printer(printer, self._suggested_name(False))
                queue = settings.printer or print_queue.default_printer() or "the default printer"
                message, done = self._print_to_queue(data, settings, pages, queue)
                kind = "printed"
            else:
                message, done = self._print_pictures(data, printer, pages)
                kind, queue = "printed", printer.printerName() or "the default printer"
            if done:
                message += self._record(sheet, kind, queue)
        if done:
            self._handed_out = sent_selection
        self.statusBar().showMessage(message)

    def _print_to_queue(
        self, data: bytes, settings: print_queue.PrintSettings, pages: int, printer: str
    ) -> tuple[str, bool]:
        """Send the PDF to a CUPS queue with a modal progress dialog; returns the status line and whether it printed."""
        job = CupsPrintJob(self)
        sent = settings.pages_phrase(pages)
        dialog = PrintProgressDialog(self, printer, sent)
        try:
            outcome = dialog.run(job, data, settings)
        finally:
            job.deleteLater()
            dialog.deleteLater()
        if outcome is Outcome.FAILED:
            dialogs.show_error(self, "Could not print", dialog.message)
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
                self,
                "Could not cancel printing",
                f"The queue did not take job {job.job_id} off, so it may still print. Cancel it at the "
                "printer or in the computer's printer settings.",
            )
            return f"Job {job.job_id} could not be cancelled; it may still print on {printer}.", True
        if outcome is Outcome.QUEUED:
            return f"Sent {sent} to {printer} (job {job.job_id}); it is waiting in the printer's queue.", True
        return f"Sent {sent} to {printer} (job {job.job_id}); the printer has it.", True

    def _print_pictures(self, data: bytes, printer: QPrinter, pages: int) -> tuple[str, bool]:
        """No CUPS (Windows): draw the pages onto the printer, with progress and Cancel."""
        progress = QProgressDialog("Printing...", "&Cancel printing", 0, pages, self)
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
            dialogs.show_error(self, "Could not print", str(exc))
            return f"Not printed: {exc}", False
        finally:
            progress.close()
            progress.deleteLater()
        if printed == 0:
            return "Printing cancelled.", False
        return f"Sent {printed} pages to {printer.printerName() or 'the printer'}.", True

    def open_day_list(self) -> None:
        """File > Day list...: the rows and their problems first, then make them all (day_list_dialog.py)."""
        path = dialogs.ask_day_list(self)
        if path is None:
            return
        try:
            template_set = load_template_set(None if self._builtin_only else self._clinic_folder)
            table = read_table(path)
        except DayListError as exc:
            dialogs.show_error(self, "Cannot use this day list", f"{exc}\n\nNothing was made.")
            return
        except (ClinicError, CatalogError, TemplateProblem) as exc:
            dialogs.show_error(
                self, "The clinic folder has a problem", f"{exc}\n\nFix it and press Reload, then open the list again."
            )
            return
        clinic = template_set.clinic
        rows = check_rows(table, template_set.catalog, clinic.default_paper, clinic.default_intent, clinic.date_order)
        folder = Path(str(QSettings().value("last_save_folder", str(Path.home()))))
        dialog = DayListDialog(
            path,
            rows,
            template_set,
            None if self._builtin_only else self._clinic_folder,
            folder if folder.is_dir() else Path.home(),
            self,
        )
        dialogs.run_dialog(dialog)
        if dialog.outcome is not None and dialog.outcome.made:
            QSettings().setValue("last_save_folder", str(dialog.output_folder))
            self.statusBar().showMessage(dialog.summary.text().splitlines()[0])

    def open_history(self) -> None:
        """History > History and reprints...: every sheet saved or printed, export for an audit, reprint."""
        from .history_dialog import open_history

        open_history(self, self._recorder(), date_order=self._clinic.date_order if self._clinic else "")

    def show_about(self) -> None:
        try:
            weasyprint_version = metadata.version("weasyprint")
        except metadata.PackageNotFoundError:
            weasyprint_version = "not installed"
        dialogs.show_info(
            self,
            "About",
            f"Hip injection handout {__version__}\nContent version {self._catalog.version}\n"
            f"Qt {qVersion()} (PySide6 {pyside_version})\nWeasyPrint {weasyprint_version}",
        )

    # -- clinic folder -------------------------------------------------------------------------
    def _load_clinic_profile(self) -> ClinicProfile | None:
        """The clinic profile for file names and the settings dialog (errors are shown by the preview).
        Its default purpose (if any) goes to the form, which otherwise asks the nurse to choose one."""
        profile = None
        if self._clinic_folder is not None:
            try:
                profile = load_clinic(self._clinic_folder)
            except ClinicError:
                profile = None
        self.form.set_clinic_intent(profile.default_intent if profile else "")
        self.form.set_date_order(profile.date_order if profile else "")
        self._show_clinic_folder(profile)
        return profile

    def _show_clinic_folder(self, profile: ClinicProfile | None) -> None:
        """Name the active clinic folder in the status bar, and the clinic in the title bar."""
        if self._clinic_folder is None:
            self.clinic_label.setText("No clinic folder: built-in wording, blank lines for the clinic's details")
        else:
            self.clinic_label.setText(f"Clinic folder: {self._clinic_folder}")
        self.clinic_label.setToolTip(self.clinic_label.text())
        name = profile.name if profile is not None and profile.name else ""
        self.setWindowTitle(f"Hip injection handout – {name}" if name else "Hip injection handout")

    def set_clinic_folder(self, folder: Path | None) -> None:
        """Use another clinic folder (remembered for next time) and re-render."""
        self._clinic_folder = folder
        QSettings().setValue("clinic_folder", str(folder) if folder else "")
        self.reload_clinic()

    def _show_approval_state(self) -> None:
        """Show the banner when the clinic folder's wording has changed since its [approval]; hide it otherwise."""
        check = None
        if self._clinic is not None:
            try:
                check = check_approval(self._clinic, self._catalog.version)
            except ClinicError:
                check = None  # a folder that cannot be read: the preview names the problem
        signed = check.approval if check is not None and check.state is ApprovalState.CHANGED else None
        if signed is None:
            self.approval_banner.hide()
            return
        folder = self._clinic_folder or ""
        self.approval_banner.setText(
            f"⚠ The clinic's wording has changed since {signed.name} ({signed.role}) approved it on "
            f"{signed.date.isoformat()}. Handouts no longer say the wording is approved. Run "
            f"handout-app check-templates {folder} and have the wording approved again."
        )
        self.approval_banner.show()

    def reload_clinic(self) -> None:
        """Re-read and re-check the clinic folder, leave the built-in fallback, and re-render."""
        self._clinic = self._load_clinic_profile()
        self._show_approval_state()
        self._clinic_overrides = {}
        self.builtin_action.blockSignals(True)
        self.builtin_action.setChecked(False)
        self.builtin_action.blockSignals(False)
        self._builtin_only = False
        self._refresh_preview("Reloaded the clinic folder.")

    def use_builtin_wording(self) -> None:
        """The explicit switch to the built-in wording while the clinic's set is broken."""
        self.builtin_action.setChecked(True)

    def _set_builtin_only(self, enabled: bool) -> None:
        self._builtin_only = enabled
        self._refresh_preview(
            "Using the built-in wording for now; the sheet's footer says so."
            if enabled
            else "Using the clinic's own wording."
        )

    def _refresh_preview(self, status: str) -> None:
        self._shown_selection = None
        self._requested_selection = None
        self.preview.clear_pdf()
        self._update_actions()
        self.statusBar().showMessage(status)
        if self._wanted_selection is not None:
            self.request_preview(force=True)

    def choose_clinic_folder(self) -> None:
        folder = dialogs.ask_folder(self, "Choose the clinic folder (the one with clinic.toml)", self._clinic_folder)
        if folder is None:
            return
        if not (folder / "clinic.toml").is_file():
            dialogs.show_error(
                self, "Not a clinic folder", f"{folder} has no clinic.toml. Choose the folder that holds it."
            )
            return
        self.set_clinic_folder(folder)

    def new_clinic_folder(self) -> None:
        """Make a clean, commented clinic folder (new_clinic.py), switch to it and open its settings."""
        name = dialogs.ask_clinic_name(self)
        if name is None or not name.strip():
            return
        place = dialogs.ask_folder(self, "Choose where to put the new clinic folder", None)
        if place is None:
            return
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "clinic"
        folder = free_name(place / slug)
        try:
            create_clinic_folder(folder, name)
        except ClinicError as exc:
            dialogs.show_error(self, "Could not make the clinic folder", f"{exc}\n\nNothing was made.")
            return
        self.set_clinic_folder(folder)
        self.statusBar().showMessage(f"Made the clinic folder {folder}. Fill in the clinic's details.")
        self.edit_clinic_settings()

    def open_clinic_folder(self) -> None:
        if self._clinic_folder is None:
            dialogs.show_error(
                self, "No clinic folder", "Choose a clinic folder first (Clinic > Choose clinic folder...)."
            )
            return
        if not dialogs.open_folder(self._clinic_folder):
            dialogs.show_error(
                self, "Could not open the folder", f"Open {self._clinic_folder} in your file manager yourself."
            )

    def edit_clinic_settings(self) -> None:
        """Edit clinic.toml with the preview following as you type; Cancel puts the preview back."""
        if self._clinic_folder is None:
            dialogs.show_error(
                self, "No clinic folder", "Choose a clinic folder first (Clinic > Choose clinic folder...)."
            )
            return
        try:
            # A wrong value still opens the dialog, with the problem shown, so it can be corrected there.
            profile, problem = read_clinic_for_repair(self._clinic_folder)
        except ClinicError as exc:
            dialogs.show_error(
                self, "clinic.toml has a problem", f"{exc}\n\nFix the file in a text editor, then press Reload."
            )
            return
        dialog = ClinicSettingsDialog(profile, self._clinic_folder, self, problem=problem)
        dialog.changed.connect(self._preview_clinic_values)
        sizes = self.splitter.sizes()
        self._place_beside_preview(dialog)
        try:
            saved = dialogs.run_dialog(dialog)
        finally:
            self.splitter.setSizes(sizes)
        self._clinic_overrides = {}
        self._refresh_preview("Saved clinic.toml." if saved else "Clinic settings not changed.")
        self._clinic = self._load_clinic_profile()
        self._show_approval_state()

    def _place_beside_preview(self, dialog: QWidget) -> None:
        """Put the settings where the form is, and narrow the form to the dialog's width, so the
        preview the settings change stays in view beside them (it used to be covered)."""
        width = dialog.sizeHint().width()
        total = sum(self.splitter.sizes())
        self.splitter.setSizes([width, max(total - width, 0)])
        dialog.move(self.splitter.mapToGlobal(self.splitter.rect().topLeft()))

    def _preview_clinic_values(self, values: dict[str, Any]) -> None:
        self._clinic_overrides = values
        self._debounce.stop()
        if self._wanted_selection is not None:
            self.request_preview(force=True)

    def export_clinic(self) -> None:
        if self._clinic_folder is None:
            dialogs.show_error(
                self, "No clinic folder", "Choose a clinic folder first (Clinic > Choose clinic folder...)."
            )
            return
        path = dialogs.ask_zip_to_save(self, Path.home() / f"{self._clinic_folder.name}.zip")
        if path is None:
            return
        try:
            check_target(path, replace=True)  # a pipe, device, link or folder is never offered for replacing
        except OSError as exc:
            dialogs.show_error(self, "Could not export", self._save_refusal(path, exc))
            return
        replace = path.exists() and dialogs.confirm_replace(self, path)
        if path.exists() and not replace:
            return
        try:
            count = export_zip(self._clinic_folder, path, replace=replace)
        except OutputExists:
            dialogs.show_error(
                self, "Could not export", f"{path} appeared while exporting. Export again to choose what to do."
            )
            return
        except OutputNotRegular as exc:
            dialogs.show_error(self, "Could not export", self._save_refusal(path, exc))
            return
        except ArchiveError as exc:
            dialogs.show_error(self, "Could not export", f"{exc}")
            return
        except OSError as exc:
            dialogs.show_error(
                self,
                "Could not export",
                f"The archive could not be written to {path.parent} ({exc.strerror or exc}). Choose another folder.",
            )
            return
        self.statusBar().showMessage(f"Exported {count} files to {path}")

    def import_clinic(self) -> None:
        archive = dialogs.ask_zip_to_open(self)
        if archive is None:
            return
        parent = dialogs.ask_folder(self, "Choose where to put the imported clinic folder")
        if parent is None:
            return
        target = parent / archive.stem
        try:
            import_zip(archive, target)
        except ArchiveError as exc:
            dialogs.show_error(self, "Could not import", f"{exc}")
            return
        except OSError as exc:
            dialogs.show_error(
                self,
                "Could not import",
                f"The clinic folder could not be made in {parent} "
                f"({exc.strerror or exc}). Choose another folder. Nothing was imported.",
            )
            return
        self.set_clinic_folder(target)
        self.statusBar().showMessage(f"Imported the clinic folder into {target} and switched to it.")

    # -- settings ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 820)
        values = settings.value(f"{SETTINGS_GROUP}/values")
        if isinstance(values, dict):
            self.form.apply_procedure_settings(values)
        else:
            self._on_form_changed()

    def save_settings(self) -> None:
        """Remember the procedure and the window; never the patient or the side."""
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue(f"{SETTINGS_GROUP}/values", self.form.procedure_settings())
        settings.sync()

    def has_unsent_sheet(self) -> bool:
        """True when the form holds a complete sheet that was neither saved nor printed."""
        return self._wanted_selection is not None and self._wanted_selection != self._handed_out

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.has_unsent_sheet() and not dialogs.confirm_discard(self):
            event.ignore()
            return
        self.save_settings()
        self.client.stop()
        super().closeEvent(event)
