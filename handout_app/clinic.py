"""The clinic profile: the clinic's name, numbers and settings, read from `clinic.toml` in a clinic folder.

Anything the clinic has not given stays empty, and the handout prints a blank line for it:
a phone number is never guessed.  `write_clinic_toml` writes the file back atomically.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .logo import LogoError, check_logo


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
    emergency_line: str = ""
    logo: str = ""
    default_paper: str = ""
    patient_name_in_file_name: bool = False
    template_set_name: str = ""
    template_set_version: str = ""
    folder: Path | None = None

    @property
    def logo_path(self) -> Path | None:
        """The logo file inside the clinic folder, or None."""
        return (self.folder / self.logo) if self.logo and self.folder else None


CLINIC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ClinicProfile) if f.name != "folder")
BOOLEAN_FIELDS = ("patient_name_in_file_name",)
PAPER_VALUES = ("a4", "letter")


def _line_of(text: str, key: str) -> int | None:
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, flags=re.MULTILINE)
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
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in CLINIC_FIELDS:
            raise ClinicError(path, f"unknown field '{key}'; allowed: {', '.join(CLINIC_FIELDS)}.", _line_of(text, key))
        if key in BOOLEAN_FIELDS:
            if not isinstance(value, bool):
                raise ClinicError(path, f"'{key}' must be true or false (no quotes).", _line_of(text, key))
            values[key] = value
            continue
        if not isinstance(value, str):
            raise ClinicError(path, f"'{key}' must be text in quotes, e.g. {key} = \"...\".", _line_of(text, key))
        values[key] = " ".join(value.split())
    paper = values.get("default_paper", "")
    if paper and paper not in PAPER_VALUES:
        raise ClinicError(path, f"default_paper must be \"a4\" or \"letter\", not \"{paper}\".", _line_of(text, "default_paper"))
    profile = ClinicProfile(folder=folder.resolve(), **values)
    if profile.logo:
        _check_logo_in_folder(profile, path, _line_of(text, "logo"))
    return profile


def check_profile(profile: ClinicProfile) -> ClinicProfile:
    """Check values typed in the settings dialog as load_clinic checks the file; returns the profile."""
    path = (profile.folder or Path(".")) / "clinic.toml"
    if profile.default_paper and profile.default_paper not in PAPER_VALUES:
        raise ClinicError(path, "default_paper must be \"a4\" or \"letter\".")
    if profile.logo:
        if profile.folder is None:
            raise ClinicError(path, "a logo needs a clinic folder to live in.")
        _check_logo_in_folder(profile, path, None)
    return replace(profile, **{k: " ".join(getattr(profile, k).split()) for k in CLINIC_FIELDS if k not in BOOLEAN_FIELDS})


def _check_logo_in_folder(profile: ClinicProfile, path: Path, line: int | None) -> None:
    assert profile.folder is not None and profile.logo_path is not None
    real = profile.logo_path.resolve()
    if not real.is_relative_to(profile.folder):
        raise ClinicError(path, f"logo '{profile.logo}' must be a file inside the clinic folder.", line)
    try:
        check_logo(real)
    except LogoError as exc:
        raise ClinicError(path, f"logo '{profile.logo}' {exc}", line) from None


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(ch if ch >= " " else f"\\u{ord(ch):04x}" for ch in escaped)
    return f'"{escaped}"'


def clinic_toml_text(profile: ClinicProfile) -> str:
    """The clinic.toml text for `profile` (fields left empty are left out, so they print as blanks)."""
    lines = [
        "# Clinic profile: printed on every handout. A field left out prints as a blank line to fill in.",
        "[clinic]",
    ]
    for key in CLINIC_FIELDS:
        value = getattr(profile, key)
        if value in ("", False) and key not in BOOLEAN_FIELDS:
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def write_clinic_toml(profile: ClinicProfile, folder: Path) -> Path:
    """Write `folder/clinic.toml` atomically; other files in the folder are not touched."""
    from .pdf import write_atomically

    path = Path(folder) / "clinic.toml"
    write_atomically(path, clinic_toml_text(profile).encode("utf-8"), replace=True)
    return path
