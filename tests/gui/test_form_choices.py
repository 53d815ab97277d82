"""The form is built from the registry (handout_app/choices.py): every entry has its control, in the
registry's order, with the registry's wording, and ticking it reaches the selection."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QCheckBox, QComboBox

from handout_app.choices import AllergyKind, Choice, Factor, Guidance, Intent, Language, Medication, Paper, Target
from handout_app.domain import Side
from handout_app.gui.form import SelectionForm


@pytest.fixture
def form(form: SelectionForm) -> SelectionForm:
    """The blank form (conftest.py) with a patient's name and a side."""
    form.patient_name.setText("Test Patient")
    form.side_buttons[Side.RIGHT].setChecked(True)
    return form


def _items(combo: QComboBox) -> list[tuple[str, object]]:
    return [(combo.itemText(index), combo.itemData(index)) for index in range(combo.count())]


@pytest.mark.parametrize(
    ("name", "choice"),
    [("target", Target), ("guidance", Guidance), ("paper", Paper), ("language", Language)],
)
def test_every_list_holds_the_registry_s_entries_in_order(form: SelectionForm, name: str, choice: type[Choice]) -> None:
    combo = form.findChild(QComboBox, name)
    assert _items(combo) == [(member.form, member.value) for member in choice]


def test_the_purpose_list_is_automatic_then_the_registry_s_purposes(form: SelectionForm) -> None:
    assert [data for _, data in _items(form.intent)] == [None, *(intent.value for intent in Intent)]


def test_sides_are_the_registry_s_in_order(form: SelectionForm) -> None:
    assert [(side, button.text()) for side, button in form.side_buttons.items()] == [(s, s.form) for s in Side]


@pytest.mark.parametrize("medication", list(Medication))
def test_every_medicine_has_a_tick_box_that_reaches_the_selection(form: SelectionForm, medication: Medication) -> None:
    check = form.findChild(QCheckBox, f"medication-{medication.value}")
    assert check.text() == medication.form
    check.setChecked(True)
    if medication is not Medication.ANESTHETIC:
        form.intent.setCurrentIndex(form.intent.findData(Intent.THERAPEUTIC.value))
    state = form.refresh_validation()
    assert state.selection is not None, state.errors
    assert state.selection.medications == {medication}


@pytest.mark.parametrize("factor", list(Factor))
def test_every_patient_factor_has_a_tick_box_that_reaches_the_selection(form: SelectionForm, factor: Factor) -> None:
    form.medications[Medication.CORTICOSTEROID].setChecked(True)
    check = form.findChild(QCheckBox, factor.value)
    assert check is form.factor_checks[factor] and check.text() == factor.form
    check.setChecked(True)
    state = form.refresh_validation()
    assert state.selection is not None, state.errors
    assert state.selection.factors.present == {factor}


@pytest.mark.parametrize("kind", [k for k in AllergyKind if not k.spec.free_text])
def test_every_allergy_kind_has_a_tick_box_that_reaches_the_selection(form: SelectionForm, kind: AllergyKind) -> None:
    form.medications[Medication.CORTICOSTEROID].setChecked(True)
    check = form.findChild(QCheckBox, f"allergy-{kind.value}")
    assert check.text() == kind.form
    check.setChecked(True)
    state = form.refresh_validation()
    assert state.selection is not None, state.errors
    assert [allergy.kind for allergy in state.selection.factors.allergies] == [kind]


def test_free_text_allergies_have_the_text_line_not_a_tick_box(form: SelectionForm) -> None:
    assert form.findChild(QCheckBox, f"allergy-{AllergyKind.OTHER.value}") is None
