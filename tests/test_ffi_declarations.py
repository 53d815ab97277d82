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

# Loads WeasyPrint as the render worker does and says which FFI WeasyPrint got and the SHA-256 of each PDF
# made: with "sheets", three handouts that between them use pictures, both fonts, large print, Spanish and
# names beyond Latin-1; otherwise one short page (the checks of what is done with the kept file).
START = textwrap.dedent(
    """
    import datetime as dt, hashlib, json, sys
    from handout_app.weasyprint_import import import_weasyprint
    weasyprint = import_weasyprint()
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
    if sys.argv[1:] == ["sheets"]:
        for number, selection in enumerate(sheets):
            request = json.loads(worker.encode_request(str(number), selection_to_dict(selection), None,
                                                       dt.datetime(2026, 12, 7, 9, 0).isoformat()))
            reply, pdf = worker.handle(request)
            assert reply["ok"], reply
            pdfs.append(pdf)
    else:
        pdfs.append(weasyprint.HTML(string="<p>Your <b>RIGHT</b> hip</p>").write_pdf())
    print(json.dumps({"ffi": type(weasyprint.text.ffi.ffi).__name__,
                      "pdfs": [hashlib.sha256(pdf).hexdigest() for pdf in pdfs]}))
    """
)


def _python(code: str, cache: Path, *arguments: str) -> dict[str, object]:
    """What a fresh Python, whose cache folder is `cache`, prints last (JSON) after running `code`."""
    out = subprocess.run(
        [sys.executable, "-c", code, *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        cwd=Path(__file__).resolve().parents[1],
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _start(cache: Path, sheets: bool = False) -> dict[str, object]:
    """A fresh Python whose cache folder is `cache` loads WeasyPrint and makes PDFs (START)."""
    return _python(START, cache, *(["sheets"] if sheets else []))


def _cache_holding(tmp_path: Path, kept_table: str) -> Path:
    """A cache folder that holds `kept_table` as the kept file."""
    cache = tmp_path / "cache"
    _kept_file(cache).parent.mkdir(parents=True)
    _kept_file(cache).write_text(kept_table, encoding="ascii")
    return cache


def _kept_file(cache: Path) -> Path:
    return cache / "handout-app" / FILE_NAME


@pytest.fixture(scope="module")
def kept_table(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The file a first start keeps, as text (made once for the checks of damaged and foreign files)."""
    cache = tmp_path_factory.mktemp("first-start")
    assert _start(cache)["ffi"] == "_RecordingFFI"
    return _kept_file(cache).read_text(encoding="ascii")


def test_the_first_start_keeps_the_declarations_and_the_next_uses_them_for_the_same_pdfs(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = _start(cache, sheets=True)
    assert first["ffi"] == "_RecordingFFI"  # parsed from WeasyPrint's C source, as cffi always did
    assert _kept_file(cache).is_file()

    second = _start(cache, sheets=True)
    assert second["ffi"] == "_KeptFFI"
    assert second["pdfs"] == first["pdfs"]  # byte for byte
    assert len(first["pdfs"]) == 3  # type: ignore[arg-type]


def _write(kept: Path, body: str) -> None:
    """Write `body` as a kept file whose checksum matches it."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text(hashlib.sha256(body.encode()).hexdigest() + "\n" + body, encoding="ascii")


def test_declarations_kept_for_another_weasyprint_are_not_used_and_are_made_anew(
    tmp_path: Path, kept_table: str
) -> None:
    cache = tmp_path / "cache"
    kept = _kept_file(cache)
    # The same table as if made from other C source (an upgraded WeasyPrint), its checksum made to match.
    body = kept_table.partition("\n")[2]
    (key,) = ast.literal_eval(body)["cdefs"]
    _write(kept, body.replace(key, hashlib.sha256(b"other declarations").hexdigest()))

    after_upgrade = _start(cache)
    assert after_upgrade["ffi"] == "_RecordingFFI"
    assert kept.read_text(encoding="ascii") == kept_table  # kept anew, for these declarations
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
def test_a_damaged_or_foreign_file_is_never_used_and_is_replaced(tmp_path: Path, kept_table: str, damage: str) -> None:
    cache = tmp_path / "cache"
    kept = _kept_file(cache)
    kept.parent.mkdir(parents=True)
    checksum, _, body = kept_table.partition("\n")
    marker = tmp_path / "ran"
    if damage == "cut short":
        kept.write_text(kept_table[: len(kept_table) // 2], encoding="ascii")
    elif damage == "changed without its checksum":
        # A change that nothing but the checksum can tell: an entry the table does not use.
        kept.write_text(checksum + "\n" + body[:-1] + ", 'note': 1}", encoding="ascii")
    elif damage == "code instead of a table":
        _write(kept, f"__import__('pathlib').Path({str(marker)!r}).touch()")
    elif damage == "another cffi":
        _write(kept, body.replace("'stamp': 'cffi ", "'stamp': 'cffi 0.0 ", 1))
    elif damage == "a table cffi refuses":
        version = re.search(r"'_version': \d+", body)
        assert version is not None
        _write(kept, body.replace(version.group(0), "'_version': 1"))
    else:
        kept.write_bytes(b"\xff\xfe\x00garbage")

    damaged = _start(cache)
    assert damaged["ffi"] == "_RecordingFFI"
    assert len(damaged["pdfs"]) == 1  # type: ignore[arg-type]
    assert not marker.exists()  # the file is read as literals, never run
    assert kept.read_text(encoding="ascii") == kept_table


def test_a_cache_folder_that_cannot_be_written_only_means_the_declarations_are_parsed_each_time(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "cache"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    first, second = _start(blocked), _start(blocked)
    assert first["ffi"] == second["ffi"] == "_RecordingFFI"
    assert first["pdfs"] == second["pdfs"]
    assert len(first["pdfs"]) == 1  # type: ignore[arg-type]


def test_a_library_the_kept_declarations_cannot_open_by_name_is_still_found_the_usual_way(
    tmp_path: Path, kept_table: str
) -> None:
    """Where a library loads only through the standard lookup, the import is made again the usual way, from
    scratch, and WeasyPrint is whole."""
    cache = _cache_holding(tmp_path, kept_table)
    code = textwrap.dedent(
        """
        import json
        from handout_app import ffi_declarations
        attempts = []
        def dlopen(self, name, flags=0):
            attempts.append(name)
            raise OSError("cannot load library " + name)
        ffi_declarations._KeptFFI.dlopen = dlopen
        from handout_app.weasyprint_import import import_weasyprint
        weasyprint = import_weasyprint()
        pdf = weasyprint.HTML(string="<p>Your <b>RIGHT</b> hip</p>").write_pdf()
        print(json.dumps({"attempts": len(attempts), "ffi": type(weasyprint.text.ffi.ffi).__name__,
                          "pdf": pdf[:5].decode()}))
        """
    )
    result = _python(code, cache)
    assert result["attempts"] > 0
    assert result["ffi"] == "_RecordingFFI"
    assert result["pdf"] == "%PDF-"


def test_an_optional_library_the_kept_declarations_miss_sends_the_import_the_usual_way(
    tmp_path: Path, kept_table: str
) -> None:
    """HarfBuzz's subsetter is optional to WeasyPrint: missing, it makes other PDFs, and no error says so. Where
    it was found when the table was made but is not found by name now, WeasyPrint is loaded the usual way."""
    cache = _cache_holding(tmp_path, kept_table)
    code = textwrap.dedent(
        """
        import json
        from handout_app import ffi_declarations
        opened = ffi_declarations._KeptFFI.dlopen
        def dlopen(self, name, flags=0):
            if "subset" in name:
                raise OSError("cannot load library " + name)
            return opened(self, name, flags)
        ffi_declarations._KeptFFI.dlopen = dlopen
        from handout_app.weasyprint_import import import_weasyprint
        weasyprint = import_weasyprint()
        import weasyprint.text.ffi as declared
        print(json.dumps({"ffi": type(declared.ffi).__name__, "subsetter": declared.harfbuzz_subset is not None}))
        """
    )
    result = _python(code, cache)
    assert result == {"ffi": "_RecordingFFI", "subsetter": True}
