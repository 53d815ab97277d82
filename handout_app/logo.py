"""Checks a clinic logo before it goes on a sheet: PNG, JPEG or SVG, within sane size and pixel limits.

Only the file's header is read for raster images, so a huge or malformed picture is refused
before anything tries to decode it.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_LOGO_PIXELS_PER_SIDE = 4000
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg", ".svg")


class LogoError(ValueError):
    """The logo cannot be used; the message says why and what to do."""


def _png_size(head: bytes) -> tuple[int, int]:
    if not head.startswith(b"\x89PNG\r\n\x1a\n") or head[12:16] != b"IHDR":
        raise LogoError("is not a PNG picture (the file's contents do not match its name).")
    return struct.unpack(">II", head[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(b"\xff\xd8"):
        raise LogoError("is not a JPEG picture (the file's contents do not match its name).")
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (length,) = struct.unpack(">H", data[index + 2 : index + 4])
        index += 2 + length
    raise LogoError("is a JPEG without a readable size; save it again from an image editor.")


def _check_svg(data: bytes) -> None:
    try:
        # Strictly UTF-8: in UTF-16 a DOCTYPE could hide from the check below yet be read by the parser.
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise LogoError("is an SVG that is not saved as UTF-8 text; save it again as UTF-8.") from None
    declared = re.search(r"<\?xml[^>]*encoding\s*=\s*[\"']([^\"']+)", text[:200])
    if (text.startswith("\ufeff") and len(text) > 1 and text[1] == "\x00") or (
        declared and declared.group(1).lower() not in ("utf-8", "utf8")
    ):
        raise LogoError("is an SVG that declares an encoding other than UTF-8; save it again as UTF-8.")
    # A DOCTYPE can declare entities (billion laughs) or pull in other files: plain SVG never needs one.
    if re.search(r"<!DOCTYPE|<!ENTITY", text, flags=re.IGNORECASE):
        raise LogoError("is an SVG with a DOCTYPE or ENTITY declaration; remove it and save again.")
    if not re.search(r"<svg[\s>]", text):
        raise LogoError("is not an SVG drawing (no <svg> element).")


def check_logo(path: Path) -> None:
    """Raise LogoError unless `path` is a PNG, JPEG or SVG within the size and pixel limits."""
    suffix = path.suffix.lower()
    if suffix not in LOGO_SUFFIXES:
        raise LogoError("must be a PNG, JPEG or SVG file (.png, .jpg, .jpeg or .svg).")
    if not path.is_file():
        raise LogoError("was not found in the clinic folder. Put the file there, or change the name in clinic.toml.")
    size = path.stat().st_size
    if size > MAX_LOGO_BYTES:
        raise LogoError(f"is {size // 1024} KB; the limit is {MAX_LOGO_BYTES // 1024} KB. Save a smaller version.")
    check_picture(path.read_bytes(), "svg" if suffix == ".svg" else "png" if suffix == ".png" else "jpeg")


PICTURE_TYPES = {"image/png": "png", "image/jpeg": "jpeg", "image/svg+xml": "svg"}


def check_picture(data: bytes, kind: str) -> None:
    """Raise LogoError unless `data` is a `kind` ("png", "jpeg" or "svg") picture within the limits.

    Used for the logo and for every picture a clinic template puts on a sheet: a 12000 x 12000 PNG
    would otherwise be decoded to hundreds of megabytes.
    """
    if len(data) > MAX_LOGO_BYTES:
        raise LogoError(f"is {len(data) // 1024} KB; the limit is {MAX_LOGO_BYTES // 1024} KB. Save a smaller version.")
    if kind == "svg":
        _check_svg(data)
        return
    width, height = _png_size(data[:24]) if kind == "png" else _jpeg_size(data)
    if not (0 < width <= MAX_LOGO_PIXELS_PER_SIDE and 0 < height <= MAX_LOGO_PIXELS_PER_SIDE):
        raise LogoError(
            f"is {width} x {height} pixels; the limit is "
            f"{MAX_LOGO_PIXELS_PER_SIDE} on each side. Save a smaller version."
        )
