"""`handout-app render ... --print`: the same queue code as the window, with plain errors before anything is made."""

from __future__ import annotations

from pathlib import Path

import pytest

from handout_app import print_queue

from . import fake_cups
from .helpers import pdf_text
from .test_cli import BASE, run


def test_print_sends_the_pdf_itself_to_the_named_queue_with_copies(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cups = fake_cups.install(monkeypatch, tmp_path / "cups")
    code, out, err = run([*BASE, "--print", "--printer", "FakeQueue", "--copies", "2"], capsys)
    assert code == 0, err
    assert f"(job {fake_cups.JOB_ID}, 2 copies)" in out and "FakeQueue" in out
    args = cups.lp_args
    assert args[args.index("-d") + 1] == "FakeQueue" and args[args.index("-n") + 1] == "2"
    assert args[args.index("-t") + 1].startswith("hip-joint-injection_LEFT_") and "Ann" not in " ".join(args)
    assert "LEFT hip joint injection" in pdf_text(cups.job_pdf.read_bytes())


def test_print_and_output_together_save_and_print_the_same_bytes(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cups = fake_cups.install(monkeypatch, tmp_path / "cups")
    output = tmp_path / "saved.pdf"
    code, out, err = run([*BASE, "--print", "--output", str(output)], capsys)
    assert code == 0, err
    assert "Saved" in out and f"to {fake_cups.QUEUE} (job" in out  # the default queue, by name
    assert output.read_bytes() == cups.job_pdf.read_bytes()
    assert "-d" not in cups.lp_args  # the system's default queue


@pytest.mark.parametrize(
    "extra, expected",
    [
        ([], "--output (or --print"),
        (["--output", "x.pdf", "--printer", "Q"], "add --print"),
        (["--print", "--copies", "0"], "--copies"),
        (["--print", "--copies", "²"], "--copies"),
        (["--print", "--format", "html"], "only a PDF can be printed"),
    ],
)
def test_wrong_print_options_exit_2(extra: list[str], expected: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        run([*BASE, *extra], capsys)
    assert stopped.value.code == 2
    assert expected in capsys.readouterr().err


def test_a_refused_job_exits_1_with_the_queues_reason(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake_cups.install(monkeypatch, tmp_path / "cups", lp_fails="The printer or class does not exist.")
    code, _out, err = run([*BASE, "--print", "--printer", "Nowhere"], capsys)
    assert code == 1
    assert "'Nowhere'" in err and "The printer or class does not exist." in err and "--output" in err
    assert "Traceback" not in err


def test_without_cups_or_a_default_printer_nothing_is_made(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(print_queue, "cups_available", lambda: False)
    code, _, err = run([*BASE, "--print"], capsys)
    assert code == 2 and "needs CUPS" in err and "--output" in err
    monkeypatch.setattr(print_queue, "cups_available", lambda: True)
    monkeypatch.setattr(print_queue, "default_printer", lambda: None)
    code, _, err = run([*BASE, "--print"], capsys)
    assert code == 2 and "no default printer" in err and "--printer NAME" in err
