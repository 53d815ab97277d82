"""The Clinic settings dialog: edit clinic.toml's fields with the preview following as you type.

Nothing is written until Save; then clinic.toml is written atomically and no other file in the
clinic folder is touched, except a newly chosen logo, which is copied into `assets/` (an existing
file of that name is never replaced). The texts a clinic may give per language (department,
address, opening hours, emergency line) have one box per language, and the [approval] sign-off
is written back exactly as it was: the dialog never signs the wording off.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..catalog import LANGUAGES
from ..clinic import (
    LANGUAGE_NAMES,
    LOCALIZED_FIELDS,
    ClinicError,
    ClinicProfile,
    check_profile,
    localized_problem,
    text_problem,
    with_values,
)
from ..clinic_file import write_clinic_toml
from ..logo import LogoError, check_logo
from . import dialogs

TEXT_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Clinic &name:"),
    ("department", "&Department:"),
    ("address", "&Address:"),
    ("phone", "&Phone:"),
    ("opening_hours", "&Opening hours:"),
    ("after_hours_phone", "After-&hours phone:"),
    ("emergency_line", "&Emergency line:"),
    ("email", "E-ma&il:"),
    ("website", "&Web page (https://):"),
    ("template_set_name", "Template set na&me:"),
    ("template_set_version", "Template set &version:"),
)


class ClinicSettingsDialog(QDialog):
    """Edits one clinic folder's clinic.toml. `changed` carries the unsaved values for the preview."""

    changed = Signal(dict)

    def __init__(self, profile: ClinicProfile, folder: Path, parent: QWidget | None = None, problem: str = "") -> None:
        """`problem`: what is wrong with clinic.toml as it stands (clinic.read_clinic_for_repair), shown at once."""
        super().__init__(parent)
        self.setWindowTitle("Clinic settings")
        self._profile = profile
        self._folder = folder
        self._new_logo: Path | None = None
        self._field_problem = False  # the error line shows a problem with a typed value
        layout = QVBoxLayout(self)
        others = [language for language in LANGUAGES if language != "en"]
        layout.addWidget(
            QLabel(
                f"Clinic folder: {folder}\nA field left empty prints as a blank line to fill in by hand.\n"
                "Texts with two boxes: English on the left, "
                f"{', '.join(LANGUAGE_NAMES.get(code, code) for code in others)} on the right; "
                "a handout in a language whose box is empty prints the English text."
            )
        )
        form = QFormLayout()
        self.fields: dict[str, QLineEdit] = {}  # each field's (English) text
        self.language_fields: dict[tuple[str, str], QLineEdit] = {}  # (field, language): the other languages' texts
        for key, label in TEXT_FIELDS:
            name = label.replace("&", "").rstrip(":")
            edit = QLineEdit(getattr(profile, key))
            edit.setObjectName(key)
            edit.setAccessibleName(name)
            edit.textEdited.connect(self._emit_changed)
            self.fields[key] = edit
            if key not in LOCALIZED_FIELDS:
                form.addRow(label, edit)
                continue
            edit.setPlaceholderText("English")
            edit.setAccessibleName(f"{name} in English")
            row = QWidget()
            boxes = QHBoxLayout(row)
            boxes.setContentsMargins(0, 0, 0, 0)
            boxes.addWidget(edit)
            texts = profile.texts(key)
            for language in others:
                language_name = LANGUAGE_NAMES.get(language, language)
                other = QLineEdit(texts.get(language, ""))
                other.setObjectName(f"{key}.{language}")
                other.setPlaceholderText(f"{language_name} (empty: the English text is printed)")
                other.setAccessibleName(f"{name} in {language_name}")
                other.textEdited.connect(self._emit_changed)
                boxes.addWidget(other)
                self.language_fields[(key, language)] = other
            caption = QLabel(label)
            caption.setBuddy(edit)
            form.addRow(caption, row)
        self.paper = QComboBox()
        self.paper.setAccessibleName("Default paper size")
        for text, value in (("A4", "a4"), ("Letter", "letter")):
            self.paper.addItem(text, value)
        self.paper.setCurrentIndex(max(0, self.paper.findData(profile.default_paper or "a4")))
        form.addRow("Default pape&r:", self.paper)
        self.intent = QComboBox()
        self.intent.setObjectName("default_intent")
        self.intent.setAccessibleName("Default purpose for local anesthetic with another medicine")
        for text, value in (
            ("Ask the nurse every time", ""),
            ("Diagnostic", "diagnostic"),
            ("Therapeutic", "therapeutic"),
            ("Diagnostic and therapeutic", "both"),
        ):
            self.intent.addItem(text, value)
        self.intent.setCurrentIndex(max(0, self.intent.findData(profile.default_intent)))
        form.addRow("Default p&urpose (anesthetic mixed):", self.intent)
        self.date_order = QComboBox()
        self.date_order.setObjectName("date_order")
        self.date_order.setAccessibleName("How numeric dates are typed")
        for text, value in (
            ("As this computer is set", ""),
            ("Day/month/year (02/04/1956 is 2 April)", "day-month-year"),
            ("Month/day/year (04/02/1956 is 2 April)", "month-day-year"),
        ):
            self.date_order.addItem(text, value)
        self.date_order.setCurrentIndex(max(0, self.date_order.findData(profile.date_order)))
        form.addRow("Numeric da&tes:", self.date_order)
        self.name_in_file = QCheckBox("Saved file names may include the patient's name")
        self.name_in_file.setChecked(profile.patient_name_in_file_name)
        form.addRow("", self.name_in_file)
        logo_row = QHBoxLayout()
        self.logo_label = QLabel(profile.logo or "No logo")
        self.logo_label.setObjectName("logo-label")
        choose = QPushButton("Choose &logo...")
        choose.clicked.connect(self.choose_logo)
        logo_row.addWidget(self.logo_label, 1)
        logo_row.addWidget(choose)
        form.addRow("Logo:", logo_row)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setObjectName("settings-error")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(dialogs.PROBLEM_STYLE)
        self.error.hide()
        layout.addWidget(self.error)
        if problem:
            self._show_error(
                f"clinic.toml has a problem: {problem}\nCorrect it here and press Save; "
                "a value that could not be read is shown as it was written."
            )
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> dict[str, Any]:
        """The clinic.toml fields as typed (the logo only once saved into the folder); a text given per
        language as a {language: text} table (clinic.with_values)."""
        result: dict[str, Any] = {key: " ".join(edit.text().split()) for key, edit in self.fields.items()}
        for key in LOCALIZED_FIELDS:
            result[key] = {"en": result[key]} | {
                language: " ".join(edit.text().split())
                for (field, language), edit in self.language_fields.items()
                if field == key
            }
        result["default_paper"] = self.paper.currentData()
        result["default_intent"] = self.intent.currentData()
        result["date_order"] = self.date_order.currentData()
        result["patient_name_in_file_name"] = self.name_in_file.isChecked()
        return result

    def _emit_changed(self) -> None:
        values = self.values()
        for key, label in TEXT_FIELDS:
            value = values[key]
            problem = localized_problem(key, value) if isinstance(value, dict) else text_problem(key, value)
            if problem:
                # Said at once; the preview keeps the last values that can be printed.
                self._show_error(f"{label.replace('&', '').rstrip(':')}: {problem}")
                self._field_problem = True
                return
        if self._field_problem:
            self._field_problem = False
            self.error.hide()
        self.changed.emit(values)

    def choose_logo(self) -> None:
        """Pick a PNG, JPEG or SVG; it is checked now and copied into assets/ on Save."""
        path = dialogs.ask_logo_path(self)
        if path is None:
            return
        try:
            check_logo(path)
        except LogoError as exc:
            self._show_error(f"The logo {path.name} {exc}")
            return
        self._new_logo = path
        self.logo_label.setText(f"{path.name} (copied into the clinic folder when you save)")
        self.error.hide()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def save(self) -> None:
        """Write clinic.toml atomically; on any problem, say so and keep the dialog open.

        write_clinic_toml checks every value and that the file reads back the same before writing.
        """
        logo = self._profile.logo
        try:
            typed = with_values(self._profile, self.values())
            # The typed values first, so a refused save copies no logo into the folder either.
            check_profile(dataclasses.replace(typed, logo=""))
            if self._new_logo is not None:
                destination = self._folder / "assets" / self._new_logo.name
                if destination.exists() and destination.resolve() != self._new_logo.resolve():
                    raise ClinicError(
                        destination, "already exists in the clinic folder. Rename your logo file and choose it again."
                    )
                destination.parent.mkdir(exist_ok=True)
                if not destination.exists():
                    shutil.copyfile(self._new_logo, destination)
                logo = destination.relative_to(self._folder).as_posix()
            write_clinic_toml(dataclasses.replace(typed, logo=logo), self._folder)
        except (ClinicError, OSError) as exc:
            self._show_error(f"The settings were not saved: {exc}")
            return
        self.accept()
