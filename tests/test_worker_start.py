"""The render worker's start: it says "ready" once WeasyPrint and the built-in content are loaded, and keeps
what it loaded out of the garbage collector's way, so that no collection during a render walks it again
(a render is about a tenth faster; `make bench` measures it)."""

from __future__ import annotations

import gc
import io
import json
import sys
import threading
from typing import Any

from handout_app import worker


def _never_called(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    raise AssertionError("no request was sent")


def test_the_worker_is_ready_with_what_it_loaded_frozen_out_of_garbage_collection() -> None:
    stdout = io.BytesIO()
    frozen_before = gc.get_freeze_count()
    # A thread, not this test's main thread, so the worker installs no signal handler here.
    serving = threading.Thread(target=worker.serve, args=(io.BytesIO(b""), stdout, _never_called))
    try:
        serving.start()
        serving.join(120)
        assert not serving.is_alive()  # its input closed at once, so it ended after saying ready
        assert gc.get_freeze_count() > frozen_before
        assert "weasyprint" in sys.modules
        stdout.seek(0)
        assert json.loads(worker.read_frame(stdout) or b"") == {"id": worker.READY_ID, "ok": True}
    finally:
        gc.unfreeze()
