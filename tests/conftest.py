"""Test set-up: headless Qt, and user folders pointed at temporary directories."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from handout_app.ffi_declarations import FILE_NAME as KEPT_DECLARATIONS

from .pg_fixture import postgres_server, postgres_url  # noqa: F401 (fixtures for the record store tests)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def _kept_declarations(tmp_path_factory: pytest.TempPathFactory) -> Path | None:
    """WeasyPrint's C declarations as the first start in a cache folder keeps them (ffi_declarations.py), made
    once per test process. Every test's cache folder starts with them, as a user's does after the first start,
    so that the hundreds of render workers the tests start do not each parse and keep them again
    (test_ffi_declarations.py starts from empty folders)."""
    cache = tmp_path_factory.mktemp("declarations")
    subprocess.run(
        [sys.executable, "-c", "from handout_app.weasyprint_import import import_weasyprint; import_weasyprint()"],
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
        cwd=Path(__file__).resolve().parents[1],
        check=True,
        timeout=120,
    )
    kept = cache / "handout-app" / KEPT_DECLARATIONS
    if not sys.platform.startswith("linux"):
        return None  # kept on Linux only
    assert kept.is_file(), "the first start kept no declarations (ffi_declarations.py)"
    return kept


@pytest.fixture(autouse=True)
def _isolated_settings(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, _kept_declarations: Path | None
) -> None:
    """Keep QSettings and any user files out of the real home folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))  # the default record store
    # Compiled templates (template_cache.py) and WeasyPrint's declarations (ffi_declarations.py).
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    if _kept_declarations is not None:
        (home / ".cache" / "handout-app").mkdir(parents=True)
        shutil.copy2(_kept_declarations, home / ".cache" / "handout-app" / KEPT_DECLARATIONS)


EXAMPLE_CLINIC = Path(__file__).resolve().parents[1] / "examples" / "clinic"

# Test files that render many PDFs, start render workers (every window test with a preview does) or run
# check-templates: each took 10 s or more on 2 cores (pytest --durations=0, 2026-12-05). `make test-fast`
# leaves them out (-m "not slow"); `make test` and CI run everything.
SLOW_FILES = frozenset(
    {
        "test_sheet_length.py",
        "test_check_templates.py",
        "test_records.py",
        "test_render_matrix.py",
        "test_hostile_sheets.py",
        "test_hostile_templates.py",
        "test_day_list.py",
        "test_new_clinic.py",
        "test_worker_cancel.py",
        "test_worker_batch.py",
        "test_cli_input_safety.py",
        "test_pdf_leaks_and_limits.py",
        "test_pdf_output.py",
        "test_spanish.py",
        "test_clinic_languages.py",
        "test_wording_approval.py",
        "test_editions.py",
        "test_template_sandbox.py",
        "test_ffi_declarations.py",
        "test_diagram.py",
        "test_cli.py",
        "gui/test_main_window.py",
        "gui/test_printing.py",
        "gui/test_clinic_gui.py",
        "gui/test_day_list_gui.py",
        "gui/test_form_glyphs.py",
        "gui/test_records_gui.py",
        "gui/test_hostile_gui_files.py",
        "gui/test_wording_gui.py",
    }
)


# The longest files, run first so that on several cores (make test) none of them is left running alone
# at the end: the whole-matrix length test alone takes minutes.
LONGEST_FIRST = ("test_sheet_length.py", "test_check_templates.py", "test_records.py", "test_new_clinic.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of a SLOW_FILES file `slow`; put the LONGEST_FIRST files first."""
    tests = Path(__file__).resolve().parent
    for item in items:
        if item.path.resolve().relative_to(tests).as_posix() in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A private copy of the example clinic folder (the one the README shows) that a test may change."""
    folder = tmp_path / "clinic"
    shutil.copytree(EXAMPLE_CLINIC, folder)
    return folder
