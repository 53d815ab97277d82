"""Test set-up: headless Qt, and user folders pointed at temporary directories."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .pg_fixture import postgres_server, postgres_url  # noqa: F401 (fixtures for the record store tests)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep QSettings and any user files out of the real home folder."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))  # the default record store


EXAMPLE_CLINIC = Path(__file__).resolve().parents[1] / "examples" / "clinic"


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A private copy of the example clinic folder (the one the README shows) that a test may change."""
    folder = tmp_path / "clinic"
    shutil.copytree(EXAMPLE_CLINIC, folder)
    return folder
