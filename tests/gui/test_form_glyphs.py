"""The window refuses text the bundled fonts cannot print: the message sits next to the field,
Save and Print stay off."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot

from handout_app.gui.main_window import MainWindow

from .conftest import fill_valid, wait_for_preview


@pytest.mark.parametrize(
    ("field", "key", "text", "shown"),
    [
        ("patient_name", "patient-name", "山田 太郎", "'山' (U+5C71)"),
        ("mrn", "mrn", "12\u202e34", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("clinician", "clinician", "Dr 😀", "'😀' (U+1F600)"),
        ("other_allergies", "allergies", "latex, ペニシリン", "'ペ' (U+30DA)"),
    ],
    ids=["name", "record-number", "clinician", "other-allergies"],
)
def test_unprintable_text_is_shown_by_its_field_and_blocks_save_and_print(
    qtbot: QtBot, window: MainWindow, field: str, key: str, text: str, shown: str
) -> None:
    form = window.form
    fill_valid(window)
    wait_for_preview(qtbot, window)
    edit: QLineEdit = getattr(form, field)
    edit.setText(text)
    label = form._error_labels[key]
    assert "cannot print" in label.text() and shown in label.text()
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    qtbot.wait(1200)  # past the typing pause: no render may re-enable them
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    edit.setText("Ann Lee" if field == "patient_name" else "")
    assert label.text() == ""
    wait_for_preview(qtbot, window)


def test_greek_cyrillic_and_a_separately_typed_accent_are_accepted(qtbot: QtBot, window: MainWindow) -> None:
    form = window.form
    fill_valid(window, name="Αλέξανδρος Rene\u0301e")
    form.clinician.setText("Дмитрий Иванов")
    state = form.refresh_validation()
    assert state.errors == {}
    assert state.selection is not None and state.selection.patient.name == "Αλέξανδρος Ren\u00e9e"
    wait_for_preview(qtbot, window)
