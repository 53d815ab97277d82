"""Command line: runs `handout-app render ...`, `options`, `check-templates`, `new-clinic`, and with no
arguments opens the window (`batch`, `records` and `reprint` run in batch_cli.py and records_cli.py).

The grammar and the exit codes live in cli_parser.py: 0 success (warnings go to stderr as `warning:`
lines), 2 bad input, 1 render failure. No traceback is ever shown to the user.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

# Only the exit codes are loaded with this module: `handout-app render` starts its render worker first, and the
# grammar and the commands load while the worker loads WeasyPrint (main).
if TYPE_CHECKING:  # the record store (SQLAlchemy) is imported only by commands that hand a sheet out
    from .domain import Selection
    from .records.entry import SheetRequest
    from .records.recorder import RecordOutcome
    from .worker_client import WorkerProcess


def _fail(code: int, message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def start_worker() -> WorkerProcess | None:
    """A render worker starting now, in the background, or None if it cannot start (render_in_worker says so)."""
    from .worker_client import WorkerProcess, WorkerUnavailable

    try:
        return WorkerProcess(wait=False)
    except WorkerUnavailable:
        return None


def render_in_worker(
    request: SheetRequest, output_format: str, worker: WorkerProcess | None = None
) -> tuple[dict[str, Any], bytes]:
    """Render in a worker process under the time and memory limits (limits.py), as the window does.

    `worker`: one started earlier with start_worker(), so its start-up overlapped the caller's own work;
    it is stopped here either way."""
    from .worker_client import WorkerProcess, WorkerUnavailable

    try:
        worker = worker or WorkerProcess()
    except WorkerUnavailable as exc:
        return {"ok": False, "error_kind": "bug", "error": str(exc)}, b""
    try:
        return worker.render(request.payload("cli", output_format))
    except WorkerUnavailable as exc:
        return {"ok": False, "error_kind": "bug", "error": str(exc)}, b""
    finally:
        worker.stop()


def recorded(outcome: RecordOutcome) -> None:
    """Tell the user a sheet was not recorded (the sheet itself is saved or printed all the same)."""
    if not outcome.stored:
        print(f"warning: {outcome.warning}", file=sys.stderr)


def _render_failure(reply: dict[str, Any], clinic: Path | None) -> int:
    """Print the worker's error the way the CLI reports problems; return the exit code."""
    kind, error = reply.get("error_kind"), str(reply.get("error", "")).rstrip(".")
    if kind == "refused":
        for field_name, message in reply.get("findings", []):
            print(f"error: --{field_name}: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if kind == "selection":
        return _fail(EXIT_BAD_INPUT, f"--{reply.get('field')}: {error}.")
    if kind == "set":
        return _fail(
            EXIT_BAD_INPUT,
            f"--clinic: the clinic's template set has a problem: {error}. "
            f"Run `handout-app check-templates {clinic}` for a full report.",
        )
    if kind == "template":
        return _fail(EXIT_FAILED, f"the handout templates have a problem: {error}.")
    return _fail(EXIT_FAILED, f"{error}.")


def run_render(args: argparse.Namespace, worker: WorkerProcess | None = None) -> int:
    """Render one handout; return the exit code. `worker`: one main() started already (it stops it)."""
    output: Path | None = args.output
    problem = _output_problem(output, args.force) if output is not None else None
    if problem is None and args.print_it:
        problem = _printer_problem(args.printer)
    if problem is not None:
        return _fail(EXIT_BAD_INPUT, problem)
    if worker is not None:
        return _render_with(worker, args, output)
    # The worker imports WeasyPrint and reads the content on the other core while this process reads the
    # clinic, checks the choices and opens the record store (make bench: CLI render against Chromium).
    worker = start_worker()
    try:
        return _render_with(worker, args, output)
    finally:
        if worker is not None:
            worker.stop()


def _render_with(worker: WorkerProcess | None, args: argparse.Namespace, output: Path | None) -> int:
    from .cli_parser import selection_from_args
    from .clinic import ClinicError, load_clinic
    from .domain import OutputFormat, SelectionError, selection_to_dict
    from .output_files import OutputExists, OutputNotRegular, write_atomically
    from .records.entry import SheetRequest
    from .records.recorder import recorder_for, store_choice

    clinic = None
    if args.clinic is not None:
        try:
            clinic = load_clinic(args.clinic)  # only clinic.toml here; the worker loads the rest
        except ClinicError as exc:
            return _fail(EXIT_BAD_INPUT, f"--clinic: {exc}")
        if args.paper is None and clinic.default_paper:
            args.paper = clinic.default_paper
    try:
        selection = selection_from_args(args)
        selection.check()
    except SelectionError as exc:
        return _fail(EXIT_BAD_INPUT, f"--{exc.field_name}: {exc.message}")
    generated_at = args.generated_at or dt.datetime.now().astimezone().replace(microsecond=0)
    # A PDF is handed out, so it gets a document number and a record; HTML is for checking only.
    recorder = recorder_for(store_choice(clinic)) if args.format == OutputFormat.PDF.value else None
    request = SheetRequest(
        selection_to_dict(selection),
        str(args.clinic.resolve()) if args.clinic else None,
        generated_at.isoformat(),
        recorder.fresh_number() if recorder else "",
    )
    reply, data = render_in_worker(request, args.format, worker)
    if not reply.get("ok"):
        return _render_failure(reply, args.clinic)
    for message in reply.get("warnings", []):
        print(f"warning: {message}", file=sys.stderr)
    procedure = reply.get("procedure", "")
    if output is not None:
        try:
            write_atomically(output, data, replace=args.force)
        except OutputExists:
            return _fail(
                EXIT_BAD_INPUT,
                f"--output: '{output}' already exists. Choose another name, or add --force to replace it.",
            )
        except OutputNotRegular as exc:  # it became one while the handout was made
            return _fail(
                EXIT_BAD_INPUT,
                f"--output: {exc}. Only a new file or an ordinary file is ever written, "
                "even with --force: give another file name.",
            )
        except OSError as exc:
            return _fail(
                EXIT_FAILED, f"could not write '{output}': {exc.strerror or exc}. Check the folder is writable."
            )
        print(f"Saved {procedure} handout to {output}" + (f" (document {request.document_number})" if recorder else ""))
        if recorder:
            recorded(recorder.record(request, reply["wording"], data, "saved", pages=reply.get("pages", 0)))
    if args.print_it:
        code, printer = _print(data, args, selection, str(procedure))
        if code == EXIT_OK and recorder:
            recorded(recorder.record(request, reply["wording"], data, "printed", printer, pages=reply.get("pages", 0)))
        return code
    return EXIT_OK


def _output_problem(output: Path, force: bool) -> str | None:
    """Why --output cannot be written, or None."""
    from .output_files import OutputExists, OutputNotRegular, check_target

    try:
        check_target(output, replace=force)  # looks without opening: a named pipe would block
    except OutputExists:
        return f"--output: '{output}' already exists. Choose another name, or add --force to replace it."
    except OutputNotRegular as exc:
        if exc.kind == "a folder":
            return f"--output: '{output}' is a folder. Give a file name, e.g. {output / 'handout.pdf'}."
        return (
            f"--output: {exc}. Only a new file or an ordinary file is "
            "ever written, even with --force: give another file name."
        )
    except OSError as exc:
        return f"--output: '{output}' cannot be used ({exc.strerror or exc}). Choose another name or folder."
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        return f"--output: the folder '{folder}' does not exist. Create it first or choose another."
    return None


def _printer_problem(printer: str | None) -> str | None:
    """Why --print cannot work here, checked before the handout is made, or None."""
    from . import print_queue

    if not print_queue.cups_available():
        return (
            "--print: printing from the command line needs CUPS (the `lp` command), which this computer does not "
            "have. Save the PDF with --output and print the file instead."
        )
    if printer is None and print_queue.default_printer() is None:
        return (
            "--print: no default printer is set up. Name one with --printer NAME (`lpstat -e` lists them), "
            "or save the PDF with --output and print the file instead."
        )
    return None


def _print(data: bytes, args: argparse.Namespace, selection: Selection, procedure: str) -> tuple[int, str]:
    """Send the handout to the queue, through the same code as the window's Print; the exit code and
    the printer's name."""
    from . import print_queue
    from .catalog import load_catalog
    from .naming import handout_file_name

    title = handout_file_name(selection, load_catalog().labels_for("en")["targets"][selection.target.value])
    settings = print_queue.PrintSettings(printer=args.printer, copies=args.copies, title=title)
    try:
        job_id = print_queue.submit(data, settings, save_hint="save it with --output and print the file")
    except print_queue.PrintError as exc:
        return _fail(EXIT_FAILED, str(exc).replace("\n\n", " ")), ""
    printer = args.printer or print_queue.default_printer() or "the default printer"
    print(
        f"Sent {procedure} handout to {printer} (job {job_id}, {args.copies} "
        f"{'copy' if args.copies == 1 else 'copies'})"
    )
    return EXIT_OK, printer


def _check_templates(args: argparse.Namespace) -> int:
    from .check_templates import list_items, run_check
    from .errors import SetError

    if not args.folder.is_dir():
        return _fail(EXIT_BAD_INPUT, f"'{args.folder}' is not a folder. Give the clinic folder that holds clinic.toml.")
    if args.list_items:
        try:
            return list_items(args.folder, sys.stdout)
        except SetError as exc:
            return _fail(EXIT_BAD_INPUT, str(exc))
    return run_check(args.folder, sys.stdout, timeout=args.timeout)


def _new_clinic(args: argparse.Namespace) -> int:
    from .clinic import ClinicError
    from .new_clinic import create_clinic_folder

    try:
        folder = create_clinic_folder(args.folder, args.name)
    except ClinicError as exc:
        return _fail(EXIT_BAD_INPUT, str(exc))
    print(
        f"Made the clinic folder {folder} for {' '.join(args.name.split())}.\n"
        f"Next: fill in {folder / 'clinic.toml'} (every field is explained in it), then run\n"
        f"  handout-app check-templates {folder}\n"
        f"  handout-app gui --clinic {folder}"
    )
    return EXIT_OK


def program() -> int:
    """The program `handout-app` and `python -m handout_app`: main() on the command line's arguments, then a
    quick way out."""
    from .start_up import collector_paused

    # A render makes one sheet and ends, which leaves little garbage in this process (a few thousand objects,
    # measured): no collection runs at all during the command (start_up.py), and what remains is frozen at its
    # end before the collector could resume. Other commands (a day's list, check-templates) run long and
    # keep the collector running.
    with collector_paused(keep_for_life=True) if sys.argv[1:2] == ["render"] else contextlib.nullcontext():
        code = main()
    # Everything the command made is written whole, closed and committed by now, its temp folders removed and
    # its worker stopped; what remains are Python's own objects. Frozen, the interpreter's teardown no longer
    # searches all of them for reference cycles on the way out: a tenth of a second of every command, measured
    # side by side (make bench: cold CLI render). Exit handlers still run, and standard output is still flushed.
    gc.freeze()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command (`argv`, or the command line's) and return its exit code; tests call it directly."""
    from .worker_client import WORKER_ARGUMENT

    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments == [WORKER_ARGUMENT]:
        # Not a command for people: a frozen bundle starts its render workers this way (worker_command).
        from .worker import main as serve_as_worker

        serve_as_worker()
        return EXIT_OK
    # A render waits longest for its worker's start (Python, WeasyPrint, the content): the worker starts
    # first, and the grammar and the commands load meanwhile, on the other core (make bench: CLI render
    # against Chromium). Bad options stop it again unused.
    worker = start_worker() if arguments[:1] == ["render"] else None
    try:
        return _run_command(arguments, worker)
    finally:
        if worker is not None:
            worker.stop()


def _run_command(arguments: list[str], worker: WorkerProcess | None) -> int:
    """Parse the command line and run its command (`worker`: the render's, started by main)."""
    from .cli_parser import build_parser, options_text
    from .output_files import clean_stale_temp_files

    args = build_parser().parse_args(arguments)
    clean_stale_temp_files()  # temporary files a killed earlier run left behind
    try:
        if args.command == "render":
            return run_render(args, worker)
        if args.command == "options":
            sys.stdout.write(options_text())
            return EXIT_OK
        if args.command == "check-templates":
            return _check_templates(args)
        if args.command == "new-clinic":
            return _new_clinic(args)
        if args.command == "batch":
            from .batch_cli import run_batch

            return run_batch(args)
        if args.command in ("records", "reprint"):
            from .records_cli import run_records, run_reprint

            return run_records(args) if args.command == "records" else run_reprint(args)
        clinic = getattr(args, "clinic", None)
        if clinic is not None:
            from .clinic import ClinicError, load_clinic

            try:
                load_clinic(clinic)
            except ClinicError as exc:
                return _fail(EXIT_BAD_INPUT, f"--clinic: {exc}")
        from .window import launch

        return launch(clinic)
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        return _fail(EXIT_FAILED, "the computer ran out of memory. Close other programs and try again.")
    except Exception as exc:  # Last line of defence: a plain message, never a traceback.
        return _fail(EXIT_FAILED, f"unexpected problem: {exc}. Please report it with the command you ran.")
