"""Messages about TOML files point at the right line, however a key or an id is quoted or spaced."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from handout_app.claims import LedgerError, load_ledger
from handout_app.clinic import ClinicError, load_clinic
from handout_app.patient_input import PatientFileError, read_patient_file
from handout_app.toml_lines import error_line, item_line, key_line

ITEMS = """# items
[[item]]
id = "x-10"

[[item]]
'id'='x-1'   # the quoted one
rules = [{ id = "r-1", level = "warn" }]
# id = "x-2" is only a comment
"""


@pytest.mark.parametrize(
    ("item_id", "line"), [("x-10", 3), ("x-1", 6), ("r-1", 7), ("x-2", None), ("x", None), (None, None)]
)
def test_an_item_is_found_by_its_whole_id_however_it_is_quoted(item_id: object, line: int | None) -> None:
    assert item_line(ITEMS, item_id) == line


CLINIC = """name = "top level"
[clinic]
"phone" = "555-0100"
department.en = "Joint service"
name = "Riverside"

[approval]
name = "Dr A. Lee"

[clinic.extra]
"""


@pytest.mark.parametrize(
    ("key", "table", "line"),
    [
        ("name", "clinic", 5),
        ("phone", "clinic", 3),
        ("department", "clinic", 4),
        ("name", "approval", 8),
        ("name", "", 1),
        ("approval", "", 7),
        ("extra", "clinic", 10),
        ("role", "approval", None),
        ("phone", "", None),
    ],
)
def test_a_key_is_found_in_its_own_table(key: str, table: str, line: int | None) -> None:
    assert key_line(CLINIC, key, table) == line


def test_a_syntax_error_names_its_line() -> None:
    with pytest.raises(tomllib.TOMLDecodeError) as caught:
        tomllib.loads('a = 1\n\nb = "unclosed\n')
    assert error_line(caught.value) == 3


def test_a_quoted_clinic_field_gets_its_line(tmp_path: Path) -> None:
    (tmp_path / "clinic.toml").write_text('[clinic]\nname = "A"\n\n"default_paper" = "a3"\n', encoding="utf-8")
    with pytest.raises(ClinicError, match=r"line 4\b"):
        load_clinic(tmp_path)


def test_a_claims_label_gets_its_line_not_a_comments(tmp_path: Path) -> None:
    path = tmp_path / "claims.toml"
    path.write_text(
        '# [labels] frequency_rates lists the facts behind the figures\n\n[labels]\nfrequency_rates = ["none"]\n',
        encoding="utf-8",
    )
    with pytest.raises(LedgerError, match=r"line 4\b"):
        load_ledger(path)


def test_a_quoted_patient_file_key_gets_its_line(tmp_path: Path) -> None:
    path = tmp_path / "patient.toml"
    path.write_text("name = \"Ann\"\n\n'date_of_birth' = 2990-01-01\n", encoding="utf-8")
    with pytest.raises(PatientFileError, match=r"line 3\b"):
        read_patient_file(str(path))
