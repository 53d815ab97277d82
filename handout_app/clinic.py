"""The clinic profile: the clinic's name, numbers and settings, read from `clinic.toml` in a clinic folder.

Anything the clinic has not given stays empty, and the handout prints a blank line for it:
a phone number is never guessed.  `write_clinic_toml` writes the file back atomically.
The free texts in LOCALIZED_FIELDS may be given per language (`emergency_line = { en = "...",
es = "..." }`; plain text is English), and an optional [approval] table records who signed the
clinic's wording off (checked against the wording in wording_approval.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from .catalog import LANGUAGES
from .choices import Language
from .errors import SetError
from .logo import LogoError, check_logo
from .toml_lines import error_line, key_line


class ClinicError(SetError):
    """A clinic folder or clinic.toml that cannot be used; names the file and line."""

    def __init__(self, path: Path, message: str, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.detail = message
        super().__init__(f"{path}{f', line {line}' if line else ''}: {message}")


@dataclass(frozen=True)
class Approval:
    """The wording sign-off in clinic.toml's [approval] table: who approved the clinic's wording set,
    in what role, on which day, and the wording hash they approved (see wording_approval.py)."""

    name: str
    role: str
    date: dt.date
    content_hash: str


@dataclass(frozen=True)
class ClinicProfile:
    """What the handout prints about the clinic. Empty strings print as blank lines to fill in.

    The texts in LOCALIZED_FIELDS may be given per language: the field itself holds the English
    text and `translations` the others, as (field, language, text). A sheet in a language the
    clinic gave no text in prints the English text (`text_in`).
    """

    name: str = ""
    department: str = ""
    address: str = ""
    phone: str = ""
    opening_hours: str = ""  # printed next to the office phone in "When to call us"
    after_hours_phone: str = ""
    emergency_line: str = ""
    email: str = ""  # printed, and the only mailto: link a sheet may carry
    website: str = ""  # an https:// page, printed, and the only web link a sheet may carry
    logo: str = ""
    default_paper: str = ""
    # The purpose printed when local anesthetic is mixed with another medicine and the nurse has not
    # chosen one: "diagnostic", "therapeutic" or "both". Empty: the nurse must choose every time.
    default_intent: str = ""
    # How nurses type numeric dates such as 02/04/1956: "day-month-year" or "month-day-year".
    # Empty: day first, except on a computer set to the United States.
    date_order: str = ""
    patient_name_in_file_name: bool = False
    # Where the record of every saved or printed sheet goes: empty for this computer's own SQLite
    # file, or the clinic's shared PostgreSQL server ("postgresql://user@host/records") for several
    # workstations. Never given to templates (it may hold a password).
    record_store: str = ""
    # true: the store also keeps the patient's record number (never the name or birth date).
    record_patient_id: bool = False
    template_set_name: str = ""
    template_set_version: str = ""
    translations: tuple[tuple[str, str, str], ...] = ()
    approval: Approval | None = None
    folder: Path | None = None

    @property
    def logo_path(self) -> Path | None:
        """The logo file inside the clinic folder, or None."""
        return (self.folder / self.logo) if self.logo and self.folder else None

    def texts(self, key: str) -> dict[str, str]:
        """The text field `key` in every language the clinic gave it in, English first ({} when not given)."""
        english = getattr(self, key)
        result = {"en": english} if english else {}
        result.update((language, text) for field, language, text in self.translations if field == key and text)
        return result

    def text_in(self, key: str, language: str) -> str:
        """The text field `key` in `language`, or in English when the clinic gave none in that language."""
        return self.texts(key).get(language) or getattr(self, key)

    def missing_languages(self, key: str, languages: tuple[str, ...] = LANGUAGES) -> list[str]:
        """The `languages` a given text field `key` has no text in ([] when the field is not given at all)."""
        texts = self.texts(key)
        return [language for language in languages if texts and language not in texts]


# Fields that are not clinic.toml [clinic] keys of their own.
_NOT_KEYS = ("translations", "approval", "folder")
CLINIC_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ClinicProfile) if f.name not in _NOT_KEYS)
# The free texts a clinic may give per language, as a table: emergency_line = { en = "...", es = "..." }.
LOCALIZED_FIELDS: tuple[str, ...] = ("department", "address", "opening_hours", "emergency_line")
LANGUAGE_NAMES: dict[str, str] = {language.value: language.description for language in Language}
APPROVAL_FIELDS: tuple[str, ...] = ("name", "role", "date", "content_hash")
_APPROVAL_HASH = re.compile(r"sha256:[0-9a-f]{64}")
BOOLEAN_FIELDS = ("patient_name_in_file_name", "record_patient_id")
# Settings no template may see: the record store's address can hold a password.
PRIVATE_FIELDS = ("record_store", "record_patient_id")
_STORE_URL = re.compile(r"postgresql(\+psycopg)?://[^\s:@/]+(@\S+)?")  # no password: clinic.toml is archived and shared
PAPER_VALUES = ("a4", "letter")
INTENT_VALUES = ("diagnostic", "therapeutic", "both")
DATE_ORDER_VALUES = ("day-month-year", "month-day-year")
MAX_TEXT_LENGTH = 300  # longer than any real clinic name or address; a 1 MB name took 53 s to render
MAX_TOML_BYTES = 256 * 1024  # clinic.toml is a dozen lines
# C0 controls (tab and line breaks too: every field prints on one line), DEL, C1 controls, and
# lone surrogates: none belongs in a name or number, ESC can drive a terminal, and DEL made the
# settings dialog write a clinic.toml that nothing could read back.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


_EMAIL = re.compile(r"[^@\s\"<>?&]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_WEBSITE = re.compile(r"https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+(/[^\s\"<>]*)?")


def _line_of(text: str, key: str) -> int | None:
    """The line of the [clinic] field `key` (`key = ...`, `key.en = ...`)."""
    return key_line(text, key, "clinic")


def _shown(text: str) -> str:
    """`text` safe to print in a message: control characters as \\uXXXX, never sent to the terminal."""
    return CONTROL_CHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def text_problem(key: str, value: str) -> str | None:
    """What is wrong with the text `value` for the clinic.toml field `key`, or None if it may be used.

    Checked on the text as written (control characters) and as printed, with runs of spaces made one (length).
    """
    control = CONTROL_CHARACTERS.search(value)
    if control:
        return (
            f"'{key}' contains a control character (U+{ord(control.group()):04X}); "
            "type the text again on one line, with letters, digits and punctuation only."
        )
    length = len(" ".join(value.split()))
    if length > MAX_TEXT_LENGTH:
        return f"'{key}' is {length} characters long; at most {MAX_TEXT_LENGTH} fit on the handout. Shorten it."
    if key == "email" and value.strip() and not _EMAIL.fullmatch(value.strip()):
        return f"'email' must be one e-mail address like clinic@example.org, not \"{_shown(value)}\"."
    if key == "record_store" and value.strip() and not _STORE_URL.fullmatch(value.strip()):
        if re.match(r"postgresql(\+psycopg)?://[^\s@/]*:[^\s@/]*@", value.strip()):
            return (
                "'record_store' holds a password; clinic.toml is shared and archived with every sheet, so put the "
                "password in each workstation's ~/.pgpass file (or PGPASSFILE) and write only "
                "postgresql://user@host/database here."
            )
        return (
            "'record_store' must be a PostgreSQL address like postgresql://handout@records.example.org/records "
            "(or left out for this computer's own record file)."
        )
    if key == "website" and value.strip() and not _WEBSITE.fullmatch(value.strip()):
        return f"'website' must be one https:// address like https://example.org/hip, not \"{_shown(value)}\"."
    from .glyphs import unprintable

    missing = unprintable(value)
    if missing:
        # The same rule as patient details: nothing prints in a font this workstation happens to have.
        return f"'{key}' has characters the handout's fonts cannot print: {', '.join(missing)}. Remove or replace them."
    return None


def _table_example(key: str) -> str:
    return f'{key} = {{ en = "...", es = "..." }}'


def localized_problem(key: str, texts: Mapping[str, Any]) -> str | None:
    """What is wrong with `texts`, the clinic.toml field `key` given as a table per language, or None.

    Each language must be one the handout is printed in, each text passes `text_problem`, and a
    table with any text needs an English one: a sheet in a language the clinic gave no text in
    prints the English text, so there must be one.
    """
    if key not in LOCALIZED_FIELDS:
        return (
            f"'{key}' must be text in quotes, e.g. {key} = \"...\"; only "
            f"{', '.join(LOCALIZED_FIELDS)} may be given per language."
        )
    for language, value in texts.items():
        if language not in LANGUAGES:
            return (
                f"'{key}' has a text in an unknown language '{_shown(str(language))}'; "
                f"use {' or '.join(LANGUAGES)}, e.g. {_table_example(key)}."
            )
        if not isinstance(value, str):
            return f"'{key}.{language}' must be text in quotes, e.g. {_table_example(key)}."
        problem = text_problem(f"{key}.{language}", value)
        if problem:
            return problem
    if not " ".join(str(texts.get("en", "")).split()) and any(" ".join(str(v).split()) for v in texts.values()):
        return (
            f"'{key}' needs an English text as well (en = \"...\"): a sheet in a language the clinic gave "
            f"no text in prints the English one. E.g. {_table_example(key)}."
        )
    return None


def _split_localized(key: str, texts: Mapping[str, str]) -> tuple[str, list[tuple[str, str, str]]]:
    """(the English text, the other languages' texts as (key, language, text)) of a checked table, spaces made one."""
    english = " ".join(texts.get("en", "").split())
    others = [
        (key, language, " ".join(texts[language].split()))
        for language in LANGUAGES
        if language != "en" and " ".join(texts.get(language, "").split())
    ]
    return english, others


def _parse_approval(data: Any, text: str, path: Path) -> Approval:
    """The [approval] table's sign-off; ClinicError naming the file, line and field for anything wrong."""

    def line(key: str | None = None) -> int | None:
        # The field's line, else the [approval] header's or an `approval = {...}` or `approval.name` line.
        return (key_line(text, key, "approval") if key else None) or key_line(text, "approval")

    example = (
        '[approval] then name = "Dr A. Lee", role = "Clinical lead", date = 2026-11-01 and '
        'content_hash = "sha256:..." (the wording hash check-templates prints)'
    )
    if not isinstance(data, dict):
        raise ClinicError(path, f"'approval' must be a table: {example}.", line())
    for key in data:
        if key not in APPROVAL_FIELDS:
            raise ClinicError(
                path,
                f"[approval] has an unknown field '{_shown(str(key))}'; allowed: {', '.join(APPROVAL_FIELDS)}.",
                line(str(key)),
            )
    missing = [key for key in APPROVAL_FIELDS if key not in data]
    if missing:
        raise ClinicError(
            path, f"[approval] is missing {', '.join(missing)}; a sign-off needs all of them: {example}.", line()
        )
    texts: dict[str, str] = {}
    for key in ("name", "role"):
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise ClinicError(
                path, f"[approval] '{key}' must be text in quotes, e.g. {key} = \"...\", and not empty.", line(key)
            )
        problem = text_problem(f"approval.{key}", value)
        if problem:
            raise ClinicError(path, problem, line(key))
        texts[key] = " ".join(value.split())
    date = data["date"]
    if isinstance(date, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date.strip()):
        with contextlib.suppress(ValueError):
            date = dt.date.fromisoformat(date.strip())
    if isinstance(date, dt.datetime) or not isinstance(date, dt.date):
        raise ClinicError(
            path,
            f"[approval] 'date' must be the day the wording was approved, as YYYY-MM-DD, e.g. date = 2026-11-01, "
            f"not {_shown(str(data['date']))}.",
            line("date"),
        )
    if not dt.date(2000, 1, 1) <= date <= dt.date.today():
        raise ClinicError(
            path,
            f"[approval] 'date' {date.isoformat()} is not a past day (from 2000 to today); "
            "give the day the wording was approved.",
            line("date"),
        )
    digest = data["content_hash"]
    if not isinstance(digest, str) or not _APPROVAL_HASH.fullmatch(digest.strip().lower()):
        raise ClinicError(
            path,
            "[approval] 'content_hash' must be the whole wording hash that check-templates prints: "
            '"sha256:" and 64 hex digits. Run handout-app check-templates on the folder and copy it.',
            line("content_hash"),
        )
    return Approval(name=texts["name"], role=texts["role"], date=date, content_hash=digest.strip().lower())


def read_toml_text(path: Path) -> str:
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
        raise ClinicError(
            path, "is not an ordinary file (a folder, pipe or device). Make clinic.toml a plain text file."
        )
    with os.fdopen(fd, "rb") as handle:
        try:
            data = handle.read(MAX_TOML_BYTES + 1)
        except OSError as exc:
            raise ClinicError(path, f"cannot be read ({exc.strerror}). Check the file's permissions.") from exc
    if len(data) > MAX_TOML_BYTES:
        raise ClinicError(
            path,
            f"is larger than {MAX_TOML_BYTES // 1024} KB; a clinic.toml is a few lines. Check it is the right file.",
        )
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
    return parse_clinic_toml(read_toml_text(path), path, folder)


def read_clinic_for_repair(folder: Path) -> tuple[ClinicProfile, str]:
    """clinic.toml for the settings dialog, even when a value in it is wrong: (the profile, "") when the
    file is fine, else (what could be read, the problem). A wrong value is kept as it was typed, so the
    dialog shows it beside the error and the user fixes it there (the one time the dialog is needed).

    A file that is not TOML at all, or a broken [approval] sign-off, cannot be repaired field by field:
    the original ClinicError is raised, naming the file and line to fix in a text editor.
    """
    folder = Path(folder)
    try:
        return load_clinic(folder), ""
    except ClinicError as exc:
        problem = exc
    path = folder / "clinic.toml"
    try:
        text = read_toml_text(path)
        data = tomllib.loads(text)
    except (ClinicError, tomllib.TOMLDecodeError, RecursionError):
        raise problem from None
    table = data.get("clinic")
    values: dict[str, Any] = {}
    translations: list[tuple[str, str, str]] = []
    for key, value in table.items() if isinstance(table, dict) else ():
        if key in BOOLEAN_FIELDS and isinstance(value, bool):
            values[key] = value
        elif key in LOCALIZED_FIELDS and isinstance(value, dict):
            texts = {language: str(text) for language, text in value.items() if language in LANGUAGES}
            values[key], others = _split_localized(key, texts)
            translations += others
        elif key in CLINIC_FIELDS and key not in BOOLEAN_FIELDS and isinstance(value, (str, int, float)):
            values[key] = str(value)
    try:
        approval = _parse_approval(data["approval"], text, path) if "approval" in data else None
    except ClinicError:
        raise problem from None
    profile = ClinicProfile(folder=folder.resolve(), translations=tuple(translations), approval=approval, **values)
    return profile, str(problem)


def parse_clinic_toml(text: str, path: Path, folder: Path) -> ClinicProfile:
    """The ClinicProfile that clinic.toml text `text` (the file `path` in `folder`) describes.

    The one parser for the file: load_clinic reads with it and write_clinic_toml checks with it
    that what it writes reads back the same. Raises ClinicError naming the file and line.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClinicError(path, f"is not valid TOML ({exc}). Check quotes and '=' signs.", error_line(exc)) from exc
    except RecursionError:
        raise ClinicError(
            path, 'has brackets nested too deeply to read. clinic.toml needs only lines like name = "...".'
        ) from None
    table = data.get("clinic")
    if not isinstance(table, dict):
        raise ClinicError(path, 'needs a [clinic] table, e.g. [clinic] then name = "...".')
    values: dict[str, Any] = {}
    translations: list[tuple[str, str, str]] = []
    for key, value in table.items():
        if key not in CLINIC_FIELDS:
            raise ClinicError(
                path, f"unknown field '{_shown(key)}'; allowed: {', '.join(CLINIC_FIELDS)}.", _line_of(text, key)
            )
        if key in BOOLEAN_FIELDS:
            if not isinstance(value, bool):
                raise ClinicError(path, f"'{key}' must be true or false (no quotes).", _line_of(text, key))
            values[key] = value
            continue
        if key in LOCALIZED_FIELDS and isinstance(value, dict):
            problem = localized_problem(key, value)
            if problem:
                raise ClinicError(path, problem, _line_of(text, key))
            values[key], others = _split_localized(key, value)
            translations += others
            continue
        if not isinstance(value, str):
            also = f", or one text per language: {_table_example(key)}" if key in LOCALIZED_FIELDS else ""
            raise ClinicError(path, f"'{key}' must be text in quotes, e.g. {key} = \"...\"{also}.", _line_of(text, key))
        problem = text_problem(key, value)
        if problem:
            raise ClinicError(path, problem, _line_of(text, key))
        values[key] = " ".join(value.split())
    paper = values.get("default_paper", "")
    if paper and paper not in PAPER_VALUES:
        raise ClinicError(
            path, f'default_paper must be "a4" or "letter", not "{paper}".', _line_of(text, "default_paper")
        )
    intent = values.get("default_intent", "")
    if intent and intent not in INTENT_VALUES:
        raise ClinicError(
            path,
            f'default_intent must be one of {", ".join(INTENT_VALUES)}, not "{intent}".',
            _line_of(text, "default_intent"),
        )
    order = values.get("date_order", "")
    if order and order not in DATE_ORDER_VALUES:
        raise ClinicError(
            path,
            f'date_order must be "day-month-year" or "month-day-year", not "{order}".',
            _line_of(text, "date_order"),
        )
    approval = _parse_approval(data["approval"], text, path) if "approval" in data else None
    profile = ClinicProfile(folder=folder.resolve(), translations=tuple(translations), approval=approval, **values)
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
        raise ClinicError(path, 'default_paper must be "a4" or "letter".')
    if profile.default_intent and profile.default_intent not in INTENT_VALUES:
        raise ClinicError(path, f"default_intent must be one of {', '.join(INTENT_VALUES)}.")
    if profile.date_order and profile.date_order not in DATE_ORDER_VALUES:
        raise ClinicError(path, 'date_order must be "day-month-year" or "month-day-year".')
    if profile.logo:
        if profile.folder is None:
            raise ClinicError(path, "a logo needs a clinic folder to live in.")
        _check_logo_in_folder(profile, path, None)
    translations: list[tuple[str, str, str]] = []
    for field, language, _ in profile.translations:
        if language == "en" or field not in LOCALIZED_FIELDS:
            raise ClinicError(
                path,
                f"'{field}' cannot have a {language} text of its own; only {', '.join(LOCALIZED_FIELDS)} "
                "may be given per language, besides their English text.",
            )
    for key in LOCALIZED_FIELDS:
        texts = {"en": getattr(profile, key)}
        texts.update((language, text) for field, language, text in profile.translations if field == key)
        problem = localized_problem(key, texts)
        if problem:
            raise ClinicError(path, problem)
        translations += _split_localized(key, texts)[1]
    cleaned: dict[str, Any] = {
        k: " ".join(getattr(profile, k).split()) for k in CLINIC_FIELDS if k not in BOOLEAN_FIELDS
    }
    return replace(profile, translations=tuple(translations), **cleaned)


def with_values(profile: ClinicProfile, values: Mapping[str, Any]) -> ClinicProfile:
    """`profile` with the clinic.toml fields in `values` replaced, as the settings dialog sends them.

    A field in LOCALIZED_FIELDS may be a {language: text} table, which replaces the field in every
    language, or plain text, which replaces its English text and keeps the other languages. The
    [approval] table is never changed here. Not checked: pass the result to check_profile.
    """
    path = (profile.folder or Path(".")) / "clinic.toml"
    unknown = sorted(set(values) - set(CLINIC_FIELDS))
    if unknown:
        raise ClinicError(path, f"unknown field(s) {unknown}.")
    plain: dict[str, Any] = {}
    translations = list(profile.translations)
    for key, value in values.items():
        if isinstance(value, Mapping):
            if key not in LOCALIZED_FIELDS:
                raise ClinicError(path, f"'{key}' must be text, not a table per language.")
            if any(not isinstance(text, str) for text in value.values()):
                raise ClinicError(path, f"'{key}' must be text in each language.")
            translations = [entry for entry in translations if entry[0] != key]
            translations += [(key, str(language), text) for language, text in value.items() if language != "en"]
            plain[key] = value.get("en", "")
        else:
            plain[key] = value
    return replace(profile, translations=tuple(translations), **plain)


def _check_logo_in_folder(profile: ClinicProfile, path: Path, line: int | None) -> None:
    assert profile.folder is not None and profile.logo_path is not None
    real = profile.logo_path.resolve()
    if not real.is_relative_to(profile.folder):
        raise ClinicError(path, f"logo '{profile.logo}' must be a file inside the clinic folder.", line)
    try:
        check_logo(real)
    except LogoError as exc:
        raise ClinicError(path, f"logo '{profile.logo}' {exc}", line) from None
