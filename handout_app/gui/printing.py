"""Print a PDF by drawing each page (rendered by QtPdf at the printer's resolution) onto a QPrinter."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QBuffer, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter


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


def print_pdf(data: bytes, printer: QPrinter) -> int:
    """Print every page in the printer's page range; returns the number of pages printed."""
    document, buffer = load_pdf(data)
    try:
        count = document.pageCount()
        if count == 0:
            raise PrintFailed("The handout has no pages to print. Wait for the preview, then try again.")
        first, last = printer.fromPage() or 1, printer.toPage() or count
        first, last = max(1, first), min(count, last)
        dpi = printer.resolution()
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintFailed("The printer could not be opened. Check that it is switched on and connected.")
        try:
            for index in range(first - 1, last):
                if index > first - 1:
                    printer.newPage()
                points = document.pagePointSize(index)
                size = QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi))
                image = document.render(index, size)
                # Fit the page into the printable area without distorting it.
                area = painter.viewport()
                fitted = size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
                painter.drawImage(QRect(area.topLeft(), fitted), image)
        finally:
            painter.end()
        return last - first + 1
    finally:
        document.close()
        buffer.close()
