"""The window's settings are one INI file in the user's config folder on every system (never the Windows
registry or a macOS plist), and an upgrade keeps what an earlier version remembered."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from handout_app.domain import Medication, Target
from handout_app.gui.launch import make_application
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
    stored = QSettings(str(path), QSettings.Format.IniFormat).value("procedure/values")
    assert isinstance(stored, dict) and stored["target"] == Target.TROCHANTERIC.value
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
