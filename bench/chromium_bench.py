"""Benchmark: a cold `handout-app render` of the standard sheet against headless Chromium printing the
same HTML to PDF, side by side in one run (wall time, median of 5, runs alternating), and the two PDFs'
sizes. Prints, asserts nothing.

A third program in the same runs shows how low a cold WeasyPrint render can go at all: a fresh Python that
loads WeasyPrint (as the worker does, weasyprint_import.py) and writes the same HTML as an untagged PDF,
nothing else (no content, no checks, no worker, no record). What the CLI takes beyond it is the app's own
cost; while this floor alone is slower than Chromium, no change to the app can meet the CLI aim.

Chromium comes from Debian's `chromium` package (`make bench` installs it through .ci/system-deps.sh
--bench); without it this benchmark says so and keeps no figure.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402 (bench/ is on the path only now)

RUNS = 5
# The standard sheet of the other benchmarks: the longest procedure, no patient factors, A4.
SHEET = [
    "--target", "joint", "--medication", "anesthetic", "--medication", "corticosteroid", "--intent", "both",
    "--guidance", "fluoroscopy", "--contrast", "--side", "right", "--patient-name", "Bench Patient",
]  # fmt: skip
# As the machine's own probe starts it: without the background-networking flags Chromium keeps trying
# to reach Google's servers, which a clinic network (and this one) refuses.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-pdf-header-footer",
]  # fmt: skip


# The least any cold WeasyPrint program does: start Python, load WeasyPrint, render the HTML, write the PDF,
# and end without the interpreter's search for reference cycles on the way out (gc.freeze, as the CLI ends).
FLOOR = f"""
import gc, sys
sys.path.insert(0, {str(ROOT)!r})
from handout_app.weasyprint_import import import_weasyprint
import_weasyprint().HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])
gc.freeze()
"""


def _timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, timeout=300, env=env)
    return time.perf_counter() - start


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("CLI render vs Chromium: skipped, Chromium is not installed (sudo apt-get install chromium)")
        return
    cli = [sys.executable, "-m", "handout_app", "render", *SHEET, "--force"]
    with tempfile.TemporaryDirectory() as folder:
        # The sheets are recorded as a real render's are, in a record store of their own, not the user's.
        env = {**os.environ, "XDG_DATA_HOME": str(Path(folder) / "data")}
        html, ours, theirs = Path(folder) / "sheet.html", Path(folder) / "ours.pdf", Path(folder) / "chromium.pdf"
        make_html = [*cli, "--format", "html", "--output", str(html)]
        subprocess.run(make_html, check=True, capture_output=True, cwd=ROOT, env=env)
        chromium_command = [
            chromium, *CHROMIUM_FLAGS, f"--user-data-dir={Path(folder) / 'profile'}",
            f"--print-to-pdf={theirs}", html.as_uri(),
        ]  # fmt: skip
        _timed(chromium_command, env)  # the first start creates Chromium's profile folder; not counted
        floor_command = [sys.executable, "-c", FLOOR, str(html), str(Path(folder) / "floor.pdf")]
        ours_s, theirs_s, floor_s = [], [], []
        for _ in range(RUNS):  # alternating, so a change in the machine's load touches all three alike
            ours_s.append(_timed([*cli, "--output", str(ours)], env))
            theirs_s.append(_timed(chromium_command, env))
            floor_s.append(_timed(floor_command, env))
        ours_median, theirs_median = statistics.median(ours_s), statistics.median(theirs_s)
        floor_median = statistics.median(floor_s)
        size_ratio = ours.stat().st_size / theirs.stat().st_size
        pages = subprocess.run(["pdfinfo", str(ours)], capture_output=True, text=True).stdout
        page_count = next((line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:")), "?")
        figure("cold CLI render", ours_median * 1000, "ms")
        figure("headless Chromium, same HTML", theirs_median * 1000, "ms")
        figure("cold CLI render / Chromium", ours_median / theirs_median, "x", "<= 1.0x")
        figure("PDF size / Chromium's", size_ratio, "x", "<= 0.5x")
        figure("cold WeasyPrint alone (load + render + write) / Chromium", floor_median / theirs_median, "x")
        figure("cold CLI render / cold WeasyPrint alone", ours_median / floor_median, "x")
        print(
            f"cold CLI render of the {page_count}-page standard sheet (median of {RUNS}): "
            f"{ours_median * 1000:8.1f} ms; "
            f"headless Chromium printing the same HTML: {theirs_median * 1000:8.1f} ms; "
            f"ratio {ours_median / theirs_median:.2f}x (aim <= 1.0x)"
        )
        print(
            f"cold WeasyPrint alone, same HTML (load, render, write; median of {RUNS}): {floor_median * 1000:8.1f} ms; "
            f"{floor_median / theirs_median:.2f}x Chromium (the least a cold WeasyPrint render takes); "
            f"the CLI takes {ours_median / floor_median:.2f}x that"
        )
        print(
            f"PDF size: ours {ours.stat().st_size / 1024:.0f} KB, Chromium's {theirs.stat().st_size / 1024:.0f} KB, "
            f"ratio {size_ratio:.2f}x (aim <= 0.5x)"
        )


if __name__ == "__main__":
    main()
