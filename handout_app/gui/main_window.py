"""The main window: the form on the left, the live PDF preview on the right, actions in menu and toolbar.

Wiring only. The jobs live in their own modules: preview_pane.py shows the sheet, preview_controller.py
decides when a sheet is made and whether the one on screen matches the form, clinic_commands.py is
the Clinic menu and the clinic shown, save_print.py hands the sheet out (Save, Print, record).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, Qt, qVersion
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QLabel, QMainWindow, QScrollArea, QSplitter, QVBoxLayout, QWidget

from .. import __version__
from ..catalog import Catalog
from ..clinic import ClinicProfile
from ..day_list import DayListError, check_rows, read_table
from ..domain import selection_to_dict
from ..errors import SetError
from . import dialogs
from .actions import action
from .clinic_commands import ClinicCommands
from .day_list_dialog import DayListDialog
from .form import SelectionForm
from .preview_controller import PreviewController
from .preview_pane import PreviewPane
from .render_client import RenderClient, RenderResult
from .save_print import SavePrint
from .settings_file import load_procedure, save_procedure

if TYPE_CHECKING:
    from ..records.recorder import Recorder


class MainWindow(QMainWindow):
    """The product as nurses see it."""

    def __init__(self, catalog: Catalog, clinic_folder: Path | None = None, client: RenderClient | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Hip injection handout")
        self._catalog = catalog
        self.form = SelectionForm(catalog)
        self.preview = PreviewPane()
        self.client = client or RenderClient(parent=self)
        self.client.setParent(self)
        if not self.client.has_started:
            # First, so the worker imports WeasyPrint on the other core while the window is built; its
            # "ready" arrives through the event loop, after the signals below are connected.
            self.client.start()
        self.previews = PreviewController(self.client, clinic_folder, self)
        self.splitter = QSplitter()
        self.clinic = ClinicCommands(self, self.form, self.previews, catalog, self.splitter)
        self.hand_out = SavePrint(
            self, self.form, self.preview, self.previews, catalog, lambda: self.clinic.profile, self._busy
        )

        scroll = QScrollArea()
        scroll.setWidget(self.form)
        scroll.setWidgetResizable(True)
        # The whole form fits side by side with its scroll bar: no control is cut off.
        scroll.setMinimumWidth(self.form.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width() + 4)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.preview)
        self.splitter.setStretchFactor(1, 1)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.clinic.approval_banner)
        column.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.clinic.show_approval_state()
        self._build_menus()
        self.statusBar().showMessage("Starting the preview engine...")

        self._notice = ""
        self.form.changed.connect(self._on_form_changed)
        self.form.notice.connect(self._show_notice)
        self.previews.status.connect(self.statusBar().showMessage)
        self.previews.rendered.connect(self._show_rendered)
        self.previews.render_failed.connect(self._show_render_failure)
        self.previews.set_failed.connect(self._show_set_failure)
        self.previews.sheet_replaced.connect(self.preview.show_pdf)
        self.clinic.wording_changed.connect(self._refresh_preview)
        self.preview.reload_button.clicked.connect(self.clinic.reload_clinic)
        self.preview.fallback_button.clicked.connect(self.clinic.use_builtin_wording)

        self._restore_settings()
        self._update_actions()

    # -- menus and toolbar -------------------------------------------------------------------------
    def _build_menus(self) -> None:
        clinic, preview = self.clinic, self.preview
        self.new_action = action("&New patient", self, self.new_patient, QKeySequence.StandardKey.New)
        self.day_list_action = action("&Day list...", self, self.open_day_list, QKeySequence("Ctrl+D"))
        self.about_action = action("&About", self, self.show_about)
        quit_action = action("&Quit", self, self.close, QKeySequence.StandardKey.Quit)
        file_menu = self.menuBar().addMenu("&File")
        for item in (self.new_action, self.save_action, self.print_action, self.day_list_action):
            file_menu.addAction(item)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        clinic.fill_menu(self.menuBar().addMenu("&Clinic"))
        self.zoom_out_action = action("Zoom out", self, lambda: preview.zoom(-1), QKeySequence.StandardKey.ZoomOut)
        self.zoom_in_action = action("Zoom in", self, lambda: preview.zoom(1))
        self.zoom_in_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.ZoomIn), QKeySequence("Ctrl+=")])
        self.fit_width_action = action("Fit width", self, lambda: preview.zoom(0), QKeySequence("Ctrl+0"))
        self.previous_page_action = action(
            "Previous page", self, lambda: preview.turn_page(-1), QKeySequence(Qt.Key.Key_PageUp)
        )
        self.next_page_action = action(
            "Next page", self, lambda: preview.turn_page(1), QKeySequence(Qt.Key.Key_PageDown)
        )
        view_menu = self.menuBar().addMenu("&Zoom")  # V is taken by Archi&val; Z is free
        for item in (
            self.zoom_in_action,
            self.zoom_out_action,
            self.fit_width_action,
            self.previous_page_action,
            self.next_page_action,
        ):
            item.setToolTip(f"{item.text()} ({item.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})")
            view_menu.addAction(item)
            preview.add_control(item)
        self.history_action = action("&History and reprints...", self, self.open_history, QKeySequence("Ctrl+H"))
        self.menuBar().addMenu("Histor&y").addAction(self.history_action)  # H is Help's; Y is free
        self.menuBar().addMenu("&Help").addAction(self.about_action)
        self.toolbar = self.addToolBar("Main")
        self.toolbar.setObjectName("main-toolbar")
        for item in (self.new_action, self.save_action, self.print_action, self.clinic_settings_action):
            self.toolbar.addAction(item)

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

    def _update_actions(self) -> None:
        state = self.form.state()
        ready = state.selection is not None and self.previews.is_current() and bool(self.preview.pdf_bytes)
        self.save_action.setEnabled(ready)
        self.print_action.setEnabled(ready)

    # -- preview -------------------------------------------------------------------------------
    def _on_form_changed(self) -> None:
        state = self.form.state()
        self.preview.show_warnings(state.warnings)
        self.previews.want(selection_to_dict(state.selection) if state.selection else None)
        if state.selection is None:
            self.preview.clear_pdf()
            self.preview.show_message(
                "The preview appears when the form is complete:\n" + "\n".join(state.errors.values())
            )
            self.statusBar().showMessage("Complete the form: " + " ".join(state.errors.values()))
        self._update_actions()

    def request_preview(self, force: bool = False) -> None:
        """Ask the worker for the current selection's PDF now (preview_controller.py; newest request wins)."""
        self.previews.request_preview(force)

    def _show_rendered(self, result: RenderResult) -> None:
        self.preview.show_pdf(result.pdf)
        self.preview.show_warnings(result.warnings)
        pages = self.preview.document.pageCount() if self.preview.document else 0
        # A change the form made by itself (Contrast unticked) stays in view with the new preview.
        notice, self._notice = self._notice, ""
        self.statusBar().showMessage(f"Preview up to date: {pages} pages.{' ' + notice if notice else ''}")
        self._update_actions()

    def _show_set_failure(self, message: str) -> None:
        self.preview.show_set_error(message)
        self.statusBar().showMessage(
            "The clinic folder has a problem: fix it and reload, or use the built-in wording for now."
        )
        self._update_actions()

    def _show_render_failure(self, message: str) -> None:
        self.preview.clear_pdf()
        self.preview.show_message(message)
        self.statusBar().showMessage(message)
        self._update_actions()

    def _refresh_preview(self, status: str) -> None:
        """The wording changed (clinic_commands.py): hide the outdated sheet and make it again."""
        self.preview.clear_pdf()
        self.previews.remake(status)
        self._update_actions()

    def _show_notice(self, message: str) -> None:
        self._notice = message
        self.statusBar().showMessage(message)

    # -- commands ------------------------------------------------------------------------------
    def new_patient(self) -> None:
        """Clear the patient, keep the procedure and clinic."""
        self.preview.back_to_top_next_time()
        self.form.clear_patient()
        self.statusBar().showMessage("New patient: the procedure is kept. Choose the side and type the name.")

    def save_pdf(self) -> None:
        """File > Save PDF... (save_print.py)."""
        self.hand_out.save_pdf()

    def print_pdf(self, printer: QPrinter | None = None) -> None:
        """File > Print... (save_print.py); a test or the bench may hand in the printer."""
        self.hand_out.print_pdf(printer)

    def open_day_list(self) -> None:
        """File > Day list...: the rows and their problems first, then make them all (day_list_dialog.py)."""
        path = dialogs.ask_day_list(self)
        if path is None:
            return
        # The template set (Jinja and the clinic's files) loads here, when a list is opened, not at start-up.
        from ..template_set import load_template_set

        builtin_only, clinic_folder = self.previews.builtin_only, self.previews.clinic_folder
        try:
            template_set = load_template_set(None if builtin_only else clinic_folder)
            table = read_table(path)
        except DayListError as exc:
            dialogs.show_error(self, "Cannot use this day list", f"{exc}\n\nNothing was made.")
            return
        except SetError as exc:
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
            None if builtin_only else clinic_folder,
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

        profile = self.clinic.profile
        open_history(self, self.hand_out.recorder(), date_order=profile.date_order if profile else "")

    def show_about(self) -> None:
        """Help > About: the versions of the program, its content, Qt and WeasyPrint."""
        from importlib import metadata  # here, not at the top: 20 ms of every start-up, for a dialog seldom opened

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

    # -- settings ------------------------------------------------------------------------------
    def _restore_settings(self) -> None:
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 820)
        values = load_procedure(settings)
        if values is not None:
            self.form.apply_procedure_settings(values)
            # The procedure is the one used last: the patient comes next, as after New patient (Ctrl+N).
            self.form.patient_name.setFocus()
        else:
            self._on_form_changed()
            self.form.target.setFocus()  # a first start: the form is filled from the top

    def save_settings(self) -> None:
        """Remember the procedure and the window; never the patient or the side."""
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        save_procedure(self.form.procedure_settings(), settings)
        settings.sync()

    def has_unsent_sheet(self) -> bool:
        """True when the form holds a complete sheet that was neither saved nor printed."""
        return self.previews.has_unsent_sheet()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.has_unsent_sheet() and not dialogs.confirm_discard(self):
            event.ignore()
            return
        self.save_settings()
        self.client.stop()
        super().closeEvent(event)

    # -- the parts' names as the window had them (tests, bench and launch use them) -------------
    @property
    def save_action(self) -> QAction:
        return self.hand_out.save_action

    @property
    def print_action(self) -> QAction:
        return self.hand_out.print_action

    @property
    def clinic_settings_action(self) -> QAction:
        return self.clinic.settings_action

    @property
    def choose_clinic_action(self) -> QAction:
        return self.clinic.choose_action

    @property
    def new_clinic_action(self) -> QAction:
        return self.clinic.new_action

    @property
    def open_clinic_action(self) -> QAction:
        return self.clinic.open_action

    @property
    def reload_action(self) -> QAction:
        return self.clinic.reload_action

    @property
    def builtin_action(self) -> QAction:
        return self.clinic.builtin_action

    @property
    def export_action(self) -> QAction:
        return self.clinic.export_action

    @property
    def import_action(self) -> QAction:
        return self.clinic.import_action

    @property
    def clinic_label(self) -> QLabel:
        return self.clinic.label

    @property
    def approval_banner(self) -> QLabel:
        return self.clinic.approval_banner

    @property
    def _clinic(self) -> ClinicProfile | None:
        return self.clinic.profile

    @property
    def _clinic_folder(self) -> Path | None:
        return self.clinic.folder

    def _load_clinic_profile(self) -> ClinicProfile | None:
        return self.clinic.load_profile()

    def reload_clinic(self) -> None:
        """Clinic > Reload clinic folder (clinic_commands.py)."""
        self.clinic.reload_clinic()

    def set_clinic_folder(self, folder: Path | None) -> None:
        """Use another clinic folder (clinic_commands.py)."""
        self.clinic.set_clinic_folder(folder)

    def _recorder(self) -> Recorder:
        return self.hand_out.recorder()

    def _suggested_path(self) -> Path:
        return self.hand_out.suggested_path()

    def _print_pictures(self, data: bytes, printer: QPrinter, pages: int) -> tuple[str, bool]:
        return self.hand_out.print_pictures(data, printer, pages)

    @property
    def _awaiting_reply(self) -> bool:
        return self.previews.awaiting_reply

    @property
    def _shown_at(self) -> float:
        return self.previews.shown_at

    @_shown_at.setter
    def _shown_at(self, value: float) -> None:
        self.previews.shown_at = value
