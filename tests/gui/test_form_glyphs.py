"""Text the bundled fonts can print is accepted and reaches a real preview. (Text they cannot print is
refused by the form, next to its field, with Save and Print off: test_form_state.py and
test_window_without_worker.py, which need no worker.)"""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from handout_app.gui.main_window import MainWindow

from ..helpers import pdf_text
from .conftest import fill_valid, wait_for_preview


def test_greek_cyrillic_and_a_separately_typed_accent_are_accepted(qtbot: QtBot, window: MainWindow) -> None:
    form = window.form
    fill_valid(window, name="Αλέξανδρος Rene\u0301e")
    form.clinician.setText("Дмитрий Иванов")
    state = form.refresh_validation()
    assert state.errors == {}
    assert state.selection is not None and state.selection.patient.name == "Αλέξανδρος Ren\u00e9e"
    wait_for_preview(qtbot, window)
    text = pdf_text(window.preview.pdf_bytes)
    assert "Αλέξανδρος Ren\u00e9e" in text and "Дмитрий Иванов" in text
