"""The wheel carries the templates, content and assets, and the installed package finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
