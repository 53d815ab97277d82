"""When a preview is made, and which sheet is on screen: the window's render bookkeeping, without widgets.

The controller sends the form's selection to the render worker (render_client.py), keeps only the
newest request's reply, remembers which sheet is on screen and what it was made from, and tells
whether that sheet still matches the form. For Save and Print it hands out the sheet on screen or,
when that is stale, a sheet made again. What to show is the window's business: it listens to the
signals below.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from PySide6.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication

from ..document_numbers import new_number
from ..domain import Guidance, Medication, PatientDetails, Selection, Side, Target, selection_to_dict
from ..records.entry import SheetRequest
from .render_client import RenderClient, RenderResult


class Sheet(NamedTuple):
    """A sheet handed out: its PDF, the request that made it, the wording set the worker used and its
    pages as the worker counted them (the record store then need not read the PDF again)."""

    pdf: bytes
    request: SheetRequest
    wording: dict[str, str]
    pages: int = 0


# No fixed pause before rendering: a change is sent on the next turn of the event loop, so the
# several signals of one change make one request. A click shows its preview a render later, not a
# pause plus a render; while typing, the newest request replaces any that has not started
# (render_client.py), and measured typing is no slower than with the old 300 ms pause (make bench).
PREVIEW_DELAY_MS = 0
# The sheet prints the time it was made; a preview older than this is made again for Save and Print,
# so the time on paper is when it was handed out, not when the form was last touched.
FRESH_PREVIEW_S = 60
# How long Save and Print wait for a sheet made again before giving up.
REMAKE_WAIT_MS = 60_000
# What an idle worker makes, and drops, to warm up while the nurse fills in the form (render_client.warm_up):
# an ordinary sheet with a made-up name, in the clinic's wording, never shown, saved, numbered or recorded.
WARM_UP_SHEET = selection_to_dict(
    Selection(
        target=Target.JOINT,
        medications=frozenset({Medication.CORTICOSTEROID}),
        guidance=Guidance.ULTRASOUND,
        side=Side.RIGHT,
        patient=PatientDetails(name="Warm Up"),
    )
)


class SheetNotMade(Exception):
    """The worker could not make the sheet for Save or Print; the message says why, plainly."""


class PreviewController(QObject):
    """Asks the worker for the form's sheet and tracks the newest request and the sheet on screen."""

    rendered = Signal(object)  # the RenderResult of the newest request: show it
    render_failed = Signal(str)  # a plain message: show no sheet, show this instead
    set_failed = Signal(str)  # the clinic's template set is broken (file, line): show no sheet
    sheet_replaced = Signal(bytes)  # Save or Print made the sheet again: show these bytes instead
    status = Signal(str)  # a line for the status bar

    def __init__(self, client: RenderClient, clinic_folder: Path | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        # What every sheet is made from besides the form (set by clinic_commands.py).
        self.clinic_folder = clinic_folder
        self.builtin_only = False  # the user's explicit choice after a clinic set error
        self.clinic_overrides: dict[str, Any] = {}  # clinic settings being edited, not saved yet
        self.wanted: dict[str, Any] | None = None  # the form's complete selection, or None
        self.requested: dict[str, Any] | None = None  # the selection of the newest request sent
        self.shown: dict[str, Any] | None = None  # the selection of the sheet on screen
        self.handed_out: dict[str, Any] | None = None  # the selection last saved or printed
        # The selection whose sheet last failed: a worker started afresh after that failure does not make it
        # again by itself (a sheet that hangs or ends its worker would do so with every new worker); the
        # message asks for a change, and any change, or a reload, asks again.
        self.failed_selection: dict[str, Any] | None = None
        self.awaiting_reply = False
        self.shown_at = 0.0  # time.monotonic() when the sheet on screen was made
        self._current_request: str | None = None
        # What each render request asked for (document number included), so the sheet handed out is
        # recorded exactly as it was made; and the sheet on screen with its request and wording set.
        self._sheet_requests: dict[str, SheetRequest] = {}
        self._shown_sheet: Sheet | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.request_preview)
        client.ready.connect(self._on_worker_ready)
        client.finished.connect(self._on_rendered)
        client.failed.connect(self._on_render_failed)
        client.set_failed.connect(self._on_set_failed)

    # -- the form --------------------------------------------------------------------------
    def want(self, selection: dict[str, Any] | None) -> None:
        """The form now asks for `selection` (None: incomplete, so no sheet may be shown)."""
        self.wanted = selection
        if selection is None:
            self._timer.stop()
            self.shown = None
        else:
            self._timer.start()

    def is_current(self) -> bool:
        """True when the sheet on screen is the one the form asks for."""
        return self.shown is not None and self.shown == self.wanted

    @property
    def settled(self) -> bool:
        """True when no change waits to be sent and the worker owes no reply: what is on screen stays
        until the form or the clinic changes again."""
        return not self._timer.isActive() and not self.client.has_requests_out

    def has_unsent_sheet(self) -> bool:
        """True when the form holds a complete sheet that was neither saved nor printed."""
        return self.wanted is not None and self.wanted != self.handed_out

    # -- requests ---------------------------------------------------------------------------
    def request_preview(self, force: bool = False) -> None:
        """Ask the worker for the current selection's PDF (newest request wins).

        A selection that is already on screen, or already being rendered, is not sent again
        (unless `force`): a second identical request would make the first reply stale and
        double the wait.
        """
        if self.wanted is None:
            return
        if not force and self.wanted == self.requested and (self.awaiting_reply or self.shown == self.wanted):
            return
        self.awaiting_reply = True
        self._current_request = self._send(self.wanted)
        self.requested = self.wanted
        self.status.emit("Updating the preview...")

    def remake(self, status: str) -> None:
        """The wording or clinic changed: the sheet on screen is outdated; make it again, if any."""
        self.forget_shown()
        self.status.emit(status)
        if self.wanted is not None:
            self.request_preview(force=True)

    def preview_clinic_values(self, values: dict[str, Any]) -> None:
        """Clinic settings being edited: make the sheet with them at once (they are not saved yet)."""
        self.clinic_overrides = values
        self._timer.stop()
        if self.wanted is not None:
            self.request_preview(force=True)

    def forget_shown(self) -> None:
        """The sheet on screen no longer counts, and the next request is sent even if it repeats the last."""
        self.shown = None
        self.requested = None

    @property
    def _clinic(self) -> str | None:
        """The clinic folder every sheet is made with, as the worker is told it (None: built-in wording)."""
        return str(self.clinic_folder) if self.clinic_folder else None

    def _send(self, selection: dict[str, Any]) -> str:
        """Ask the worker for `selection` made now, with a fresh document number; returns the request id.

        Every preview carries its own number, so the bytes on screen are the bytes saved or printed.
        """
        sheet = SheetRequest(
            selection,
            self._clinic,
            dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
            new_number(),
            self.builtin_only,
            dict(self.clinic_overrides),
        )
        request_id = self.client.request(
            sheet.selection,
            sheet.clinic,
            sheet.generated_at,
            builtin_only=sheet.builtin_only,
            clinic_overrides=sheet.clinic_overrides,
            document_number=sheet.document_number,
        )
        self._sheet_requests = {**{k: v for k, v in list(self._sheet_requests.items())[-8:]}, request_id: sheet}
        return request_id

    # -- replies ----------------------------------------------------------------------------
    def _on_worker_ready(self) -> None:
        self.status.emit("Ready.")
        if self.wanted is not None:
            if self.wanted != self.failed_selection:
                self.request_preview()
        else:  # the form is not complete yet: the worker makes its slow first sheet while the nurse types
            made_at = dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
            self.client.warm_up(WARM_UP_SHEET, made_at, self._clinic, self.builtin_only)

    def _on_rendered(self, result: RenderResult) -> None:
        if result.request_id != self._current_request:
            return  # an older request; a newer one is on its way
        self.awaiting_reply = False
        if self.wanted is None:
            return  # the form became incomplete meanwhile (e.g. New patient): show no sheet at all
        self._shown_sheet = Sheet(
            result.pdf, self._sheet_requests[result.request_id], dict(result.wording), result.pages
        )
        self.shown_at = time.monotonic()
        self.shown = self.requested
        self.rendered.emit(result)

    def _on_set_failed(self, request_id: str, message: str) -> None:
        self.awaiting_reply = False
        self.forget_shown()
        self.set_failed.emit(message)

    def _on_render_failed(self, request_id: str, message: str) -> None:
        self.awaiting_reply = False
        self.failed_selection = self.requested
        self.forget_shown()  # the next change, or the same one again, renders anew
        self.render_failed.emit(message)

    # -- Save and Print ---------------------------------------------------------------------
    def sheet_to_hand_out(self, archival: bool, archival_on_screen: bool, claim: Callable[[str], bool]) -> Sheet:
        """The PDF to save or print, with the request and wording it was made from: the sheet on screen,
        or made again when the archival choice differs, the sheet is older than FRESH_PREVIEW_S (the
        sheet then says when it was really handed out), a file of the clinic's set changed since it was
        made, or `claim` (the record store) finds its document number taken by another workstation.
        Raises SheetNotMade when the worker cannot make it."""
        fresh = time.monotonic() - self.shown_at < FRESH_PREVIEW_S
        if fresh and archival == archival_on_screen and self._shown_sheet is not None:
            sheet = self._shown_sheet
        else:
            sheet = self._render_now(archival)
        from ..records.recorder import wording_unchanged  # the store's code loads on the first Save, not at start

        for _ in range(3):
            # Made again when another workstation claimed the number first, or when a file of the clinic's
            # set changed since the preview (the record archives the set as it is now).
            if wording_unchanged(sheet.request, sheet.wording) and claim(sheet.request.document_number):
                break
            sheet = self._render_now(archival)
        if self._shown_sheet is None or sheet.pdf != self._shown_sheet.pdf:
            # The sheet handed out is the sheet on screen: a second Save or Print a moment later reuses it.
            self._shown_sheet, self.shown_at = sheet, time.monotonic()
            self.sheet_replaced.emit(sheet.pdf)
        return sheet

    def _render_now(self, archival: bool) -> Sheet:
        """The previewed handout made again now (as or not as archival PDF/A), waiting for the worker."""
        assert self.wanted is not None
        selection = {**self.wanted, "archival": archival}
        self.status.emit("Making the archival PDF..." if archival else "Making the PDF...")
        made: list[RenderResult] = []  # the sheet, once it comes
        errors: list[str] = []
        loop = QEventLoop()
        request_id = self._send(selection)

        def finished(rendered: RenderResult) -> None:
            if rendered.request_id == request_id:
                made.append(rendered)
                loop.quit()

        def failed(failed_id: str, message: str) -> None:
            if failed_id == request_id:
                errors.append(message)
                loop.quit()

        self.client.finished.connect(finished)
        self.client.failed.connect(failed)
        self.client.set_failed.connect(failed)
        QTimer.singleShot(REMAKE_WAIT_MS, loop.quit)
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            loop.exec()
        finally:
            QGuiApplication.restoreOverrideCursor()
            self.client.finished.disconnect(finished)
            self.client.failed.disconnect(failed)
            self.client.set_failed.disconnect(failed)
        if not made:
            raise SheetNotMade(errors[-1] if errors else "The PDF took too long to make.")
        rendered = made[-1]
        return Sheet(rendered.pdf, self._sheet_requests[request_id], dict(rendered.wording), rendered.pages)
