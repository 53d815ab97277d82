"""Printing helpers for the window: the print dialog's choices as PrintSettings, the list of printers, and
the fallback for computers without CUPS (Windows): each page drawn as a picture onto a QPrinter.

Where CUPS exists the PDF itself goes to the queue instead (print_job.py); the picture path is slower
and sends megabytes, so it draws at no more than IMAGE_DPI.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRect, QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from ..print_queue import PrintSettings

# Pages are drawn in horizontal bands: a whole A4 page at 1200 dpi would be a 550 MB image,
# a band of this many rows is about 20 MB.
BAND_ROWS = 512
# Type stays sharp at 300 dpi, and a 9-page sheet is drawn in seconds rather than the 20 to 50 s
# it took at a printer's 600 to 1200 dpi.
IMAGE_DPI = 300

_SIDES = {
    QPrinter.DuplexMode.DuplexNone: "one-sided",
    QPrinter.DuplexMode.DuplexLongSide: "two-sided-long-edge",
    QPrinter.DuplexMode.DuplexShortSide: "two-sided-short-edge",
}


def available_printers() -> list[str]:
    """The printers this computer knows; empty when none is set up."""
    return QPrinterInfo.availablePrinterNames()


def settings_from_printer(printer: QPrinter, title: str) -> PrintSettings:
    """What the user chose in the print dialog, for the CUPS queue."""
    first, last = printer.fromPage(), printer.toPage()
    page_range = printer.printRange() == QPrinter.PrintRange.PageRange and first > 0 and last >= first
    return PrintSettings(
        printer=printer.printerName() or None,
        copies=max(1, printer.copyCount()),
        sides=_SIDES.get(printer.duplex()),
        first_page=first if page_range else None,
        last_page=last if page_range else None,
        title=title,
    )


def prints_to_file(printer: QPrinter) -> bool:
    """True when the dialog's "Print to File" was chosen: the PDF is then written as it is."""
    return printer.outputFormat() == QPrinter.OutputFormat.PdfFormat and bool(printer.outputFileName())


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


def print_pdf(data: bytes, printer: QPrinter, on_page: Callable[[int, int], bool] | None = None) -> int:
    """Print every page in the printer's page range as pictures; returns the number of pages printed.

    `on_page(done, total)` is called before each page, so a window can show progress; when it returns
    False the job is aborted (nothing more reaches the printer) and 0 is returned.
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
                if on_page is not None and not on_page(index - first + 1, last - first + 1):
                    printer.abort()
                    return 0
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
    """Draw one page, fitted into the printable area without distortion, band by band, at IMAGE_DPI at most."""
    points = document.pagePointSize(index)
    size = QSize(round(points.width() / 72 * dpi), round(points.height() / 72 * dpi))
    area = painter.viewport()
    fitted = size.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)  # in printer pixels
    scale = min(1.0, IMAGE_DPI / max(dpi, 1))
    image_size = QSize(max(1, round(fitted.width() * scale)), max(1, round(fitted.height() * scale)))
    for top in range(0, image_size.height(), BAND_ROWS):
        rows = min(BAND_ROWS, image_size.height() - top)
        options = QPdfDocumentRenderOptions()
        options.setScaledSize(image_size)
        options.setScaledClipRect(QRect(0, top, image_size.width(), rows))
        band = document.render(index, QSize(image_size.width(), rows), options)
        # Band edges are mapped back from picture rows, so neighbouring bands meet without a gap.
        y0, y1 = round(top / scale), round((top + rows) / scale)
        target = QRect(area.left(), area.top() + y0, fitted.width(), y1 - y0)
        painter.drawImage(target, band)
