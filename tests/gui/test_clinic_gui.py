"""The clinic folder in the window: settings dialog with live preview, errors shown in the preview,
the explicit built-in fallback, reload, runaway templates, file names, export and import."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from handout_app.gui import dialogs
from handout_app.gui.clinic_settings import ClinicSettingsDialog
from handout_app.gui.main_window import MainWindow
from handout_app.gui.render_client import RenderClient

from ..helpers import pdf_text
from .conftest import fill_valid, open_window, wait_for_preview

BROKEN_HEADER = "line one\n{% if %}\n"


def preview_text(window: MainWindow) -> str:
    return pdf_text(window.preview.pdf_bytes)


def test_settings_dialog_previews_as_you_type_and_writes_clinic_toml(
    qtbot: QtBot, clinic: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, clinic_folder=clinic)
    fill_valid(window)
    wait_for_preview(qtbot, window)
    untouched = {p: p.read_bytes() for p in clinic.rglob("*") if p.is_file() and p.name != "clinic.toml"}

    def drive(dialog: ClinicSettingsDialog) -> bool:
        phone = dialog.fields["phone"]
        phone.selectAll()
        QTest.keyClicks(phone, "555-0777")
        # The preview follows the unsaved value...
        qtbot.waitUntil(lambda: window.save_action.isEnabled() and "555-0777" in preview_text(window), timeout=30_000)
        assert "555-0777" not in (clinic / "clinic.toml").read_text()  # ...and nothing is written yet.
        dialog.save()
        return dialog.result() == ClinicSettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs, "run_dialog", drive)
    window.clinic_settings_action.trigger()
    assert 'phone = "555-0777"' in (clinic / "clinic.toml").read_text()
    assert {p: p.read_bytes() for p in clinic.rglob("*") if p.is_file() and p.name != "clinic.toml"} == untouched
    qtbot.waitUntil(lambda: window.save_action.isEnabled(), timeout=30_000)
    assert "555-0777" in preview_text(window)
    window.close()


def test_cancelled_settings_put_the_saved_values_back(
    qtbot: QtBot, clinic: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, clinic_folder=clinic)
    fill_valid(window)
    wait_for_preview(qtbot, window)

    def drive(dialog: ClinicSettingsDialog) -> bool:
        QTest.keyClicks(dialog.fields["name"], " EXTRA")
        qtbot.waitUntil(lambda: window.save_action.isEnabled() and "EXTRA" in preview_text(window), timeout=30_000)
        return False

    monkeypatch.setattr(dialogs, "run_dialog", drive)
    window.clinic_settings_action.trigger()
    qtbot.waitUntil(lambda: window.save_action.isEnabled(), timeout=30_000)
    assert "EXTRA" not in preview_text(window) and "EXTRA" not in (clinic / "clinic.toml").read_text()
    window.close()


def test_a_broken_clinic_set_is_shown_and_blocks_printing_until_fixed_or_builtin_chosen(
    qtbot: QtBot, clinic: Path, dialog_log: list
) -> None:
    header = clinic / "templates" / "partials" / "header.html.j2"
    good = header.read_text()
    header.write_text(BROKEN_HEADER)
    window = open_window(qtbot, clinic_folder=clinic)
    fill_valid(window)
    qtbot.waitUntil(lambda: window.preview.set_error_buttons.isVisible(), timeout=30_000)
    message = window.preview.message.text()
    assert "templates/partials/header.html.j2, line 2" in message and "press Reload" in message
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()

    window.preview.fallback_button.click()  # the explicit choice, never a silent fallback
    wait_for_preview(qtbot, window)
    assert "Built-in wording used because the clinic's own wording has errors" in preview_text(window)
    assert window.builtin_action.isChecked()

    header.write_text(good)
    window.reload_action.trigger()
    wait_for_preview(qtbot, window)
    text = preview_text(window)
    assert "front desk" in text and "Wording: Riverside hip set 3 #" in text
    assert not window.builtin_action.isChecked()
    window.close()


def test_a_runaway_clinic_template_is_stopped_and_the_next_render_works(
    qtbot: QtBot, clinic: Path, dialog_log: list
) -> None:
    header = clinic / "templates" / "partials" / "header.html.j2"
    good = header.read_text()
    header.write_text(
        '{% extends "builtin/partials/header.html.j2" %}{% block title %}'
        "{% for i in range(20000) %}{% for j in range(20000) %}{% if "
        "i < 0 %}x{% endif %}{% endfor %}{% endfor %}{% endblock %}"
    )
    client = RenderClient([sys.executable, "-m", "handout_app.worker"], timeout_ms=3000)
    window = open_window(qtbot, client, clinic)
    with qtbot.waitSignal(client.failed, timeout=30_000):
        fill_valid(window)
    assert "took longer than 3 seconds" in window.preview.message.text()
    assert not window.save_action.isEnabled()
    window.form.patient_name.setText("Still Typing")  # the window stays usable
    header.write_text(good)
    qtbot.waitUntil(lambda: client.is_ready, timeout=30_000)
    window.reload_action.trigger()
    wait_for_preview(qtbot, window)
    assert "Still Typing" in preview_text(window)
    window.close()


def test_file_name_has_the_patient_only_when_the_clinic_allows_it(qtbot: QtBot, clinic: Path, dialog_log: list) -> None:
    window = open_window(qtbot, clinic_folder=clinic)
    fill_valid(window, name="Jane Example")
    assert "Jane" not in window._suggested_path().name
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text().replace("patient_name_in_file_name = false", "patient_name_in_file_name = true"))
    window.reload_action.trigger()
    assert window._suggested_path().name.startswith("Jane-Example_hip-joint-injection_RIGHT_")
    window.close()


def test_export_and_import_through_the_clinic_menu(
    qtbot: QtBot, clinic: Path, tmp_path: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = open_window(qtbot, clinic_folder=clinic)
    archive = tmp_path / "riverside.zip"
    monkeypatch.setattr(dialogs, "ask_zip_to_save", lambda parent, suggested: archive)
    window.export_action.trigger()
    assert archive.is_file() and "Exported" in window.statusBar().currentMessage()
    workstation = tmp_path / "workstation"
    workstation.mkdir()
    monkeypatch.setattr(dialogs, "ask_zip_to_open", lambda parent: archive)
    monkeypatch.setattr(dialogs, "ask_folder", lambda parent, title, start=None: workstation)
    window.import_action.trigger()
    assert (workstation / "riverside" / "clinic.toml").is_file()
    assert window._clinic_folder == workstation / "riverside"
    window.import_action.trigger()  # the same again: the folder exists, so nothing is overwritten
    assert dialog_log[-1][0] == "Could not import" and "already exists" in dialog_log[-1][1]
    window.close()


def test_choosing_a_logo_checks_it_and_copies_it_in_on_save(
    qtbot: QtBot, clinic: Path, tmp_path: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ..test_clinic_set import tiny_png

    bad, good = tmp_path / "huge.png", tmp_path / "new-logo.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01\x00\x00\x00\x00\x00\x10\x08\x06\x00\x00\x00")
    good.write_bytes(tiny_png())
    window = open_window(qtbot, clinic_folder=clinic)
    fill_valid(window)
    wait_for_preview(qtbot, window)

    def drive(dialog: ClinicSettingsDialog) -> bool:
        monkeypatch.setattr(dialogs, "ask_logo_path", lambda parent: bad)
        dialog.choose_logo()
        assert "65536 x 16 pixels" in dialog.error.text() and not dialog.error.isHidden()
        monkeypatch.setattr(dialogs, "ask_logo_path", lambda parent: good)
        dialog.choose_logo()
        assert dialog.error.isHidden() and not (clinic / "assets" / "new-logo.png").exists()  # not before Save
        dialog.save()
        return dialog.result() == ClinicSettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs, "run_dialog", drive)
    window.clinic_settings_action.trigger()
    assert (clinic / "assets" / "new-logo.png").read_bytes() == good.read_bytes()
    assert 'logo = "assets/new-logo.png"' in (clinic / "clinic.toml").read_text()
    assert (clinic / "assets" / "logo.svg").is_file()  # the old logo file is left alone
    window.close()


def test_settings_open_on_a_broken_clinic_toml_and_fix_it(
    qtbot: QtBot, clinic: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one time the dialog is needed: a wrong value is shown with the problem and corrected there."""
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text().replace('default_paper = "a4"', 'default_paper = "a4"\ndate_order = "us"'))
    window = open_window(qtbot, clinic_folder=clinic)
    seen: dict[str, object] = {}

    def drive(dialog: ClinicSettingsDialog) -> bool:
        seen["error"] = dialog.error.text()
        seen["beside"] = (
            dialog.pos().x() + dialog.sizeHint().width()
            <= window.preview.mapToGlobal(window.preview.rect().topLeft()).x() + 1
        )
        dialog.date_order.setCurrentIndex(dialog.date_order.findData("month-day-year"))
        dialog.save()
        return dialog.result() == ClinicSettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs, "run_dialog", drive)
    window.clinic_settings_action.trigger()
    assert (
        "date_order" in str(seen["error"]) and "line" in str(seen["error"]) and "Correct it here" in str(seen["error"])
    )
    assert seen["beside"], "the settings cover the preview"
    assert not dialog_log  # no "cannot open" message
    from handout_app.clinic import load_clinic

    assert load_clinic(clinic).date_order == "month-day-year"
    assert "04/02/1956" in window.form.date_of_birth.edit.placeholderText()  # the window follows the new order
    window.close()


def test_a_clinic_toml_that_is_not_toml_still_names_its_line(qtbot: QtBot, clinic: Path, dialog_log: list) -> None:
    (clinic / "clinic.toml").write_text('[clinic]\nname = "Unclosed\n')
    window = open_window(qtbot, clinic_folder=clinic)
    window.clinic_settings_action.trigger()
    title, message = dialog_log[-1]
    assert title == "clinic.toml has a problem" and "line 2" in message and "text editor" in message
    window.close()


def test_clinic_menu_new_clinic_folder_makes_a_clean_folder_and_opens_its_settings(
    qtbot: QtBot,
    tmp_path: Path,
    dialog_log: list,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = open_window(qtbot)
    monkeypatch.setattr(dialogs, "ask_clinic_name", lambda parent: "Northside Clinic")
    monkeypatch.setattr(dialogs, "ask_folder", lambda parent, title, start=None: tmp_path)
    opened: list[str] = []
    monkeypatch.setattr(dialogs, "run_dialog", lambda dialog: opened.append(dialog.fields["name"].text()) or False)
    window.new_clinic_action.trigger()
    folder = tmp_path / "northside-clinic"
    assert (folder / "clinic.toml").is_file() and opened == ["Northside Clinic"]
    assert window.clinic_label.text() == f"Clinic folder: {folder}" and "Northside Clinic" in window.windowTitle()
    window.new_clinic_action.trigger()  # the same name again: a new folder beside it, never the old one
    assert (tmp_path / "northside-clinic-2" / "clinic.toml").is_file() and not dialog_log
    window.close()
