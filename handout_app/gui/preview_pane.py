"""The preview pane: warnings above, the PDF below ("Page n of N", zoom, PgUp/PgDn), or a plain message.

It only shows what it is given: which sheet to show, and when, is decided by preview_controller.py.
"""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QPointF, Qt
from PySide6.QtGui import QAction
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

from .printing import load_pdf

ZOOM_STEPS = (0.5, 0.67, 0.8, 1.0, 1.25, 1.5, 2.0, 3.0)


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
        """The yellow band above the sheet: one line per warning, hidden when there is none."""
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warnings))
        self.warnings.setVisible(bool(warnings))

    def show_message(self, text: str) -> None:
        """A plain sentence where the sheet would be (the sheet itself is hidden by clear_pdf)."""
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
        """Go `step` pages on (PgDn, 1) or back (PgUp, -1) from the page on screen."""
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
        """Show the sheet `data` (a PDF) in place of the one on screen, and free the old one."""
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
