"""Every dialog the app shows, in one place, so tests can replace them (monkeypatch this module)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget


def ask_save_path(parent: QWidget, suggested: Path) -> Path | None:
    """Ask where to save the PDF; None if cancelled. Replacing is confirmed separately."""
    path, _ = QFileDialog.getSaveFileName(
        parent, "Save handout as PDF", str(suggested), "PDF files (*.pdf)",
        options=QFileDialog.Option.DontConfirmOverwrite,
    )
    if not path:
        return None
    chosen = Path(path)
    return chosen if chosen.suffix.lower() == ".pdf" else chosen.with_name(chosen.name + ".pdf")


def confirm_replace(parent: QWidget, path: Path) -> bool:
    """Ask before replacing an existing file."""
    answer = QMessageBox.question(
        parent, "Replace file?", f"{path.name} already exists in {path.parent}.\n\nDo you want to replace it?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def show_error(parent: QWidget, title: str, message: str) -> None:
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
