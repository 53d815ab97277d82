"""One concise sheet with the consent on one page, for every procedure on both papers and in both
languages (issue 10): laid out by WeasyPrint and measured page by page. Large print is measured on the
longest sheet. What is not met yet (Spanish on Letter) is marked as an expected failure.

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

from handout_app.check_templates import FACTOR_SETS, procedures
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
    pages: int
    fills: tuple[float, ...]
    consent_pages: tuple[int, ...]
    statement_pages: tuple[int, ...]
    signature_pages: tuple[int, ...]
    patient_signature_pages: tuple[int, ...]
    call_pages: tuple[int, ...]


def _measure(job: tuple[str, str, bool, str]) -> Measured:
    from handout_app.catalog import load_catalog
    from handout_app.clinic import ClinicProfile
    from handout_app.layout_stats import page_fills, pages_holding
    from handout_app.pdf import lay_out
    from handout_app.templating import render_html

    label, paper, large, language = job
    selection = dict(procedures())[label]
    if Medication.ANESTHETIC in selection.medications and len(selection.medications) > 1:
        selection = replace(selection, intent=Intent.BOTH)
    selection = replace(selection, paper=Paper(paper), large_print=large, language=language, factors=FACTOR_SETS[-1][1])
    rendered = render_html(selection, load_catalog(), ClinicProfile(), dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC))
    document = lay_out(rendered.html, facts=rendered.facts)
    return Measured(
        label,
        paper,
        large,
        language,
        len(document.pages),
        tuple(f.fill for f in page_fills(document)),
        tuple(sorted(pages_holding(document, "consent"))),
        tuple(sorted(pages_holding(document, "consent-statements"))),
        tuple(sorted(pages_holding(document, "signatures"))),
        tuple(sorted(pages_holding(document, "patient-signatures"))),
        tuple(sorted(pages_holding(document, "call"))),
    )


@lru_cache(maxsize=1)
def measured() -> tuple[Measured, ...]:
    """Every sheet of the matrix, rendered in parallel once for all the tests below."""
    jobs = [
        (label, paper.value, False, language) for label, _ in procedures() for paper in Paper for language in LANGUAGES
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
    for paper in Paper:
        for language in LANGUAGES:
            assert len(_measure((LONGEST, paper.value, True, language)).call_pages) == 1, (paper, language)


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


@pytest.mark.parametrize(
    "language",
    [
        "en",
        pytest.param(
            "es",
            marks=pytest.mark.xfail(
                strict=True,
                reason="Open (issue 10): Spanish large print takes 14 pages on A4 and 15 on Letter for the longest "
                "6-page sheet (2.33 and 2.5 times); the limit is 2.2 times.",
            ),
        ),
    ],
)
def test_large_print_takes_at_most_2_2_times_the_pages(language: str) -> None:
    for paper in Paper:
        standard, large = (
            _measure((LONGEST, paper.value, False, language)),
            _measure((LONGEST, paper.value, True, language)),
        )
        assert large.pages / standard.pages <= MAX_LARGE_PRINT_RATIO, (paper, standard.pages, large.pages)


def test_in_large_print_the_patient_signs_on_the_page_of_the_statements() -> None:
    """At 18 pt the statements and all five signature blocks are taller than one page; the statements
    and the patient's lines stay together, and the staff's lines (each under its own statement) follow."""
    for paper in Paper:
        for language in LANGUAGES:
            sheet = _measure((LONGEST, paper.value, True, language))
            assert len(sheet.statement_pages) == 1 and sheet.statement_pages == sheet.patient_signature_pages, (
                paper,
                sheet,
            )
            staff = set(sheet.signature_pages) - set(sheet.patient_signature_pages)
            assert all(page in (sheet.statement_pages[0], sheet.statement_pages[0] + 1) for page in staff), sheet


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
