"""The figures `make bench` keeps: each benchmark calls `figure(...)` next to the line it prints, and
`bench/history.py` appends the run to `bench/history.csv` (with the date, commit, cores and load) and
prints the table the README shows. Outside `make bench` (no HANDOUT_BENCH_RESULTS), nothing is kept.
"""

from __future__ import annotations

import json
import os

RESULTS_ENV = "HANDOUT_BENCH_RESULTS"


def figure(name: str, value: float, unit: str, aim: str = "") -> None:
    """Keep one figure of this run (a median, a ratio or a count) with its unit and the aim it is held to."""
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as results:
        results.write(json.dumps({"name": name, "value": round(value, 3), "unit": unit, "aim": aim}) + "\n")
