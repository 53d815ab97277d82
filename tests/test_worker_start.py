"""The render worker's start: it says "ready" once WeasyPrint and the built-in content are loaded, and keeps
what it loaded out of the garbage collector's way, so that no collection during a render walks it again
(a render is about a tenth faster; `make bench` measures it). The collector, paused while these load, runs
again for the renders: a day of previews must not pile up their garbage."""

from __future__ import annotations

import gc
import json
import os
import sys
import threading
from typing import Any, BinaryIO

from handout_app import worker


def _collector_state(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    return {"id": request["id"], "ok": True, "collecting": gc.isenabled()}, b""


def _serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    try:
        worker.serve(stdin, stdout, _collector_state)
    finally:
        stdout.close()  # a worker that fails to start ends its replies: the test fails rather than waits


def test_the_worker_is_ready_with_what_it_loaded_frozen_and_renders_with_the_collector_running() -> None:
    request_read, request_write = os.pipe()
    reply_read, reply_write = os.pipe()
    frozen_before = gc.get_freeze_count()
    # The request pipe is closed first on the way out, whatever failed: the worker's reader then sees its input
    # end, and nothing waits for ever.
    with (
        open(request_read, "rb") as stdin,
        open(reply_write, "wb") as stdout,
        open(reply_read, "rb") as replies,
        open(request_write, "wb") as requests,
    ):
        # A thread, not this test's main thread, so the worker installs no signal handler here.
        serving = threading.Thread(target=_serve, args=(stdin, stdout), daemon=True)
        try:
            serving.start()
            assert json.loads(worker.read_frame(replies) or b"") == {"id": worker.READY_ID, "ok": True}
            assert worker.read_frame(replies) == b""
            assert gc.get_freeze_count() > frozen_before
            assert "weasyprint" in sys.modules
            worker.write_frame(requests, worker.encode_request("first", {}, None, "2026-12-07T09:00:00+00:00"))
            requests.flush()
            assert json.loads(worker.read_frame(replies) or b"") == {"id": "first", "ok": True, "collecting": True}
            requests.close()
            serving.join(120)
            assert not serving.is_alive()  # its input closed, so it ended
            assert gc.isenabled()
        finally:
            gc.unfreeze()
