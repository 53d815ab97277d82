"""File > Day list... in the window: the rows and their problems first, then made with a progress dialog."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QProgressDialog
from pytestqt.qtbot import QtBot

from handout_app.gui import dialogs
from handout_app.gui.day_list_dialog import DayListDialog
from handout_app.gui.main_window import MainWindow

from ..helpers import pdf_text

ROOT = Path(__file__).resolve().parents[2]


def _open(window: MainWindow, monkeypatch: pytest.MonkeyPatch, path: Path, folder: Path, drive) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QSettings

    QSettings().setValue("last_save_folder", str(folder))
    monkeypatch.setattr(dialogs, "ask_day_list", lambda parent: path)
    monkeypatch.setattr(dialogs, "run_dialog", drive)
    window.day_list_action.trigger()


def test_the_day_list_shows_each_row_then_makes_every_handout(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    seen: dict[str, object] = {}

    def drive(dialog: DayListDialog) -> bool:
        table = dialog.table
        seen["rows"] = [(table.item(r, 1).text(), table.item(r, 3).text()) for r in range(table.rowCount())]
        assert dialog.make_button.isEnabled()
        dialog.make()
        return True

    _open(window, monkeypatch, ROOT / "examples" / "day-list.csv", tmp_path, drive)
    assert seen["rows"] == [
        ("Maria Lopez", "RIGHT"),
        ("James Okafor", "LEFT"),
        ("Ana Martínez", "BILATERAL"),
        ("Olga Petrova", "RIGHT"),
    ]
    files = list(tmp_path.glob("*.pdf"))
    assert len(files) == 4 and dialog_log[-1][0] == "Day list" and "Made 4 handouts" in dialog_log[-1][1]
    assert any("Maria Lopez" in pdf_text(f.read_bytes()) for f in files)
    assert window.day_list_action.shortcut().toString() == "Ctrl+D"


def test_rows_with_problems_are_shown_in_red_and_block_making_until_left_out(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    day = tmp_path / "day.csv"
    day.write_text(
        "name,target,medications,guidance,side\nGood One,joint,corticosteroid,ultrasound,left\n"
        "Bad One,joint,corticosteroid,ultrasound,middle\n"
    )
    out = tmp_path / "out"
    out.mkdir()
    seen: dict[str, object] = {}

    def drive(dialog: DayListDialog) -> bool:
        seen["problem"] = dialog.table.item(1, 5).text()
        seen["blocked"] = not dialog.make_button.isEnabled()
        dialog.skip_bad.setChecked(True)
        dialog.combined.setChecked(True)
        dialog.make()
        return True

    _open(window, monkeypatch, day, out, drive)
    assert seen["blocked"] and "column side: 'middle' is not allowed" in str(seen["problem"])
    [combined] = list(out.iterdir())
    assert combined.name.startswith("day-list_") and "1 rows with problems were left out" in dialog_log[-1][1]


def test_cancel_half_way_leaves_only_whole_files(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    day = tmp_path / "day.csv"
    day.write_text(
        "name,target,medications,guidance,side\n"
        + "".join(f"Patient {i},joint,corticosteroid,ultrasound,left\n" for i in range(12))
    )
    out = tmp_path / "out"
    out.mkdir()

    def press_cancel() -> None:
        progress = window.findChild(QProgressDialog)
        if progress is None or progress.value() < 2:
            QTimer.singleShot(50, press_cancel)
            return
        from PySide6.QtWidgets import QPushButton

        progress.findChild(QPushButton).click()  # as the nurse does

    def drive(dialog: DayListDialog) -> bool:
        QTimer.singleShot(50, press_cancel)
        dialog.make()
        return True

    _open(window, monkeypatch, day, out, drive)
    from pypdf import PdfReader

    files = list(out.iterdir())
    assert 2 <= len(files) < 12 and "Stopped" in dialog_log[-1][1]
    for path in files:
        assert len(PdfReader(path).pages) >= 4  # whole handouts only


def test_the_window_can_print_the_day_as_one_job_and_records_it(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    from handout_app.records.recorder import recorder_for, store_choice

    from .. import fake_cups

    cups = fake_cups.install(monkeypatch, tmp_path / "cups")
    out_dir = tmp_path / "out"
    out_dir.mkdir()

    def drive(dialog: DayListDialog) -> bool:
        assert dialog.print_too.isVisibleTo(dialog)
        dialog.combined.setChecked(True)
        dialog.print_too.setChecked(True)
        dialog.make()
        return True

    _open(window, monkeypatch, ROOT / "examples" / "day-list.csv", out_dir, drive)
    [combined] = list(out_dir.glob("*.pdf"))
    assert cups.job_pdf.read_bytes() == combined.read_bytes()
    assert cups.lp_args[cups.lp_args.index("-t") + 1] == combined.name and "Maria" not in " ".join(cups.lp_args)
    assert f"(job {fake_cups.JOB_ID})" in dialog_log[-1][1]
    kinds = [row["kind"] for row in recorder_for(store_choice(window._clinic)).store().deliveries()]
    assert kinds.count("saved") == 4 and kinds.count("printed") == 4
