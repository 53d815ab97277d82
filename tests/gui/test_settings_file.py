"""The window's settings are one INI file in the user's config folder on every system (never the Windows
registry or a macOS plist), the procedure in it as plain lines a support person can read, and an
upgrade keeps what an earlier version remembered."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from handout_app.domain import Guidance, Intent, Medication, Paper, Target
from handout_app.gui.launch import make_application
from handout_app.gui.main_window import MainWindow
from handout_app.gui.settings_file import APPLICATION, EARLIER_ORGANIZATION, use_settings_file

from .conftest import fill_valid, open_quiet_window


def expected_file() -> Path:
    # tests/conftest.py points XDG_CONFIG_HOME at this test's own temp folder.
    return Path(os.environ["XDG_CONFIG_HOME"]) / "handout-app" / "handout-app.ini"


def test_a_choice_made_in_the_window_lands_in_the_ini_file_and_the_next_window_reads_it(
    qtbot: QtBot, dialog_log: list
) -> None:
    first = open_quiet_window(qtbot)
    first.form.target.setCurrentIndex(first.form.target.findData(Target.TROCHANTERIC.value))
    first.close()
    path = expected_file()
    assert Path(QSettings().fileName()) == path and path.is_file()
    assert QSettings(str(path), QSettings.Format.IniFormat).value("procedure/target") == Target.TROCHANTERIC.value
    second = open_quiet_window(qtbot)
    assert second.form.target.currentData() == Target.TROCHANTERIC.value
    second.close()


def test_restart_restores_the_procedure_but_no_patient_data(qtbot: QtBot, dialog_log: list) -> None:
    first = open_quiet_window(qtbot)
    fill_valid(first, name="Secret Person")
    first.form.mrn.setText("MRN-SECRET")
    first.form.target.setCurrentIndex(first.form.target.findData(Target.TROCHANTERIC.value))
    first.form.medications[Medication.PRP].setChecked(True)
    first.close()
    settings_file = Path(QSettings().fileName())
    stored = settings_file.read_text(encoding="utf-8", errors="replace")
    assert "Secret" not in stored and "MRN-SECRET" not in stored
    second = open_quiet_window(qtbot)
    assert second.form.target.currentData() == "trochanteric"
    assert Medication.PRP in second.form.chosen_medications()
    assert second.form.patient_name.text() == "" and second.form.mrn.text() == ""
    assert second.form.chosen_side() is None
    second.close()


def _procedure_of(window: MainWindow) -> tuple[object, ...]:
    form = window.form
    return (
        form.target.currentData(),
        form.chosen_medications(),
        form.guidance.currentData(),
        form.contrast.isChecked(),
        form.intent.currentData(),
        form.paper.currentData(),
    )


def _section(text: str, name: str) -> list[str]:
    """The lines of one [section] of an INI file's text."""
    lines = text.splitlines()
    start = lines.index(f"[{name}]") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    return [line for line in lines[start:end] if line]


def test_the_procedure_is_kept_as_plain_lines_a_person_can_read(qtbot: QtBot, dialog_log: list) -> None:
    first = open_quiet_window(qtbot)
    form = first.form
    fill_valid(first, name="Secret Person")  # anesthetic and corticosteroid, both purposes
    form.target.setCurrentIndex(form.target.findData(Target.TROCHANTERIC.value))
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.FLUOROSCOPY.value))
    form.contrast.setChecked(True)
    form.paper.setCurrentIndex(form.paper.findData(Paper.LETTER.value))
    chosen = _procedure_of(first)
    first.close()
    text = expected_file().read_text(encoding="utf-8")
    assert sorted(_section(text, "procedure")) == [
        "contrast=true",
        "guidance=fluoroscopy",
        "intent=both",
        "medications=anesthetic, corticosteroid",
        "paper=letter",
        "target=trochanteric",
    ]
    assert "@Variant" not in text and "Secret" not in text
    second = open_quiet_window(qtbot)
    assert _procedure_of(second) == chosen
    # One medicine is one word; none is an empty line (Qt would write "@Invalid()").
    second.form.medications[Medication.ANESTHETIC].setChecked(False)
    second.close()
    assert "medications=corticosteroid" in _section(expected_file().read_text(encoding="utf-8"), "procedure")
    third = open_quiet_window(qtbot)
    assert third.form.chosen_medications() == {Medication.CORTICOSTEROID}
    third.form.medications[Medication.CORTICOSTEROID].setChecked(False)
    third.close()
    text = expected_file().read_text(encoding="utf-8")
    assert "medications=" in _section(text, "procedure") and "@" not in "".join(_section(text, "procedure"))


def test_a_procedure_section_typed_by_hand_is_read(qtbot: QtBot, dialog_log: list) -> None:
    """What the file says is what the window shows, read from the text itself (one medicine, no purpose)."""
    expected_file().parent.mkdir(parents=True)
    expected_file().write_text(
        "[procedure]\ntarget=trochanteric\nmedications=corticosteroid\nguidance=fluoroscopy\n"
        "contrast=true\nintent=\npaper=letter\n",
        encoding="utf-8",
    )
    window = open_quiet_window(qtbot)
    assert _procedure_of(window) == (
        Target.TROCHANTERIC.value,
        {Medication.CORTICOSTEROID},
        Guidance.FLUOROSCOPY.value,
        True,
        None,  # automatic
        Paper.LETTER.value,
    )
    window.close()


def test_a_procedure_an_earlier_version_kept_as_one_qt_map_is_restored_then_written_plainly(
    qtbot: QtBot, dialog_log: list, tmp_path: Path
) -> None:
    # Written the way earlier versions wrote it: the whole map under procedure/values.
    earlier = QSettings(str(tmp_path / "earlier.ini"), QSettings.Format.IniFormat)
    earlier.setValue(
        "procedure/values",
        {
            "target": "trochanteric",
            "medications": ["anesthetic", "prp"],
            "guidance": "fluoroscopy",
            "contrast": True,
            "intent": "therapeutic",
            "paper": "letter",
        },
    )
    earlier.sync()
    old_text = (tmp_path / "earlier.ini").read_text(encoding="utf-8")
    assert "values=@Variant(" in old_text
    expected_file().parent.mkdir(parents=True)
    expected_file().write_text(old_text, encoding="utf-8")
    window = open_quiet_window(qtbot)
    assert _procedure_of(window) == (
        Target.TROCHANTERIC.value,
        {Medication.ANESTHETIC, Medication.PRP},
        Guidance.FLUOROSCOPY.value,
        True,
        Intent.THERAPEUTIC.value,
        Paper.LETTER.value,
    )
    window.close()
    text = expected_file().read_text(encoding="utf-8")
    assert "@Variant" not in text and "medications=anesthetic, prp" in _section(text, "procedure")


def test_an_upgrade_keeps_the_clinic_folder_an_earlier_version_remembered(tmp_path: Path) -> None:
    # Earlier versions used the system's own store (tests/gui/conftest.py keeps it in a temp folder).
    earlier = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, EARLIER_ORGANIZATION, APPLICATION)
    earlier.setValue("clinic_folder", str(tmp_path))
    earlier.sync()
    make_application()  # runs use_settings_file() once, as the app does at start-up
    assert Path(QSettings().fileName()) == expected_file()
    assert QSettings().value("clinic_folder") == str(tmp_path)
    # Only the first time: the INI file is the one place from then on.
    QSettings().setValue("clinic_folder", "")
    QSettings().sync()
    use_settings_file()
    assert QSettings().value("clinic_folder") == ""


def test_the_first_window_starts_at_the_target_and_a_later_one_at_the_patients_name(
    qtbot: QtBot, dialog_log: list
) -> None:
    from PySide6.QtWidgets import QApplication

    first = open_quiet_window(qtbot)
    first.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is first.form.target)  # nothing remembered yet
    first.close()
    second = open_quiet_window(qtbot)  # the procedure is remembered: the patient is what comes next
    second.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is second.form.patient_name)
    qtbot.keyClicks(QApplication.focusWidget(), "Jane Example")  # typing at once fills in the name
    assert second.form.patient_name.text() == "Jane Example"
    second.close()
