"""The window around the form, with a stand-in for the render worker (conftest.StandInClient: every
request is answered at once with a one-page PDF, and no process is started). Save and Print follow the
form: on once a complete form has its sheet, off, with the reason said, while anything is missing or
wrong. Menus, shortcuts and names need no sheet at all. What the real sheet says is test_main_window.py's."""

from __future__ import annotations

import re

import pytest
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox, QLineEdit, QMenu, QRadioButton
from pytestqt.qtbot import QtBot

from handout_app.domain import AllergyKind, Factor, Guidance, Intent, Medication, Side
from handout_app.gui import dialogs
from handout_app.gui.main_window import MainWindow

from .conftest import UNPRINTABLE_TEXT, StandInClient, fill_valid, wait_for_preview


def _sheet_ready(window: MainWindow) -> bool:
    return window.save_action.isEnabled() and window.print_action.isEnabled()


def _stand_in(window: MainWindow) -> StandInClient:
    assert isinstance(window.client, StandInClient)
    return window.client


def _settle(window: MainWindow) -> None:
    """Let every reply the stand-in owes arrive: it answers on the next turn of the event loop, so once
    posted events are delivered nothing more can come (no waiting on the clock)."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def test_save_and_print_wait_for_the_side_and_the_name(qtbot: QtBot, quiet_window: MainWindow) -> None:
    window, form = quiet_window, quiet_window.form
    form.medications[Medication.ANESTHETIC].setChecked(True)
    _settle(window)
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    assert _stand_in(window).requests == []  # no sheet is made for an incomplete form
    status = window.statusBar().currentMessage()
    assert status.startswith("Complete the form:")
    assert "Choose the side: Left, Right or Both." in status and "Type the patient's name." in status
    assert "Choose the side" in window.preview.message.text()
    fill_valid(window)
    wait_for_preview(qtbot, window)
    assert _sheet_ready(window)
    form.patient_name.clear()
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    assert window.statusBar().currentMessage() == "Complete the form: Type the patient's name."
    form.patient_name.setText("Jane Example")
    wait_for_preview(qtbot, window)


def test_a_wrong_date_keeps_save_and_print_off(qtbot: QtBot, quiet_window: MainWindow) -> None:
    window, form = quiet_window, quiet_window.form
    fill_valid(window)
    wait_for_preview(qtbot, window)
    form.date_of_birth.setText("2Apr56")
    assert "four digits" in form._error_labels["date-of-birth"].text()
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    assert "four digits" in window.statusBar().currentMessage()
    form.date_of_birth.setText("2 Apr 1956")
    wait_for_preview(qtbot, window)


def test_an_unchosen_purpose_keeps_save_and_print_off_and_says_why(qtbot: QtBot, quiet_window: MainWindow) -> None:
    window, form = quiet_window, quiet_window.form
    fill_valid(window)
    wait_for_preview(qtbot, window)
    form.intent.setCurrentIndex(0)  # anesthetic with a steroid: the purpose changes the consent
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    assert "Choose the purpose" in window.statusBar().currentMessage()
    assert "Choose the purpose" in window.preview.message.text()
    form.intent.setCurrentIndex(form.intent.findData(Intent.DIAGNOSTIC.value))
    wait_for_preview(qtbot, window)
    assert _stand_in(window).requests[-1]["intent"] == Intent.DIAGNOSTIC.value


@pytest.mark.parametrize(("field", "key", "text", "shown"), UNPRINTABLE_TEXT)
def test_unprintable_text_blocks_save_and_print(
    qtbot: QtBot, quiet_window: MainWindow, field: str, key: str, text: str, shown: str
) -> None:
    window, form = quiet_window, quiet_window.form
    fill_valid(window)
    wait_for_preview(qtbot, window)
    asked = len(_stand_in(window).requests)
    edit: QLineEdit = getattr(form, field)
    edit.setText(text)
    assert "cannot print" in form._error_labels[key].text() and shown in form._error_labels[key].text()
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    # No sheet may turn them on again: the stand-in answers any request on the next turn of the event
    # loop, so had one been sent its reply would be in by now; none was.
    _settle(window)
    assert len(_stand_in(window).requests) == asked
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    edit.setText("Ann Lee" if field == "patient_name" else "")
    wait_for_preview(qtbot, window)


def test_new_patient_clears_the_patient_keeps_the_procedure_and_turns_save_off(
    qtbot: QtBot, quiet_window: MainWindow
) -> None:
    window, form = quiet_window, quiet_window.form
    fill_valid(window)
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.FLUOROSCOPY.value))
    form.mrn.setText("123")
    form.factor_checks[Factor.DIABETES].setChecked(True)
    form.allergy_checks[AllergyKind.CONTRAST].setChecked(True)
    form.other_allergies.setText("latex")
    wait_for_preview(qtbot, window)
    window.new_action.trigger()  # File > New patient, Ctrl+N
    assert form.patient_name.text() == "" and form.mrn.text() == "" and form.other_allergies.text() == ""
    assert not any(check.isChecked() for check in form.factor_checks.values())
    assert form.chosen_side() is None  # the side is confirmed again for every patient
    assert form.guidance.currentData() == "fluoroscopy"
    assert form.chosen_medications() == {Medication.ANESTHETIC, Medication.CORTICOSTEROID}
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    assert window.preview.pdf_bytes == b""  # the previous patient's sheet is gone from the screen
    assert window.statusBar().currentMessage().startswith("New patient: the procedure is kept.")
    assert not window.has_unsent_sheet()


def test_keyboard_shortcuts_and_accessible_names(quiet_window: MainWindow) -> None:
    window = quiet_window
    assert window.new_action.shortcut().toString() == "Ctrl+N"
    assert window.save_action.shortcut().toString() == "Ctrl+S"
    assert window.print_action.shortcut().toString() == "Ctrl+P"
    checked = 0
    for kind in (QLineEdit, QComboBox, QCheckBox, QRadioButton):
        for widget in window.form.findChildren(kind):
            if widget.objectName().startswith("qt_"):
                continue  # Qt's own parts inside a date box
            assert widget.accessibleName(), widget.objectName()
            checked += 1
    # 4 text boxes, 5 lists, 2 dates, and per registry entry: a tick box per medicine, patient factor and
    # allergy kind (but free text), a button per side; then contrast and the three editions.
    ticks = len(Medication) + len(Factor) + sum(not kind.spec.free_text for kind in AllergyKind) + 1 + 3
    assert checked == 4 + 5 + 2 + ticks + len(Side)


def _mnemonics(root: object) -> list[str]:
    """The Alt+letter of every label, button and menu title under `root` (shown or hidden)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel, QMenuBar

    texts = [w.text() for w in root.findChildren(QLabel) if w.buddy() is not None]  # type: ignore[attr-defined]
    texts += [w.text() for w in root.findChildren(QAbstractButton)]  # type: ignore[attr-defined]
    for bar in root.findChildren(QMenuBar):  # type: ignore[attr-defined]
        texts += [menu.title() for menu in bar.findChildren(QMenu)]
    return [match.group(1).lower() for text in texts for match in [re.search(r"(?<!&)&([^&\s])", text)] if match]


def test_every_alt_letter_is_unique_in_the_window_and_the_settings_dialog(
    qtbot: QtBot, quiet_window: MainWindow, tmp_path
) -> None:
    from handout_app.clinic import ClinicProfile
    from handout_app.gui.clinic_settings import ClinicSettingsDialog
    from handout_app.gui.print_job import PrintProgressDialog

    window = quiet_window
    letters = _mnemonics(window)
    assert len(letters) > 15 and len(letters) == len(set(letters)), sorted(letters)
    dialog = ClinicSettingsDialog(ClinicProfile(), tmp_path)
    qtbot.addWidget(dialog)
    letters = _mnemonics(dialog)
    assert len(letters) > 8 and len(letters) == len(set(letters)), sorted(letters)
    # The sides keep their own letters: Alt+L, Alt+R, Alt+B.
    assert {"l", "r", "b"} <= set(_mnemonics(window))
    progress = PrintProgressDialog(window, "Front desk", "5 pages")
    letters = _mnemonics(progress)
    assert len(letters) == 2 and len(set(letters)) == 2, letters
    question, _discard = dialogs.discard_question(window)
    letters = _mnemonics(question)
    assert len(letters) == 2 and len(set(letters)) == 2, letters
    for menu in window.menuBar().findChildren(QMenu):  # each menu's own items
        letters = [m.group(1).lower() for a in menu.actions() for m in [re.search(r"(?<!&)&([^&\s])", a.text())] if m]
        assert len(letters) == len(set(letters)), (menu.title(), letters)


def test_the_active_clinic_folder_is_named_in_the_window(quiet_window: MainWindow) -> None:
    assert "clinic" in quiet_window.clinic_label.text() and "Riverside" in quiet_window.windowTitle()


def test_about_names_the_versions(quiet_window: MainWindow, dialog_log: list) -> None:
    quiet_window.about_action.trigger()
    _title, message = dialog_log[-1]
    assert "Qt 6" in message and "WeasyPrint" in message and "Content version" in message


def test_an_unexpected_error_in_a_command_is_said_plainly_without_its_text(
    quiet_window: MainWindow,
    dialog_log: list,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from handout_app.gui.launch import _unexpected_error_hook

    typed = quiet_window.form.patient_name.text() or "Jane" + " Example"  # what was typed: not in the source line
    try:
        raise ValueError(typed)
    except ValueError as exc:
        _unexpected_error_hook(quiet_window)(ValueError, exc, exc.__traceback__)
    title, message = dialog_log[-1]
    assert title == "Something went wrong" and "The form has not changed" in message and "ValueError" in message
    assert "Jane" not in capsys.readouterr().err and "Jane" not in message
