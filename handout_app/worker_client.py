"""The blocking client of the render worker, for callers without a Qt event loop (the CLI, check-templates).

Each `WorkerProcess` is one `python -m handout_app.worker` child: the memory limit is set inside it,
the time limit is kept here (a render that runs past it is killed), and the child gets a temp folder
of its own, removed when it stops, so a killed render leaves no files behind. The window uses the
same worker and protocol through gui/render_client.py.
"""

from __future__ import annotations

import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .limits import RENDER_TIME_LIMIT_S
from .worker import HEADER, READY_ID, read_frame

TEMP_PREFIX = "handout-worker-"
STARTUP_LIMIT_S = 120.0  # a cold start imports WeasyPrint and reads the content: seconds, not minutes


class WorkerUnavailable(RuntimeError):
    """The worker process could not be started."""


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
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


class WorkerProcess:
    """One render worker, used one request at a time."""

    def __init__(self, extra_env: dict[str, str] | None = None, *, wait: bool = True) -> None:
        """Start the worker; with `wait=False` its start-up (Python, WeasyPrint, the content) runs while the
        caller goes on, and the first `send()` waits for it (raising WorkerUnavailable if it never came)."""
        # `extra_env`: a reprint points the worker at the archived built-in files (resources.DATA_ROOT_ENV).
        self.extra_env = extra_env
        self._start(wait)

    def _start(self, wait: bool = True) -> None:
        self.stopped = False
        self._ready = False
        self.temp_dir = new_temp_dir()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "handout_app.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=worker_environment(self.temp_dir, self.extra_env),
            )
        except OSError as exc:
            shutil.rmtree(self.temp_dir, ignore_errors=True)
            raise WorkerUnavailable(f"the render process could not be started ({exc.strerror or exc})") from None
        self.job: tuple[str, float, float] | None = None  # (label, deadline, time limit)
        if wait:
            self._await_ready()

    def _await_ready(self) -> None:
        header = self._read(STARTUP_LIMIT_S)
        if header is None or json.loads(header[0]).get("id") != READY_ID:
            self.stop()
            raise WorkerUnavailable("the render process did not start; run `make test` to check the installation")
        self._ready = True

    @property
    def stdout(self) -> Any:
        """The pipe replies arrive on (for a selector over several workers)."""
        return self.process.stdout

    def send(self, payload: bytes, label: str = "", timeout: float = RENDER_TIME_LIMIT_S) -> None:
        """Send one request; the reply must arrive within `timeout` seconds."""
        if self.stopped:
            self._start()  # the last render was killed: a fresh process for this one
        elif not self._ready:
            self._await_ready()  # started with wait=False
        assert self.process.stdin is not None and self.job is None
        self.process.stdin.write(HEADER.pack(len(payload)) + payload)
        self.process.stdin.flush()
        self.job = (label, time.monotonic() + timeout, timeout)

    def receive(self) -> tuple[dict[str, Any], bytes]:
        """The reply to the request in flight (call when its pipe is readable, or to wait for it)."""
        assert self.job is not None
        _, deadline, limit = self.job
        frames = self._read(max(0.0, deadline - time.monotonic()))
        self.job = None
        if frames is None:
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

    def timed_out(self) -> tuple[str, dict[str, Any]] | None:
        """If the request in flight is past its deadline: kill it, start afresh, and say so."""
        if self.job is None or time.monotonic() < self.job[1]:
            return None
        label, _, limit = self.job
        self.job = None
        self.stop()
        return label, {"ok": False, "error_kind": "limit", "error": time_limit_message(limit)}

    def stop(self) -> None:
        """Kill the worker and remove its temp folder; the next send() starts a new one."""
        self.stopped = True
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def _read(self, timeout: float) -> tuple[bytes, bytes] | None:
        """Two frames (header and data) within `timeout` seconds, or None if the worker died or hung."""
        assert self.process.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            if not selector.select(timeout):
                return None
        try:
            header = read_frame(self.process.stdout)
            data = read_frame(self.process.stdout) if header is not None else None
        except ValueError:
            return None
        if header is None or data is None:
            return None
        return header, data
