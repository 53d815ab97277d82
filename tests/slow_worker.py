"""A render worker for the cancel tests: a request whose id starts with "slow", or for a patient named
"Slow Render", spins in Python (as a long layout does) until it is cancelled, or for at most two minutes;
one whose id starts with "finaliser" begins in an object's `__del__` (as WeasyPrint removes a font
folder there), where Python drops a raised exception: the finaliser works on until the cancel has been
delivered to it at least once (a minute at most), so the cancel meets a finaliser however late a busy
machine delivers it; the render then spins and finishes after 20 seconds unless cancelled. Others render
as the real worker does.
The file named by SLOW_WORKER_STARTED is written when a slow render is under way."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

from handout_app import worker

STARTED = Path(os.environ["SLOW_WORKER_STARTED"])
SLOW_NAME = "Slow Render"


class _SlowToDelete:
    """An object whose finaliser says the render has begun, then works until the worker's cancel signal
    has reached it (or a minute has passed). The worker's own handler still decides what to do with it."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id

    def __del__(self) -> None:
        worker_handler = signal.getsignal(signal.SIGINT)
        delivered: list[int] = []

        def count_then_pass_on(signum: int, frame: FrameType | None) -> None:
            delivered.append(signum)
            if callable(worker_handler):
                worker_handler(signum, frame)

        signal.signal(signal.SIGINT, count_then_pass_on)
        try:
            STARTED.write_text(self.request_id)
            end = time.monotonic() + 60
            while not delivered and time.monotonic() < end:
                pass
        finally:
            signal.signal(signal.SIGINT, worker_handler)


def handler(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    name = request.get("selection", {}).get("patient", {}).get("name")
    if str(request.get("id", "")).startswith("finaliser"):
        _SlowToDelete(str(request["id"]))  # dropped at once: its __del__ runs here, when the cancel comes
        end = time.monotonic() + 20
        while time.monotonic() < end:
            pass
        return {"id": request["id"], "ok": True, "error_kind": ""}, b"finished"
    if str(request.get("id", "")).startswith("slow") or name == SLOW_NAME:
        STARTED.write_text(str(request["id"]))
        end = time.monotonic() + 120
        while time.monotonic() < end:
            pass
        return {"id": request["id"], "ok": True, "error_kind": ""}, b"finished"
    return worker.handle(request)


if __name__ == "__main__":
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    worker.serve(stdin, stdout, handler)
