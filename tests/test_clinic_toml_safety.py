"""clinic.toml from an untrusted folder: control characters, huge values, deep nesting, pipes and
devices are refused with the file and line named; the writer never writes a file it cannot read back."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import pytest

from handout_app import clinic_file as clinic_module
from handout_app.cli import main
from handout_app.clinic import (
    MAX_TEXT_LENGTH,
    ClinicError,
    ClinicProfile,
    check_profile,
    load_clinic,
    parse_clinic_toml,
)
from handout_app.clinic_file import clinic_toml_text, write_clinic_toml

CLI_ARGS = [
    "render",
    "--target",
    "joint",
    "--medication",
    "anesthetic",
    "--guidance",
    "ultrasound",
    "--side",
    "left",
    "--patient-name",
    "Ann Lee",
    "--generated-at",
    "2026-11-21T09:30:00+00:00",
]
GOOD = '[clinic]\nname = "Riverside"\nphone = "555-0100"\n'
CONTROL_CHARACTERS = ["\x00", "\x07", "\t", "\n", "\x1b", "\x7f", "\x80", "\x85", "\x9b", "\x9f"]


def clinic_folder(tmp_path: Path, text: str | bytes) -> Path:
    folder = tmp_path / "clinic"
    folder.mkdir(exist_ok=True)
    path = folder / "clinic.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return folder


# -- the writer ----------------------------------------------------------------------------------


@pytest.mark.parametrize("character", CONTROL_CHARACTERS)
def test_the_writer_refuses_a_control_character_and_writes_nothing(tmp_path: Path, character: str) -> None:
    folder = clinic_folder(tmp_path, GOOD)
    profile = load_clinic(folder)
    with pytest.raises(ClinicError, match="'name' contains a control character"):
        write_clinic_toml(replace(profile, name=f"River{character}side"), folder)
    assert (folder / "clinic.toml").read_text() == GOOD
    assert load_clinic(folder).name == "Riverside"  # the folder still works on every workstation


def test_the_writer_refuses_a_value_too_long_to_print(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path, GOOD)
    with pytest.raises(ClinicError, match=f"'address' is {MAX_TEXT_LENGTH + 1} characters long"):
        write_clinic_toml(ClinicProfile(address="x" * (MAX_TEXT_LENGTH + 1)), folder)
    assert (folder / "clinic.toml").read_text() == GOOD
    write_clinic_toml(ClinicProfile(address="x" * MAX_TEXT_LENGTH), folder)
    assert load_clinic(folder).address == "x" * MAX_TEXT_LENGTH


def test_the_writer_reads_back_the_exact_text_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer bug that would produce unreadable or different text is caught before the file changes."""
    folder = clinic_folder(tmp_path, GOOD)
    profile = ClinicProfile(name="Riverside", phone="555-0100")
    # The in-place edit (which keeps the clinic's comments) is checked the same way.
    monkeypatch.setattr(
        clinic_module, "_edited_in_place", lambda path, p: clinic_toml_text(p).replace('"555-0100"', '"555-0199"')
    )
    with pytest.raises(ClinicError, match="'phone' would not read back as typed; nothing was saved"):
        write_clinic_toml(profile, folder)
    monkeypatch.setattr(clinic_module, "_edited_in_place", lambda path, p: None)  # the fresh file below
    monkeypatch.setattr(
        clinic_module, "clinic_toml_text", lambda p: clinic_toml_text(p).replace('"555-0100"', '"555-0199"')
    )
    with pytest.raises(ClinicError, match="'phone' would not read back as typed; nothing was saved"):
        write_clinic_toml(profile, folder)
    monkeypatch.setattr(clinic_module, "clinic_toml_text", lambda p: clinic_toml_text(p) + 'name = "again"\n')
    with pytest.raises(ClinicError, match=r"the settings would not read back .*nothing was saved"):
        write_clinic_toml(profile, folder)
    assert (folder / "clinic.toml").read_text() == GOOD


def test_the_writer_round_trips_quotes_backslashes_and_other_scripts(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path, GOOD)
    profile = ClinicProfile(name='Dr "O\'Neil" \\ Söhne — Клиника Αθήνα', phone="+1 (555) 0100")
    write_clinic_toml(profile, folder)
    loaded = load_clinic(folder)
    assert (loaded.name, loaded.phone) == (profile.name, profile.phone)


@pytest.mark.parametrize("name", ["Clinic 東京", "Clinic \u2067x\u2069", "Clinic 🏥"])
def test_clinic_text_the_fonts_cannot_print_is_refused_on_save_and_load(tmp_path: Path, name: str) -> None:
    # Like patient names: nothing may print in a font the workstation happens to have, or as boxes.
    folder = clinic_folder(tmp_path, GOOD)
    before = (folder / "clinic.toml").read_bytes()
    with pytest.raises(ClinicError, match="fonts cannot print"):
        write_clinic_toml(ClinicProfile(name=name), folder)
    assert (folder / "clinic.toml").read_bytes() == before
    (folder / "clinic.toml").write_text(f'[clinic]\nname = "{name}"\n', encoding="utf-8")
    with pytest.raises(ClinicError, match="line 2: 'name' has characters the handout's fonts cannot print"):
        load_clinic(folder)


# -- the reader ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("\\u007f", "007F"),
        ("\\u001b[31m", "001B"),
        ("\\u0000", "0000"),
        ("\\t", "0009"),
        ("\\n", "000A"),
        ("\u0085", "0085"),
        ("\u009b", "009B"),
        ("\\u0080", "0080"),
    ],
)
def test_load_refuses_control_characters_naming_field_and_line(tmp_path: Path, written: str, code: str) -> None:
    folder = clinic_folder(tmp_path, f'[clinic]\nname = "Riverside"\n\naddress = "12 River{written} Road"\n')
    with pytest.raises(ClinicError) as caught:
        load_clinic(folder)
    assert caught.value.line == 4
    assert f"clinic.toml, line 4: 'address' contains a control character (U+{code})" in str(caught.value)


def test_a_multi_line_string_is_refused_too(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path, '[clinic]\naddress = """12 River Road\nSpringfield"""\n')
    with pytest.raises(ClinicError, match="line 2: 'address' contains a control character"):
        load_clinic(folder)


def test_load_refuses_a_huge_value_fast(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path, '[clinic]\nphone = "1"\nname = "' + "x" * 200_000 + '"\n')
    started = time.monotonic()
    with pytest.raises(ClinicError, match="line 3: 'name' is 200000 characters long; at most 300"):
        load_clinic(folder)
    assert time.monotonic() - started < 2


def test_load_refuses_a_huge_file(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path, GOOD + "# " + "x" * (1024 * 1024) + "\n")
    with pytest.raises(ClinicError, match="is larger than 256 KB"):
        load_clinic(folder)


@pytest.mark.parametrize("where", ["top", "clinic"])
def test_deep_nesting_is_a_clinic_error_not_a_recursion_error(tmp_path: Path, where: str) -> None:
    nested = "x = " + "[" * 5000 + "]" * 5000 + "\n"
    text = nested + GOOD if where == "top" else GOOD + nested.replace("x =", "name =")
    with pytest.raises(ClinicError, match="nested too deeply"):
        load_clinic(clinic_folder(tmp_path, text))


def test_an_unknown_key_is_shown_without_its_control_characters(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path, '[clinic]\n"\\u001b]0;owned\\u0007" = "x"\n')
    with pytest.raises(ClinicError) as caught:
        load_clinic(folder)
    assert "\x1b" not in str(caught.value) and "\x07" not in str(caught.value)
    assert "unknown field '\\u001b]0;owned\\u0007'" in str(caught.value)


@pytest.mark.parametrize("kind", ["fifo", "folder", "device"])
def test_a_clinic_toml_that_is_not_a_file_is_refused_without_hanging(tmp_path: Path, kind: str) -> None:
    folder = tmp_path / "clinic"
    folder.mkdir()
    path = folder / "clinic.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to("/dev/null")  # a device: refused before reading
    outcome: list[BaseException] = []

    def load() -> None:
        try:
            load_clinic(folder)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        if kind == "fifo":
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # release the waiting reader
        pytest.fail("load_clinic hung")
    assert isinstance(outcome[0], ClinicError) and "is not an ordinary file" in str(outcome[0])


# -- check_profile (the settings dialog and the live preview) ------------------------------------


@pytest.mark.parametrize("character", ["\x7f", "\x1b", "\x9b", "\x00", "\ud800"])
def test_check_profile_refuses_control_characters(tmp_path: Path, character: str) -> None:
    with pytest.raises(ClinicError, match="'department' contains a control character"):
        check_profile(ClinicProfile(department=f"Joint{character}Service", folder=tmp_path))


def test_check_profile_refuses_a_huge_value() -> None:
    with pytest.raises(ClinicError, match="'name' is 1048576 characters long"):
        check_profile(ClinicProfile(name="x" * 1024 * 1024))


def test_the_one_parser_is_what_load_clinic_uses(tmp_path: Path) -> None:
    folder = clinic_folder(tmp_path, GOOD)
    assert parse_clinic_toml(GOOD, folder / "clinic.toml", folder) == load_clinic(folder)


# -- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[clinic]\nname = "A"\ndepartment = "B\\u007fC"\n',
            "clinic.toml, line 3: 'department' contains a control character (U+007F)",
        ),
        ('[clinic]\nname = "' + "x" * 100_000 + '"\n', "clinic.toml, line 2: 'name' is 100000 characters long"),
        ('[clinic]\nname = "' + "x" * 1_000_000 + '"\n', "clinic.toml: is larger than 256 KB"),
        ('[clinic]\nname = "A"\nx = ' + "[" * 5000 + "]" * 5000 + "\n", "clinic.toml: has brackets nested too deeply"),
    ],
    ids=["del", "long-name", "megabyte-name", "deep-nesting"],
)
def test_cli_exits_2_naming_the_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    folder = clinic_folder(tmp_path, text)
    output = tmp_path / "x.pdf"
    started = time.monotonic()
    code = main([*CLI_ARGS, "--clinic", str(folder), "--output", str(output)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"error: --clinic: {folder / 'clinic.toml'}" in err and expected in err
    assert "Traceback" not in err and "unexpected problem" not in err and "\x7f" not in err
    assert not output.exists() and time.monotonic() - started < 10
