"""A batch of requests in one frame (check-templates sends its HTML sheets so): one reply per request, in
order; a request may ask for no sheet bytes back; every render in a batch is still held to the time limit on
its own; a newer request cancels the rest of a batch, as it cancels a single render; and check-templates
renders again, in a fresh worker, the rest of a batch it had to stop."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from handout_app import check_templates
from handout_app.check_templates import Job, Problem, render_all, run_check
from handout_app.domain import selection_to_dict
from handout_app.template_set import TemplateSet
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


SLOW_FOR_ONE = (
    '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}\n{{ super() }}'
    "{% if patient.name == 'Slow Sheet' %}{% set ns = namespace(n=0) %}{% for i in range(200) %}"
    "{% for j in range(1000) %}{% set ns.n = ns.n + 1 %}{% endfor %}{% endfor %}{% endif %}\n{% endblock %}\n"
)


def test_check_templates_renders_the_rest_of_a_batch_it_stopped_at_a_slow_sheet(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text(SLOW_FOR_ONE)
    names = ["Quick One", "Quick Two", "Slow Sheet", "Quick Three", "Quick Four", "Quick Five"]
    jobs = [Job(name, make_selection(name=name), "html") for name in names]
    results = dict(render_all(clinic, jobs, timeout=60, workers=1))
    assert set(results) == set(names)  # every sheet has its reply: none skipped, none twice
    assert results["Slow Sheet"]["error_kind"] == "limit" and "far too much work" in results["Slow Sheet"]["error"]
    assert all(results[name]["ok"] for name in names if name != "Slow Sheet")


def test_a_check_that_stops_after_repeated_runaways_skips_the_rest(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text(SLOW_FOR_ONE.replace("== 'Slow Sheet'", ""))
    jobs = [Job(f"sheet {n}", make_selection(name=f"Patient {n}"), "html") for n in range(40)]
    results = render_all(clinic, jobs, timeout=60, workers=1)
    assert len(results) == 40
    assert sum(reply.get("error_kind") == "limit" for _, reply in results) == check_templates.MAX_RUNAWAYS
    assert sum(reply.get("ok") is None for _, reply in results) == 40 - check_templates.MAX_RUNAWAYS


def test_check_templates_starts_its_workers_before_the_text_checks(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    order: list[str] = []
    real_init = WorkerProcess.__init__
    real_readability = check_templates.readability_problems

    def init(self: WorkerProcess, *args: Any, **kwargs: Any) -> None:
        order.append("worker")
        real_init(self, *args, **kwargs)

    def readability(template_set: TemplateSet) -> list[Problem]:
        order.append("text checks")
        return real_readability(template_set)

    monkeypatch.setattr(WorkerProcess, "__init__", init)
    monkeypatch.setattr(check_templates, "readability_problems", readability)
    monkeypatch.setattr(
        check_templates, "combinations", lambda catalog=None, **_: [Job("one", make_selection(), "html")]
    )
    out = io.StringIO()
    assert run_check(clinic, out, workers=2) == 0, out.getvalue()
    assert order == ["worker", "worker", "text checks"]  # their start-up overlaps the text checks
    assert "Rendered 1 of 1 sheets: 1 clean" in out.getvalue()


def test_html_without_the_pdf_facts_is_the_same_html(clinic: Path) -> None:
    from handout_app.pdf import SheetFacts
    from handout_app.template_set import load_template_set

    template_set = load_template_set(clinic)
    full = template_set.render_html(make_selection(), GENERATED_AT)
    bare = template_set.render_html(make_selection(), GENERATED_AT, with_facts=False)
    assert bare.html == full.html and bare.title == full.title and bare.warnings == full.warnings
    assert bare.facts == SheetFacts() and full.facts.required_text  # only a PDF needs them (the worker's HTML replies)
