"""The window and the clinic texts per language and the wording sign-off: the Clinic settings dialog
edits English and Spanish separately and keeps the [approval] table; a sign-off the wording no
longer matches shows a banner until the wording is approved again."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from handout_app.clinic import load_clinic
from handout_app.gui import dialogs
from handout_app.gui.clinic_settings import ClinicSettingsDialog
from handout_app.wording_approval import wording_hash

from ..helpers import catalog, pdf_text
from .conftest import fill_valid, open_window, wait_for_preview

EMERGENCY_ES = "Vaya a la sala de emergencias más cercana, o llame al 911."


def approve(folder: Path, digest: str | None = None) -> str:
    """Sign the folder's wording off as Dr A. Lee on 1 Nov 2026 (with its current hash unless one is given)."""
    digest = digest or wording_hash(load_clinic(folder), catalog().version)
    toml = folder / "clinic.toml"
    toml.write_text(
        toml.read_text().split("\n[approval]")[0]
        + f'\n[approval]\nname = "Dr A. Lee"\nrole = "Clinical lead"\ndate = 2026-11-01\ncontent_hash = "{digest}"\n'
    )
    return digest


def test_a_changed_wording_shows_a_banner_until_it_is_approved_again(
    qtbot: QtBot, clinic: Path, dialog_log: list
) -> None:
    approve(clinic, "sha256:" + "0" * 64)  # approved, but not this wording
    window = open_window(qtbot, clinic_folder=clinic)
    banner = window.approval_banner
    assert banner.isVisible()
    assert "changed since Dr A. Lee (Clinical lead) approved it on 2026-11-01" in banner.text()
    assert f"check-templates {clinic}" in banner.text() and "approved again" in banner.text()
    fill_valid(window)
    wait_for_preview(qtbot, window)
    assert "approved" not in pdf_text(window.preview.pdf_bytes).lower()  # the sheet claims nothing
    approve(clinic)
    window.reload_action.trigger()
    assert not banner.isVisible()
    wait_for_preview(qtbot, window)
    assert "Wording approved by Dr A. Lee (Clinical lead), 1 Nov 2026" in pdf_text(window.preview.pdf_bytes)
    window.close()


@pytest.mark.parametrize("folder", ["example", "none"])
def test_no_banner_without_an_approval(qtbot: QtBot, clinic: Path, dialog_log: list, folder: str) -> None:
    window = open_window(qtbot, clinic_folder=clinic if folder == "example" else None)  # type: ignore[arg-type]
    assert not window.approval_banner.isVisible()
    window.close()


def test_the_settings_dialog_edits_english_and_spanish_and_keeps_the_approval(qtbot: QtBot, clinic: Path) -> None:
    approve(clinic)
    before = load_clinic(clinic)
    dialog = ClinicSettingsDialog(before, clinic)
    qtbot.addWidget(dialog)
    assert dialog.fields["emergency_line"].text() == "Go to the nearest emergency department, or call 911."
    assert dialog.language_fields[("emergency_line", "es")].text() == EMERGENCY_ES
    assert dialog.language_fields[("department", "es")].text() == "Servicio de Inyecciones en las Articulaciones"
    hours = dialog.language_fields[("opening_hours", "es")]
    hours.selectAll()
    QTest.keyClicks(hours, "De lunes a jueves, de 9 a 16 h")
    phone = dialog.fields["phone"]
    phone.selectAll()
    QTest.keyClicks(phone, "555-0111")
    dialog.save()
    assert dialog.result() == ClinicSettingsDialog.DialogCode.Accepted
    after = load_clinic(clinic)
    assert after.phone == "555-0111"
    assert after.texts("opening_hours") == {
        "en": "Monday to Friday, 8 am to 5 pm",
        "es": "De lunes a jueves, de 9 a 16 h",
    }
    for key in ("department", "address", "emergency_line"):
        assert after.texts(key) == before.texts(key)
    assert tomllib.loads((clinic / "clinic.toml").read_text())["approval"]["name"] == "Dr A. Lee"
    assert after.approval == before.approval


def test_the_settings_dialog_refuses_spanish_without_english(qtbot: QtBot, clinic: Path) -> None:
    dialog = ClinicSettingsDialog(load_clinic(clinic), clinic)
    qtbot.addWidget(dialog)
    english = dialog.fields["department"]
    english.selectAll()
    QTest.keyClick(english, "a")
    QTest.keyClick(english, "\b")  # cleared as a person would
    assert english.text() == "" and "needs an English text" in dialog.error.text() and not dialog.error.isHidden()
    before = (clinic / "clinic.toml").read_text()
    dialog.save()
    assert (
        dialog.result() != ClinicSettingsDialog.DialogCode.Accepted and (clinic / "clinic.toml").read_text() == before
    )


def test_a_spanish_text_typed_in_settings_reaches_the_spanish_preview_and_the_banner(
    qtbot: QtBot, clinic: Path, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    approve(clinic)
    window = open_window(qtbot, clinic_folder=clinic)
    assert not window.approval_banner.isVisible()
    fill_valid(window)
    window.form.language.setCurrentIndex(window.form.language.findData("es"))
    wait_for_preview(qtbot, window)
    spanish = pdf_text(window.preview.pdf_bytes)
    assert EMERGENCY_ES in spanish and "Texto aprobado por Dr A. Lee (Clinical lead), 1 nov 2026" in spanish

    def drive(dialog: ClinicSettingsDialog) -> bool:
        box = dialog.language_fields[("emergency_line", "es")]
        box.selectAll()
        QTest.keyClicks(box, "Llame al 112 enseguida.")
        qtbot.waitUntil(
            lambda: window.save_action.isEnabled() and "Llame al 112 enseguida." in pdf_text(window.preview.pdf_bytes),
            timeout=30_000,
        )
        # The typed text is not what was approved: the preview's footer no longer claims approval.
        assert "aprobado" not in pdf_text(window.preview.pdf_bytes).lower()
        dialog.save()
        return dialog.result() == ClinicSettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs, "run_dialog", drive)
    window.clinic_settings_action.trigger()
    assert load_clinic(clinic).text_in("emergency_line", "es") == "Llame al 112 enseguida."
    assert window.approval_banner.isVisible() and "Dr A. Lee" in window.approval_banner.text()
    window.close()
