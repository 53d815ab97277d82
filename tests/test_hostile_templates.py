"""Clinic templates are semi-trusted: probes of Python internals, file reads outside the allowed
folders, embedded attachments and runaway renders must all fail loudly, and nothing secret may
reach the PDF. A canary file with a unique marker stands for a secret."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from handout_app.clinic import ClinicError
from handout_app.pdf import RenderFailed, render_pdf
from handout_app.template_set import load_template_set
from handout_app.templating import TemplateProblem

from .helpers import GENERATED_AT, make_selection

CANARY = "CANARY-7f3a9c-SECRET"


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    """A secret file outside the clinic folder."""
    path = tmp_path / "secret" / "canary.txt"
    path.parent.mkdir()
    path.write_text(CANARY)
    return path


def with_header(clinic: Path, body: str) -> None:
    """Replace the clinic's header partial with `body` inside the built-in header's title block."""
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}\n' + body + "\n{% endblock %}\n"
    )


def render(clinic: Path) -> bytes:
    template_set = load_template_set(clinic)
    rendered = template_set.render_html(make_selection(), GENERATED_AT)
    return render_pdf(
        rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
    )


@pytest.mark.parametrize(
    "probe",
    [
        "{{ clinic.__class__.__mro__ }}",
        "{{ clinic|attr('__class__') }}",
        "{{ '{0.__class__.__init__.__globals__}'.format(clinic) }}",
        "{{ labels.items.__self__.__class__ }}",
        "{{ cycler.__init__.__globals__.os }}",
    ],
)
def test_probes_of_python_internals_fail_with_template_and_line(clinic: Path, probe: str) -> None:
    with_header(clinic, probe)
    with pytest.raises(TemplateProblem) as error:
        render(clinic)
    assert error.value.template.endswith("partials/header.html.j2") and error.value.line == 3


@pytest.mark.parametrize(
    "url",
    [
        "file://{canary}",
        "../secret/canary.txt",
        "../../secret/canary.txt",
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.png",
        "file://fileserver/share/canary.txt",
        "file:///dev/urandom",
        "data:text/html;base64,PGI+aGk8L2I+",
        "data:image/svg+xml,<svg></svg>",
    ],
)
def test_urls_outside_the_allowed_folders_are_refused_by_name(clinic: Path, canary: Path, url: str) -> None:
    url = url.format(canary=canary)
    with_header(clinic, f'<img src="{url}" alt="x"><link rel="stylesheet" href="{url}">')
    with pytest.raises(RenderFailed, match="Refused to load"):
        render(clinic)


def test_a_symlink_out_of_the_clinic_folder_is_refused(clinic: Path, canary: Path) -> None:
    (clinic / "assets" / "innocent.png").symlink_to(canary)
    with_header(clinic, '<img src="assets/innocent.png" alt="x">')
    with pytest.raises(ClinicError, match="is a link to something outside the clinic folder"):
        render(clinic)


def test_a_template_symlinked_out_of_the_folder_is_refused(clinic: Path, canary: Path) -> None:
    (clinic / "templates" / "partials" / "stolen.html.j2").symlink_to(canary)
    with_header(clinic, '{% include "partials/stolen.html.j2" %}')
    with pytest.raises(ClinicError, match="is a link to something outside the clinic folder"):
        render(clinic)


def test_include_of_a_path_with_dots_is_refused(clinic: Path) -> None:
    with_header(clinic, '{% include "../../secret/canary.txt" %}')
    with pytest.raises(TemplateProblem):
        render(clinic)


def test_attachments_are_never_embedded(clinic: Path) -> None:
    (clinic / "assets" / "notes.txt").write_text(CANARY)
    with_header(
        clinic, '<link rel="attachment" href="assets/notes.txt"><a rel="attachment" href="assets/notes.txt">notes</a>'
    )
    data = render(clinic)
    assert CANARY.encode() not in data
    assert b"/EmbeddedFile" not in data and b"/FileAttachment" not in data


def test_a_patient_name_cannot_inject_markup_or_css(clinic: Path) -> None:
    template_set = load_template_set(clinic)
    name = '</style><img src="file:///etc/passwd">{{ 7*7 }}'
    html = template_set.render_html(make_selection(name=name), GENERATED_AT).html
    assert '<img src="file:///etc/passwd">' not in html and "&lt;/style&gt;&lt;img" in html
    assert "{{ 7*7 }}" in html  # typed text is never run as a template


def test_a_macro_that_calls_itself_is_reported_with_its_line(clinic: Path) -> None:
    with_header(clinic, "{% macro again(n) %}{{ again(n) }}{% endmacro %}{{ again(1) }}")
    with pytest.raises(TemplateProblem, match="calls itself without end") as error:
        render(clinic)
    assert error.value.template.endswith("header.html.j2") and error.value.line == 3


# -- runaway templates: stopped by the worker's limits, with a plain message ----------------------
def check(folder: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "handout_app", "check-templates", str(folder), *extra],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ},
    )


def test_a_runaway_loop_is_stopped_by_the_time_limit(clinic: Path) -> None:
    # Prints nothing, so only the time limit (not the output cap) can stop it.
    with_header(
        clinic,
        "{% for i in range(20000) %}{% for j in range(20000) %}{% if i < 0 %}x{% endif %}{% endfor %}{% endfor %}",
    )
    result = check(clinic, "--timeout", "3")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "took longer than 3 seconds" in result.stdout and "never ends" in result.stdout
    assert "sheets were not checked" in result.stdout and "Traceback" not in result.stderr


def test_a_huge_repeat_is_refused_while_loading_nothing(clinic: Path) -> None:
    with_header(clinic, "{{ 'x' * 3000000000 }}")
    with pytest.raises(TemplateProblem, match="not allowed"):
        render(clinic)


def test_a_huge_string_is_stopped_by_the_memory_limit(clinic: Path) -> None:
    with_header(
        clinic,
        "{% set big = 'x' * 200000 %}{% set y %}{% for i in "
        "range(20000) %}{{ big }}{% endfor %}{% endset %}{{ y|length }}",
    )
    result = check(clinic, "--timeout", "30")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "of memory and was stopped" in result.stdout and "Traceback" not in result.stderr
