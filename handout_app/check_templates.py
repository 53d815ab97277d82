"""`handout-app check-templates DIR`: load a clinic's template set, render every common combination,
and report each problem with its file, line or item id and a hint on how to fix it.

"Clean" means every sheet renders: every procedure combination as HTML on every side, in every
language, print size and paper, and a covering subset all the way to PDF (check_plan.py chooses them).

Renders run in worker processes (the same ones the window and the CLI use) under the limits in
limits.py, so a runaway template is reported instead of hanging the check.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import itertools
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

from .catalog import (
    LANGUAGES,
    SelectionRefused,
    select,
)
from .check_plan import FACTOR_SETS, Job, combinations, procedures
from .claims import item_problems
from .clinic import LANGUAGE_NAMES, LOCALIZED_FIELDS
from .document_numbers import EXAMPLE_NUMBER
from .domain import (
    Intent,
    default_intent,
    selection_to_dict,
)
from .errors import SetError
from .limits import RENDER_TIME_LIMIT_S
from .readability import item_wording, reading_problem
from .template_set import TemplateSet, load_template_set
from .templating import templates_reading
from .wording_approval import ApprovalCheck, ApprovalState, builtin_review, check_approval
from .worker import encode_batch, encode_request
from .worker_client import WorkerProcess

DEFAULT_TIMEOUT_S = RENDER_TIME_LIMIT_S
# After this many renders stopped by the time or memory limit (or far too slow), the rest would only repeat it.
MAX_RUNAWAYS = 2
# A sheet slower than this (seconds) is reported: the built-in sheets take well under a tenth of it.
SLOW_RENDER_S = {"html": 0.5, "pdf": 10.0}
# HTML sheets are sent to a worker this many at a time (worker.encode_batch): a round trip per sheet (JSON,
# pipes, waking two threads on each side, the clinic folder's stamp) made each take about an eighth longer
# (5.5 against 4.8 ms for the example clinic). Few enough that the workers end within a few sheets together.
HTML_BATCH = 32
# The whole check may take this long (seconds); it takes under a minute for a sound set on two cores.
CHECK_BUDGET_S = 600.0


@dataclass
class Problem:
    """One distinct problem, and the combinations it showed up in."""

    where: str
    message: str
    hint: str
    combinations: list[str] = field(default_factory=list)


def hint_for(message: str) -> str:
    """A plain fix for the usual kinds of template problem."""
    lowered = message.lower()
    if "undefined" in lowered or "has no attribute" in lowered or "check the spelling" in lowered:
        return (
            "Check the spelling of the name. The names a template may use are listed in the README (Clinic templates)."
        )
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
    if "too long for the footer" in lowered:
        return (
            "Shorten 'name' in clinic.toml, or 'template_set_name' or the [approval] name and role: every page's "
            "footer prints them, and in large print (14 pt) it holds about five lines."
        )
    return "Fix the line named, then run check-templates again."


def longest_print_time() -> dt.datetime:
    """This year's 30 September at 23:59: the print time every sheet's footer spells longest in each language
    ("30 Sep 2026 23:59", "30 sept 2026 23:59"), so a footer that fits when checked fits on any day of the year."""
    now = dt.datetime.now().astimezone()
    return now.replace(month=9, day=30, hour=23, minute=59, second=0, microsecond=0)


def render_all(
    folder: Path, jobs: list[Job], timeout: float, workers: int, pool: list[WorkerProcess] | None = None
) -> list[tuple[str, dict[str, Any]]]:
    """Render each job in worker processes, one per thread; returns (label, reply) in completion order.
    `pool`: workers started earlier (their start-up overlaps the text checks); stopped here when done.

    HTML sheets go to a worker up to HTML_BATCH at a time (worker.encode_batch), PDFs one at a time; every
    reply says only ok or the error (the check needs no sheet's bytes). Each render is still held to
    `timeout` on its own, and judged by its own CPU seconds."""
    pending = list(jobs)
    results: list[tuple[str, dict[str, Any]]] = []
    lock = threading.Lock()  # guards pending, results and runaways
    runaways = 0
    failures: list[BaseException] = []
    begun = time.monotonic()
    count = max(1, min(workers, len(jobs)))

    def next_batch() -> list[Job]:
        with lock:
            if not pending or runaways >= MAX_RUNAWAYS or time.monotonic() - begun >= CHECK_BUDGET_S:
                return []
            # Smaller batches near the end, so no worker is left with a long one while the others wait.
            size = 1 if pending[0].output_format == "pdf" else max(1, min(HTML_BATCH, len(pending) // count))
            batch = list(itertools.takewhile(lambda job: job.output_format == "html", pending[:size])) or [pending[0]]
            del pending[: len(batch)]
            return batch

    def run(worker: WorkerProcess) -> None:
        try:
            render_jobs(worker)
        except BaseException as exc:  # a worker that cannot start: raised again in the calling thread
            failures.append(exc)

    def render_jobs(worker: WorkerProcess) -> None:
        nonlocal runaways
        while batch := next_batch():
            requests = [
                encode_request(
                    job.label,
                    selection_to_dict(job.selection),
                    str(folder),
                    longest_print_time().isoformat(),
                    output_format=job.output_format,
                    # The PDFs carry a document number, as a handed-out sheet does, so a clinic style that would
                    # hide it (or push it off a page) is found here, not at the nurse's Print.
                    document_number=EXAMPLE_NUMBER if job.output_format == "pdf" else "",
                    reply_data=False,
                )
                for job in batch
            ]
            # A render past the time limit is killed and named; so is the rest of its batch sent again.
            worker.send(requests[0] if len(batch) == 1 else encode_batch(requests), timeout=timeout, replies=len(batch))
            for position, job in enumerate(batch):
                reply, _ = worker.receive()
                if reply.get("error_kind") == "cancelled":  # the worker ended before this sheet: again, in a new one
                    requeue(worker, batch[position:])
                    break
                # The sheet's own work (CPU seconds in the worker), not the wall clock: a loaded machine or the
                # worker's first read of the clinic's set must not pass for a slow template.
                took = float(reply.get("render_cpu_s", 0.0))
                if reply.get("ok") and took > SLOW_RENDER_S[job.output_format]:
                    # Under the limit, but a nurse would wait this long for every preview, and the check itself
                    # would run for hours: report it, and stop after a few.
                    reply = {
                        "ok": False,
                        "error_kind": "limit",
                        "error": (
                            f"A sheet took {took:.1f} seconds of work to render ({job.output_format.upper()}); "
                            f"a handout takes under {SLOW_RENDER_S[job.output_format]:g}. A loop "
                            "in the clinic's templates does far too much work."
                        ),
                    }
                with lock:
                    runaways += reply.get("error_kind") == "limit"
                    results.append((job.label, reply))
                if reply.get("error_kind") == "limit" and position + 1 < len(batch):
                    # The worker would go on with the rest of the batch, as slowly: it is stopped (a new one
                    # renders them, unless the runaways are enough to end the check).
                    requeue(worker, batch[position + 1 :])
                    break

    def requeue(worker: WorkerProcess, jobs: list[Job]) -> None:
        worker.stop()  # no reply of this batch is left to read; the next send() starts a fresh worker
        with lock:
            pending[:0] = jobs

    pool = pool or [WorkerProcess(wait=False) for _ in range(count)]
    try:
        # Started together, so their start-ups (Python, WeasyPrint, the content) overlap.
        threads = [threading.Thread(target=run, args=(worker,), daemon=True) for worker in pool[:count]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if failures:
            raise failures[0]
    finally:
        for worker in pool:
            worker.stop()
    for job in pending:
        results.append((job.label, {"ok": None, "error": ""}))  # skipped after repeated runaways
    return results


def clinic_text_problems(template_set: TemplateSet) -> list[Problem]:
    """clinic.toml texts (department, address, opening hours, emergency line) that lack a language the
    handout is printed in: such a sheet prints the English text instead."""
    where = (template_set.clinic.folder / "clinic.toml") if template_set.clinic.folder else Path("clinic.toml")
    problems = []
    for key in LOCALIZED_FIELDS:
        for language in template_set.clinic.missing_languages(key, LANGUAGES):
            name = LANGUAGE_NAMES.get(language, language)
            problems.append(
                Problem(
                    f"{where}, '{key}'",
                    f"has no {name} ({language}) text; {name} handouts print the English text instead.",
                    f'Give the text per language, e.g. {key} = {{ en = "...", {language} = "..." }} '
                    f"(the same words in both if they read the same).",
                )
            )
    return problems


def approval_problems(template_set: TemplateSet, check: ApprovalCheck) -> list[Problem]:
    """The wording sign-off in clinic.toml no longer matches the set: it must be approved again."""
    approval = check.approval
    if check.state is not ApprovalState.CHANGED or approval is None:
        return []
    where = (template_set.clinic.folder / "clinic.toml") if template_set.clinic.folder else Path("clinic.toml")
    return [
        Problem(
            f"{where}, [approval]",
            f"the wording was approved by {approval.name} ({approval.role}) on {approval.date.isoformat()}, but it has "
            f"changed since (approved {approval.content_hash}, now {check.current_hash}); it must be approved again. "
            "Until then the handouts' footers do not say it is approved.",
            "Have the wording approved again, then put the new name, role and "
            f'date in [approval] with content_hash = "{check.current_hash}".',
        )
    ]


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
                problems.append(
                    Problem(
                        f"{item.source}, item '{item.id}'",
                        f"has new wording in some languages but not in {', '.join(unchanged)}; "
                        "those sheets would still print the built-in wording.",
                        f"Add text.{unchanged[0]} with the same change.",
                    )
                )
        for language in LANGUAGES:
            if language not in item.text or (item.title and language not in item.title):
                problems.append(
                    Problem(
                        f"{item.source}, item '{item.id}'",
                        f"has no wording in '{language}'; a {language} handout with this item would not print.",
                        f"Add text.{language} (and title.{language} if the "
                        "item has a title), or switch the item off for now.",
                    )
                )
                continue
            problem = reading_problem(item_wording(item.title.get(language, ""), item.text[language]), language)
            if problem:
                problems.append(Problem(f"{item.source}, item '{item.id}' ({language})", problem, hint_for("grade")))
    return problems


def claims_problems(template_set: TemplateSet) -> list[Problem]:
    """Items the clinic changed or added whose figures, frequency words or times no cited fact holds
    (claims.py), and items of its own that cite no facts at all."""
    problems = []
    ledger = template_set.catalog.ledger
    for item in template_set.catalog.items:
        if not item.source.startswith("content/"):
            continue  # built-in wording is checked by the project's own tests
        for message in item_problems(item, ledger, LANGUAGES):
            problems.append(
                Problem(
                    f"{item.source}, item '{item.id}'",
                    message.split(" ", 2)[-1],
                    "Each figure, frequency word (common, rare, often...) "
                    "and time (hours, days...) on the sheet must come "
                    "from a fact: add it with its source to content/claims.toml in the clinic folder and list its id "
                    "in the item's facts = [...].",
                )
            )
    return problems


def duplicate_heading_problems(template_set: TemplateSet, clinic_items_only: bool = True) -> list[Problem]:
    """Two items of the clinic's that print the same heading twice in one section of one sheet (a copy
    of the example clinic gave two steroid-card rows under a doubled heading). In the aftercare
    timeline, items with the same heading next to each other share it, so only a repeat further down
    counts there. Pairs of built-in items are the project's own tests' business."""
    found: dict[tuple[str, str], Problem] = {}
    catalog = template_set.catalog
    for label, procedure in procedures():
        intents = [None] if default_intent(procedure.medications) else list(Intent)
        for (factor_name, factors), intent in itertools.product(FACTOR_SETS, intents):
            try:
                content = select(catalog, replace(procedure, factors=factors, intent=intent))
            except SelectionRefused:
                continue
            for section, items in content.sections.items():
                if clinic_items_only and not any(item.source.startswith("content/") for item in items):
                    continue  # no item of the clinic's here: nothing this check reports
                for language in LANGUAGES:
                    first_with: dict[str, Any] = {}
                    previous = ""
                    for item in items:
                        title = item.title.get(language, "")
                        earlier = first_with.get(title)
                        shared = section == "after" and previous == title
                        if (
                            title
                            and earlier is not None
                            and not shared
                            and (
                                not clinic_items_only
                                or item.source.startswith("content/")
                                or earlier.source.startswith("content/")
                            )
                        ):
                            key = (section, item.id)  # one report per item, whatever the language
                            problem = found.setdefault(
                                key,
                                Problem(
                                    f"{item.source}, item '{item.id}'",
                                    f"prints the heading '{title}' a second time in section '{section}' ({language}), "
                                    f"after item '{earlier.id}' ({earlier.source}).",
                                    "Give it its own heading, or place it right after the other item "
                                    f'(after = "{earlier.id}") '
                                    "if it belongs under the same heading"
                                    + (" (aftercare rows then share it)." if section == "after" else "."),
                                ),
                            )
                            problem.combinations.append(
                                f"{label}; {factor_name}" + (f", purpose {intent.value}" if intent else "")
                            )
                        first_with.setdefault(title, item)
                        previous = title
    return list(found.values())


def _check(
    folder: Path, out: TextIO, timeout: float, pool: list[WorkerProcess]
) -> tuple[list[Problem], list[Job], list[tuple[str, dict[str, Any]]]] | None:
    """Load the set and report what it is, check its texts, and render every sheet with `pool`: the text
    problems, the sheets and the replies; None (reported) if the set does not load."""
    try:
        template_set = load_template_set(folder)
    except SetError as exc:
        print(f"PROBLEM {exc}\n  Fix: {hint_for(str(exc))}", file=out)
        print("Result: 1 problem. Nothing was rendered: fix this first, then run check-templates again.", file=out)
        return None
    print(f"Template set: {template_set.trace}  (printed in every handout's footer)", file=out)
    approval = check_approval(template_set.clinic, template_set.catalog.version)
    print(
        f"Wording hash: {approval.current_hash}  (put it in clinic.toml's "
        "[approval] content_hash once the wording is approved)",
        file=out,
    )
    signed = approval.approval
    print(
        "Approval: "
        + {
            ApprovalState.NONE: "none in clinic.toml; handouts do not say the wording is approved.",
            ApprovalState.APPROVED: f"approved by {signed.name} ({signed.role}) on {signed.date.isoformat()}; "
            "unchanged since, and every handout's footer says so."
            if signed
            else "",
            ApprovalState.CHANGED: f"approved by {signed.name} ({signed.role}) on {signed.date.isoformat()}, "
            "but the wording has changed since (see below)."
            if signed
            else "",
        }[approval.state],
        file=out,
    )
    print(f"Built-in wording {template_set.catalog.version}: {builtin_review()}", file=out)
    # A set whose templates never read the paper makes the same HTML on A4 and Letter: it is made once.
    paper_readers = templates_reading(template_set.env, "paper")
    if paper_readers:
        print(f"HTML on each paper: {', '.join(paper_readers)} may read the paper.", file=out)
    jobs = combinations(template_set.catalog, html_per_paper=bool(paper_readers))
    # The wording is checked on a thread of its own while the sheets render: the workers need not wait for it.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as checking:
        text_problems = checking.submit(_text_problems, template_set, approval)
        replies = render_all(folder, jobs, timeout, len(pool), pool)
        return text_problems.result(), jobs, replies


def _text_problems(template_set: TemplateSet, approval: ApprovalCheck) -> list[Problem]:
    """The problems found without rendering: texts, sign-off, figures, readability and repeated headings."""
    return (
        clinic_text_problems(template_set)
        + approval_problems(template_set, approval)
        + claims_problems(template_set)
        + readability_problems(template_set)
        + duplicate_heading_problems(template_set)
    )


def run_check(folder: Path, out: TextIO, timeout: float = DEFAULT_TIMEOUT_S, workers: int | None = None) -> int:
    """Check the set in `folder`, write the report to `out`; return 0 when clean, 2 otherwise."""
    print(f"Checking the template set in {folder}", file=out)
    # Started first, so that their start-up (Python, WeasyPrint, the built-in content) overlaps the loading of
    # the set, the text checks and the choice of sheets; stopped at once if the set does not load.
    pool = [WorkerProcess(wait=False) for _ in range(max(1, workers or os.cpu_count() or 1))]
    try:
        checked = _check(folder, out, timeout, pool)
    finally:
        for worker in pool:
            worker.stop()
    if checked is None:
        return 2
    problems, jobs, results = checked
    by_message: dict[str, Problem] = {}
    skipped = 0
    for label, reply in results:
        if reply.get("ok") is None:
            skipped += 1
            continue
        if reply.get("ok") or reply.get("error_kind") == "refused":
            continue  # a refused mix is refused with the built-in wording too: not the clinic's problem
        error = str(reply.get("error", ""))
        where, _, message = (
            error.partition(": ") if error.startswith(("/", "content/", "templates/")) else ("", "", error)
        )
        problem = by_message.setdefault(error, Problem(where or "render", message or error, hint_for(error)))
        problem.combinations.append(label)
    problems += list(by_message.values())
    rendered = len(jobs) - skipped
    clean = sum(1 for _, reply in results if reply.get("ok"))
    pdfs = sum(1 for job in jobs if job.output_format == "pdf")
    papers = {job.selection.paper for job in jobs if job.output_format == "html"}
    print(
        f"Rendered {rendered} of {len(jobs)} sheets: {clean} clean. Every target x guidance x medication "
        f"on every side, language, print size and paper as HTML"
        + ("" if len(papers) > 1 else " (once for both papers: no template reads the paper)")
        + f", with the patient factors, consent copy and archival in rotation; {pdfs} of them to PDF.",
        file=out,
    )
    if skipped:
        problems.append(
            Problem(
                "check-templates",
                f"{skipped} sheets were not checked: renders were stopped by the time or memory limit "
                f"or were far too slow, or the check ran past {CHECK_BUDGET_S / 60:.0f} minutes.",
                "Fix the slow or runaway template named above, then run check-templates again.",
            )
        )
    for problem in problems:
        seen = (
            f"  Seen in {len(problem.combinations)} combination(s), e.g. {problem.combinations[0]}."
            if problem.combinations
            else ""
        )
        print(
            f"PROBLEM {problem.where}: {problem.message}\n  Fix: {problem.hint}" + (f"\n{seen}" if seen else ""),
            file=out,
        )
    if problems:
        print(f"Result: {len(problems)} problem(s).", file=out)
        return 2
    print(
        "Result: clean. Every combination rendered; every changed item is in every language and reads plainly.",
        file=out,
    )
    return 0


def list_items(folder: Path, out: TextIO) -> int:
    """Print every item's id, section and where its wording comes from (built in or the clinic)."""
    template_set = load_template_set(folder)
    for item in template_set.catalog.items:
        when = ", ".join(f"{k}={'/'.join(v) if isinstance(v, list) else v}" for k, v in item.when.items()) or "always"
        print(f"{item.section:<13} {item.id:<34} {item.source:<26} {when}", file=out)
    return 0
