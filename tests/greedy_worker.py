"""A render worker started as on Windows: without the `resource` module, so its memory limit is kept by the
watchdog thread (worker._MemoryWatch), here at GREEDY_WORKER_LIMIT_MB. A request's selection
{"allocate_mb": N} makes it take N MB in small steps in Python, as a runaway template does, and answer ok
once it holds them all."""

from __future__ import annotations

import os
import sys
from typing import Any

import psutil  # noqa: F401 (loaded first: on Linux it uses `resource` itself)

sys.modules["resource"] = None  # type: ignore[assignment]  # `import resource` now fails, as on Windows

from handout_app import limits, worker  # noqa: E402 (after the module above is hidden)

MB = 1024 * 1024
STEP_MB = 4


def handler(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    held = [b"\x01" * (STEP_MB * MB) for _ in range(int(request["selection"]["allocate_mb"]) // STEP_MB)]
    return {"id": request["id"], "ok": True, "error_kind": "", "held_mb": len(held) * STEP_MB}, b"held"


if __name__ == "__main__":
    limits.RENDER_MEMORY_LIMIT_BYTES = int(os.environ["GREEDY_WORKER_LIMIT_MB"]) * MB
    worker.handle = handler
    worker.main()
