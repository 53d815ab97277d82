"""A render worker that misbehaves on demand, for testing recovery: reads its mode from a file."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from handout_app import worker

MODE_FILE = Path(os.environ["FAULTY_WORKER_MODE_FILE"])


def handler(request: dict) -> tuple[dict, bytes]:
    mode = MODE_FILE.read_text().strip() if MODE_FILE.exists() else ""
    if mode == "hang":
        MODE_FILE.write_text("")  # only the first request hangs
        time.sleep(600)
    if mode == "crash":
        MODE_FILE.write_text("")
        os._exit(3)
    return worker.handle(request)


if __name__ == "__main__":
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    worker.serve(stdin, stdout, handler)
