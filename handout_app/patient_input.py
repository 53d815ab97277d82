"""Patient details as typed: checks for text, dates and times, and the patient file.

The command line, the patient file (TOML, so details need not appear in `ps`) and the day list share
these checks, and the window shares the date rules and the reading of typed dates, so a value is
refused the same way whichever way it came. Messages never name the option or the file; the caller
adds that. Nothing here echoes a control or invisible character back to the terminal.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
import tomllib
import unicodedata
from typing import BinaryIO

from . import glyphs
from .toml_lines import error_line, key_line

TEXT_LIMITS = {"name": 200, "mrn": 60, "clinician": 200, "allergy": 120}
MAX_ALLERGIES = 20
MAX_FILE_BYTES = 64 * 1024  # a patient file is a few lines; more is a wrong file, not a patient
EARLIEST_BIRTH = dt.date(1900, 1, 1)
FIRST_YEAR, LAST_YEAR = 2000, 2100  # print and procedure times outside these are typing mistakes
FILE_KEYS = ("name", "date_of_birth", "mrn", "procedure_date", "clinician", "allergies")
STDIN = "-"


class InputError(ValueError):
    """A value that cannot be used; the message says what is wrong and what to do."""


class PatientFileError(InputError):
    """A patient file that cannot be used; names the file (or standard input) and the line if known."""

    def __init__(self, source: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.line = line
        self.detail = message
        super().__init__(f"{source}{f', line {line}' if line else ''}: {message}")


def shown(value: str, limit: int = 40) -> str:
    """`value` safe to print in a message: invisible and control characters as \\uXXXX, cut to `limit`."""
    text = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in value[:limit])
    return text + ("..." if len(value) > limit else "")


def text_problem(value: str) -> str | None:
    """Why `value` is not text at all (bytes that were not UTF-8, control characters), or None."""
    for char in value:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            # Python's stand-in for a byte that was not UTF-8 (surrogateescape).
            return "is not valid UTF-8; set the terminal or file to UTF-8 and type it again"
        if 0xD800 <= code <= 0xDFFF:
            return f"contains {glyphs.describe(char)}, which is not text; type it again"
        if code < 0x20 or 0x7F <= code <= 0x9F:
            return f"contains {glyphs.describe(char)}; remove it and type it again"
    return None


def clean_text(value: str, limit: int) -> str:
    """`value` in NFC with runs of spaces collapsed; InputError for control characters or over `limit`."""
    problem = text_problem(value)
    if problem:
        raise InputError(problem)
    cleaned = " ".join(unicodedata.normalize("NFC", value).split())
    if len(cleaned) > limit:
        raise InputError(f"is longer than {limit} characters; shorten it")
    return cleaned


def printable_text(value: str, limit: int, what: str) -> str:
    """clean_text, and refused if the bundled fonts cannot print every character (`what` names the value)."""
    cleaned = clean_text(value, limit)
    problem = glyphs.problem(cleaned, what)
    if problem:
        raise InputError(problem)
    return cleaned


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(value: str) -> dt.date:
    """A YYYY-MM-DD date; InputError otherwise (week dates and other ISO forms are refused as ambiguous)."""
    problem = text_problem(value)
    if problem:
        raise InputError(problem)
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"'{shown(value)}' is not a date; write it as YYYY-MM-DD, e.g. 2026-11-21") from None


_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>\d+)"
_TYPED_DATES = (
    re.compile(r"(?P<year>\d{4})-(?P<month>\d{1,2})-(?P<day>\d{1,2})"),  # 1956-04-02
    re.compile(r"(?P<first>\d{1,2})[/.\-](?P<second>\d{1,2})[/.\-]" + _YEAR),  # 02/04/1956, in the clinic's order
    re.compile(_DAY + r"[\s\-/.,]*(?P<name>[a-z]+)\.?[\s\-/.,]*" + _YEAR),  # 2 Apr 1956, 2-april-1956
    re.compile(r"(?P<name>[a-z]+)\.?[\s\-/.,]*" + _DAY + r"[\s\-/.,]*" + _YEAR),  # Apr 2, 1956
)


def parse_typed_date(text: str, day_first: bool) -> dt.date | None:
    """A date as nurses type it: '2 Apr 1956', 'April 2, 1956', '1956-04-02', or '02/04/1956' in the
    clinic's order (`day_first`). None for an empty field; InputError saying how to type it otherwise.
    The messages are short (they sit under the field); the field itself still shows what was typed.

    Nothing is guessed: a two-digit year, or numbers that only make a date in the other order, are refused."""
    value = " ".join(text.split()).lower()
    if not value:
        return None
    example = "2 Apr 1956, " + ("02/04/1956" if day_first else "04/02/1956") + " or 1956-04-02"
    for pattern in _TYPED_DATES:
        found = pattern.fullmatch(value)
        if found is None:
            continue
        parts = found.groupdict()
        if len(parts["year"]) != 4:
            raise InputError("give the year with all four digits, e.g. 1956")
        if "name" in parts:
            month = _MONTHS.get(parts["name"])
            if month is None:
                raise InputError(f"'{shown(parts['name'][:20])}' is not a month; type e.g. {example}")
            day = int(parts["day"])
        elif "first" in parts:
            day, month = (int(parts["first"]), int(parts["second"]))
            if not day_first:
                day, month = month, day
        else:
            day, month = int(parts["day"]), int(parts["month"])
        try:
            return dt.date(int(parts["year"]), month, day)
        except ValueError:
            order = " in day/month/year" if day_first else " in month/day/year"
            raise InputError(f"no such day{order if 'first' in parts else ''}; type e.g. {example}") from None
    raise InputError(f"not a date; type e.g. {example}")


# The date rules, written once for the window, the command line, the patient file and the day list. Each
# gives the reason only ("is in the future"): the caller puts the date before it as its reader sees dates
# (the window '2 Apr 1956', a file 1956-04-02) and adds what to do after it.


def birth_date_problem(value: dt.date, today: dt.date | None = None) -> str | None:
    """Why `value` cannot be a date of birth ('is in the future', 'is before 1900'), or None."""
    if value > (today or dt.date.today()):
        return "is in the future"
    if value < EARLIEST_BIRTH:
        return f"is before {EARLIEST_BIRTH.year}"
    return None


def procedure_date_problem(value: dt.date) -> str | None:
    """Why `value` cannot be a procedure date ('is not between 2000 and 2100'), or None."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        return f"is not between {FIRST_YEAR} and {LAST_YEAR}"
    return None


def birth_after_procedure_problem(birth: dt.date | None, procedure: dt.date | None) -> str | None:
    """'is after the procedure date' when the date of birth is later than the procedure date, else None."""
    if birth is not None and procedure is not None and birth > procedure:
        return "is after the procedure date"
    return None


def date_problems(birth: dt.date | None, procedure: dt.date | None, today: dt.date | None = None) -> dict[str, str]:
    """Each date's problem by key ('date_of_birth', 'procedure_date'); an empty dict when both are fine.
    The two are compared only when each is fine on its own, so one mistake is not reported twice."""
    problems: dict[str, str] = {}
    if procedure is not None and (problem := procedure_date_problem(procedure)):
        problems["procedure_date"] = problem
    if birth is not None and (problem := birth_date_problem(birth, today)):
        problems["date_of_birth"] = problem
    if not problems and (problem := birth_after_procedure_problem(birth, procedure)):
        problems["date_of_birth"] = problem
    return problems


def check_birth_date(value: dt.date, today: dt.date | None = None) -> dt.date:
    """A date of birth from 1900 up to today; InputError otherwise."""
    problem = birth_date_problem(value, today)
    if problem:
        raise InputError(f"{value.isoformat()} {problem}; check the date of birth")
    return value


def check_procedure_date(value: dt.date) -> dt.date:
    """A procedure date in FIRST_YEAR..LAST_YEAR; InputError otherwise."""
    problem = procedure_date_problem(value)
    if problem:
        raise InputError(f"{value.isoformat()} {problem}; check the procedure date")
    return value


def parse_timestamp(value: str) -> dt.datetime:
    """An ISO-8601 time, with or without an offset, in FIRST_YEAR..LAST_YEAR; InputError otherwise."""
    problem = text_problem(value)
    if problem:
        raise InputError(problem)
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"'{shown(value)}' is not an ISO-8601 time; write it like 2026-11-21T09:30:00+00:00") from None
    # Checked on the time as written; an offset cannot carry it past the range by more than a day.
    if not FIRST_YEAR <= moment.year <= LAST_YEAR:
        raise InputError(f"'{shown(value)}' is not between {FIRST_YEAR} and {LAST_YEAR}; give the real print time")
    return moment


def check_path_text(value: str) -> str:
    """A file or folder name from the command line; InputError if empty, not UTF-8 or with control characters."""
    if not value:
        raise InputError("is empty; give a file or folder name")
    problem = text_problem(value)
    if problem:
        raise InputError(problem)
    return value


# -- the patient file ------------------------------------------------------------------------


def _read_bytes(spec: str, stdin: BinaryIO | None) -> tuple[str, bytes]:
    """The file's label for messages and at most MAX_FILE_BYTES + 1 of its bytes."""
    if spec == STDIN:
        if stdin is None:
            raise PatientFileError("standard input", "is closed; pipe the patient file into the command")
        return "standard input", stdin.read(MAX_FILE_BYTES + 1)
    label = shown(spec, 300)  # a file name may hold invisible characters that reorder the terminal line
    # Non-blocking, so that a named pipe without a writer is refused instead of waiting for ever.
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(spec, flags)
    except FileNotFoundError:
        raise PatientFileError(label, "does not exist; check the file name") from None
    except PermissionError:
        raise PatientFileError(label, "cannot be read (permission denied); check the file's permissions") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise PatientFileError(label, f"cannot be opened ({reason}); check the file name") from None
    # Checked on the open file, not on the name, so nothing can be swapped in between.
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise PatientFileError(label, "is a folder; give the patient file itself")
        if not stat.S_ISREG(info.st_mode):
            raise PatientFileError(
                label,
                "is not a regular file (a device, pipe or socket); save the details in a file, "
                "or pipe them in with --patient-file -",
            )
        if info.st_size > MAX_FILE_BYTES:
            raise PatientFileError(
                label, f"is larger than {MAX_FILE_BYTES // 1024} KB; a patient file holds a few lines"
            )
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with handle:
        try:
            return label, handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise PatientFileError(label, f"cannot be read ({exc.strerror}); check the file") from None


def _parse_toml(source: str, data: bytes) -> tuple[str, dict[str, object]]:
    if len(data) > MAX_FILE_BYTES:
        raise PatientFileError(source, f"is larger than {MAX_FILE_BYTES // 1024} KB; a patient file holds a few lines")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise PatientFileError(source, "is not UTF-8 text; save it as UTF-8", line) from None
    text = text.removeprefix("\ufeff")  # Windows editors start UTF-8 files with a byte-order mark
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        reason = str(exc)[: found.start()].strip() if found else str(exc)
        raise PatientFileError(
            source, f"is not valid TOML ({reason}); check quotes, '=' signs and brackets", error_line(exc)
        ) from None
    except RecursionError:
        raise PatientFileError(
            source, "has brackets nested too deeply; a patient file needs at most one list"
        ) from None
    except ValueError:  # Python refuses to read an integer of thousands of digits
        raise PatientFileError(source, "has a number thousands of digits long; check the values") from None


def _file_text(source: str, key: str, value: object, line: int | None, limit: int) -> str:
    if not isinstance(value, str):
        raise PatientFileError(source, f"'{key}' must be text in quotes, e.g. {key} = \"...\"", line)
    try:
        return printable_text(value, limit, f"'{key}'")
    except InputError as exc:
        message = str(exc)  # the glyph check names the key itself; the others do not
        raise PatientFileError(
            source, message if message.startswith(f"'{key}'") else f"'{key}' {message}", line
        ) from None


def _file_date(source: str, key: str, value: object, line: int | None) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, (dt.date, str)):
        raise PatientFileError(source, f"'{key}' must be a date, e.g. {key} = 1950-03-02", line)
    try:
        date = parse_date(value) if isinstance(value, str) else value
        return check_birth_date(date) if key == "date_of_birth" else check_procedure_date(date)
    except InputError as exc:
        raise PatientFileError(source, f"'{key}': {exc}", line) from None


def read_patient_file(spec: str, stdin: BinaryIO | None = None) -> tuple[str, dict[str, object]]:
    """Read a patient file (`-` is standard input): its label for messages and its checked values by key.

    Keys: name, date_of_birth, mrn, procedure_date, clinician (text or dates) and allergies (a list of
    text). Raises PatientFileError naming the file and line for anything it cannot use.
    """
    source, data = _read_bytes(spec, stdin)
    text, table = _parse_toml(source, data)
    values: dict[str, object] = {}
    for key, value in table.items():
        line = key_line(text, key)
        if key not in FILE_KEYS:
            raise PatientFileError(source, f"unknown key '{shown(key)}'; allowed: {', '.join(FILE_KEYS)}", line)
        if key in ("date_of_birth", "procedure_date"):
            values[key] = _file_date(source, key, value, line)
        elif key == "allergies":
            if not isinstance(value, list):
                raise PatientFileError(
                    source, '\'allergies\' must be a list, e.g. allergies = ["latex", "iodine"]', line
                )
            if len(value) > MAX_ALLERGIES:
                raise PatientFileError(
                    source, f"'allergies' lists more than {MAX_ALLERGIES}; give the ones that matter", line
                )
            if not all(isinstance(item, str) for item in value):
                raise PatientFileError(source, 'each allergy must be text in quotes, e.g. allergies = ["latex"]', line)
            typed = (_file_text(source, "allergies", item, line, TEXT_LIMITS["allergy"]) for item in value)
            values[key] = [item for item in typed if item]
        else:
            values[key] = _file_text(source, key, value, line, TEXT_LIMITS[key])
    if "name" in values and not values["name"]:
        raise PatientFileError(source, "'name' is empty; give the patient's full name", key_line(text, "name"))
    return source, values
