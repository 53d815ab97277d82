"""A day's list of procedures (CSV or Excel .xlsx, one patient a row) read and checked into Selections.

Every row is checked before anything is made: each problem names the row number (as the spreadsheet
shows it, the header being row 1), the column, the value and what is allowed. Values use the CLI's
spellings (`handout-app options`); the same rules and warnings as a single sheet apply
(Selection.check and the catalog's rules), so a list can never print what the form would refuse.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from .catalog import LANGUAGES, Catalog, check_rules
from .domain import (
    Allergy,
    Choice,
    Factor,
    Guidance,
    Intent,
    Medication,
    Paper,
    PatientDetails,
    PatientFactors,
    Selection,
    SelectionError,
    Side,
    Target,
    default_intent,
)
from .patient_input import (
    MAX_ALLERGIES,
    TEXT_LIMITS,
    InputError,
    birth_after_procedure_problem,
    check_birth_date,
    check_procedure_date,
    parse_typed_date,
    printable_text,
    shown,
)

_C = TypeVar("_C", bound=Choice)

COLUMNS: tuple[str, ...] = (
    "name",
    "date_of_birth",
    "record_number",
    "procedure_date",
    "clinician",
    "target",
    "medications",
    "guidance",
    "contrast",
    "intent",
    "side",
    "language",
    "paper",
    "large_print",
    "consent_copy",
    *(factor.attribute for factor in Factor),  # a yes/no column per patient factor of the registry
    "allergies",
)
REQUIRED: tuple[str, ...] = ("name", "target", "medications", "guidance", "side")
YES = frozenset({"yes", "true", "1", "y"})
NO = frozenset({"no", "false", "0", "n", ""})
MAX_ROWS = 500  # a clinic's day is tens of patients; thousands of rows is a wrong file
MAX_LIST_BYTES = 5 * 1024 * 1024


class DayListError(ValueError):
    """The list as a whole cannot be read (wrong file, wrong header); the message says what to do."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one row: where, what was there, and what is allowed."""

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        value = f" '{shown(self.value)}'" if self.value else ""
        return f"{where}:{value} {self.message}"


@dataclass
class Row:
    """One patient of the list: its row number, its selection (None when it has problems), and findings."""

    number: int
    values: dict[str, str]
    selection: Selection | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def read_table(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The list's rows as (row number, {column: text}); DayListError for a file that is not a day list."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DayListError(f"{path} cannot be read ({exc.strerror or exc}). Check the file name.") from None
    if size > MAX_LIST_BYTES:
        raise DayListError(
            f"{path} is {size // 1024} KB; a day list is at most "
            f"{MAX_LIST_BYTES // 1024 // 1024} MB. Check it is the right file."
        )
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        table = _xlsx_rows(path)
    elif suffix in (".csv", ".txt"):
        table = _csv_rows(path)
    else:
        raise DayListError(f"{path.name} is not a day list: give a .csv file (UTF-8) or an Excel .xlsx file.")
    return _with_header(table, path)


def _csv_rows(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a byte order mark
    except UnicodeDecodeError as exc:
        raise DayListError(
            f"{path.name} is not UTF-8 text (byte {exc.start + 1}). In Excel, save it as "
            '"CSV UTF-8 (Comma delimited)", or give the .xlsx file itself.'
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","  # Excel in many countries uses ;
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)]
    except csv.Error as exc:
        raise DayListError(f"{path.name} is not a well-formed CSV file ({exc}). Check the quotes in it.") from None


def _xlsx_rows(path: Path) -> list[list[str]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DayListError(
            f"{path.name} is not an Excel .xlsx workbook that can be read ({exc}). "
            "Open it in Excel and save it again as .xlsx, or as CSV UTF-8."
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        filled = 0
        for cells in sheet.iter_rows(values_only=True):
            row = [_cell_text(cell) for cell in cells]
            rows.append(row)
            filled += any(text.strip() for text in row)
            if filled > MAX_ROWS + 1:  # header plus one too many: enough to say the list is too long
                break
        return rows
    finally:
        workbook.close()


def _cell_text(cell: Any) -> str:
    """An Excel cell as the text a CSV would hold: dates as YYYY-MM-DD, whole numbers without '.0'."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, dt.datetime):
        return cell.date().isoformat()
    if isinstance(cell, dt.date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell)


def _with_header(table: list[list[str]], path: Path) -> list[tuple[int, dict[str, str]]]:
    rows = [(number, row) for number, row in enumerate(table, start=1) if any(cell.strip() for cell in row)]
    if not rows:
        raise DayListError(f"{path.name} is empty. The first row names the columns, e.g. {', '.join(REQUIRED)}.")
    header_number, header = rows[0]
    names = [cell.strip().lower().replace(" ", "_").replace("-", "_") for cell in header]
    unknown = [header[i].strip() for i, name in enumerate(names) if name and name not in COLUMNS]
    if unknown:
        raise DayListError(
            f"{path.name}, row {header_number}: unknown column(s) {', '.join(repr(u) for u in unknown)}. "
            f"The columns are: {', '.join(COLUMNS)}."
        )
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise DayListError(
            f"{path.name}, row {header_number}: the column(s) {', '.join(repeated)} appear twice; keep one of each."
        )
    missing = [name for name in REQUIRED if name not in names]
    if missing:
        raise DayListError(
            f"{path.name}, row {header_number}: the column(s) {', '.join(missing)} are missing; "
            f"every list needs {', '.join(REQUIRED)}."
        )
    body = rows[1:]
    if len(body) > MAX_ROWS:
        raise DayListError(f"{path.name} has more than {MAX_ROWS} patients; split it into smaller lists.")
    result = []
    for number, row in body:
        if len(row) > len(names) and any(cell.strip() for cell in row[len(names) :]):
            result.append((number, {"__extra__": row[len(names)]}))
            continue
        result.append(
            (number, {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(names) if name})
        )
    return result


def check_rows(
    table: Iterable[tuple[int, dict[str, str]]],
    catalog: Catalog,
    default_paper: str = "",
    clinic_intent: str = "",
    date_order: str = "",
) -> list[Row]:
    """Every row as a Row: its Selection when it is sound, else every problem found in it."""
    rows = []
    for number, values in table:
        row = Row(number, values)
        if "__extra__" in values:
            row.problems.append(
                Problem(
                    number,
                    "",
                    values["__extra__"],
                    "has more cells than the header has columns; check for a comma or semicolon inside a value",
                )
            )
        else:
            _check_row(row, catalog, default_paper, clinic_intent, date_order)
        rows.append(row)
    return rows


def _choice(row: Row, column: str, enum: type[_C], required: bool = False) -> _C | None:
    text = row.values.get(column, "").lower()
    if not text:
        if required:
            row.problems.append(
                Problem(row.number, column, "", f"is empty; give one of {', '.join(m.value for m in enum)}")
            )
        return None
    try:
        return enum(text)
    except ValueError:
        row.problems.append(
            Problem(
                row.number, column, row.values[column], f"is not allowed; use one of {', '.join(m.value for m in enum)}"
            )
        )
        return None


def _yes_no(row: Row, column: str) -> bool:
    text = row.values.get(column, "").lower()
    if text in YES:
        return True
    if text not in NO:
        row.problems.append(
            Problem(
                row.number,
                column,
                row.values[column],
                "is not yes or no; use yes, no, true, false, 1, 0 or leave it empty",
            )
        )
    return False


def _text(row: Row, column: str, limit: int, what: str, required: bool = False) -> str:
    value = row.values.get(column, "")
    if not value:
        if required:
            row.problems.append(Problem(row.number, column, "", f"is empty; give {what}"))
        return ""
    try:
        return printable_text(value, limit, what)
    except InputError as exc:
        row.problems.append(Problem(row.number, column, value, str(exc)))
        return ""


_NUMERIC_DATE = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}")


def _date(row: Row, column: str, check: Any, date_order: str) -> dt.date | None:
    """YYYY-MM-DD, '2 Apr 1956', or 02/04/1956 in the clinic's date_order (never guessed without one)."""
    value = row.values.get(column, "")
    if not value:
        return None
    if _NUMERIC_DATE.fullmatch(value) and not date_order:
        row.problems.append(
            Problem(
                row.number,
                column,
                value,
                "could be read two ways; write it as YYYY-MM-DD or 2 Apr 1956, or set date_order in clinic.toml",
            )
        )
        return None
    try:
        date = parse_typed_date(value, day_first=date_order != "month-day-year")
        return check(date) if date else None
    except InputError as exc:
        row.problems.append(Problem(row.number, column, value, str(exc)))
        return None


def _list(row: Row, column: str) -> list[str]:
    """A list cell: parts separated by ';' (or ',', which a semicolon-separated CSV needs)."""
    return [part.strip() for part in re.split(r"[;,]", row.values.get(column, "")) if part.strip()]


def _check_row(row: Row, catalog: Catalog, default_paper: str, clinic_intent: str, date_order: str) -> None:
    name = _text(row, "name", TEXT_LIMITS["name"], "the patient's full name", required=True)
    target = _choice(row, "target", Target, required=True)
    guidance = _choice(row, "guidance", Guidance, required=True)
    side = _choice(row, "side", Side, required=True)
    intent = _choice(row, "intent", Intent)
    medications: set[Medication] = set()
    raw_medicines = [part.lower() for part in _list(row, "medications")]
    if not raw_medicines:
        row.problems.append(
            Problem(
                row.number,
                "medications",
                "",
                f"is empty; give one or more of {', '.join(m.value for m in Medication)}, separated by ; or ,",
            )
        )
    for part in raw_medicines:
        try:
            medications.add(Medication(part))
        except ValueError:
            row.problems.append(
                Problem(
                    row.number,
                    "medications",
                    part,
                    f"is not a medicine; use {', '.join(m.value for m in Medication)}, separated by ; or ,",
                )
            )
    language = row.values.get("language", "").lower() or "en"
    if language not in LANGUAGES:
        row.problems.append(
            Problem(
                row.number,
                "language",
                row.values["language"],
                f"is not a handout language; use {' or '.join(LANGUAGES)}",
            )
        )
        language = "en"
    paper_text = row.values.get("paper", "").lower() or default_paper or Paper.A4.value
    paper = Paper.A4
    try:
        paper = Paper(paper_text)
    except ValueError:
        row.problems.append(
            Problem(
                row.number,
                "paper",
                row.values.get("paper", ""),
                f"is not a paper size; use {' or '.join(p.value for p in Paper)}",
            )
        )
    allergies_text = _list(row, "allergies")
    if len(allergies_text) > MAX_ALLERGIES:
        row.problems.append(
            Problem(row.number, "allergies", "", f"lists more than {MAX_ALLERGIES}; give the allergies that matter")
        )
    allergies = []
    for part in allergies_text[:MAX_ALLERGIES]:
        try:
            allergies.append(Allergy.parse(printable_text(part, TEXT_LIMITS["allergy"], "The allergy")))
        except InputError as exc:
            row.problems.append(Problem(row.number, "allergies", part, str(exc)))
    details = PatientDetails(
        name=name or "-",
        date_of_birth=_date(row, "date_of_birth", check_birth_date, date_order),
        mrn=_text(row, "record_number", TEXT_LIMITS["mrn"], "the record number"),
        procedure_date=_date(row, "procedure_date", check_procedure_date, date_order),
        clinician=_text(row, "clinician", TEXT_LIMITS["clinician"], "the clinician's name"),
    )
    order_problem = birth_after_procedure_problem(details.date_of_birth, details.procedure_date)
    if order_problem:
        row.problems.append(
            Problem(row.number, "date_of_birth", row.values["date_of_birth"], f"{order_problem}; check both dates")
        )
    factors = PatientFactors(
        present=[factor for factor in Factor if _yes_no(row, factor.attribute)],
        allergies=tuple(dict.fromkeys(allergies)),
    )
    contrast, large_print, consent_copy = (
        _yes_no(row, "contrast"),
        _yes_no(row, "large_print"),
        _yes_no(row, "consent_copy"),
    )
    if row.problems or target is None or guidance is None or side is None or not medications:
        return
    if intent is None and default_intent(frozenset(medications)) is None:
        if clinic_intent:
            intent = Intent(clinic_intent)
        else:
            row.problems.append(
                Problem(
                    row.number,
                    "intent",
                    "",
                    "is needed: local anesthetic with another medicine can be to find "
                    "the source of the pain, to treat it, or both (diagnostic, therapeutic or both)",
                )
            )
            return
    selection = Selection(
        target=target,
        medications=frozenset(medications),
        guidance=guidance,
        contrast=contrast,
        intent=intent,
        side=side,
        patient=details,
        factors=factors,
        paper=paper,
        language=language,
        large_print=large_print,
        consent_copy=consent_copy,
    )
    try:
        selection.check()
    except SelectionError as exc:
        column = {"medication": "medications", "patient-name": "name"}.get(exc.field_name, exc.field_name)
        row.problems.append(Problem(row.number, column, row.values.get(column, ""), exc.message))
        return
    for finding in check_rules(catalog, selection):
        if finding.level == "refuse":
            row.problems.append(Problem(row.number, finding.field or "", "", finding.message))
        else:
            row.warnings.append(finding.message)
    if not row.problems:
        row.selection = selection
