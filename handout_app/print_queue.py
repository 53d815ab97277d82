"""Send a finished handout PDF to a CUPS print queue with the `lp` command (Linux and macOS).

The queue receives the PDF itself: the same bytes that were previewed, with their text, about their size,
instead of one picture per page. The window and the CLI share this module: it builds the commands and
reads their answers; the window runs them without blocking (QProcess), the CLI with `subprocess`.

The PDF goes to `lp` on standard input, so no copy of the patient's sheet is left in a temporary file,
and the job title is the suggested file name, which holds no patient details (queues are visible to
everyone on the print server).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

# `lp` answers "request id is Queue-12 (1 file(s))"; CUPS job ids are the queue name, a dash, a number.
_REQUEST_ID = re.compile(r"request id is (\S+-\d+)")
SIDES = ("one-sided", "two-sided-long-edge", "two-sided-short-edge")
MAX_COPIES = 99
# How long `lp` may take to hand a job to the scheduler before we give up and say so.
SUBMIT_TIMEOUT_S = 60


class PrintError(RuntimeError):
    """The handout could not be handed to the print queue; the message says what to do."""


@dataclass(frozen=True)
class PrintSettings:
    """What the print dialog (or the CLI) chose: the queue and how to print on it."""

    printer: str | None  # None: the system's default queue
    copies: int = 1
    sides: str | None = None  # one of SIDES, None: the queue's default
    first_page: int | None = None  # a page range, both given or neither
    last_page: int | None = None
    title: str = "hip-injection-handout"

    def __post_init__(self) -> None:
        if not 1 <= self.copies <= MAX_COPIES:
            raise ValueError(f"copies must be 1 to {MAX_COPIES}, not {self.copies}")
        if self.sides is not None and self.sides not in SIDES:
            raise ValueError(f"sides must be one of {', '.join(SIDES)}")
        if (self.first_page is None) != (self.last_page is None):
            raise ValueError("a page range needs both its first and last page")

    def pages_phrase(self, total: int) -> str:
        """What is sent, as the status line and the progress window say it: "6 pages", or
        "pages 2 to 3 of 6" when the print dialog chose a page range (the range is cut to the sheet)."""
        if self.first_page is None or self.last_page is None:
            return f"{total} pages"
        first, last = min(self.first_page, total), min(self.last_page, total)
        return f"page {first} of {total}" if first == last else f"pages {first} to {last} of {total}"


def cups_available() -> bool:
    """True where the CUPS client commands exist, so the PDF itself can be sent to a queue."""
    return all(shutil.which(command) for command in ("lp", "lpstat", "cancel"))


def submit_command(settings: PrintSettings) -> list[str]:
    """The `lp` command that prints the PDF given on its standard input."""
    command = [shutil.which("lp") or "lp"]
    if settings.printer:
        command += ["-d", settings.printer]
    command += ["-n", str(settings.copies), "-t", settings.title]
    if settings.sides:
        command += ["-o", f"sides={settings.sides}"]
    if settings.first_page is not None:
        command += ["-P", f"{settings.first_page}-{settings.last_page}"]
    return command  # no file named: `lp` reads the PDF from its standard input


def job_id_from(output: str) -> str:
    """The job id in `lp`'s answer; PrintError when there is none."""
    found = _REQUEST_ID.search(output)
    if found is None:
        raise PrintError(
            f"The print queue did not confirm the job ({output.strip() or 'no answer'}). "
            "Check the printer's queue before printing again, so the sheet is not printed twice."
        )
    return found.group(1)


WINDOW_SAVE_HINT = "save the PDF (File > Save PDF...) and print it from there"


def refusal_message(printer: str | None, error_output: str, save_hint: str = WINDOW_SAVE_HINT) -> str:
    """What to tell the user when `lp` refused the job; `save_hint` is the way round it where they are."""
    detail = error_output.strip().removeprefix("lp:").strip() or "no reason given"
    where = f"the printer '{printer}'" if printer else "the default printer"
    return (
        f"The handout could not be sent to {where}: {detail}\n\n"
        f"Check that the printer is set up and switched on, or {save_hint}."
    )


def pending_command(job_id: str) -> list[str]:
    """`lpstat` listing the queue's unfinished jobs; the job is done once it no longer appears."""
    return [shutil.which("lpstat") or "lpstat", "-W", "not-completed", "-o", queue_of(job_id)]


def job_is_pending(job_id: str, lpstat_output: str) -> bool:
    """True while `lpstat -W not-completed` still lists the job."""
    return any(line.split()[:1] == [job_id] for line in lpstat_output.splitlines())


def cancel_command(job_id: str) -> list[str]:
    """The `cancel` command for one job."""
    return [shutil.which("cancel") or "cancel", job_id]


def queue_of(job_id: str) -> str:
    """'Front-Desk-12' -> 'Front-Desk'."""
    return job_id.rsplit("-", 1)[0]


def default_printer() -> str | None:
    """The system's default queue, or None when there is none (or no CUPS)."""
    if not cups_available():
        return None
    try:
        answer = subprocess.run([shutil.which("lpstat") or "lpstat", "-d"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = re.search(r"system default destination:\s*(\S+)", answer.stdout)
    return found.group(1) if found else None


def submit(pdf: bytes, settings: PrintSettings, save_hint: str = WINDOW_SAVE_HINT) -> str:
    """Hand the PDF to the queue and wait until it is accepted; returns the job id (the CLI's path)."""
    if not cups_available():
        raise PrintError(
            "Printing from here needs CUPS (the `lp` command), which this computer does not have. "
            "Save the PDF with --output and print the file instead."
        )
    try:
        answer = subprocess.run(submit_command(settings), input=pdf, capture_output=True, timeout=SUBMIT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise PrintError(
            f"The print queue did not answer within {SUBMIT_TIMEOUT_S} seconds. Check the printer's "
            "queue before printing again, so the sheet is not printed twice."
        ) from None
    except OSError as exc:
        raise PrintError(f"The `lp` command could not be run ({exc.strerror or exc}).") from None
    if answer.returncode != 0:
        raise PrintError(refusal_message(settings.printer, answer.stderr.decode("utf-8", "replace"), save_hint))
    return job_id_from(answer.stdout.decode("utf-8", "replace"))
