"""Records every sheet that is saved or printed; never stops a sheet from being handed out.

The store is the clinic's (clinic.toml `record_store`) or, by default, a SQLite file in this user's
data folder (platformdirs; XDG_DATA_HOME is respected). When the store cannot be reached, the entry
goes into a local queue (a SQLite file of the same schema, one per store) and the caller shows a
plain warning; the queue is sent the next time the store answers. Nothing here ever raises into
the caller's save or print.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import hashlib
import io
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..document_numbers import new_number
from ..resources import APP_NAME
from . import archive
from .entry import SheetRequest, document_row, os_user, workstation
from .store import (
    Delivery,
    EntryRefused,
    NumberTaken,
    RecordStore,
    StoreUnavailable,
    open_store,
    shown_url,
    sqlite_url,
    utc_now,
)

RETRY_AFTER_S = 30.0  # after a failed connection, entries go straight to the queue for this long


def data_folder() -> Path:
    """This user's data folder for the application (made when a store in it is opened)."""
    import platformdirs

    return platformdirs.user_data_path(APP_NAME, appauthor=False)


def default_store_url() -> str:
    """The SQLite store used when clinic.toml names none."""
    return sqlite_url(data_folder() / "records.sqlite3")


def queue_path(store_url: str) -> Path:
    """The local queue file for entries waiting for the store at `store_url`."""
    key = hashlib.sha256(store_url.encode()).hexdigest()[:12]
    return data_folder() / f"record-queue-{key}.sqlite3"


def open_local(path: Path) -> RecordStore:
    """Open (making its folder first) a SQLite store in this user's data folder; StoreUnavailable if it cannot be."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise StoreUnavailable(f"the folder {path.parent} could not be made ({exc.strerror or exc})") from None
    return open_store(sqlite_url(path))


@dataclass(frozen=True)
class StoreChoice:
    """Where records go, from clinic.toml: the store's address and whether to keep the record number."""

    url: str = ""  # empty: the default SQLite store
    record_patient_id: bool = False

    @property
    def resolved_url(self) -> str:
        """The address in use."""
        return self.url or default_store_url()


def store_choice(clinic: object | None) -> StoreChoice:
    """The store choice of a clinic profile (clinic.ClinicProfile), or the default without one."""
    return StoreChoice(getattr(clinic, "record_store", "") or "", bool(getattr(clinic, "record_patient_id", False)))


@dataclass(frozen=True)
class RecordOutcome:
    """What happened to one entry: stored, or kept in the queue with a warning for the user."""

    number: str
    stored: bool
    warning: str = ""


def wording_unchanged(request: SheetRequest, wording: dict[str, str]) -> bool:
    """Whether the clinic folder still holds the set a sheet was made from (its footer hash), so what is
    archived now is what made it. The window makes the sheet again when not (another file was saved
    into the set after the preview)."""
    from ..template_set import content_hash

    folder = None if request.builtin_only or not request.clinic else Path(request.clinic)
    try:
        return content_hash(folder, wording["content_version"], wording.get("logo", "")) == wording["content_hash"]
    except (OSError, ValueError):
        return False


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF."""
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


class Recorder:
    """Writes entries to one store, or to its queue while it is away. Thread-safe."""

    def __init__(self, choice: StoreChoice) -> None:
        self.choice = choice
        self.url = choice.resolved_url
        self.name = shown_url(self.url)
        # The default store is a file in the data folder, which is made when it is first opened.
        self._local_path = None if choice.url else Path(self.url.removeprefix("sqlite:///"))
        self._store: RecordStore | None = None
        self._failed_at: float | None = None
        self._last_reason = ""
        self._lock = threading.RLock()
        self._claimed: set[str] = set()  # numbers this process claimed (a preview's number is claimed on Save)

    def _open(self, wait: bool = True) -> RecordStore:
        """The open store. With `wait`, a store that failed in the last RETRY_AFTER_S is not tried again
        (a nurse's Save must not wait for a dead server each time); the last reason is given instead."""
        with self._lock:
            if self._store is not None:
                return self._store
            if wait and self._failed_at is not None and time.monotonic() - self._failed_at < RETRY_AFTER_S:
                raise StoreUnavailable(self._last_reason or f"{self.name} did not answer a moment ago")
            try:
                self._store = open_local(self._local_path) if self._local_path else open_store(self.url)
            except StoreUnavailable as exc:
                self._failed_at, self._last_reason = time.monotonic(), str(exc)
                raise
            self._failed_at = None
            return self._store

    def store(self) -> RecordStore:
        """The open store, tried now whatever happened before (someone asked for it). Raises StoreUnavailable."""
        return self._open(wait=False)

    def close(self) -> None:
        """Close the store's connections; the next entry opens it again."""
        with self._lock:
            if self._store is not None:
                self._store.close()
            self._store = None

    def fresh_number(self) -> str:
        """A document number claimed in the store for a sheet about to be made. Without the store, a
        random one (drawn from 78 billion), claimed when its entry is sent from the queue."""
        while True:
            number = new_number()
            if number not in self._claimed and self.claim(number):
                return number

    def claim(self, number: str) -> bool:
        """Claim `number` for this computer's next sheet: True when it is ours (claimed now, or by us
        before), or the store is away; False when another sheet or workstation has it."""
        with self._lock:
            if number in self._claimed:
                return True
            try:
                claimed = self._open().claim(number, workstation())
            except StoreUnavailable:
                self._note_failure()
                return True
            if claimed:
                self._claimed.add(number)
            return claimed

    def _note_failure(self) -> None:
        with self._lock:
            self.close()
            self._failed_at = time.monotonic()

    def record(
        self,
        request: SheetRequest,
        wording: dict[str, str],
        pdf: bytes,
        kind: str,
        printer: str | None = None,
        clinic_folder: Path | None = None,
        pages: int = 0,
    ) -> RecordOutcome:
        """Record that the sheet made by `request` (bytes `pdf`, `pages` long as the worker counted them;
        0: count them here) was saved, printed or reprinted. Never raises: what could not be stored is said
        in the outcome's warning, and kept in the queue."""
        number = request.document_number
        folder = clinic_folder if clinic_folder is not None else (Path(request.clinic) if request.clinic else None)
        try:
            changed = not wording_unchanged(request, wording)
            snapshot = archive.snapshot(folder, wording.get("logo", ""))
            sha256 = hashlib.sha256(pdf).hexdigest()
            row = document_row(
                request, wording, sha256, pages or pdf_pages(pdf), snapshot.archive_hash, self.choice.record_patient_id
            )
        except (OSError, archive.ArchiveError, ValueError) as exc:
            return RecordOutcome(
                number,
                False,
                f"Document {number} was not recorded: its wording files could not be read ({exc}). "
                "Write the number down with the patient's record.",
            )
        delivery = Delivery(str(uuid.uuid4()), number, utc_now(), kind, printer, workstation(), os_user())
        manifest = [list(entry) for entry in snapshot.manifest]
        with contextlib.suppress(StoreUnavailable):  # the entry below meets the same problem and says so
            self.send_queued()
        try:
            self._open().add_sheet(row, delivery, manifest, snapshot.files, snapshot.archive_hash)
            if changed:
                return RecordOutcome(
                    number,
                    True,
                    f"Document {number} is recorded, but the clinic folder changed while it was "
                    "made, so a reprint may not match it.",
                )
            return RecordOutcome(number, True)
        except NumberTaken:
            problem = (
                f"Document number {number} is already used for another sheet in {self.name}. The entry is kept "
                "on this computer; tell the person who looks after the records."
            )
        except EntryRefused as exc:
            problem = (
                f"{exc}. The entry for document {number} is kept on this computer; tell the person who looks "
                "after the records."
            )
        except StoreUnavailable as exc:
            self._note_failure()
            problem = (
                f"The record store could not be reached ({exc}). The entry for document {number} is kept on this "
                "computer and will be sent when the store is back."
            )
        try:
            queue = open_local(queue_path(self.url))
            try:
                queue.add_sheet(row, delivery, manifest, snapshot.files, snapshot.archive_hash)
            finally:
                queue.close()
        except (StoreUnavailable, NumberTaken, EntryRefused) as exc:
            return RecordOutcome(
                number,
                False,
                f"Document {number} could not be recorded, not even on this computer ({exc}). "
                "Write the number down with the patient's record.",
            )
        return RecordOutcome(number, False, problem)

    def record_reprint(self, document: dict[str, Any]) -> RecordOutcome:
        """Record that a stored sheet was made again (its wording is archived already)."""
        number = document["number"]
        delivery = Delivery(str(uuid.uuid4()), number, utc_now(), "reprinted", None, workstation(), os_user())
        try:
            self._open().add_sheet(document, delivery, [], {}, document["archive_hash"])
        except (StoreUnavailable, NumberTaken, EntryRefused) as exc:
            return RecordOutcome(number, False, f"The reprint of document {number} was not recorded ({exc}).")
        return RecordOutcome(number, True)

    def send_queued(self, wait: bool = True) -> int:
        """Send every entry waiting in the queue; returns how many were sent. Entries the store refuses
        (a number taken, a value it cannot hold) stay in the queue and the others go on. Raises
        StoreUnavailable when the store (or the queue file) is away. `wait=False` tries the store now
        even if it failed a moment ago (someone asked for the list)."""
        path = queue_path(self.url)
        if not path.exists():
            return 0
        with self._lock:
            queue = open_local(path)
            try:
                waiting = queue.pending()
                if not waiting:
                    return 0
                store = self._open(wait)
                sent = 0
                for document, deliveries in waiting:
                    manifest, files = queue.wording(document["archive_hash"])
                    try:
                        for delivery in deliveries:
                            store.add_sheet(document, delivery, manifest, files, document["archive_hash"])
                    except (NumberTaken, EntryRefused):
                        continue  # kept in the queue; `records list` on this computer still counts it
                    queue.forget(document["number"])
                    sent += 1
                return sent
            finally:
                queue.close()

    def waiting(self) -> list[dict[str, Any]]:
        """The deliveries waiting in this computer's queue, as `RecordStore.deliveries` lists them
        (StoreUnavailable when the queue file itself cannot be read)."""
        path = queue_path(self.url)
        if not path.exists():
            return []
        queue = open_local(path)
        try:
            return queue.deliveries()
        finally:
            queue.close()

    def waiting_count(self) -> int:
        """How many sheets wait in this computer's queue for the store (StoreUnavailable when the queue
        file itself cannot be read)."""
        return len({row["number"] for row in self.waiting()})


_RECORDERS: dict[tuple[str, bool], Recorder] = {}
_RECORDERS_LOCK = threading.Lock()


def recorder_for(choice: StoreChoice) -> Recorder:
    """The process's one recorder for a store (its connection and queue state are kept)."""
    key = (choice.resolved_url, choice.record_patient_id)
    with _RECORDERS_LOCK:
        if key not in _RECORDERS:
            _RECORDERS[key] = Recorder(choice)
        return _RECORDERS[key]


@atexit.register
def _close_recorders() -> None:
    """Close every store as the program ends normally. The connections are kept open for the process's life;
    left open at exit, they left SQLite's records.sqlite3-wal and -shm files beside the store."""
    with _RECORDERS_LOCK:
        for recorder in _RECORDERS.values():
            recorder.close()


def now_for_sheet() -> str:
    """The time printed on a sheet made now: local time, to the second, with its offset."""
    return dt.datetime.now().astimezone().replace(microsecond=0).isoformat()
