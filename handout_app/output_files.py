"""Writing an output file (a handout PDF, clinic.toml, an exported .zip) safely.

The paths come from people and from clinic folders, and the files hold patient details, so:
- only a new name or an existing *regular* file is ever written; a folder, symbolic link, named
  pipe, device or socket is refused even when replacing (it is looked at with lstat and never
  opened: opening a named pipe blocks);
- the file appears all at once under its name, and replacing keeps the old file's permission bits;
- a kill at any moment leaves no stray file holding the data. On Linux the bytes go into an unnamed
  O_TMPFILE in the target folder that only gets a name once complete. Where that is unavailable,
  and for the instant a replacement needs a name of its own, the random temporary name is first
  recorded in a per-process journal in the user's state folder; `clean_stale_temp_files()`, run at
  start-up, deletes what killed processes left behind. The journal holds only those random names.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import secrets
import stat
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

NEW_FILE_MODE = 0o644  # before the umask, as for any file the user saves
_TEMP_NAME = re.compile(r"\.handout-[0-9a-f]{32}\.tmp")
_USE_DIR_FD = os.name == "posix" and hasattr(os, "O_DIRECTORY") and os.open in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_RENAME_NOREPLACE, _RENAME_EXCHANGE = 1, 2  # Linux renameat2() flags
_MAX_JOURNAL_BYTES = 1024 * 1024
_STALE_NEW_JOURNAL_SECONDS = 60


class OutputExists(FileExistsError):
    """The output file exists and the caller did not ask to replace it."""


class OutputNotRegular(OSError):
    """The output path is a folder, link, pipe, device or socket: it is never written, even to replace it."""

    def __init__(self, path: Path, kind: str) -> None:
        self.path = Path(path)
        self.kind = kind
        super().__init__(f"'{path}' is {kind}, not an ordinary file, so it was not written")


def _kind(mode: int) -> str | None:
    """None for a regular file, else what the path is, in words."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _refuse(path: Path, existing: os.stat_result, replace: bool) -> None:
    kind = _kind(existing.st_mode)
    if kind is not None:
        raise OutputNotRegular(path, kind)
    if not replace:
        raise OutputExists(str(path))


def check_target(path: Path, *, replace: bool) -> None:
    """Check `path` before any work: OutputNotRegular unless it is a new name or a regular file,
    OutputExists if it is a file and `replace` is false. Looks with lstat only, never opens it.

    A missing folder passes (whoever creates the file reports it); other OSErrors (a name too long,
    no permission to look) are raised as they are.
    """
    path = Path(path)
    if path.name in ("", ".", ".."):
        raise OutputNotRegular(path, "a folder")
    try:
        existing = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return
    _refuse(path, existing, replace)


def write_atomically(path: Path, data: bytes, *, replace: bool = False) -> None:
    """Write `data` to `path` all at once; never a half-written file, never a silent overwrite.

    Raises OutputExists if the name is taken and `replace` is false, OutputNotRegular if the path is
    anything but a regular file (whatever `replace` says), or OSError if writing fails. Replacing keeps
    the old file's permission bits; a new file gets 0o644 less the umask.
    """
    path = Path(path)
    if path.name in ("", ".", ".."):
        raise OutputNotRegular(path, "a folder")
    folder = _Folder(path.parent if str(path.parent) else Path("."))
    try:
        _write(folder, path, data, replace)
    finally:
        folder.close()


def _write(folder: _Folder, path: Path, data: bytes, replace: bool) -> None:
    existing = folder.lstat(path.name)
    if existing is not None:
        _refuse(path, existing, replace)
    mode = (existing.st_mode & 0o777) if existing is not None else (NEW_FILE_MODE & ~_umask())
    fd = _open_unnamed(folder)
    try:
        if fd is not None:
            _fill(fd, data, mode, existing)
            if existing is None:
                try:
                    os.link(_proc_path(fd), path.name, dst_dir_fd=folder.fd, follow_symlinks=True)
                except FileExistsError:
                    existing = _appeared(folder, path, replace)
                else:
                    folder.sync()
                    return
        hidden = f".handout-{secrets.token_hex(16)}.tmp"
        with _JOURNAL.recorded(os.path.abspath(os.path.join(folder.path, hidden))):
            try:
                if fd is None:
                    named = folder.open_new(hidden)
                    try:
                        _fill(named, data, mode, existing)
                    finally:
                        os.close(named)  # before any rename or delete: Windows cannot do either to an open file
                else:
                    os.link(_proc_path(fd), hidden, dst_dir_fd=folder.fd, follow_symlinks=True)
                _commit(folder, path, hidden, existing, replace)
                folder.sync()
            finally:
                folder.unlink_quietly(hidden)  # after a swap this is the old file; after a failure, ours
    finally:
        if fd is not None:
            os.close(fd)


def _appeared(folder: _Folder, path: Path, replace: bool) -> os.stat_result:
    """The name was taken after the first check: what is there now, if it may be replaced."""
    if not replace:
        raise OutputExists(str(path))
    existing = folder.lstat(path.name)
    if existing is None:  # came and went again; give up rather than loop
        raise OutputExists(str(path))
    _refuse(path, existing, replace)
    return existing


def _commit(folder: _Folder, path: Path, hidden: str, existing: os.stat_result | None, replace: bool) -> None:
    """Give the finished temporary file `hidden` the final name."""
    if existing is None:
        if _place_new(folder, hidden, path.name):
            return
        existing = _appeared(folder, path, replace)
    try:
        swapped = folder.renameat2(hidden, path.name, _RENAME_EXCHANGE)
    except FileNotFoundError:
        swapped = False  # the old file went away meanwhile: a plain rename puts ours in its place
    if swapped:
        # `hidden` now names what was at the target. If that was swapped for a pipe, device or link
        # since the check, swap it back: the check and the replacement are then one step.
        old = folder.lstat(hidden)
        kind = _kind(old.st_mode) if old is not None else None
        if kind is not None:
            folder.renameat2(hidden, path.name, _RENAME_EXCHANGE)
            raise OutputNotRegular(path, kind)
        return
    folder.replace(hidden, path.name)


def _place_new(folder: _Folder, hidden: str, name: str) -> bool:
    """Give `hidden` the new name `name` unless it is taken (then False); never replaces anything."""
    try:
        folder.link(hidden, name)
        return True
    except FileExistsError:
        return False
    except OSError:
        pass  # filesystems without hard links (FAT, some shared drives): rename instead
    try:
        if folder.renameat2(hidden, name, _RENAME_NOREPLACE):
            return True
    except FileExistsError:
        return False
    if os.name == "nt":
        try:
            os.rename(folder.at(hidden), folder.at(name))  # Windows never replaces on rename
            return True
        except FileExistsError:
            return False
    # Last resort: the check and the rename are two steps, so a file made in between would be replaced.
    if folder.lstat(name) is not None:
        return False
    folder.replace(hidden, name)
    return True


def _fill(fd: int, data: bytes, mode: int, existing: os.stat_result | None) -> None:
    """Write all of `data`, give the file its owner and permissions, and flush it to disk."""
    _write_all(fd, data)
    if existing is not None and hasattr(os, "fchown"):
        try:
            os.fchown(fd, existing.st_uid, existing.st_gid)
        except OSError:
            with suppress(OSError):  # the replacement then belongs to whoever saved it, as with any editor
                os.fchown(fd, -1, existing.st_gid)  # keep at least the group, so a shared folder stays shared
    if hasattr(os, "fchmod"):
        os.fchmod(fd, mode)
    os.fsync(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _proc_path(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


def _open_unnamed(folder: _Folder) -> int | None:
    """An unnamed O_TMPFILE in the folder, or None where there is none (then a named file is used)."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or folder.fd is None or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(".", flag | os.O_WRONLY, 0o600, dir_fd=folder.fd)
    except OSError:
        return None  # this filesystem or kernel cannot make unnamed files


def _umask() -> int:
    """The process umask; read from /proc where possible, because setting it to read it is not thread-safe."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o077)
    os.umask(current)
    return current


class _Folder:
    """The output's folder. On POSIX it is opened once, so every step acts in the same folder even if
    a folder on its path is renamed or swapped for a link meanwhile."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = os.open(path, os.O_RDONLY | os.O_DIRECTORY) if _USE_DIR_FD else None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def at(self, name: str) -> str:
        """`name` as the path to give the os functions (relative to the open folder, or in full)."""
        return name if self.fd is not None else os.path.join(self.path, name)

    def lstat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(self.at(name), dir_fd=self.fd, follow_symlinks=False)
        except FileNotFoundError:
            return None

    def open_new(self, name: str) -> int:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY
        return os.open(self.at(name), flags, 0o600, dir_fd=self.fd)

    def link(self, source: str, name: str) -> None:
        os.link(self.at(source), self.at(name), src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def replace(self, source: str, name: str) -> None:
        os.replace(self.at(source), self.at(name), src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def unlink_quietly(self, name: str) -> None:
        """Delete a temporary file; a failure must not hide the error that brought us here."""
        with suppress(OSError):
            os.unlink(self.at(name), dir_fd=self.fd)

    def renameat2(self, source: str, name: str, flags: int) -> bool:
        """Linux renameat2(); False where the system or filesystem does not have it or the flag."""
        if self.fd is None or not sys.platform.startswith("linux"):
            return False
        import ctypes
        import errno

        function = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
        if function is None:
            return False
        if function(self.fd, os.fsencode(source), self.fd, os.fsencode(name), flags) == 0:
            return True
        code = ctypes.get_errno()
        if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            return False
        raise OSError(code, os.strerror(code), name)

    def sync(self) -> None:
        """Make the new name itself survive a power cut (not every filesystem can sync a folder)."""
        if self.fd is not None:
            with suppress(OSError):
                os.fsync(self.fd)


# -- the journal of named temporary files ------------------------------------------------------------


def journal_folder() -> Path:
    """Where the per-process journals live: the user's state folder (never anything but temp names)."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        xdg = os.environ.get("XDG_STATE_HOME", "")
        base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".local" / "state"
    return base / "handout-app" / "temp-journal"


def _try_lock(fd: int) -> bool:
    """Lock a journal without waiting. The system drops the lock when its process dies, however it dies,
    so a journal that can be locked belongs to a process that is gone."""
    try:
        if sys.platform == "win32":  # os.name == "nt", in the form mypy reads
            import msvcrt

            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


class _Journal:
    """This process's list of named temporary files that exist right now, kept on disk and locked."""

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None
        self._pid = 0
        self._entries: list[str] = []

    @contextmanager
    def recorded(self, temp: str) -> Iterator[None]:
        """Record `temp` before it is created and forget it after it is gone."""
        with self._mutex:
            self._entries.append(temp)
            self._save()
        try:
            yield
        finally:
            if not os.path.lexists(temp):  # one that could not be deleted stays listed for the next clean-up
                with self._mutex:
                    self._entries.remove(temp)
                    self._save()

    def _save(self) -> None:
        # Best effort: without a writable state folder saving still works, only a kill in the instant a
        # named temporary file exists could then leave it behind.
        try:
            fd = self._open()
            payload = "".join(json.dumps(entry) + "\n" for entry in self._entries).encode("utf-8")
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            _write_all(fd, payload)
            os.fsync(fd)
        except OSError:
            pass

    def _open(self) -> int:
        if self._fd is not None and self._pid == os.getpid():
            return self._fd
        if self._pid != os.getpid():
            self._fd, self._path = None, None  # a forked child keeps its own journal
        folder = journal_folder()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stem = f"{os.getpid()}-{secrets.token_hex(8)}"
        final = folder / f"{stem}.journal"
        # On POSIX it is made under another name and locked before it is a ".journal", so a clean-up in
        # another process never takes it for a dead one's. Windows cannot delete an open file anyway.
        made = final if os.name == "nt" else folder / f"{stem}.new"
        fd = os.open(made, os.O_RDWR | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o600)
        try:
            if not _try_lock(fd):
                raise OSError("the new journal could not be locked")
            if made != final:
                os.replace(made, final)
        except OSError:
            os.close(fd)
            made.unlink(missing_ok=True)
            raise
        if not self._pid:
            atexit.register(self._close)
        self._fd, self._path, self._pid = fd, final, os.getpid()
        return fd

    def _close(self) -> None:
        """At a normal exit: an empty journal is removed (one left by a kill is cleaned at the next start)."""
        if self._fd is None or self._pid != os.getpid():
            return
        os.close(self._fd)
        self._fd = None
        if not self._entries and self._path is not None:
            self._path.unlink(missing_ok=True)


_JOURNAL = _Journal()


def clean_stale_temp_files() -> int:
    """Delete temporary files left by processes killed while writing; returns how many. Never raises.

    Only journals whose process is gone are read, and only names of the random temporary form are deleted.
    """
    try:
        entries = list(os.scandir(journal_folder()))
    except OSError:
        return 0
    removed = 0
    for entry in entries:
        try:
            stale_new = (
                entry.name.endswith(".new")
                and time.time() - entry.stat(follow_symlinks=False).st_mtime > _STALE_NEW_JOURNAL_SECONDS
            )
        except OSError:
            continue
        if entry.name.endswith(".journal") or stale_new:
            removed += _clean_journal(Path(entry.path))
    return removed


def _clean_journal(journal: Path) -> int:
    try:
        fd = os.open(journal, os.O_RDWR | _NOFOLLOW | _BINARY)
    except OSError:
        return 0
    removed, remaining = 0, []
    try:
        if not _try_lock(fd):
            return 0  # its process is still running
        text = _read_up_to(fd, _MAX_JOURNAL_BYTES).decode("utf-8", errors="replace")
        for line in text.splitlines():
            try:
                temp = json.loads(line)
            except ValueError:
                continue
            if not isinstance(temp, str) or not _TEMP_NAME.fullmatch(os.path.basename(temp)):
                continue  # never delete anything but our own random temporary names
            try:
                os.unlink(temp)
                removed += 1
            except FileNotFoundError:
                pass
            except OSError:
                remaining.append(line)  # e.g. a read-only moment: try again at the next start
        if remaining:
            os.lseek(fd, 0, os.SEEK_SET)
            os.ftruncate(fd, 0)
            _write_all(fd, "".join(f"{line}\n" for line in remaining).encode("utf-8"))
        elif os.name != "nt":
            journal.unlink(missing_ok=True)
    except OSError:
        pass
    finally:
        os.close(fd)
    if not remaining and os.name == "nt":
        with suppress(OSError):
            journal.unlink(missing_ok=True)
    return removed


def _read_up_to(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = os.read(fd, min(65536, limit - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def free_name(path: Path) -> Path:
    """`path`, or with -2, -3 ... added before the suffix until no file of that name exists."""
    candidate, number = path, 2
    while candidate.exists() or candidate.is_symlink():
        candidate, number = path.with_name(f"{path.stem}-{number}{path.suffix}"), number + 1
    return candidate
