"""Fixtures for the window tests: a main window with its own worker, and dialogs replaced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from handout_app.gui import dialogs
from handout_app.gui.launch import make_application
from handout_app.gui.main_window import MainWindow
from handout_app.gui.render_client import RenderClient

from ..conftest import EXAMPLE_CLINIC
from ..helpers import catalog


@pytest.fixture(autouse=True)
def isolated_qsettings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test starts with empty settings in its own folder (Qt caches the home folder, so set it here)."""
    from PySide6.QtCore import QSettings

    folder = str(tmp_path_factory.mktemp("qsettings"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, folder)


@pytest.fixture(autouse=True)
def discard_questions(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Closing a window with an unsent sheet asks; tests answer "Discard" and can see that it was asked."""
    asked: list[bool] = []

    def answer(parent: object) -> bool:
        asked.append(True)
        return True

    monkeypatch.setattr(dialogs, "confirm_discard", answer)
    return asked


@pytest.fixture
def dialog_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Replace every dialog: errors and infos are recorded, questions must be answered by the test."""
    log: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, message: log.append((title, message)))
    monkeypatch.setattr(dialogs, "show_info", lambda parent, title, message: log.append((title, message)))

    def unexpected(*args: object) -> None:
        raise AssertionError("a dialog opened that the test did not expect")

    monkeypatch.setattr(dialogs, "ask_save_path", unexpected)
    monkeypatch.setattr(dialogs, "confirm_replace", unexpected)
    monkeypatch.setattr(dialogs, "ask_printer", unexpected)
    return log


def open_window(qtbot: QtBot, client: RenderClient | None = None, clinic_folder: Path = EXAMPLE_CLINIC) -> MainWindow:
    make_application()
    window = MainWindow(catalog(), clinic_folder=clinic_folder, client=client)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.client.is_ready, timeout=30_000)
    return window


@pytest.fixture
def window(qtbot: QtBot, dialog_log: list) -> Iterator[MainWindow]:
    win = open_window(qtbot)
    yield win
    win.close()


def fill_valid(window: MainWindow, name: str = "Jane Example", side: str = "right") -> None:
    """Fill the least a nurse must: medication, purpose (anesthetic with a steroid has no default), side, name."""
    from handout_app.domain import Intent, Medication, Side

    window.form.medications[Medication.ANESTHETIC].setChecked(True)
    window.form.medications[Medication.CORTICOSTEROID].setChecked(True)
    window.form.intent.setCurrentIndex(window.form.intent.findData(Intent.BOTH.value))
    window.form.side_buttons[Side(side)].setChecked(True)
    window.form.patient_name.setText(name)


def wait_for_preview(qtbot: QtBot, window: MainWindow, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: window.save_action.isEnabled(), timeout=timeout)
