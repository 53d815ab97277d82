"""Fixtures for the window tests: the form alone, a main window with its own worker or with a stand-in
that starts no process, and dialogs replaced."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache, partial
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QTimer
from PySide6.QtGui import QPainter, QPdfWriter
from pytestqt.qtbot import QtBot

from handout_app.gui import dialogs
from handout_app.gui.form import SelectionForm
from handout_app.gui.launch import make_application
from handout_app.gui.main_window import MainWindow
from handout_app.gui.render_client import RenderClient, RenderResult

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


@cache
def stand_in_pdf() -> bytes:
    """A one-page PDF drawn by Qt (no WeasyPrint): what the stand-in worker answers every request with."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    painter = QPainter(writer)
    painter.drawText(200, 200, "Stand-in sheet")
    painter.end()
    buffer.close()
    return bytes(data.data())


class StandInClient(RenderClient):
    """A render client that starts no process: ready at once, and every request is answered with
    stand_in_pdf() on the next turn of the event loop (replies to superseded requests are dropped, as the
    real client drops them). The window then enables and disables Save and Print exactly as it does with
    the worker, so a test can see them follow the form without paying for a worker."""

    def __init__(self) -> None:
        super().__init__(command=["no-worker"])
        self.requests: list[dict[str, Any]] = []  # the selections asked for, oldest first

    def start(self) -> None:
        self._ready = True
        QTimer.singleShot(0, self, self.ready.emit)  # after the window has connected its slots

    def stop(self) -> None:
        pass

    @property
    def is_running(self) -> bool:
        return self._ready

    def request(
        self, selection: dict[str, Any], clinic: str | None, generated_at: str, *args: Any, **kwargs: Any
    ) -> str:
        request_id = str(next(self._ids))
        self._latest = request_id
        self.requests.append(selection)
        QTimer.singleShot(0, self, partial(self._answer, request_id))
        return request_id

    def _answer(self, request_id: str) -> None:
        if request_id == self._latest:
            self.finished.emit(RenderResult(request_id, stand_in_pdf(), (), "Stand-in sheet"))


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


def open_quiet_window(qtbot: QtBot, clinic_folder: Path = EXAMPLE_CLINIC) -> MainWindow:
    """A main window whose previews come from StandInClient: no worker process is started."""
    make_application()
    return open_window(qtbot, StandInClient(), clinic_folder)


@pytest.fixture
def quiet_window(qtbot: QtBot, dialog_log: list) -> Iterator[MainWindow]:
    """The window without a worker, for what it does around the form (Save and Print, menus, settings)."""
    win = open_quiet_window(qtbot)
    yield win
    win.close()


@pytest.fixture
def form(qtbot: QtBot) -> SelectionForm:
    """The nurse's form alone, blank as a new window shows it, on screen so that keys and focus work."""
    make_application()
    widget = SelectionForm(catalog())
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    return widget


def fill_valid(window: MainWindow | SelectionForm, name: str = "Jane Example", side: str = "right") -> None:
    """Fill the least a nurse must: medication, purpose (anesthetic with a steroid has no default), side, name."""
    from handout_app.domain import Intent, Medication, Side

    form = window.form if isinstance(window, MainWindow) else window
    form.medications[Medication.ANESTHETIC].setChecked(True)
    form.medications[Medication.CORTICOSTEROID].setChecked(True)
    form.intent.setCurrentIndex(form.intent.findData(Intent.BOTH.value))
    form.side_buttons[Side(side)].setChecked(True)
    form.patient_name.setText(name)


def wait_for_preview(qtbot: QtBot, window: MainWindow, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: window.save_action.isEnabled(), timeout=timeout)


# Text the handout's fonts cannot print, typed into each free-text field: (form attribute, error key, text,
# how the form names the first character it refuses). The form's own tests and the window's share it.
UNPRINTABLE_TEXT = [
    pytest.param("patient_name", "patient-name", "山田 太郎", "'山' (U+5C71)", id="name"),
    pytest.param("mrn", "mrn", "12\u202e34", "U+202E (RIGHT-TO-LEFT OVERRIDE)", id="record-number"),
    pytest.param("clinician", "clinician", "Dr 😀", "'😀' (U+1F600)", id="clinician"),
    pytest.param("other_allergies", "allergies", "latex, ペニシリン", "'ペ' (U+30DA)", id="other-allergies"),
]
