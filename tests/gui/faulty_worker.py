"""A render worker that misbehaves on demand, for testing recovery: reads its mode from a file.

Modes (each for the first request after it is written):
- "hang" sleeps ten minutes in one call (the worker's cancel is taken between two Python steps, so none
  reaches it);
- "stuck" sleeps in short steps and swallows every cancel (as a render stuck in C code ignores them) until
  it is killed;
- "crash" ends the process; "crash-on-cancel" ends it when a newer request arrives;
- "limit-then-end" answers that the memory ran out and ends after the reply (as the memory watchdog makes a
  worker do where the system cannot cap its memory, worker.serve); "limit-and-end" does so when a newer
  request arrives.
With FAULTY_WORKER_SEEN set, each request's id and wording (clinic folder, built-in switch) are added to
that file, one JSON line each; with FAULTY_WORKER_EVENTS set, the lines "waiting" (a mode sleeps until a
cancel, from now on) and "cancel reached" go to that file.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import BinaryIO

from handout_app import worker

MODE_FILE = Path(os.environ["FAULTY_WORKER_MODE_FILE"])
SEEN_FILE = os.environ.get("FAULTY_WORKER_SEEN")
EVENTS_FILE = os.environ.get("FAULTY_WORKER_EVENTS")


def _event(line: str) -> None:
    if EVENTS_FILE:
        with open(EVENTS_FILE, "a", encoding="utf-8") as events:
            events.write(line + "\n")


class _EndsAfterReply:
    """The worker's output: once a reply is flushed while `ending` is set, the process ends."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.ending = False

    def write(self, data: bytes) -> int:
        return self.stream.write(data)

    def flush(self) -> None:
        self.stream.flush()
        if self.ending:
            os._exit(0)


OUTPUT = _EndsAfterReply(sys.stdout.buffer)


def _sleep_until_cancelled() -> None:
    """Sleep in short steps until the worker's cancel arrives, and raise it: the cancel
    (worker._interrupt_until_stopped) is taken between two Python steps, and one long sleep would hold it
    off to its end."""
    try:
        # Inside the try: a cancel that comes while the line is written is still heard (the test waits for the
        # whole line, but a loaded machine can hold this process at any step).
        _event("waiting")
        while True:
            time.sleep(0.01)
    except BaseException:
        _event("cancel reached")
        raise


def handler(request: dict) -> tuple[dict, bytes]:
    if SEEN_FILE:
        with open(SEEN_FILE, "a", encoding="utf-8") as seen:
            wording = {key: request.get(key) for key in ("id", "clinic", "builtin_only")}
            seen.write(json.dumps(wording) + "\n")
    mode = MODE_FILE.read_text().strip() if MODE_FILE.exists() else ""
    if mode:
        MODE_FILE.write_text("")  # only the first request misbehaves
    if mode == "hang":
        time.sleep(600)
    if mode == "stuck":
        while True:
            with contextlib.suppress(BaseException):
                _sleep_until_cancelled()
    if mode == "crash":
        os._exit(3)
    if mode == "crash-on-cancel":
        try:
            _sleep_until_cancelled()
        except BaseException:
            os._exit(3)
    if mode in ("limit-and-end", "limit-then-end"):
        # All made before the sleep: the cancel is delivered again every 10 ms until the render returns, and
        # one taken after the sleep would turn this reply into "cancelled".
        limit = {"id": request.get("id"), "ok": False, "error_kind": "limit", "error": worker.memory_limit_message()}
        OUTPUT.ending = True
        if mode == "limit-and-end":
            with contextlib.suppress(BaseException):
                _sleep_until_cancelled()
        return limit, b""
    return worker.handle(request)


if __name__ == "__main__":
    stdin = sys.stdin.buffer
    sys.stdout = sys.stderr
    worker.serve(stdin, OUTPUT, handler)  # type: ignore[arg-type]  # writes and flushes as a BinaryIO does
