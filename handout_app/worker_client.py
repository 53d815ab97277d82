"""The blocking client of the render worker, for callers without a Qt event loop (the CLI, check-templates,
a day list), and the command that starts a worker for every caller (`worker_command`).

Each `WorkerProcess` is one worker child: the memory limit is set inside it, the time limit is kept here
(a render that runs past it is killed), and the child gets a temp folder of its own, removed when it
stops, so a killed render leaves no files behind. Replies are read by a thread of the client's own and
handed over through a queue, because waiting on a pipe with a time limit (select) works only for
sockets on Windows. A `WorkerProcess` is used by one thread at a time; callers that want several
renders at once (check-templates, a day list) run one per thread. The window uses the same worker and
protocol through gui/render_client.py.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .limits import RENDER_TIME_LIMIT_S
from .worker import HEADER, READY_ID, read_frame

TEMP_PREFIX = "handout-worker-"
KILL_WAIT_S = 1.5  # how long to wait for a killed worker to be gone, in seconds
STARTUP_LIMIT_S = 120.0  # a cold start imports WeasyPrint and reads the content: seconds, not minutes
# The argument that makes a frozen bundle's program serve as a render worker (cli.main answers it).
WORKER_ARGUMENT = "worker"


def worker_command() -> list[str]:
    """The command that starts a render worker, for every caller (the window, the CLI, check-templates, a day list).

    From a checkout or an installed wheel it is this Python with `-m handout_app.worker`. Inside a frozen
    bundle (PyInstaller) `sys.executable` is the bundle's own program, which has no `-m`: it is started
    with the `worker` argument instead."""
    if getattr(sys, "frozen", False):
        return [sys.executable, WORKER_ARGUMENT]
    return [sys.executable, "-m", "handout_app.worker"]


class WorkerUnavailable(RuntimeError):
    """The worker process could not be started."""


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process there, not test it
        import psutil

        return bool(psutil.pid_exists(pid))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or this platform cannot tell: leave it alone
    return True


def clean_stale_temp_dirs() -> None:
    """Remove worker temp folders whose owning process has gone (it was killed before it could)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        try:
            owner = int(folder.name[len(TEMP_PREFIX) :].split("-")[0])
        except ValueError:
            continue
        if folder.is_dir() and not folder.is_symlink() and not _pid_alive(owner):
            shutil.rmtree(folder, ignore_errors=True)


def worker_environment(temp_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: everything as now, but temp files go to its own folder (and `extra`)."""
    return {**os.environ, "TMPDIR": str(temp_dir), "TEMP": str(temp_dir), "TMP": str(temp_dir), **(extra or {})}


def new_temp_dir() -> Path:
    """A fresh temp folder for one worker, named after this process so a later start can tidy it."""
    return Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))


def time_limit_message(seconds: float) -> str:
    """What the user reads when a render is stopped by the time limit."""
    return (
        f"The render took longer than {seconds:g} seconds and was stopped. "
        "A loop or macro in the clinic's templates may never end."
    )


# Keeps a worker started from the window (pythonw, or the bundle's windowed program) from opening a console.
if sys.platform == "win32":
    _CREATION_FLAGS = subprocess.CREATE_NO_WINDOW
else:
    _CREATION_FLAGS = 0

Frames = tuple[bytes, bytes]


def _read_replies(stream: IO[bytes], replies: queue.SimpleQueue[Frames | None]) -> None:
    """Reader thread: pass each reply (header and data frame) on; None once the worker has gone."""
    while True:
        try:
            header = read_frame(stream)
            data = read_frame(stream) if header is not None else None
        except (ValueError, OSError):  # a frame too large, or the pipe closed by stop()
            header = data = None
        if header is None or data is None:
            replies.put(None)
            return
        replies.put((header, data))


@dataclass(frozen=True)
class SpawnedWorker:
    """A worker child just started, with the temp folder of its own that goes when it stops."""

    process: subprocess.Popen[bytes]
    temp_dir: Path

    def kill(self) -> None:
        """Kill it (if it still runs), wait for it and remove its temp folder. Its pipes are left to whoever
        reads and writes them."""
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):  # killed, but not yet reaped by the system
            self.process.wait(KILL_WAIT_S)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def discard(self) -> None:
        """Kill a worker nobody has taken over, and close its pipes too."""
        self.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def spawn_worker(command: list[str] | None = None, extra_env: dict[str, str] | None = None) -> SpawnedWorker:
    """Start a worker (`command`, or worker_command()) with pipes for frames on stdin and stdout and its own
    temp folder; it announces itself with a "ready" reply. Raises WorkerUnavailable when it cannot start."""
    try:
        temp_dir = new_temp_dir()
    except OSError as exc:  # the temp folder is full or not writable
        raise WorkerUnavailable(f"the render process has no temp folder ({exc.strerror or exc})") from None
    try:
        process = subprocess.Popen(
            command or worker_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # never read: a library's message could hold what was typed
            env=worker_environment(temp_dir, extra_env),
            creationflags=_CREATION_FLAGS,
        )
    except OSError as exc:
        shutil.rmtree(temp_dir, ignore_errors=True)
        raise WorkerUnavailable(f"the render process could not be started ({exc.strerror or exc})") from None
    return SpawnedWorker(process, temp_dir)


class WorkerProcess:
    """One render worker, used one request at a time."""

    def __init__(
        self, extra_env: dict[str, str] | None = None, *, wait: bool = True, command: list[str] | None = None
    ) -> None:
        """Start the worker; with `wait=False` its start-up (Python, WeasyPrint, the content) runs while the
        caller goes on, and the first `send()` waits for it (raising WorkerUnavailable if it never came).
        `command` replaces worker_command() (tests start workers that misbehave on purpose)."""
        # `extra_env`: a reprint points the worker at the archived built-in files (resources.DATA_ROOT_ENV).
        self.extra_env = extra_env
        self.command = command or worker_command()
        self._start(wait)

    def _start(self, wait: bool = True) -> None:
        self.stopped = False
        self._ready = False
        self._spawned = spawn_worker(self.command, self.extra_env)
        self.process, self.temp_dir = self._spawned.process, self._spawned.temp_dir
        assert self.process.stdout is not None
        self._replies: queue.SimpleQueue[Frames | None] = queue.SimpleQueue()
        threading.Thread(target=_read_replies, args=(self.process.stdout, self._replies), daemon=True).start()
        self.job: tuple[str, float, float] | None = None  # (label, deadline, time limit)
        self.outstanding = 0  # replies still to come for the request in flight (a batch has several)
        if wait:
            self._await_ready()

    def _await_ready(self) -> None:
        header = self._read(STARTUP_LIMIT_S)
        if header is None or json.loads(header[0]).get("id") != READY_ID:
            self.stop()
            raise WorkerUnavailable("the render process did not start; run `make test` to check the installation")
        self._ready = True

    def send(self, payload: bytes, label: str = "", timeout: float = RENDER_TIME_LIMIT_S, replies: int = 1) -> None:
        """Send one request; the reply must arrive within `timeout` seconds. A batch (worker.encode_batch)
        of `replies` requests is answered one reply at a time, each within `timeout` seconds of the one
        before, so every render in it is held to the time limit on its own."""
        if self.stopped or self.process.poll() is not None:
            if not self.stopped:
                self.stop()  # it ended after its last reply (a worker over its memory limit does)
            self._start()  # the last render was killed: a fresh process for this one
        elif not self._ready:
            self._await_ready()  # started with wait=False
        assert self.process.stdin is not None and self.job is None
        self.job = (label, time.monotonic() + timeout, timeout)
        self.outstanding = replies
        try:
            self.process.stdin.write(HEADER.pack(len(payload)) + payload)
            self.process.stdin.flush()
        except OSError:
            pass  # it died just now: receive() finds the pipe closed and says so

    def receive(self) -> tuple[dict[str, Any], bytes]:
        """Wait for the (next) reply to the request in flight, or for its time limit (then the worker is
        killed, and a batch's later requests get no reply: the caller sends them again)."""
        assert self.job is not None
        label, deadline, limit = self.job
        frames = self._read(max(0.0, deadline - time.monotonic()))
        self.outstanding -= 1
        # The next render of a batch began as this reply was written: it has the whole time limit.
        self.job = (label, time.monotonic() + limit, limit) if frames is not None and self.outstanding > 0 else None
        if frames is None:
            self.outstanding = 0
            self.stop()
            if time.monotonic() >= deadline:
                return {"ok": False, "error_kind": "limit", "error": time_limit_message(limit)}, b""
            return {
                "ok": False,
                "error_kind": "limit",
                "error": (
                    "The render process stopped (it may have run out of memory). "
                    "Check the clinic's templates for a loop or repeat that makes huge text."
                ),
            }, b""
        return json.loads(frames[0]), frames[1]

    def render(self, payload: bytes, timeout: float = RENDER_TIME_LIMIT_S) -> tuple[dict[str, Any], bytes]:
        """Send one request and wait for its reply, or for the time limit."""
        self.send(payload, timeout=timeout)
        return self.receive()

    def stop(self) -> None:
        """Kill the worker and remove its temp folder; the next send() starts a new one."""
        self.stopped = True
        self.job, self.outstanding = None, 0
        self._spawned.discard()  # closing its output also ends the reader thread, if it still waits

    def _read(self, timeout: float) -> Frames | None:
        """Two frames (header and data) within `timeout` seconds, or None if the worker died or hung."""
        try:
            return self._replies.get(timeout=timeout)
        except queue.Empty:
            return None
