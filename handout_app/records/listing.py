"""The records as a table for the terminal or as CSV for an audit (one row per saved, printed or
reprinted sheet). The CSV has a header row; a cell starting with = + - or @ is prefixed with ' so a
spreadsheet never runs it as a formula."""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import lru_cache
from typing import Any

from ..catalog import load_catalog
from ..domain import Guidance, Medication, PatientDetails, Selection, Side, Target
from ..naming import procedure_name

CSV_COLUMNS = (
    "number",
    "time",
    "procedure",
    "side",
    "language",
    "editions",
    "paper",
    "pages",
    "wording",
    "content_version",
    "wording_hash",
    "sha256",
    "output",
    "workstation",
    "user",
    "made_at",
    "record_number",
)


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored UTC time as this computer's local time."""
    return value.replace(tzinfo=dt.UTC).astimezone()


@lru_cache(maxsize=1)
def _english_labels() -> dict[str, Any]:
    return load_catalog().labels_for("en")


def procedure_text(row: dict[str, Any]) -> str:
    """The procedure as the sheet named it (English),
    e.g. 'LEFT hip joint injection, ultrasound-guided, corticosteroid'.

    A choice this version does not know (written to a shared store by a newer version) is shown as stored."""
    try:
        selection = Selection(
            target=Target(row["target"]),
            medications=frozenset(Medication(m) for m in row["medications"].split(";")),
            guidance=Guidance(row["guidance"]),
            side=Side(row["side"]),
            patient=PatientDetails(name=""),
            contrast=bool(row["contrast"]),
        )
        name = procedure_name(selection, _english_labels(), "en")
    except (ValueError, KeyError):
        name = (
            f"{row['side'].upper()} {row['target']}, {row['guidance']}{' with contrast' if row['contrast'] else ''}, "
            f"{row['medications'].replace(';', ' and ')}"
        )
    return f"{name} ({row['intent']})"


def output_text(row: dict[str, Any]) -> str:
    """How the sheet left the program: 'saved', 'printed on X' or 'reprinted'."""
    return f"printed on {row['printer']}" if row["kind"] == "printed" and row["printer"] else row["kind"]


def editions_text(row: dict[str, Any]) -> str:
    """The sheet's editions, e.g. 'large print, consent copy'; 'standard' for none."""
    parts = [
        name
        for key, name in (
            ("large_print", "large print"),
            ("consent_copy", "consent copy"),
            ("archival", "archival PDF/A"),
        )
        if row[key]
    ]
    return ", ".join(parts) or "standard"


def record_values(row: dict[str, Any]) -> dict[str, str]:
    """One delivery as the CSV columns' texts."""
    return {
        "number": row["number"],
        "time": local_time(row["delivered_at"]).isoformat(timespec="seconds"),
        "procedure": procedure_text(row),
        "side": row["side"].upper(),
        "language": row["language"],
        "editions": editions_text(row),
        "paper": row["paper"],
        "pages": str(row["pages"]),
        "wording": row["wording_name"],
        "content_version": row["content_version"],
        "wording_hash": row["content_hash"],
        "sha256": row["sha256"],
        "output": output_text(row),
        "workstation": row["workstation"],
        "user": row["os_user"],
        "made_at": row["made_at"],
        "record_number": row["record_number"] or "",
    }


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        values = record_values(row)
        writer.writerow([_cell(values[column]) for column in CSV_COLUMNS])
    return out.getvalue()


def as_table(rows: list[dict[str, Any]]) -> str:
    """The rows as an aligned table for a terminal."""
    if not rows:
        return "No sheets were saved or printed in that time.\n"
    columns = ("time", "number", "side", "language", "output", "procedure")
    lines = [
        [values[c] if c != "time" else values[c][:16].replace("T", " ") for c in columns]
        for values in map(record_values, rows)
    ]
    header = ["Time", "Number", "Side", "Lang", "Output", "Procedure"]
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    text = [" ".join(cell.ljust(widths[i]) for i, cell in enumerate(header)).rstrip()]
    text += [" ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip() for line in lines]
    return "\n".join(text) + f"\n{len(rows)} sheet{'s' if len(rows) != 1 else ''}.\n"
