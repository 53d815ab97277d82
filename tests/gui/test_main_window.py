"""The window as a nurse uses it: form -> selection -> live preview -> save / print."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader
from pytestqt.qtbot import QtBot

from handout_app.domain import Guidance, Intent
from handout_app.gui import dialogs
from handout_app.gui.launch import make_application
from handout_app.gui.main_window import MainWindow
from handout_app.gui.render_client import RenderClient

from ..conftest import EXAMPLE_CLINIC
from ..helpers import pdf_text
from .conftest import fill_valid, open_window, wait_for_preview

ROOT = Path(__file__).resolve().parents[2]


def test_preview_shows_the_pdf_with_side_and_name(qtbot: QtBot, window: MainWindow) -> None:
    fill_valid(window, name="Ada Lovelace", side="left")
    wait_for_preview(qtbot, window)
    text = pdf_text(window.preview.pdf_bytes)
    assert "Ada Lovelace" in text and "LEFT hip joint injection" in text
    assert "Riverside Orthopaedic Clinic" in text
    assert window.preview.document is not None and window.preview.document.pageCount() >= 5


def test_anesthetic_with_a_steroid_waits_for_the_nurse_to_choose_the_purpose(qtbot: QtBot, window: MainWindow) -> None:
    form = window.form
    fill_valid(window)
    wait_for_preview(qtbot, window)
    form.intent.setCurrentIndex(0)
    assert form._error_labels["intent"].text().startswith("Choose the purpose")
    assert not window.save_action.isEnabled() and not window.print_action.isEnabled()
    form.intent.setCurrentIndex(form.intent.findData(Intent.DIAGNOSTIC.value))
    wait_for_preview(qtbot, window)
    assert "Purpose: to find the source of the pain" in pdf_text(window.preview.pdf_bytes)
    # The automatic purposes and a clinic's default: test_form_state.py.


def test_leaving_fluoroscopy_unticks_contrast_and_says_so(qtbot: QtBot, window: MainWindow) -> None:
    form = window.form
    fill_valid(window)
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.FLUOROSCOPY.value))
    assert form.contrast.isEnabled()
    form.contrast.setChecked(True)
    wait_for_preview(qtbot, window)
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.ULTRASOUND.value))
    assert not form.contrast.isChecked() and not form.contrast.isEnabled()
    assert "Contrast dye was unticked" in window.statusBar().currentMessage()
    state = form.refresh_validation()
    assert "contrast" not in state.errors and state.selection is not None and not state.selection.contrast
    wait_for_preview(qtbot, window)  # the ultrasound sheet follows; nothing is blanked
    assert window.save_action.isEnabled()
    qtbot.waitUntil(lambda: "Preview up to date" in window.statusBar().currentMessage(), timeout=30_000)
    assert "Contrast dye was unticked" in window.statusBar().currentMessage()  # still in view


def test_unusual_mix_shows_a_warning_above_the_preview_without_blocking(qtbot: QtBot, window: MainWindow) -> None:
    form = window.form
    fill_valid(window)
    form.guidance.setCurrentIndex(form.guidance.findData(Guidance.LANDMARK.value))
    assert window.preview.warnings.isVisibleTo(window)
    assert "Landmark guidance for the hip joint is unusual" in window.preview.warnings.text()
    wait_for_preview(qtbot, window)
    assert window.save_action.isEnabled()


def test_rapid_changes_end_with_the_last_selection_in_the_preview(qtbot: QtBot, window: MainWindow) -> None:
    fill_valid(window)
    for index in range(6):
        window.form.patient_name.setText(f"Patient Number {index}")
        window.request_preview()  # force a render for every change, as if the debounce had fired
        # Only spacing between the changes: under load more or fewer of them are replaced before they
        # start, and the checks below hold for any spacing.
        qtbot.wait(30)
    wait_for_preview(qtbot, window)
    # Every request has had its reply (replies come in the order sent): no stale sheet can arrive later.
    qtbot.waitUntil(lambda: window.previews.settled, timeout=60_000)
    assert window.save_action.isEnabled()
    text = pdf_text(window.preview.pdf_bytes)
    assert "Patient Number 5" in text
    assert all(f"Patient Number {i}" not in text for i in range(5))


def test_a_change_is_rendered_once_even_when_the_typing_pause_ends_during_the_render(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    sent: list[str] = []
    original = window.client.request
    monkeypatch.setattr(window.client, "request", lambda *args, **kwargs: sent.append("x") or original(*args, **kwargs))
    window.form.patient_name.setText("Rendered Once")
    window.request_preview()  # starts at once; the typing-pause timer then fires during the render
    wait_for_preview(qtbot, window)
    # The timer has fired and no reply is owed: a second request, had one been sent, would be counted.
    qtbot.waitUntil(lambda: window.previews.settled, timeout=60_000)
    assert len(sent) == 1
    assert "Rendered Once" in pdf_text(window.preview.pdf_bytes)


def test_new_patient_during_a_render_never_shows_the_previous_patients_sheet(qtbot: QtBot, window: MainWindow) -> None:
    fill_valid(window, name="Previous Patient")
    wait_for_preview(qtbot, window)
    window.form.patient_name.setText("Previous Patient Again")
    window.request_preview()
    assert not window.previews.settled  # its reply comes through the event loop, which has not run yet
    window.new_action.trigger()
    # Until the worker owes no reply: the previous patient's sheet has arrived (and was not shown), and
    # nothing else can come.
    qtbot.waitUntil(lambda: not window._awaiting_reply and window.previews.settled, timeout=30_000)
    assert window.preview.pdf_bytes == b"" and not window.preview.view.isVisible()
    assert not window.save_action.isEnabled()


def _faulty_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timeout_ms: int = 3000
) -> tuple[RenderClient, Path, Path]:
    """A client of tests/gui/faulty_worker.py with a short time limit; the file that sets the worker's fault
    for its next request, and the file listing the requests it received (its events go to tmp_path /
    "events")."""
    mode, seen = tmp_path / "mode", tmp_path / "seen"
    monkeypatch.setenv("FAULTY_WORKER_MODE_FILE", str(mode))
    monkeypatch.setenv("FAULTY_WORKER_SEEN", str(seen))
    monkeypatch.setenv("FAULTY_WORKER_EVENTS", str(tmp_path / "events"))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    client = RenderClient([sys.executable, str(ROOT / "tests" / "gui" / "faulty_worker.py")], timeout_ms=timeout_ms)
    return client, mode, seen


@pytest.mark.parametrize("fault", ["hang", "crash"])
def test_hanging_or_crashing_render_is_reported_and_the_worker_restarts(
    qtbot: QtBot, dialog_log: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    client, mode, _ = _faulty_client(tmp_path, monkeypatch)
    window = open_window(qtbot, client)
    qtbot.waitUntil(
        lambda: not client.warming_up, timeout=30_000
    )  # the fault is the nurse's sheet's, not the warm-up's
    mode.write_text(fault)
    with qtbot.waitSignal(client.failed, timeout=20_000) as failed:
        fill_valid(window)
    message = failed.args[1]
    assert ("took longer than 3 seconds" in message) if fault == "hang" else ("stopped unexpectedly" in message)
    assert message in window.preview.message.text()
    assert client.restarts == 1
    qtbot.waitUntil(lambda: client.is_ready, timeout=30_000)
    # The fresh worker does not make the failed sheet again by itself (one that always hangs would hang every
    # worker): it waits for a change, as the message asks.
    assert not client.has_requests_out
    window.form.patient_name.setText("After The Fault")
    wait_for_preview(qtbot, window)
    assert "After The Fault" in pdf_text(window.preview.pdf_bytes)
    window.close()


def test_a_worker_that_ends_after_running_out_of_memory_says_only_that(
    qtbot: QtBot, dialog_log: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the system cannot cap a process's memory, the worker stops a render past the limit, says so and
    ends (worker.serve): the nurse reads what ran out, not that the preview engine stopped unexpectedly."""
    client, mode, _ = _faulty_client(tmp_path, monkeypatch)
    failures: list[str] = []
    client.failed.connect(lambda request_id, message: failures.append(message))
    window = open_window(qtbot, client)
    qtbot.waitUntil(lambda: not client.warming_up, timeout=30_000)
    mode.write_text("limit-then-end")
    fill_valid(window, name="Out Of Memory")
    qtbot.waitUntil(lambda: client.restarts == 1 and client.is_ready, timeout=30_000)
    assert len(failures) == 1 and "of memory and was stopped" in failures[0]
    window.close()


def test_an_idle_worker_warms_up_unseen_and_the_nurse_s_sheet_comes_first(qtbot: QtBot, dialog_log: list) -> None:
    """With the form not yet complete, the ready worker makes one sheet and drops it, so the first
    preview is not a cold one. Nothing of it shows: no preview, no busy state, no message; a sheet asked for
    while it is made replaces it."""
    client = RenderClient()
    busy: list[bool] = []
    heard: list[str] = []
    client.busy_changed.connect(busy.append)
    client.finished.connect(lambda result: heard.append(result.request_id))
    client.failed.connect(lambda request_id, message: heard.append(message))
    window = open_window(qtbot, client)
    assert client.warming_up and not client.has_requests_out
    qtbot.waitUntil(lambda: not client.warming_up, timeout=30_000)
    assert busy == [] and heard == [] and not window.preview.pdf_bytes and not dialog_log
    client.stop()
    client.start()  # a fresh worker warms up again; the nurse's sheet asked for meanwhile wins
    qtbot.waitUntil(lambda: client.warming_up, timeout=30_000)
    fill_valid(window, name="During The Warm Up")
    wait_for_preview(qtbot, window)
    assert "During The Warm Up" in pdf_text(window.preview.pdf_bytes) and not dialog_log
    assert [message for message in heard if not message.isdigit()] == []
    window.close()


def test_the_warm_up_is_made_with_the_clinic_s_wording(
    qtbot: QtBot, dialog_log: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker warms up on the clinic's own set (a clinic's first sheet after a built-in one takes a sixth
    to a quarter longer), and the nurse's first sheet uses the same set; once she has switched to the built-in
    wording, a fresh worker warms up on that."""
    client, _, seen = _faulty_client(tmp_path, monkeypatch)
    window = open_window(qtbot, client, EXAMPLE_CLINIC)
    qtbot.waitUntil(lambda: seen.exists() and not client.warming_up, timeout=30_000)
    fill_valid(window, name="After The Warm Up")
    wait_for_preview(qtbot, window)
    warm_up, first = (json.loads(line) for line in seen.read_text().splitlines())
    assert warm_up["id"].startswith("warm-up-") and not first["id"].startswith("warm-up-")
    assert warm_up["clinic"] == first["clinic"] == str(EXAMPLE_CLINIC)
    assert warm_up["builtin_only"] is first["builtin_only"] is False
    window.form.patient_name.clear()  # the form is incomplete: the next worker warms up
    window.builtin_action.trigger()  # Clinic > Use built-in wording for now
    client.stop()
    client.start()
    qtbot.waitUntil(lambda: len(seen.read_text().splitlines()) == 3 and not client.warming_up, timeout=30_000)
    second_warm_up = json.loads(seen.read_text().splitlines()[2])
    assert second_warm_up["id"].startswith("warm-up-") and second_warm_up["builtin_only"] is True
    window.close()


@pytest.mark.parametrize("fault", ["stuck", "crash-on-cancel", "limit-and-end"])
def test_a_warm_up_that_hangs_or_ends_its_worker_never_costs_the_nurse_her_sheet(
    qtbot: QtBot, dialog_log: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """The warm-up sleeps through the cancel the nurse's request sends (as a render stuck in C code does) until
    the time limit; or its worker ends when her request arrives; or it runs out of memory then, and the worker
    ends after saying so (where the system cannot cap its memory): her sheet comes from the fresh worker,
    nothing is said, and no warm-up is tried again (it would fail again)."""
    # The time limit also covers her sheet's cold render by the fresh worker: room for a loaded machine.
    client, mode, seen = _faulty_client(tmp_path, monkeypatch, timeout_ms=6000)
    failures: list[str] = []
    client.failed.connect(lambda request_id, message: failures.append(message))
    mode.write_text(fault)
    window = open_window(qtbot, client)
    events = tmp_path / "events"
    # The worker is on the warm-up, waiting for a cancel: the whole line is written (the file exists as soon as it
    # is opened, and a cancel sent before the line was in it once went unrecorded under load).
    qtbot.waitUntil(lambda: events.exists() and events.read_text().startswith("waiting\n"), timeout=30_000)
    fill_valid(window, name="Behind The Warm Up")
    wait_for_preview(qtbot, window, timeout=60_000)
    assert "Behind The Warm Up" in pdf_text(window.preview.pdf_bytes)
    assert events.read_text().splitlines()[:2] == ["waiting", "cancel reached"]  # her request arrived behind it
    assert failures == [] and not dialog_log and client.restarts == 1
    received = [json.loads(line)["id"] for line in seen.read_text().splitlines()]
    # The stuck worker never got to her request; the fresh one made it, and no warm-up first.
    assert len(received) == 2 and received[0].startswith("warm-up-") and not received[1].startswith("warm-up-")
    window.form.patient_name.clear()  # the form is incomplete again: an idle worker would warm up now
    client.stop()
    client.start()
    qtbot.waitUntil(lambda: client.is_ready, timeout=30_000)
    assert not client.warming_up
    window.close()


def test_typing_on_does_not_wait_for_a_stale_preview(
    qtbot: QtBot, dialog_log: list, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker is still laying out the sheet for the name as it was (here a render that would take two
    minutes); the next key sends the new name at once and the worker drops the stale sheet for it."""
    started = tmp_path / "started"
    monkeypatch.setenv("SLOW_WORKER_STARTED", str(started))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    client = RenderClient([sys.executable, str(ROOT / "tests" / "slow_worker.py")])
    window = open_window(qtbot, client)
    failures: list[str] = []
    client.failed.connect(lambda request_id, message: failures.append(message))
    fill_valid(window, name="Slow Render")
    qtbot.waitUntil(started.exists, timeout=30_000)
    window.form.patient_name.setText("Typed On")
    wait_for_preview(qtbot, window, timeout=60_000)  # well before the stale render could end
    assert "Typed On" in pdf_text(window.preview.pdf_bytes) and not failures
    window.close()


def test_save_writes_the_pdf_and_never_replaces_without_asking(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    target = tmp_path / "handout.pdf"
    suggested: list[Path] = []
    monkeypatch.setattr(
        dialogs,
        "ask_save_path",
        lambda parent, path, archival=False: suggested.append(path) or dialogs.SaveChoice(target, False),
    )
    window.save_pdf()
    assert target.read_bytes() == window.preview.pdf_bytes
    assert suggested[0].name.startswith("hip-joint-injection_RIGHT_")
    assert "Jane" not in suggested[0].name  # no patient name in file names by default
    assert str(target) in window.statusBar().currentMessage()

    target.write_bytes(b"keep me")
    # "No" to replacing goes back to the Save dialog, which suggests a free name; cancelling it saves nothing.
    answers = iter([dialogs.SaveChoice(target, False), None])
    offered: list[Path] = []
    monkeypatch.setattr(
        dialogs, "ask_save_path", lambda parent, path, archival=False: offered.append(path) or next(answers)
    )
    monkeypatch.setattr(dialogs, "confirm_replace", lambda parent, path: False)
    window.save_pdf()
    assert target.read_bytes() == b"keep me" and offered[1] == tmp_path / "handout-2.pdf"
    monkeypatch.setattr(
        dialogs, "ask_save_path", lambda parent, path, archival=False: dialogs.SaveChoice(target, False)
    )
    monkeypatch.setattr(dialogs, "confirm_replace", lambda parent, path: True)
    window.save_pdf()
    assert target.read_bytes().startswith(b"%PDF")
    assert [p.name for p in tmp_path.iterdir()] == ["handout.pdf"]


def test_save_to_an_unwritable_place_explains_and_keeps_the_form(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dialog_log: list
) -> None:
    fill_valid(window, name="Kept Name")
    wait_for_preview(qtbot, window)
    not_a_folder = tmp_path / "file.txt"
    not_a_folder.write_text("x")
    monkeypatch.setattr(
        dialogs,
        "ask_save_path",
        lambda parent, path, archival=False: dialogs.SaveChoice(not_a_folder / "handout.pdf", False),
    )
    window.save_pdf()
    assert dialog_log and dialog_log[-1][0] == "Could not save the handout"
    assert "Choose another folder" in dialog_log[-1][1]
    assert window.form.patient_name.text() == "Kept Name"
    assert window.save_action.isEnabled()


def test_the_window_process_does_not_import_weasyprint_or_the_template_set() -> None:
    # WeasyPrint lives in the worker; the template set (and Jinja with it) loads when a day list is opened.
    code = (
        "import sys; import handout_app.gui.main_window, handout_app.gui.launch;"
        "loaded = {'weasyprint', 'handout_app.template_set', 'jinja2'} & set(sys.modules);"
        "assert not loaded, f'imported at start-up: {sorted(loaded)}'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stderr


def test_no_qt_import_outside_the_gui_package() -> None:
    for path in (ROOT / "handout_app").rglob("*.py"):
        if "gui" in path.relative_to(ROOT / "handout_app").parts:
            continue
        assert "PySide6" not in path.read_text(encoding="utf-8"), path


def test_the_preview_controller_holds_no_widgets() -> None:
    """When to render and which sheet is shown is decided apart from the widgets that show it."""
    source = (ROOT / "handout_app" / "gui" / "preview_controller.py").read_text(encoding="utf-8")
    assert "QtWidgets" not in source


@pytest.mark.cups
def test_print_through_a_real_cups_queue(tmp_path: Path) -> None:
    """The Print path end to end: a private cupsd on loopback, a cups-pdf queue, and the printed file.
    The queue receives the PDF itself (about its size), not pictures of pages."""
    from . import cups_server

    reason = cups_server.unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = cups_server.start()
    before = set(server.output_folder.glob("*.pdf")) if server.output_folder.exists() else set()
    try:
        job = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("cups_print_job.py")),
                server.queue,
                str(tmp_path),
                str(ROOT / "examples" / "clinic"),
            ],
            env={**server.env(), "QT_QPA_PLATFORM": "offscreen"},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert job.returncode == 0, job.stderr
        result = json.loads(job.stdout.strip().splitlines()[-1])
        assert server.queue in result["printers"], "Qt did not list the CUPS queue"
        assert result["previewed"] and not result["errors"], result
        assert result["status"].startswith(f"Sent {result['pages']} pages to {server.queue} (job {server.queue}-")
        finished = server.wait_for_finished_job()
        # lpstat -o: "Queue-1  user  size  date"; the size is what the queue received, in bytes.
        received = int(finished.split()[2])
        assert received <= result["pdf_bytes"] + 64 * 1024, (
            f"the queue received {received} bytes for a {result['pdf_bytes']}-byte PDF"
        )
        printed = [p for p in server.output_folder.glob("*.pdf") if p not in before]
        assert len(printed) == 1, "cups-pdf wrote no file; scheduler log:\n" + server.error_log()[-3000:]
        # (cups-pdf's own filters turn what it receives into 300 dpi pictures; that is the driver's
        # business: the job we hand over is the size of the PDF, not megabytes of page images.)
        assert len(PdfReader(io.BytesIO(printed[0].read_bytes())).pages) == result["pages"]
        assert "Cups" not in printed[0].name and "LEFT" in printed[0].name  # the job title: no patient details
    finally:
        server.stop()
        for path in set(server.output_folder.glob("*.pdf")) - before:
            path.unlink()


def test_the_form_survives_a_long_shift_of_changes() -> None:
    """PySide6 6.12.0 leaks a reference to True per signal emit; unguarded, Python aborts after ~1,000."""
    code = (
        "from handout_app.gui.launch import make_application\n"
        "from handout_app.gui.form import SelectionForm\n"
        "from handout_app.catalog import load_catalog\n"
        "app = make_application()\n"
        "form = SelectionForm(load_catalog())\n"
        "for index in range(5000):\n"
        "    form.factor_checks[next(iter(form.factor_checks))].setChecked(index % 2 == 0)\n"
        "    form.patient_name.setText(str(index))\n"
        "print('done')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0 and "done" in result.stdout, result.stderr[-2000:]


def test_large_print_and_archival_reach_the_preview_and_new_patient_clears_large_print(
    qtbot: QtBot, window: MainWindow
) -> None:
    from ..test_editions import font_sizes

    fill_valid(window)
    window.form.large_print.setChecked(True)
    window.form.archival.setChecked(True)

    def is_pdfa(data: bytes) -> bool:
        return b"pdfaid" in PdfReader(io.BytesIO(data)).trailer["/Root"]["/Metadata"].get_object().get_data()

    qtbot.waitUntil(lambda: window.save_action.isEnabled() and is_pdfa(window.preview.pdf_bytes), timeout=30_000)
    assert font_sizes(window.preview.pdf_bytes).most_common(1)[0][0] >= 18
    window.form.language.setCurrentIndex(window.form.language.findData("es"))
    qtbot.waitUntil(
        lambda: window.save_action.isEnabled() and "Cadera DERECHA" in pdf_text(window.preview.pdf_bytes),
        timeout=30_000,
    )
    window.new_action.trigger()
    assert not window.form.large_print.isChecked() and window.form.archival.isChecked()
    assert window.form.language.currentData() == "en"


def test_save_dialog_can_choose_archival_pdfa(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill_valid(window)
    wait_for_preview(qtbot, window)
    target = tmp_path / "records.pdf"
    offered: list[bool] = []
    monkeypatch.setattr(
        dialogs,
        "ask_save_path",
        lambda parent, path, archival=False: offered.append(archival) or dialogs.SaveChoice(target, True),
    )
    window.save_pdf()
    assert offered == [False]  # the box starts as the form says
    root = PdfReader(io.BytesIO(target.read_bytes())).trailer["/Root"]
    assert b"pdfaid" in root["/Metadata"].get_object().get_data()
    assert "Jane Example" in pdf_text(target.read_bytes())
    assert window.save_action.isEnabled() and f"Saved to {target}" in window.statusBar().currentMessage()


def test_the_window_s_worker_starts_before_qt_loads_and_the_window_takes_it_over(
    qtbot: QtBot, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`handout-app` starts the render worker before Qt is even loaded (window.py), so the first preview
    comes a seventh of a second sooner; the window then uses that worker, and starts no second one."""
    script = (
        "import sys\n"
        "from handout_app.window import start_render_worker\n"
        "worker = start_render_worker()\n"
        "print(worker is not None and worker.process.poll() is None, 'PySide6' in sys.modules)\n"
        "worker.process.kill()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.split() == ["True", "False"], result.stderr  # started, and no Qt loaded for it
    from handout_app.gui import launch, render_client
    from handout_app.window import start_render_worker

    make_application()
    worker = start_render_worker()
    assert worker is not None
    started_here: list[object] = []
    monkeypatch.setattr(render_client, "spawn_worker", lambda *args: started_here.append(args))
    window = launch.open_main_window(None, worker)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.client.is_ready, timeout=30_000)
    fill_valid(window, name="Early Worker")
    wait_for_preview(qtbot, window)
    assert "Early Worker" in pdf_text(window.preview.pdf_bytes) and not dialog_log
    assert started_here == []  # the worker started before Qt made this sheet
    window.close()
    assert worker.process.poll() is not None and not worker.temp_dir.exists()  # closing the window ended it


def test_when_qt_cannot_load_the_worker_started_for_the_window_is_ended() -> None:
    script = (
        "import os, sys\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "sys.modules['handout_app.gui.launch'] = None  # its import fails, as when a Qt library is missing\n"
        "from handout_app import window\n"
        "started = []\n"
        "real_start = window.start_render_worker\n"
        "window.start_render_worker = lambda: started.append(real_start()) or started[-1]\n"
        "try:\n"
        "    window.launch()\n"
        "except ImportError:\n"
        "    print(started[0].process.poll() is not None, started[0].temp_dir.exists())\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert result.stdout.split() == ["True", "False"], result.stderr  # ended, and its temp folder gone


def _run_program(script: str, config_folder: Path) -> subprocess.CompletedProcess[str]:
    """Run `script` as a program of its own, with Qt offscreen and its settings in `config_folder`."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(config_folder)}
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)


def test_the_window_opens_with_the_collector_running_and_its_start_up_frozen(tmp_path: Path) -> None:
    """As `handout-app gui` opens it (window.show_window): shown, with the preview's worker starting. The garbage
    collector rests while Qt, the window and the content load (start_up.py), and runs again once the window
    shows: hours of typing must not pile up garbage."""
    script = (
        "import gc\n"
        "from handout_app import window\n"
        "from handout_app.gui import dialogs\n"
        "dialogs.confirm_discard = lambda parent: True\n"
        "main = window.show_window(None, True)\n"
        "print(main.isVisible(), main.client.is_running, gc.isenabled(), gc.get_freeze_count() > 0)\n"
        "main.close()\n"
    )
    result = _run_program(script, config_folder=tmp_path)
    assert result.stdout.split() == ["True", "True", "True", "True"], result.stderr


def test_when_the_content_cannot_be_read_the_window_says_so_and_the_program_ends(tmp_path: Path) -> None:
    script = (
        "from pathlib import Path\n"
        "from handout_app import catalog, window\n"
        "def unreadable():\n"
        "    raise catalog.CatalogError(Path('risks.toml'), 'a risk without words.', line=3)\n"
        "catalog.load_catalog = unreadable\n"
        "raise SystemExit(window.launch())\n"
    )
    result = _run_program(script, config_folder=tmp_path)
    assert result.returncode == 1
    assert "the handout content has a problem: risks.toml, line 3" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_started_for_a_window_that_never_opened_is_ended(qtbot: QtBot) -> None:
    from handout_app.window import start_render_worker

    worker = start_render_worker()
    assert worker is not None
    client = RenderClient(started=worker)  # the content could not be read, say: the window stops its client
    client.stop()
    assert worker.process.poll() is not None and not worker.temp_dir.exists()


def test_a_worker_that_cannot_start_is_tried_once_and_reported_once(
    qtbot: QtBot, dialog_log: list, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As `handout-app` opens the window when the worker cannot start (window.py's own start failed too)."""
    from handout_app.gui import launch, render_client
    from handout_app.worker_client import WorkerUnavailable

    tries: list[object] = []

    def cannot_start(*args: object) -> None:
        tries.append(args)
        raise WorkerUnavailable("the render process could not be started (no such file)")

    monkeypatch.setattr(render_client, "spawn_worker", cannot_start)
    make_application()
    window = launch.open_main_window(None, None)
    qtbot.addWidget(window)
    messages: list[str] = []
    window.client.failed.connect(lambda request_id, message: messages.append(message))
    qtbot.waitUntil(lambda: bool(messages), timeout=10_000)
    qtbot.wait(200)  # a second report would have come by now: it is queued for the next turn of the loop
    assert messages == ["The preview engine could not start. Reinstall the application."] and len(tries) == 1
    assert not window.client.is_running
    fill_valid(window)  # the next change tries once more, and says so again
    qtbot.waitUntil(lambda: len(messages) == 2, timeout=10_000)
    assert len(tries) == 2 and not window.client.has_requests_out
    window.close()


def test_a_worker_program_that_is_missing_is_reported(qtbot: QtBot, tmp_path: Path) -> None:
    make_application()
    client = RenderClient([str(tmp_path / "no-such-program")])
    with qtbot.waitSignal(client.failed, timeout=10_000) as failed:
        client.start()
    assert failed.args[1] == "The preview engine could not start. Reinstall the application."
    assert not client.is_running
    client.stop()


def test_a_worker_that_cannot_start_is_not_restarted_forever(qtbot: QtBot, dialog_log: list) -> None:
    from handout_app.gui.render_client import MAX_FAILED_STARTS

    make_application()
    client = RenderClient([sys.executable, "-c", "import sys; sys.exit(3)"], timeout_ms=3000)
    messages: list[str] = []
    client.failed.connect(lambda request_id, message: messages.append(message))
    client.start()
    qtbot.waitUntil(lambda: any("times while starting" in m for m in messages), timeout=30_000)
    # No worker is left running or starting, and only a worker's exit or a render's time limit starts
    # another: nothing can restart it now, however long one waited.
    assert not client.is_running and not client.has_requests_out
    assert client.restarts == MAX_FAILED_STARTS - 1 and not client.is_ready
    started = client.restarts
    client.request({"target": "joint"}, None, "2026-11-21T09:00:00+00:00")  # a change tries once more
    qtbot.waitUntil(lambda: sum("times while starting" in m for m in messages) == 2, timeout=30_000)
    assert client.restarts == started
    client.stop()


def test_suggested_names_differ_by_time_language_and_edition_and_never_repeat(tmp_path: Path) -> None:
    from handout_app.naming import suggested_file_name
    from handout_app.output_files import free_name

    morning = suggested_file_name(
        "hip joint injection", "left", dt.date(2026, 11, 21), dt.datetime(2026, 11, 21, 9, 30, 5)
    )
    later = suggested_file_name(
        "hip joint injection", "left", dt.date(2026, 11, 21), dt.datetime(2026, 11, 21, 9, 31, 0)
    )
    spanish = suggested_file_name(
        "hip joint injection", "left", dt.date(2026, 11, 21), dt.datetime(2026, 11, 21, 9, 30, 5), ("es", "large-print")
    )
    assert morning == "hip-joint-injection_LEFT_2026-11-21_0930-05.pdf"
    assert len({morning, later, spanish}) == 3 and spanish.endswith("_es_large-print.pdf")
    (tmp_path / morning).write_bytes(b"x")
    assert free_name(tmp_path / morning).name == "hip-joint-injection_LEFT_2026-11-21_0930-05-2.pdf"


def test_preview_zoom_pages_and_a_new_patient_opens_at_the_top(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtPdfWidgets import QPdfView

    fill_valid(window)
    wait_for_preview(qtbot, window)
    preview = window.preview
    pages = preview.document.pageCount()
    assert preview.page_label.text() == f"Page 1 of {pages}"
    window.form.patient_name.setFocus()
    qtbot.keyClick(window.form.patient_name, Qt.Key.Key_PageDown)
    qtbot.keyClick(window.form.patient_name, Qt.Key.Key_PageDown)
    assert preview.page_label.text() == f"Page 3 of {pages}"
    qtbot.keyClick(window.form.patient_name, Qt.Key.Key_PageUp)
    assert preview.page_label.text() == f"Page 2 of {pages}"
    assert window.form.patient_name.text() == "Jane Example"  # the keys moved the preview, not the form
    qtbot.keyClick(window.form.patient_name, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert preview.view.zoomMode() == QPdfView.ZoomMode.Custom
    bigger = preview.view.zoomFactor()
    qtbot.keyClick(window.form.patient_name, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert preview.view.zoomFactor() < bigger
    qtbot.keyClick(window.form.patient_name, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert preview.view.zoomMode() == QPdfView.ZoomMode.FitToWidth
    preview.go_to_page(pages - 1)
    window.new_patient()
    fill_valid(window, name="Next Patient", side="left")
    qtbot.waitUntil(
        lambda: window.save_action.isEnabled() and "Next Patient" in pdf_text(preview.pdf_bytes), timeout=30_000
    )
    assert preview.page_label.text() == f"Page 1 of {preview.document.pageCount()}"
    assert preview.view.verticalScrollBar().value() == 0
