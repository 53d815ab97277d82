"""Hostile command-line and patient-file input: every bad value is exit 2 naming the option, before any output.

The CLI runs as a real subprocess, so argv bytes that are not UTF-8, standard input, FIFOs and devices
behave as they would for a user. HTML output is used where the test is not about the PDF (it is faster).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROCEDURE = [
    "render",
    "--target",
    "joint",
    "--medication",
    "anesthetic",
    "--guidance",
    "ultrasound",
    "--side",
    "left",
    "--generated-at",
    "2026-11-21T09:30:00+00:00",
]
GOOD_FILE = (
    'name = "Ann Lee"\n'
    "date_of_birth = 1950-03-02\n"
    'mrn = "A-1234"\n'
    'procedure_date = "2026-11-24"\n'
    'clinician = "Dr Ωμέγα"\n'
    'allergies = ["latex", "iodine"]\n'
)


def run_cli(
    args: list[str | bytes], *, stdin: bytes | None = None, stdin_file: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[bytes]:
    """`python -m handout_app ARGS` in a fresh process; bytes arguments go to argv unchanged."""
    handle = open(stdin_file, "rb") if stdin_file else None  # noqa: SIM115 - closed below
    try:
        return subprocess.run(
            [sys.executable, "-m", "handout_app", *args],
            cwd=ROOT,
            input=stdin,
            stdin=handle if handle else (None if stdin is not None else subprocess.DEVNULL),
            capture_output=True,
            timeout=timeout,
        )
    finally:
        if handle:
            handle.close()


def refused(result: subprocess.CompletedProcess[bytes], *fragments: str) -> str:
    """Assert exit 2 with each fragment in the message, and no traceback or 'unexpected problem'."""
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 2, err
    assert "Traceback" not in err and "unexpected problem" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    return err


def render(
    tmp_path: Path, *extra: str | bytes, fmt: str = "html", **kwargs: object
) -> tuple[subprocess.CompletedProcess[bytes], Path]:
    output = tmp_path / f"out.{fmt}"
    return run_cli([*PROCEDURE, "--format", fmt, *extra, "--output", str(output)], **kwargs), output  # type: ignore[arg-type]


# -- the patient file ------------------------------------------------------------------------


def test_patient_details_from_a_file_or_standard_input_reach_the_sheet(tmp_path: Path) -> None:
    patient = tmp_path / "patient.toml"
    patient.write_text(GOOD_FILE, encoding="utf-8")
    for source, kwargs in ((str(patient), {}), ("-", {"stdin": GOOD_FILE.encode()})):
        result, output = render(tmp_path, "--patient-file", source, **kwargs)
        assert result.returncode == 0, result.stderr.decode()
        html = output.read_text(encoding="utf-8")
        for value in ("Ann Lee", "A-1234", "Dr Ωμέγα", "latex"):
            assert value in html, (source, value)
        output.unlink()


def test_a_byte_order_mark_from_a_windows_editor_is_accepted(tmp_path: Path) -> None:
    patient = tmp_path / "bom.toml"
    patient.write_bytes(b"\xef\xbb\xbf" + GOOD_FILE.encode())
    result, output = render(tmp_path, "--patient-file", str(patient))
    assert result.returncode == 0, result.stderr.decode()
    assert "Ann Lee" in output.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "option", [["--mrn", "9"], ["--patient-name", "Bob"], ["--allergy", "latex"], ["--date-of-birth", "1950-01-01"]]
)
def test_a_detail_given_both_in_the_file_and_as_an_option_is_refused(tmp_path: Path, option: list[str]) -> None:
    patient = tmp_path / "patient.toml"
    patient.write_text(GOOD_FILE, encoding="utf-8")
    result, output = render(tmp_path, "--patient-file", str(patient), *option)
    refused(result, "--patient-file", option[0], "one way only")
    assert not output.exists()


def test_without_a_name_anywhere_the_error_says_a_name_is_needed(tmp_path: Path) -> None:
    patient = tmp_path / "patient.toml"
    patient.write_text('mrn = "1"\n', encoding="utf-8")
    for extra in ([], ["--patient-file", str(patient)]):
        result, output = render(tmp_path, *extra)
        refused(result, "required: --patient-name", "--patient-file")
        assert not output.exists()


def _fifo(folder: Path) -> Path:
    path = folder / "fifo.toml"
    os.mkfifo(path)
    return path


BAD_FILES: list[tuple[str, object, str]] = [
    ("missing", None, "does not exist"),
    ("not-utf8", b'name = "Ann"\nmrn = "\xff"\n', "line 2: is not UTF-8"),
    ("surrogate-bytes", b'name = "Ann"\n\nmrn = "\xed\xa0\x80"\n', "line 3: is not UTF-8"),
    ("bad-toml", 'name = "Ann"\nmrn = "1\n', "line 2: is not valid TOML"),
    ("unknown-key", 'name = "Ann"\n\nfax = "1"\n', "line 3: unknown key 'fax'"),
    ("table", '[patient]\nname = "Ann"\n', "line 1: unknown key 'patient'"),
    ("wrong-type", 'name = "Ann"\nmrn = 1234\n', "line 2: 'mrn' must be text in quotes"),
    ("huge-integer", 'name = "Ann"\nmrn = ' + "9" * 5000 + "\n", "a number thousands of digits long"),
    ("deep-array", "allergies = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    ("allergies-not-list", 'name = "Ann"\nallergies = "latex"\n', "line 2: 'allergies' must be a list"),
    ("allergy-not-text", 'name = "Ann"\nallergies = [1]\n', "line 2: each allergy must be text"),
    ("date-with-time", 'name = "Ann"\ndate_of_birth = 1950-03-02T10:00:00\n', "line 2: 'date_of_birth' must be a date"),
    (
        "future-birth",
        'name = "Ann"\ndate_of_birth = 2990-01-01\n',
        "line 2: 'date_of_birth': 2990-01-01 is in the future",
    ),
    ("control-escape", 'name = "Ann\\u0007Lee"\n', "line 1: 'name' contains U+0007 (control character)"),
    ("nul-escape", 'name = "Ann"\nclinician = "Dr\\u0000X"\n', "line 2: 'clinician' contains U+0000"),
    ("c1-escape", 'name = "Ann\\u0085Lee"\n', "line 1: 'name' contains U+0085"),
    ("nul-raw", b'name = "Ann"\x00\n', "is not valid TOML"),
    ("lone-surrogate-escape", 'name = "Ann\\uD800"\n', "is not valid TOML"),
    ("bidi-override", 'name = "Ann\\u202eeeL"\n', "line 1: 'name' has characters the handout cannot print: U+202E"),
    ("zero-width-joiner", 'name = "An\\u200dn"\n', "U+200D (ZERO WIDTH JOINER)"),
    ("non-character", 'name = "Ann\\ufdd0"\n', "U+FDD0"),
    (
        "cjk-name",
        'mrn = "1"\nname = "山田 太郎"\n',
        "line 2: 'name' has characters the handout cannot print: '山' (U+5C71)",
    ),
    ("blank-name", 'name = "   "\n', "line 1: 'name' is empty"),
    ("too-long", 'name = "' + "A" * 201 + '"\n', "longer than 200 characters"),
    ("ten-megabytes", b"#" * (10 * 1024 * 1024), "larger than 64 KB"),
    ("folder", "folder", "is a folder"),
    ("fifo", "fifo", "is not a regular file"),
    ("device", Path("/dev/zero"), "is not a regular file"),
]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in BAD_FILES], ids=[i for i, _, _ in BAD_FILES])
def test_bad_patient_files_exit_2_naming_option_file_and_line(tmp_path: Path, content: object, expected: str) -> None:
    path = tmp_path / "patient.toml"
    if isinstance(content, Path):
        path = content
    elif content == "folder":
        path.mkdir()
    elif content == "fifo":
        path = _fifo(tmp_path)  # nobody writes to it: must be refused at once, not waited on
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    result, output = render(tmp_path, "--patient-file", str(path), timeout=30)
    refused(result, f"argument --patient-file: {path}", expected)
    assert not output.exists()


@pytest.mark.parametrize(
    ("stdin_file", "expected"),
    [(Path("/dev/zero"), "standard input: is larger than 64 KB"), (Path("/dev/null"), "required: --patient-name")],
)
def test_endless_or_empty_standard_input_is_refused(tmp_path: Path, stdin_file: Path, expected: str) -> None:
    result, output = render(tmp_path, "--patient-file", "-", stdin_file=stdin_file, timeout=30)
    refused(result, expected)
    assert not output.exists()


# -- text options ----------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--patient-name", "--mrn", "--clinician", "--allergy"])
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b"Ann\xffLee", "is not valid UTF-8"),  # reaches Python as a surrogate escape
        ("Ann\x85Lee".encode(), "U+0085 (control character)"),  # C1, valid UTF-8 (C2 85)
        (b"Ann\x7fLee", "U+007F (control character)"),  # DEL
        (b"Ann\x1b[31mLee", "U+001B (control character)"),  # a terminal escape
        (b"Ann\tLee", "U+0009 (control character)"),
        (b"Ann\nLee", "U+000A (control character)"),
    ],
    ids=["invalid-utf8", "c1", "del", "escape", "tab", "newline"],
)
def test_text_options_refuse_bad_bytes_and_control_characters(
    tmp_path: Path, option: str, value: bytes, expected: str
) -> None:
    name = [] if option == "--patient-name" else ["--patient-name", "Ann"]
    result, output = render(tmp_path, *name, option.encode(), value)
    refused(result, f"argument {option}:", expected)
    assert not output.exists()


@pytest.mark.parametrize(
    ("name", "named"),
    [
        ("山田太郎", "'山' (U+5C71)"),
        ("प्रिया शर्मा", "'प' (U+092A)"),
        ("محمد علي", "'م' (U+0645)"),
        ("Ann 😀", "'😀' (U+1F600)"),
    ],
    ids=["cjk", "devanagari", "arabic", "emoji"],
)
def test_names_in_scripts_the_fonts_cannot_print_exit_2_naming_the_characters(
    tmp_path: Path, name: str, named: str
) -> None:
    result, output = render(tmp_path, "--patient-name", name, fmt="pdf")
    err = refused(result, "argument --patient-name:", "cannot print", named)
    assert ".notdef" not in err
    assert not output.exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ann\u202eeeL", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("An\u200dn", "U+200D"),
        ("Ann\ufffe", "U+FFFE"),
        ("Ann \u0301Lee", "accent that is not on a letter"),
        ("Ze\u0301\u0323\u0330\u0331", "stacked"),
        ("\u0410nn Lee", "mixes Latin and Cyrillic letters"),
    ],
    ids=[
        "bidi-override",
        "zero-width-joiner",
        "non-character",
        "stray-accent",
        "stacked-accents",
        "look-alike-letters",
    ],
)
def test_invisible_and_misplaced_characters_in_names_are_refused(tmp_path: Path, name: str, expected: str) -> None:
    result, output = render(tmp_path, "--patient-name", name)
    refused(result, "argument --patient-name:", expected)
    assert not output.exists()


def test_a_name_of_only_spaces_is_refused(tmp_path: Path) -> None:
    result, output = render(tmp_path, "--patient-name", "   \u00a0 ")
    refused(result, "--patient-name", "Enter the patient's name")
    assert not output.exists()


def test_a_separately_typed_accent_is_printed_joined_to_its_letter(tmp_path: Path) -> None:
    result, output = render(tmp_path, "--patient-name", "Rene\u0301e Zoe\u0308")
    assert result.returncode == 0, result.stderr.decode()
    html = output.read_text(encoding="utf-8")
    assert "Ren\u00e9e Zo\u00eb" in html and "e\u0301" not in html


def test_more_than_twenty_allergies_are_refused(tmp_path: Path) -> None:
    allergies = [arg for i in range(21) for arg in ("--allergy", f"thing {i}")]
    result, output = render(tmp_path, "--patient-name", "Ann", *allergies)
    refused(result, "argument --allergy:", "more than 20")
    assert not output.exists()


# -- dates, times and paths ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--generated-at", "0001-01-01T00:00:00", "not between 2000 and 2100"),
        ("--generated-at", "9999-12-31T23:59:59-05:00", "not between 2000 and 2100"),
        ("--generated-at", "1999-12-31T23:59:59+00:00", "not between 2000 and 2100"),
        ("--generated-at", "2026-11-21T25:00:00", "is not an ISO-8601 time"),
        ("--date-of-birth", "2990-01-01", "is in the future"),
        ("--date-of-birth", "1899-12-31", "is before 1900"),
        ("--procedure-date", "1066-10-14", "not between 2000 and 2100"),
        ("--procedure-date", "2101-01-01", "not between 2000 and 2100"),
        ("--procedure-date", "2026-W47-6", "is not a date"),
        ("--procedure-date", "２０２６-11-21", "is not a date"),  # noqa: RUF001 (full-width digits on purpose)
    ],
)
def test_dates_and_times_outside_a_sane_range_exit_2_naming_the_option(
    tmp_path: Path, option: str, value: str, expected: str
) -> None:
    result, output = render(tmp_path, "--patient-name", "Ann", option, value)
    refused(result, f"argument {option}:", expected)
    assert not output.exists()


def test_birth_after_the_procedure_is_refused(tmp_path: Path) -> None:
    result, output = render(
        tmp_path, "--patient-name", "Ann", "--date-of-birth", "2020-01-02", "--procedure-date", "2020-01-01"
    )
    refused(result, "argument --date-of-birth:", "after the procedure date")
    assert not output.exists()


@pytest.mark.parametrize("value", ["2026-11-21T09:30:00", "2026-11-21T09:30:00+05:30", "2100-12-31T23:59:59-12:00"])
def test_print_times_with_or_without_an_offset_are_accepted(tmp_path: Path, value: str) -> None:
    output = tmp_path / "out.html"
    result = run_cli(
        [*PROCEDURE[:-2], "--generated-at", value, "--patient-name", "Ann", "--format", "html", "--output", str(output)]
    )
    assert result.returncode == 0, result.stderr.decode()
    assert output.exists()


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--output", b"out-\xff.html", "is not valid UTF-8"),
        ("--output", b"out\n.html", "U+000A"),
        ("--clinic", b"clinic-\xff", "is not valid UTF-8"),
        ("--output", b"", "is empty"),
    ],
    ids=["output-not-utf8", "output-newline", "clinic-not-utf8", "output-empty"],
)
def test_file_names_that_are_not_utf8_or_hold_control_characters_are_refused(
    tmp_path: Path, option: str, value: bytes, expected: str
) -> None:
    args: list[str | bytes] = [*PROCEDURE, "--patient-name", "Ann", "--format", "html"]
    if option == "--output":
        args += ["--output", os.fsencode(tmp_path) + b"/" + value if value else b""]
    else:
        args += [option, value, "--output", str(tmp_path / "out.html")]
    result = run_cli(args)
    refused(result, f"argument {option}:", expected)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5", "1e9", "soon"])
def test_check_templates_timeout_must_be_a_sane_number_of_seconds(value: str) -> None:
    result = run_cli(["check-templates", "examples/clinic", "--timeout", value])
    refused(result, "argument --timeout:")
