"""Make the handouts of a checked day list: one PDF per patient, or one combined PDF for one print job.

Renders run in a pool of worker processes (one per core by default), each under the same time and
memory limits as the window's worker (limits.py). Every file is written whole or not at all
(write_atomically) and never over an existing one, so stopping half-way (Ctrl+C, or Cancel in the
window) leaves only complete handouts. With a recorder, every handout gets its own document number
and is recorded as it is saved (records/recorder.py); the CLI records printing the same way.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .day_list import Row
from .domain import Selection, selection_to_dict
from .naming import handout_file_name
from .output_files import OutputExists, free_name, write_atomically
from .records.entry import SheetRequest
from .worker_client import WorkerProcess, WorkerUnavailable

if TYPE_CHECKING:
    from .records.recorder import Recorder


@dataclass
class Made:
    """One patient's finished handout."""

    row: int
    selection: Selection
    pdf: bytes
    path: Path | None = None  # where it was saved (None inside a combined PDF)
    title: str = ""  # the print job's title: the file name without the patient's name
    request: SheetRequest | None = None  # what made it (for the record store)
    wording: dict[str, str] = field(default_factory=dict)  # the worker's note of the wording set used
    pages: int = 0  # the PDF's pages, as the worker counted them


@dataclass
class BatchOutcome:
    """What a run made, what failed (row, message) and whether it was stopped."""

    made: list[Made] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    cancelled: bool = False
    combined: Path | None = None
    record_warnings: list[str] = field(default_factory=list)  # entries kept in the queue, or not recorded


def record_all(
    recorder: Recorder | None, made: list[Made], kind: str, outcome: BatchOutcome, printer: str | None = None
) -> None:
    """Record that these handouts were saved or printed; problems become the outcome's warnings."""
    if recorder is None:
        return
    for handout in made:
        assert handout.request is not None
        result = recorder.record(handout.request, handout.wording, handout.pdf, kind, printer, pages=handout.pages)
        if not result.stored:
            outcome.record_warnings.append(result.warning)


class _WorkerPool:
    """One worker process per thread, started on first use and stopped at the end."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._all: list[WorkerProcess] = []
        self._lock = threading.Lock()

    def render(self, payload: bytes) -> tuple[dict[str, Any], bytes]:
        worker = getattr(self._local, "worker", None)
        if worker is None:
            worker = WorkerProcess()
            self._local.worker = worker
            with self._lock:
                self._all.append(worker)
        return worker.render(payload)

    def stop(self) -> None:
        with self._lock:
            for worker in self._all:
                worker.stop()


def default_workers() -> int:
    """One worker per core: a render keeps one core busy."""
    return max(1, os.cpu_count() or 1)


def make_handouts(
    rows: list[Row],
    clinic: Path | None,
    workers: int | None = None,
    generated_at: dt.datetime | None = None,
    on_done: Callable[[Made | None, int, str], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    recorder: Recorder | None = None,
) -> BatchOutcome:
    """Render every row that has a selection, in list order in the outcome; `on_done(made or None, row,
    error)` is called as each finishes (from the calling thread), `should_stop()` is asked between rows.
    With a `recorder`, each handout gets a document number no other sheet in its store has."""
    outcome = BatchOutcome()
    interrupted = threading.Event()  # Ctrl+C: the renders under way finish, the rest are not started

    def stopping() -> bool:
        return interrupted.is_set() or should_stop()

    jobs = [row for row in rows if row.selection is not None]
    when = (generated_at or dt.datetime.now().astimezone()).replace(microsecond=0).isoformat()
    pool = _WorkerPool()
    results: dict[int, Made] = {}
    try:
        with ThreadPoolExecutor(max_workers=workers or default_workers()) as executor:
            futures: list[tuple[Row, SheetRequest, Future[tuple[dict[str, Any], bytes]]]] = []
            for row in jobs:
                assert row.selection is not None
                request = SheetRequest(
                    selection_to_dict(row.selection),
                    str(clinic.resolve()) if clinic else None,
                    when,
                    recorder.fresh_number() if recorder else "",
                )
                futures.append(
                    (
                        row,
                        request,
                        executor.submit(_render_unless_stopped, pool, request.payload(f"row-{row.number}"), stopping),
                    )
                )
            for row, request, future in futures:
                try:
                    reply, data = future.result()
                except WorkerUnavailable as exc:
                    reply, data = {"ok": False, "error": str(exc)}, b""
                except KeyboardInterrupt:
                    interrupted.set()
                    outcome.cancelled = True
                    break
                if reply.get("stopped"):
                    outcome.cancelled = True
                    continue
                if reply.get("ok"):
                    assert row.selection is not None
                    results[row.number] = Made(
                        row.number,
                        row.selection,
                        data,
                        request=request,
                        wording=dict(reply.get("wording") or {}),
                        pages=int(reply.get("pages") or 0),
                    )
                    if on_done:
                        on_done(results[row.number], row.number, "")
                else:
                    message = str(reply.get("error", "the handout could not be made")).rstrip(".")
                    outcome.failed.append((row.number, message))
                    if on_done:
                        on_done(None, row.number, message)
                if stopping():
                    outcome.cancelled = True
    finally:
        pool.stop()
    outcome.made = [results[number] for number in sorted(results)]
    return outcome


def _render_unless_stopped(
    pool: _WorkerPool, payload: bytes, should_stop: Callable[[], bool]
) -> tuple[dict[str, Any], bytes]:
    if should_stop():
        return {"stopped": True}, b""
    return pool.render(payload)


def file_name(made: Made, target_labels: dict[str, str], patient_in_name: bool, when: dt.datetime) -> str:
    """The handout's file name: procedure, side, date, time, language and edition; the patient's name
    first only where the clinic allows it (clinic.toml patient_name_in_file_name)."""
    selection = made.selection
    return handout_file_name(selection, target_labels[selection.target.value], when, patient_in_name)


def save_each(made: Made, folder: Path, name: str) -> Path:
    """Write one handout under a name no other file has (-2, -3 ... added when taken); returns its path."""
    while True:
        path = free_name(folder / name)
        try:
            write_atomically(path, made.pdf, replace=False)
        except OutputExists:
            continue  # taken meanwhile (another workstation writing to the same folder): the next free name
        made.path = path
        return path


def combine(made: list[Made]) -> bytes:
    """One PDF with every handout in list order, each starting on an odd page (so duplex printing never
    puts two patients on one sheet of paper); each keeps its own "Page X of Y"."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for handout in made:
        if len(writer.pages) % 2 == 1:
            last = writer.pages[-1]
            writer.add_blank_page(width=float(last.mediabox.width), height=float(last.mediabox.height))
        for page in PdfReader(io.BytesIO(handout.pdf)).pages:
            writer.add_page(page)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def make_day(
    rows: list[Row],
    clinic: Path | None,
    folder: Path,
    target_labels: dict[str, str],
    patient_in_name: bool,
    combined: bool,
    workers: int | None = None,
    on_step: Callable[[int, str], object] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    recorder: Recorder | None = None,
) -> BatchOutcome:
    """Make and save a checked day list (the CLI and the window share this): one file per patient as each
    finishes, or, when `combined`, one PDF at the end, and only if nothing was stopped (a list stopped
    half-way is never saved as if it were the whole day). `on_step(done, error)` follows progress."""
    when = dt.datetime.now().astimezone().replace(microsecond=0)  # the time on the sheets and in the names
    done_count = [0]
    outcome_holder = [BatchOutcome()]  # collects record warnings while the handouts are made

    def done(made: Made | None, number: int, error: str) -> None:
        if made is not None and not combined:
            made.title = file_name(made, target_labels, False, when)  # print job titles never name the patient
            save_each(made, folder, file_name(made, target_labels, patient_in_name, when))
            record_all(recorder, [made], "saved", outcome_holder[0])
        done_count[0] += 1
        if on_step:
            on_step(done_count[0], f"row {number}: {error}" if error else "")

    outcome = make_handouts(
        rows, clinic, workers=workers, generated_at=when, on_done=done, should_stop=should_stop, recorder=recorder
    )
    outcome.record_warnings = outcome_holder[0].record_warnings
    if combined and outcome.made and not outcome.cancelled:
        name = f"day-list_{when:%Y-%m-%d_%H%M-%S}.pdf"
        joined = Made(0, outcome.made[0].selection, combine(outcome.made), title=name)
        outcome.combined = save_each(joined, folder, name)
        record_all(recorder, outcome.made, "saved", outcome)
    return outcome


def print_day(
    outcome: BatchOutcome,
    printer: str | None,
    recorder: Recorder | None,
    on_sent: Callable[[str], None] = lambda line: None,
) -> str:
    """Send the saved handouts (or the combined PDF) to a CUPS queue, each job titled with its file name
    without the patient's name (everyone on the print server sees titles), and record them as printed.
    Returns "" when all were sent, else the problem (the rest are not sent). The CLI and the window share this."""
    from . import print_queue

    jobs = (
        [(outcome.combined, outcome.combined.name, outcome.made)]
        if outcome.combined
        else [(made.path, made.title, [made]) for made in outcome.made if made.path]
    )
    queue = printer or print_queue.default_printer() or "the default printer"
    for path, title, handouts in jobs:
        assert path is not None
        try:
            job = print_queue.submit(
                path.read_bytes(),
                print_queue.PrintSettings(printer=printer, title=title),
                save_hint="print the saved PDFs from there",
            )
        except print_queue.PrintError as exc:
            return str(exc).replace("\n\n", " ")
        on_sent(f"Sent {path.name} to {queue} (job {job}).")
        record_all(recorder, handouts, "printed", outcome, queue)
    return ""


def summary(outcome: BatchOutcome, folder: Path, combined: bool) -> str:
    """What a run made, in one sentence for the terminal or the window."""
    made = len(outcome.made)
    if outcome.cancelled:
        if combined:
            return f"Stopped: no combined PDF was saved ({made} handouts had been made). Nothing was written."
        return f"Stopped: {made} handouts were finished and saved whole in {folder}; the rest were not made."
    if outcome.combined:
        return f"Made {made} handouts in one PDF: {outcome.combined}."
    return f"Made {made} handouts in {folder}."
