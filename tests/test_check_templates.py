"""`handout-app check-templates DIR`: exit codes and the report a clinic reads."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from handout_app.check_templates import readability_problems
from handout_app.template_set import load_template_set

from .conftest import EXAMPLE_CLINIC


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "handout_app", "check-templates", *args], capture_output=True, text=True, timeout=600
    )


def test_the_example_clinic_is_clean_and_the_report_names_the_set() -> None:
    result = check(str(EXAMPLE_CLINIC))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Template set: Riverside hip set 3 #" in result.stdout
    assert re.search(r"Rendered (\d+) of \1 sheets: \1 clean", result.stdout) and re.search(
        r"; \d+ of them to PDF", result.stdout
    )
    assert "Result: clean" in result.stdout


def test_a_misspelled_variable_is_reported_with_file_line_and_hint(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title '
        "%}\n{{ super() }}\n<p>{{ clinic.phon }}</p>\n{% endblock %}\n"
    )
    result = check(str(clinic))
    assert result.returncode == 2
    assert "header.html.j2, line 4" in result.stdout and "phon" in result.stdout
    total = int(re.search(r"Rendered (\d+) of", result.stdout).group(1))
    assert "Check the spelling" in result.stdout and f"Seen in {total} combination(s)" in result.stdout
    assert "Result: 1 problem(s)." in result.stdout


def test_hard_wording_and_a_missing_translation_are_reported_by_item_id(clinic: Path) -> None:
    path = clinic / "content" / "10-riverside.toml"
    path.write_text(
        path.read_text()
        + (
            '\n[[item]]\nid = "riverside-jargon"\nsection = "faq"\ntitle.en = "Why?"\n'
            'text.en = "Intra-articular corticosteroid administration demonstrates considerable heterogeneity '
            'regarding symptomatic amelioration, necessitating individualised multidisciplinary consideration."\n'
        )
    )
    # The same report check-templates prints (in-process: the renders are covered above).
    problems = {p.where: p for p in readability_problems(load_template_set(clinic))}
    assert set(problems) == {
        "content/10-riverside.toml, item 'riverside-jargon' (en)",
        "content/10-riverside.toml, item 'riverside-jargon'",
    }
    grade = problems["content/10-riverside.toml, item 'riverside-jargon' (en)"]
    assert "reads at grade" in grade.message and "shorter sentences" in grade.hint
    # A clinic item without Spanish is reported, never printed in English on a Spanish sheet.
    assert "has no wording in 'es'" in problems["content/10-riverside.toml, item 'riverside-jargon'"].message
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
    result = subprocess.run(
        [sys.executable, "-m", "handout_app", "check-templates", str(EXAMPLE_CLINIC), "--list-items"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0
    lines = {line.split()[1]: line for line in result.stdout.splitlines()}
    assert (
        "content/10-riverside.toml" in lines["after-ice"]
        and "content/10-riverside.toml" in lines["riverside-steroid-card"]
    )
    assert "80-after.toml" in lines["after-numb"] and "faq-cost" not in lines


def test_an_override_in_one_language_only_is_reported(clinic: Path) -> None:
    path = clinic / "content" / "10-riverside.toml"
    text = path.read_text()
    start = text.index('text.es = "Si la zona duele, póngase una bolsa de hielo')
    path.write_text(text[:start] + text[text.index("\n", start) + 1 :])
    (problem,) = readability_problems(load_template_set(clinic))
    assert "item 'after-ice'" in problem.where and "not in es" in problem.message


def test_a_clinic_item_with_a_figure_no_fact_holds_is_reported(clinic: Path) -> None:
    from handout_app.check_templates import claims_problems

    path = clinic / "content" / "10-riverside.toml"
    path.write_text(path.read_text().replace('facts = ["ice", "riverside-ice"]', 'facts = ["ice"]'), encoding="utf-8")
    problems = claims_problems(load_template_set(clinic))
    assert [p.where for p in problems] == ["content/10-riverside.toml, item 'after-ice'"] * 2  # en and es
    assert "the number 15" in problems[0].message and "the number 4" in problems[0].message
    assert "content/claims.toml" in problems[0].hint
    assert claims_problems(load_template_set(EXAMPLE_CLINIC)) == []


def test_the_sheets_cover_every_side_language_edition_paper_and_factor() -> None:
    from handout_app.catalog import LANGUAGES
    from handout_app.check_plan import FACTOR_SETS, combinations
    from handout_app.domain import Paper, Side

    jobs = combinations()
    for output_format in ("html", "pdf"):
        chosen = [job.selection for job in jobs if job.output_format == output_format]
        assert {s.side for s in chosen} == set(Side) and {s.language for s in chosen} == set(LANGUAGES)
        assert {s.large_print for s in chosen} == {False, True} and {s.paper for s in chosen} == set(Paper)
        assert {s.factors for s in chosen} == {factors for _, factors in FACTOR_SETS}
        assert any(s.consent_copy for s in chosen) and any(s.archival for s in chosen)
    html = {
        (
            j.selection.target,
            j.selection.medications,
            j.selection.guidance,
            j.selection.contrast,
            j.selection.side,
            j.selection.language,
            j.selection.large_print,
            j.selection.paper,
        )
        for j in jobs
        if j.output_format == "html"
    }
    assert len(html) == 112 * 3 * 2 * 2 * 2  # every procedure on every side, language, print size and paper


def test_a_set_whose_templates_never_read_the_paper_makes_each_html_once_and_both_papers_as_pdf() -> None:
    from dataclasses import replace

    from handout_app.check_plan import combinations
    from handout_app.domain import Paper
    from handout_app.templating import templates_reading

    from .helpers import GENERATED_AT, make_selection

    # What makes it sound: no template reads the paper (the app sets the page size, pdf.paper_css), so the
    # HTML is the same on both papers; a Letter sheet could show no problem its A4 twin does not.
    for folder in (None, EXAMPLE_CLINIC):
        template_set = load_template_set(folder)
        assert templates_reading(template_set.env, "paper") == []
        for side, language, large_print in (("left", "en", False), ("bilateral", "es", True)):
            selection = replace(make_selection(side=side), language=language, large_print=large_print)
            a4, letter = (template_set.render_html(replace(selection, paper=p), GENERATED_AT).html for p in Paper)
            assert a4 == letter
    jobs = combinations(load_template_set(EXAMPLE_CLINIC).catalog, html_per_paper=False)
    html = [job for job in jobs if job.output_format == "html"]
    assert len(html) == 112 * 3 * 2 * 2 and all("either paper" in job.label for job in html)
    pdfs = [job.selection for job in jobs if job.output_format == "pdf"]
    assert {s.paper for s in pdfs} == set(Paper) and len(pdfs) == 8


def test_any_clinic_file_that_reads_the_paper_or_cannot_be_parsed_counts_as_reading_it(clinic: Path) -> None:
    from handout_app.templating import templates_reading

    templates = clinic / "templates"
    (templates / "partials" / "call.html.j2").write_text(
        '{% extends "builtin/partials/call.html.j2" %}{% block x %}Print on paper.{% endblock %}'
    )
    (templates / "notes.html").write_text("{% set wide = paper == 'letter' %}")
    (templates / "clinic.css").write_text("p { color: black } /* {% if paper */")
    # A picture is no template on any paper, whatever its bytes hold.
    (templates / "band.png").write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe paper")
    assert templates_reading(load_template_set(clinic).env, "paper") == ["clinic.css", "notes.html"]


def test_a_clinic_folder_with_a_folder_that_cannot_be_listed_does_not_load(clinic: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A template in a folder that can be entered but not listed could still be included by name, unseen by
    the set's hashes and by check-templates (which then made one HTML for both papers of a set reading the
    paper). Tests run as root, whom permissions do not stop, so the listing itself is refused here."""
    import os

    from handout_app.clinic import ClinicError

    hidden = clinic / "templates" / "h"
    hidden.mkdir()
    (hidden / "p.inc").write_text("{% if paper == 'letter' %}{{ 1 // 0 }}{% endif %}")
    scandir = os.scandir

    def refusing(path=".", *args, **kwargs):  # type: ignore[no-untyped-def]
        if os.fspath(path) == os.fspath(hidden):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", refusing)
    with pytest.raises(ClinicError, match=r"templates/h.* cannot be listed .* Make it readable"):
        load_template_set(clinic)


def test_the_report_names_the_templates_that_read_the_paper(clinic: Path) -> None:
    (clinic / "templates" / "notes.html").write_text("{{ paper }}")
    result = check(str(clinic))
    assert result.returncode == 0, result.stdout
    assert "HTML on each paper: notes.html may read the paper." in result.stdout
    assert "Rendered 2696 of 2696 sheets" in result.stdout and "(once for both papers" not in result.stdout


def test_a_set_that_fails_only_on_the_rarest_sheet_is_not_clean(clinic: Path) -> None:
    # Works on every sheet but a LEFT, Spanish, large-print Letter one with every factor: still reported.
    condition = "side == 'IZQUIERDA' and large_print and paper == 'letter' and allergies|length > 3"
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}\n{{ super() }}\n'
        f"{{% if {condition} %}}{{{{ clinic.no_such_field }}}}{{% endif %}}\n{{% endblock %}}\n"
    )
    result = check(str(clinic))
    assert result.returncode == 2, result.stdout
    assert "Result: clean" not in result.stdout and "header.html.j2, line 4" in result.stdout
    assert "LEFT, es, large print, letter, every factor and allergy" in result.stdout


def test_the_pdfs_reach_every_item_in_both_print_sizes_and_every_edition() -> None:
    from handout_app.catalog import select
    from handout_app.check_plan import combinations

    catalog = load_template_set(EXAMPLE_CLINIC).catalog
    pdfs = [job.selection for job in combinations(catalog) if job.output_format == "pdf"]
    covered = {
        (item.id, s.large_print) for s in pdfs for items in select(catalog, s).sections.values() for item in items
    }
    printable = {item.id for item in catalog.items}
    reachable = {(item_id, large) for item_id in printable for large in (False, True)}
    html = [job.selection for job in combinations(catalog) if job.output_format == "html"]
    reachable &= {
        (item.id, s.large_print) for s in html for items in select(catalog, s).sections.values() for item in items
    }
    assert reachable <= covered, sorted(reachable - covered)[:5]
    assert "riverside-steroid-card" in {item_id for item_id, _ in covered}  # the clinic's own items too
    assert len(pdfs) < 30  # the layout is what costs: a covering subset, not one PDF per procedure


def test_the_pdfs_reach_every_item_any_side_factor_set_or_purpose_can_print_in_as_few_sheets_as_can_be() -> None:
    import itertools
    from dataclasses import replace

    from handout_app.catalog import LANGUAGES, SelectionRefused, select
    from handout_app.check_plan import FACTOR_SETS, combinations, procedures
    from handout_app.domain import Intent, Paper, Side, default_intent

    catalog = load_template_set(EXAMPLE_CLINIC).catalog
    pdfs = [job.selection for job in combinations(catalog) if job.output_format == "pdf"]
    covered = {
        (item.id, s.large_print) for s in pdfs for items in select(catalog, s).sections.values() for item in items
    }
    reachable = set()
    for (_, procedure), side, (_, factors) in itertools.product(procedures(), Side, FACTOR_SETS):
        for intent in [None] if default_intent(procedure.medications) else list(Intent):
            try:
                content = select(catalog, replace(procedure, side=side, factors=factors, intent=intent))
            except SelectionRefused:
                continue
            reachable |= {
                (item.id, large) for items in content.sections.values() for item in items for large in (False, True)
            }
    assert reachable == covered
    # Each target has an item of its own ("about-joint"...), so four sheets in each print size is the least.
    assert len(pdfs) == 8
    for large in (False, True):
        sheets = [s for s in pdfs if s.large_print == large]
        assert {s.language for s in sheets} == set(LANGUAGES) and {s.paper for s in sheets} == set(Paper)


def test_a_clinic_name_too_long_for_the_large_print_footer_is_reported_with_what_to_shorten(clinic: Path) -> None:
    """Standard print has room for it, so only the check (and a nurse's large-print sheet) would find it."""
    path = clinic / "clinic.toml"
    name = " ".join(["WWWWWWWW"] * 16)[:140]
    path.write_text(path.read_text(encoding="utf-8").replace("Riverside Orthopaedic Clinic", name), encoding="utf-8")
    result = check(str(clinic))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "too long for the footer every page prints" in result.stdout
    assert "Shorten 'name' in clinic.toml" in result.stdout and "large print" in result.stdout


def test_the_check_prints_with_the_longest_date_of_the_year_in_every_language() -> None:
    """A footer that fits on the day of the check fits on every day: no month is spelled longer."""
    import datetime as dt

    from handout_app.check_templates import longest_print_time
    from handout_app.choices import LANGUAGES
    from handout_app.formats import format_date

    longest = longest_print_time()
    assert (longest.hour, longest.minute) == (23, 59)
    for language in LANGUAGES:
        for day in (dt.date(longest.year, month, 28) for month in range(1, 13)):
            assert len(format_date(day, language)) <= len(format_date(longest.date(), language)), (language, day)
