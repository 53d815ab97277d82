"""Every dialog the app shows, in one place, so tests can replace them (monkeypatch this module)."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QAbstractButton,
    QCheckBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QInputDialog,
    QMessageBox,
    QWidget,
)

# The red, bold line that names a problem under a form or in a dialog (form, clinic settings, history, reprint).
PROBLEM_STYLE = "color: #b00020; font-weight: bold;"


def ask_save_file(parent: QWidget, title: str, suggested: Path, file_filter: str, suffix: str) -> Path | None:
    """Ask where to save a file; None if cancelled. The suffix is added when the name lacks it.

    Qt's own overwrite question is switched off: replacing is asked by confirm_replace, the same
    question the handout's Save asks, after the path has been checked for a pipe or link."""
    path, _ = QFileDialog.getSaveFileName(
        parent, title, str(suggested), file_filter, options=QFileDialog.Option.DontConfirmOverwrite
    )
    if not path:
        return None
    chosen = Path(path)
    return chosen if chosen.suffix.lower() == suffix else chosen.with_name(chosen.name + suffix)


class SaveChoice(NamedTuple):
    """Where to save the handout, and whether as archival PDF/A."""

    path: Path
    archival: bool


def ask_save_path(parent: QWidget, suggested: Path, archival: bool = False) -> SaveChoice | None:
    """Ask where to save the PDF, with an "archival PDF/A" box; None if cancelled.

    Qt's own dialog is used (not the platform's) so the box can sit in it. Replacing a file is
    confirmed separately.
    """
    dialog = QFileDialog(parent, "Save handout as PDF", str(suggested.parent), "PDF files (*.pdf)")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setOptions(QFileDialog.Option.DontUseNativeDialog | QFileDialog.Option.DontConfirmOverwrite)
    dialog.selectFile(suggested.name)
    box = QCheckBox("Archival PDF/A for the clinic's records")
    box.setChecked(archival)
    layout = dialog.layout()
    if isinstance(layout, QGridLayout):
        layout.addWidget(box, layout.rowCount(), 0, 1, layout.columnCount())
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    chosen = Path(dialog.selectedFiles()[0])
    chosen = chosen if chosen.suffix.lower() == ".pdf" else chosen.with_name(chosen.name + ".pdf")
    return SaveChoice(chosen, box.isChecked())


def confirm_replace(parent: QWidget, path: Path) -> bool:
    """Ask before replacing an existing file."""
    answer = QMessageBox.question(
        parent,
        "Replace file?",
        f"{path.name} already exists in {path.parent}.\n\nDo you want to replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def discard_question(parent: QWidget | None) -> tuple[QMessageBox, QAbstractButton]:
    """The question asked before closing with an unsent sheet, and its Discard button (Enter and Esc keep working)."""
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Close without the handout?",
        "This patient's handout has not been saved or printed.\n\nClose the window and discard it?",
        QMessageBox.StandardButton.NoButton,
        parent,
    )
    discard = box.addButton("&Discard and close", QMessageBox.ButtonRole.DestructiveRole)
    keep = box.addButton("&Keep working", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(keep)  # Enter keeps the work
    box.setEscapeButton(keep)
    return box, discard


def confirm_discard(parent: QWidget) -> bool:
    """Ask before closing the window while the sheet on screen was neither saved nor printed."""
    box, discard = discard_question(parent)
    box.exec()
    return box.clickedButton() is discard


def show_error(parent: QWidget | None, title: str, message: str) -> None:
    """A problem the user must read: a title and a plain sentence of what to do."""
    QMessageBox.warning(parent, title, message)


def show_info(parent: QWidget, title: str, message: str) -> None:
    """Plain information (the About box)."""
    QMessageBox.about(parent, title, message)


def ask_printer(parent: QWidget, printer: QPrinter, page_count: int) -> bool:
    """The system print dialog; True if the user chose to print."""
    printer.setFromTo(1, page_count)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print handout")
    return dialog.exec() == QPrintDialog.DialogCode.Accepted


def ask_logo_path(parent: QWidget) -> Path | None:
    """Pick a logo picture; None if cancelled."""
    path, _ = QFileDialog.getOpenFileName(
        parent, "Choose the clinic logo", str(Path.home()), "Pictures (*.png *.jpg *.jpeg *.svg)"
    )
    return Path(path) if path else None


def ask_folder(parent: QWidget, title: str, start: Path | None = None) -> Path | None:
    """Pick a folder; None if cancelled."""
    path = QFileDialog.getExistingDirectory(parent, title, str(start or Path.home()))
    return Path(path) if path else None


def ask_clinic_name(parent: QWidget) -> str | None:
    """The new clinic's name, as printed on every handout; None when cancelled."""
    name, accepted = QInputDialog.getText(
        parent, "New clinic folder", "The clinic's name, as printed on every handout:"
    )
    return name if accepted else None


def ask_day_list(parent: QWidget) -> Path | None:
    """The day list to open: a CSV (UTF-8) or Excel .xlsx file."""
    path, _ = QFileDialog.getOpenFileName(parent, "Open a day list", str(Path.home()), "Day lists (*.csv *.xlsx)")
    return Path(path) if path else None


def ask_zip_to_open(parent: QWidget) -> Path | None:
    """Pick a .zip to import; None if cancelled."""
    path, _ = QFileDialog.getOpenFileName(parent, "Import a clinic folder", str(Path.home()), "Zip archives (*.zip)")
    return Path(path) if path else None


def ask_zip_to_save(parent: QWidget, suggested: Path) -> Path | None:
    """Where to export the clinic folder; None if cancelled. Replacing is confirmed separately."""
    return ask_save_file(parent, "Export the clinic folder", suggested, "Zip archives (*.zip)", ".zip")


def open_folder(folder: Path) -> bool:
    """Show the folder in the system's file manager; False if none could be started."""
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def run_dialog(dialog: QDialog) -> bool:
    """Show a modal dialog; True if accepted."""
    return dialog.exec() == QDialog.DialogCode.Accepted
