"""Dates as nurses type them (the window's date fields; `patient_input.parse_typed_date`)."""

from __future__ import annotations

import datetime as dt

import pytest

from handout_app.clinic import ClinicError, load_clinic
from handout_app.patient_input import (
    InputError,
    check_birth_date,
    check_procedure_date,
    date_problems,
    parse_typed_date,
)

APRIL_2 = dt.date(1956, 4, 2)


@pytest.mark.parametrize(
    "typed",
    [
        "2 Apr 1956",
        "2 april 1956",
        "02 APR 1956",
        "2-Apr-1956",
        "2Apr1956",
        "2nd April 1956",
        "Apr 2, 1956",
        "April 2 1956",
        "1956-04-02",
        "02/04/1956",
        "2/4/1956",
        "02.04.1956",
        "  2   Apr 1956 ",
    ],
)
def test_day_first_clinics(typed: str) -> None:
    assert parse_typed_date(typed, day_first=True) == APRIL_2


@pytest.mark.parametrize("typed", ["04/02/1956", "4/2/1956", "2 Apr 1956", "1956-04-02"])
def test_month_first_clinics(typed: str) -> None:
    assert parse_typed_date(typed, day_first=False) == APRIL_2


def test_empty_is_no_date() -> None:
    assert parse_typed_date("   ", day_first=True) is None


@pytest.mark.parametrize(
    "typed, day_first, said",
    [
        ("2 Apr 56", True, "four digits"),
        ("02/04/56", True, "four digits"),
        ("31/02/1956", True, "no such day in day/month/year"),
        ("13/04/1956", False, "no such day in month/day/year"),  # would be 13 Apr day-first: never guessed
        ("2 Foo 1956", True, "'foo' is not a month"),
        ("yesterday", True, "not a date; type e.g. 2 Apr 1956, 02/04/1956 or 1956-04-02"),
        ("1956/04/02", True, "not a date"),
    ],
)
def test_wrong_dates_say_how_to_type_them(typed: str, day_first: bool, said: str) -> None:
    with pytest.raises(InputError) as refused:
        parse_typed_date(typed, day_first)
    assert said in str(refused.value)


def test_month_first_examples_follow_the_clinic_order() -> None:
    with pytest.raises(InputError) as refused:
        parse_typed_date("soon", day_first=False)
    assert "04/02/1956" in str(refused.value)


def test_clinic_toml_date_order(tmp_path) -> None:
    (tmp_path / "clinic.toml").write_text('[clinic]\nname = "A"\ndate_order = "month-day-year"\n')
    assert load_clinic(tmp_path).date_order == "month-day-year"
    (tmp_path / "clinic.toml").write_text('[clinic]\nname = "A"\n\ndate_order = "us"\n')
    with pytest.raises(ClinicError) as refused:
        load_clinic(tmp_path)
    assert "line 4" in str(refused.value) and "day-month-year" in str(refused.value)


TODAY = dt.date(2026, 11, 21)


@pytest.mark.parametrize(
    ("birth", "procedure", "problems"),
    [
        (APRIL_2, TODAY, {}),
        (None, None, {}),
        (dt.date(2027, 1, 1), TODAY, {"date_of_birth": "is in the future"}),
        (dt.date(1899, 12, 31), TODAY, {"date_of_birth": "is before 1900"}),
        (dt.date(2026, 11, 22), dt.date(2026, 11, 21), {"date_of_birth": "is in the future"}),
        (dt.date(2020, 6, 2), dt.date(2020, 5, 1), {"date_of_birth": "is after the procedure date"}),
        (APRIL_2, dt.date(1999, 1, 1), {"procedure_date": "is not between 2000 and 2100"}),
        # Compared only when each date is fine on its own: one mistake is not reported twice.
        (dt.date(2026, 1, 1), dt.date(2101, 1, 1), {"procedure_date": "is not between 2000 and 2100"}),
    ],
)
def test_the_date_rules_are_written_once(
    birth: dt.date | None, procedure: dt.date | None, problems: dict[str, str]
) -> None:
    assert date_problems(birth, procedure, today=TODAY) == problems


def test_the_command_line_wording_of_the_date_rules() -> None:
    with pytest.raises(InputError, match=r"^2990-01-01 is in the future; check the date of birth$"):
        check_birth_date(dt.date(2990, 1, 1))
    with pytest.raises(InputError, match=r"^1899-12-31 is before 1900; check the date of birth$"):
        check_birth_date(dt.date(1899, 12, 31))
    with pytest.raises(InputError, match=r"^1999-01-01 is not between 2000 and 2100; check the procedure date$"):
        check_procedure_date(dt.date(1999, 1, 1))
