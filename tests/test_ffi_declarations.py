"""WeasyPrint's C declarations are kept between starts and make the very same PDFs (ffi_declarations.py).

Each start runs in a fresh Python with its own cache folder, as the app's render worker does."""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from handout_app.ffi_declarations import FILE_NAME

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="declarations are kept on Linux only")

# Loads WeasyPrint as the render worker does, makes three sheets that between them use pictures, both
# fonts, large print and Spanish, and says which FFI WeasyPrint got and what the PDFs hold.
START = textwrap.dedent(
    """
    import datetime as dt, hashlib, json, sys
    from handout_app.weasyprint_import import import_weasyprint
    import_weasyprint()
    import weasyprint.text.ffi
    from handout_app import worker
    from handout_app.domain import (Guidance, Medication, PatientDetails, Selection, Side, Target,
                                    selection_to_dict)
    sheets = [
        Selection(target=Target.JOINT, medications=frozenset({Medication.ANESTHETIC}), guidance=Guidance.ULTRASOUND,
                  side=Side.LEFT, patient=PatientDetails(name="Zoë Łukasiewicz-Ødegård")),
        Selection(target=Target.TROCHANTERIC, medications=frozenset({Medication.CORTICOSTEROID}),
                  guidance=Guidance.FLUOROSCOPY, contrast=True, side=Side.RIGHT, large_print=True,
                  patient=PatientDetails(name="Ana Núñez")),
        Selection(target=Target.ILIOPSOAS, medications=frozenset({Medication.PRP}), guidance=Guidance.LANDMARK,
                  side=Side.RIGHT, language="es", patient=PatientDetails(name="José Pérez")),
    ]
    pdfs = []
    for number, selection in enumerate(sheets):
        request = json.loads(worker.encode_request(str(number), selection_to_dict(selection), None,
                                                   dt.datetime(2026, 12, 7, 9, 0).isoformat()))
        reply, pdf = worker.handle(request)
        assert reply["ok"], reply
        pdfs.append(hashlib.sha256(pdf).hexdigest())
    print(json.dumps({"ffi": type(weasyprint.text.ffi.ffi).__name__, "pdfs": pdfs}))
    """
)


def _start(cache: Path) -> dict[str, object]:
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", START],
        capture_output=True,
        text=True,
        timeout=180,
        env=environment,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _kept_file(cache: Path) -> Path:
    return cache / "handout-app" / FILE_NAME


def test_the_first_start_keeps_the_declarations_and_the_next_uses_them_for_the_same_pdfs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _start(cache)
    assert first["ffi"] == "_RecordingFFI"  # parsed from WeasyPrint's C source, as cffi always did
    assert _kept_file(cache).is_file()

    second = _start(cache)
    assert second["ffi"] == "_KeptFFI"
    assert second["pdfs"] == first["pdfs"]  # byte for byte


def test_declarations_kept_for_another_weasyprint_are_not_used_and_are_made_anew(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    fresh = _start(cache)
    kept = _kept_file(cache)
    right = kept.read_text(encoding="ascii")
    # The same table as if made from other C source (an upgraded WeasyPrint): the checksum still matches.
    body = right.partition("\n")[2]
    (key,) = ast.literal_eval(body)["cdefs"]
    other = body.replace(key, hashlib.sha256(b"other declarations").hexdigest())
    kept.write_text(hashlib.sha256(other.encode()).hexdigest() + "\n" + other, encoding="ascii")

    after_upgrade = _start(cache)
    assert after_upgrade["ffi"] == "_RecordingFFI"
    assert after_upgrade["pdfs"] == fresh["pdfs"]
    assert kept.read_text(encoding="ascii") == right  # kept anew, for these declarations
    assert _start(cache)["ffi"] == "_KeptFFI"


@pytest.mark.parametrize(
    "damage",
    [
        "cut short",
        "changed without its checksum",
        "code instead of a table",
        "another cffi",
        "a table cffi refuses",
        "not text",
    ],
)
def test_a_damaged_or_foreign_file_is_never_used_and_is_replaced(tmp_path: Path, damage: str) -> None:
    cache = tmp_path / "cache"
    fresh = _start(cache)
    kept = _kept_file(cache)
    right = kept.read_text(encoding="ascii")
    checksum, _, body = right.partition("\n")
    marker = tmp_path / "ran"
    if damage == "cut short":
        kept.write_text(right[: len(right) // 2], encoding="ascii")
    elif damage == "changed without its checksum":
        kept.write_text(checksum + "\n" + body.replace("'_version': ", "'_version': 1 + "), encoding="ascii")
    elif damage == "code instead of a table":
        code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
        kept.write_text(hashlib.sha256(code.encode()).hexdigest() + "\n" + code, encoding="ascii")
    elif damage == "another cffi":
        other = body.replace("'stamp': 'cffi ", "'stamp': 'cffi 0.0 ", 1)
        kept.write_text(hashlib.sha256(other.encode()).hexdigest() + "\n" + other, encoding="ascii")
    elif damage == "a table cffi refuses":
        version = re.search(r"'_version': \d+", body)
        assert version is not None
        other = body.replace(version.group(0), "'_version': 1")
        kept.write_text(hashlib.sha256(other.encode()).hexdigest() + "\n" + other, encoding="ascii")
    else:
        kept.write_bytes(b"\xff\xfe\x00garbage")

    damaged = _start(cache)
    assert damaged["ffi"] == "_RecordingFFI"
    assert damaged["pdfs"] == fresh["pdfs"]
    assert not marker.exists()  # the file is read as literals, never run
    assert kept.read_text(encoding="ascii") == right


def test_a_cache_folder_that_cannot_be_written_only_means_the_declarations_are_parsed_each_time(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    first, second = _start(blocked), _start(blocked)
    assert first["ffi"] == second["ffi"] == "_RecordingFFI"
    assert first["pdfs"] == second["pdfs"]
    assert len(first["pdfs"]) == 3  # type: ignore[arg-type]
