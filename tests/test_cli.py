"""The command line: success, every refusal with the right exit code and message, and nothing half-written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from handout_app.cli import main
from handout_app.worker_client import WorkerProcess

from .helpers import pdf_text

EXAMPLE_CLINIC = Path(__file__).resolve().parent.parent / "examples" / "clinic"
BASE = [
    "render",
    "--target",
    "joint",
    "--medication",
    "anesthetic",
    "--medication",
    "corticosteroid",
    "--intent",
    "both",
    "--guidance",
    "fluoroscopy",
    "--contrast",
    "--side",
    "left",
    "--patient-name",
    "Ann Lee",
    "--generated-at",
    "2026-11-21T09:30:00+00:00",
]


def test_anesthetic_with_a_steroid_and_no_purpose_exits_2_naming_intent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [a for a in BASE if a not in ("--intent", "both")] + ["--output", str(tmp_path / "x.pdf")]
    code, _, err = run(args, capsys)
    assert code == 2 and "--intent" in err and "diagnostic, therapeutic or both" in err
    assert not (tmp_path / "x.pdf").exists()


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_render_writes_a_pdf_with_the_clinic_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "handout.pdf"
    code, out, err = run([*BASE, "--clinic", str(EXAMPLE_CLINIC), "--output", str(output)], capsys)
    assert code == 0, err
    assert "Saved" in out and str(output) in out
    text = pdf_text(output.read_bytes())
    assert "Riverside Orthopaedic Clinic" in text and "555-0100" in text and "555-0199" in text
    assert "LEFT hip joint injection" in text
    assert list(tmp_path.iterdir()) == [output]  # no temporary files left behind


def test_without_a_clinic_numbers_are_blank_lines_not_invented(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "handout.html"
    code, _, err = run([*BASE, "--format", "html", "--output", str(output)], capsys)
    assert code == 0, err
    html = output.read_text(encoding="utf-8")
    assert html.count('class="blank') >= 6  # clinic name, phone, after-hours (header, call box, consent)
    assert "555" not in html


def test_warnings_go_to_stderr_and_still_succeed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "render",
        "--target",
        "joint",
        "--medication",
        "anesthetic",
        "--guidance",
        "landmark",
        "--side",
        "right",
        "--patient-name",
        "Ann",
        "--output",
        str(tmp_path / "a.pdf"),
    ]
    code, _, err = run(args, capsys)
    assert code == 0
    assert err.startswith("warning: Landmark guidance for the hip joint is unusual")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (["--target", "knee"], "argument --target: invalid choice: 'knee'"),
        (["--medication", "morphine"], "argument --medication: invalid choice: 'morphine'"),
        (["--guidance", "ct"], "argument --guidance: invalid choice: 'ct'"),
        (["--side", "middle"], "argument --side: invalid choice: 'middle'"),
        (["--date-of-birth", "31/12/1950"], "argument --date-of-birth: '31/12/1950' is not a date"),
        (["--paper", "a3"], "argument --paper: invalid choice: 'a3'"),
    ],
)
def test_bad_values_exit_2_naming_option_value_and_choices(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: list[str], expected: str
) -> None:
    output = tmp_path / "out.pdf"
    with pytest.raises(SystemExit) as caught:
        main([*BASE, *change, "--output", str(output)])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not output.exists()


@pytest.fixture
def started_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[WorkerProcess | None]:
    """Every render worker the CLI starts in a test, with their temp folders in `tmp_path`."""
    import tempfile

    from handout_app import cli

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    started: list[WorkerProcess | None] = []
    real_start = cli.start_worker
    monkeypatch.setattr(cli, "start_worker", lambda: started.append(real_start()) or started[-1])
    return started


def test_bad_options_stop_the_render_worker_started_before_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started_workers: list[WorkerProcess | None]
) -> None:
    # `render` starts its worker before the options are read: options refused by the grammar (argparse exits)
    # or by the checks after it must not leave that worker running, nor its temp folder behind.
    with pytest.raises(SystemExit):
        main([*BASE, "--side", "middle", "--output", str(tmp_path / "x.pdf")])
    (tmp_path / "x.pdf").write_bytes(b"kept")
    code, _, err = run([*BASE, "--output", str(tmp_path / "x.pdf")], capsys)
    assert code == 2 and "already exists" in err
    assert len(started_workers) == 2 and all(worker is not None for worker in started_workers)
    assert all(worker.process.poll() is not None for worker in started_workers)  # type: ignore[union-attr]
    assert not list(tmp_path.glob("handout-worker-*"))
    assert (tmp_path / "x.pdf").read_bytes() == b"kept"


def test_a_render_leaves_no_worker_running_once_its_sheet_is_saved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], started_workers: list[WorkerProcess | None]
) -> None:
    # `render` starts its worker first (main), and the sheet is made in it: when the command ends, neither
    # the worker nor its temp folder (WeasyPrint's copies of the fonts) is left behind.
    code, out, _ = run([*BASE, "--output", str(tmp_path / "sheet.pdf")], capsys)
    assert code == 0 and "Saved" in out
    assert (tmp_path / "sheet.pdf").read_bytes().startswith(b"%PDF")
    assert len(started_workers) == 1 and started_workers[0] is not None
    assert started_workers[0].process.poll() is not None
    assert not list(tmp_path.glob("handout-worker-*"))


@pytest.mark.parametrize("missing", ["--side", "--patient-name"])
def test_missing_side_or_name_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], missing: str) -> None:
    args = list(BASE)
    index = args.index(missing)
    del args[index : index + 2]
    with pytest.raises(SystemExit) as caught:
        main([*args, "--output", str(tmp_path / "x.pdf")])
    assert caught.value.code == 2
    assert f"required: {missing}" in capsys.readouterr().err


def test_blank_name_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*BASE, "--output", str(tmp_path / "x.pdf")]
    args[args.index("Ann Lee")] = "   "
    code, _, err = run(args, capsys)
    assert code == 2 and "--patient-name" in err and not (tmp_path / "x.pdf").exists()


def test_contrast_without_fluoroscopy_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [*BASE, "--output", str(tmp_path / "x.pdf")]
    args[args.index("fluoroscopy")] = "ultrasound"
    code, _, err = run(args, capsys)
    assert code == 2
    assert "--contrast: Contrast dye is only used with fluoroscopy" in err
    assert not (tmp_path / "x.pdf").exists()


def test_existing_output_is_kept_without_force_and_replaced_with_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "handout.pdf"
    output.write_bytes(b"precious")
    code, _, err = run([*BASE, "--output", str(output)], capsys)
    assert code == 2 and "already exists" in err and "--force" in err
    assert output.read_bytes() == b"precious"
    code, _, _ = run([*BASE, "--force", "--output", str(output)], capsys)
    assert code == 0 and output.read_bytes().startswith(b"%PDF")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; covered by the failing-write test")
def test_unwritable_folder_gives_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    code, _, err = run([*BASE, "--output", str(folder / "x.pdf")], capsys)
    assert code == 1 and "could not write" in err


def test_a_failing_write_leaves_no_partial_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "x.pdf"

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    code, _, err = run([*BASE, "--output", str(output)], capsys)
    assert code == 1 and "No space left on device" in err
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run([*BASE, "--output", str(tmp_path / "nope" / "x.pdf")], capsys)
    assert code == 2 and "does not exist" in err


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "clinic.toml: is missing"),
        ('[clinic]\nname = "A"\nphone = 5550100\n', "line 3: 'phone' must be text"),
        ('[clinic]\nname = "A"\nfax = "1"\n', "line 3: unknown field 'fax'"),
        ('[clinic]\nname = "A\n', "line 2: is not valid TOML"),
        ('name = "A"\n', "needs a [clinic] table"),
        (b"\xff\xfe bad", "is not UTF-8"),
    ],
)
def test_invalid_clinic_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | bytes | None, expected: str
) -> None:
    clinic = tmp_path / "clinic"
    clinic.mkdir()
    if isinstance(content, bytes):
        (clinic / "clinic.toml").write_bytes(content)
    elif content is not None:
        (clinic / "clinic.toml").write_text(content, encoding="utf-8")
    output = tmp_path / "x.pdf"
    code, _, err = run([*BASE, "--clinic", str(clinic), "--output", str(output)], capsys)
    assert code == 2
    assert expected in err and "Traceback" not in err
    assert not output.exists()


def test_options_lists_every_choice_with_a_description(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["options"], capsys)
    assert code == 0
    for value in (
        "joint",
        "trochanteric",
        "iliopsoas",
        "periarticular",
        "anesthetic",
        "corticosteroid",
        "hyaluronic-acid",
        "prp",
        "ultrasound",
        "fluoroscopy",
        "landmark",
        "diagnostic",
        "therapeutic",
        "both",
        "left",
        "right",
        "bilateral",
        "--contrast",
        "--diabetes",
    ):
        assert value in out


def test_python_dash_m_works_and_shows_no_traceback(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "handout_app", "render", "--target", "hip", "--output", str(tmp_path / "x.pdf")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert "invalid choice: 'hip'" in result.stderr and "Traceback" not in result.stderr


def test_without_a_display_the_window_says_how_to_make_a_pdf_instead() -> None:
    import os
    import subprocess
    import sys

    env = {
        key: value for key, value in os.environ.items() if key not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    for command in ([], ["gui"]):
        result = subprocess.run(
            [sys.executable, "-m", "handout_app", *command], capture_output=True, text=True, env=env, timeout=120
        )
        assert result.returncode == 2, result.stderr
        assert "no display was found" in result.stderr and "handout-app render" in result.stderr
        assert "xcb" not in result.stderr and "Aborted" not in result.stderr
