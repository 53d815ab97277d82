"""A date typed as nurses type it, with a calendar button beside it.

A plain text field, not a QDateEdit: a QDateEdit dropped "2 Apr 1956" without a word, trapped Tab in an
empty field and opened its calendar at January 1900 (issue 11). The text is read by
`patient_input.parse_typed_date`, so what is accepted and what each refusal says is written once; the form
shows the refusal beside the field and keeps what was typed. A date is shown as `formats.format_date` prints
it on the sheet, '2 Apr 1956'.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from PySide6.QtCore import QDate, QEvent, QObject, QRect, Qt, Signal
from PySide6.QtGui import QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCalendarWidget,
    QHBoxLayout,
    QLineEdit,
    QMenu,
    QToolButton,
    QWidget,
    QWidgetAction,
)

from ..formats import format_date
from ..patient_input import InputError, parse_typed_date


class MonthCalendar(QCalendarWidget):
    """A calendar in which only the shown month's days are drawn and can be picked (a greyed day of
    the next month, clicked by mistake, gave 26 Mar for 26 Apr)."""

    picked = Signal(QDate)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setGridVisible(True)
        self._page_at_press = (0, 0)
        view = self.findChild(QAbstractItemView, "qt_calendar_calendarview")  # a QTableView
        if view is not None:
            view.installEventFilter(self)  # keys
            view.viewport().installEventFilter(self)  # mouse
        self.clicked.connect(self._on_clicked)
        self.activated.connect(self._on_clicked)

    def paintCell(self, painter: QPainter, rect: QRect, date: QDate) -> None:
        if date.month() != self.monthShown() or date.year() != self.yearShown():
            painter.fillRect(rect, self.palette().base())
            return
        super().paintCell(painter, rect, date)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.MouseButtonPress, QEvent.Type.MouseButtonDblClick):
            # The month on screen when the mouse went down: Qt turns the page before it reports the click.
            self._page_at_press = (self.yearShown(), self.monthShown())
        elif event.type() == QEvent.Type.KeyPress:
            self._page_at_press = (0, 0)  # arrows move across months on purpose; Enter picks what is shown
        return super().eventFilter(watched, event)

    def _on_clicked(self, date: QDate) -> None:
        year, month = self._page_at_press
        self._page_at_press = (0, 0)
        if year and (date.year(), date.month()) != (year, month):
            self.setCurrentPage(year, month)  # a blank cell of another month: stay, pick nothing
            return
        self.picked.emit(date)


class DateField(QWidget):
    """Text field plus calendar button. `value()` is the date or the reason the text is not one."""

    edited = Signal()

    def __init__(
        self,
        name: str,
        accessible: str,
        first: dt.date,
        last: dt.date | None,
        open_year: int | None,
        parent: QWidget | None = None,
    ) -> None:
        """`last` None means today; `open_year` is where an empty field's calendar opens (None: today)."""
        super().__init__(parent)
        self._first, self._last, self._open_year = first, last, open_year
        self._day_first = True
        self.edit = QLineEdit()
        self.edit.setObjectName(name)
        self.edit.setAccessibleName(accessible)
        self.edit.setMaxLength(40)
        self.edit.textChanged.connect(lambda _text: self.edited.emit())
        self.edit.editingFinished.connect(self._tidy)
        self.calendar = MonthCalendar()
        self.calendar.setObjectName(f"{name}-calendar")
        self.calendar.picked.connect(self._on_picked)
        self.button = QToolButton()
        self.button.setObjectName(f"{name}-calendar-button")
        self.button.setText("▾")
        self.button.setToolTip("Pick the date on a calendar (Alt+Down or F4 in the field)")
        # Tab goes from field to field, as on paper; the calendar opens from the field by keyboard.
        self.button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.edit.installEventFilter(self)
        self.button.setAccessibleName(f"{accessible}: calendar")
        self.menu = QMenu(self.button)
        holder = QWidgetAction(self.menu)
        holder.setDefaultWidget(self.calendar)
        self.menu.addAction(holder)
        self.menu.aboutToShow.connect(self._prepare_calendar)
        self.button.setMenu(self.menu)
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)
        self.setFocusProxy(self.edit)
        self._update_placeholder()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            key_event = cast(QKeyEvent, event)  # PySide hands a key press over as its QKeyEvent
            key, modifiers = key_event.key(), key_event.modifiers()
            if key == Qt.Key.Key_F4 or (key == Qt.Key.Key_Down and modifiers & Qt.KeyboardModifier.AltModifier):
                self.button.showMenu()
                return True
        return super().eventFilter(watched, event)

    def set_day_first(self, day_first: bool) -> None:
        """The clinic's order for numeric dates such as 02/04/1956."""
        if day_first == self._day_first:
            return  # unchanged: re-checking the form would replace the window's status message for nothing
        self._day_first = day_first
        self._update_placeholder()
        self.edited.emit()

    def _update_placeholder(self) -> None:
        self.edit.setPlaceholderText("e.g. 2 Apr 1956 or " + ("02/04/1956" if self._day_first else "04/02/1956"))

    def text(self) -> str:
        return self.edit.text()

    def setText(self, text: str) -> None:
        self.edit.setText(text)

    def clear(self) -> None:
        self.edit.clear()

    def setDate(self, value: QDate | dt.date | None) -> None:
        """Show a date in the unambiguous form; None empties the field."""
        if isinstance(value, QDate):
            value = dt.date(value.year(), value.month(), value.day())
        self.edit.setText(format_date(value) if value is not None else "")

    def value(self) -> tuple[dt.date | None, str]:
        """(the date or None when empty, "") or (None, what is wrong and how to type it)."""
        try:
            return parse_typed_date(self.edit.text(), self._day_first), ""
        except InputError as exc:
            return None, str(exc)[:1].upper() + str(exc)[1:] + "."

    def _tidy(self) -> None:
        """Once the nurse leaves a date she typed, show it as '2 Apr 1956', so she sees how it was read."""
        date, problem = self.value()
        if date is not None and not problem and self.edit.text() != format_date(date):
            self.edit.setText(format_date(date))

    def _prepare_calendar(self) -> None:
        today = dt.date.today()
        last = self._last or today
        self.calendar.setDateRange(
            QDate(self._first.year, self._first.month, self._first.day), QDate(last.year, last.month, last.day)
        )
        date, _problem = self.value()
        if date is not None and self._first <= date <= last:
            self.calendar.setSelectedDate(QDate(date.year, date.month, date.day))
            self.calendar.setCurrentPage(date.year, date.month)
        else:
            year = self._open_year or today.year
            self.calendar.setCurrentPage(year, 1 if self._open_year else today.month)

    def _on_picked(self, date: QDate) -> None:
        self.setDate(date)
        self.menu.close()
        self.edit.setFocus()
