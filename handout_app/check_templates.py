"""`handout-app check-templates DIR`: load a clinic's template set, render every common combination,
and report each problem with its file, line or item id and a hint on how to fix it.

Renders run in worker processes (the same ones the window uses) with a time limit and a memory
limit, so a runaway template is reported instead of hanging the check.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import selectors
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .catalog import LANGUAGES, CatalogError
from .clinic import ClinicError
from .domain import Guidance, Medication, PatientDetails, Selection, Side, Target, selection_to_dict
from .readability import item_wording, reading_problem
from .template_set import TemplateSet, load_template_set
from .templating import TemplateProblem
from .worker import HEADER, READY_ID, encode_request, read_frame

DEFAULT_TIMEOUT_S = 20.0
# After this many renders stopped by the time or memory limit, the rest would only repeat it.
MAX_RUNAWAYS = 2
COMMON_MIXES: tuple[frozenset[Medication], ...] = (
    frozenset({Medication.ANESTHETIC, Medication.CORTICOSTEROID}),
    frozenset({Medication.ANESTHETIC, Medication.HYALURONIC_ACID}),
    frozenset({Medication.ANESTHETIC, Medication.PRP}),
)


@dataclass
class Problem:
    """One distinct problem, and the combinations it showed up in."""

    where: str
    message: str
    hint: str
    combinations: list[str] = field(default_factory=list)


def combinations() -> list[tuple[str, Selection]]:
    """Every target x guidance (fluoroscopy with and without contrast) x single medication and common mix."""
    guidance = [(g, False) for g in Guidance] + [(Guidance.FLUOROSCOPY, True)]
    medications = [frozenset({m}) for m in Medication] + list(COMMON_MIXES)
    result = []
    for target, (method, contrast), meds in itertools.product(Target, guidance, medications):
        label = f"{target.value}, {method.value}{' with contrast' if contrast else ''}, {' + '.join(sorted(m.value for m in meds))}"
        selection = Selection(
            target=target, medications=meds, guidance=method, contrast=contrast, side=Side.RIGHT,
            patient=PatientDetails(name="Template Check", procedure_date=dt.date(2026, 1, 15)),
        )
        result.append((label, selection))
    return result


def hint_for(message: str) -> str:
    """A plain fix for the usual kinds of template problem."""
    lowered = message.lower()
    if "undefined" in lowered or "has no attribute" in lowered:
        return "Check the spelling of the name. The names a template may use are listed in the README (Clinic templates)."
    if "unsafe" in lowered or "security" in lowered or "access to attribute" in lowered:
        return "Templates may not reach Python internals. Use only the names listed in the README."
    if "refused to load" in lowered:
        return "Put the file inside the clinic folder and link to it relatively, e.g. assets/logo.png."
    if "longer than" in lowered or "memory" in lowered:
        return "A loop, repeat or macro that never ends (or makes huge text). Remove it or make it smaller."
    if "not found" in lowered:
        return "Check the template's name and path; built-in ones are reached as builtin/<path>."
    if "grade" in lowered:
        return "Use shorter sentences and everyday words (aim for grade 6)."
    return "Fix the line named, then run check-templates again."


class _Worker:
    """One render worker process, used one request at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "handout_app.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.process.stdout is not None
        header = read_frame(self.process.stdout)
        read_frame(self.process.stdout)
        if header is None or json.loads(header).get("id") != READY_ID:
            raise RuntimeError("the render worker did not start")
        self.job: tuple[str, float] | None = None  # (combination label, deadline)

    def send(self, payload: bytes, label: str, timeout: float) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(HEADER.pack(len(payload)) + payload)
        self.process.stdin.flush()
        self.job = (label, time.monotonic() + timeout)

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        header = read_frame(self.process.stdout)
        read_frame(self.process.stdout)
        self.job = None
        if header is None:
            return {"ok": False, "error": "The render process stopped (it may have run out of memory)."}
        return json.loads(header)

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()


def render_all(folder: Path, jobs: list[tuple[str, Selection]], timeout: float, workers: int) -> list[tuple[str, dict[str, Any]]]:
    """Render each job in worker processes; returns (label, reply) in completion order."""
    pending = list(jobs)
    results: list[tuple[str, dict[str, Any]]] = []
    pool = [_Worker() for _ in range(max(1, min(workers, len(jobs))))]
    selector = selectors.DefaultSelector()
    runaways = 0
    try:
        while pending or any(w.job for w in pool):
            for index, worker in enumerate(pool):
                if worker.job is None and pending and runaways < MAX_RUNAWAYS:
                    label, selection = pending.pop(0)
                    payload = encode_request(label, selection_to_dict(selection), str(folder), "2026-01-15T09:00:00+00:00")
                    worker.send(payload, label, timeout)
                    selector.register(worker.process.stdout, selectors.EVENT_READ, index)  # type: ignore[arg-type]
            if not any(w.job for w in pool):
                break
            deadline = min(w.job[1] for w in pool if w.job)
            for key, _ in selector.select(max(0.0, deadline - time.monotonic())):
                worker = pool[key.data]
                label = worker.job[0] if worker.job else ""
                selector.unregister(key.fileobj)
                reply = worker.receive()
                if not reply.get("ok") and ("more memory" in reply.get("error", "") or "process stopped" in reply.get("error", "")):
                    runaways += 1
                results.append((label, reply))
            for index, worker in enumerate(pool):
                if worker.job and time.monotonic() >= worker.job[1]:
                    label = worker.job[0]
                    selector.unregister(worker.process.stdout)  # type: ignore[arg-type]
                    worker.stop()
                    runaways += 1
                    results.append((label, {"ok": False, "error": f"The render took longer than {timeout:g} seconds and was stopped."}))
                    pool[index] = _Worker()
        for label, _ in pending:
            results.append((label, {"ok": None, "error": ""}))  # skipped after repeated runaways
    finally:
        for worker in pool:
            worker.stop()
    return results


def readability_problems(template_set: TemplateSet) -> list[Problem]:
    """Items the clinic changed or added that miss a language the handout is printed in, or read too hard."""
    problems = []
    builtin = {item.id: item for item in load_template_set(None).catalog.items}
    for item in template_set.catalog.items:
        if not item.source.startswith("content/"):
            continue  # built-in wording is checked by the project's own tests
        original = builtin.get(item.id)
        if original is not None and original.text != item.text:
            unchanged = [lang for lang in LANGUAGES if item.text.get(lang) == original.text.get(lang)]
            if unchanged and len(unchanged) < len(LANGUAGES):
                problems.append(Problem(
                    f"{item.source}, item '{item.id}'",
                    f"has new wording in some languages but not in {', '.join(unchanged)}; those sheets would still print the built-in wording.",
                    f"Add text.{unchanged[0]} with the same change.",
                ))
        for language in LANGUAGES:
            if language not in item.text or (item.title and language not in item.title):
                problems.append(Problem(
                    f"{item.source}, item '{item.id}'",
                    f"has no wording in '{language}'; a {language} handout with this item would not print.",
                    f"Add text.{language} (and title.{language} if the item has a title), or switch the item off for now.",
                ))
                continue
            problem = reading_problem(item_wording(item.title.get(language, ""), item.text[language]), language)
            if problem:
                problems.append(Problem(f"{item.source}, item '{item.id}' ({language})", problem, hint_for("grade")))
    return problems


def run_check(folder: Path, out: TextIO, timeout: float = DEFAULT_TIMEOUT_S, workers: int | None = None) -> int:
    """Check the set in `folder`, write the report to `out`; return 0 when clean, 2 otherwise."""
    print(f"Checking the template set in {folder}", file=out)
    try:
        template_set = load_template_set(folder)
    except (ClinicError, CatalogError, TemplateProblem) as exc:
        print(f"PROBLEM {exc}\n  Fix: {hint_for(str(exc))}", file=out)
        print("Result: 1 problem. Nothing was rendered: fix this first, then run check-templates again.", file=out)
        return 2
    print(f"Template set: {template_set.trace}  (printed in every handout's footer)", file=out)
    problems = readability_problems(template_set)
    jobs = combinations()
    results = render_all(folder, jobs, timeout, workers or os.cpu_count() or 1)
    by_message: dict[str, Problem] = {}
    skipped = 0
    for label, reply in results:
        if reply.get("ok") is None:
            skipped += 1
            continue
        if reply.get("ok"):
            continue
        error = str(reply.get("error", ""))
        where, _, message = error.partition(": ") if error.startswith(("/", "content/", "templates/")) else ("", "", error)
        problem = by_message.setdefault(error, Problem(where or "render", message or error, hint_for(error)))
        problem.combinations.append(label)
    problems += list(by_message.values())
    rendered = len(jobs) - skipped
    clean = sum(1 for _, reply in results if reply.get("ok"))
    print(f"Rendered {rendered} of {len(jobs)} combinations (target x guidance x medication): {clean} clean.", file=out)
    if skipped:
        print(f"Skipped {skipped} combinations after {MAX_RUNAWAYS} renders were stopped by the time or memory limit.", file=out)
    for problem in problems:
        seen = f"  Seen in {len(problem.combinations)} combination(s), e.g. {problem.combinations[0]}." if problem.combinations else ""
        print(f"PROBLEM {problem.where}: {problem.message}\n  Fix: {problem.hint}" + (f"\n{seen}" if seen else ""), file=out)
    if problems:
        print(f"Result: {len(problems)} problem(s).", file=out)
        return 2
    print("Result: clean. Every combination rendered; every changed item is in every language and reads plainly.", file=out)
    return 0


def list_items(folder: Path, out: TextIO) -> int:
    """Print every item's id, section and where its wording comes from (built in or the clinic)."""
    template_set = load_template_set(folder)
    for item in template_set.catalog.items:
        when = ", ".join(f"{k}={'/'.join(v) if isinstance(v, list) else v}" for k, v in item.when.items()) or "always"
        print(f"{item.section:<13} {item.id:<34} {item.source:<26} {when}", file=out)
    return 0
