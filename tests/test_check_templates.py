"""`handout-app check-templates DIR`: exit codes and the report a clinic reads."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


from .conftest import EXAMPLE_CLINIC

from handout_app.check_templates import readability_problems
from handout_app.template_set import load_template_set




def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "handout_app", "check-templates", *args],
                          capture_output=True, text=True, timeout=600)


def test_the_example_clinic_is_clean_and_the_report_names_the_set() -> None:
    result = check(str(EXAMPLE_CLINIC))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Template set: Riverside hip set 3 #" in result.stdout
    assert "Rendered 112 of 112 combinations" in result.stdout and "112 clean" in result.stdout
    assert "Result: clean" in result.stdout


def test_a_misspelled_variable_is_reported_with_file_line_and_hint(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}\n{{ super() }}\n<p>{{ clinic.phon }}</p>\n{% endblock %}\n'
    )
    result = check(str(clinic))
    assert result.returncode == 2
    assert "header.html.j2, line 4" in result.stdout and "phon" in result.stdout
    assert "Check the spelling" in result.stdout and "Seen in 112 combination(s)" in result.stdout
    assert "Result: 1 problem(s)." in result.stdout


def test_wording_above_grade_8_is_reported_by_item_id(clinic: Path) -> None:
    path = clinic / "content" / "10-riverside.toml"
    path.write_text(path.read_text() + (
        '\n[[item]]\nid = "riverside-jargon"\nsection = "faq"\ntitle.en = "Why?"\n'
        'text.en = "Intra-articular corticosteroid administration demonstrates considerable heterogeneity '
        'regarding symptomatic amelioration, necessitating individualised multidisciplinary consideration."\n'
    ))
    # The same report check-templates prints (in-process: the renders are covered above).
    problems = readability_problems(load_template_set(clinic))
    assert [p.where for p in problems] == ["content/10-riverside.toml, item 'riverside-jargon' (en)"]
    assert "reads at grade" in problems[0].message and "shorter sentences" in problems[0].hint
    assert not readability_problems(load_template_set(EXAMPLE_CLINIC))


def test_a_set_that_does_not_load_is_reported_without_rendering(clinic: Path) -> None:
    (clinic / "content" / "10-riverside.toml").write_text('[[item]]\nid = "after-ice"\ntext.fr = "Bonjour"\n')
    result = check(str(clinic))
    assert result.returncode == 2
    assert "10-riverside.toml, line 2, item 'after-ice'" in result.stdout and "unknown language" in result.stdout
    assert "Nothing was rendered" in result.stdout


def test_a_missing_folder_is_a_plain_error() -> None:
    result = check("/nonexistent/clinic")
    assert result.returncode == 2 and "is not a folder" in result.stderr and "Traceback" not in result.stderr


def test_list_items_shows_where_each_wording_comes_from() -> None:
    result = subprocess.run([sys.executable, "-m", "handout_app", "check-templates", str(EXAMPLE_CLINIC), "--list-items"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    lines = {line.split()[1]: line for line in result.stdout.splitlines()}
    assert "content/10-riverside.toml" in lines["after-ice"] and "content/10-riverside.toml" in lines["riverside-steroid-card"]
    assert "80-after.toml" in lines["after-numb"] and "faq-cost" not in lines
