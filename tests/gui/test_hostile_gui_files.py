"""The window with hostile files: Save and Export never replace a pipe or link, keep permissions;
the clinic settings dialog refuses values that would break clinic.toml; Import shows every bad
archive as a plain error and leaves nothing behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from handout_app.gui import dialogs
from handout_app.gui.clinic_settings import ClinicSettingsDialog
from handout_app.gui.main_window import MainWindow

from ..test_zip_import_safety import CLINIC_TOML, UNREADABLE, patch, zip_bytes
from .conftest import fill_valid, open_window, wait_for_preview


def choose_save_path(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(
        dialogs, "ask_save_path", lambda parent, suggested, archival=False: dialogs.SaveChoice(path, False)
    )


def answer_replace(monkeypatch: pytest.MonkeyPatch, asked: list[Path], before_answer=None) -> None:  # type: ignore[no-untyped-def]
    def confirm(parent: object, path: Path) -> bool:
        asked.append(path)
        if before_answer is not None:
            before_answer(path)
        return True  # the user chooses Replace

    monkeypatch.setattr(dialogs, "confirm_replace", confirm)


def assert_form_kept(window: MainWindow) -> None:
    assert window.form.patient_name.text() == "Jane Example" and window.save_action.isEnabled()


def test_replace_never_turns_a_fifo_into_a_file(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    fifo = tmp_path / "handout.pdf"
    os.mkfifo(fifo)
    asked: list[Path] = []
    choose_save_path(monkeypatch, fifo)
    answer_replace(monkeypatch, asked)
    window.save_pdf()
    title, message = dialog_log[-1]
    assert title == "Could not save the handout"
    assert (
        "is a named pipe (FIFO), not an ordinary file, so it was not replaced" in message
        and "Choose another file name" in message
    )
    assert asked == []  # not even offered: Replace could not be done
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert_form_kept(window)


def test_a_fifo_that_appears_after_replace_was_chosen_is_left_alone(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    target = tmp_path / "handout.pdf"
    target.write_bytes(b"old")
    asked: list[Path] = []

    def swap_for_fifo(path: Path) -> None:
        path.unlink()
        os.mkfifo(path)

    choose_save_path(monkeypatch, target)
    answer_replace(monkeypatch, asked, swap_for_fifo)
    window.save_pdf()
    assert asked == [target]
    assert dialog_log[-1][0] == "Could not save the handout" and "named pipe" in dialog_log[-1][1]
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".handout-")] == []
    assert_form_kept(window)


def test_replace_keeps_a_private_file_private(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    target = tmp_path / "handout.pdf"
    target.write_bytes(b"old")
    target.chmod(0o600)
    asked: list[Path] = []
    choose_save_path(monkeypatch, target)
    answer_replace(monkeypatch, asked)
    window.save_pdf()
    assert asked == [target] and dialog_log == []
    assert target.read_bytes() == window.preview.pdf_bytes
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600  # was widened to 0644


def test_replace_never_writes_through_a_link(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    victim = tmp_path / "passwd"
    victim.write_text("root:x:0:0\n")
    link = tmp_path / "handout.pdf"
    link.symlink_to(victim)
    choose_save_path(monkeypatch, link)
    answer_replace(monkeypatch, [])
    window.save_pdf()
    assert "is a symbolic link" in dialog_log[-1][1]
    assert link.is_symlink() and victim.read_text() == "root:x:0:0\n"


def test_export_never_replaces_a_fifo(
    qtbot: QtBot, clinic: Path, tmp_path: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, clinic_folder=clinic)
    fifo = tmp_path / "riverside.zip"
    os.mkfifo(fifo)
    monkeypatch.setattr(dialogs, "ask_zip_to_save", lambda parent, suggested: fifo)
    answer_replace(monkeypatch, [])
    window.export_action.trigger()
    assert dialog_log[-1][0] == "Could not export" and "named pipe" in dialog_log[-1][1]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    window.close()


# -- clinic settings ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Riverside\x7fClinic", "contains a control character (U+007F)"),
        ("Riverside\x1b[2JClinic", "contains a control character (U+001B)"),
        ("Riverside\x9bClinic", "contains a control character (U+009B)"),
        ("R" * 301, "is 301 characters long; at most 300"),
    ],
    ids=["DEL", "ESC", "C1", "too-long"],
)
def test_settings_refuse_a_value_that_would_break_clinic_toml(
    qtbot: QtBot, clinic: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch, typed: str, expected: str
) -> None:
    window = open_window(qtbot, clinic_folder=clinic)
    before = (clinic / "clinic.toml").read_bytes()
    results: list[bool] = []

    def drive(dialog: ClinicSettingsDialog) -> bool:
        name = dialog.fields["name"]
        name.setText(typed)
        name.textEdited.emit(typed)  # as if typed or pasted
        assert expected in dialog.error.text() and not dialog.error.isHidden()  # said at once, before Save
        dialog.save()
        assert expected in dialog.error.text() and "The settings were not saved" in dialog.error.text()
        results.append(dialog.result() == ClinicSettingsDialog.DialogCode.Accepted)
        return results[-1]

    monkeypatch.setattr(dialogs, "run_dialog", drive)
    window.clinic_settings_action.trigger()
    assert results == [False]
    assert (clinic / "clinic.toml").read_bytes() == before
    assert window.statusBar().currentMessage() == "Clinic settings not changed."
    assert window._load_clinic_profile() is not None  # the folder still loads
    window.close()


# -- import ---------------------------------------------------------------------------------------

HOSTILE = {
    **{name: make for name, (make, _) in UNREADABLE.items()},
    "duplicate": lambda: zip_bytes([("clinic.toml", CLINIC_TOML), ("a.txt", b"1"), ("a.txt", b"2")]),
    "case-collision": lambda: zip_bytes(
        [("clinic.toml", CLINIC_TOML), ("assets/Logo.svg", b"1"), ("assets/logo.svg", b"2")]
    ),
    "slash-collision": lambda: zip_bytes(
        [("clinic.toml", CLINIC_TOML), ("assets/x.txt", b"1"), ("assets\\x.txt", b"2")]
    ),
    "windows-name": lambda: zip_bytes([("clinic.toml", CLINIC_TOML), ("assets/con.txt", b"1")]),
    "nul-cut-duplicate": lambda: patch(
        zip_bytes([("clinic.toml", CLINIC_TOML), ("clinic.tomlX", b"2")]), "clinic.tomlX", new_name=b"clinic.toml\0"
    ),
}


def test_import_shows_every_bad_archive_and_leaves_nothing(
    qtbot: QtBot, clinic: Path, tmp_path: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, clinic_folder=clinic)
    workstation = tmp_path / "workstation"
    workstation.mkdir()
    archive = tmp_path / "set.zip"
    monkeypatch.setattr(dialogs, "ask_zip_to_open", lambda parent: archive)
    monkeypatch.setattr(dialogs, "ask_folder", lambda parent, title, start=None: workstation)
    for case, make in HOSTILE.items():
        archive.write_bytes(make())
        dialog_log.clear()
        window.import_action.trigger()
        assert len(dialog_log) == 1, case
        title, message = dialog_log[0]
        assert title == "Could not import" and "Nothing was imported" in message, (case, message)
        assert list(workstation.iterdir()) == [], case
        assert window._clinic_folder == clinic, case
    archive.unlink()
    os.mkfifo(archive)  # a named pipe chosen as the archive: refused at once, the window does not hang
    dialog_log.clear()
    window.import_action.trigger()
    assert dialog_log[0][0] == "Could not import" and "is not an ordinary file" in dialog_log[0][1]
    assert list(workstation.iterdir()) == []
    window.close()
