"""A batch of requests in one frame (check-templates sends its HTML sheets so): one reply per request, in
order; a request may ask for no sheet bytes back; every render in a batch is still held to the time limit on
its own; and a newer request cancels the rest of a batch, as it cancels a single render."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from handout_app.domain import selection_to_dict
from handout_app.worker import HEADER, encode_batch, encode_request
from handout_app.worker_client import WorkerProcess

from .helpers import GENERATED_AT, make_selection
from .test_worker_cancel import Worker, wait_until_started

ROOT = Path(__file__).resolve().parents[1]


def request(
    request_id: str, output_format: str = "html", *, reply_data: bool = True, name: str = "Batch Test"
) -> bytes:
    selection = selection_to_dict(make_selection(name=name))
    return encode_request(
        request_id, selection, None, GENERATED_AT.isoformat(), output_format=output_format, reply_data=reply_data
    )


def slow_worker(tmp_path: Path) -> WorkerProcess:
    """A worker whose request with an id starting "slow" spins for two minutes (tests/slow_worker.py)."""
    return WorkerProcess(
        {"PYTHONPATH": str(ROOT), "SLOW_WORKER_STARTED": str(tmp_path / "started")},
        command=[sys.executable, str(ROOT / "tests" / "slow_worker.py")],
    )


def test_a_batch_is_answered_once_per_request_in_order_with_bytes_only_where_asked(tmp_path: Path) -> None:
    worker = slow_worker(tmp_path)
    try:
        batch = [request("a"), request("b", reply_data=False), request("c", "pdf", reply_data=False), request("d")]
        worker.send(encode_batch(batch), replies=len(batch))
        replies = [worker.receive() for _ in batch]
        assert [reply["id"] for reply, _ in replies] == ["a", "b", "c", "d"]
        assert all(reply["ok"] and reply["render_cpu_s"] > 0 for reply, _ in replies)
        assert [data[:15] for _, data in replies] == [b"<!DOCTYPE html>", b"", b"", b"<!DOCTYPE html>"]
        reply, pdf = worker.render(request("e", "pdf"))  # a single request after a batch, as before
        assert reply["id"] == "e" and pdf.startswith(b"%PDF")
    finally:
        worker.stop()


def test_each_render_of_a_batch_is_held_to_the_time_limit_on_its_own(tmp_path: Path) -> None:
    worker = slow_worker(tmp_path)
    try:
        batch = [request("first"), request("slow-second"), request("third")]
        worker.send(encode_batch(batch), timeout=5, replies=len(batch))
        first, _ = worker.receive()
        second, _ = worker.receive()
        assert first["id"] == "first" and first["ok"]
        assert second["error_kind"] == "limit" and "took longer than 5 seconds" in second["error"]
        assert worker.stopped and worker.job is None  # killed: the third gets no reply, the caller sends it again
        reply, _ = worker.render(request("again"))  # in a fresh worker
        assert reply["id"] == "again" and reply["ok"]
    finally:
        worker.stop()


def test_a_newer_request_cancels_the_rest_of_a_batch(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SLOW_WORKER_STARTED": str(tmp_path / "started")}
    worker = Worker([sys.executable, str(ROOT / "tests" / "slow_worker.py")], env)
    try:
        assert worker.process.stdin is not None
        for payload in (encode_batch([request("slow-1"), request("two"), request("three")]), request("newer")):
            worker.process.stdin.write(HEADER.pack(len(payload)) + payload)
            worker.process.stdin.flush()
            if payload.startswith(b'{"batch"'):
                wait_until_started(tmp_path)
        replies = [worker.reply() for _ in range(4)]
        assert [reply["id"] for reply, _ in replies] == ["slow-1", "two", "three", "newer"]
        assert [reply["error_kind"] for reply, _ in replies[:3]] == ["cancelled"] * 3
        assert replies[3][0]["ok"] and replies[3][1].startswith(b"<!DOCTYPE html>")
    finally:
        worker.process.kill()
        worker.process.communicate()
