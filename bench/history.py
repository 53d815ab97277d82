"""Append one `make bench` run to bench/history.csv and print it as the README's table.

Usage: python bench/history.py RESULTS.jsonl   (the figures bench/figures.py collected in this run)
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

HISTORY = Path(__file__).resolve().parent / "history.csv"
COLUMNS = ("date", "commit", "cores", "load", "figure", "value", "unit", "aim")


def _shown(value: float) -> str:
    """Three significant figures, but never in exponent form (1339 ms, not 1.34e+03 ms)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def main() -> None:
    """Read the run's figures, append them to the history, print the Markdown table."""
    results = Path(sys.argv[1])
    figures = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    commit = (
        subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HISTORY.parent
        ).stdout.strip()
        or "unknown"
    )
    when = dt.datetime.now().astimezone().isoformat(timespec="minutes")
    cores, load = os.cpu_count() or 1, f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""
    new_file = not HISTORY.exists()
    with HISTORY.open("a", newline="", encoding="utf-8") as history:
        writer = csv.writer(history)
        if new_file:
            writer.writerow(COLUMNS)
        for item in figures:
            writer.writerow((when, commit, cores, load, item["name"], item["value"], item["unit"], item["aim"]))
    print(f"\n{len(figures)} figures appended to {HISTORY.name} ({when}, {commit}, {cores} cores, load {load}):\n")
    print("| Figure | Value | Aim |")
    print("|---|---|---|")
    for item in figures:
        print(f"| {item['name']} | {_shown(item['value'])} {item['unit']} | {item['aim']} |")


if __name__ == "__main__":
    main()
