"""Export a clinic folder as a .zip and import one, so a clinic can copy its set to another workstation.

Import is careful with archives from elsewhere: every path must stay inside the new folder (no
absolute paths, no `..`, no links), and the number of files and their unpacked size are limited.
The archive is unpacked into a temporary folder beside the target, checked as a template set, and
only then moved into place; an existing folder is never overwritten.
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

from .catalog import CatalogError
from .clinic import ClinicError
from .pdf import write_atomically

MAX_FILES = 500
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 200  # unpacked / packed, per file: a higher ratio is a "zip bomb"


class ArchiveError(ValueError):
    """The archive cannot be exported or imported; the message says why and what to do."""


def export_zip(folder: Path, archive: Path, replace: bool = False) -> int:
    """Write every file of `folder` into `archive` (atomically); returns the number of files."""
    files = sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink())
    if not (Path(folder) / "clinic.toml").is_file():
        raise ArchiveError(f"'{folder}' has no clinic.toml, so it is not a clinic folder.")
    with tempfile.SpooledTemporaryFile(max_size=MAX_UNPACKED_BYTES) as buffer:
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in files:
                zf.write(path, path.relative_to(folder).as_posix())
        buffer.seek(0)
        write_atomically(archive, buffer.read(), replace=replace)
    return len(files)


def _safe_members(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    members = zf.infolist()
    if len(members) > MAX_FILES:
        raise ArchiveError(f"the archive holds {len(members)} files; a clinic folder has at most {MAX_FILES}.")
    total = 0
    for info in members:
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in info.filename:
            raise ArchiveError(f"the archive entry '{info.filename}' would be written outside the clinic folder; it was refused.")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"the archive entry '{info.filename}' is a link; links are not allowed.")
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise ArchiveError(f"the archive unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB; a clinic folder is much smaller.")
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
            raise ArchiveError(f"the archive entry '{info.filename}' unpacks to far more than it holds; it was refused.")
    return members


def import_zip(archive: Path, target: Path) -> Path:
    """Unpack `archive` into the new folder `target` after checking it; returns `target`."""
    from .template_set import load_template_set
    from .templating import TemplateProblem

    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise ArchiveError(f"'{target}' already exists and is not empty. Choose a new folder name.")
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"'{archive}' is not a readable .zip file ({exc}).") from None
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=target.parent))
    try:
        with zf:
            for info in _safe_members(zf):
                destination = staging.joinpath(*PurePosixPath(info.filename.replace("\\", "/")).parts)
                if info.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, open(destination, "wb") as out:
                    shutil.copyfileobj(source, out)
        try:
            load_template_set(staging)
        except (ClinicError, CatalogError, TemplateProblem) as exc:
            message = str(exc).replace(str(staging), "<archive>")
            raise ArchiveError(f"the archive's template set has a problem: {message}. Nothing was imported.") from None
        if target.exists():
            target.rmdir()
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target
