"""The reprint's question: the patient's details of one recorded sheet, typed exactly as they were printed
on it (the record store never keeps the name or the birth date), checked as the form checks them."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from ..formats import format_date
from ..patient_input import EARLIEST_BIRTH, TEXT_LIMITS, InputError, birth_date_problem, printable_text
from . import dialogs
from .date_field import DateField


@dataclass(frozen=True)
class ReprintDetails:
    """The patient's details as typed for a reprint, kept as typed so a failed attempt loses nothing."""

    name: str = ""
    date_of_birth: str = ""
    record_number: str = ""


@dataclass(frozen=True)
class CheckedDetails:
    """The typed details as the render takes them: cleaned as the form cleans them, the birth date in ISO."""

    name: str
    date_of_birth: str | None
    record_number: str


class ReprintDetailsDialog(QDialog):
    """Asks for the patient's details of one recorded sheet, exactly as they were printed on it."""

    def __init__(
        self, number: str, details: ReprintDetails, day_first: bool = True, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("reprint-details")
        self.setWindowTitle(f"Reprint document {number}")
        self.setModal(True)
        self.checked: CheckedDetails | None = None
        layout = QVBoxLayout(self)
        explanation = QLabel(
            f"To make document {number} again, type the patient's details exactly as they are on the original "
            "sheet: the same spelling, spaces and capitals. Leave the date of birth or the record number empty "
            "if the sheet did not show one.\n\nThe record store keeps no names, so the sheet is made from what "
            "you type and compared with the one handed out; if anything differs, nothing is saved."
        )
        explanation.setObjectName("reprint-explanation")
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        form = QFormLayout()
        self.name = QLineEdit(details.name)
        self.name.setObjectName("reprint-name")
        self.name.setAccessibleName("Patient name, as on the original sheet")
        self.name.setMaxLength(TEXT_LIMITS["name"])
        name_label = QLabel("Patient &name:")
        name_label.setBuddy(self.name)
        form.addRow(name_label, self.name)
        # Birth calendars open near 1960, as in the form, not at January 1900.
        self.date_of_birth = DateField(
            "reprint-date-of-birth", "Date of birth, as on the original sheet (optional)", EARLIEST_BIRTH, None, 1960
        )
        self.date_of_birth.set_day_first(day_first)
        self.date_of_birth.setText(details.date_of_birth)
        birth_label = QLabel("Date of &birth:")
        birth_label.setBuddy(self.date_of_birth.edit)
        form.addRow(birth_label, self.date_of_birth)
        self.record_number = QLineEdit(details.record_number)
        self.record_number.setObjectName("reprint-record-number")
        self.record_number.setAccessibleName("Record number, as on the original sheet (optional)")
        self.record_number.setMaxLength(TEXT_LIMITS["mrn"])
        number_label = QLabel("&Record number:")
        number_label.setBuddy(self.record_number)
        form.addRow(number_label, self.record_number)
        layout.addLayout(form)
        self.problem = QLabel()
        self.problem.setObjectName("reprint-problem")
        self.problem.setAccessibleName("Problem with the details")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet(dialogs.PROBLEM_STYLE)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton("&Save as PDF...", QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        cancel = buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)  # Esc; no letter needed
        cancel.setAccessibleName("Cancel the reprint")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setTabOrder(self.name, self.date_of_birth.edit)
        self.setTabOrder(self.date_of_birth.edit, self.record_number)
        self.name.setFocus()
        self.resize(520, self.sizeHint().height())

    def typed(self) -> ReprintDetails:
        """What is in the fields now, as typed."""
        return ReprintDetails(self.name.text(), self.date_of_birth.text(), self.record_number.text())

    def check(self) -> CheckedDetails | None:
        """The details cleaned as the form cleans them (so the same typing makes the same sheet), or
        None with the problem shown under the fields."""
        try:
            name = printable_text(self.name.text(), TEXT_LIMITS["name"], "The patient's name")
            record_number = printable_text(self.record_number.text(), TEXT_LIMITS["mrn"], "The record number")
        except InputError as exc:
            self._refuse(str(exc)[:1].upper() + str(exc)[1:] + ".")
            return None
        if not name:
            self.name.setFocus()
            self._refuse("Type the patient's name as it is on the original sheet.")
            return None
        birth, problem = self.date_of_birth.value()
        if problem:
            self.date_of_birth.edit.setFocus()
            self._refuse(f"Date of birth: {problem}")
            return None
        if birth is not None and birth_date_problem(birth):  # the form's rule; this message names both limits
            self.date_of_birth.edit.setFocus()
            self._refuse(f"Date of birth: {format_date(birth)} is not between {EARLIEST_BIRTH.year} and today.")
            return None
        self.problem.clear()
        return CheckedDetails(name, birth.isoformat() if birth else None, record_number)

    def _refuse(self, message: str) -> None:
        self.problem.setText(message)

    def accept(self) -> None:
        """Close only with details that can be used; otherwise say what is wrong and stay open."""
        self.checked = self.check()
        if self.checked is not None:
            super().accept()
