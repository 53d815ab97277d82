"""Typing never waits for a stale sheet: a request that reaches the worker while it renders an older one
stops that render, every request still gets exactly one reply, in order, and the worker stays healthy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from handout_app.domain import selection_to_dict
from handout_app.worker import HEADER, READY_ID, encode_request, read_frame

from .helpers import GENERATED_AT, make_selection

ROOT = Path(__file__).resolve().parents[1]


class Worker:
    """A worker process spoken to directly, frame by frame."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd=ROOT)
        header, _ = self.reply()
        assert header["id"] == READY_ID

    def send(self, request_id: str, name: str = "Cancel Test") -> None:
        payload = encode_request(
            request_id, selection_to_dict(make_selection(name=name)), None, GENERATED_AT.isoformat()
        )
        assert self.process.stdin is not None
        self.process.stdin.write(HEADER.pack(len(payload)) + payload)
        self.process.stdin.flush()

    def reply(self) -> tuple[dict[str, Any], bytes]:
        assert self.process.stdout is not None
        header, data = read_frame(self.process.stdout), read_frame(self.process.stdout)
        assert header is not None and data is not None, "the worker stopped"
        return json.loads(header), data


def wait_until_started(tmp_path: Path) -> None:
    """Wait (a minute at most) until the slow worker says its slow render has begun."""
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists():
        assert time.monotonic() < deadline, "the slow render never started"
        time.sleep(0.01)


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Worker]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLOW_WORKER_STARTED": str(tmp_path / "started")}
    one = Worker([sys.executable, str(ROOT / "tests" / "slow_worker.py")], env)
    yield one
    one.process.kill()
    one.process.communicate()  # waits, and closes the pipes


def test_a_newer_request_stops_the_render_under_way(worker: Worker, tmp_path: Path) -> None:
    worker.send("slow-1")
    wait_until_started(tmp_path)
    worker.send("new-2", name="Newest Name")
    first, first_data = worker.reply()
    assert first["id"] == "slow-1" and first["error_kind"] == "cancelled" and first_data == b""
    second, pdf = worker.reply()
    assert second["id"] == "new-2" and second["ok"] and pdf.startswith(b"%PDF")


def test_a_burst_of_requests_renders_only_the_newest_and_the_worker_goes_on(worker: Worker) -> None:
    for number in range(1, 7):
        worker.send(f"r{number}", name=f"Patient Number {number}")
    replies = [worker.reply() for _ in range(6)]
    assert [header["id"] for header, _ in replies] == [f"r{n}" for n in range(1, 7)]  # one each, in order
    assert all(header["error_kind"] == "cancelled" for header, _ in replies[:5])
    assert replies[5][0]["ok"] and replies[5][1].startswith(b"%PDF")
    worker.send("after")
    header, pdf = worker.reply()
    assert header["id"] == "after" and header["ok"] and pdf.startswith(b"%PDF")


def test_one_request_at_a_time_is_never_cancelled(worker: Worker) -> None:
    """The command line, check-templates and the day list wait for each reply before the next request."""
    for number in range(3):
        worker.send(f"one-{number}")
        header, pdf = worker.reply()
        assert header["ok"] and pdf.startswith(b"%PDF"), header


def test_a_cancel_that_lands_in_a_finaliser_still_stops_the_render(worker: Worker, tmp_path: Path) -> None:
    """Python drops an exception raised in `__del__`; the cancel is delivered again until the render stops."""
    worker.send("finaliser-1")
    wait_until_started(tmp_path)
    worker.send("new-2", name="Newest Name")
    first, first_data = worker.reply()
    assert first["id"] == "finaliser-1" and first["error_kind"] == "cancelled" and first_data == b""
    second, pdf = worker.reply()
    assert second["id"] == "new-2" and second["ok"] and pdf.startswith(b"%PDF")
