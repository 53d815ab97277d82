"""The record of what each patient was given: document numbers, the store, the archive and reprints."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from handout_app import document_numbers
from handout_app.cli import main
from handout_app.records.recorder import data_folder, recorder_for, store_choice
from handout_app.records.store import HEAD_REVISION, StoreUnavailable, open_store, sqlite_url

NAME, BIRTH, MRN = "Quintavius Zorblatt", "1956-04-02", "MRN-88817"
RENDER = [
    "render",
    "--target",
    "joint",
    "--medication",
    "corticosteroid",
    "--guidance",
    "ultrasound",
    "--side",
    "left",
    "--patient-name",
    NAME,
    "--date-of-birth",
    BIRTH,
    "--mrn",
    MRN,
    "--procedure-date",
    "2026-11-23",
]
NUMBER = re.compile(r"document ([0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3})")


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def render(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str, name: str = "sheet.pdf"
) -> tuple[Path, str]:
    output = tmp_path / name
    code, out, err = run([*RENDER, *extra, "--output", str(output)], capsys)
    assert code == 0, err
    match = NUMBER.search(out)
    assert match, out
    return output, match.group(1)


def page_texts(path: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def set_clinic_field(clinic: Path, line: str) -> None:
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text().replace("[clinic]\n", f"[clinic]\n{line}\n", 1))


# -- document numbers ----------------------------------------------------------------------------------
def test_a_mistyped_number_is_refused_never_taken_for_another() -> None:
    alphabet = document_numbers.ALPHABET
    for look_alikes in ("0OQ", "1IL", "2Z", "5S", "8B", "UV", "6G"):
        assert sum(char in alphabet for char in look_alikes) <= 1, look_alikes
    for _ in range(50):
        number = document_numbers.new_number()
        code = number.replace("-", "")
        assert document_numbers.normalize(number.lower().replace("-", " ")) == number
        for position in range(len(code)):
            for char in alphabet:
                if char != code[position]:
                    assert document_numbers.normalize(code[:position] + char + code[position + 1 :]) is None
        for position in range(len(code) - 1):
            if code[position] != code[position + 1]:
                swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
                assert document_numbers.normalize(swapped) is None
    assert document_numbers.normalize(document_numbers.NUMBER_HELP.split("example ")[1].rstrip(".")) is not None


# -- the sheet and its record ----------------------------------------------------------------------------
def test_every_page_shows_its_document_number_and_the_store_has_the_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output, number = render(tmp_path, capsys, "--large-print")
    pages = page_texts(output)
    assert len(pages) > 5 and all(f"Document {number}" in text for text in pages)
    rows = recorder_for(store_choice(None)).store().deliveries()
    assert [(row["number"], row["kind"], row["side"], row["large_print"]) for row in rows] == [
        (number, "saved", "left", True)
    ]
    assert rows[0]["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert rows[0]["pages"] == len(pages) and rows[0]["content_version"]
    # The record names the wording exactly as every page's footer does ("Wording: built-in 2026.12-2").
    assert rows[0]["wording_name"] == f"built-in {rows[0]['content_version']}"
    assert all(f"Wording: {rows[0]['wording_name']}" in " ".join(text.split()) for text in pages)


def test_no_patient_detail_reaches_the_store_unless_the_clinic_keeps_the_record_number(
    tmp_path: Path,
    clinic: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    render(tmp_path, capsys, "--clinic", str(clinic))
    stored = b"".join(path.read_bytes() for path in data_folder().rglob("*") if path.is_file())
    assert stored and b"Zorblatt" not in stored and BIRTH.encode() not in stored and MRN.encode() not in stored
    set_clinic_field(clinic, "record_patient_id = true")
    render(tmp_path, capsys, "--clinic", str(clinic), name="second.pdf")
    rows = recorder_for(store_choice(None)).store().deliveries()
    assert [row["record_number"] for row in rows] == [None, MRN]
    stored = b"".join(path.read_bytes() for path in data_folder().rglob("*") if path.is_file())
    assert b"Zorblatt" not in stored and BIRTH.encode() not in stored


def test_a_clinic_style_cannot_hide_the_number(
    tmp_path: Path, clinic: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    css = clinic / "templates" / "clinic.css"
    css.parent.mkdir(exist_ok=True)
    css.write_text("@page { @bottom-right { content: none !important; } }\n")
    output, number = render(tmp_path, capsys, "--clinic", str(clinic))
    assert all(f"Document {number}" in text for text in page_texts(output))
    css.write_text("@page { @bottom-right { font-size: 2pt !important; } }\n")
    code, _, err = run([*RENDER, "--clinic", str(clinic), "--output", str(tmp_path / "tiny.pdf")], capsys)
    assert code == 1 and "does not show" in err and "document number" in err
    assert not (tmp_path / "tiny.pdf").exists()


# -- reprint ------------------------------------------------------------------------------------------------
def test_reprint_gives_the_identical_sheet_after_the_clinic_changed_its_wording(
    tmp_path: Path,
    clinic: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    original, number = render(tmp_path, capsys, "--clinic", str(clinic))
    toml = clinic / "clinic.toml"
    toml.write_text(re.sub(r'\nphone = "[^"]*"', '\nphone = "0999 111 222"', toml.read_text()))
    for path in (clinic / "content").glob("*.toml"):
        path.write_text(path.read_text() + "\n# changed after the sheet was made\n")
    again = tmp_path / "again.pdf"
    code, out, err = run(
        [
            "reprint",
            number.lower(),
            "--patient-name",
            NAME,
            "--date-of-birth",
            BIRTH,
            "--record-number",
            MRN,
            "--clinic",
            str(clinic),
            "--output",
            str(again),
        ],
        capsys,
    )
    assert code == 0, err
    assert again.read_bytes() == original.read_bytes() and "identical" in out
    kinds = [row["kind"] for row in recorder_for(store_choice(None)).store().deliveries()]
    assert kinds == ["saved", "reprinted"]
    # A detail typed differently does not make "the same" sheet: said plainly, and no file.
    wrong = tmp_path / "wrong.pdf"
    code, _, err = run(["reprint", number, "--patient-name", NAME, "--output", str(wrong)], capsys)
    assert code == 1 and "not identical" in err and "date of birth" in err and not wrong.exists()
    code, _, err = run(["reprint", number, "--patient-name", NAME, "--output", str(again)], capsys)
    assert code == 2 and "already exists" in err
    unknown = document_numbers.new_number()
    code, _, err = run(["reprint", unknown, "--patient-name", NAME, "--output", str(tmp_path / "u.pdf")], capsys)
    assert code == 1 and f"no document {unknown}" in err
    code, _, err = run(["reprint", "K7M-XH3-QTR", "--patient-name", NAME, "--output", str(tmp_path / "u.pdf")], capsys)
    assert code == 2 and "not a document number" in err


def test_reprint_leaves_no_archived_files_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    _, number = render(tmp_path, capsys)
    code, _, err = run(
        [
            "reprint",
            number,
            "--patient-name",
            NAME,
            "--date-of-birth",
            BIRTH,
            "--mrn",
            MRN,
            "--output",
            str(tmp_path / "again.pdf"),
        ],
        capsys,
    )
    assert code == 0, err
    assert list(temp.iterdir()) == []


# -- records list -----------------------------------------------------------------------------------------
def test_records_list_as_table_and_csv_with_date_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, number = render(tmp_path, capsys)
    code, out, _ = run(["records", "list"], capsys)
    assert code == 0 and number in out and "LEFT" in out and "1 sheet." in out
    code, out, _ = run(["records", "list", "--format", "csv"], capsys)
    header, row = out.splitlines()
    columns = header.split(",")
    assert {"number", "time", "procedure", "side", "language", "wording_hash", "sha256", "output"} <= set(columns)
    values = dict(zip(columns, next(iter(__import__("csv").reader([row]))), strict=True))
    assert values["number"] == number and values["side"] == "LEFT" and values["output"] == "saved"
    assert values["sha256"] == hashlib.sha256((tmp_path / "sheet.pdf").read_bytes()).hexdigest()
    code, out, _ = run(["records", "list", "--since", "2099-01-01"], capsys)
    assert code == 0 and number not in out and "No sheets" in out
    code, _, err = run(["records", "list", "--since", "2026-12-02", "--until", "2026-12-01"], capsys)
    assert code == 2 and "--since is after --until" in err


def test_a_day_list_records_every_handout_with_its_own_number(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listing = Path(__file__).resolve().parents[1] / "examples" / "day-list.csv"
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err = run(["batch", str(listing), "--output-dir", str(out_dir), "--combined"], capsys)
    assert code == 0, err
    rows = recorder_for(store_choice(None)).store().deliveries()
    combined = page_texts(next(out_dir.glob("*.pdf")))
    assert len(rows) == 4 and len({row["number"] for row in rows}) == 4
    for row in rows:
        # "Document" or, on a Spanish sheet, "Documento"
        assert sum(bool(re.search(rf"Documento? {row['number']}", text)) for text in combined) == row["pages"]


# -- the store itself --------------------------------------------------------------------------------------
def test_a_new_store_is_made_at_the_current_schema_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "records.sqlite3")
    store = open_store(url)
    with store.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == HEAD_REVISION
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
        connection.commit()
    store.close()
    with pytest.raises(StoreUnavailable, match="newer version of handout-app"):
        open_store(url)


def test_the_store_file_alone_holds_every_record_and_nothing_is_left_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """records.sqlite3 is the file a clinic backs up or hands an auditor. It holds each sheet as soon as it is
    recorded, with the program still open; once the program ends, no -wal or -shm file is left beside it."""
    _, number = render(tmp_path, capsys)  # in this process, which keeps its store open
    backup = tmp_path / "backup.sqlite3"
    shutil.copyfile(data_folder() / "records.sqlite3", backup)  # the file alone, as a backup copies it
    with contextlib.closing(sqlite3.connect(backup)) as copy:
        assert [row[0] for row in copy.execute("SELECT number FROM deliveries")] == [number]
    recorder_for(store_choice(None)).close()
    done = subprocess.run(
        [sys.executable, "-m", "handout_app", *RENDER, "--output", str(tmp_path / "second.pdf")],
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(path.name for path in data_folder().iterdir() if path.name.startswith("records")) == [
        "records.sqlite3"
    ]
    assert len(recorder_for(store_choice(None)).store().deliveries()) == 2


def test_a_store_address_with_a_password_is_never_shown(tmp_path: Path) -> None:
    from handout_app.records.store import shown_url

    assert "s3cret" not in shown_url("postgresql://nurse:s3cret@db.example.org/records")


# -- PostgreSQL: a real server ------------------------------------------------------------------------------
def test_postgres_store_records_lists_and_reprints(
    tmp_path: Path,
    clinic: Path,
    capsys: pytest.CaptureFixture[str],
    postgres_url: str,
) -> None:
    set_clinic_field(clinic, f'record_store = "{postgres_url}"')
    original, number = render(tmp_path, capsys, "--clinic", str(clinic))
    code, out, err = run(["records", "list", "--clinic", str(clinic), "--format", "csv"], capsys)
    assert code == 0 and number in out, err
    again = tmp_path / "again.pdf"
    code, _, err = run(
        [
            "reprint",
            number,
            "--patient-name",
            NAME,
            "--date-of-birth",
            BIRTH,
            "--mrn",
            MRN,
            "--clinic",
            str(clinic),
            "--output",
            str(again),
        ],
        capsys,
    )
    assert code == 0, err
    assert again.read_bytes() == original.read_bytes()
    assert not (data_folder() / "records.sqlite3").exists()  # nothing went to this computer's own store


def test_a_store_that_is_away_keeps_the_entry_and_sends_it_when_back(
    tmp_path: Path,
    clinic: Path,
    capsys: pytest.CaptureFixture[str],
    postgres_server,
    postgres_url: str,  # type: ignore[no-untyped-def]
) -> None:
    set_clinic_field(clinic, f'record_store = "{postgres_url}"')
    postgres_server.stop()  # the server goes down mid-shift
    output, number = render(tmp_path, capsys, "--clinic", str(clinic))
    err = capsys.readouterr().err
    assert output.exists()  # the sheet is saved all the same
    recorder = recorder_for(
        store_choice(__import__("handout_app.clinic", fromlist=["load_clinic"]).load_clinic(clinic))
    )
    assert recorder.waiting_count() == 1
    postgres_server.start()
    code, out, err = run(["records", "list", "--clinic", str(clinic)], capsys)
    assert code == 0 and number in out, err
    assert recorder.waiting_count() == 0 and "wait to be sent" not in err


def test_the_cli_warns_when_the_store_is_away(tmp_path: Path, clinic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    set_clinic_field(clinic, 'record_store = "postgresql://nobody@127.0.0.1:1/records"')
    output = tmp_path / "sheet.pdf"
    code, _out, err = run([*RENDER, "--clinic", str(clinic), "--output", str(output)], capsys)
    assert code == 0 and output.exists()
    assert "could not be reached" in err and "kept on this computer" in err
    assert "Traceback" not in err


CLAIMER = """
import json, random, sys
from handout_app import document_numbers
from handout_app.records import recorder as rec
pool = [document_numbers.new_number() for _ in range(0)]
random.seed(int(sys.argv[2]))
codes = json.loads(sys.argv[3])
rec.new_number = lambda: random.choice(codes)   # a tiny pool: claims collide all the time
r = rec.Recorder(rec.StoreChoice(sys.argv[1]))
print(json.dumps([r.fresh_number() for _ in range(int(sys.argv[4]))]))
"""


def test_two_workstations_claiming_at_once_never_get_the_same_number(postgres_url: str) -> None:
    pool = sorted({document_numbers.new_number() for _ in range(400)})
    open_store(postgres_url).close()  # the schema first, so both start claiming at once
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, postgres_url, str(seed), json.dumps(pool), "150"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2)
    ]
    results = []
    for process in processes:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    first, second = (set(numbers) for numbers in results)
    assert len(first) == 150 and len(second) == 150 and not first & second


def test_check_templates_finds_a_clinic_style_that_hides_the_number(
    clinic: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    css = clinic / "templates" / "clinic.css"
    css.parent.mkdir(exist_ok=True)
    css.write_text("@page { @bottom-right { font-size: 2pt !important; } }\n")
    code, out, err = run(["check-templates", str(clinic)], capsys)
    assert code != 0 and "document number" in out + err


def test_files_left_in_the_clinic_folder_never_reach_the_archive(
    tmp_path: Path, clinic: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A day list, a saved handout, a note and a picture left in the clinic folder name patients.
    (clinic / "day-list.csv").write_text("name,target\nQuintavius Zorblatt,joint\n")
    (clinic / "old-handout.pdf").write_bytes(b"%PDF-1.7 Quintavius Zorblatt")
    (clinic / "content" / "notes-Zorblatt.txt").write_text("Quintavius Zorblatt, born 1956-04-02")
    (clinic / "Zorblatt referral.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>Zorblatt</text></svg>')
    original, number = render(tmp_path, capsys, "--clinic", str(clinic))
    stored = b"".join(path.read_bytes() for path in data_folder().rglob("*") if path.is_file())
    assert b"Zorblatt" not in stored
    again = tmp_path / "again.pdf"
    code, _, err = run(
        [
            "reprint",
            number,
            "--patient-name",
            NAME,
            "--date-of-birth",
            BIRTH,
            "--mrn",
            MRN,
            "--clinic",
            str(clinic),
            "--output",
            str(again),
        ],
        capsys,
    )
    assert code == 0, err
    assert again.read_bytes() == original.read_bytes()


@pytest.mark.parametrize(
    "style",
    [
        "@page { @bottom-right { transform: scale(0.05); letter-spacing: -5pt; opacity: 0.1; } }",
        '@page { @bottom-left { content: "Document K7M-XH3-QTH"; } }',
    ],
)
def test_a_clinic_style_cannot_shrink_the_number_or_add_a_false_one(
    style: str,
    tmp_path: Path,
    clinic: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    css = clinic / "templates" / "clinic.css"
    css.parent.mkdir(exist_ok=True)
    css.write_text(style + "\n")
    output = tmp_path / "sheet.pdf"
    code, out, err = run([*RENDER, "--clinic", str(clinic), "--output", str(output)], capsys)
    if "bottom-left" in style:
        assert code == 1 and "another document number (K7MXH3QTH)" in err and not output.exists()
    else:
        assert code == 0, err
        number = NUMBER.search(out).group(1)
        assert all(f"Document {number}" in text for text in page_texts(output))
        from handout_app.pdf import SheetFacts, footer_number_css

        pinned = footer_number_css(SheetFacts(document_number=number))
        assert all(
            f"{rule} !important" in pinned for rule in ("transform: none", "letter-spacing: normal", "opacity: 1")
        )


def test_a_store_address_with_a_password_is_refused_in_clinic_toml(
    tmp_path: Path, clinic: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    set_clinic_field(clinic, 'record_store = "postgresql://nurse:s3cret@db.example.org/records"')
    code, _, err = run([*RENDER, "--clinic", str(clinic), "--output", str(tmp_path / "x.pdf")], capsys)
    assert code == 2 and "password" in err and ".pgpass" in err and "clinic.toml, line" in err


def test_a_data_folder_that_cannot_be_made_never_stops_the_sheet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    output = tmp_path / "sheet.pdf"
    code, _out, err = run([*RENDER, "--output", str(output)], capsys)
    assert code == 0 and output.exists()
    assert "could not be recorded, not even on this computer" in err and "Write the number down" in err
    assert "unexpected" not in err


def test_an_entry_the_store_refuses_stays_queued_and_the_others_go_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from handout_app.records import store as store_module

    real_add = store_module.RecordStore.add_sheet
    refused: list[str] = []

    def add_sheet(self, document, delivery, manifest, files, archive_hash):  # type: ignore[no-untyped-def]
        if "record-queue" not in self.url and (not refused or document["number"] == refused[0]):
            refused[:1] = [document["number"]]
            raise store_module.EntryRefused("the store refused the entry: value too long")
        return real_add(self, document, delivery, manifest, files, archive_hash)

    monkeypatch.setattr(store_module.RecordStore, "add_sheet", add_sheet)
    _, first = render(tmp_path, capsys)
    assert refused == [first]
    _, second = render(tmp_path, capsys, name="second.pdf")
    recorder = recorder_for(store_choice(None))
    assert [row["number"] for row in recorder.store().deliveries()] == [second]  # the refused one did not block it
    assert [row["number"] for row in recorder.waiting()] == [first]


def test_reprint_takes_the_patient_details_from_a_file_or_standard_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    original, number = render(tmp_path, capsys)
    details = f'name = "{NAME}"\ndate_of_birth = {BIRTH}\nmrn = "{MRN}"\n'
    again = tmp_path / "again.pdf"
    done = subprocess.run(
        [sys.executable, "-m", "handout_app", "reprint", number, "--patient-file", "-", "--output", str(again)],
        input=details,
        capture_output=True,
        text=True,
        env=os.environ,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert again.read_bytes() == original.read_bytes() and NAME not in done.stdout + done.stderr
    code, _, err = run(
        [
            "reprint",
            number,
            "--patient-file",
            str(tmp_path / "x.toml"),
            "--patient-name",
            NAME,
            "--output",
            str(tmp_path / "y.pdf"),
        ],
        capsys,
    )
    assert code == 2 and "not both" in err
    code, _, err = run(["reprint", number, "--output", str(tmp_path / "y.pdf")], capsys)
    assert code == 2 and "--patient-name" in err


def test_the_newest_migration_is_the_revision_the_code_expects() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from handout_app.records.store import MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION
