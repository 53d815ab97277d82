"""HTML -> PDF with WeasyPrint, a URL fetcher that only serves allowed folders, and safe file writing.

WeasyPrint is imported lazily so that modules which only need `write_atomically` (the GUI) stay light.
"""

from __future__ import annotations

import base64
import binascii
import gc
import logging
import mimetypes
import os
import tempfile
import urllib.parse
import urllib.request
import warnings
from pathlib import Path
from typing import Any, Iterable

from . import resources


DEFAULT_VARIANT = "pdf/ua-1"  # tagged, for screen readers
ARCHIVAL_VARIANT = "pdf/a-3a"  # tagged PDF/A, for the clinic's records


def variant_for(archival: bool) -> str:
    """The PDF variant for a selection's `archival` choice."""
    return ARCHIVAL_VARIANT if archival else DEFAULT_VARIANT


class RenderFailed(RuntimeError):
    """WeasyPrint could not make the PDF; the message says why in plain words."""


class OutputExists(FileExistsError):
    """The output file exists and the caller did not ask to replace it."""


def allowed_roots(extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Folders the renderer may read: built-in templates and assets, the font package, plus `extra`."""
    roots = [resources.templates_dir(), resources.assets_dir(), resources.font_dir(), *extra]
    return tuple(Path(os.path.realpath(r)) for r in roots)


def resolve_allowed(url: str, roots: tuple[Path, ...]) -> Path:
    """The real path behind a file:// URL if it is a regular file inside `roots`; else ValueError."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != "file":
        raise ValueError(f"Refused to load '{url}': only the application's own files may be used.")
    if parsed.netloc not in ("", "localhost"):
        raise ValueError(f"Refused to load '{url}': network and shared-drive addresses are not allowed.")
    real = Path(os.path.realpath(urllib.request.url2pathname(parsed.path)))
    if not any(real.is_relative_to(root) for root in roots):
        raise ValueError(f"Refused to load '{url}': it is outside the template and asset folders.")
    if not real.is_file():
        raise ValueError(f"Refused to load '{url}': it is not a readable file.")
    return real


DATA_URL_TYPES = ("image/svg+xml", "image/png", "image/jpeg")
MAX_DATA_URL_BYTES = 2 * 1024 * 1024


def decode_data_url(url: str) -> tuple[str, bytes]:
    """The type and bytes of a base64 `data:` picture (the hip diagram is one); else ValueError.

    Reading one needs no file or network, so it is safe; only pictures within a size limit pass.
    """
    header, _, payload = url.partition(",")
    content_type = header.removeprefix("data:").removesuffix(";base64")
    if not header.endswith(";base64") or content_type not in DATA_URL_TYPES:
        raise ValueError(f"Refused to load '{url[:60]}...': only base64 PNG, JPEG or SVG pictures may be embedded.")
    if len(payload) > MAX_DATA_URL_BYTES * 4 // 3 + 4:
        raise ValueError("Refused to load an embedded picture over 2 MB.")
    try:
        return content_type, base64.b64decode(payload, validate=True)
    except binascii.Error:
        raise ValueError("Refused to load an embedded picture that is not valid base64.") from None


def _make_fetcher(roots: tuple[Path, ...]) -> Any:
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class RestrictedFetcher(URLFetcher):
        """Serves files from the allowed folders only; anything else stops the render."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            if url.startswith("data:"):
                try:
                    content_type, data = decode_data_url(url)
                except ValueError as exc:
                    raise FatalURLFetchingError(str(exc)) from None
                return URLFetcherResponse(url[:64], data, headers={"Content-Type": content_type})
            try:
                path = resolve_allowed(url, roots)
            except ValueError as exc:
                # Fatal, so a refused resource is an error the user sees, never a silently missing image.
                raise FatalURLFetchingError(str(exc)) from None
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(path.as_uri(), path.read_bytes(), headers={"Content-Type": content_type})

    return RestrictedFetcher()


class _WarningCollector(logging.Handler):
    """Collects WeasyPrint's warnings so a render with any warning fails instead of printing wrong."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def render_pdf(html: str, *, base_dir: Path | None = None, extra_roots: Iterable[Path] = (), variant: str = DEFAULT_VARIANT) -> bytes:
    """Render HTML to tagged PDF bytes. Raises RenderFailed on any fetch refusal or WeasyPrint warning."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    roots = allowed_roots(extra_roots)
    base = (base_dir or resources.templates_dir()).resolve()
    collector = _WarningCollector()
    logger = logging.getLogger("weasyprint")
    logger.addHandler(collector)
    try:
        html_document = weasyprint.HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=_make_fetcher(roots))
        document = html_document.render(pdf_variant=variant, uncompressed_pdf=False)
        # No file is ever embedded: a clinic template's <link rel=attachment> or <a rel=attachment>
        # could otherwise put any file it can name inside the patient's PDF.
        document.metadata.attachments = []
        for page in document.pages:
            page.links = [link for link in page.links if link[0] != "attachment"]
        with warnings.catch_warnings():
            # WeasyPrint's PDF/A output opens its sRGB profile and leaves closing it to the garbage
            # collector (REFERENCE: "unclosed ICC file"); collect it here, where that one warning is expected.
            warnings.filterwarnings("ignore", category=ResourceWarning, message=r"unclosed file .*\.icc")
            pdf = document.write_pdf(pdf_variant=variant, uncompressed_pdf=False)
            gc.collect()
    except FatalURLFetchingError as exc:
        raise RenderFailed(str(exc)) from None
    except Exception as exc:  # WeasyPrint raises many types; the user needs one plain message.
        raise RenderFailed(f"The PDF could not be made: {exc}") from exc
    finally:
        logger.removeHandler(collector)
    if collector.messages:
        raise RenderFailed("The PDF could not be made cleanly: " + "; ".join(collector.messages))
    assert isinstance(pdf, bytes)
    return pdf


def write_atomically(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write `data` to `path` all at once: never a half-written file, never a silent overwrite.

    The bytes go to a temporary file in the same folder first; it then takes the final name
    with a hard link (fails if the name exists) or, when `replace` is true, an atomic rename.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not replace and path.exists():
        raise OutputExists(str(path))
    fd, tmp_name = tempfile.mkstemp(prefix=".handout-", suffix=".tmp", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 & ~_umask())
        if replace:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise OutputExists(str(path)) from None
            except OSError:
                # Some shared drives do not support hard links; fall back to an exclusive create,
                # removing what was written if the write fails, so no half file is left.
                try:
                    with open(path, "xb") as handle:
                        handle.write(data)
                except FileExistsError:
                    raise OutputExists(str(path)) from None
                except OSError:
                    path.unlink(missing_ok=True)
                    raise
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
