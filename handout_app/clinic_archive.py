"""Export a clinic folder as a .zip and import one, so a clinic can copy its set to another workstation.

Import treats the archive as hostile. Before anything is unpacked every entry is checked: its path
must stay inside the new folder (no absolute paths, drive letters, `..` or links), must be a valid
name on Windows and macOS too, and must not collide with another entry (the same name twice, or
names that differ only in upper/lower case or in / and \\); encrypted entries and unknown compression
methods are refused; the number of files and their unpacked size are limited, and the unpacked
bytes are counted, whatever the archive claims. The archive is unpacked into a temporary folder
beside the target with normal permissions, checked as a template set, and only then moved into
place; an existing folder is never overwritten. Every problem is an ArchiveError that says what is
wrong and that nothing was imported.
"""

from __future__ import annotations

import lzma
import os
import secrets
import shutil
import stat
import struct
import tempfile
import unicodedata
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO, NamedTuple

from .errors import SetError
from .output_files import write_atomically

MAX_FILES = 500
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_ARCHIVE_BYTES = MAX_UNPACKED_BYTES + 16 * 1024 * 1024  # stored (uncompressed) entries plus their headers
MAX_RATIO = 200  # unpacked / packed, per file: a higher ratio is a "zip bomb"
MAX_DEPTH = 16
MAX_NAME_LENGTH = 200  # per folder or file name; Windows and most file systems allow 255
NOTHING_IMPORTED = "Nothing was imported."
_READABLE_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
# What zipfile and its decompressors raise on a damaged or unusual archive (a bad CRC, a truncated
# stream, an unknown method, an encrypted entry, a header that points nowhere): all mean "unreadable".
_READ_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    RuntimeError,
    EOFError,
    ValueError,
    struct.error,
    zlib.error,
    lzma.LZMAError,
    OSError,
    IndexError,
    KeyError,
    OverflowError,
)
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
_WINDOWS_BAD_CHARACTERS = set('<>:"|?*')
_CHUNK = 64 * 1024


class ArchiveError(ValueError):
    """The archive cannot be exported or imported; the message says why and what to do."""


class _Member(NamedTuple):
    info: zipfile.ZipInfo
    parts: tuple[str, ...]
    is_dir: bool


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


def _shown(name: str) -> str:
    """An entry name safe to show: control characters as \\uXXXX."""
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in name)


def _refused(name: str, why: str) -> ArchiveError:
    return ArchiveError(f"the archive entry '{_shown(name)}' {why}; it was refused. {NOTHING_IMPORTED}")


def _parts(info: zipfile.ZipInfo) -> _Member:
    """The entry's path as folder and file names inside the new folder, or ArchiveError."""
    raw = info.filename
    if any(not ch.isprintable() and ch != " " for ch in raw):
        raise _refused(raw, "has control characters in its name")
    name = raw.replace("\\", "/")
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if name.startswith("/") or ":" in name or ".." in parts:
        raise _refused(raw, "would be written outside the clinic folder")
    if not parts:
        raise _refused(raw, "has no name")
    if len(parts) > MAX_DEPTH:
        raise _refused(raw, f"is nested more than {MAX_DEPTH} folders deep")
    for part in parts:
        if len(part) > MAX_NAME_LENGTH:
            raise _refused(raw, f"has a name longer than {MAX_NAME_LENGTH} characters")
        # The folder is meant to move between workstations: a name Windows cannot hold is refused everywhere.
        if (
            set(part) & _WINDOWS_BAD_CHARACTERS
            or part[-1] in ". "
            or part.split(".")[0].rstrip(" ").casefold() in _WINDOWS_RESERVED
        ):
            raise _refused(raw, "has a name that is not a valid file name on Windows")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _refused(raw, "is a link; links are not allowed")
    return _Member(info, parts, name.endswith("/"))


def _safe_members(zf: zipfile.ZipFile) -> list[_Member]:
    members = zf.infolist()
    if len(members) > MAX_FILES:
        raise ArchiveError(
            f"the archive holds {len(members)} files; a clinic folder has at most {MAX_FILES}. {NOTHING_IMPORTED}"
        )
    checked: list[tuple[tuple[str, ...], _Member]] = []
    seen: dict[tuple[str, ...], str] = {}
    total = 0
    for info in members:
        member = _parts(info)
        # Windows and macOS ignore case (and macOS the form of accents), and Windows takes \ for /:
        # two entries that are one file there must not silently become one, or two, here.
        key = tuple(unicodedata.normalize("NFC", part).casefold() for part in member.parts)
        if key in seen:
            raise _refused(
                info.filename, f"has the same name as '{_shown(seen[key])}' (perhaps in other upper/lower case)"
            )
        seen[key] = info.filename
        if info.flag_bits & 0x1:
            raise _refused(
                info.filename, "is encrypted (password-protected); export the folder again without a password"
            )
        if not member.is_dir and info.compress_type not in _READABLE_METHODS:
            raise _refused(
                info.filename,
                f"uses a compression method this app cannot read (method {info.compress_type}); "
                "make the .zip again with ordinary (deflate) compression",
            )
        total += info.file_size
        if total > MAX_UNPACKED_BYTES:
            raise ArchiveError(
                f"the archive unpacks to more than {MAX_UNPACKED_BYTES // (1024 * 1024)} MB; "
                f"a clinic folder is much smaller. {NOTHING_IMPORTED}"
            )
        if info.compress_size and info.file_size / info.compress_size > MAX_RATIO and info.file_size > 1024 * 1024:
            raise _refused(info.filename, "unpacks to far more than it holds")
        checked.append((key, member))
    files = {key for key, member in checked if not member.is_dir}
    for key, member in checked:
        if any(key[:depth] in files for depth in range(1, len(key))):
            raise _refused(member.info.filename, "is inside a folder that the archive also holds as a file")
    return [member for _, member in checked]


def _open_archive(archive: Path) -> BinaryIO:
    """The archive file, opened for reading; only an ordinary file of a sane size is accepted."""
    try:
        # O_NONBLOCK: opening a named pipe would otherwise wait for a writer forever.
        fd = os.open(archive, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise ArchiveError(f"'{archive}' cannot be opened ({exc.strerror or exc}). {NOTHING_IMPORTED}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ArchiveError(f"'{archive}' is not an ordinary file. Choose the .zip file itself. {NOTHING_IMPORTED}")
    if info.st_size > MAX_ARCHIVE_BYTES:
        os.close(fd)
        raise ArchiveError(
            f"'{archive}' is larger than {MAX_ARCHIVE_BYTES // (1024 * 1024)} MB; "
            f"a clinic folder is much smaller. {NOTHING_IMPORTED}"
        )
    return os.fdopen(fd, "rb")


def _check_target_free(target: Path) -> None:
    if target.name in ("", ".", ".."):
        raise ArchiveError(f"'{target}' is not a folder name the archive can be imported as. Choose a new folder name.")
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(info.st_mode) or any(target.iterdir()):
        raise ArchiveError(
            f"'{target}' already exists and is not an empty folder. Choose a new folder name. {NOTHING_IMPORTED}"
        )


def _make_staging(parent: Path) -> Path:
    """A new, hidden folder beside the target, with the permissions any new folder gets (0o777 less the umask)."""
    staging = parent / f".import-{secrets.token_hex(8)}"
    os.mkdir(staging, 0o777)
    return staging


def _unpack_file(zf: zipfile.ZipFile, info: zipfile.ZipInfo, destination: Path, budget: int) -> int:
    """Unpack one entry; returns the bytes written. The bytes are counted, whatever the header says."""
    try:
        source = zf.open(info)
    except _READ_ERRORS as exc:
        raise _refused(info.filename, f"cannot be read ({exc})") from None
    with source, open(destination, "xb") as out:
        written = 0
        while True:
            try:
                chunk = source.read(_CHUNK)
            except _READ_ERRORS as exc:
                raise _refused(info.filename, f"cannot be read ({exc})") from None
            if not chunk:
                return written
            written += len(chunk)
            if written > info.file_size or written > budget:
                raise _refused(info.filename, "unpacks to more than it says")
            out.write(chunk)


def _unpack(zf: zipfile.ZipFile, members: list[_Member], staging: Path) -> None:
    budget = MAX_UNPACKED_BYTES
    for member in members:
        destination = staging.joinpath(*member.parts)
        if member.is_dir:
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        budget -= _unpack_file(zf, member.info, destination, budget)


def import_zip(archive: Path, target: Path) -> Path:
    """Unpack `archive` into the new folder `target` after checking it; returns `target`."""
    from .template_set import load_template_set

    target = Path(target)
    _check_target_free(target)
    with _open_archive(archive) as handle:
        try:
            zf = zipfile.ZipFile(handle)
        except _READ_ERRORS as exc:
            raise ArchiveError(f"'{archive}' is not a readable .zip file ({exc}). {NOTHING_IMPORTED}") from None
        with zf:
            members = _safe_members(zf)
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = _make_staging(target.parent)
            try:
                try:
                    _unpack(zf, members, staging)
                except OSError as exc:
                    raise ArchiveError(
                        f"the archive could not be unpacked into {target.parent} ({exc.strerror or exc}). "
                        f"{NOTHING_IMPORTED}"
                    ) from None
                try:
                    load_template_set(staging)
                except SetError as exc:
                    message = str(exc).replace(str(staging), "<archive>")
                    raise ArchiveError(
                        f"the archive's template set has a problem: {message}. {NOTHING_IMPORTED}"
                    ) from None
                except RecursionError:  # a wording file or template nested thousands deep
                    raise ArchiveError(
                        "the archive's template set has a file nested too deeply to read "
                        f"(brackets or blocks inside each other). {NOTHING_IMPORTED}"
                    ) from None
                if target.exists():
                    target.rmdir()  # only an empty folder gets this far
                staging.rename(target)
            finally:
                if staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
    return target
