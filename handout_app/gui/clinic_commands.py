"""The Clinic menu and what the window shows of the clinic in use.

Choosing, making, opening, reloading, exporting and importing the clinic folder; its settings dialog
with the preview following; the switch to the built-in wording while the clinic's own is broken; the
folder named in the status bar, the clinic in the title bar, and the banner when the clinic's wording
changed since it was approved. The sheets themselves are made by preview_controller.py, which this
module tells what to make them from.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QSplitter, QWidget

from ..catalog import Catalog
from ..clinic import ClinicError, ClinicProfile, load_clinic, read_clinic_for_repair
from ..clinic_archive import ArchiveError, export_zip, import_zip
from ..new_clinic import create_clinic_folder
from ..output_files import OutputExists, OutputNotRegular, check_target, free_name
from ..wording_approval import ApprovalState, check_approval
from . import dialogs
from .actions import action
from .clinic_settings import ClinicSettingsDialog
from .form import SelectionForm
from .preview_controller import PreviewController
from .save_print import save_refusal

NO_FOLDER = "Choose a clinic folder first (Clinic > Choose clinic folder...)."


class ClinicCommands(QObject):
    """The clinic in use and the commands of the Clinic menu, for one main window."""

    # The wording the sheet is made from changed: the sheet on screen is outdated; the status line.
    wording_changed = Signal(str)

    def __init__(
        self,
        window: QMainWindow,
        form: SelectionForm,
        previews: PreviewController,
        catalog: Catalog,
        splitter: QSplitter,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._form = form
        self._previews = previews
        self._catalog = catalog
        self._splitter = splitter
        self.label = QLabel()
        self.label.setObjectName("clinic-folder")
        self.label.setAccessibleName("Active clinic folder")
        window.statusBar().addPermanentWidget(self.label)
        self.profile = self.load_profile()
        # Above the form and preview: the clinic's wording has changed since it was signed off.
        self.approval_banner = QLabel()
        self.approval_banner.setObjectName("approval-banner")
        self.approval_banner.setWordWrap(True)
        self.approval_banner.setStyleSheet(
            "background: #fde7e9; color: #5c0011; padding: 8px; border: 2px solid #a4001d; font-weight: bold;"
        )
        self.approval_banner.setAccessibleName("Wording approval warning")
        self.approval_banner.hide()  # shown by show_approval_state once the window has placed it
        # The actions belong to the window, whose menus and toolbar show them.
        self.settings_action = action("Clinic &settings...", window, self.edit_clinic_settings)
        self.choose_action = action("&Choose clinic folder...", window, self.choose_clinic_folder)
        self.new_action = action("&New clinic folder...", window, self.new_clinic_folder)
        self.open_action = action("&Open clinic folder", window, self.open_clinic_folder)
        self.reload_action = action("&Reload clinic folder", window, self.reload_clinic, QKeySequence("Ctrl+R"))
        self.builtin_action = QAction("Use &built-in wording for now", window)
        self.builtin_action.setCheckable(True)
        self.builtin_action.toggled.connect(self._set_builtin_only)
        self.export_action = action("&Export clinic folder...", window, self.export_clinic)
        self.import_action = action("&Import clinic folder...", window, self.import_clinic)

    @property
    def folder(self) -> Path | None:
        """The clinic folder in use (None: built-in wording, blank lines for the clinic's details)."""
        return self._previews.clinic_folder

    def fill_menu(self, menu: QMenu) -> None:
        """The Clinic menu's items, in order."""
        for item in (self.settings_action, self.choose_action, self.new_action, self.open_action, self.reload_action):
            menu.addAction(item)
        menu.addAction(self.builtin_action)
        menu.addSeparator()
        menu.addAction(self.export_action)
        menu.addAction(self.import_action)

    # -- the clinic shown ------------------------------------------------------------------------
    def load_profile(self) -> ClinicProfile | None:
        """The clinic profile for file names and the settings dialog (errors are shown by the preview).
        Its default purpose (if any) goes to the form, which otherwise asks the nurse to choose one."""
        profile = None
        if self.folder is not None:
            try:
                profile = load_clinic(self.folder)
            except ClinicError:
                profile = None
        self._form.set_clinic_intent(profile.default_intent if profile else "")
        self._form.set_date_order(profile.date_order if profile else "")
        self._show_clinic_folder(profile)
        return profile

    def _show_clinic_folder(self, profile: ClinicProfile | None) -> None:
        """Name the active clinic folder in the status bar, and the clinic in the title bar."""
        if self.folder is None:
            self.label.setText("No clinic folder: built-in wording, blank lines for the clinic's details")
        else:
            self.label.setText(f"Clinic folder: {self.folder}")
        self.label.setToolTip(self.label.text())
        name = profile.name if profile is not None and profile.name else ""
        self._window.setWindowTitle(f"Hip injection handout – {name}" if name else "Hip injection handout")

    def show_approval_state(self) -> None:
        """Show the banner when the clinic folder's wording has changed since its [approval]; hide it otherwise."""
        check = None
        if self.profile is not None:
            try:
                check = check_approval(self.profile, self._catalog.version)
            except ClinicError:
                check = None  # a folder that cannot be read: the preview names the problem
        signed = check.approval if check is not None and check.state is ApprovalState.CHANGED else None
        if signed is None:
            self.approval_banner.hide()
            return
        folder = self.folder or ""
        self.approval_banner.setText(
            f"⚠ The clinic's wording has changed since {signed.name} ({signed.role}) approved it on "
            f"{signed.date.isoformat()}. Handouts no longer say the wording is approved. Run "
            f"handout-app check-templates {folder} and have the wording approved again."
        )
        self.approval_banner.show()

    # -- commands --------------------------------------------------------------------------------
    def set_clinic_folder(self, folder: Path | None) -> None:
        """Use another clinic folder (remembered for next time) and re-render."""
        self._previews.clinic_folder = folder
        QSettings().setValue("clinic_folder", str(folder) if folder else "")
        self.reload_clinic()

    def reload_clinic(self) -> None:
        """Re-read and re-check the clinic folder, leave the built-in fallback, and re-render."""
        self.profile = self.load_profile()
        self.show_approval_state()
        self._previews.clinic_overrides = {}
        self.builtin_action.blockSignals(True)
        self.builtin_action.setChecked(False)
        self.builtin_action.blockSignals(False)
        self._previews.builtin_only = False
        self.wording_changed.emit("Reloaded the clinic folder.")

    def use_builtin_wording(self) -> None:
        """The explicit switch to the built-in wording while the clinic's set is broken."""
        self.builtin_action.setChecked(True)

    def _set_builtin_only(self, enabled: bool) -> None:
        self._previews.builtin_only = enabled
        self.wording_changed.emit(
            "Using the built-in wording for now; the sheet's footer says so."
            if enabled
            else "Using the clinic's own wording."
        )

    def choose_clinic_folder(self) -> None:
        """Clinic > Choose clinic folder...: switch to a folder that holds a clinic.toml."""
        window = self._window
        folder = dialogs.ask_folder(window, "Choose the clinic folder (the one with clinic.toml)", self.folder)
        if folder is None:
            return
        if not (folder / "clinic.toml").is_file():
            dialogs.show_error(
                window, "Not a clinic folder", f"{folder} has no clinic.toml. Choose the folder that holds it."
            )
            return
        self.set_clinic_folder(folder)

    def new_clinic_folder(self) -> None:
        """Make a clean, commented clinic folder (new_clinic.py), switch to it and open its settings."""
        window = self._window
        name = dialogs.ask_clinic_name(window)
        if name is None or not name.strip():
            return
        place = dialogs.ask_folder(window, "Choose where to put the new clinic folder", None)
        if place is None:
            return
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "clinic"
        folder = free_name(place / slug)
        try:
            create_clinic_folder(folder, name)
        except ClinicError as exc:
            dialogs.show_error(window, "Could not make the clinic folder", f"{exc}\n\nNothing was made.")
            return
        self.set_clinic_folder(folder)
        window.statusBar().showMessage(f"Made the clinic folder {folder}. Fill in the clinic's details.")
        self.edit_clinic_settings()

    def open_clinic_folder(self) -> None:
        """Clinic > Open clinic folder: show it in the file manager."""
        if self.folder is None:
            dialogs.show_error(self._window, "No clinic folder", NO_FOLDER)
            return
        if not dialogs.open_folder(self.folder):
            dialogs.show_error(
                self._window, "Could not open the folder", f"Open {self.folder} in your file manager yourself."
            )

    def edit_clinic_settings(self) -> None:
        """Edit clinic.toml with the preview following as you type; Cancel puts the preview back."""
        window = self._window
        if self.folder is None:
            dialogs.show_error(window, "No clinic folder", NO_FOLDER)
            return
        try:
            # A wrong value still opens the dialog, with the problem shown, so it can be corrected there.
            profile, problem = read_clinic_for_repair(self.folder)
        except ClinicError as exc:
            dialogs.show_error(
                window, "clinic.toml has a problem", f"{exc}\n\nFix the file in a text editor, then press Reload."
            )
            return
        dialog = ClinicSettingsDialog(profile, self.folder, window, problem=problem)
        dialog.changed.connect(self._previews.preview_clinic_values)
        sizes = self._splitter.sizes()
        self._place_beside_preview(dialog)
        try:
            saved = dialogs.run_dialog(dialog)
        finally:
            self._splitter.setSizes(sizes)
        self._previews.clinic_overrides = {}
        self.wording_changed.emit("Saved clinic.toml." if saved else "Clinic settings not changed.")
        self.profile = self.load_profile()
        self.show_approval_state()

    def _place_beside_preview(self, dialog: QWidget) -> None:
        """Put the settings where the form is, and narrow the form to the dialog's width, so the
        preview the settings change stays in view beside them (it used to be covered)."""
        width = dialog.sizeHint().width()
        total = sum(self._splitter.sizes())
        self._splitter.setSizes([width, max(total - width, 0)])
        dialog.move(self._splitter.mapToGlobal(self._splitter.rect().topLeft()))

    def export_clinic(self) -> None:
        """Clinic > Export clinic folder...: the folder as one ZIP file, to move it to another computer."""
        window = self._window
        if self.folder is None:
            dialogs.show_error(window, "No clinic folder", NO_FOLDER)
            return
        path = dialogs.ask_zip_to_save(window, Path.home() / f"{self.folder.name}.zip")
        if path is None:
            return
        try:
            check_target(path, replace=True)  # a pipe, device, link or folder is never offered for replacing
        except OSError as exc:
            dialogs.show_error(window, "Could not export", save_refusal(path, exc))
            return
        replace = path.exists() and dialogs.confirm_replace(window, path)
        if path.exists() and not replace:
            return
        try:
            count = export_zip(self.folder, path, replace=replace)
        except OutputExists:
            dialogs.show_error(
                window, "Could not export", f"{path} appeared while exporting. Export again to choose what to do."
            )
            return
        except OutputNotRegular as exc:
            dialogs.show_error(window, "Could not export", save_refusal(path, exc))
            return
        except ArchiveError as exc:
            dialogs.show_error(window, "Could not export", f"{exc}")
            return
        except OSError as exc:
            dialogs.show_error(
                window,
                "Could not export",
                f"The archive could not be written to {path.parent} ({exc.strerror or exc}). Choose another folder.",
            )
            return
        window.statusBar().showMessage(f"Exported {count} files to {path}")

    def import_clinic(self) -> None:
        """Clinic > Import clinic folder...: unpack an exported ZIP into a new folder and switch to it."""
        window = self._window
        archive = dialogs.ask_zip_to_open(window)
        if archive is None:
            return
        parent = dialogs.ask_folder(window, "Choose where to put the imported clinic folder")
        if parent is None:
            return
        target = parent / archive.stem
        try:
            import_zip(archive, target)
        except ArchiveError as exc:
            dialogs.show_error(window, "Could not import", f"{exc}")
            return
        except OSError as exc:
            dialogs.show_error(
                window,
                "Could not import",
                f"The clinic folder could not be made in {parent} "
                f"({exc.strerror or exc}). Choose another folder. Nothing was imported.",
            )
            return
        self.set_clinic_folder(target)
        window.statusBar().showMessage(f"Imported the clinic folder into {target} and switched to it.")
