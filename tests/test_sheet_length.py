"""One concise sheet with the consent on one page, for every procedure on both papers and in both
languages (issue 10): laid out by WeasyPrint and measured page by page. Large print is measured on the
rotation that takes every procedure once, each paper and language in turn; `make bench` (bench/pages_words.py)
measures every large-print sheet.

Every procedure check-templates knows is rendered with every patient factor and allergy (the longest
sheet) and, where the medicines leave the purpose open, with both purposes (the longest wording).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from functools import lru_cache

import pytest

from handout_app.catalog import Catalog, load_catalog
from handout_app.check_plan import FACTOR_SETS, procedures
from handout_app.choices import LANGUAGES
from handout_app.domain import Intent, Medication, Paper

MAX_STANDARD_PAGES = 6
MAX_MEDIAN_PAGES = 5
MAX_LARGE_PRINT_RATIO = 2.2
MIN_PAGE_FILL = 1 / 3


@dataclass(frozen=True)
class Measured:
    """One laid-out sheet: which one, its page count, how full each page is, where the consent lies."""

    label: str
    paper: str
    large: bool
    language: str
    every_factor: bool
    pages: int
    fills: tuple[float, ...]
    consent_pages: tuple[int, ...]
    statement_pages: tuple[int, ...]
    signature_pages: tuple[int, ...]
    patient_signature_pages: tuple[int, ...]
    call_pages: tuple[int, ...]
    role_pages: tuple[frozenset[int], ...]  # each signing role (doctor, interpreter, patient, witness)


@lru_cache(maxsize=1)
def _catalog() -> Catalog:
    """The built-in content, read once in each process that lays sheets out (30 ms, 4% of a sheet)."""
    return load_catalog()


def _measure(job: tuple[str, str, bool, str, bool]) -> Measured:
    from handout_app.clinic import ClinicProfile
    from handout_app.layout_stats import page_fills, pages_holding, pages_of_each
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    label, paper, large, language, every_factor = job
    selection = dict(procedures())[label]
    if Medication.ANESTHETIC in selection.medications and len(selection.medications) > 1:
        selection = replace(selection, intent=Intent.BOTH)
    selection = replace(
        selection,
        paper=Paper(paper),
        large_print=large,
        language=language,
        factors=FACTOR_SETS[-1 if every_factor else 0][1],
    )
    rendered = render_html(selection, _catalog(), ClinicProfile(), dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC))
    document = lay_out(rendered.html, facts=rendered.facts)
    return Measured(
        label,
        paper,
        large,
        language,
        every_factor,
        len(document.pages),
        tuple(f.fill for f in page_fills(document)),
        tuple(sorted(pages_holding(document, "consent"))),
        tuple(sorted(pages_holding(document, "consent-statements"))),
        tuple(sorted(pages_holding(document, "signatures"))),
        tuple(sorted(pages_holding(document, "patient-signatures"))),
        tuple(sorted(pages_holding(document, "call"))),
        tuple(pages_of_each(document, "sign-role")),
    )


@lru_cache(maxsize=1)
def measured() -> tuple[Measured, ...]:
    """Every sheet of the matrix, rendered in parallel once for all the tests below."""
    jobs = [
        (label, paper.value, False, language, True)
        for label, _ in procedures()
        for paper in Paper
        for language in LANGUAGES
    ]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        return tuple(pool.map(_measure, jobs, chunksize=8))


def test_the_statements_and_the_signature_lines_share_one_page_on_every_sheet() -> None:
    split = [
        (m.label, m.paper, m.large, m.language, m.statement_pages, m.signature_pages)
        for m in measured()
        if len(m.statement_pages) != 1 or m.statement_pages != m.signature_pages
    ]
    assert split == []


def test_when_to_call_never_parts_between_pages() -> None:
    """The numbers, the list of reasons to call and the emergency lines are read together."""
    split = [(m.label, m.paper, m.language, m.call_pages) for m in measured() if len(m.call_pages) != 1]
    assert split == []
    split_large = [
        (m.label, m.paper, m.language, m.call_pages) for _, m in large_print_pairs() if len(m.call_pages) != 1
    ]
    assert split_large == []


def _pages(paper: Paper, language: str) -> list[int]:
    return [m.pages for m in measured() if m.paper == paper.value and not m.large and m.language == language]


def test_the_longest_standard_sheet_fits_six_pages() -> None:
    for paper in Paper:
        for language in LANGUAGES:
            assert max(_pages(paper, language)) <= MAX_STANDARD_PAGES, (paper, language)


@pytest.mark.parametrize("paper", list(Paper))
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_median_sheet_with_every_patient_factor_takes_five_pages_or_fewer(paper: Paper, language: str) -> None:
    assert statistics.median(_pages(paper, language)) <= MAX_MEDIAN_PAGES


LONGEST = "joint, fluoroscopy with contrast, anesthetic + corticosteroid"
EDITIONS = [
    (paper.value, language, every_factor) for every_factor in (True, False) for paper in Paper for language in LANGUAGES
]


def _key(m: Measured) -> tuple[str, str, str, bool]:
    return m.label, m.paper, m.language, m.every_factor


@lru_cache(maxsize=1)
def large_print_pairs() -> tuple[tuple[Measured, Measured], ...]:
    """Every procedure once in large print beside its standard sheet, the papers, languages and factor sets
    (none, or every factor: the shortest and the longest sheets) taken in turn; the longest sheet in every
    paper and language besides."""
    labels = [label for label, _ in procedures()]
    jobs = [(label, *EDITIONS[index % len(EDITIONS)]) for index, label in enumerate(labels)]
    jobs += [(LONGEST, *edition) for edition in EDITIONS if edition[2] and (LONGEST, *edition) not in jobs]
    standard = {_key(m): m for m in measured()}
    wanted = [(label, paper, False, language, every) for label, paper, language, every in jobs]
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        missing = [job for job in wanted if (job[0], job[1], job[3], job[4]) not in standard]
        standard |= {
            (m.label, m.paper, m.language, m.every_factor): m for m in pool.map(_measure, missing, chunksize=4)
        }
        large = pool.map(
            _measure, [(label, paper, True, language, every) for label, paper, _, language, every in wanted]
        )
        return tuple((standard[(m.label, m.paper, m.language, m.every_factor)], m) for m in large)


def _over_the_large_print_aim() -> list[tuple[str, str, str, bool, int, int]]:
    return [
        (large.label, large.paper, large.language, large.every_factor, standard.pages, large.pages)
        for standard, large in large_print_pairs()
        if large.pages / standard.pages > MAX_LARGE_PRINT_RATIO
    ]


def test_large_print_takes_at_most_2_2_times_the_pages() -> None:
    """Every procedure in turn (`bench/pages_words.py` measures all 896 large-print sheets)."""
    assert _over_the_large_print_aim() == []


def test_in_large_print_the_consent_takes_two_pages_with_every_signature_under_its_statement() -> None:
    """At 18 pt the facts, the doctor's statement and the interpreter's lines fill the consent's first page;
    the patient's statements, the patient's lines and the witness share the second. No role's statement
    and lines part between pages."""
    for _, sheet in large_print_pairs():
        where = (sheet.label, sheet.paper, sheet.language)
        assert len(sheet.consent_pages) <= 2, (where, sheet.consent_pages)
        assert len(sheet.statement_pages) == 1 and sheet.statement_pages == sheet.patient_signature_pages, where
        assert len(sheet.role_pages) == 4 and all(len(pages) == 1 for pages in sheet.role_pages), (where, sheet)
        witness = sheet.role_pages[-1]
        assert witness == frozenset(sheet.statement_pages), where


def test_no_page_is_under_a_third_full_except_where_the_consent_must_start_afresh() -> None:
    """The consent starts on its own page to be signed and filed, so the page before it may be short;
    so may the sheet's last page. Page 1 is always used."""
    thin = []
    for m in measured():
        exempt = {m.consent_pages[0] - 1, m.pages}
        thin += [
            (m.label, m.paper, m.large, m.language, number, round(fill, 2))
            for number, fill in enumerate(m.fills, start=1)
            if number not in exempt and fill < MIN_PAGE_FILL
        ]
    assert thin == []
