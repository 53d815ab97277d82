"""A render worker for the cancel tests: a request whose id starts with "slow", or for a patient named
"Slow Render", spins in Python (as a long layout does) until it is cancelled, or for at most two minutes;
one whose id starts with "finaliser" spends nearly all its time in objects' `__del__` (as WeasyPrint
does when it removes a font folder), where Python drops a raised exception, and finishes after 20 seconds
unless cancelled; others render as the real worker does.
The file named by SLOW_WORKER_STARTED is written when a slow render is under way."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from handout_app import worker

STARTED = Path(os.environ["SLOW_WORKER_STARTED"])
SLOW_NAME = "Slow Render"


class _SlowToDelete:
    """An object whose finaliser takes 50 ms of Python work."""

    def __del__(self) -> None:
        end = time.monotonic() + 0.05
        while time.monotonic() < end:
            pass


def handler(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    name = request.get("selection", {}).get("patient", {}).get("name")
    if str(request.get("id", "")).startswith("finaliser"):
        STARTED.write_text(str(request["id"]))
        end = time.monotonic() + 20
        while time.monotonic() < end:
            _SlowToDelete()  # dropped at once: its __del__ runs here
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
