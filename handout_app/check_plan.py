"""Which sheets check-templates renders: every procedure (target x guidance x medicines) on every side, in
every language, print size and paper as HTML (once for both papers when no template reads the paper), with
the patient factors, purposes, consent copy and archival output in rotation; and a covering subset as PDF,
chosen so that every item the set can print appears in at least one PDF in each print size
(check_templates.py renders them and reports)."""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from .catalog import LANGUAGES, Catalog, ContentItem, Rule, conditions_match, select, selection_facts
from .choices import Factor
from .domain import (
    Allergy,
    AllergyKind,
    Guidance,
    Intent,
    Medication,
    Paper,
    PatientDetails,
    PatientFactors,
    Selection,
    Side,
    Target,
    default_intent,
)
from .template_set import load_template_set

# Names the check prints on its sheets, so a template cannot tell a check from a real sheet by the name.
CHECK_NAMES = ("Maria Lopez", "James Okafor", "Anna Kowalska", "Chen Wei", "Fatima Haddad", "Olga Petrova", "Tom Ng")
CHECK_CLINICIANS = ("Dr Sam Rivera", "Dr A. Osei", "Nurse Practitioner Kim Lee", "")
CHECK_RECORD_NUMBERS = ("{n}", "MRN-{n}", "H{n}X", "")
# Local anesthetic with each other medicine of the registry (choices.py), as clinics give them.
COMMON_MIXES: tuple[frozenset[Medication], ...] = tuple(
    frozenset({Medication.ANESTHETIC, medicine}) for medicine in Medication if medicine is not Medication.ANESTHETIC
)


# The patient factors in rotation: none, each alone, and all at once with every kind of allergy.
# Every factor of the registry (choices.py), so a new one is checked without a line here.
FACTOR_SETS: tuple[tuple[str, PatientFactors], ...] = (
    ("no factors", PatientFactors()),
    *((factor.value.replace("-", " "), PatientFactors(present=(factor,))) for factor in Factor),
    (
        "every factor and allergy",
        PatientFactors(
            present=tuple(Factor),
            allergies=tuple(Allergy(kind, "latex" if kind is AllergyKind.OTHER else "") for kind in AllergyKind),
        ),
    ),
)


@dataclass(frozen=True)
class Job:
    """One sheet to render: what to call it in the report, the selection, and HTML or PDF."""

    label: str
    selection: Selection
    output_format: str


def procedures() -> list[tuple[str, Selection]]:
    """Every target x guidance (fluoroscopy with and without contrast) x single medication and common mix."""
    guidance = [(g, False) for g in Guidance] + [(Guidance.FLUOROSCOPY, True)]
    medications = [frozenset({m}) for m in Medication] + list(COMMON_MIXES)
    result: list[tuple[str, Selection]] = []
    for target, (method, contrast), meds in itertools.product(Target, guidance, medications):
        label = (
            f"{target.value}, {method.value}{' with contrast' if contrast else ''}, "
            f"{' + '.join(sorted(m.value for m in meds))}"
        )
        selection = Selection(
            target=target,
            medications=meds,
            guidance=method,
            contrast=contrast,
            side=Side.RIGHT,
            # Details vary from sheet to sheet, in every format a clinic uses, so that a template cannot
            # tell a check from a real sheet by them.
            patient=PatientDetails(
                name=CHECK_NAMES[len(result) % len(CHECK_NAMES)],
                mrn=CHECK_RECORD_NUMBERS[len(result) % len(CHECK_RECORD_NUMBERS)].format(n=48213 + len(result) * 7919),
                clinician=CHECK_CLINICIANS[len(result) % len(CHECK_CLINICIANS)],
                date_of_birth=dt.date(1940 + len(result) % 45, 1 + len(result) % 12, 1 + len(result) % 28)
                if len(result) % 5
                else None,
                procedure_date=dt.date.today() + dt.timedelta(days=len(result) % 3) if len(result) % 4 else None,
            ),
        )
        result.append((label, selection))
    return result


def _edition(
    label: str, selection: Selection, index: int, side: Side, language: str, large: bool, paper: Paper | None
) -> tuple[str, Selection]:
    """One HTML sheet of the procedure, with the patient factors, purpose, consent copy and archival output
    chosen by `index` in rotation; `paper` None: a sheet whose HTML is the same on every paper."""
    factor_name, factors = FACTOR_SETS[index % len(FACTOR_SETS)]
    consent_copy, archival = index % 7 == 0, index % 11 == 0
    # Anesthetic with another medicine has no default purpose: each of the three is checked in rotation.
    intent = None if default_intent(selection.medications) else tuple(Intent)[index % len(Intent)]
    chosen = replace(
        selection,
        side=side,
        language=language,
        large_print=large,
        paper=paper or selection.paper,
        factors=factors,
        consent_copy=consent_copy,
        archival=archival,
        intent=intent,
    )
    return _describe(label, chosen, factor_name, paper_named=paper is not None), chosen


def combinations(catalog: Catalog | None = None, *, html_per_paper: bool = True) -> list[Job]:
    """Every sheet check-templates renders: all procedures x sides x languages x print sizes (x papers) as
    HTML (cheap), and a covering subset as PDF: every item the set can print (on any side, with any factor
    set and purpose) appears in at least one PDF in standard and one in large print, and so does every
    side, language, paper, factor set, consent copy and archival output.

    The PDF layout is what costs (each PDF takes as much work as a few hundred HTML sheets); the HTML of
    every sheet already shows every template error, so the PDFs need only reach every item and every
    edition once. `html_per_paper` False: the HTML once for both papers, for a set none of whose templates
    reads `paper` (templating.templates_reading), whose HTML is then the same on each (the app sets the
    paper's size itself, pdf.paper_css); the PDFs are still made on both."""
    every = procedures()
    jobs = _covering(every, catalog or load_template_set(None).catalog)
    papers: tuple[Paper | None, ...] = tuple(Paper) if html_per_paper else (None,)
    editions = list(itertools.product(Side, LANGUAGES, (False, True), papers))
    count = len(every)
    for label, selection in every:
        for side, language, large, paper in editions:
            jobs.append(Job(*_edition(label, selection, count, side, language, large, paper), "html"))
            count += 1
    return jobs


# What the candidate PDFs of one procedure and purpose differ in (catalog.selection_facts' names).
VARYING_FACTS = frozenset({"side", "factor"})


def _fact_names(when: dict[str, Any]) -> set[str]:
    """The selection facts a condition tests (catalog.conditions_match's keys)."""
    return {key.removeprefix("not_").removesuffix("_all") for key in when}


# A sheet the PDFs may include: the procedure (its label and selection), side, factor set and purpose.
_Sheet = tuple[str, Selection, Side, tuple[str, PatientFactors], Intent | None]


def _printable_sets(
    catalog: Catalog, every: list[tuple[str, Selection]]
) -> Iterator[tuple[str, Selection, Side, tuple[str, PatientFactors], Intent | None, frozenset[str]]]:
    """Every procedure on every side, with every factor set and purpose, that is not refused, with the ids of
    the items its sheet prints (catalog.select's choice). The items and rules that test neither the side nor
    the factors are matched once per procedure and purpose."""
    fixed_items: list[ContentItem] = []
    varying_items: list[ContentItem] = []
    fixed_rules: list[Rule] = []
    varying_rules: list[Rule] = []
    for item in catalog.items:
        (varying_items if _fact_names(item.when) & VARYING_FACTS else fixed_items).append(item)
    for rule in catalog.rules:
        if rule.level == "refuse":
            (varying_rules if _fact_names(rule.when) & VARYING_FACTS else fixed_rules).append(rule)
    sample = replace(every[0][1], intent=next(iter(Intent)))
    side_facts = {side: selection_facts(replace(sample, side=side))["side"] for side in Side}
    factor_facts = [selection_facts(replace(sample, factors=factors))["factor"] for _, factors in FACTOR_SETS]
    for label, procedure in every:
        for intent in [None] if default_intent(procedure.medications) else list(Intent):
            base = selection_facts(replace(procedure, intent=intent))
            if any(conditions_match(rule.when, base) for rule in fixed_rules):
                continue
            fixed = frozenset(item.id for item in fixed_items if conditions_match(item.when, base))
            for side, (factor_set, factor_values) in itertools.product(
                Side, zip(FACTOR_SETS, factor_facts, strict=True)
            ):
                facts = {**base, "side": side_facts[side], "factor": factor_values}
                if any(conditions_match(rule.when, facts) for rule in varying_rules):
                    continue  # refused: the HTML sheets report it if the built-in wording does not refuse it too
                yield (
                    label,
                    procedure,
                    side,
                    factor_set,
                    intent,
                    fixed | {item.id for item in varying_items if conditions_match(item.when, facts)},
                )


def _covering(every: list[tuple[str, Selection]], catalog: Catalog) -> list[Job]:
    """As few PDFs as the greedy choice finds (a PDF costs as much as a few hundred HTML sheets) that
    together print every item in both print sizes, on every side, with every factor set.

    Candidates are every procedure on every side, with every factor set and purpose, in either print size:
    what the items' conditions can tell apart. The language, paper, consent copy and archival output change
    no item, so they are given to the chosen sheets in turn afterwards: both languages and both papers in
    each print size (once there are two sheets of that size), one consent copy and one archival sheet."""
    # A candidate: (its items, its side and factor set, whether in large print, what it is).
    candidates: list[tuple[frozenset[str], frozenset[str], bool, _Sheet]] = []
    for label, procedure, side, factor_set, intent, items in _printable_sets(catalog, every):
        edition = frozenset({f"side:{side.value}", f"factors:{factor_set[0]}"})
        for large in (False, True):
            candidates.append((items, edition, large, (label, procedure, side, factor_set, intent)))
    wanted_items = {large: set().union(*(c[0] for c in candidates)) for large in (False, True)}
    wanted_editions = set().union(*(c[1] for c in candidates))
    # Each item or edition counts as 1 / the number of candidates that print it: one only a few sheets can
    # print (a test sheet for both hips) weighs more than one nearly every sheet prints, so the first choices
    # take the hard ones. Counted plainly, the first sheets took the most items and left some that only a
    # fifth sheet in each print size could print, where four hold them all.
    rarity = Counter(name for items, edition, _, _ in candidates for name in (*items, *edition))

    def gain(index: int) -> float:
        items, edition, large, _ = candidates[index]
        return sum(1 / rarity[name] for name in (*(items & wanted_items[large]), *(edition & wanted_editions)))

    # Greedy, lazily: a candidate's gain only shrinks as others are chosen, so the one on top of the heap
    # whose gain, counted again, still beats every other's last count is the best.
    heap = [(-gain(index), index) for index in range(len(candidates))]
    heapq.heapify(heap)
    chosen: list[tuple[bool, _Sheet]] = []
    while heap:
        _, index = heapq.heappop(heap)
        now = gain(index)
        if now == 0:
            continue
        if heap and now < -heap[0][0]:
            heapq.heappush(heap, (-now, index))
            continue
        items, edition, large, what = candidates[index]
        wanted_items[large] -= items
        wanted_editions.difference_update(edition)
        chosen.append((large, what))
    jobs = []
    for size in (False, True):
        sheets = [what for large, what in chosen if large == size]
        for turn, (label, procedure, side, (factor_name, factors), intent) in enumerate(sheets):
            selection = replace(
                procedure,
                side=side,
                factors=factors,
                intent=intent,
                large_print=size,
                language=LANGUAGES[turn % len(LANGUAGES)],
                paper=tuple(Paper)[turn // len(LANGUAGES) % len(Paper)],
                consent_copy=turn == 0 and not size,
                archival=turn == 0 and size,
            )
            jobs.append(Job(_describe(label, selection, factor_name), selection, "pdf"))
    # The sheets with the most items first: the longest renders start first, so no worker is left with one
    # at the end.
    return sorted(jobs, key=lambda job: -sum(len(items) for items in select(catalog, job.selection).sections.values()))


def _describe(label: str, selection: Selection, factor_name: str, *, paper_named: bool = True) -> str:
    """The name of a sheet in the report: the procedure, then its edition (`paper_named` False: an HTML
    sheet that stands for both papers)."""
    extras = [
        selection.side.value.upper(),
        selection.language,
        "large print" if selection.large_print else "standard print",
        selection.paper.value if paper_named else "either paper",
        factor_name,
    ]
    extras += [f"purpose {selection.intent.value}"] if selection.intent else []
    extras += ["consent copy"] * selection.consent_copy + ["archival"] * selection.archival
    return f"{label}; {', '.join(extras)}"
