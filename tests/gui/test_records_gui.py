"""The window records every sheet it hands out, with the number the preview shows, and never loses a
save or a print when the record store is away."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from handout_app.gui import dialogs
from handout_app.gui.main_window import MainWindow
from handout_app.records import recorder as recorder_module
from handout_app.records.recorder import recorder_for, store_choice

from .. import fake_cups
from ..helpers import document_number
from .conftest import fill_valid, open_window, wait_for_preview
from .test_printing import one_printer  # noqa: F401 (fixture)


def test_saving_records_the_sheet_with_the_number_the_preview_shows(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_valid(window, name="Unique Ximena")
    wait_for_preview(qtbot, window)
    number = document_number(window.preview.pdf_bytes)
    target = tmp_path / "handout.pdf"
    monkeypatch.setattr(
        dialogs, "ask_save_path", lambda parent, path, archival=False: dialogs.SaveChoice(target, False)
    )

    def read_again(pdf: bytes) -> int:
        raise AssertionError("the worker counted the pages already; the record must not read the PDF again")

    monkeypatch.setattr(recorder_module, "pdf_pages", read_again)
    window.save_pdf()
    assert target.read_bytes() == window.preview.pdf_bytes
    rows = recorder_for(store_choice(None)).store().deliveries()
    assert [(row["number"], row["kind"], row["side"]) for row in rows] == [(number, "saved", "right")]
    assert rows[0]["pages"] == window.preview.document.pageCount() > 1
    assert rows[0]["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert f"Document {number}" in window.statusBar().currentMessage()


def test_printing_records_the_printer_and_a_cancelled_print_records_nothing(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    one_printer: None,  # noqa: F811
) -> None:
    fake_cups.install(monkeypatch, tmp_path)
    fill_valid(window)
    wait_for_preview(qtbot, window)
    number = document_number(window.preview.pdf_bytes)
    window.print_pdf()
    rows = recorder_for(store_choice(None)).store().deliveries()
    assert [(row["number"], row["kind"], row["printer"]) for row in rows] == [(number, "printed", fake_cups.QUEUE)]
    monkeypatch.setattr(dialogs, "ask_printer", lambda parent, printer, count: False)  # the nurse cancels the dialog
    window.print_pdf()
    assert len(recorder_for(store_choice(None)).store().deliveries()) == 1


def test_a_number_another_workstation_claimed_first_is_never_printed(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    taken = document_number(window.preview.pdf_bytes)
    recorder = recorder_for(store_choice(None))
    assert recorder.store().claim(taken, "another-workstation")
    target = tmp_path / "handout.pdf"
    monkeypatch.setattr(
        dialogs, "ask_save_path", lambda parent, path, archival=False: dialogs.SaveChoice(target, False)
    )
    window.save_pdf()
    saved = document_number(target.read_bytes())
    assert saved != taken
    assert [row["number"] for row in recorder.store().deliveries()] == [saved]


def test_with_the_store_away_the_sheet_is_saved_and_the_entry_waits(
    qtbot: QtBot,
    clinic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialog_log: list,
) -> None:
    toml = clinic / "clinic.toml"
    toml.write_text(
        toml.read_text().replace(
            "[clinic]\n", '[clinic]\nrecord_store = "postgresql://nobody@127.0.0.1:1/records"\n', 1
        )
    )
    window = open_window(qtbot, clinic_folder=clinic)
    try:
        fill_valid(window)
        wait_for_preview(qtbot, window)
        target = tmp_path / "handout.pdf"
        monkeypatch.setattr(
            dialogs, "ask_save_path", lambda parent, path, archival=False: dialogs.SaveChoice(target, False)
        )
        window.save_pdf()
        assert target.read_bytes() == window.preview.pdf_bytes
        titles = [title for title, _ in dialog_log]
        assert "Not recorded yet" in titles
        message = dict(dialog_log)["Not recorded yet"]
        assert "kept on this computer" in message and "will be sent when the store is back" in message
        assert window._recorder().waiting_count() == 1
    finally:
        window.close()


def test_a_set_file_changed_after_the_preview_makes_the_sheet_again_so_the_record_matches(
    qtbot: QtBot,
    clinic: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dialog_log: list,
) -> None:
    from handout_app.records.reprint import reprint

    window = open_window(qtbot, clinic_folder=clinic)
    try:
        fill_valid(window, name="Changed Set")
        wait_for_preview(qtbot, window)
        before = document_number(window.preview.pdf_bytes)
        css = clinic / "templates" / "clinic.css"
        css.write_text(css.read_text() + "\n/* saved after the preview was made */\n")
        target = tmp_path / "handout.pdf"
        monkeypatch.setattr(
            dialogs, "ask_save_path", lambda parent, path, archival=False: dialogs.SaveChoice(target, False)
        )
        window.save_pdf()
        saved = target.read_bytes()
        assert (
            document_number(saved) != before and window.preview.pdf_bytes == saved
        )  # the sheet on screen is the one saved
        row = window._recorder().store().deliveries()[0]
        assert row["sha256"] == hashlib.sha256(saved).hexdigest()
        assert reprint(window._recorder().store(), row["number"], "Changed Set").pdf == saved
    finally:
        window.close()
