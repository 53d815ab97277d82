"""Benchmark: `handout-app check-templates examples/clinic`, wall time (median of 3). Prints, asserts nothing."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402 (bench/ is on the path only now)

RUNS = 3


def main() -> None:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", "handout_app", "check-templates", str(ROOT / "examples" / "clinic")],
            capture_output=True,
            text=True,
            timeout=900,
            cwd=ROOT,
        )
        times.append(time.perf_counter() - start)
        if result.returncode != 0:
            print(f"check-templates: the example clinic is not clean:\n{result.stdout[-2000:]}")
            return
    summary = next(line for line in result.stdout.splitlines() if line.startswith("Rendered"))
    figure("check-templates examples/clinic", statistics.median(times), "s", "<= 10 s")
    print(
        f"check-templates examples/clinic (median of {RUNS}, {os.cpu_count()} cores): {statistics.median(times):6.1f} s"
        f"   (aim <= 10 s)  {summary.split('. Every')[0]}, {summary.rsplit(';', 1)[-1].strip()}"
    )


if __name__ == "__main__":
    main()
