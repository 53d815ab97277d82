"""A render worker for the cancel tests: a request whose id starts with "slow", or for a patient named
"Slow Render", spins in Python (as a long layout does) until it is cancelled, or for at most two minutes;
one whose id starts with "finaliser" begins in an object's `__del__` (as WeasyPrint removes a font
folder there), where Python drops a raised exception, then spins and finishes after 20 seconds unless
cancelled; others render as the real worker does.
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
    """An object whose finaliser says the render has begun, then takes a second of Python work."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id

    def __del__(self) -> None:
        STARTED.write_text(self.request_id)
        end = time.monotonic() + 1
        while time.monotonic() < end:
            pass


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
