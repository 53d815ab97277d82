"""Writing clinic.toml from the clinic settings dialog: the clinic's own file edited in place where it can
be (tomlkit keeps its comments, order and [approval]), else written afresh; either way checked and read
back with the parser that loads it (clinic.py) before a byte is written."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from .clinic import (
    BOOLEAN_FIELDS,
    CLINIC_FIELDS,
    CONTROL_CHARACTERS,
    LOCALIZED_FIELDS,
    ClinicError,
    ClinicProfile,
    check_profile,
    parse_clinic_toml,
    read_toml_text,
)


def toml_value(value: object) -> str:
    """A TOML basic string (or true/false) holding `value` exactly, control characters escaped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = CONTROL_CHARACTERS.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)
    return f'"{escaped}"'


def _edited_in_place(path: Path, profile: ClinicProfile) -> str | None:
    """The existing clinic.toml with only its [clinic] values changed to `profile`'s, keeping the clinic's
    comments, order and any [approval] exactly (tomlkit); None when there is no such file to edit, or it
    is laid out in a way this does not edit (then the whole file is written afresh). write_clinic_toml
    reads the result back before writing, so a wrong edit is refused, never saved."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        document = tomlkit.parse(read_toml_text(path))
    except (ClinicError, TOMLKitError, RecursionError):
        return None
    table = document.get("clinic")
    if not isinstance(table, tomlkit.items.Table) or table.is_super_table():
        return None
    for key in CLINIC_FIELDS:
        value = getattr(profile, key)
        texts = profile.texts(key) if key in LOCALIZED_FIELDS else {}
        wanted: Any = texts if len(texts) > 1 else value
        item: Any = table.get(key)
        current = item.unwrap() if hasattr(item, "unwrap") else item  # tomlkit items to plain values
        if current == wanted or (
            isinstance(current, str) and isinstance(wanted, str) and " ".join(current.split()) == wanted
        ):
            continue  # unchanged: left exactly as the clinic wrote it
        if key not in BOOLEAN_FIELDS and value == "":
            if key in table:
                del table[key]
        elif len(texts) > 1:
            inline = tomlkit.inline_table()
            inline.update(texts)
            table[key] = inline
        else:
            table[key] = value
    return tomlkit.dumps(document)


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
        texts = profile.texts(key) if key in LOCALIZED_FIELDS else {}
        if len(texts) > 1:
            # One text per language, as an inline table: emergency_line = { en = "...", es = "..." }
            lines.append(
                f"{key} = {{ "
                + ", ".join(f"{language} = {toml_value(text)}" for language, text in texts.items())
                + " }"
            )
            continue
        lines.append(f"{key} = {toml_value(value)}")
    if profile.approval is not None:
        # Kept exactly as it was: the settings dialog never signs the wording off.
        approval = profile.approval
        lines += [
            "",
            "# Wording sign-off: the sheet's footer names it while the "
            "wording hash still matches (check-templates prints it).",
            "[approval]",
            f"name = {toml_value(approval.name)}",
            f"role = {toml_value(approval.role)}",
            f"date = {approval.date.isoformat()}",
            f"content_hash = {toml_value(approval.content_hash)}",
        ]
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
    text = _edited_in_place(path, profile) or clinic_toml_text(profile)
    try:
        reread = parse_clinic_toml(text, path, folder)
    except ClinicError as exc:
        raise ClinicError(path, f"the settings would not read back ({exc.detail}); nothing was saved.") from None
    for key in CLINIC_FIELDS:
        if getattr(reread, key) != getattr(profile, key) or reread.texts(key) != profile.texts(key):
            raise ClinicError(
                path,
                f"'{key}' would not read back as typed; nothing was saved. Type it again without unusual characters.",
            )
    if reread.approval != profile.approval:
        raise ClinicError(
            path,
            "the [approval] sign-off would not read back as it was; "
            "nothing was saved. Fix [approval] in a text editor.",
        )
    write_atomically(path, text.encode("utf-8"), replace=True)
    return path
