"""History > History and reprints...: the record store's sheets, the audit export and a reprint, as a nurse uses them.

One sheet is rendered for the whole module (about a second); each test records it in its own store
(tests/conftest.py gives every test its own data folder, so its own default SQLite store).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLabel, QWidget
from pytestqt.qtbot import QtBot

from handout_app.document_numbers import new_number
from handout_app.domain import Guidance, Medication, PatientDetails, Selection, Side, Target, selection_to_dict
from handout_app.formats import format_date
from handout_app.gui import dialogs
from handout_app.gui.history_dialog import HistoryDialog, open_history
from handout_app.gui.launch import make_application
from handout_app.gui.reprint_details import CheckedDetails, ReprintDetails, ReprintDetailsDialog
from handout_app.records import recorder as recorder_module
from handout_app.records.entry import SheetRequest
from handout_app.records.listing import as_csv
from handout_app.records.recorder import Recorder, now_for_sheet, recorder_for, store_choice
from handout_app.records_cli import utc_bounds

PATIENT = "Ann Test"
AWAY_STORE = "postgresql+psycopg://nobody:secret@127.0.0.1:1/none"  # nothing listens on port 1


@pytest.fixture(scope="module")
def sheet() -> tuple[SheetRequest, dict[str, str], bytes]:
    """One real sheet (request, wording, PDF), rendered in-process once for the module."""
    from handout_app.worker import handle

    selection = Selection(
        target=Target("joint"),
        medications=frozenset({Medication("corticosteroid")}),
        guidance=Guidance("ultrasound"),
        side=Side("left"),
        patient=PatientDetails(name=PATIENT),
    )
    request = SheetRequest(selection_to_dict(selection), None, now_for_sheet(), new_number())
    reply, pdf = handle(json.loads(request.payload("history-test")))
    assert reply["ok"], reply
    return request, reply["wording"], pdf


@pytest.fixture
def recorder(qtbot: QtBot) -> Recorder:
    """This test's own default store (its data folder is private to the test)."""
    make_application()  # QSettings names, as in the app
    return recorder_for(store_choice(None))


class SaveAnswers:
    """Stands in for Qt's Save dialog: answers with `answers` in turn (Cancel when none are left) and
    keeps each question's (title, suggested path) in `asked`."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.answers: list[Path] = []

    def __call__(self, parent: QWidget, title: str, suggested: str, file_filter: str, **_: Any) -> tuple[str, str]:
        self.asked.append((title, suggested))
        return (str(self.answers.pop(0)) if self.answers else "", file_filter)


@pytest.fixture
def save_as(monkeypatch: pytest.MonkeyPatch) -> SaveAnswers:
    """Qt's Save dialog, answered by the test."""
    answers = SaveAnswers()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answers)
    return answers


def _record(
    recorder: Recorder,
    sheet: tuple[SheetRequest, dict[str, str], bytes],
    kind: str = "saved",
    printer: str | None = None,
) -> None:
    request, wording, pdf = sheet
    outcome = recorder.record(request, wording, pdf, kind, printer)
    assert outcome.stored, outcome.warning


def _open(qtbot: QtBot, recorder: Recorder) -> HistoryDialog:
    dialog = HistoryDialog(recorder)
    qtbot.addWidget(dialog)
    return dialog


def _cells(dialog: HistoryDialog) -> list[list[str]]:
    table = dialog.table
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_the_table_lists_recorded_sheets_oldest_first_and_the_days_filter_them(
    qtbot: QtBot, recorder: Recorder, sheet: tuple, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    # 45 days: a day's margin on each side of the days used below, whatever the time zone or a summer-time change.
    long_ago = recorder_module.utc_now() - dt.timedelta(days=45)
    monkeypatch.setattr(recorder_module, "utc_now", lambda: long_ago)
    _record(recorder, sheet, "printed", "Front desk")  # outside the 30 days shown first
    monkeypatch.undo()
    _record(recorder, sheet)
    number = sheet[0].document_number

    dialog = _open(qtbot, recorder)
    assert dialog.windowTitle() == "Handout history"
    assert [dialog.table.horizontalHeaderItem(i).text() for i in range(dialog.table.columnCount())] == [
        "Time",
        "Document",
        "Side",
        "Language",
        "Editions",
        "Output",
        "Procedure",
    ]
    assert recorder.name in dialog.store_label.text()
    [row] = _cells(dialog)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", row[0])
    assert row[1:6] == [number, "LEFT", "en", "standard", "saved"]
    assert row[6].startswith("LEFT hip joint injection")
    assert dialog.count.text().startswith("1 sheet,")
    assert not dialog.problem.isVisible() and dialog.waiting.isHidden()

    # Enter in a date field lists the typed days (the Show button is the default).
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.since.setDate(dt.date.today() - dt.timedelta(days=50))
    dialog.since.edit.setFocus()
    qtbot.keyClick(dialog.since.edit, Qt.Key.Key_Return)
    rows = _cells(dialog)
    assert [r[5] for r in rows] == ["printed on Front desk", "saved"]  # oldest first
    assert rows[0][0] < rows[1][0] and dialog.count.text().startswith("2 sheets,")

    # Days that hold no sheet; and days in the wrong order are refused without losing the list.
    dialog.since.setDate(dt.date.today() - dt.timedelta(days=40))
    dialog.until.setDate(dt.date.today() - dt.timedelta(days=1))
    dialog.show_button.click()
    assert _cells(dialog) == [] and dialog.count.text().startswith("0 sheets,")
    dialog.since.setDate(dt.date.today())
    dialog.show_button.click()
    assert "after To" in dialog.problem.text() and dialog.problem.isVisible()
    assert not dialog.export_button.isEnabled()  # the fields no longer say what the table lists
    assert dialog_log == []


def test_export_csv_writes_what_records_list_writes_and_asks_before_replacing(
    qtbot: QtBot,
    recorder: Recorder,
    sheet: tuple,
    tmp_path: Path,
    save_as: SaveAnswers,
    monkeypatch: pytest.MonkeyPatch,
    dialog_log: list,
) -> None:
    _record(recorder, sheet)
    dialog = _open(qtbot, recorder)
    since, until = dt.date.today() - dt.timedelta(days=30), dt.date.today()
    expected = as_csv(recorder.store().deliveries(*utc_bounds(since, until)))
    assert expected.startswith("number,time,procedure,side,") and sheet[0].document_number in expected

    save_as.answers.append(tmp_path / "audit")
    dialog.export_csv()
    written = tmp_path / "audit.csv"  # the suffix is added
    assert written.read_text(encoding="utf-8-sig") == expected
    assert save_as.asked[0][1].endswith(f"handout-history_{since.isoformat()}_{until.isoformat()}.csv")
    assert dialog_log[-1][0] == "History exported"

    # The same name again: asked first; "No" asks for another name, "Yes" replaces.
    written.write_text("old")
    answers = [False, True]
    asked: list[Path] = []
    monkeypatch.setattr(dialogs, "confirm_replace", lambda parent, path: asked.append(path) or answers.pop(0))
    save_as.answers.extend([written, written])
    dialog.export_csv()
    assert asked == [written, written] and written.read_text(encoding="utf-8-sig") == expected
    assert save_as.asked[-1][1].endswith("audit-2.csv")  # after "No", a free name is suggested

    # Typed days not yet shown: Export waits for Show, so the file always matches the table.
    dialog.since.setDate(since - dt.timedelta(days=1))
    assert not dialog.export_button.isEnabled()
    dialog.show_button.click()
    assert dialog.export_button.isEnabled()


def test_reprint_refuses_a_wrong_name_keeps_what_was_typed_then_saves_the_identical_sheet(
    qtbot: QtBot,
    recorder: Recorder,
    sheet: tuple,
    tmp_path: Path,
    save_as: SaveAnswers,
    monkeypatch: pytest.MonkeyPatch,
    dialog_log: list,
) -> None:
    _record(recorder, sheet)
    number, pdf = sheet[0].document_number, sheet[2]
    dialog = _open(qtbot, recorder)
    assert not dialog.reprint_button.isEnabled()  # nothing selected yet
    dialog.table.selectRow(0)
    assert dialog.reprint_button.isEnabled()

    seen: list[ReprintDetails] = []
    typing = iter([("Ann Tset", "", ""), (PATIENT, "", "")])  # a slip first, then as on the sheet

    def fill(details: ReprintDetailsDialog) -> bool:
        assert isinstance(details, ReprintDetailsDialog) and number in details.windowTitle()
        seen.append(details.typed())
        name, birth, mrn = next(typing)
        details.name.setText(name)
        details.date_of_birth.setText(birth)
        details.record_number.setText(mrn)
        details.accept()
        return details.result() == ReprintDetailsDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs, "run_dialog", fill)
    target = tmp_path / "again.pdf"
    save_as.answers.extend([target, target])
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.table.setFocus()
    qtbot.keyClick(dialog.table, Qt.Key.Key_Return)  # Enter on the chosen sheet, as Reprint... does

    # The slip: said plainly, nothing written, and the details opened again as they were typed.
    assert dialog_log[0][0] == "Could not reprint" and "not identical" in dialog_log[0][1]
    assert "Traceback" not in dialog_log[0][1]
    assert seen == [ReprintDetails(), ReprintDetails("Ann Tset", "", "")]
    # Then the identical sheet, under a name without the patient's.
    assert target.read_bytes() == pdf
    assert save_as.asked[0][1].endswith(f"reprint_{number}.pdf") and "Ann" not in save_as.asked[0][1]
    assert dialog_log[-1][0] == "Reprint saved" and number in dialog_log[-1][1]
    assert [row[5] for row in _cells(dialog)] == ["saved", "reprinted"]  # recorded, and listed at once
    assert list(tmp_path.iterdir()) == [target]


def test_the_details_dialog_needs_a_name_and_a_real_birth_date(qtbot: QtBot, recorder: Recorder) -> None:
    details = ReprintDetailsDialog("K7M-XH3-QTR", ReprintDetails(record_number="MRN 1"))
    qtbot.addWidget(details)
    assert details.record_number.text() == "MRN 1"
    details.accept()
    assert (
        details.result() != ReprintDetailsDialog.DialogCode.Accepted
        and "Type the patient's name" in details.problem.text()
    )
    details.name.setText("  Ann   Test ")
    details.date_of_birth.setText("31 Feb 1950")
    details.accept()
    assert details.checked is None and details.problem.text().startswith("Date of birth:")
    details.date_of_birth.setText("2 Apr 1956")
    details.accept()
    # Cleaned as the form cleans the name, so the same typing makes the same sheet.
    assert details.checked == CheckedDetails("Ann Test", "1956-04-02", "MRN 1")


def test_a_store_that_does_not_answer_is_said_plainly_and_queued_sheets_are_counted(
    qtbot: QtBot, sheet: tuple, save_as: SaveAnswers, dialog_log: list
) -> None:
    make_application()
    away = recorder_for(store_choice(SimpleNamespace(record_store=AWAY_STORE, record_patient_id=False)))
    request, wording, pdf = sheet
    assert not away.record(request, wording, pdf, "saved").stored  # kept in this computer's queue
    dialog = _open(qtbot, away)
    assert "secret" not in dialog.store_label.text() and "127.0.0.1:1" in dialog.store_label.text()
    assert dialog.problem.text().startswith("The record store could not be read:")
    assert "secret" not in dialog.problem.text() and "Traceback" not in dialog.problem.text()
    assert dialog.waiting.text() == "1 sheet made on this computer waits to be sent to the record store."
    assert dialog.table.rowCount() == 0
    assert not dialog.export_button.isEnabled() and not dialog.reprint_button.isEnabled()
    assert dialog.show_button.isEnabled() and dialog.close_button.isEnabled()
    dialog.show_button.click()  # trying again is harmless
    assert dialog.problem.text().startswith("The record store could not be read:") and dialog_log == []


def test_sheets_kept_on_this_computer_are_sent_before_the_list_is_read(
    qtbot: QtBot, recorder: Recorder, sheet: tuple, monkeypatch: pytest.MonkeyPatch
) -> None:
    from handout_app.records.store import StoreUnavailable, open_store

    def away(url: str):  # type: ignore[no-untyped-def]
        if url == recorder.url:
            raise StoreUnavailable("the store is away for this test")
        return open_store(url)  # the queue on this computer still works

    monkeypatch.setattr(recorder_module, "RETRY_AFTER_S", 0.0)  # try the store again at once
    with monkeypatch.context() as patched:
        patched.setattr(recorder_module, "open_store", away)
        request, wording, pdf = sheet
        assert not recorder.record(request, wording, pdf, "saved").stored
        assert recorder.waiting_count() == 1
    dialog = _open(qtbot, recorder)
    assert [row[1] for row in _cells(dialog)] == [request.document_number]
    assert recorder.waiting_count() == 0 and dialog.waiting.isHidden() and dialog.problem.isHidden()


def _mnemonics(root: QWidget) -> list[str]:
    """The Alt+letter of every label with a buddy and every button under `root` (as test_main_window)."""
    texts = [w.text() for w in root.findChildren(QLabel) if w.buddy() is not None]
    texts += [w.text() for w in root.findChildren(QAbstractButton)]
    return [m.group(1).lower() for text in texts for m in [re.search(r"(?<!&)&([^&\s])", text)] if m]


def _tab_chain(start: QWidget) -> list[str]:
    names, widget = [], start
    for _ in range(30):
        names.append(widget.objectName())
        widget = widget.nextInFocusChain()
        while not (widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus):
            widget = widget.nextInFocusChain()
        if widget is start:
            break
    return names


def test_keyboard_letters_are_unique_every_control_is_named_and_tab_reaches_it(
    qtbot: QtBot, recorder: Recorder
) -> None:
    dialog = _open(qtbot, recorder)
    letters = _mnemonics(dialog)
    assert set(letters) >= {"f", "t", "s", "h", "e", "r", "c"} and len(letters) == len(set(letters)), letters
    details = ReprintDetailsDialog("K7M-XH3-QTR", ReprintDetails())
    qtbot.addWidget(details)
    letters = _mnemonics(details)
    assert set(letters) >= {"n", "b", "r", "s"} and len(letters) == len(set(letters)), letters
    for widget in (
        dialog.since.edit,
        dialog.until.edit,
        dialog.table,
        details.name,
        details.date_of_birth.edit,
        details.record_number,
    ):
        assert widget.accessibleName(), widget.objectName()
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.export_button.setEnabled(True)
    dialog.reprint_button.setEnabled(True)
    chain = _tab_chain(dialog.since.edit)
    assert chain[:7] == [
        "history-from",
        "history-to",
        "history-show",
        "history-rows",
        "history-export",
        "history-reprint",
        "history-close",
    ], chain


def test_open_history_runs_the_dialog_modally(
    qtbot: QtBot, recorder: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[HistoryDialog] = []

    def run(dialog: HistoryDialog) -> bool:
        shown.append(dialog)
        assert dialog.since.text() == format_date(dt.date.today() - dt.timedelta(days=30))
        assert dialog.until.text() == format_date(dt.date.today())
        return False

    parent = QWidget()
    qtbot.addWidget(parent)
    monkeypatch.setattr(dialogs, "run_dialog", run)
    open_history(parent, recorder)
    assert len(shown) == 1 and shown[0].parent() is parent and shown[0].count.text().startswith("0 sheets")
