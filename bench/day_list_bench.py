"""Benchmark: a 40-row day list made with one render worker and with one per core (handout-app batch's
code path, without writing files). Prints figures, asserts nothing."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402 (bench/ is on the path only now)

sys.path.insert(0, str(ROOT))
ROWS = 40


def main() -> None:
    from handout_app.batch import default_workers, make_handouts
    from handout_app.catalog import load_catalog
    from handout_app.day_list import check_rows
    from handout_app.limits import RENDER_MEMORY_LIMIT_BYTES

    sides = ("left", "right", "bilateral")
    table = [
        (
            n + 2,
            {
                "name": f"Bench Patient {n:02d}",
                "target": ("joint", "trochanteric", "iliopsoas", "periarticular")[n % 4],
                "medications": ("corticosteroid", "hyaluronic-acid", "anesthetic", "prp")[n % 4],
                "guidance": "ultrasound",
                "side": sides[n % 3],
                "language": "es" if n % 5 == 0 else "en",
            },
        )
        for n in range(ROWS)
    ]
    rows = check_rows(table, load_catalog())
    assert all(row.selection is not None for row in rows), [row.problems for row in rows if row.problems]
    cores = default_workers()
    seconds = {}
    for workers in (1, cores):
        start = time.perf_counter()
        outcome = make_handouts(rows, None, workers=workers)
        seconds[workers] = time.perf_counter() - start
        assert len(outcome.made) == ROWS, outcome.failed
    figure(f"day list, {ROWS} rows, {cores} workers", seconds[cores], "s")
    figure(f"day list speed-up, {cores} workers against 1", seconds[1] / seconds[cores], "x", ">= 1.8x on 2 cores")
    print(f"day list, {ROWS} rows, 1 worker:        {seconds[1]:6.1f} s  ({ROWS / seconds[1]:.1f} handouts/s)")
    print(
        f"day list, {ROWS} rows, {cores} workers ({cores} cores): "
        f"{seconds[cores]:6.1f} s  ({ROWS / seconds[cores]:.1f} handouts/s)"
        f"   speed-up {seconds[1] / seconds[cores]:.2f}x (aim >= 1.8x on 2 cores); "
        f"each worker capped at {RENDER_MEMORY_LIMIT_BYTES / 2**30:.0f} GB (limits.py), load {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
