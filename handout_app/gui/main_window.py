"""The main window: the form on the left, the live PDF preview on the right, actions in menu and toolbar."""

from __future__ import annotations

import datetime as dt
import re
from importlib import metadata
from pathlib import Path

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QMainWindow, QScrollArea, QSplitter, QVBoxLayout, QWidget

from .. import __version__
from ..catalog import Catalog
from ..clinic import ClinicError, ClinicProfile, load_clinic
from ..clinic_archive import ArchiveError, export_zip, import_zip
from ..domain import selection_to_dict
from ..output_files import OutputExists, OutputNotRegular, check_target, write_atomically
from ..wording_approval import ApprovalState, check_approval
from . import dialogs
from .clinic_settings import ClinicSettingsDialog
from .form import SelectionForm
from .printing import PrintFailed, load_pdf, print_pdf
from .render_client import RenderClient, RenderResult

PREVIEW_DELAY_MS = 300
SETTINGS_GROUP = "procedure"


def suggested_file_name(
    procedure: str, side: str, date: dt.date | None, when: dt.datetime | None = None, extras: tuple[str, ...] = (),
) -> str:
    """E.g. 'hip-joint-injection_RIGHT_2026-11-21_0930-12.pdf', plus the language and edition when they
    are not the default ('_es_large-print'). No patient name: it must not leak into file lists. The time
    of day keeps two patients with the same procedure on the same day apart."""
    slug = re.sub(r"[^a-z0-9]+", "-", procedure.lower()).strip("-")
    when = when or dt.datetime.now()
    suffix = "".join(f"_{extra}" for extra in extras)
    return f"{slug}_{side.upper()}_{(date or dt.date.today()).isoformat()}_{when:%H%M-%S}{suffix}.pdf"


def free_name(path: Path) -> Path:
    """`path`, or with -2, -3 ... added before the suffix until no file of that name exists."""
    candidate, number = path, 2
    while candidate.exists() or candidate.is_symlink():
        candidate, number = path.with_name(f"{path.stem}-{number}{path.suffix}"), number + 1
    return candidate


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
        self.document: QPdfDocument | None = None
        self._buffer = None
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
        layout.addWidget(self.view, 1)
        self.show_message("Fill in the form to see the handout here.")

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

    def show_pdf(self, data: bytes) -> None:
        old_document, old_buffer = self.document, self._buffer
        self.document, self._buffer = load_pdf(data)
        self.pdf_bytes = data
        self.view.setDocument(self.document)
        self.view.show()
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
        self._current_request: str | None = None
        self._shown_request: str | None = None
        self._shown_selection: dict | None = None
        self._wanted_selection: dict | None = None
        self._requested_selection: dict | None = None
        self._awaiting_reply = False
        self._builtin_only = False  # the user's explicit choice after a clinic set error
        self._clinic_overrides: dict = {}  # clinic settings being edited, not saved yet
        self._clinic = self._load_clinic_profile()

        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        # The whole form fits side by side with its scroll bar: no control is cut off.
        scroll.setMinimumWidth(self.form.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        splitter = QSplitter()
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
        self.client.start()

    # -- actions -------------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.new_action = QAction("&New patient", self, shortcut=QKeySequence.StandardKey.New, triggered=self.new_patient)
        self.save_action = QAction("&Save PDF...", self, shortcut=QKeySequence.StandardKey.Save, triggered=self.save_pdf)
        self.print_action = QAction("&Print...", self, shortcut=QKeySequence.StandardKey.Print, triggered=self.print_pdf)
        self.about_action = QAction("&About", self, triggered=self.show_about)
        quit_action = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        file_menu = self.menuBar().addMenu("&File")
        for action in (self.new_action, self.save_action, self.print_action):
            file_menu.addAction(action)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        self.clinic_settings_action = QAction("Clinic &settings...", self, triggered=self.edit_clinic_settings)
        self.choose_clinic_action = QAction("&Choose clinic folder...", self, triggered=self.choose_clinic_folder)
        self.open_clinic_action = QAction("&Open clinic folder", self, triggered=self.open_clinic_folder)
        self.reload_action = QAction("&Reload clinic folder", self, shortcut=QKeySequence("Ctrl+R"), triggered=self.reload_clinic)
        self.builtin_action = QAction("Use &built-in wording for now", self, checkable=True, toggled=self._set_builtin_only)
        self.export_action = QAction("&Export clinic folder...", self, triggered=self.export_clinic)
        self.import_action = QAction("&Import clinic folder...", self, triggered=self.import_clinic)
        clinic_menu = self.menuBar().addMenu("&Clinic")
        for action in (self.clinic_settings_action, self.choose_clinic_action, self.open_clinic_action, self.reload_action):
            clinic_menu.addAction(action)
        clinic_menu.addAction(self.builtin_action)
        clinic_menu.addSeparator()
        clinic_menu.addAction(self.export_action)
        clinic_menu.addAction(self.import_action)
        self.menuBar().addMenu("&Help").addAction(self.about_action)
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("main-toolbar")
        for action in (self.new_action, self.save_action, self.print_action, self.clinic_settings_action):
            toolbar.addAction(action)

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
            self.preview.show_message("The preview appears when the form is complete:\n" + "\n".join(state.errors.values()))
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
        if not force and self._wanted_selection == self._requested_selection and (
            self._awaiting_reply or self._shown_selection == self._wanted_selection
        ):
            return
        self._awaiting_reply = True
        generated = dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
        self._current_request = self.client.request(
            self._wanted_selection, str(self._clinic_folder) if self._clinic_folder else None, generated,
            builtin_only=self._builtin_only, clinic_overrides=self._clinic_overrides,
        )
        self._requested_selection = self._wanted_selection
        self.statusBar().showMessage("Updating the preview...")

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
        self.statusBar().showMessage("The clinic folder has a problem: fix it and reload, or use the built-in wording for now.")
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
        self.form.clear_patient()
        self.statusBar().showMessage("New patient: the procedure is kept. Choose the side and type the name.")

    def _show_notice(self, message: str) -> None:
        self._notice = message
        self.statusBar().showMessage(message)

    def _suggested_path(self) -> Path:
        state = self.form.state()
        assert state.selection is not None
        title_procedure = self._catalog.labels_for("en")["targets"][state.selection.target.value]
        selection = state.selection
        extras = tuple(extra for extra, chosen in (
            (selection.language, selection.language != "en"), ("large-print", selection.large_print),
            ("consent-copy", selection.consent_copy), ("archival", selection.archival),
        ) if chosen)
        name = suggested_file_name(title_procedure, selection.side.value, selection.patient.procedure_date, extras=extras)
        if self._clinic is not None and self._clinic.patient_name_in_file_name:
            # Only when the clinic chose it in clinic.toml: file lists on shared drives can be seen by many.
            patient = re.sub(r"[^A-Za-z0-9]+", "-", state.selection.patient.name).strip("-")
            name = f"{patient}_{name}" if patient else name
        folder = Path(QSettings().value("last_save_folder", str(Path.home())))
        return free_name((folder if folder.is_dir() else Path.home()) / name)

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
                dialogs.show_error(self, "Could not save the handout", self._save_refusal(choice.path, exc) + " The form has not changed.")
                return
            # "No" to replacing goes back to the Save dialog instead of quietly dropping the save.
            if not choice.path.exists() or dialogs.confirm_replace(self, choice.path):
                break
            suggestion = free_name(choice.path)
        path = choice.path
        data = self.preview.pdf_bytes
        if choice.archival != self.form.archival.isChecked():
            data = self._render_variant(archival=choice.archival)
            if data is None:
                return
        replace = path.exists()  # the user agreed to replace it above
        try:
            write_atomically(path, data, replace=replace)
        except OutputExists:
            dialogs.show_error(self, "File already exists", f"{path} appeared while saving. Save again to choose what to do.")
            return
        except OutputNotRegular as exc:  # it became one after the check
            dialogs.show_error(self, "Could not save the handout", self._save_refusal(path, exc) + " The form has not changed.")
            return
        except OSError as exc:
            dialogs.show_error(
                self, "Could not save the handout",
                f"The PDF could not be written to {path.parent} ({exc.strerror or exc}).\n\n"
                "Choose another folder, for example your Documents folder. The form has not changed.",
            )
            return
        QSettings().setValue("last_save_folder", str(path.parent))
        self.statusBar().showMessage(f"Saved to {path}")

    @staticmethod
    def _save_refusal(path: Path, exc: OSError) -> str:
        """Why `path` cannot be saved to, for a path refused before or while writing."""
        if isinstance(exc, OutputNotRegular):
            return f"{path.name} in {path.parent} is {exc.kind}, not an ordinary file, so it was not replaced.\n\nChoose another file name."
        return f"{path} cannot be used ({exc.strerror or exc}).\n\nChoose another file name."

    def _render_variant(self, archival: bool) -> bytes | None:
        """The previewed handout rendered again as (or not as) archival PDF/A, waiting for the worker."""
        assert self._wanted_selection is not None
        selection = {**self._wanted_selection, "archival": archival}
        self.statusBar().showMessage("Making the archival PDF..." if archival else "Making the PDF...")
        result: dict[str, object] = {}
        loop = QEventLoop()
        request_id = self.client.request(
            selection, str(self._clinic_folder) if self._clinic_folder else None,
            dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
            builtin_only=self._builtin_only, clinic_overrides=self._clinic_overrides,
        )

        def finished(rendered: RenderResult) -> None:
            if rendered.request_id == request_id:
                result["pdf"] = rendered.pdf
                loop.quit()

        def failed(failed_id: str, message: str) -> None:
            if failed_id == request_id:
                result["error"] = message
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
        if "pdf" not in result:
            dialogs.show_error(self, "Could not save the handout",
                               f"{result.get('error', 'The PDF took too long to make.')}\n\nThe form has not changed; try Save again.")
            return None
        return result["pdf"]  # type: ignore[return-value]

    def print_pdf(self, printer: QPrinter | None = None) -> None:
        """Print the previewed PDF through the system print dialog."""
        if not self.print_action.isEnabled() or self.preview.document is None:
            return
        printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
        if not dialogs.ask_printer(self, printer, self.preview.document.pageCount()):
            return
        def show_progress(done: int, total: int) -> None:
            self.statusBar().showMessage(f"Printing page {done + 1} of {total}...")
            # Repaint the status line only; clicks wait until printing ends.
            QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)

        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            pages = print_pdf(self.preview.pdf_bytes, printer, on_page=show_progress)
        except PrintFailed as exc:
            dialogs.show_error(self, "Could not print", str(exc))
            return
        finally:
            QApplication.restoreOverrideCursor()
        self.statusBar().showMessage(f"Sent {pages} pages to {printer.printerName() or printer.outputFileName()}.")

    def show_about(self) -> None:
        try:
            weasyprint_version = metadata.version("weasyprint")
        except metadata.PackageNotFoundError:
            weasyprint_version = "not installed"
        dialogs.show_info(
            self, "About",
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
        return profile

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
            "Using the built-in wording for now; the sheet's footer says so." if enabled else "Using the clinic's own wording."
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
            dialogs.show_error(self, "Not a clinic folder", f"{folder} has no clinic.toml. Choose the folder that holds it.")
            return
        self.set_clinic_folder(folder)

    def open_clinic_folder(self) -> None:
        if self._clinic_folder is None:
            dialogs.show_error(self, "No clinic folder", "Choose a clinic folder first (Clinic > Choose clinic folder...).")
            return
        if not dialogs.open_folder(self._clinic_folder):
            dialogs.show_error(self, "Could not open the folder", f"Open {self._clinic_folder} in your file manager yourself.")

    def edit_clinic_settings(self) -> None:
        """Edit clinic.toml with the preview following as you type; Cancel puts the preview back."""
        if self._clinic_folder is None:
            dialogs.show_error(self, "No clinic folder", "Choose a clinic folder first (Clinic > Choose clinic folder...).")
            return
        try:
            profile = load_clinic(self._clinic_folder)
        except ClinicError as exc:
            dialogs.show_error(self, "clinic.toml has a problem", f"{exc}\n\nFix the file in a text editor, then press Reload.")
            return
        dialog = ClinicSettingsDialog(profile, self._clinic_folder, self)
        dialog.changed.connect(self._preview_clinic_values)
        saved = dialogs.run_dialog(dialog)
        self._clinic_overrides = {}
        self._refresh_preview("Saved clinic.toml." if saved else "Clinic settings not changed.")
        self._clinic = self._load_clinic_profile()
        self._show_approval_state()

    def _preview_clinic_values(self, values: dict) -> None:
        self._clinic_overrides = values
        self._debounce.stop()
        if self._wanted_selection is not None:
            self.request_preview(force=True)

    def export_clinic(self) -> None:
        if self._clinic_folder is None:
            dialogs.show_error(self, "No clinic folder", "Choose a clinic folder first (Clinic > Choose clinic folder...).")
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
            dialogs.show_error(self, "Could not export", f"{path} appeared while exporting. Export again to choose what to do.")
            return
        except OutputNotRegular as exc:
            dialogs.show_error(self, "Could not export", self._save_refusal(path, exc))
            return
        except ArchiveError as exc:
            dialogs.show_error(self, "Could not export", f"{exc}")
            return
        except OSError as exc:
            dialogs.show_error(self, "Could not export", f"The archive could not be written to {path.parent} "
                               f"({exc.strerror or exc}). Choose another folder.")
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
            dialogs.show_error(self, "Could not import", f"The clinic folder could not be made in {parent} "
                               f"({exc.strerror or exc}). Choose another folder. Nothing was imported.")
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

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        self.save_settings()
        self.client.stop()
        super().closeEvent(event)
