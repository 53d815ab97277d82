"""What keeps the app working on Windows and macOS, checked on Linux: the memory limit without `resource`,
the render worker started from a frozen bundle, and process checks without os.kill."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psutil  # imported before sys.platform is set to win32 below, which it reads on import
import pytest

from handout_app import worker_client
from handout_app.domain import selection_to_dict
from handout_app.worker import encode_request
from handout_app.worker_client import WorkerProcess, worker_command

from .helpers import GENERATED_AT, make_selection

ROOT = Path(__file__).resolve().parents[1]


def greedy_request(megabytes: int) -> bytes:
    return encode_request("greedy", {"allocate_mb": megabytes}, None, GENERATED_AT.isoformat())


def test_without_resource_a_watchdog_stops_a_render_past_the_memory_limit() -> None:
    # tests/greedy_worker.py hides `resource` as Windows lacks it, and sets a 600 MB limit.
    worker = WorkerProcess(
        extra_env={"PYTHONPATH": str(ROOT), "GREEDY_WORKER_LIMIT_MB": "600"},
        command=[sys.executable, str(ROOT / "tests" / "greedy_worker.py")],
    )
    try:
        reply, _ = worker.render(greedy_request(40))
        assert reply["ok"] and reply["held_mb"] == 40  # under the limit: untouched
        pid = worker.process.pid
        reply, data = worker.render(greedy_request(3000))
        # Reported as a MemoryError under the system's cap is: the limit, in the same plain words.
        assert reply["error_kind"] == "limit" and data == b""
        assert reply["error"].startswith("The render needed more than 600 MB of memory and was stopped.")
        reply, _ = worker.render(greedy_request(40))
        assert reply["ok"] and worker.process.pid == pid  # the memory was given back: the same worker goes on
    finally:
        worker.stop()


def test_the_worker_is_started_with_m_from_python_and_by_argument_from_a_frozen_bundle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert worker_command() == [sys.executable, "-m", "handout_app.worker"]
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/handout-app/handout-app")
    assert worker_command() == ["/opt/handout-app/handout-app", "worker"]


def test_the_program_given_the_worker_argument_serves_renders() -> None:
    # What a frozen bundle runs (its program is `handout-app`; here `python -m handout_app` stands in for it).
    worker = WorkerProcess(command=[sys.executable, "-m", "handout_app", "worker"])
    try:
        reply, data = worker.render(
            encode_request("w", selection_to_dict(make_selection()), None, GENERATED_AT.isoformat())
        )
        assert reply["ok"] and data.startswith(b"%PDF")
    finally:
        worker.stop()


def test_a_gone_process_is_found_without_os_kill_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    asked: list[int] = []
    real_pid_exists = psutil.pid_exists

    def pid_exists(pid: int) -> bool:
        asked.append(pid)
        return real_pid_exists(pid)

    monkeypatch.setattr(psutil, "pid_exists", pid_exists)
    monkeypatch.setattr(sys, "platform", "win32")  # where os.kill(pid, 0) would end the process, not test it
    assert not worker_client._pid_alive(int(gone.stdout))
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE) as child:
        assert worker_client._pid_alive(child.pid)
        child.communicate()
    assert asked == [int(gone.stdout), child.pid]
