"""A render worker that misbehaves on demand, for testing recovery: reads its mode from a file.

Modes (each for the first request after it is written): "hang" sleeps (a newer request cancels it), "stuck"
sleeps through every cancel (as a render stuck in C code does) until it is killed, "crash" ends the process,
"crash-on-cancel" ends it when a newer request arrives. With FAULTY_WORKER_SEEN set, each request's id and
wording (clinic folder, built-in switch) are added to that file, one JSON line each.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path

from handout_app import worker

MODE_FILE = Path(os.environ["FAULTY_WORKER_MODE_FILE"])
SEEN_FILE = os.environ.get("FAULTY_WORKER_SEEN")


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
                time.sleep(600)
    if mode == "crash":
        os._exit(3)
    if mode == "crash-on-cancel":
        try:
            time.sleep(600)
        except BaseException:
            os._exit(3)
    return worker.handle(request)


if __name__ == "__main__":
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    worker.serve(stdin, stdout, handler)
