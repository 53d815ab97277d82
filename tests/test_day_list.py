"""`handout-app batch`: a day's list checked row by row before anything is made, then made in one go."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from handout_app.batch import make_handouts
from handout_app.catalog import load_catalog
from handout_app.cli import main
from handout_app.day_list import COLUMNS, check_rows, read_table

from . import fake_cups
from .conftest import EXAMPLE_CLINIC
from .helpers import pdf_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_LIST = ROOT / "examples" / "day-list.csv"


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def test_the_example_list_makes_one_correct_handout_per_patient(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(
        ["batch", str(EXAMPLE_LIST), "--output-dir", str(tmp_path), "--clinic", str(EXAMPLE_CLINIC)], capsys
    )
    assert code == 0, err
    assert "Made 4 of 4 handouts" in out
    files = sorted(tmp_path.iterdir())
    assert len(files) == 4 and all(not re.search(r"Lopez|Okafor|Petrova|Mart", f.name) for f in files)
    texts = {f.name: pdf_text(f.read_bytes()) for f in files}
    by_patient = {
        name: [n for n, t in texts.items() if name in t]
        for name in ("Maria Lopez", "James Okafor", "Ana Martínez", "Olga Petrova")
    }
    assert all(len(found) == 1 for found in by_patient.values()), by_patient
    lopez = texts[by_patient["Maria Lopez"][0]]
    assert "RIGHT hip joint injection" in lopez and "LEFT" not in lopez and "penicillin" in lopez
    assert "_RIGHT_" in by_patient["Maria Lopez"][0]
    martinez = by_patient["Ana Martínez"][0]
    assert martinez.endswith("_es_consent-copy.pdf") and "AMBAS" in texts[martinez].upper()
    assert by_patient["James Okafor"][0].endswith("_large-print.pdf")


BAD_ROWS = [
    ({"side": "middle"}, "column side: 'middle' is not allowed; use one of left, right, bilateral"),
    ({"side": ""}, "column side: is empty; give one of left, right, bilateral"),
    ({"medications": "aspirin"}, "column medications: 'aspirin' is not a medicine"),
    ({"medications": ""}, "column medications: is empty"),
    ({"target": "knee"}, "column target: 'knee' is not allowed"),
    ({"guidance": "ct"}, "column guidance: 'ct' is not allowed"),
    ({"contrast": "maybe"}, "column contrast: 'maybe' is not yes or no"),
    ({"contrast": "yes", "guidance": "ultrasound"}, "Contrast dye is only used with fluoroscopy"),
    ({"medications": "anesthetic;corticosteroid", "intent": ""}, "column intent: is needed"),
    ({"intent": "curative"}, "column intent: 'curative' is not allowed"),
    ({"language": "fr"}, "column language: 'fr' is not a handout language"),
    ({"paper": "a3"}, "column paper: 'a3' is not a paper size"),
    ({"date_of_birth": "2199-01-01"}, "column date_of_birth: '2199-01-01' 2199-01-01 is in the future"),
    ({"date_of_birth": "02/04/1956"}, "could be read two ways"),
    ({"date_of_birth": "1960-01-01", "procedure_date": "2020-01-01", "name": "X"}, None),
    ({"date_of_birth": "2021-01-01", "procedure_date": "2020-01-01"}, "is after the procedure date"),
    ({"procedure_date": "1999-12-31"}, "column procedure_date"),
    ({"name": ""}, "column name: is empty"),
    ({"name": "山田"}, "column name: '山田'"),
    ({"large_print": "2"}, "column large_print: '2' is not yes or no"),
]


def _csv(rows: list[dict[str, str]], delimiter: str = ",", bom: bool = False) -> bytes:
    base = {
        "name": "Row Patient",
        "target": "joint",
        "medications": "corticosteroid",
        "guidance": "fluoroscopy",
        "side": "left",
    }
    lines = [delimiter.join(COLUMNS)]
    for row in rows:
        values = {**base, **row}
        lines.append(delimiter.join(f'"{values.get(c, "")}"' for c in COLUMNS))
    return (b"\xef\xbb\xbf" if bom else b"") + ("\n".join(lines) + "\n").encode("utf-8")


def test_every_kind_of_bad_row_is_named_and_nothing_is_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = tmp_path / "day.csv"
    day.write_bytes(_csv([row for row, _ in BAD_ROWS]))
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _out, err = run(["batch", str(day), "--output-dir", str(out_dir)], capsys)
    assert code == 2 and list(out_dir.iterdir()) == []
    for number, (_, expected) in enumerate(BAD_ROWS, start=2):
        lines = [line for line in err.splitlines() if f"row {number}," in line or f"row {number}:" in line]
        if expected is None:
            assert not lines, lines
        else:
            assert any(expected in line for line in lines), (number, expected, lines)
    assert "Nothing was made" in err and "Traceback" not in err


def test_skip_bad_rows_makes_the_good_ones_and_still_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    day = tmp_path / "day.csv"
    day.write_bytes(
        _csv([{"side": "right"}, {"side": "middle"}, {"side": "left", "name": "Second Good"}], delimiter=";", bom=True)
    )
    code, out, err = run(["batch", str(day), "--output-dir", str(tmp_path), "--skip-bad-rows"], capsys)
    assert code == 2 and "Made 2 of 3 handouts" in out and "row 3, column side" in err
    assert len(list(tmp_path.glob("*.pdf"))) == 2


def test_combined_starts_every_handout_on_an_odd_page_and_keeps_its_page_numbers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = run(["batch", str(EXAMPLE_LIST), "--output-dir", str(tmp_path), "--combined"], capsys)
    assert code == 0, err
    [combined] = list(tmp_path.iterdir())
    assert combined.name.startswith("day-list_")
    pages = [page.extract_text() or "" for page in PdfReader(io.BytesIO(combined.read_bytes())).pages]
    starts = [i for i, text in enumerate(pages) if re.search(r"\bPage 1 of \d+|Página 1 de \d+", text)]
    assert len(starts) == 4 and all(i % 2 == 0 for i in starts), starts  # 0-based even = printed odd page
    for start, end in zip(starts, [*starts[1:], len(pages)], strict=True):
        found = re.search(r"Page 1 of (\d+)|Página 1 de (\d+)", pages[start])
        total = int(found.group(1) or found.group(2))
        blank = end - start - total
        assert blank in (0, 1) and all(not pages[i].strip() for i in range(start + total, end))


def test_an_excel_list_with_date_cells_reads_like_the_csv(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Name", "Target", "Medications", "Guidance", "Side", "Date of birth", "Large print"])
    sheet.append(["Excel Patient", "joint", "corticosteroid", "ultrasound", "right", dt.datetime(1956, 4, 2), True])
    path = tmp_path / "day.xlsx"
    book.save(path)
    [row] = check_rows(read_table(path), load_catalog())
    assert row.problems == [] and row.selection is not None
    assert row.selection.patient.date_of_birth == dt.date(1956, 4, 2) and row.selection.large_print


@pytest.mark.parametrize(
    "content, said",
    [
        (b"name,target,medications,guidance,side,colour\n", "unknown column(s) 'colour'"),
        (b"name,target,medications,guidance\n", "the column(s) side are missing"),
        (b"name,name,target,medications,guidance,side\n", "appear twice"),
        (b"name,target\n\xff\xfe\n", "is not UTF-8"),
        (b"", "is empty"),
    ],
)
def test_a_list_that_is_not_a_day_list_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    day = tmp_path / "day.csv"
    day.write_bytes(content)
    code, _, err = run(["batch", str(day), "--output-dir", str(tmp_path)], capsys)
    assert code == 2 and said in err


def test_stopping_half_way_leaves_only_complete_files(tmp_path: Path) -> None:
    day = tmp_path / "day.csv"
    day.write_bytes(_csv([{"name": f"Patient {i}"} for i in range(8)]))
    rows = check_rows(read_table(day), load_catalog())
    finished: list[int] = []
    outcome = make_handouts(
        rows,
        None,
        workers=2,
        on_done=lambda made, number, error: finished.append(number),
        should_stop=lambda: len(finished) >= 3,
    )
    assert outcome.cancelled and 3 <= len(outcome.made) < 8
    for made in outcome.made:
        assert len(PdfReader(io.BytesIO(made.pdf)).pages) >= 4


def test_print_sends_each_saved_handout_with_a_title_without_the_patient(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    cups = fake_cups.install(monkeypatch, tmp_path / "cups")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, out, err = run(["batch", str(EXAMPLE_LIST), "--output-dir", str(out_dir), "--print", "--combined"], capsys)
    assert code == 0, err
    [combined] = list(out_dir.iterdir())
    assert cups.job_pdf.read_bytes() == combined.read_bytes()
    assert cups.lp_args[cups.lp_args.index("-t") + 1] == combined.name and f"(job {fake_cups.JOB_ID})" in out


def test_a_forty_row_list_is_made_in_full(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day = tmp_path / "day.csv"
    day.write_bytes(
        _csv([{"name": f"Patient {i:02d}", "side": ("left", "right", "bilateral")[i % 3]} for i in range(40)])
    )
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _out, err = run(["batch", str(day), "--output-dir", str(out_dir)], capsys)
    assert code == 0, err
    files = list(out_dir.iterdir())
    assert len(files) == 40 and len({f.name for f in files}) == 40
    names = sorted(re.search(r"Patient \d\d", pdf_text(f.read_bytes())).group(0) for f in files)
    assert names == [f"Patient {i:02d}" for i in range(40)]


def test_a_combined_list_stopped_half_way_saves_nothing(tmp_path: Path) -> None:
    from handout_app.batch import make_day, summary

    day = tmp_path / "day.csv"
    day.write_bytes(_csv([{"name": f"Patient {i}"} for i in range(6)]))
    rows = check_rows(read_table(day), load_catalog())
    out = tmp_path / "out"
    out.mkdir()
    steps: list[int] = []
    outcome = make_day(
        rows,
        None,
        out,
        {"joint": "hip joint"},
        False,
        combined=True,
        workers=2,
        on_step=lambda done, error: steps.append(done),
        should_stop=lambda: len(steps) >= 2,
    )
    assert outcome.cancelled and list(out.iterdir()) == []  # never a "day list" PDF missing patients
    assert summary(outcome, out, True).startswith("Stopped: no combined PDF was saved")
