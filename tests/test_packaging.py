"""The wheel carries the templates, content and assets, and the installed package finds them; so does a
frozen bundle; the window has an entry point that needs no console."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from handout_app import resources

ROOT = Path(__file__).resolve().parent.parent
WINDOW_SCRIPT = ("handout-app-window", "handout_app.window:main")


def test_wheel_contains_data_and_renders_from_the_installed_copy(tmp_path: Path) -> None:
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    wheel = next(tmp_path.glob("handout_app-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    entry_points = next(name for name in names if name.endswith(".dist-info/entry_points.txt"))
    declared = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[gui_scripts]\n{} = {}".format(*WINDOW_SCRIPT) in declared
    assert "handout_app/_data/templates/handout.html.j2" in names
    assert "handout_app/_data/templates/content/60-risks.toml" in names
    assert "handout_app/_data/templates/handout.css" in names
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    output = tmp_path / "from-wheel.pdf"
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import handout_app, handout_app.resources as r;"
        "assert handout_app.__file__.startswith(sys.argv[1]), handout_app.__file__;"
        "assert str(r.data_root()).startswith(sys.argv[1]), r.data_root();"
        "from handout_app.cli import main;"
        "raise SystemExit(main(['render', '--target', 'joint', "
        "'--medication', 'anesthetic', '--guidance', 'ultrasound',"
        " '--side', 'left', '--patient-name', 'Wheel Test', '--output', sys.argv[2]]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(site), str(output)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert output.read_bytes().startswith(b"%PDF")


def test_the_window_entry_point_runs_without_a_console(monkeypatch: pytest.MonkeyPatch) -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["gui-scripts"]
    name, target = WINDOW_SCRIPT
    assert scripts[name] == target
    module, _, function = target.partition(":")
    main = getattr(importlib.import_module(module), function)
    # pythonw on Windows: no console, so sys.stdout and sys.stderr are None. Here there is no display either,
    # so it must say so (to nowhere) and return, not fail writing to a console that is not there.
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    for variable in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main() == 2
    assert sys.stderr.name == os.devnull and sys.stdout is sys.stderr
    sys.stderr.close()


@pytest.fixture
def fresh_data_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(resources.DATA_ROOT_ENV, raising=False)
    resources.data_root.cache_clear()
    yield
    resources.data_root.cache_clear()


def test_a_frozen_bundle_finds_templates_and_assets_in_its_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_data_root: None
) -> None:
    # PyInstaller's layout (.ci/handout-app.spec): the wheel's _data folder, under the bundle's sys._MEIPASS.
    data = tmp_path / "_internal" / "handout_app" / "_data"
    data.mkdir(parents=True)
    for name in ("templates", "assets"):
        (data / name).symlink_to(ROOT / name, target_is_directory=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path / "_internal"), raising=False)
    assert resources.data_root() == data
    assert (resources.content_dir() / "60-risks.toml").is_file()
    assert resources.assets_dir() == data / "assets"


def _locked_versions() -> dict[str, list[str]]:
    """Each package in the lock file and the versions pinned for it (one per system marker)."""
    import re

    from packaging.utils import canonicalize_name

    pins: dict[str, list[str]] = {}
    for line in (ROOT / ".ci" / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)", line)
        if match:
            pins.setdefault(canonicalize_name(match.group(1)), []).append(match.group(2))
    return pins


def test_the_lock_file_pins_every_dependency_within_pyproject_and_with_hashes() -> None:
    """`make` installs from .ci/requirements.lock with --require-hashes: a dependency added to pyproject.toml
    but not locked (run `make lock`), or locked outside the range pyproject.toml allows, fails here first."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = [*project["dependencies"], *project["optional-dependencies"]["test"]]
    wanted += project["optional-dependencies"]["bundle"]
    pins = _locked_versions()
    for text in wanted:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in .ci/requirements.lock: run `make lock`"
        for version in pins[name]:
            assert requirement.specifier.contains(version, prereleases=True), (text, version)
    lock = (ROOT / ".ci" / "requirements.lock").read_text()
    entries = [block for block in lock.split("\n") if "==" in block and not block.startswith(("#", " "))]
    assert entries and all(entry.rstrip().endswith("\\") for entry in entries), "every pin carries its hashes"
