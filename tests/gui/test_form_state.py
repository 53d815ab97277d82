"""The nurse's form on its own (no window, no worker): what each control puts in the selection, what
the form says is missing before Save and Print may be used, and what New patient clears and keeps."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from handout_app.domain import AllergyKind, Factor, Guidance, Intent, Medication, Paper, Side, Target
from handout_app.gui.form import SelectionForm

from .conftest import UNPRINTABLE_TEXT, fill_valid


def test_each_control_changes_the_selection(form: SelectionForm) -> None:
    fill_valid(form)
    form.target.setCurrentIndex(form.target.findData(Target.ILIOPSOAS.value))
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.FLUOROSCOPY.value))
    form.contrast.setChecked(True)
    form.medications[Medication.PRP].setChecked(True)
    form.intent.setCurrentIndex(form.intent.findData(Intent.THERAPEUTIC.value))
    form.side_buttons[Side.BILATERAL].setChecked(True)
    form.date_of_birth.setDate(QDate(1950, 3, 4))
    form.mrn.setText("MRN-42")
    form.procedure_date.setDate(QDate(2026, 12, 1))
    form.clinician.setText("Dr Who")
    for check in form.factor_checks.values():
        check.setChecked(True)
    form.allergy_checks[AllergyKind.CONTRAST].setChecked(True)
    form.other_allergies.setText("penicillin, latex")
    form.paper.setCurrentIndex(form.paper.findData(Paper.LETTER.value))
    form.large_print.setChecked(True)
    form.language.setCurrentIndex(form.language.findData("es"))
    form.consent_copy.setChecked(True)
    form.archival.setChecked(True)
    selection = form.state().selection
    assert selection is not None
    assert selection.target is Target.ILIOPSOAS and selection.guidance is Guidance.FLUOROSCOPY and selection.contrast
    assert selection.medications == {Medication.ANESTHETIC, Medication.CORTICOSTEROID, Medication.PRP}
    assert selection.intent is Intent.THERAPEUTIC and selection.side is Side.BILATERAL
    assert selection.patient.name == "Jane Example" and selection.patient.mrn == "MRN-42"
    assert selection.patient.date_of_birth == dt.date(1950, 3, 4)
    assert selection.patient.procedure_date == dt.date(2026, 12, 1)
    assert selection.patient.clinician == "Dr Who"
    assert selection.factors.diabetes and selection.factors.blood_thinners and selection.factors.may_be_pregnant
    assert [a.kind for a in selection.factors.allergies][:1] == [AllergyKind.CONTRAST]
    assert [a.text for a in selection.factors.allergies][1:] == ["penicillin", "latex"]
    assert selection.paper is Paper.LETTER and selection.large_print and selection.consent_copy and selection.archival
    assert selection.language == "es"


def test_a_new_form_chooses_no_side_and_says_what_is_missing(form: SelectionForm) -> None:
    assert form.chosen_side() is None
    assert not any(button.isChecked() for button in form.side_buttons.values())
    state = form.refresh_validation()
    assert state.selection is None
    assert state.errors == {
        "medication": "Tick at least one medication.",
        "side": "Choose the side: Left, Right or Both.",
        "patient-name": "Type the patient's name.",
    }
    for key, message in state.errors.items():
        label = form._error_labels[key]
        assert label.text() == message and label.isVisibleTo(form)
    # Everything but the side: the side is still asked for, and nothing may be saved or printed.
    form.medications[Medication.CORTICOSTEROID].setChecked(True)
    form.patient_name.setText("Jane Example")
    state = form.refresh_validation()
    assert state.selection is None and state.errors == {"side": "Choose the side: Left, Right or Both."}
    form.side_buttons[Side.LEFT].setChecked(True)
    state = form.refresh_validation()
    assert state.errors == {} and state.selection is not None and state.selection.side is Side.LEFT
    assert form._error_labels["side"].text() == ""


def test_a_name_cleared_after_a_complete_form_is_asked_for_again(form: SelectionForm) -> None:
    fill_valid(form)
    assert form.refresh_validation().selection is not None
    form.patient_name.setText("   ")  # spaces are no name
    state = form.state()
    assert state.selection is None and state.errors == {"patient-name": "Type the patient's name."}
    assert form._error_labels["patient-name"].text() == "Type the patient's name."


def test_anesthetic_with_a_steroid_waits_for_the_nurse_to_choose_the_purpose(form: SelectionForm) -> None:
    fill_valid(form)
    form.intent.setCurrentIndex(0)
    assert form.intent.currentText() == "Choose the purpose"
    state = form.refresh_validation()
    assert state.selection is None and list(state.errors) == ["intent"]
    assert state.errors["intent"].startswith("Choose the purpose")
    assert form._error_labels["intent"].text() == state.errors["intent"]
    assert form._error_labels["intent"].isVisibleTo(form)
    form.intent.setCurrentIndex(form.intent.findData(Intent.DIAGNOSTIC.value))
    state = form.refresh_validation()
    assert state.selection is not None and state.selection.intent is Intent.DIAGNOSTIC
    assert form._error_labels["intent"].text() == ""
    # Anesthetic alone is a test, steroid alone a treatment: those keep an automatic purpose.
    form.intent.setCurrentIndex(0)
    form.medications[Medication.CORTICOSTEROID].setChecked(False)
    assert form.intent.currentText() == "Automatic (diagnostic)" and "intent" not in form.refresh_validation().errors
    form.medications[Medication.ANESTHETIC].setChecked(False)
    form.medications[Medication.CORTICOSTEROID].setChecked(True)
    assert form.intent.currentText() == "Automatic (therapeutic)" and "intent" not in form.refresh_validation().errors
    # A clinic may set its own default for the mixed case.
    form.medications[Medication.ANESTHETIC].setChecked(True)
    assert "intent" in form.refresh_validation().errors
    form.set_clinic_intent("therapeutic")
    assert form.intent.currentText() == "Clinic default (therapeutic)"
    state = form.refresh_validation()
    assert "intent" not in state.errors and state.selection is not None and state.selection.intent is Intent.THERAPEUTIC


def test_leaving_fluoroscopy_unticks_contrast_and_says_so(qtbot: QtBot, form: SelectionForm) -> None:
    fill_valid(form)
    assert not form.contrast.isEnabled()  # contrast dye goes with fluoroscopy only
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.FLUOROSCOPY.value))
    assert form.contrast.isEnabled()
    form.contrast.setChecked(True)
    assert form.state().selection.contrast
    with qtbot.waitSignal(form.notice, timeout=10_000) as notice:
        form.guidance.setCurrentIndex(form.guidance.findData(Guidance.ULTRASOUND.value))
    assert notice.args == ["Contrast dye was unticked: it is used only with fluoroscopy."]
    assert not form.contrast.isChecked() and not form.contrast.isEnabled()
    state = form.refresh_validation()
    assert "contrast" not in state.errors and state.selection is not None and not state.selection.contrast


def test_dates_display_unambiguously(form: SelectionForm) -> None:
    form.procedure_date.setDate(QDate(2026, 11, 21))
    assert form.procedure_date.text() == "21 Nov 2026"


def test_new_patient_clears_the_patient_and_keeps_the_procedure(qtbot: QtBot, form: SelectionForm) -> None:
    fill_valid(form, side="left")
    form.target.setCurrentIndex(form.target.findData(Target.TROCHANTERIC.value))
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.FLUOROSCOPY.value))
    form.contrast.setChecked(True)
    form.paper.setCurrentIndex(form.paper.findData(Paper.LETTER.value))
    form.consent_copy.setChecked(True)
    form.archival.setChecked(True)
    form.date_of_birth.setDate(QDate(1950, 3, 4))
    form.procedure_date.setDate(QDate(2026, 12, 1))
    form.mrn.setText("123")
    form.clinician.setText("Dr Who")
    form.factor_checks[Factor.DIABETES].setChecked(True)
    form.allergy_checks[AllergyKind.CONTRAST].setChecked(True)
    form.other_allergies.setText("latex")
    form.large_print.setChecked(True)
    form.language.setCurrentIndex(form.language.findData("es"))
    day = dt.date.today()
    with qtbot.waitSignal(form.changed, timeout=10_000):  # the window hears of it (the preview goes)
        form.clear_patient()
    # The patient goes, with what is this patient's: the side (confirmed again each time), the
    # patient factors and allergies, large print and the language.
    for edit in (form.patient_name, form.mrn, form.clinician, form.other_allergies):
        assert edit.text() == "", edit.objectName()
    assert form.date_of_birth.text() == "" and form.procedure_date.value()[0] in {day, dt.date.today()}  # today
    assert form.chosen_side() is None
    assert not any(check.isChecked() for check in (*form.factor_checks.values(), *form.allergy_checks.values()))
    assert not form.large_print.isChecked() and form.language.currentData() == "en"
    # The procedure stays.
    assert form.target.currentData() == Target.TROCHANTERIC.value
    assert form.chosen_medications() == {Medication.ANESTHETIC, Medication.CORTICOSTEROID}
    assert form.intent.currentData() == Intent.BOTH.value
    assert form.guidance.currentData() == Guidance.FLUOROSCOPY.value and form.contrast.isChecked()
    assert (
        form.paper.currentData() == Paper.LETTER.value and form.consent_copy.isChecked() and form.archival.isChecked()
    )
    # What is missing now is said, and the cursor waits in the name.
    state = form.state()
    assert state.selection is None and set(state.errors) == {"side", "patient-name"}
    assert form._error_labels["side"].text() == "Choose the side: Left, Right or Both."
    assert QApplication.focusWidget() is form.patient_name


@pytest.mark.parametrize(("field", "key", "text", "shown"), UNPRINTABLE_TEXT)
def test_unprintable_text_is_shown_by_its_field_and_no_sheet_is_made(
    form: SelectionForm, field: str, key: str, text: str, shown: str
) -> None:
    fill_valid(form)
    edit: QLineEdit = getattr(form, field)
    edit.setText(text)
    label = form._error_labels[key]
    assert "cannot print" in label.text() and shown in label.text()
    state = form.state()
    assert state.selection is None and list(state.errors) == [key]
    edit.setText("Ann Lee" if field == "patient_name" else "")
    assert label.text() == "" and form.state().selection is not None
