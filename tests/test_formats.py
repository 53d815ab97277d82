"""Dates, lists and counts as a patient reads them on the sheet and a nurse in the window, in each language."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from handout_app.catalog import LANGUAGES
from handout_app.formats import format_count, format_date, format_list

from .helpers import make_selection, pdf_bytes, pdf_text

ENGLISH_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SPANISH_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic")


@pytest.mark.parametrize("month", range(1, 13))
def test_a_date_is_day_short_month_year_in_each_language(month: int) -> None:
    day = dt.date(1956, month, 2)
    assert format_date(day, "en") == f"2 {ENGLISH_MONTHS[month - 1]} 1956"
    assert format_date(day, "es") == f"2 {SPANISH_MONTHS[month - 1]} 1956"


def test_the_window_shows_english_dates_and_no_date_is_empty() -> None:
    assert format_date(dt.date(2026, 11, 21)) == "21 Nov 2026"
    assert all(format_date(None, language) == "" for language in LANGUAGES)


def test_lists_have_no_serial_comma_in_english() -> None:
    assert format_list(["a"], "en") == "a"
    assert format_list(["a", "b"], "en") == "a and b"
    assert format_list(["a", "b", "c"], "en") == "a, b and c"
    assert format_list(["a", "b", "c"], "es") == "a, b y c"
    assert format_list([], "es") == ""


def test_counts_group_thousands_with_a_comma_in_english_and_a_no_break_space_in_spanish() -> None:
    assert format_count(15000, "en") == "15,000" and format_count(1000, "en") == "1,000"
    assert format_count(15000, "es") == "15\u00a0000" and format_count(1000, "es") == "1\u00a0000"
    assert format_count(150, "es") == "150"


def test_an_english_sheet_names_three_medicines_without_a_serial_comma() -> None:
    selection = make_selection(medications=("anesthetic", "corticosteroid", "hyaluronic-acid"))
    text = pdf_text(pdf_bytes(selection))
    assert "RIGHT hip joint injection, ultrasound-guided, corticosteroid, hyaluronic acid and local anesthetic" in text
    assert "hyaluronic acid, and" not in text


def test_a_spanish_sheet_prints_spanish_dates_and_lists() -> None:
    selection = make_selection(
        medications=("anesthetic", "corticosteroid", "prp"),
        date_of_birth=dt.date(1956, 9, 2),
        procedure_date=dt.date(2026, 11, 23),
    )
    text = pdf_text(pdf_bytes(replace(selection, language="es")))
    assert "2 sept 1956" in text and "23 nov 2026" in text
    assert "con corticoide, plasma rico en plaquetas (PRP) y anestésico local" in text
