"""Command line: `handout-app render ...`, `handout-app options`, and no arguments for the window.

Exit codes: 0 success (warnings go to stderr as `warning:` lines), 2 bad input, 1 render failure.
No traceback is ever shown to the user.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Sequence

from . import __version__
from .domain import (
    Allergy,
    AllergyKind,
    Guidance,
    Intent,
    Medication,
    OutputFormat,
    Paper,
    PatientDetails,
    PatientFactors,
    Selection,
    SelectionError,
    Side,
    Target,
)

EXIT_OK, EXIT_RENDER_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, but errors say what to do and exit with 2 without a usage dump wall."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, f"error: {message}\nRun '{self.prog} --help' to see every option.\n")


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-21") from None


def _timestamp(value: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not an ISO-8601 time; write it like 2026-11-21T09:30:00+00:00"
        ) from None


def _text(label: str, limit: int = 200):  # type: ignore[no-untyped-def]
    def parse(value: str) -> str:
        cleaned = " ".join(value.split())
        if any(ord(c) < 32 for c in value if c not in "\t\n"):
            raise argparse.ArgumentTypeError(f"{label} contains control characters; type it again")
        if len(cleaned) > limit:
            raise argparse.ArgumentTypeError(f"{label} is longer than {limit} characters")
        return cleaned

    return parse


def _choices(enum: type) -> list[str]:
    return [member.value for member in enum]


def build_parser() -> argparse.ArgumentParser:
    """The full command-line grammar."""
    parser = _Parser(prog="handout-app", description="Print a consent and information handout for a hip injection.")
    parser.add_argument("--version", action="version", version=f"handout-app {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    render = commands.add_parser("render", help="render a handout to PDF (or HTML)")
    procedure = render.add_argument_group("procedure")
    procedure.add_argument("--target", required=True, choices=_choices(Target), help="where the injection goes")
    procedure.add_argument(
        "--medication", required=True, action="append", choices=_choices(Medication),
        help="a medicine in the injection; repeat for several",
    )
    procedure.add_argument("--guidance", required=True, choices=_choices(Guidance), help="how the needle is guided")
    procedure.add_argument("--contrast", action="store_true", help="contrast dye is used (fluoroscopy only)")
    procedure.add_argument("--intent", choices=_choices(Intent), help="purpose; default follows from the medicines")
    procedure.add_argument("--side", required=True, choices=_choices(Side), help="which hip (no default)")

    patient = render.add_argument_group("patient")
    patient.add_argument("--patient-name", required=True, type=_text("--patient-name"), help="the patient's full name")
    patient.add_argument("--date-of-birth", type=_date, help="YYYY-MM-DD")
    patient.add_argument("--mrn", type=_text("--mrn", 60), default="", help="medical record number")
    patient.add_argument("--procedure-date", type=_date, help="YYYY-MM-DD")
    patient.add_argument("--clinician", type=_text("--clinician"), default="", help="the doctor doing the procedure")
    patient.add_argument("--diabetes", action="store_true", help="the patient has diabetes")
    patient.add_argument("--blood-thinners", action="store_true", help="the patient takes blood thinners or bleeds easily")
    patient.add_argument("--may-be-pregnant", action="store_true", help="the patient is or may be pregnant")
    patient.add_argument(
        "--allergy", action="append", default=[], type=_text("--allergy", 120), metavar="TEXT",
        help="an allergy: local-anesthetic, contrast (or iodine), antiseptic, or any other text; repeat for several",
    )

    output = render.add_argument_group("output")
    output.add_argument("--clinic", type=Path, help="clinic folder holding clinic.toml")
    output.add_argument("--paper", choices=_choices(Paper), help="paper size (default: the clinic's, else a4)")
    output.add_argument("--language", choices=("en", "es"), default="en", help="the handout's language: en (English) or es (Spanish)")
    output.add_argument("--large-print", action="store_true", help="large-print edition: 18 pt text, 1.5 line spacing")
    output.add_argument("--consent-copy", action="store_true", help="add a second copy of the consent page for the patient")
    output.add_argument("--archival", action="store_true", help="archival PDF/A-3a (tagged) for the clinic's records")
    output.add_argument("--format", choices=_choices(OutputFormat), default=OutputFormat.PDF.value, help="pdf or html")
    output.add_argument("--generated-at", type=_timestamp, help="the print time shown on the sheet (default now)")
    output.add_argument("--force", action="store_true", help="replace the output file if it exists")
    output.add_argument("--output", required=True, type=Path, help="where to write the handout")

    commands.add_parser("options", help="list every choice with a one-line description")
    check = commands.add_parser(
        "check-templates", help="check a clinic folder: render every common combination and report problems"
    )
    check.add_argument("folder", type=Path, metavar="DIR", help="the clinic folder")
    check.add_argument("--list-items", action="store_true", help="list every item's id, section and source, then stop")
    check.add_argument("--timeout", type=float, default=20.0, help="seconds one render may take (default 20)")
    gui = commands.add_parser("gui", help="open the window (the default with no command)")
    gui.add_argument("--clinic", type=Path, help="clinic folder holding clinic.toml (remembered for next time)")
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
            mrn=args.mrn,
            procedure_date=args.procedure_date,
            clinician=args.clinician,
        ),
        factors=PatientFactors(
            diabetes=args.diabetes,
            blood_thinners=args.blood_thinners,
            may_be_pregnant=args.may_be_pregnant,
            allergies=tuple(Allergy.parse(a) for a in args.allergy if a),
        ),
        paper=Paper(args.paper or Paper.A4.value),
        language=getattr(args, "language", "en"),
        large_print=bool(getattr(args, "large_print", False)),
        consent_copy=bool(getattr(args, "consent_copy", False)),
        archival=bool(getattr(args, "archival", False)),
    )


def _options_text() -> str:
    groups = [
        ("--target", Target), ("--medication (repeatable)", Medication), ("--guidance", Guidance),
        ("--intent", Intent), ("--side (required)", Side), ("--allergy (repeatable)", AllergyKind),
        ("--paper", Paper), ("--format", OutputFormat),
    ]
    lines: list[str] = []
    for option, enum in groups:
        lines.append(option)
        lines.extend(f"  {m.value:<17} {m.description}" for m in enum)
    lines.append("--contrast")
    lines.append(f"  {'(flag)':<17} contrast dye is used; only with --guidance fluoroscopy")
    lines.append("patient factors")
    for flag, text in (("--diabetes", "the patient has diabetes"), ("--blood-thinners", "takes blood thinners or bleeds easily"),
                       ("--may-be-pregnant", "is or may be pregnant")):
        lines.append(f"  {flag:<17} {text}")
    return "\n".join(lines) + "\n"


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def run_render(args: argparse.Namespace) -> int:
    """Render one handout; return the exit code."""
    from .catalog import CatalogError, SelectionRefused
    from .clinic import ClinicError
    from .pdf import OutputExists, RenderFailed, render_pdf, variant_for, write_atomically
    from .template_set import load_template_set
    from .templating import TemplateProblem

    output: Path = args.output
    if output.exists() and not args.force:
        return _fail(EXIT_BAD_INPUT, f"--output: '{output}' already exists. Choose another name, or add --force to replace it.")
    if output.exists() and output.is_dir():
        return _fail(EXIT_BAD_INPUT, f"--output: '{output}' is a folder. Give a file name, e.g. {output / 'handout.pdf'}.")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        return _fail(EXIT_BAD_INPUT, f"--output: the folder '{folder}' does not exist. Create it first or choose another.")

    try:
        template_set = load_template_set(args.clinic)
    except ClinicError as exc:
        return _fail(EXIT_BAD_INPUT, f"--clinic: {exc}")
    except (CatalogError, TemplateProblem) as exc:
        return _fail(EXIT_BAD_INPUT, f"--clinic: the clinic's template set has a problem: {str(exc).rstrip('.')}. "
                     f"Run `handout-app check-templates {args.clinic}` for a full report.")
    if args.paper is None and template_set.clinic.default_paper:
        args.paper = template_set.clinic.default_paper
    try:
        selection = selection_from_args(args)
        selection.check()
    except SelectionError as exc:
        return _fail(EXIT_BAD_INPUT, f"--{exc.field_name}: {exc.message}")
    try:
        generated_at = args.generated_at or dt.datetime.now().astimezone()
        rendered = template_set.render_html(selection, generated_at)
    except SelectionRefused as exc:
        for finding in exc.findings:
            print(f"error: --{finding.field}: {finding.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (CatalogError, TemplateProblem) as exc:
        return _fail(EXIT_RENDER_FAILED, f"the handout templates have a problem: {exc}")
    for finding in rendered.warnings:
        print(f"warning: {finding.message}", file=sys.stderr)

    if args.format == OutputFormat.HTML.value:
        data = rendered.html.encode("utf-8")
    else:
        try:
            data = render_pdf(
                rendered.html, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots,
                variant=variant_for(selection.archival),
            )
        except RenderFailed as exc:
            return _fail(EXIT_RENDER_FAILED, str(exc))
    try:
        write_atomically(output, data, replace=args.force)
    except OutputExists:
        return _fail(EXIT_BAD_INPUT, f"--output: '{output}' already exists. Choose another name, or add --force to replace it.")
    except OSError as exc:
        return _fail(EXIT_RENDER_FAILED, f"could not write '{output}': {exc.strerror or exc}. Check the folder is writable.")
    print(f"Saved {rendered.procedure} handout to {output}")
    return EXIT_OK


def _check_templates(args: argparse.Namespace) -> int:
    from .catalog import CatalogError
    from .check_templates import list_items, run_check
    from .clinic import ClinicError
    from .templating import TemplateProblem

    if not args.folder.is_dir():
        return _fail(EXIT_BAD_INPUT, f"'{args.folder}' is not a folder. Give the clinic folder that holds clinic.toml.")
    if args.list_items:
        try:
            return list_items(args.folder, sys.stdout)
        except (ClinicError, CatalogError, TemplateProblem) as exc:
            return _fail(EXIT_BAD_INPUT, str(exc))
    return run_check(args.folder, sys.stdout, timeout=args.timeout)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `handout-app` and `python -m handout_app`."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "render":
            return run_render(args)
        if args.command == "options":
            sys.stdout.write(_options_text())
            return EXIT_OK
        if args.command == "check-templates":
            return _check_templates(args)
        clinic = getattr(args, "clinic", None)
        if clinic is not None:
            from .clinic import ClinicError, load_clinic

            try:
                load_clinic(clinic)
            except ClinicError as exc:
                return _fail(EXIT_BAD_INPUT, f"--clinic: {exc}")
        from .gui.launch import launch

        return launch(clinic)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # Last line of defence: a plain message, never a traceback.
        return _fail(EXIT_RENDER_FAILED, f"unexpected problem: {exc}. Please report it with the command you ran.")
