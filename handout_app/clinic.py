"""The clinic profile: the clinic's name, numbers and settings, read from `clinic.toml` in a clinic folder.

Anything the clinic has not given stays empty, and the handout prints a blank line for it:
a phone number is never guessed.  `write_clinic_toml` writes the file back atomically.
"""

from __future__ import annotations

import os
import re
import stat
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
    email: str = ""  # printed, and the only mailto: link a sheet may carry
    website: str = ""  # an https:// page, printed, and the only web link a sheet may carry
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
MAX_TEXT_LENGTH = 300  # longer than any real clinic name or address; a 1 MB name took 53 s to render
MAX_TOML_BYTES = 256 * 1024  # clinic.toml is a dozen lines
# C0 controls (tab and line breaks too: every field prints on one line), DEL, C1 controls, and
# lone surrogates: none belongs in a name or number, ESC can drive a terminal, and DEL made the
# settings dialog write a clinic.toml that nothing could read back.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


_EMAIL = re.compile(r"[^@\s\"<>?&]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_WEBSITE = re.compile(r"https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/[^\s\"<>]*)?")


def _line_of(text: str, key: str) -> int | None:
    match = re.search(rf"^[ \t]*{re.escape(key)}[ \t]*=", text, flags=re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else None


def _shown(text: str) -> str:
    """`text` safe to print in a message: control characters as \\uXXXX, never sent to the terminal."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def text_problem(key: str, value: str) -> str | None:
    """What is wrong with the text `value` for the clinic.toml field `key`, or None if it may be used.

    Checked on the text as written (control characters) and as printed, with runs of spaces made one (length).
    """
    control = _CONTROL.search(value)
    if control:
        return (f"'{key}' contains a control character (U+{ord(control.group()):04X}); "
                "type the text again on one line, with letters, digits and punctuation only.")
    length = len(" ".join(value.split()))
    if length > MAX_TEXT_LENGTH:
        return f"'{key}' is {length} characters long; at most {MAX_TEXT_LENGTH} fit on the handout. Shorten it."
    if key == "email" and value.strip() and not _EMAIL.fullmatch(value.strip()):
        return f"'email' must be one e-mail address like clinic@example.org, not \"{_shown(value)}\"."
    if key == "website" and value.strip() and not _WEBSITE.fullmatch(value.strip()):
        return f"'website' must be one https:// address like https://example.org/hip, not \"{_shown(value)}\"."
    from .glyphs import unprintable

    missing = unprintable(value)
    if missing:
        # The same rule as patient details: nothing prints in a font this workstation happens to have.
        return f"'{key}' has characters the handout's fonts cannot print: {', '.join(missing)}. Remove or replace them."
    return None


def _read_toml_text(path: Path) -> str:
    """clinic.toml's text. Never blocks or reads forever: a named pipe or device is refused, and so is a huge file."""
    try:
        # O_NONBLOCK: opening a named pipe for reading would otherwise wait for a writer forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError as exc:
        raise ClinicError(path, "is missing. Create it with a [clinic] table (see the README).") from exc
    except OSError as exc:
        raise ClinicError(path, f"cannot be read ({exc.strerror}). Check the file's permissions.") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ClinicError(path, "is not an ordinary file (a folder, pipe or device). Make clinic.toml a plain text file.")
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_TOML_BYTES + 1)
        except OSError as exc:
            raise ClinicError(path, f"cannot be read ({exc.strerror}). Check the file's permissions.") from exc
    if len(data) > MAX_TOML_BYTES:
        raise ClinicError(path, f"is larger than {MAX_TOML_BYTES // 1024} KB; a clinic.toml is a few lines. Check it is the right file.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ClinicError(path, "is not UTF-8 text. Save it as UTF-8.") from exc


def load_clinic(folder: Path) -> ClinicProfile:
    """Read `folder/clinic.toml`; raise ClinicError with a plain fix for anything wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ClinicError(folder, "is not a folder. Give the folder that holds clinic.toml.")
    path = folder / "clinic.toml"
    return parse_clinic_toml(_read_toml_text(path), path, folder)


def parse_clinic_toml(text: str, path: Path, folder: Path) -> ClinicProfile:
    """The ClinicProfile that clinic.toml text `text` (the file `path` in `folder`) describes.

    The one parser for the file: load_clinic reads with it and write_clinic_toml checks with it
    that what it writes reads back the same. Raises ClinicError naming the file and line.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise ClinicError(
            path, f"is not valid TOML ({exc}). Check quotes and '=' signs.", int(match.group(1)) if match else None
        ) from exc
    except RecursionError:
        raise ClinicError(path, "has brackets nested too deeply to read. clinic.toml needs only lines like name = \"...\".") from None
    table = data.get("clinic")
    if not isinstance(table, dict):
        raise ClinicError(path, "needs a [clinic] table, e.g. [clinic] then name = \"...\".")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in CLINIC_FIELDS:
            raise ClinicError(path, f"unknown field '{_shown(key)}'; allowed: {', '.join(CLINIC_FIELDS)}.", _line_of(text, key))
        if key in BOOLEAN_FIELDS:
            if not isinstance(value, bool):
                raise ClinicError(path, f"'{key}' must be true or false (no quotes).", _line_of(text, key))
            values[key] = value
            continue
        if not isinstance(value, str):
            raise ClinicError(path, f"'{key}' must be text in quotes, e.g. {key} = \"...\".", _line_of(text, key))
        problem = text_problem(key, value)
        if problem:
            raise ClinicError(path, problem, _line_of(text, key))
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
    for key in CLINIC_FIELDS:
        value = getattr(profile, key)
        if key not in BOOLEAN_FIELDS:
            if not isinstance(value, str):
                raise ClinicError(path, f"'{key}' must be text.")
            problem = text_problem(key, value)
            if problem:
                raise ClinicError(path, problem)
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
    escaped = _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)
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
    """Write `folder/clinic.toml` atomically; other files in the folder are not touched.

    The values are checked as the file would be, and the exact text is read back with the parser
    load_clinic uses before anything is written: a clinic.toml that would not load, or would load
    to other values, breaks the folder for every workstation, so it is refused (ClinicError).
    """
    from .output_files import write_atomically

    folder = Path(folder)
    path = folder / "clinic.toml"
    profile = check_profile(replace(profile, folder=folder.resolve()))
    text = clinic_toml_text(profile)
    try:
        reread = parse_clinic_toml(text, path, folder)
    except ClinicError as exc:
        raise ClinicError(path, f"the settings would not read back ({exc.detail}); nothing was saved.") from None
    for key in CLINIC_FIELDS:
        if getattr(reread, key) != getattr(profile, key):
            raise ClinicError(path, f"'{key}' would not read back as typed; nothing was saved. Type it again without unusual characters.")
    write_atomically(path, text.encode("utf-8"), replace=True)
    return path
