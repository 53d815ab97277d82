"""The clinic profile: the clinic's name and numbers, read from `clinic.toml` in a clinic folder.

Anything the clinic has not given stays empty, and the handout prints a blank line for it:
a phone number is never guessed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path


class ClinicError(ValueError):
    """A clinic folder or clinic.toml that cannot be used; names the file and line."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        super().__init__(f"{path}{f', line {line}' if line else ''}: {message}")


@dataclass(frozen=True)
class ClinicProfile:
    """What the handout prints about the clinic. Empty strings print as blank lines to fill in."""

    name: str = ""
    department: str = ""
    address: str = ""
    phone: str = ""
    after_hours_phone: str = ""
    folder: Path | None = None


CLINIC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ClinicProfile) if f.name != "folder")


def _line_of(text: str, key: str) -> int | None:
    match = re.search(rf"^\s*{re.escape(key)}\s*=", text, flags=re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def load_clinic(folder: Path) -> ClinicProfile:
    """Read `folder/clinic.toml`; raise ClinicError with a plain fix for anything wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ClinicError(folder, "is not a folder. Give the folder that holds clinic.toml.")
    path = folder / "clinic.toml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ClinicError(path, "is missing. Create it with a [clinic] table (see the README).") from exc
    except OSError as exc:
        raise ClinicError(path, f"cannot be read ({exc.strerror}). Check the file's permissions.") from exc
    except UnicodeDecodeError as exc:
        raise ClinicError(path, "is not UTF-8 text. Save it as UTF-8.") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ClinicError(
            path, f"is not valid TOML ({exc}). Check quotes and '=' signs.", int(match.group(1)) if match else None
        ) from exc
    table = data.get("clinic")
    if not isinstance(table, dict):
        raise ClinicError(path, "needs a [clinic] table, e.g. [clinic] then name = \"...\".")
    values: dict[str, str] = {}
    for key, value in table.items():
        if key not in CLINIC_FIELDS:
            raise ClinicError(path, f"unknown field '{key}'; allowed: {', '.join(CLINIC_FIELDS)}.", _line_of(text, key))
        if not isinstance(value, str):
            raise ClinicError(path, f"'{key}' must be text in quotes, e.g. {key} = \"...\".", _line_of(text, key))
        values[key] = " ".join(value.split())
    return ClinicProfile(folder=folder.resolve(), **values)
