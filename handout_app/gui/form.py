"""The nurse's form: procedure, patient and patient factors. It builds a Selection; it never builds HTML."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ..catalog import Catalog, check_rules
from ..choices import Choice, Factor, Language
from ..domain import (
    Allergy,
    AllergyKind,
    Guidance,
    Intent,
    Medication,
    Paper,
    PatientDetails,
    PatientFactors,
    Selection,
    Side,
    Target,
    default_intent,
)
from ..formats import format_date
from ..glyphs import problem as glyph_problem
from ..patient_input import EARLIEST_BIRTH, FIRST_YEAR, LAST_YEAR, date_problems
from . import dialogs
from .date_field import DateField

# Lines of room kept under a field for its message: two where the usual message needs them.
_MESSAGE_LINES = {"intent": 2, "date-of-birth": 2, "procedure-date": 2}
# The form's own words for a missing purpose: the combo box already says "Choose the purpose".
_INTENT_MESSAGE = "Choose the purpose: it changes the consent (diagnostic, therapeutic or both)."


def _typed(text: str) -> str:
    """Typed text as it is printed: NFC (an accent typed separately joins its letter), single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass
class FormState:
    """The form's current selection (None while invalid), its problems by field, and its warnings."""

    selection: Selection | None
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class SelectionForm(QWidget):
    """All the inputs. Emits `changed` after any edit; `state()` says whether it is complete."""

    changed = Signal()
    notice = Signal(str)  # something the form did by itself, for the status line

    def __init__(self, catalog: Catalog, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._error_labels: dict[str, QLabel] = {}
        self._clinic_intent = ""  # the clinic's default purpose, when it set one (clinic.toml default_intent)
        # Setting defaults while building fires edit signals before every field exists; they wait for this.
        self._built = False
        layout = QVBoxLayout(self)
        layout.addWidget(self._build_procedure())
        layout.addWidget(self._build_patient())
        layout.addWidget(self._build_factors())
        layout.addStretch(1)
        self.set_date_order("")  # the computer's order until a clinic folder says otherwise
        self._built = True
        self._update_dependent_controls()
        self.refresh_validation()

    # -- building ----------------------------------------------------------------------------
    def _error_label(self, key: str) -> QLabel:
        """The line under a field for its problem. Its room is kept when empty, so no control below moves
        when a message appears or goes (a row jumping 20 px sent the next click to the wrong row)."""
        label = QLabel()
        label.setObjectName(f"error-{key}")
        label.setWordWrap(True)
        label.setStyleSheet(dialogs.PROBLEM_STYLE)
        label.setAccessibleName(f"Problem with {key}")
        label.setMinimumHeight(label.fontMetrics().lineSpacing() * _MESSAGE_LINES.get(key, 1))
        self._error_labels[key] = label
        return label

    def _combo(self, name: str, choice: type[Choice], accessible: str) -> QComboBox:
        combo = QComboBox()
        combo.setObjectName(name)
        for member in choice:
            # Plain strings as data: Qt turns str-enums into str anyway.
            combo.addItem(member.form, member.value)
        combo.setAccessibleName(accessible)
        combo.currentIndexChanged.connect(self._on_edit)
        return combo

    def _build_procedure(self) -> QGroupBox:
        box = QGroupBox("Procedure")
        form = QFormLayout(box)
        self.target = self._combo("target", Target, "Injection target")
        form.addRow("&Target:", self.target)

        meds = QWidget()
        meds_layout = QGridLayout(meds)  # two columns: the form fits a 900-pixel-high screen with less scrolling
        meds_layout.setContentsMargins(0, 0, 0, 0)
        self.medications: dict[Medication, QCheckBox] = {}
        for index, medication in enumerate(Medication):
            text = medication.form
            check = QCheckBox(text)
            check.setObjectName(f"medication-{medication.value}")
            check.setAccessibleName(f"Medication: {text}")
            check.toggled.connect(self._on_edit)
            meds_layout.addWidget(check, index // 2, index % 2)
            self.medications[medication] = check
        meds_layout.addWidget(self._error_label("medication"), (len(self.medications) + 1) // 2, 0, 1, 2)
        medication_label = QLabel("Medications:")
        medication_label.setBuddy(next(iter(self.medications.values())))
        form.addRow(medication_label, meds)

        self.guidance = self._combo("guidance", Guidance, "Guidance method")
        form.addRow("&Guidance:", self.guidance)
        self.contrast = QCheckBox("Contrast dye (fluoroscopy only)")
        self.contrast.setObjectName("contrast")
        self.contrast.setAccessibleName("Contrast dye")
        self.contrast.toggled.connect(self._on_edit)
        contrast_box = QWidget()
        contrast_layout = QVBoxLayout(contrast_box)
        contrast_layout.setContentsMargins(0, 0, 0, 0)
        contrast_layout.addWidget(self.contrast)
        contrast_layout.addWidget(self._error_label("contrast"))
        form.addRow("", contrast_box)

        self.intent = QComboBox()
        self.intent.setObjectName("intent")
        self.intent.setAccessibleName("Purpose")
        # Wide enough for "Automatic (diagnostic and therapeutic)": a cut-off purpose is easy to misread.
        longest = max(len(f"Automatic ({intent.form})") for intent in Intent)
        self.intent.setMinimumContentsLength(longest)
        self.intent.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.intent.addItem("Automatic", None)
        for intent in Intent:
            self.intent.addItem(intent.form, intent.value)
        self.intent.currentIndexChanged.connect(self._on_edit)
        intent_box = QWidget()
        intent_layout = QVBoxLayout(intent_box)
        intent_layout.setContentsMargins(0, 0, 0, 0)
        intent_layout.addWidget(self.intent)
        intent_layout.addWidget(self._error_label("intent"))
        intent_label = QLabel("P&urpose:")
        intent_label.setBuddy(self.intent)
        form.addRow(intent_label, intent_box)

        side_box = QWidget()
        side_layout = QVBoxLayout(side_box)
        side_layout.setContentsMargins(0, 0, 0, 0)
        buttons = QHBoxLayout()
        self.side_group = QButtonGroup(self)
        self.side_buttons: dict[Side, QRadioButton] = {}
        for side in Side:
            button = QRadioButton(side.form)
            button.setObjectName(f"side-{side.value}")
            button.setAccessibleName(f"Side: {side.description}")
            self.side_group.addButton(button)
            self.side_buttons[side] = button
            buttons.addWidget(button)
        self.side_group.buttonToggled.connect(self._on_edit)
        buttons.addStretch(1)
        side_layout.addLayout(buttons)
        side_layout.addWidget(self._error_label("side"))
        side_label = QLabel("Side:")
        side_label.setBuddy(next(iter(self.side_buttons.values())))
        form.addRow(side_label, side_box)

        self.paper = self._combo("paper", Paper, "Paper size")
        form.addRow("Pa&per:", self.paper)
        self.language = self._combo("language", Language, "Language of the handout")
        form.addRow("L&anguage:", self.language)
        self.large_print = self._check("large-print", "Large print (18 pt te&xt) for this patient")
        self.consent_copy = self._check("consent-copy", "Second consent page for the patient to &keep")
        self.archival = self._check("archival", "Archi&val PDF/A for the clinic's records")
        for check in (self.large_print, self.consent_copy, self.archival):
            form.addRow("", check)
        return box

    def _check(self, name: str, text: str) -> QCheckBox:
        check = QCheckBox(text)
        check.setObjectName(name)
        check.setAccessibleName(text.replace("&", ""))
        check.toggled.connect(self._on_edit)
        return check

    def _line(self, name: str, accessible: str, limit: int = 200) -> QLineEdit:
        edit = QLineEdit()
        edit.setObjectName(name)
        edit.setAccessibleName(accessible)
        edit.setMaxLength(limit)
        edit.textChanged.connect(self._on_edit)
        return edit

    def _date(
        self, name: str, accessible: str, first: dt.date, last: dt.date | None, open_year: int | None
    ) -> DateField:
        field_ = DateField(name, accessible, first, last, open_year)
        field_.edited.connect(self._on_edit)
        return field_

    def _build_patient(self) -> QGroupBox:
        box = QGroupBox("Patient")
        form = QFormLayout(box)
        name_box = QWidget()
        name_layout = QVBoxLayout(name_box)
        name_layout.setContentsMargins(0, 0, 0, 0)
        self.patient_name = self._line("patient-name", "Patient name")
        name_layout.addWidget(self.patient_name)
        name_layout.addWidget(self._error_label("patient-name"))
        name_label = QLabel("&Name:")
        name_label.setBuddy(self.patient_name)
        form.addRow(name_label, name_box)
        # A birth calendar opens near 1960, where most patients' birthdays are, not at January 1900.
        self.date_of_birth = self._date("date-of-birth", "Date of birth", EARLIEST_BIRTH, None, 1960)
        self._row_with_error(
            form, "Dat&e of birth:", self.date_of_birth, "date-of-birth", buddy=self.date_of_birth.edit
        )
        self.mrn = self._line("mrn", "Record number", 60)
        self._row_with_error(form, "Record nu&mber:", self.mrn, "mrn")
        self.procedure_date = self._date(
            "procedure-date", "Procedure date", dt.date(FIRST_YEAR, 1, 1), dt.date(LAST_YEAR, 12, 31), None
        )
        self.procedure_date.setDate(dt.date.today())
        self._row_with_error(
            form, "Procedure &date:", self.procedure_date, "procedure-date", buddy=self.procedure_date.edit
        )
        self.clinician = self._line("clinician", "Clinician")
        self._row_with_error(form, "Cl&inician:", self.clinician, "clinician")
        return box

    def _row_with_error(
        self, form: QFormLayout, text: str, edit: QWidget, key: str, buddy: QWidget | None = None
    ) -> None:
        """A form row with the field's problem shown under it; the label's shortcut still focuses the field."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit)
        layout.addWidget(self._error_label(key))
        label = QLabel(text)
        label.setBuddy(buddy or edit)
        form.addRow(label, box)

    def _build_factors(self) -> QGroupBox:
        box = QGroupBox("Patient factors")
        layout = QVBoxLayout(box)
        checks = QGridLayout()  # two columns, as the medications
        layout.addLayout(checks)
        self.factor_checks: dict[Factor, QCheckBox] = {factor: QCheckBox(factor.form) for factor in Factor}
        # A tick box for every allergy kind but free text, which has the line below.
        self.allergy_checks: dict[AllergyKind, QCheckBox] = {
            kind: QCheckBox(kind.form) for kind in AllergyKind if not kind.spec.free_text
        }
        factors = [(factor.value, check) for factor, check in self.factor_checks.items()]
        allergies = [(f"allergy-{k.value}", c) for k, c in self.allergy_checks.items()]
        for column, group in enumerate((factors, allergies)):  # the patient's conditions left, allergies right
            for row, (name, check) in enumerate(group):
                check.setObjectName(name)
                check.setAccessibleName(check.text())
                check.toggled.connect(self._on_edit)
                checks.addWidget(check, row, column)
        self.other_allergies = self._line("other-allergies", "Other allergies, separated by commas")
        self.other_allergies.setPlaceholderText("Other allergies, separated by commas")
        other_label = QLabel("&Other allergies:")
        other_label.setBuddy(self.other_allergies)
        layout.addWidget(other_label)
        layout.addWidget(self.other_allergies)
        layout.addWidget(self._error_label("allergies"))
        return box

    # -- reading -----------------------------------------------------------------------------
    def chosen_side(self) -> Side | None:
        for side, button in self.side_buttons.items():
            if button.isChecked():
                return side
        return None

    def chosen_medications(self) -> frozenset[Medication]:
        return frozenset(m for m, check in self.medications.items() if check.isChecked())

    def _dates(self, errors: dict[str, str]) -> tuple[dt.date | None, dt.date | None]:
        """The date of birth and procedure date; each problem goes into `errors` under its field."""
        birth, problem = self.date_of_birth.value()
        if problem:
            errors["date-of-birth"] = problem
        procedure, problem = self.procedure_date.value()
        if problem:
            errors["procedure-date"] = problem
        elif procedure is None:
            errors["procedure-date"] = f"Type the procedure date, e.g. {format_date(dt.date.today())}."
        # The rules are patient_input's, shared with the command line and the day list; the window names the date first.
        for key, problem in date_problems(birth, procedure).items():
            field, value = ("date-of-birth", birth) if key == "date_of_birth" else ("procedure-date", procedure)
            errors[field] = f"{format_date(value)} {problem}."
        return birth, procedure

    def _allergies(self) -> tuple[Allergy, ...]:
        known = [Allergy(kind) for kind, check in self.allergy_checks.items() if check.isChecked()]
        typed = [Allergy.parse(part) for part in _typed(self.other_allergies.text()).split(",") if part.strip()]
        return tuple(dict.fromkeys(known + typed))  # drop duplicates, keep order

    def state(self) -> FormState:
        """The selection if complete, else the problems, each keyed by the field it belongs to."""
        errors: dict[str, str] = {}
        medications = self.chosen_medications()
        side = self.chosen_side()
        name = _typed(self.patient_name.text())
        mrn, clinician = _typed(self.mrn.text()), _typed(self.clinician.text())
        if not medications:
            errors["medication"] = "Tick at least one medication."
        if side is None:
            errors["side"] = "Choose the side: Left, Right or Both."
        if not name:
            errors["patient-name"] = "Type the patient's name."
        birth, procedure_day = self._dates(errors)
        # Text the bundled fonts cannot print is refused here, as Selection.check() refuses it for every render.
        typed_fields = (
            ("patient-name", "The patient's name", name),
            ("mrn", "The record number", mrn),
            ("clinician", "The clinician's name", clinician),
            ("allergies", "The text in Other allergies", _typed(self.other_allergies.text())),
        )
        for key, what, text in typed_fields:
            message = glyph_problem(text, what)
            if message:
                errors.setdefault(key, message)
        selection = None
        if medications and side is not None:
            selection = Selection(
                target=Target(self.target.currentData()),
                medications=medications,
                guidance=Guidance(self.guidance.currentData()),
                contrast=self.contrast.isChecked(),
                intent=self._chosen_intent(medications),
                side=side,
                patient=PatientDetails(
                    name=name or "-",
                    date_of_birth=birth,
                    mrn=mrn,
                    procedure_date=procedure_day,
                    clinician=clinician,
                ),
                factors=PatientFactors(
                    present=[factor for factor, check in self.factor_checks.items() if check.isChecked()],
                    allergies=self._allergies(),
                ),
                paper=Paper(self.paper.currentData()),
                language=self.language.currentData(),
                large_print=self.large_print.isChecked(),
                consent_copy=self.consent_copy.isChecked(),
                archival=self.archival.isChecked(),
            )
        if selection is not None and selection.intent is None and default_intent(medications) is None:
            errors["intent"] = _INTENT_MESSAGE
            selection = None  # the purpose changes the sheet and the consent: no preview, save or print until chosen
        warnings: list[str] = []
        if selection is not None:
            for finding in check_rules(self._catalog, selection):
                if finding.level == "refuse":
                    errors.setdefault(
                        finding.field if finding.field in self._error_labels else "contrast", finding.message
                    )
                else:
                    warnings.append(finding.message)
        return FormState(selection if not errors else None, errors, warnings)

    # -- reacting ----------------------------------------------------------------------------
    def _update_dependent_controls(self) -> None:
        fluoroscopy = self.guidance.currentData() == Guidance.FLUOROSCOPY.value
        if not fluoroscopy and self.contrast.isChecked():
            # Contrast dye goes with fluoroscopy only: untick it, and say so, rather than blank the
            # preview behind an error the nurse did not cause on purpose.
            self.contrast.blockSignals(True)
            self.contrast.setChecked(False)
            self.contrast.blockSignals(False)
            self.notice.emit("Contrast dye was unticked: it is used only with fluoroscopy.")
        self.contrast.setEnabled(fluoroscopy)
        self.intent.setItemText(0, self._automatic_intent_text())

    def _automatic_intent_text(self) -> str:
        """What the first purpose entry means now: the purpose the medicines imply, the clinic's default,
        or (anesthetic with another medicine, no default) a prompt to choose, since it changes the consent."""
        medications = self.chosen_medications()
        if not medications:
            return "Automatic (from the medications)"
        implied = default_intent(medications)
        if implied is not None:
            return f"Automatic ({implied.form.lower()})"
        if self._clinic_intent:
            return f"Clinic default ({Intent(self._clinic_intent).form.lower()})"
        return "Choose the purpose"

    def _chosen_intent(self, medications: frozenset[Medication]) -> Intent | None:
        if self.intent.currentData():
            return Intent(self.intent.currentData())
        if default_intent(medications) is None and self._clinic_intent:
            return Intent(self._clinic_intent)
        return None

    def set_date_order(self, order: str) -> None:
        """The clinic's order for numeric dates (clinic.toml date_order); "" follows the computer:
        month first on one set to the United States, day first everywhere else."""
        day_first = order == "day-month-year" if order else QLocale.system().territory() != QLocale.Country.UnitedStates
        for date_field in (self.date_of_birth, self.procedure_date):
            date_field.set_day_first(day_first)

    def set_clinic_intent(self, value: str) -> None:
        """The clinic's default purpose for anesthetic mixed with another medicine ("" for none)."""
        if value == self._clinic_intent:
            return  # unchanged: re-checking the form would replace the window's status message for nothing
        self._clinic_intent = value
        if self._built:
            self._update_dependent_controls()
            self._on_edit()

    def refresh_validation(self) -> FormState:
        """Show each problem next to its field; return the state."""
        state = self.state()
        for key, label in self._error_labels.items():
            label.setText(state.errors.get(key, ""))
        return state

    def _on_edit(self, *_: object) -> None:
        if not self._built:
            return
        self._update_dependent_controls()
        self.refresh_validation()
        self.changed.emit()

    # -- actions -----------------------------------------------------------------------------
    def clear_patient(self) -> None:
        """New patient: clear who it is for (and the side, which is confirmed per patient); keep the procedure."""
        self.blockSignals(True)
        for edit in (self.patient_name, self.mrn, self.clinician, self.other_allergies):
            edit.clear()
        self.date_of_birth.clear()
        self.procedure_date.setDate(dt.date.today())
        # Large print is this patient's need, so it goes with the patient.
        for check in (*self.factor_checks.values(), self.large_print, *self.allergy_checks.values()):
            check.setChecked(False)
        self.language.setCurrentIndex(0)  # the patient's language goes with the patient
        self.side_group.setExclusive(False)
        for button in self.side_buttons.values():
            button.setChecked(False)
        self.side_group.setExclusive(True)
        self.blockSignals(False)
        self._on_edit()
        self.patient_name.setFocus()

    def procedure_settings(self) -> dict[str, object]:
        """The procedure choices to remember between runs (never patient details, never the side)."""
        return {
            "target": self.target.currentData(),
            "medications": sorted(m.value for m in self.chosen_medications()),
            "guidance": self.guidance.currentData(),
            "contrast": self.contrast.isChecked(),
            "intent": self.intent.currentData() or "",
            "paper": self.paper.currentData(),
        }

    def apply_procedure_settings(self, values: dict[str, object]) -> None:
        """Restore remembered procedure choices; unknown or damaged values are ignored."""

        def pick(combo: QComboBox, value: object) -> None:
            for index in range(combo.count()):
                if (combo.itemData(index) or "") == value:
                    combo.setCurrentIndex(index)

        self.blockSignals(True)
        pick(self.target, values.get("target"))
        pick(self.guidance, values.get("guidance"))
        pick(self.intent, values.get("intent", ""))
        pick(self.paper, values.get("paper"))
        remembered = values.get("medications") or []
        for medication, check in self.medications.items():
            check.setChecked(isinstance(remembered, list) and medication.value in remembered)
        self.contrast.setChecked(values.get("contrast") in (True, "true"))
        self.blockSignals(False)
        self._on_edit()
