"""A render worker for the cancel tests: a request whose id starts with "slow", or for a patient named
"Slow Render", spins in Python (as a long layout does) until it is cancelled, or for at most two minutes;
others render as the real worker does.
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


def handler(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    name = request.get("selection", {}).get("patient", {}).get("name")
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
