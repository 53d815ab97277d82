"""A clean start for a new clinic: `handout-app new-clinic`, the README's examples exactly as shown,
and check-templates reporting a heading printed twice."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from handout_app.check_templates import duplicate_heading_problems, run_check
from handout_app.cli import main
from handout_app.clinic import load_clinic
from handout_app.template_set import load_template_set

from .conftest import EXAMPLE_CLINIC

ROOT = Path(__file__).resolve().parent.parent


def test_new_clinic_writes_a_clean_commented_folder_with_the_clinics_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "northside"
    assert main(["new-clinic", str(folder), "--name", "Northside  Hip Clinic"]) == 0
    assert "check-templates" in capsys.readouterr().out
    profile = load_clinic(folder)
    assert profile.name == "Northside Hip Clinic" and profile.template_set_name == "Northside Hip Clinic handouts"
    assert not profile.logo and not profile.phone  # nothing invented, nothing of Riverside's
    text = (folder / "clinic.toml").read_text()
    assert "Riverside" not in text and "# phone =" in text and "date_order" in text and "default_intent" in text
    assert sorted(p.name for p in folder.iterdir()) == ["assets", "clinic.toml", "content", "templates"]
    template_set = load_template_set(folder)
    assert not [item for item in template_set.catalog.items if item.source.startswith("content/")]


@pytest.mark.parametrize(
    "make, name, said",
    [
        (lambda p: (p / "x").mkdir() or (p / "x" / "a.txt").write_text("keep"), "A", "not an empty folder"),
        (lambda p: (p / "x").write_text("a file"), "A", "not an empty folder"),
        (lambda p: None, "   ", "name is empty"),
        (lambda p: None, "Bad\x07Name", "name"),
    ],
)
def test_new_clinic_never_writes_over_anything_and_refuses_bad_names(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make,
    name: str,
    said: str,
) -> None:
    make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(SystemExit) if "\x07" in name else _no_exit():
        code = main(["new-clinic", str(tmp_path / "x"), "--name", name])
        assert code == 2
    assert said in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing half-made left behind
    if (tmp_path / "x" / "a.txt").exists():
        assert (tmp_path / "x" / "a.txt").read_text() == "keep"


class _no_exit:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *args: object) -> bool:
        return False


def _readme_files() -> dict[str, str]:
    """The README's example files: each fenced block whose first line names a file in my-clinic/."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    files = {}
    for block in re.findall(r"```(?:toml|jinja)\n(.*?)```", readme, flags=re.DOTALL):
        first = block.splitlines()[0]
        found = re.fullmatch(r"(?:#|\{#) my-clinic/(\S+)(?: #\})?", first.strip())
        if found:
            files[found.group(1)] = block
    return files


def test_the_readme_shows_every_kind_of_change_as_a_named_file() -> None:
    assert set(_readme_files()) == {
        "clinic.toml",
        "content/10-my-wording.toml",
        "content/claims.toml",
        "content/20-steroid-card.toml",
        "templates/partials/header.html.j2",
    }


def _clinic_with_readme_examples(tmp_path: Path) -> Path:
    folder = tmp_path / "my-clinic"
    assert main(["new-clinic", str(folder), "--name", "Riverside Orthopaedic Clinic"]) == 0
    for relative, text in _readme_files().items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    shutil.copy(
        EXAMPLE_CLINIC / "assets" / "logo.svg", folder / "assets" / "logo.svg"
    )  # "put the logo file in assets/"
    return folder


def test_a_new_clinic_with_the_readmes_examples_exactly_as_shown_checks_clean(tmp_path: Path) -> None:
    import io

    folder = _clinic_with_readme_examples(tmp_path)
    report = io.StringIO()
    assert run_check(folder, report) == 0, report.getvalue()
    assert "Result: clean" in report.getvalue()


def test_an_item_that_repeats_a_heading_further_down_is_reported(tmp_path: Path) -> None:
    folder = _clinic_with_readme_examples(tmp_path)
    assert duplicate_heading_problems(load_template_set(folder)) == []  # right after a "Today" row: it shares it
    card = folder / "content" / "20-steroid-card.toml"
    card.write_text(card.read_text().replace('after = "after-numb"', 'after = "after-therapy"'))
    problems = duplicate_heading_problems(load_template_set(folder))
    assert len(problems) == 1, [p.message for p in problems]
    assert (
        "item 'my-steroid-card'" in problems[0].where
        and "'Today' a second time in section 'after'" in problems[0].message
    )
    assert 'after = "' in problems[0].hint and problems[0].combinations


def test_the_built_in_wording_never_prints_a_heading_twice() -> None:
    assert duplicate_heading_problems(load_template_set(None), clinic_items_only=False) == []


def test_the_settings_dialogs_save_keeps_the_clinics_comments_and_sign_off(tmp_path: Path) -> None:
    from handout_app.clinic import with_values
    from handout_app.clinic_file import write_clinic_toml

    folder = tmp_path / "clinic"
    assert main(["new-clinic", str(folder), "--name", "Northside"]) == 0
    toml = folder / "clinic.toml"
    toml.write_text(
        toml.read_text() + '\n# Signed off by the lead.\n[approval]\nname = "Dr A. Lee"\nrole = "Lead"\n'
        'date = 2026-11-01\ncontent_hash = "sha256:' + "a" * 64 + '"\n'
    )
    before = toml.read_text()
    write_clinic_toml(
        with_values(load_clinic(folder), {"phone": "555-0123", "department": {"en": "Hips", "es": "Caderas"}}), folder
    )
    after = toml.read_text()
    kept = [line for line in before.splitlines() if line.startswith("#")]
    assert all(line in after.splitlines() for line in kept)  # every comment line is still there
    assert after.split("[approval]")[1] == before.split("[approval]")[1]  # the sign-off byte for byte
    profile = load_clinic(folder)
    assert profile.phone == "555-0123" and profile.texts("department") == {"en": "Hips", "es": "Caderas"}
    write_clinic_toml(with_values(profile, {"phone": ""}), folder)
    assert not load_clinic(folder).phone and "# phone =" in toml.read_text()
