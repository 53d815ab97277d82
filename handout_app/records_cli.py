"""`handout-app records list` and `handout-app reprint`: the record of what each patient was given.

Both find the store the way the window and `render` do: the clinic folder's clinic.toml
`record_store` (--clinic), or this user's own SQLite file. Entries waiting in this computer's queue
are sent first, so a list shows them once the store is back.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from .document_numbers import NUMBER_HELP, normalize

if TYPE_CHECKING:
    from .records.recorder import Recorder

from .exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK


def _error(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


ValueCheck = Callable[[str], Any]
_Parser = TypeVar("_Parser", bound=argparse.ArgumentParser)  # the CLI's own ArgumentParser subclass


def add_commands(
    commands: argparse._SubParsersAction[_Parser],
    checked_path: ValueCheck,
    checked_date: ValueCheck,
    birth_date: ValueCheck,
    text: Callable[[int], ValueCheck],
    patient_file: ValueCheck,
) -> None:
    """Add `records` and `reprint` to the CLI's sub-commands (cli.build_parser passes its value checks)."""
    records = commands.add_parser("records", help="the record of every saved or printed sheet")
    record_commands = records.add_subparsers(dest="records_command", metavar="COMMAND", required=True)
    listing = record_commands.add_parser("list", help="list saved and printed sheets, oldest first")
    listing.add_argument("--since", type=checked_date, help="from this day on (YYYY-MM-DD or 2 Apr 2026)")
    listing.add_argument("--until", type=checked_date, help="up to and including this day")
    listing.add_argument(
        "--format", choices=("table", "csv"), default="table", help="table (default) or csv for an audit"
    )
    listing.add_argument("--clinic", type=checked_path, help="clinic folder whose clinic.toml names the record store")
    reprint = commands.add_parser("reprint", help="make a recorded sheet again, identical byte for byte")
    reprint.add_argument("number", metavar="NUMBER", help="the document number at the foot of the sheet's pages")
    reprint.add_argument("--patient-name", type=text(200), help="exactly as on the original sheet (or --patient-file)")
    reprint.add_argument(
        "--patient-file",
        type=patient_file,
        metavar="FILE",
        help="the name, date_of_birth and mrn in a TOML file, or - for standard input (kept out of `ps`)",
    )
    reprint.add_argument("--date-of-birth", type=birth_date, help="as on the original sheet, if it had one")
    reprint.add_argument(
        "--record-number", "--mrn", dest="mrn", type=text(64), help="as on the original sheet, if it had one"
    )
    reprint.add_argument("--output", required=True, type=checked_path, help="where to write the PDF (must not exist)")
    reprint.add_argument("--clinic", type=checked_path, help="clinic folder whose clinic.toml names the record store")


def _recorder(clinic_folder: Path | None) -> Recorder:
    from .clinic import load_clinic
    from .records.recorder import recorder_for, store_choice

    return recorder_for(store_choice(load_clinic(clinic_folder) if clinic_folder else None))


def utc_bounds(since: dt.date | None, until: dt.date | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    """Local days [since, until] as UTC times [start, end), as the store keeps them."""

    def start_of(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time()).astimezone().astimezone(dt.UTC).replace(tzinfo=None)

    return (start_of(since) if since else None, start_of(until + dt.timedelta(days=1)) if until else None)


def run_records(args: argparse.Namespace) -> int:
    """`records list`."""
    from .clinic import ClinicError
    from .records.listing import as_csv, as_table
    from .records.store import StoreUnavailable

    if args.since and args.until and args.since > args.until:
        _error("--since is after --until; give the earlier day first.")
        return EXIT_BAD_INPUT
    try:
        recorder = _recorder(args.clinic)
    except ClinicError as exc:
        _error(f"--clinic: {exc}")
        return EXIT_BAD_INPUT
    with contextlib.suppress(
        StoreUnavailable
    ):  # listed below from what the store has; the warning says entries are waiting
        recorder.send_queued(wait=False)
    try:
        rows = recorder.store().deliveries(*utc_bounds(args.since, args.until))
    except StoreUnavailable as exc:
        try:
            since, until = utc_bounds(args.since, args.until)
            rows = [
                row
                for row in recorder.waiting()
                if (since is None or row["delivered_at"] >= since) and (until is None or row["delivered_at"] < until)
            ]
        except StoreUnavailable:
            rows = []
        _error(
            f"the record store could not be read: {exc}."
            + (
                f" Listed below: only the {len(rows)} sheet(s) made on this computer that wait to be sent."
                if rows
                else ""
            )
        )
        if rows:
            sys.stdout.write(as_csv(rows) if args.format == "csv" else as_table(rows))
        return EXIT_FAILED
    sys.stdout.write(as_csv(rows) if args.format == "csv" else as_table(rows))
    waiting = recorder.waiting_count()
    if waiting:
        print(
            f"warning: {waiting} sheet(s) made on this computer wait to be sent to {recorder.name}; "
            "they are sent when it answers.",
            file=sys.stderr,
        )
    return EXIT_OK


def _typed_details(args: argparse.Namespace) -> tuple[str, str | None, str] | str:
    """The patient's name, birth date (ISO) and record number from the options or --patient-file; or
    what is wrong. A detail given both ways is refused, as for `render`."""
    from .patient_input import STDIN, PatientFileError, read_patient_file

    name, birth, mrn = args.patient_name, args.date_of_birth, args.mrn
    if args.patient_file is not None:
        if args.patient_name or args.date_of_birth or args.mrn:
            return "give the patient's details either with --patient-file or with the options, not both."
        if args.patient_file == STDIN and sys.stdin is not None and sys.stdin.isatty():
            return "--patient-file -: pipe the details in (e.g. printf 'name = \"...\"' | handout-app reprint ...)."
        try:
            _, values = read_patient_file(args.patient_file, sys.stdin.buffer if sys.stdin else None)
        except PatientFileError as exc:
            return f"--patient-file: {exc}"
        name, birth, mrn = values.get("name"), values.get("date_of_birth"), values.get("mrn")
    if not name:
        return (
            'give the patient\'s name as on the original sheet: --patient-name NAME, or name = "..." in --patient-file.'
        )
    return str(name), birth.isoformat() if birth else None, str(mrn or "")


def run_reprint(args: argparse.Namespace) -> int:
    """`reprint NUMBER ...`."""
    from .clinic import ClinicError
    from .output_files import OutputExists, OutputNotRegular, check_target, write_atomically
    from .records.reprint import ReprintFailed, reprint

    number = normalize(args.number)
    if number is None:
        _error(f"'{args.number}' is not a document number. {NUMBER_HELP}")
        return EXIT_BAD_INPUT
    details = _typed_details(args)
    if isinstance(details, str):
        _error(details)
        return EXIT_BAD_INPUT
    name, date_of_birth, mrn = details
    try:
        check_target(args.output, replace=False)
    except (OutputExists, OutputNotRegular):
        _error(f"--output: '{args.output}' already exists. Give a new file name.")
        return EXIT_BAD_INPUT
    try:
        recorder = _recorder(args.clinic)
        store = recorder.store()
    except ClinicError as exc:
        _error(f"--clinic: {exc}")
        return EXIT_BAD_INPUT
    except Exception as exc:  # StoreUnavailable, said plainly
        _error(f"the record store could not be opened: {exc}.")
        return EXIT_FAILED
    try:
        made = reprint(store, number, name, date_of_birth, mrn)
    except ReprintFailed as exc:
        _error(str(exc))
        return EXIT_FAILED
    try:
        write_atomically(args.output, made.pdf, replace=False)
    except OSError as exc:
        _error(f"could not write '{args.output}': {exc.strerror or exc}.")
        return EXIT_FAILED
    outcome = recorder.record_reprint(made.document)
    if not outcome.stored:
        print(f"warning: {outcome.warning}", file=sys.stderr)
    print(
        f"Saved document {number} to {args.output}: identical to the sheet handed out on "
        f"{made.document['made_at'][:16].replace('T', ' ')} (SHA-256 {made.document['sha256'][:16]}...)."
    )
    return EXIT_OK
