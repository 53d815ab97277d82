"""Compiled templates kept between runs (template_cache.py): a second start uses them, a changed template is
compiled afresh, and a cache folder that cannot be used changes nothing but the speed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from handout_app.clinic import ClinicProfile
from handout_app.sandbox import HandoutSandbox
from handout_app.templating import make_environment, render_html

from .helpers import GENERATED_AT, catalog, make_selection


def _cache_folder() -> Path:
    return Path(os.environ["XDG_CACHE_HOME"]) / "handout-app" / "templates"


def _sheet(env: HandoutSandbox) -> str:
    return render_html(make_selection(side="left"), catalog(), ClinicProfile(), GENERATED_AT, env=env).html


def test_a_second_start_uses_the_compiled_templates_and_makes_the_same_sheet() -> None:
    first = _sheet(make_environment())
    kept = sorted(_cache_folder().iterdir())
    assert kept and all(path.stat().st_size > 0 for path in kept)
    stamps = {path: path.stat().st_mtime_ns for path in kept}
    assert _sheet(make_environment()) == first
    assert {path: path.stat().st_mtime_ns for path in sorted(_cache_folder().iterdir())} == stamps  # read, not written


def test_a_changed_template_is_compiled_afresh(tmp_path: Path) -> None:
    clinic_templates = tmp_path / "templates" / "partials"
    clinic_templates.mkdir(parents=True)
    partial = clinic_templates / "key_points.html.j2"
    partial.write_text('<section class="key-points"><h2>First wording</h2></section>\n', encoding="utf-8")
    assert "First wording" in _sheet(make_environment(clinic_templates=tmp_path / "templates"))
    partial.write_text('<section class="key-points"><h2>Second wording</h2></section>\n', encoding="utf-8")
    html = _sheet(make_environment(clinic_templates=tmp_path / "templates"))
    assert "Second wording" in html and "First wording" not in html


def test_code_compiled_by_another_release_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """A release may compile templates differently (a check added to the compiled code): code another
    release kept for the same template source is compiled afresh, not run."""
    from handout_app import template_cache

    first = _sheet(make_environment())
    kept = set(_cache_folder().iterdir())
    monkeypatch.setattr(template_cache, "__version__", "0.0.0-another-release")
    assert _sheet(make_environment()) == first
    added = set(_cache_folder().iterdir()) - kept
    assert len(added) == len(kept)  # every template compiled again, under the other release's own key


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_a_folder_that_cannot_be_written_only_costs_speed() -> None:
    expected = _sheet(make_environment())
    for path in _cache_folder().iterdir():
        path.unlink()
    _cache_folder().chmod(0o500)
    try:
        assert _sheet(make_environment()) == expected
        assert list(_cache_folder().iterdir()) == []
    finally:
        _cache_folder().chmod(0o700)


def test_a_cache_path_that_is_a_file_only_costs_speed() -> None:
    expected = _sheet(make_environment())
    cache = _cache_folder().parent
    for path in _cache_folder().iterdir():
        path.unlink()
    _cache_folder().rmdir()
    _cache_folder().write_text("not a folder", encoding="utf-8")
    assert _sheet(make_environment()) == expected
    assert _cache_folder().read_text(encoding="utf-8") == "not a folder" and cache.is_dir()


def test_a_damaged_cache_file_is_compiled_again() -> None:
    expected = _sheet(make_environment())
    for path in _cache_folder().iterdir():
        path.write_bytes(b"j2\x00damaged")
    assert _sheet(make_environment()) == expected
