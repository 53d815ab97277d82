"""The command line's grammar: the option types and their checks, the parser of every command, and the
Selection a `render` command's options describe. cli.py runs the commands."""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from . import __version__
from .choices import Language, values
from .domain import (
    Allergy,
    AllergyKind,
    Choice,
    Factor,
    Guidance,
    Intent,
    Medication,
    OutputFormat,
    Paper,
    PatientDetails,
    PatientFactors,
    Selection,
    Side,
    Target,
)
from .exit_codes import EXIT_BAD_INPUT
from .patient_input import (
    MAX_ALLERGIES,
    STDIN,
    TEXT_LIMITS,
    InputError,
    PatientFileError,
    birth_after_procedure_problem,
    check_birth_date,
    check_path_text,
    check_procedure_date,
    parse_date,
    parse_timestamp,
    printable_text,
    read_patient_file,
    shown,
)
from .print_queue import MAX_COPIES

T = TypeVar("T")


class _Parser(argparse.ArgumentParser):
    """argparse, but errors say what to do and exit with 2 without a usage dump wall."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {message}\nRun '{self.prog} --help' to see every option.\n")


def _checked(check: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type` from a patient_input check: its InputError becomes argparse's error for the option."""

    def parse(value: str) -> T:
        try:
            return check(value)
        except InputError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return parse


def _date(value: str) -> dt.date:
    """A YYYY-MM-DD date (the procedure date): between 2000 and 2100."""
    return check_procedure_date(parse_date(value))


def _birth_date(value: str) -> dt.date:
    """A YYYY-MM-DD date of birth: from 1900, not in the future."""
    return check_birth_date(parse_date(value))


def _timestamp(value: str) -> dt.datetime:
    """An ISO-8601 print time, with or without an offset, between 2000 and 2100."""
    return parse_timestamp(value)


def _path(value: str) -> Path:
    """A file or folder name: UTF-8, no control characters (it is printed back in messages)."""
    return Path(check_path_text(value))


def _patient_file(value: str) -> str:
    """A patient file name, or '-' for standard input (opened only when all options are read)."""
    return check_path_text(value)


def _copies(value: str) -> int:
    """A number of copies, 1 to MAX_COPIES."""
    if not re.fullmatch(r"[0-9]{1,3}", value.strip()) or not 1 <= int(value) <= MAX_COPIES:
        raise InputError(f"'{shown(value)}' is not a number of copies; give 1 to {MAX_COPIES}")
    return int(value)


def _workers(value: str) -> int:
    """A number of render processes, 1 to 32."""
    if not re.fullmatch(r"[0-9]{1,2}", value.strip()) or not 1 <= int(value) <= 32:
        raise InputError(f"'{shown(value)}' is not a number of render processes; give 1 to 32")
    return int(value)


def _seconds(value: str) -> float:
    """A time limit in seconds: a plain number from 1 to 600."""
    try:
        seconds = float(value)
    except ValueError:
        raise InputError(f"'{shown(value)}' is not a number of seconds, e.g. 20") from None
    if not 1 <= seconds <= 600:  # also refuses nan and inf, which compare false
        raise InputError(f"'{shown(value)}' is not between 1 and 600 seconds")
    return seconds


def _text(limit: int = 200) -> Callable[[str], str]:
    """Typed text: no control characters, valid UTF-8, NFC, within `limit`, printable."""

    def parse(value: str) -> str:
        return printable_text(value, limit, "the text")

    return _checked(parse)


class _MainParser(_Parser):
    """The top parser: once every option is read, runs the command's `finish` step (set as a default).

    Checks that need several options at once (the patient file against the options) live there,
    so their errors come from argparse like any other: exit 2, the option named, before any work.
    """

    def parse_known_args(self, args: Iterable[str] | None = None, namespace: Any = None) -> tuple[Any, list[str]]:
        parsed, extras = super().parse_known_args(args, namespace)
        finish = getattr(parsed, "finish", None)
        if finish is not None:
            del parsed.finish
            finish(parsed)
        return parsed, extras


# Patient file key -> (option's attribute, option).
_FILE_OPTIONS = {
    "name": ("patient_name", "--patient-name"),
    "date_of_birth": ("date_of_birth", "--date-of-birth"),
    "mrn": ("mrn", "--mrn"),
    "procedure_date": ("procedure_date", "--procedure-date"),
    "clinician": ("clinician", "--clinician"),
    "allergies": ("allergy", "--allergy"),
}


def _finish_render(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Merge --patient-file into the options and check what needs them together; parser.error() if wrong."""
    if args.patient_file is not None:
        if args.patient_file == STDIN and sys.stdin is not None and sys.stdin.isatty():
            print("Reading the patient file from the keyboard; end it with Ctrl-D.", file=sys.stderr)
        stdin = sys.stdin.buffer if sys.stdin is not None and hasattr(sys.stdin, "buffer") else None
        try:
            source, values = read_patient_file(args.patient_file, stdin)
        except PatientFileError as exc:
            parser.error(f"argument --patient-file: {exc}")
        except OSError as exc:  # reading standard input failed
            parser.error(f"argument --patient-file: could not be read ({exc.strerror or exc})")
        for key, value in values.items():
            attribute, option = _FILE_OPTIONS[key]
            if getattr(args, attribute) is not None:
                parser.error(
                    f"argument --patient-file: {source} gives {key} and so does {option}; give it one way only"
                )
            setattr(args, attribute, value)
    if args.output is None and not args.print_it:
        parser.error("the following arguments are required: --output (or --print to send it to a printer)")
    if (args.printer is not None or args.copies != 1) and not args.print_it:
        parser.error("argument --printer/--copies: add --print to print the handout")
    if args.print_it and args.format != OutputFormat.PDF.value:
        parser.error("argument --print: only a PDF can be printed; leave out --format html")
    if args.patient_name is None:  # a blank name is refused later, with the other selection checks
        parser.error(
            "the following arguments are required: --patient-name "
            '(or name = "..." in the --patient-file); give the patient\'s full name'
        )
    if args.allergy and len(args.allergy) > MAX_ALLERGIES:
        parser.error(f"argument --allergy: given more than {MAX_ALLERGIES} times; give the allergies that matter")
    order_problem = birth_after_procedure_problem(args.date_of_birth, args.procedure_date)
    if order_problem:
        parser.error(
            f"argument --date-of-birth: {args.date_of_birth.isoformat()} {order_problem} "
            f"{args.procedure_date.isoformat()}; check both dates"
        )


def _choices(enum: type[Choice]) -> list[str]:
    return list(values(enum))


def allergy_help() -> str:
    """--allergy's help: the registry's allergy kinds, then free text."""
    kinds = ", ".join(kind.value for kind in AllergyKind if not kind.spec.free_text)
    return f"an allergy: {kinds}, or any other text; repeat for several"


def _language_help() -> str:
    """--language's help: each registry language as 'en (English)'."""
    return "the handout's language: " + " or ".join(f"{lang.value} ({lang.description})" for lang in Language)


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar."""
    parser = _MainParser(prog="handout-app", description="Print a consent and information handout for a hip injection.")
    parser.add_argument("--version", action="version", version=f"handout-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    render = commands.add_parser("render", help="render a handout to PDF (or HTML)")
    procedure = render.add_argument_group("procedure")
    procedure.add_argument("--target", required=True, choices=_choices(Target), help="where the injection goes")
    procedure.add_argument(
        "--medication",
        required=True,
        action="append",
        choices=_choices(Medication),
        help="a medicine in the injection; repeat for several",
    )
    procedure.add_argument("--guidance", required=True, choices=_choices(Guidance), help="how the needle is guided")
    procedure.add_argument("--contrast", action="store_true", help="contrast dye is used (fluoroscopy only)")
    procedure.add_argument("--intent", choices=_choices(Intent), help="purpose; default follows from the medicines")
    procedure.add_argument("--side", required=True, choices=_choices(Side), help="which hip (no default)")

    patient = render.add_argument_group("patient")
    # Patient details default to None, not "", so that one given both here and in --patient-file is seen.
    patient.add_argument(
        "--patient-file",
        type=_checked(_patient_file),
        metavar="FILE",
        help="read the patient's details from a TOML file ('-' for standard input) instead of the options below, "
        "which every user of the computer can see; keys: name, "
        "date_of_birth, mrn, procedure_date, clinician, allergies",
    )
    patient.add_argument(
        "--patient-name",
        type=_text(),
        help="the patient's full name (required, unless --patient-file gives it)",
    )
    patient.add_argument("--date-of-birth", type=_checked(_birth_date), help="YYYY-MM-DD, from 1900, not in the future")
    patient.add_argument("--mrn", type=_text(TEXT_LIMITS["mrn"]), help="medical record number")
    patient.add_argument("--procedure-date", type=_checked(_date), help="YYYY-MM-DD, between 2000 and 2100")
    patient.add_argument("--clinician", type=_text(), help="the doctor doing the procedure")
    for factor in Factor:  # --diabetes ...: one flag per patient factor, its dest the factor's attribute
        patient.add_argument(f"--{factor.value}", action="store_true", help=factor.spec.help)
    patient.add_argument(
        "--allergy", action="append", type=_text(TEXT_LIMITS["allergy"]), metavar="TEXT", help=allergy_help()
    )

    output = render.add_argument_group("output")
    output.add_argument("--clinic", type=_checked(_path), help="clinic folder holding clinic.toml")
    output.add_argument("--paper", choices=_choices(Paper), help="paper size (default: the clinic's, else a4)")
    output.add_argument(
        "--language", choices=_choices(Language), default=next(iter(Language)).value, help=_language_help()
    )
    output.add_argument("--large-print", action="store_true", help="large-print edition: 18 pt text, 1.5 line spacing")
    output.add_argument(
        "--consent-copy", action="store_true", help="add a second copy of the consent page for the patient"
    )
    output.add_argument("--archival", action="store_true", help="archival PDF/A-3a (tagged) for the clinic's records")
    output.add_argument("--format", choices=_choices(OutputFormat), default=OutputFormat.PDF.value, help="pdf or html")
    output.add_argument(
        "--generated-at",
        type=_checked(_timestamp),
        help="the print time shown on the sheet, ISO-8601 with or without offset, 2000 to 2100 (default now)",
    )
    output.add_argument("--force", action="store_true", help="replace the output file if it exists")
    output.add_argument("--output", type=_checked(_path), help="where to write the handout (needed unless --print)")
    printing = render.add_argument_group("printing (CUPS: Linux and macOS)")
    printing.add_argument(
        "--print",
        dest="print_it",
        action="store_true",
        help="send the PDF to a printer (as well as to --output when given)",
    )
    printing.add_argument("--printer", type=_text(127), help="the print queue (default: the system's default printer)")
    printing.add_argument(
        "--copies", type=_checked(_copies), default=1, help=f"copies to print, 1 to {MAX_COPIES} (default 1)"
    )
    render.set_defaults(finish=lambda args: _finish_render(render, args))

    commands.add_parser("options", help="list every choice with a one-line description")
    check = commands.add_parser(
        "check-templates", help="check a clinic folder: render every common combination and report problems"
    )
    check.add_argument("folder", type=_checked(_path), metavar="DIR", help="the clinic folder")
    batch = commands.add_parser("batch", help="make the handouts of a day's list (CSV or Excel) in one go")
    batch.add_argument(
        "list",
        type=_checked(_path),
        metavar="LIST",
        help="the day list: a .csv (UTF-8) or .xlsx file, one patient a row",
    )
    batch.add_argument(
        "--output-dir", required=True, type=_checked(_path), metavar="DIR", help="where the PDFs go (must exist)"
    )
    batch.add_argument("--clinic", type=_checked(_path), help="clinic folder holding clinic.toml")
    batch.add_argument(
        "--combined", action="store_true", help="one PDF for one print job, each handout starting on an odd page"
    )
    batch.add_argument(
        "--skip-bad-rows", action="store_true", help="make the good rows even if others have problems (exit 2 still)"
    )
    batch.add_argument("--print", dest="print_it", action="store_true", help="also send the handouts to a printer")
    batch.add_argument("--printer", type=_text(127), help="the print queue (default: the system's default printer)")
    batch.add_argument("--workers", type=_checked(_workers), help="render processes (default: one per core)")
    new_clinic = commands.add_parser("new-clinic", help="make a clean, commented clinic folder to start from")
    new_clinic.add_argument("folder", type=_checked(_path), metavar="DIR", help="the new folder (must not exist yet)")
    new_clinic.add_argument(
        "--name", required=True, type=_text(), help="the clinic's name, as printed on every handout"
    )
    check.add_argument("--list-items", action="store_true", help="list every item's id, section and source, then stop")
    check.add_argument(
        "--timeout", type=_checked(_seconds), default=20.0, help="seconds one render may take, 1 to 600 (default 20)"
    )
    from .records_cli import add_commands

    add_commands(commands, _checked(_path), _checked(_date), _checked(_birth_date), _text, _checked(_patient_file))
    gui = commands.add_parser("gui", help="open the window (the default with no command)")
    gui.add_argument(
        "--clinic", type=_checked(_path), help="clinic folder holding clinic.toml (remembered for next time)"
    )
    return parser


def selection_from_args(args: argparse.Namespace) -> Selection:
    """Turn parsed options into a Selection."""
    return Selection(
        target=Target(args.target),
        medications=frozenset(Medication(m) for m in args.medication),
        guidance=Guidance(args.guidance),
        contrast=args.contrast,
        intent=Intent(args.intent) if args.intent else None,
        side=Side(args.side),
        patient=PatientDetails(
            name=args.patient_name,
            date_of_birth=args.date_of_birth,
            mrn=args.mrn or "",
            procedure_date=args.procedure_date,
            clinician=args.clinician or "",
        ),
        factors=PatientFactors(
            present=[factor for factor in Factor if getattr(args, factor.attribute, False)],
            allergies=tuple(Allergy.parse(a) for a in args.allergy or () if a),
        ),
        paper=Paper(args.paper or Paper.A4.value),
        language=getattr(args, "language", "en"),
        large_print=bool(getattr(args, "large_print", False)),
        consent_copy=bool(getattr(args, "consent_copy", False)),
        archival=bool(getattr(args, "archival", False)),
    )


def options_text() -> str:
    groups = [
        ("--target", Target),
        ("--medication (repeatable)", Medication),
        ("--guidance", Guidance),
        ("--intent", Intent),
        ("--side (required)", Side),
        ("--allergy (repeatable)", AllergyKind),
        ("--paper", Paper),
        ("--format", OutputFormat),
    ]
    lines: list[str] = []
    for option, enum in groups:
        lines.append(option)
        lines.extend(f"  {m.value:<17} {m.description}" for m in enum)
    lines.append("--contrast")
    lines.append(f"  {'(flag)':<17} contrast dye is used; only with --guidance fluoroscopy")
    lines.append("patient factors")
    lines.extend(f"  {'--' + factor.value:<17} {factor.description}" for factor in Factor)
    return "\n".join(lines) + "\n"
