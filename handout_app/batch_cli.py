"""`handout-app batch LIST --output-dir DIR ...`: a day's list of handouts from the command line.

Every row is checked first; with any problem nothing is made (exit 2), unless --skip-bad-rows, when
the good rows are made and the bad ones listed at the end (exit 2 still). A progress bar (tqdm) shows
on a terminal; Ctrl+C stops after the handouts under way and leaves only complete files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .batch import BatchOutcome, make_day, print_day, summary
from .day_list import DayListError, Row, check_rows, read_table
from .errors import SetError
from .records.recorder import Recorder, recorder_for, store_choice

if TYPE_CHECKING:
    from .template_set import TemplateSet

from .exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def run_batch(args: argparse.Namespace) -> int:
    """Check the list, make its handouts, save (and print) them; return the exit code."""
    from .template_set import load_template_set

    folder: Path = args.output_dir
    if not folder.is_dir():
        _error(f"--output-dir: '{folder}' is not a folder. Create it first or choose another.")
        return EXIT_BAD_INPUT
    if args.printer is not None and not args.print_it:
        _error("--printer: add --print to print the handouts")
        return EXIT_BAD_INPUT
    if args.print_it:
        from .cli import _printer_problem

        problem = _printer_problem(args.printer)
        if problem:
            _error(problem)
            return EXIT_BAD_INPUT
    try:
        template_set = load_template_set(args.clinic)
    except SetError as exc:
        _error(f"--clinic: {exc}")
        return EXIT_BAD_INPUT
    clinic = template_set.clinic
    try:
        table = read_table(args.list)
    except DayListError as exc:
        _error(str(exc))
        return EXIT_BAD_INPUT
    rows = check_rows(table, template_set.catalog, clinic.default_paper, clinic.default_intent, clinic.date_order)
    bad = [row for row in rows if row.problems]
    for row in rows:
        for warning in row.warnings:
            print(f"warning: row {row.number}: {warning}", file=sys.stderr)
    if bad and not args.skip_bad_rows:
        _report_bad(args.list, bad)
        print(
            f"Nothing was made: {len(bad)} of {len(rows)} rows have problems. Fix them, or add --skip-bad-rows "
            "to make the others.",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    good = [row for row in rows if row.selection is not None]
    recorder = recorder_for(store_choice(template_set.clinic))
    outcome = _make(args, good, template_set, recorder)
    if bad:
        _report_bad(args.list, bad)
    if outcome.failed:
        for number, message in outcome.failed:
            _error(f"row {number}: the handout could not be made: {message}.")
    made = len(outcome.made)
    if outcome.cancelled:
        print(summary(outcome, folder, args.combined), file=sys.stderr)
        return EXIT_FAILED
    where = outcome.combined if outcome.combined else folder
    print(
        f"Made {made} of {len(rows)} handouts"
        + (f" in {where}" if made else "")
        + (f"; {len(bad)} rows with problems were left out" if bad else "")
        + "."
    )
    if args.print_it and made:
        printed = _print(args, outcome, recorder)
        if printed != EXIT_OK:
            _warn_unrecorded(outcome)
            return printed
    _warn_unrecorded(outcome)
    if bad:
        return EXIT_BAD_INPUT
    return EXIT_FAILED if outcome.failed else EXIT_OK


def _report_bad(list_path: Path, bad: list[Row]) -> None:
    for row in bad:
        for problem in row.problems:
            _error(f"{list_path.name}, {problem}")


def _warn_unrecorded(outcome: BatchOutcome) -> None:
    for warning in dict.fromkeys(outcome.record_warnings):  # the same store problem once, not once a row
        print(f"warning: {warning}", file=sys.stderr)


def _make(args: argparse.Namespace, good: list[Row], template_set: TemplateSet, recorder: Recorder) -> BatchOutcome:
    from tqdm import tqdm

    with tqdm(total=len(good), unit="handout", file=sys.stderr, disable=None, leave=False) as bar:
        return make_day(
            good,
            args.clinic,
            args.output_dir,
            template_set.catalog.labels_for("en")["targets"],
            template_set.clinic.patient_name_in_file_name,
            args.combined,
            workers=args.workers,
            on_step=lambda done, error: bar.update(1),
            recorder=recorder,
        )


def _print(args: argparse.Namespace, outcome: BatchOutcome, recorder: Recorder) -> int:
    problem = print_day(outcome, args.printer, recorder, on_sent=print)
    if problem:
        _error(problem)
        return EXIT_FAILED
    return EXIT_OK
