"""Pages and words for every procedure on both papers: prints a table, asserts nothing.

Each of check-templates' procedures (every target x guidance x medication mix) is rendered with the
built-in wording, RIGHT side (or both hips), with no patient factors and with every factor and allergy
(the longest sheet), in standard and large print, on A4 and Letter. Run with `make bench` or on its own:

    python bench/pages_words.py            # English
    python bench/pages_words.py --language es
    python bench/pages_words.py --side bilateral  # both hips: two drawings, a diary column for each hip
    python bench/pages_words.py --details  # one line per sheet as well
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from figures import figure  # noqa: E402 (bench/ is on the path only now)

sys.path.insert(0, str(ROOT))

from handout_app.check_plan import FACTOR_SETS, procedures  # noqa: E402
from handout_app.domain import Intent, Medication, Paper, PatientFactors, Side  # noqa: E402

FACTOR_CHOICES = (("no factors", PatientFactors()), FACTOR_SETS[-1])


def _measure(job: tuple[str, str, bool, str, int, str]) -> tuple[str, str, bool, str, int, int, float]:
    """Render one sheet in this worker process; return its pages, words and emptiest page's fill."""
    from handout_app.catalog import load_catalog
    from handout_app.clinic import ClinicProfile
    from handout_app.layout_stats import page_fills, pages_holding, word_count
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    label, paper, large, language, factor_index, side = job
    selection = dict(procedures())[label]
    if Medication.ANESTHETIC in selection.medications and len(selection.medications) > 1:
        selection = replace(selection, intent=Intent.BOTH)  # the longest purpose: both lines print
    selection = replace(
        selection,
        paper=Paper(paper),
        large_print=large,
        language=language,
        factors=FACTOR_CHOICES[factor_index][1],
        side=Side(side),
    )
    rendered = render_html(selection, load_catalog(), ClinicProfile(), dt.datetime(2026, 11, 21, 9, 30).astimezone())
    document = lay_out(rendered.html, facts=rendered.facts)
    fills = page_fills(document)
    # The consent stands alone on its own page, so the page before it (the end of the information)
    # and the last page may be short; every other page is measured.
    consent_start = min(pages_holding(document, "consent"))
    emptiest = min((f.fill for f in fills if f.number not in (consent_start - 1, len(fills))), default=1.0)
    return label, paper, large, FACTOR_CHOICES[factor_index][0], len(fills), word_count(document), emptiest


def main() -> None:
    """Render every combination in parallel and print the summary table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", default="en", choices=("en", "es"))
    parser.add_argument(
        "--side", default=Side.RIGHT.value, choices=(Side.RIGHT.value, Side.BILATERAL.value), help="one hip or both"
    )
    parser.add_argument("--details", action="store_true", help="print one line per sheet too")
    parser.add_argument(
        "--quick", action="store_true", help="standard print with every factor only (the longest sheets)"
    )
    args = parser.parse_args()
    labels = [label for label, _ in procedures()]
    sizes, factor_range = ((False,), (1,)) if args.quick else ((False, True), range(len(FACTOR_CHOICES)))
    jobs = [
        (label, paper.value, large, args.language, factors, args.side)
        for label in labels
        for paper in Paper
        for large in sizes
        for factors in factor_range
    ]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        results = list(pool.map(_measure, jobs, chunksize=8))
    if args.details:
        for label, paper, large, factors, pages, words, emptiest in results:
            print(
                f"{pages:3d} pages {words:5d} words  emptiest {emptiest:4.0%}  {paper:6s} "
                f"{'large' if large else 'standard':8s} {factors:24s} {label}"
            )
    print(
        f"\n{len(labels)} procedures, language {args.language}, side {args.side}, built-in wording, clinic left blank"
    )
    print(
        f"{'paper':7s}{'print':10s}{'factors':26s}{'pages min/median/max':>22s}{'words median/max':>18s}"
        f"{'pages under 1/3':>17s}"
    )
    for paper in Paper:
        for large in (False, True):
            for factors, _ in FACTOR_CHOICES:
                rows = [r for r in results if r[1] == paper.value and r[2] == large and r[3] == factors]
                if not rows:
                    continue
                pages = [r[4] for r in rows]
                words = [r[5] for r in rows]
                thin = sum(1 for r in rows if r[6] < 1 / 3)
                print(
                    f"{paper.value:7s}{'large' if large else 'standard':10s}{factors:26s}"
                    f"{min(pages):>8d} / {statistics.median(pages):>4.0f} / {max(pages):>3d}"
                    f"{statistics.median(words):>10.0f} / {max(words):>5d}{thin:>17d}"
                )
    standard = {(r[0], r[1], r[3]): r[4] for r in results if not r[2]}
    ratios = [r[4] / standard[(r[0], r[1], r[3])] for r in results if r[2]]
    if ratios:
        over = sum(1 for ratio in ratios if ratio > 2.2)
        print(f"large print / standard pages, largest ratio: {max(ratios):.2f}; over 2.2: {over} of {len(ratios)}")
        sides = "" if args.side == Side.RIGHT.value else ", both hips"
        figure(f"large print / standard pages, largest ratio{sides}", max(ratios), "x", "<= 2.2x")


if __name__ == "__main__":
    main()
