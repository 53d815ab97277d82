"""Typing the patient's details as a nurse does: dates in her own words, Tab that always moves on,
a calendar that cannot pick the wrong month, and a form whose rows never move under the mouse."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from handout_app.domain import Side
from handout_app.gui.form import SelectionForm

from .conftest import fill_valid


def _type_date(qtbot: QtBot, field, text: str) -> None:
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, text)
    qtbot.keyClick(field.edit, Qt.Key.Key_Tab)


def test_typed_dates_are_read_and_shown_unambiguously(qtbot: QtBot, form: SelectionForm) -> None:
    fill_valid(form)
    for typed in ("2 Apr 1956", "02/04/1956", "1956-04-02", "April 2, 1956"):
        _type_date(qtbot, form.date_of_birth, typed)
        state = form.state()
        assert state.selection is not None, state.errors
        assert state.selection.patient.date_of_birth == dt.date(1956, 4, 2)
        assert form.date_of_birth.text() == "2 Apr 1956"  # once left, shown as it was read
    form.set_date_order("month-day-year")
    _type_date(qtbot, form.date_of_birth, "04/02/1956")
    assert form.state().selection.patient.date_of_birth == dt.date(1956, 4, 2)
    assert "04/02/1956" in form.date_of_birth.edit.placeholderText()


def test_a_wrong_date_is_kept_with_a_message_beside_it_and_no_sheet_is_made(qtbot: QtBot, form: SelectionForm) -> None:
    fill_valid(form)
    _type_date(qtbot, form.date_of_birth, "2Apr56")
    assert form.date_of_birth.text() == "2Apr56"  # what was typed stays
    assert "four digits" in form._error_labels["date-of-birth"].text()
    assert form.state().selection is None  # Save and Print wait (test_window_without_worker.py)
    assert QApplication.focusWidget() is form.mrn  # Tab moved on even so


def test_tab_and_shift_tab_always_leave_a_date_field(qtbot: QtBot, form: SelectionForm) -> None:
    form.date_of_birth.edit.setFocus()
    qtbot.keyClick(form.date_of_birth.edit, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.mrn
    form.date_of_birth.edit.setFocus()
    qtbot.keyClick(form.date_of_birth.edit, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is form.patient_name
    assert form.date_of_birth.text() == ""
    fill_valid(form)
    assert form.state().selection.patient.date_of_birth is None  # empty is allowed


def test_future_birth_dates_and_births_after_the_procedure_are_refused(qtbot: QtBot, form: SelectionForm) -> None:
    fill_valid(form)
    next_year = dt.date.today().year + 1
    _type_date(qtbot, form.date_of_birth, f"1 Jan {next_year}")
    assert form._error_labels["date-of-birth"].text() == f"1 Jan {next_year} is in the future."
    form.procedure_date.setDate(dt.date(2020, 5, 1))
    _type_date(qtbot, form.date_of_birth, "2 Jun 2020")
    assert form._error_labels["date-of-birth"].text() == "2 Jun 2020 is after the procedure date."
    assert form.state().selection is None
    form.procedure_date.clear()
    assert "Type the procedure date" in form._error_labels["procedure-date"].text()


def test_dates_out_of_range_are_refused_as_the_command_line_refuses_them(qtbot: QtBot, form: SelectionForm) -> None:
    # The rules are patient_input's; the window names the date as it shows it.
    fill_valid(form)
    _type_date(qtbot, form.date_of_birth, "31 Dec 1899")
    assert form._error_labels["date-of-birth"].text() == "31 Dec 1899 is before 1900."
    _type_date(qtbot, form.procedure_date, "2 Sep 1999")
    assert form._error_labels["procedure-date"].text() == "2 Sep 1999 is not between 2000 and 2100."
    _type_date(qtbot, form.date_of_birth, "2 Oct 1999")  # after that procedure date
    assert form._error_labels["date-of-birth"].text() == ""  # one mistake, one message: the procedure date's
    assert form.state().selection is None


def test_the_birth_calendar_opens_near_1960_and_ignores_other_months_days(qtbot: QtBot, form: SelectionForm) -> None:
    field = form.date_of_birth
    field._prepare_calendar()
    calendar = field.calendar
    assert (calendar.yearShown(), calendar.monthShown()) == (1960, 1)
    calendar.setCurrentPage(1956, 4)
    view = calendar.findChild(QWidget, "qt_calendar_calendarview").viewport()
    press = QMouseEvent(
        QEvent.Type.MouseButtonPress,
        QPointF(5, 5),
        QPointF(5, 5),
        Qt.MouseButton.LeftButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    calendar.eventFilter(view, press)
    calendar.clicked.emit(QDate(1956, 5, 1))  # a blank cell that belongs to May
    assert field.text() == "" and (calendar.yearShown(), calendar.monthShown()) == (1956, 4)
    calendar.clicked.emit(QDate(1956, 4, 26))
    assert field.text() == "26 Apr 1956"


def test_no_control_moves_when_a_message_appears_or_goes(qtbot: QtBot, form: SelectionForm) -> None:
    controls = [
        form.target,
        form.guidance,
        form.intent,
        form.paper,
        form.patient_name,
        form.date_of_birth,
        form.mrn,
        form.procedure_date,
        form.clinician,
        *form.factor_checks.values(),
        form.other_allergies,
        *form.side_buttons.values(),
    ]

    def positions() -> list[int]:
        QApplication.processEvents()
        return [control.mapTo(form, control.rect().topLeft()).y() for control in controls]

    empty = positions()  # messages: medication, side, name
    fill_valid(form)  # every message goes
    assert positions() == empty
    form.date_of_birth.setText("nonsense")  # a two-line message appears
    assert positions() == empty
    form.side_buttons[Side.LEFT].setChecked(True)
    assert positions() == empty


def test_the_calendar_by_keyboard_crosses_months_and_enter_picks(qtbot: QtBot, form: SelectionForm) -> None:
    field = form.date_of_birth
    field.setText("30 Apr 1956")
    field._prepare_calendar()
    calendar = field.calendar
    view = calendar.findChild(QWidget, "qt_calendar_calendarview")
    calendar.show()
    qtbot.keyClick(view, Qt.Key.Key_Right)  # 1 May: the page turns on purpose
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert field.text() == "1 May 1956"


def test_alt_and_a_sides_letter_selects_it_and_arrows_move_along_the_sides(qtbot: QtBot, form: SelectionForm) -> None:
    form.patient_name.setFocus()
    for letter, side in ((Qt.Key.Key_R, Side.RIGHT), (Qt.Key.Key_L, Side.LEFT), (Qt.Key.Key_B, Side.BILATERAL)):
        qtbot.keyClick(QApplication.focusWidget(), letter, Qt.KeyboardModifier.AltModifier)
        qtbot.waitUntil(lambda side=side: form.chosen_side() is side, timeout=10_000)
    qtbot.keyClick(form.side_buttons[Side.BILATERAL], Qt.Key.Key_Left)
    assert form.chosen_side() is Side.RIGHT
    qtbot.keyClick(form.side_buttons[Side.RIGHT], Qt.Key.Key_Left)
    assert form.chosen_side() is Side.LEFT
