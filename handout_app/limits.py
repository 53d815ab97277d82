"""The limits every render runs under, declared once.

A clinic folder is untrusted input: its templates could loop for ever, build gigabytes of text or
make WeasyPrint lay out millions of boxes. Every render (the window's preview, the CLI, check-templates,
a day list) runs in a worker process under these limits, so a runaway is stopped and named instead of
freezing a workstation.
"""

from __future__ import annotations

# Wall-clock seconds one render may take before its worker process is killed.
RENDER_TIME_LIMIT_S = 20.0
# Address space of a render worker: WeasyPrint, Pango and Python need about 400 MB to start.
RENDER_MEMORY_LIMIT_BYTES = 2 * 1024 * 1024 * 1024
# The longest HTML a handout may have; the built-in sheets are about 60,000 characters.
MAX_HTML_CHARS = 4 * 1024 * 1024
# The largest PDF a render may return (the built-in sheets are under 200 KB).
MAX_PDF_BYTES = 32 * 1024 * 1024
# The longest text one template expression may make (repeat, join, replace, padding...).
MAX_EXPRESSION_CHARS = 200_000
# Width or precision in a %-format, center() or indent(): wider is never layout, only a memory bomb.
MAX_FORMAT_WIDTH = 1_000


def describe_time_limit() -> str:
    """The time limit in words, for messages."""
    return f"{RENDER_TIME_LIMIT_S:g} seconds"


def describe_memory_limit() -> str:
    """The memory limit in words, for messages."""
    megabytes = RENDER_MEMORY_LIMIT_BYTES // (1024 * 1024)
    return f"{megabytes // 1024} GB" if megabytes >= 1024 else f"{megabytes} MB"
