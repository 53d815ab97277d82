"""The long-lived render process: keeps WeasyPrint loaded, renders one request at a time.

Run as `python -m handout_app.worker` (worker_client.worker_command also knows the frozen bundle's form).
It speaks length-prefixed frames on stdin/stdout:
  request  = frame(JSON {"id", "selection", "clinic", "generated_at", "builtin_only", "clinic_overrides", "format",
                        "document_number"})
  response = frame(JSON {"id", "ok", "error", "error_kind", "field", "findings", "set_error", "warnings", "title",
                         "procedure", "trace", "wording", "pages", "render_cpu_s"}) + frame(PDF or HTML bytes, empty on
                         error); "pages" is the PDF's page count (0 for HTML)
A request with "data": false is answered with an empty second frame: the caller (check-templates) needs
to know only whether the sheet could be made. A batch frame, JSON {"batch": [request, ...]}, is answered
with one response per request, in order, each as soon as its sheet is made (encode_batch): many small
renders then cost one round trip, not one each, and the caller still holds every render to the time limit.
`wording` names the set the sheet was made from (footer line, built-in content version, content hash)
for the record store (records/entry.py).
`error_kind` says whose problem it is: "set" (the clinic's set does not load), "refused" or "selection"
(the selection; `field` or `findings` name the option), "template" (a clinic template or item fails
on this sheet), "render" (the PDF could not be made), "limit" (memory ran out) or "bug".
Every render runs under the limits in limits.py: this process's address space is capped here (where the
system has no such cap, Windows, a watchdog thread stops a render past the limit instead), and each caller
kills it when a render runs past the time limit.
The GUI can kill and restart it at any time (a hung or crashed render never takes the window down).
Patient details pass through memory only; nothing is logged or written.
"""

from __future__ import annotations

import _thread
import datetime as dt
import gc
import json
import os
import queue
import signal
import struct
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO, Any, BinaryIO

HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024
READY_ID = "ready"
FORMATS = ("pdf", "html")
# The memory watchdog (where `resource` is missing) looks this often, in seconds: a render grows by a few
# hundred MB at most in that time.
MEMORY_CHECK_S = 0.1
# A render still over the memory limit this long after it was told to stop is inside C code (layout, a huge
# string operation) that never returns to Python: the worker ends, and its caller reports the limit.
MEMORY_GRACE_S = 2.0


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    """Write one length-prefixed frame."""
    stream.write(HEADER.pack(len(payload)))
    stream.write(payload)


def read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    """Read `size` bytes, or None at end of stream."""
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = stream.read(remaining)
        if not chunk:
            return None
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: IO[bytes]) -> bytes | None:
    """Read one frame, or None when the other side closed the pipe."""
    header = read_exactly(stream, HEADER.size)
    if header is None:
        return None
    (size,) = HEADER.unpack(header)
    if size > MAX_FRAME:
        raise ValueError("frame too large")
    return read_exactly(stream, size)


def encode_request(
    request_id: str,
    selection: dict[str, Any],
    clinic: str | None,
    generated_at: str,
    builtin_only: bool = False,
    clinic_overrides: dict[str, Any] | None = None,
    output_format: str = "pdf",
    document_number: str = "",
    reply_data: bool = True,
) -> bytes:
    """The frame payload every caller sends. `builtin_only` is the user's explicit switch to built-in wording;
    `clinic_overrides` are clinic.toml fields being edited but not saved yet (the live preview);
    `output_format` "html" returns the sheet's HTML instead of its PDF (checks and --format html);
    `document_number` is printed on every page (empty for a sheet that is never handed out);
    `reply_data` False: the reply says only whether the sheet was made, without its bytes (checks)."""
    assert output_format in FORMATS
    request = {
        "id": request_id,
        "selection": selection,
        "clinic": clinic,
        "generated_at": generated_at,
        "builtin_only": builtin_only,
        "clinic_overrides": clinic_overrides or {},
        "format": output_format,
        "document_number": document_number,
    }
    if not reply_data:
        request["data"] = False
    return json.dumps(request).encode()


def encode_batch(requests: list[bytes]) -> bytes:
    """One frame payload holding several requests (each from encode_request), answered one reply each, in order."""
    return b'{"batch": [' + b", ".join(requests) + b"]}"


def handle(request: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    """Render one request; never raises (errors become plain messages)."""
    from .catalog import CatalogError, SelectionRefused
    from .document_numbers import normalize
    from .domain import SelectionError, selection_from_dict
    from .errors import SetError
    from .limits import MAX_PDF_BYTES
    from .pdf import RenderFailed, make_pdf, variant_for
    from .templating import TemplateProblem, with_clinic_intent

    reply: dict[str, Any] = {
        "id": request.get("id"),
        "ok": False,
        "error": "",
        "error_kind": "",
        "field": "",
        "findings": [],
        "set_error": False,
        "warnings": [],
        "title": "",
        "procedure": "",
    }
    try:
        template_set = _with_overrides(
            _template_set(request.get("clinic"), bool(request.get("builtin_only"))),
            request.get("clinic_overrides") or {},
        )
    except SetError as exc:
        # The clinic's own set is broken: say where, and let the user fix it or switch to built-in.
        reply.update(error=str(exc), error_kind="set", set_error=True)
        return reply, b""
    except RecursionError:
        reply.update(
            error=f"{request.get('clinic')}: a file nests too deeply to read; write it flatter.",
            error_kind="set",
            set_error=True,
        )
        return reply, b""
    except Exception as exc:  # a clinic folder no check foresaw: still a plain message naming the folder
        reply.update(
            error=f"{request.get('clinic')}: the clinic folder could not be read ({exc or type(exc).__name__}).",
            error_kind="set",
            set_error=True,
        )
        return reply, b""
    try:
        selection = selection_from_dict(request["selection"])
        number = str(request.get("document_number") or "")
        if number and normalize(number) != number:
            raise RenderFailed(f"'{number}' is not a document number; the sheet was not made.")
        work_started = time.process_time()  # this process's CPU time: what the sheet costs, whatever the load
        rendered = template_set.render_html(
            selection,
            dt.datetime.fromisoformat(request["generated_at"]),
            number,
            with_facts=request.get("format") != "html",  # only a PDF uses them
        )
        pages = 0
        if request.get("format") == "html":
            data = rendered.html.encode("utf-8")
        else:
            data, pages = make_pdf(
                rendered.html,
                facts=rendered.facts,
                base_dir=template_set.base_dir,
                extra_roots=template_set.extra_roots,
                variant=variant_for(selection.archival),
            )
            if len(data) > MAX_PDF_BYTES:
                raise RenderFailed(
                    f"The PDF came out at {len(data) // (1024 * 1024)} "
                    "MB, far more than a handout needs; it was not used."
                )
    except SelectionRefused as exc:
        reply.update(
            error=" ".join(f.message for f in exc.findings),
            error_kind="refused",
            findings=[[f.field, f.message] for f in exc.findings],
        )
    except SelectionError as exc:
        reply.update(error=exc.message, error_kind="selection", field=exc.field_name)
    except (CatalogError, TemplateProblem, RenderFailed) as exc:
        reply.update(
            error=str(exc),
            error_kind="render" if isinstance(exc, RenderFailed) else "template",
            set_error=not template_set.builtin_fallback and template_set.clinic.folder is not None,
        )
    except MemoryError:
        reply.update(error_kind="limit", error=memory_limit_message())
    except Exception as exc:  # A bug must still reach the user as a message, not kill the preview.
        reply.update(
            error=f"Unexpected problem while making the handout: {exc or type(exc).__name__}", error_kind="bug"
        )
    else:
        reply.update(
            ok=True,
            render_cpu_s=time.process_time() - work_started,
            warnings=[w.message for w in rendered.warnings],
            title=rendered.title,
            procedure=rendered.procedure,
            trace=template_set.trace,
            pages=pages,
            wording={
                "name": template_set.trace,
                "content_version": template_set.catalog.version,
                "content_hash": template_set.content_hash,
                "logo": template_set.clinic.logo,
                "intent": with_clinic_intent(selection, template_set.clinic).effective_intent.value,
            },
        )
        return reply, data
    return reply, b""


def _with_overrides(template_set: Any, overrides: dict[str, Any]) -> Any:
    """The set with clinic.toml fields replaced by the values being edited (checked like the file)."""
    if not overrides:
        return template_set
    import dataclasses

    from .clinic import check_profile, with_values
    from .wording_approval import check_approval

    clinic = check_profile(with_values(template_set.clinic, overrides))
    # Typed texts change the wording: the footer names the sign-off only if they still match it.
    approval = None if template_set.builtin else check_approval(clinic, template_set.catalog.version).approved
    return dataclasses.replace(template_set, clinic=clinic, approval=approval)


_SETS: dict[tuple[Any, ...], Any] = {}
# While a batch is answered: the clinic folders' stamps, read once for the whole batch (reading a folder's
# stamp costs more than a tenth of a small HTML render). None otherwise: every request looks again.
_batch_stamps: dict[str, Any] | None = None


def _template_set(folder: str | None, builtin_only: bool) -> Any:
    """The template set for a clinic folder, loaded again only when one of its files changed (looked at
    once per request, or once per batch)."""
    from .template_set import folder_stamp, load_template_set

    stamp: Any = ()
    if folder:
        stamps = _batch_stamps
        if stamps is not None and folder in stamps:
            stamp = stamps[folder]
        else:
            stamp = folder_stamp(Path(folder))
            if stamps is not None:
                stamps[folder] = stamp
    key = (folder, builtin_only, stamp)
    if key not in _SETS:
        _SETS.clear()  # one clinic at a time; an edited set replaces the old one
        _SETS[key] = load_template_set(Path(folder) if folder else None, builtin_only=builtin_only)
    return _SETS[key]


def memory_limit_message() -> str:
    """What the user reads when a render is stopped by the memory limit (the cap or the watchdog)."""
    from .limits import describe_memory_limit

    return (
        f"The render needed more than {describe_memory_limit()} of memory and was stopped. "
        "Check the clinic's templates for a loop or repeat that makes huge text."
    )


def _limit_memory() -> bool:
    """Cap this process's address space; False where the system cannot (no `resource` module: Windows)."""
    from .limits import RENDER_MEMORY_LIMIT_BYTES

    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (RENDER_MEMORY_LIMIT_BYTES, RENDER_MEMORY_LIMIT_BYTES))
    except (ImportError, ValueError, OSError):
        return False
    return True


class RenderCancelled(BaseException):
    """A newer request arrived, so the render in progress is abandoned. A BaseException, so no handler
    that turns errors into messages catches it."""


class MemoryLimitReached(BaseException):
    """The memory watchdog stopped the render. A BaseException, so that no handler that turns errors into
    messages makes it a template or render problem: it is reported as the limit, as a MemoryError is."""


class _Render:
    """What the main thread is doing, shared with the threads that read requests and watch memory."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.busy = False  # a render is running in the main thread
        self.cancel = False  # a newer request has asked it to stop
        self.can_interrupt = False  # the cancel handler is installed (only the main thread can have one)
        self.over_memory = False  # the memory watchdog has asked it to stop


CANCEL_RETRY_S = 0.01  # how often a cancel that has not taken effect yet is delivered again


class _MemoryWatch:
    """The memory limit where the system cannot cap a process (Windows): a daemon thread reads this process's
    resident memory every MEMORY_CHECK_S and stops a render past the limit between two Python steps (the
    same interrupt a newer request uses); one stuck in C code for MEMORY_GRACE_S ends the worker."""

    def __init__(self, limit: int, state: _Render) -> None:
        import psutil

        self.limit = limit
        self._state = state
        self._process = psutil.Process()

    def over_limit(self) -> bool:
        """Whether this process holds more memory than the limit right now."""
        return int(self._process.memory_info().rss) > self.limit

    def start(self) -> None:
        """Start watching, in a daemon thread."""
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        told_at = 0.0
        while True:
            time.sleep(MEMORY_CHECK_S)
            if not self.over_limit():
                continue
            with self._state.lock:
                if not self._state.busy:
                    continue  # between renders the main thread decides (serve)
                if not self._state.over_memory:
                    self._state.over_memory, told_at = True, time.monotonic()
                # Again at every check: one that lands in a finaliser is skipped (see _cancel_handler).
                _thread.interrupt_main(signal.SIGINT)
            if time.monotonic() - told_at > MEMORY_GRACE_S:
                os._exit(3)  # the caller sees the worker stop and reports the memory limit


def cancelled_reply(request_id: object) -> dict[str, Any]:
    """The reply to a request that a newer one replaced before its sheet was made (the window drops it)."""
    return {"id": request_id, "ok": False, "error_kind": "cancelled", "error": "A newer request replaced this one."}


def _interrupt_until_stopped(state: _Render) -> None:
    """Deliver the cancel to the main thread until the render has stopped. Once is not always enough: an
    exception raised inside a finaliser (WeasyPrint's font folders are removed in `__del__`) or a C
    callback is printed and dropped by Python, and the render would run on to its end."""
    while True:
        with state.lock:
            if not (state.busy and state.cancel):
                return
        # Delivered in the main thread between two Python steps of the render (Windows too).
        _thread.interrupt_main(signal.SIGINT)
        time.sleep(CANCEL_RETRY_S)


def _read_requests(stdin: BinaryIO, requests: queue.SimpleQueue[bytes | None], state: _Render) -> None:
    """Reader thread: queue each request; one that arrives during a render stops that render, because
    only the newest sheet matters (the window sends a new request while typing goes on)."""
    while True:
        payload = read_frame(stdin)
        requests.put(payload)
        if payload is None:
            return
        with state.lock:
            start_cancel = state.can_interrupt and state.busy and not state.cancel
            if start_cancel:
                state.cancel = True
        if start_cancel:
            threading.Thread(target=_interrupt_until_stopped, args=(state,), daemon=True).start()


def _inside_finaliser(frame: FrameType | None) -> bool:
    """Whether the main thread is running an object's `__del__`, where a raised exception is dropped."""
    while frame is not None:
        if frame.f_code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def _cancel_handler(state: _Render) -> Callable[[int, FrameType | None], None]:
    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        # Decided when the signal arrives, in the main thread: a late one, after the render ended, does nothing.
        # A terminal's Ctrl+C does nothing either: it stops the parent, whose closed pipe then ends this process.
        if not state.busy or not (state.over_memory or state.cancel):
            return
        if _inside_finaliser(frame):
            # Raised here, the exception would be lost (and the finaliser's clean-up cut short): the next
            # delivery, a moment later (_interrupt_until_stopped), lands in the render itself.
            return
        if state.over_memory:
            raise MemoryLimitReached
        if state.cancel:
            raise RenderCancelled

    return on_interrupt


def serve(
    stdin: BinaryIO,
    stdout: BinaryIO,
    handler: Callable[[dict[str, Any]], tuple[dict[str, Any], bytes]] = handle,
    memory_limit: int | None = None,
) -> None:
    """Answer requests until stdin closes, one reply per request, in order. A request that arrives while
    a render runs cancels it (its reply says "cancelled"), and a request already followed by a newer one
    is not rendered at all. With `memory_limit` (bytes; where the system cannot cap this process), a
    watchdog stops a render past it, and the worker ends after a reply if the memory is not given back."""
    from .start_up import collector_paused
    from .weasyprint_import import import_weasyprint

    # What is loaded here (WeasyPrint, its fonts' declarations, the built-in content) lives as long as the
    # process: no collection looks at it while it loads (start_up.py), and it is frozen afterwards. Every
    # full collection during a render walked these objects again; a render is about 10% faster without
    # that, and the idle collection below 50 -> 15 ms.
    with collector_paused(keep_for_life=True):
        import_weasyprint()  # loaded before "ready" so the first preview is fast
        _template_set(None, False)  # the built-in content is read at start-up, not on the first keystroke
    state = _Render()
    watch = _MemoryWatch(memory_limit, state) if memory_limit is not None else None
    write_frame(stdout, json.dumps({"id": READY_ID, "ok": True}).encode())
    write_frame(stdout, b"")
    stdout.flush()
    if watch is not None:
        watch.start()
    requests: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _cancel_handler(state))
        state.can_interrupt = True
    threading.Thread(target=_read_requests, args=(stdin, requests, state), daemon=True).start()
    global _batch_stamps
    while True:
        payload = requests.get()
        if payload is None:
            return
        frame = json.loads(payload)
        batch = frame.get("batch") if isinstance(frame, dict) else None
        items = batch if isinstance(batch, list) else [frame]
        _batch_stamps = {} if isinstance(batch, list) else None
        try:
            for index, request in enumerate(items):
                reply, data = _answer(request, handler, requests, state)
                laid_out = data.startswith(b"%PDF")
                if request.get("data") is False:
                    data = b""
                write_frame(stdout, json.dumps(reply).encode())
                write_frame(stdout, data)
                stdout.flush()
                if laid_out and requests.empty():
                    # A laid-out sheet leaves a large web of objects behind: collect it now, while nobody
                    # waits, rather than in the middle of the next render (an HTML-only reply leaves little
                    # to collect).
                    gc.collect()
                if watch is not None and watch.over_limit():
                    # The memory was not given back: the caller starts a fresh worker for the next request,
                    # and renders again the rest of a batch, which this process leaves undone.
                    for rest in items[index + 1 :]:
                        write_frame(stdout, json.dumps(cancelled_reply(rest.get("id"))).encode())
                        write_frame(stdout, b"")
                    stdout.flush()
                    return
        finally:
            _batch_stamps = None


def _answer(
    request: dict[str, Any],
    handler: Callable[[dict[str, Any]], tuple[dict[str, Any], bytes]],
    requests: queue.SimpleQueue[bytes | None],
    state: _Render,
) -> tuple[dict[str, Any], bytes]:
    """One request's reply and sheet: the handler's, or "cancelled" (a newer request has come) or the limit."""
    try:
        with state.lock:
            state.cancel, state.over_memory, state.busy = False, False, True
        try:
            if not requests.empty():  # a newer request is already here: this sheet would never be shown
                raise RenderCancelled
            return handler(request)
        finally:
            state.busy = False  # from here on a late cancel does nothing
    except RenderCancelled:
        return cancelled_reply(request.get("id")), b""
    except MemoryLimitReached:
        return {"id": request.get("id"), "ok": False, "error_kind": "limit", "error": memory_limit_message()}, b""


def main() -> None:
    """Entry point of the worker process."""
    from .limits import RENDER_MEMORY_LIMIT_BYTES

    capped = _limit_memory()
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    # Anything printed by libraries goes to stderr, so it can never corrupt the frames on stdout.
    sys.stdout = sys.stderr
    serve(stdin, stdout, handle, memory_limit=None if capped else RENDER_MEMORY_LIMIT_BYTES)


if __name__ == "__main__":
    main()
