"""`handout-app new-clinic DIR --name "..."` (and Clinic > New clinic folder... in the window): a clean,
commented starting folder for a clinic, with its own name and none of the example clinic's content.

Copying `examples/clinic` kept Riverside's logo and set name above the new clinic's name and gave two
steroid-card rows under a doubled heading (issue 11); this writes only what a new clinic needs: a
clinic.toml with every field explained, and empty content/, templates/ and assets/ folders whose
README files say what goes in them. The folder is made beside its final place and moved there in one
step, so a failure never leaves half a folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .clinic import ClinicError, parse_clinic_toml, text_problem
from .clinic_file import toml_value

CLINIC_TOML = """\
# clinic.toml for {name}: printed on every handout.
# A field left out prints as a blank line to fill in by hand: a number is never guessed.
# Fields marked "per language" take one text (English) or one per language: {{ en = "...", es = "..." }}.
# Take the # off a line to use it. After any change, run: handout-app check-templates {folder}
# (In the window, Clinic > Clinic settings... edits the same fields and keeps these comments.)

[clinic]
name = {quoted_name}
# department = {{ en = "...", es = "..." }}      # per language
# address = {{ en = "...", es = "..." }}         # per language
# phone = "..."                                # the office number for questions
# opening_hours = {{ en = "...", es = "..." }}   # per language; printed under the office phone
# after_hours_phone = "..."
# emergency_line = {{ en = "...", es = "..." }}  # per language; left out, the sheet says to call \
the local emergency number
# email = "..."                                # printed, and the only e-mail link a sheet may hold
# website = "https://..."                      # https:// only; the only web link a sheet may hold
# logo = "assets/logo.png"                     # PNG, JPEG or SVG in this folder, at most 2 MB and 4000 px a side
# default_paper = "a4"                         # or "letter"
# default_intent = "both"                      # the purpose when local anesthetic is mixed with another medicine:
#                                              # "diagnostic", "therapeutic" or "both"; left out, the nurse \
chooses every time
# date_order = "day-month-year"                # how nurses type 02/04/1956, or "month-day-year"; left out, \
as each computer is set
patient_name_in_file_name = false              # true lets Save put the patient's name in the file name
# record_store = "postgresql://handout@records.example.org/records"  # a shared record of every sheet, for several
#                                              # workstations (password in ~/.pgpass); left out, each computer \
keeps its own
# record_patient_id = false                    # true: the record also keeps the patient's record number \
(never the name)
template_set_name = {quoted_set_name}           # printed in every handout's footer with the version
template_set_version = "1"
"""

FOLDER_NOTES = {
    "content": (
        "Your changes to the built-in wording go in .toml files here, e.g. 10-our-wording.toml.\n"
        "List every item's id with: handout-app check-templates THIS-FOLDER --list-items\n"
        "Every figure or time an item prints must come from a fact it cites (facts = [...]); add your own facts\n"
        "with their source in claims.toml here. The README's section "
        '"Your clinic\'s own sheet" shows each kind of change.\n'
    ),
    "templates": (
        "A template file here replaces the built-in file of the same path, e.g. partials/header.html.j2;\n"
        "clinic.css here is added after the built-in styles. Most clinics need nothing here.\n"
    ),
    "assets": "Your logo and any other pictures go here (PNG, JPEG or SVG, at most 2 MB and 4000 px a side).\n",
}


def create_clinic_folder(folder: Path, name: str) -> Path:
    """Write a new clinic folder at `folder` (which must not exist, or be an empty folder); returns it.

    ClinicError says what is wrong with the name or the place; nothing is left behind on failure."""
    folder = Path(folder)
    clean_name = " ".join(name.split())
    problem = (
        text_problem("name", clean_name)
        if clean_name
        else 'the clinic\'s name is empty; give it, e.g. --name "Riverside Clinic".'
    )
    if problem:
        raise ClinicError(folder / "clinic.toml", problem)
    if folder.is_symlink() or (folder.exists() and (not folder.is_dir() or any(folder.iterdir()))):
        raise ClinicError(
            folder, "already exists and is not an empty folder; choose a new folder name, so nothing in it is replaced."
        )
    parent = folder.parent if str(folder.parent) else Path(".")
    if not parent.is_dir():
        raise ClinicError(
            folder, f"cannot be made: the folder {parent} does not exist. Create it first or choose another place."
        )
    text = CLINIC_TOML.format(
        name=clean_name,
        folder=folder,
        quoted_name=toml_value(clean_name),
        quoted_set_name=toml_value(f"{clean_name} handouts"),
    )
    parse_clinic_toml(text, folder / "clinic.toml", folder)  # it must read back before anything is written
    try:
        staging = Path(tempfile.mkdtemp(prefix=".new-clinic-", dir=parent))
    except OSError as exc:
        raise ClinicError(
            folder, f"cannot be made in {parent} ({exc.strerror or exc}); choose a folder you can write to."
        ) from None
    try:
        (staging / "clinic.toml").write_text(text, encoding="utf-8")
        for sub, note in FOLDER_NOTES.items():
            (staging / sub).mkdir()
            (staging / sub / "README.txt").write_text(note, encoding="utf-8")
        staging.chmod(0o755)  # mkdtemp makes it private; a clinic folder is shared by the workstations
        existed = folder.exists()
        if existed:
            folder.rmdir()  # the empty folder the user chose is replaced by the finished one
        try:
            os.replace(staging, folder)
        except OSError:
            if existed:
                folder.mkdir()  # put the user's empty folder back
            raise
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise ClinicError(folder, f"could not be written ({exc.strerror or exc}); nothing was made.") from None
    return folder
