"""Talks to the render worker process from the GUI thread, without ever blocking it.

Only the newest request matters: a new request is sent while the worker is still rendering an older
one, and the worker abandons the older render for it (worker.serve), so typing never waits for a stale
sheet. At most two requests are with the worker at once; a newer one waits for a place, replacing any
waiting one. A reply for an older request is dropped, so a stale preview never replaces a newer one.
A render that runs past the time limit, or a worker that dies, is reported, and a fresh worker
is started for the next change.

An idle worker can be asked to warm up (warm_up): it makes one sheet, with the wording the nurse's sheets
use (the clinic's set or the built-in one), whose reply is dropped, so that the first preview the nurse asks
for finds the set loaded, its fonts and pictures read and its code warm. A warm-up that hangs, ends its
worker or runs out of memory never costs the nurse her sheet: a request she sent behind it is made all the
same (by a fresh worker where the old one had to go), nothing is said, and that client warms up no more (the
same sheet would fail again).

The worker is a plain child process (worker_client.spawn_worker), not a QProcess, so that the window can
start it before Qt is even loaded (window.py) and take it over here: its pipes are read and written by two
threads of this object's own, which hand what they read to the GUI thread as queued signals. Each
started worker has a number; anything a thread reports of an earlier worker, one that was dropped or
stopped, is ignored.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import struct
import subprocess
import threading
from dataclasses import dataclass
from typing import IO, Any

from PySide6.QtCore import QObject, QTimer, Signal, SignalInstance

from ..limits import RENDER_TIME_LIMIT_S
from ..worker import HEADER, READY_ID, encode_request
from ..worker_client import SpawnedWorker, WorkerUnavailable, clean_stale_temp_dirs, spawn_worker, worker_command

DEFAULT_TIMEOUT_MS = int(RENDER_TIME_LIMIT_S * 1000)
# A worker that dies before it is ready this many times in a row is not restarted again until the
# next change: a broken installation must not become an endless loop of restarts.
MAX_FAILED_STARTS = 3
# Requests with the worker at once: the one it renders and a newer one that cancels it. More would only
# queue stale requests behind the newest.
MAX_SENT = 2
# The ids of warm-up requests begin with this: their replies, and their failures, reach nobody.
WARM_UP_PREFIX = "warm-up-"
# How long a worker told to stop (its input closed) may take to end before it is killed, in seconds.
STOP_GRACE_S = 1.5
READ_CHUNK = 1 << 16


def _read_output(
    stream: IO[bytes], generation: int, arrived: SignalInstance, ended: SignalInstance, process: subprocess.Popen[bytes]
) -> None:
    """Reader thread: pass on what the worker writes, as it comes; once its output closes, its exit code."""
    with stream:
        while True:
            try:
                chunk = stream.read1(READ_CHUNK)  # type: ignore[attr-defined]  # a BufferedReader: whatever is there
            except (OSError, ValueError):
                chunk = b""
            try:
                if not chunk:
                    ended.emit(generation, process.wait())
                    return
                arrived.emit(generation, chunk)
            except RuntimeError:  # the window, and this client with it, is gone
                return


def _write_input(stream: IO[bytes], writes: queue.SimpleQueue[bytes | None]) -> None:
    """Writer thread: send each request as it is queued, so the window never waits on a full pipe; None
    closes the worker's input (it then ends)."""
    try:
        while (data := writes.get()) is not None:
            stream.write(data)
            stream.flush()
    except (OSError, ValueError):
        pass  # the worker has gone: the reader reports its end
    finally:
        with contextlib.suppress(OSError):  # closing flushes what a dead worker can no longer take
            stream.close()


@dataclass(frozen=True)
class RenderResult:
    """A finished preview."""

    request_id: str
    pdf: bytes
    warnings: tuple[str, ...]
    title: str
    wording: tuple[tuple[str, str], ...] = ()  # the wording set the worker used (for the record store)
    pages: int = 0  # the PDF's pages as the worker counted them (0: not counted)


class RenderClient(QObject):
    """Sends render requests to the worker; emits `finished` or `failed` for the newest one."""

    ready = Signal()
    finished = Signal(object)  # RenderResult
    failed = Signal(str, str)  # request id, plain message
    set_failed = Signal(str, str)  # request id, what is wrong in the clinic's template set (file, line)
    busy_changed = Signal(bool)
    # From the reader thread (queued to the GUI thread): the worker's number, and what it wrote or its exit code.
    _output_arrived = Signal(int, object)
    _worker_ended = Signal(int, int)

    def __init__(
        self,
        command: list[str] | None = None,
        timeout_ms: int = DEFAULT_TIMEOUT_MS,
        parent: QObject | None = None,
        started: SpawnedWorker | None = None,
    ) -> None:
        """`started`: a worker already started for this client (window.py starts it before Qt loads); the
        first start() takes it over instead of starting another."""
        super().__init__(parent)
        self._command = command or worker_command()
        self._timeout_ms = timeout_ms
        self._ids = itertools.count(1)
        self._process: SpawnedWorker | None = None
        self._started = started
        self._start_tried = False  # start() was called, whether or not the worker could start
        self._generation = 0
        self._writes: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._output_arrived.connect(self._on_output)
        self._worker_ended.connect(self._on_exit)
        self._buffer = bytearray()
        self._pending_header: dict[str, Any] | None = None
        self._ready = False
        # Requests with the worker (id and frame), oldest first; their replies come in this order.
        self._sent: list[tuple[str, bytes]] = []
        self._waiting: tuple[str, bytes] | None = None
        self._latest: str | None = None
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.timeout.connect(self._on_timeout)
        self.restarts = 0
        self._failed_starts = 0
        self._warm_up_failed = False  # a warm-up hung, ended its worker or ran out of memory: none is sent again
        # The id of the worker's last reply if it said the memory ran out. Where the system cannot cap a
        # process's memory (Windows), the worker then ends itself (worker.serve): an end the reply has said
        # already, with nothing sent after it started. (Elsewhere the worker goes on; should it end during
        # the next render, that render is made again by a fresh worker, once, before it is reported.)
        self._last_limit_reply: str | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker process (it announces itself with `ready`)."""
        self._start_tried = True
        self._ready = False
        self._buffer.clear()
        self._pending_header = None
        self._last_limit_reply = None
        self._generation += 1
        spawned, self._started = self._started, None
        if spawned is None:
            clean_stale_temp_dirs()  # folders of workers killed before they could tidy up
            try:
                spawned = spawn_worker(self._command)
            except WorkerUnavailable:
                self._process = None
                self._failed_starts = MAX_FAILED_STARTS  # the next request tries once more (request)
                # Said from the event loop, as a worker's other ends are: the window may still be connecting.
                QTimer.singleShot(0, self._report_failed_start)
                return
        self._process = spawned
        self._writes = queue.SimpleQueue()
        process = spawned.process
        assert process.stdin is not None and process.stdout is not None
        reader_args = (process.stdout, self._generation, self._output_arrived, self._worker_ended, process)
        threading.Thread(target=_read_output, args=reader_args, daemon=True).start()
        threading.Thread(target=_write_input, args=(process.stdin, self._writes), daemon=True).start()

    def stop(self) -> None:
        """Stop the worker for good (window closing): its input is closed and it ends by itself, or is killed.
        What was sent to it or waited for it gets no reply."""
        self._watchdog.stop()
        self._sent.clear()
        self._waiting = None
        self._generation += 1  # what its threads still report is ignored
        spawned, self._process = self._process, None
        if spawned is not None:
            self._writes.put(None)  # a ready worker ends once its input closes (after the sheet it is making)
            if self._ready:  # one still loading would not read its input before the grace ran out
                with contextlib.suppress(subprocess.TimeoutExpired):
                    spawned.process.wait(STOP_GRACE_S)
            spawned.kill()  # if it has not ended by now; its temp folder goes either way
        if self._started is not None:  # started for this client, never taken over: no thread has its pipes
            self._started.discard()
            self._started = None

    @property
    def has_started(self) -> bool:
        """Whether start() was called, whether or not the worker could start (a failed start is reported
        once, and tried again on the next request)."""
        return self._start_tried

    @property
    def is_ready(self) -> bool:
        return self._ready

    @property
    def is_running(self) -> bool:
        """Whether a worker process has been started (it may still be loading)."""
        return self._process is not None

    @property
    def has_requests_out(self) -> bool:
        """Whether a request is with the worker or waiting to be sent: a reply is still to come (a warm-up
        is not a request: no reply of it is ever given)."""
        return any(not _is_warm_up(request_id) for request_id, _ in self._sent) or (
            self._waiting is not None and not _is_warm_up(self._waiting[0])
        )

    @property
    def warming_up(self) -> bool:
        """Whether a warm-up sheet is with the worker or waiting to be sent."""
        return any(_is_warm_up(request_id) for request_id, _ in self._sent) or (
            self._waiting is not None and _is_warm_up(self._waiting[0])
        )

    def warm_up(self, selection: dict[str, Any], generated_at: str, clinic: str | None, builtin_only: bool) -> None:
        """Have an idle worker make `selection` and drop the sheet: a worker's first sheet takes about a third
        longer than the next (fonts, compiled templates, the layout code), and a clinic's first sheet after a
        built-in one a sixth to a quarter longer (its set, styles, logo). So the warm-up uses the wording the
        nurse's sheets will (`clinic`, `builtin_only`, as for `request`), and her first preview is the next.
        Nothing is shown or reported; a preview request replaces the warm-up before it is sent, and cancels
        it once it is with the worker."""
        if self._waiting is not None or self._sent or self._process is None or self._warm_up_failed:
            return
        request_id = f"{WARM_UP_PREFIX}{next(self._ids)}"
        self._waiting = (request_id, encode_request(request_id, selection, clinic, generated_at, builtin_only))
        self._send_next()

    # -- requests --------------------------------------------------------------------------
    def request(
        self,
        selection: dict[str, Any],
        clinic: str | None,
        generated_at: str,
        builtin_only: bool = False,
        clinic_overrides: dict[str, Any] | None = None,
        document_number: str = "",
    ) -> str:
        """Queue a render of `selection`; returns its id. Supersedes any request not yet started."""
        request_id = str(next(self._ids))
        payload = encode_request(
            request_id, selection, clinic, generated_at, builtin_only, clinic_overrides, document_number=document_number
        )
        self._latest = request_id
        self._waiting = (request_id, payload)
        if self._process is None and self._failed_starts >= MAX_FAILED_STARTS:
            self._failed_starts = MAX_FAILED_STARTS - 1  # one more try, then give up again
            self.start()
        self._send_next()
        return request_id

    def _send_next(self) -> None:
        if not self._ready or len(self._sent) >= MAX_SENT or self._waiting is None or self._process is None:
            return
        request_id, payload = self._waiting
        self._waiting = None
        self._sent.append((request_id, payload))
        self._writes.put(HEADER.pack(len(payload)) + payload)
        self._watchdog.start(self._timeout_ms)
        if not _is_warm_up(request_id):
            self.busy_changed.emit(True)

    # -- replies ---------------------------------------------------------------------------
    def _take_frame(self) -> bytes | None:
        if len(self._buffer) < HEADER.size:
            return None
        (size,) = struct.unpack_from(">I", self._buffer)
        if len(self._buffer) < HEADER.size + size:
            return None
        frame = bytes(self._buffer[HEADER.size : HEADER.size + size])
        del self._buffer[: HEADER.size + size]
        return frame

    def _on_output(self, generation: int, chunk: bytes) -> None:
        if generation != self._generation or self._process is None:
            return  # an earlier worker's last words
        self._buffer.extend(chunk)
        while True:
            frame = self._take_frame()
            if frame is None:
                return
            if self._pending_header is None:
                self._pending_header = json.loads(frame)
                continue
            header, self._pending_header = self._pending_header, None
            self._on_reply(header, frame)

    def _on_reply(self, header: dict[str, Any], pdf: bytes) -> None:
        if header.get("id") == READY_ID:
            self._ready = True
            self._failed_starts = 0
            self.ready.emit()
            self._send_next()
            return
        request_id = str(header.get("id"))
        self._sent = [(sent_id, payload) for sent_id, payload in self._sent if sent_id != request_id]
        self._last_limit_reply = request_id if header.get("error_kind") == "limit" else None
        if self._last_limit_reply is not None and _is_warm_up(request_id):
            self._warm_up_failed = True  # the same sheet would run out of memory again
        if self._sent:
            self._watchdog.start(self._timeout_ms)  # the next request's render starts now
        else:
            self._watchdog.stop()
        if header.get("error_kind") == "cancelled":
            pass  # a newer request replaced it; that one's reply follows
        elif request_id == self._latest:  # replies to superseded requests are dropped
            if header.get("ok"):
                self.finished.emit(
                    RenderResult(
                        request_id,
                        pdf,
                        tuple(header.get("warnings", [])),
                        header.get("title", ""),
                        tuple(sorted((header.get("wording") or {}).items())),
                        int(header.get("pages") or 0),
                    )
                )
            elif header.get("set_error"):
                self.set_failed.emit(request_id, header.get("error") or "The clinic's template set has a problem.")
            else:
                self.failed.emit(request_id, header.get("error") or "The preview could not be made.")
        if not _is_warm_up(request_id):  # a warm-up never made the window busy
            self.busy_changed.emit(self.has_requests_out)
        self._send_next()

    # -- faults ----------------------------------------------------------------------------
    def _drop_process(self) -> None:
        """Forget the current worker (killing it if it still runs) and any render in flight."""
        self._watchdog.stop()
        self._sent.clear()
        self._generation += 1  # what its threads still report is ignored
        spawned, self._process = self._process, None
        if spawned is not None:
            self._writes.put(None)  # its writer thread ends too
            spawned.kill()

    @property
    def _rendering_warm_up(self) -> bool:
        """Whether the render the worker is on (the oldest sent) is a warm-up: nothing of the nurse's has
        started."""
        return bool(self._sent) and _is_warm_up(self._sent[0][0])

    def _restart(self, message: str, hers: bool) -> None:
        """Start a fresh worker after the current one hung or ended. `hers`: the fault was the nurse's render's,
        and `message` says so. Otherwise (a warm-up's, or an end the worker's last reply announced) nothing is
        said: none of her requests had started, and her newest goes to the fresh worker."""
        failed_id = self._sent[-1][0] if self._sent else self._latest or ""
        if not hers:
            nurse_sent = [entry for entry in self._sent if not _is_warm_up(entry[0])]
            if self._waiting is None and nurse_sent:  # one waiting to be sent is newer still
                self._waiting = nurse_sent[-1]
        self._drop_process()
        self.restarts += 1
        self.busy_changed.emit(self.has_requests_out)
        if hers:
            self.failed.emit(failed_id, message)
        self.start()

    def _on_timeout(self) -> None:
        seconds = self._timeout_ms / 1000
        hers = not self._rendering_warm_up
        if hers:
            self._waiting = None  # do not re-send the request that hung; the next change renders again
        else:
            self._warm_up_failed = True  # the same sheet would hang again
        self._restart(
            f"The preview took longer than {seconds:g} seconds and was stopped. Change anything to try again.",
            hers,
        )

    def _on_exit(self, generation: int, _exit_code: int) -> None:
        if generation != self._generation:
            return  # a worker dropped or stopped on purpose
        if self._rendering_warm_up:
            self._warm_up_failed = True  # the same sheet would end its worker again
        hers = not (self._rendering_warm_up or self._last_limit_reply is not None)
        if hers:
            self._waiting = None
        if not self._ready:
            self._failed_starts += 1
            if self._failed_starts >= MAX_FAILED_STARTS:
                self._give_up()
                return
        self._restart(
            "The preview engine stopped unexpectedly and has been restarted. Change anything to try again.",
            hers,
        )

    def _give_up(self) -> None:
        """Stop restarting; the next request tries once more."""
        self._drop_process()
        self.busy_changed.emit(False)
        self.failed.emit(
            self._latest or "",
            f"The preview engine stopped {MAX_FAILED_STARTS} times while starting. Change anything to try again; "
            "if it keeps happening, close the app and reinstall it.",
        )

    def _report_failed_start(self) -> None:
        self._waiting = None  # no worker will take it
        self.busy_changed.emit(False)
        self.failed.emit(self._latest or "", "The preview engine could not start. Reinstall the application.")


def _is_warm_up(request_id: str) -> bool:
    return request_id.startswith(WARM_UP_PREFIX)
