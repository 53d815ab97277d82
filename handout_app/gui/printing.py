"""Print a PDF by drawing each page (rendered by QtPdf at the printer's resolution) onto a QPrinter."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QByteArray, QBuffer, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtPrintSupport import QPrinter

# Pages are drawn in horizontal bands: a whole A4 page at 1200 dpi would be a 550 MB image,
# a band of this many rows is about 20 MB.
BAND_ROWS = 512


class PrintFailed(RuntimeError):
    """The printer could not be used; the message says what to check."""


def load_pdf(data: bytes) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument over in-memory bytes. Keep both returned objects alive while using it."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()  # unparented on purpose: a QPdfView parent crashed at teardown (REFERENCE)
    document.load(buffer)
    return document, buffer


def print_pdf(data: bytes, printer: QPrinter, on_page: Callable[[int, int], None] | None = None) -> int:
    """Print every page in the printer's page range; returns the number of pages printed.

    `on_page(done, total)` is called before each page, so a window can show progress.
    """
    document, buffer = load_pdf(data)
    try:
        count = document.pageCount()
        if count == 0:
            raise PrintFailed("The handout has no pages to print. Wait for the preview, then try again.")
        first, last = printer.fromPage() or 1, printer.toPage() or count
        first, last = max(1, first), min(count, last)
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintFailed("The printer could not be opened. Check that it is switched on and connected.")
        try:
            for index in range(first - 1, last):
                if on_page is not None:
                    on_page(index - first + 1, last - first + 1)
                if index > first - 1:
                    printer.newPage()
                _draw_page(document, index, painter, printer.resolution())
        finally:
            painter.end()
        return last - first + 1
    finally:
        document.close()
        buffer.close()


def _draw_page(document: QPdfDocument, index: int, painter: QPainter, dpi: int) -> None:
    """Draw one page, fitted into the printable area without distortion, band by band."""
    points = document.pagePointSize(index)
    size = QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi))
    area = painter.viewport()
    fitted = size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
    for top in range(0, fitted.height(), BAND_ROWS):
        rows = min(BAND_ROWS, fitted.height() - top)
        options = QPdfDocumentRenderOptions()
        options.setScaledSize(fitted)
        options.setScaledClipRect(QRect(0, top, fitted.width(), rows))
        band = document.render(index, QSize(fitted.width(), rows), options)
        painter.drawImage(area.left(), area.top() + top, band)
