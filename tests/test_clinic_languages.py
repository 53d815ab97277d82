"""clinic.toml texts per language (issue 10, item 5): department, address, opening hours and the
emergency line in the sheet's language, the English text when the clinic gave none, check-templates
naming each missing language, and a sheet that says what to do in an emergency without any clinic."""

from __future__ import annotations

import io
import re
from dataclasses import replace
from pathlib import Path

import pytest

from handout_app import check_templates
from handout_app.check_templates import Job, clinic_text_problems, run_check
from handout_app.choices import LANGUAGES
from handout_app.clinic import ClinicError, ClinicProfile, load_clinic
from handout_app.clinic_file import write_clinic_toml
from handout_app.domain import Selection
from handout_app.pdf import render_pdf
from handout_app.template_set import TemplateSet, load_template_set
from handout_app.templating import render_html

from .conftest import EXAMPLE_CLINIC
from .helpers import GENERATED_AT, catalog, make_selection, normalise, pdf_text

EMERGENCY_EN = "Go to the nearest emergency department, or call 911."
EMERGENCY_ES = "Vaya a la sala de emergencias más cercana, o llame al 911."
BUILTIN_EMERGENCY = {
    "en": "In an emergency, call your local emergency number or go to the nearest emergency department.",
    "es": "En una emergencia, llame a su número local de emergencias o vaya a la sala de emergencias más cercana.",
}


def selection(language: str = "en", **kwargs: object) -> Selection:
    # A steroid alone: its purpose never has to be chosen, so the sheet renders as it is.
    return replace(make_selection(medications=("corticosteroid",), **kwargs), language=language)  # type: ignore[arg-type]


def html_of(template_set: TemplateSet, language: str = "en") -> str:
    return normalise(template_set.render_html(selection(language), GENERATED_AT).html)


def pdf_of(template_set: TemplateSet, language: str = "en") -> str:
    rendered = template_set.render_html(selection(language), GENERATED_AT)
    return pdf_text(
        render_pdf(
            rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
        )
    )


def call_section(html: str) -> str:
    """The "When to call us" section of a sheet's HTML."""
    return html[html.index('<section class="sec call">') :].split("</section>", 1)[0]


def write_clinic(folder: Path, lines: str) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "clinic.toml").write_text("[clinic]\n" + lines, encoding="utf-8")
    return folder


# -- the sheet prints each text in its own language -------------------------------------------------


def test_the_example_clinic_prints_its_texts_in_the_sheets_language() -> None:
    riverside = load_template_set(EXAMPLE_CLINIC)
    english, spanish = pdf_of(riverside, "en"), pdf_of(riverside, "es")
    assert f"In an emergency: {EMERGENCY_EN}" in english and EMERGENCY_ES not in english
    assert f"En una emergencia: {EMERGENCY_ES}" in spanish and EMERGENCY_EN not in spanish
    assert "Open: Monday to Friday, 8 am to 5 pm" in english and "Horario: De lunes a viernes, de 8 a 17 h" in spanish
    assert "Joint Injection Service" in english and "Servicio de Inyecciones en las Articulaciones" in spanish
    assert "Joint Injection Service" not in spanish
    # The built-in emergency line is for sheets without the clinic's own.
    assert BUILTIN_EMERGENCY["en"] not in english and BUILTIN_EMERGENCY["es"] not in spanish


def test_opening_hours_print_under_the_office_phone(clinic: Path) -> None:
    call = call_section(html_of(load_template_set(clinic)))
    phone, hours, after = (call.index(text) for text in ("555-0100", "Open: Monday to Friday", "After hours"))
    assert phone < hours < after
    # Without opening hours nothing is printed for them (no empty label).
    toml = clinic / "clinic.toml"
    toml.write_text(
        "\n".join(line for line in toml.read_text().splitlines() if not line.startswith("opening_hours")) + "\n"
    )
    assert "Open:" not in call_section(html_of(load_template_set(clinic)))


def test_a_text_given_only_in_english_is_printed_on_the_spanish_sheet(tmp_path: Path) -> None:
    folder = write_clinic(
        tmp_path / "c",
        f'name = "Riverside"\nemergency_line = "{EMERGENCY_EN}"\ndepartment = {{ en = "Joint Injection Service" }}\n',
    )
    spanish = html_of(load_template_set(folder), "es")
    assert f"En una emergencia:</strong> {EMERGENCY_EN}" in spanish  # never nothing
    assert "Joint Injection Service" in spanish
    assert BUILTIN_EMERGENCY["es"] not in spanish


def test_the_template_context_holds_plain_text_in_the_sheets_language() -> None:
    clinic = replace(load_clinic(EXAMPLE_CLINIC), folder=None, logo="")
    for language, expected in (("en", EMERGENCY_EN), ("es", EMERGENCY_ES)):
        html = render_html(selection(language), catalog(), clinic, GENERATED_AT).html
        assert expected in html
    from handout_app.templating import _default_environment, build_context

    context, _, _ = build_context(selection("es"), catalog(), clinic, GENERATED_AT, _default_environment())
    assert type(context["clinic"]["emergency_line"]) is str and context["clinic"]["emergency_line"] == EMERGENCY_ES
    assert type(context["clinic"]["opening_hours"]) is str
    with pytest.raises(TypeError):
        context["clinic"]["emergency_line"] = "x"  # still frozen, plain data


# -- no clinic, or no emergency line: the built-in line ---------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_without_a_clinic_the_sheet_still_says_what_to_do_in_an_emergency(language: str) -> None:
    text = pdf_of(load_template_set(None), language)
    assert BUILTIN_EMERGENCY[language] in text
    call = call_section(normalise(render_html(selection(language), catalog(), ClinicProfile(), GENERATED_AT).html))
    # The numbers the clinic did not give stay blank lines to fill in: never an invented number.
    assert call.count('class="blank wide"') == 2 and not re.search(r"\d{3}-\d{4}|\b911\b", call)


def test_a_clinic_without_an_emergency_line_gets_the_built_in_one(tmp_path: Path) -> None:
    folder = write_clinic(tmp_path / "c", 'name = "Riverside"\nphone = "555-0100"\n')
    html = call_section(html_of(load_template_set(folder)))
    assert BUILTIN_EMERGENCY["en"] in html and "555-0100" in html
    assert call_section(html_of(load_template_set(folder), "es")).count(BUILTIN_EMERGENCY["es"]) == 1


# -- clinic.toml: the table is checked like plain text ----------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('emergency_line = { en = "Call 911.", fr = "Appelez le 911." }', "unknown language 'fr'"),
        (
            'emergency_line = { en = "Call 911.", es = "Llame\\u0007 al 911." }',
            "'emergency_line.es' contains a control character (U+0007)",
        ),
        ('address = { en = "12 River Road", es = "' + "x" * 301 + '" }', "'address.es' is 301 characters long"),
        ('department = { es = "Servicio" }', "'department' needs an English text as well"),
        ('emergency_line = { en = "Call 911.", es = 911 }', "'emergency_line.es' must be text in quotes"),
        ("opening_hours = 8", "'opening_hours' must be text in quotes"),
        ('phone = { en = "555-0100", es = "555-0100" }', "'phone' must be text in quotes"),
    ],
)
def test_a_bad_text_per_language_is_refused_with_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    folder = write_clinic(tmp_path / "c", f'name = "Riverside"\n{line}\n')
    with pytest.raises(ClinicError) as error:
        load_clinic(folder)
    assert message in str(error.value) and error.value.line == 3
    assert str(folder / "clinic.toml") in str(error.value)


def test_dotted_keys_work_too_and_plain_text_is_english(tmp_path: Path) -> None:
    folder = write_clinic(
        tmp_path / "c",
        'emergency_line.en = "Call 911."\nemergency_line.es = "Llame  al 911."\naddress = "12 River Road"\n',
    )
    profile = load_clinic(folder)
    assert (
        profile.text_in("emergency_line", "es") == "Llame al 911."
        and profile.text_in("emergency_line", "en") == "Call 911."
    )
    assert profile.texts("address") == {"en": "12 River Road"} and profile.text_in("address", "es") == "12 River Road"
    assert profile.missing_languages("address") == ["es"] and profile.missing_languages("emergency_line") == []
    assert profile.missing_languages("department") == []  # not given at all: nothing is missing


def test_writing_clinic_toml_keeps_every_language(clinic: Path) -> None:
    profile = load_clinic(clinic)
    write_clinic_toml(replace(profile, phone="555-0123"), clinic)
    again = load_clinic(clinic)
    assert again.phone == "555-0123"
    for key in ("department", "address", "opening_hours", "emergency_line"):
        assert again.texts(key) == profile.texts(key) and set(again.texts(key)) == {"en", "es"}
    assert 'emergency_line = { en = "Go to the nearest' in (clinic / "clinic.toml").read_text()


# -- check-templates names each missing language -----------------------------------------------------


def test_check_templates_reports_each_text_that_lacks_a_language(clinic: Path) -> None:
    assert not clinic_text_problems(load_template_set(EXAMPLE_CLINIC))
    toml = clinic / "clinic.toml"
    text = re.sub(r"^emergency_line = .*$", f'emergency_line = "{EMERGENCY_EN}"', toml.read_text(), flags=re.MULTILINE)
    toml.write_text(
        re.sub(r"^department = .*$", 'department = { en = "Joint Injection Service" }', text, flags=re.MULTILINE)
    )
    problems = {p.where: p for p in clinic_text_problems(load_template_set(clinic))}
    assert set(problems) == {f"{toml}, 'emergency_line'", f"{toml}, 'department'"}
    problem = problems[f"{toml}, 'emergency_line'"]
    assert "no Spanish (es) text" in problem.message and "print the English text" in problem.message
    assert 'emergency_line = { en = "...", es = "..." }' in problem.hint


ALL_SHEETS = check_templates.combinations


def few_sheets(catalog: object = None, **_: object) -> list[Job]:
    """Two sheets instead of 2,800: the report's own lines are what these tests read."""
    jobs = [job for job in ALL_SHEETS() if job.output_format == "html"]
    return [
        next(j for j in jobs if j.selection.language == "en"),
        next(j for j in jobs if j.selection.language == "es"),
    ]


def test_the_check_templates_report_names_clinic_toml_the_field_and_the_language(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(check_templates, "combinations", few_sheets)
    toml = clinic / "clinic.toml"
    toml.write_text(
        re.sub(
            r"^opening_hours = .*$",
            'opening_hours = "Monday to Friday, 8 am to 5 pm"',
            toml.read_text(),
            flags=re.MULTILINE,
        )
    )
    out = io.StringIO()
    assert run_check(clinic, out, workers=1) == 2
    report = out.getvalue()
    assert f"PROBLEM {toml}, 'opening_hours': has no Spanish (es) text" in report
    assert 'opening_hours = { en = "...", es = "..." }' in report and "Result: 1 problem(s)." in report


def test_check_templates_reports_a_template_that_does_far_too_much_work(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slow is judged by the sheet's own work in the worker (CPU time), not the wall clock, so a busy
    machine or the worker's first read of the set is never reported, and a loop always is."""
    monkeypatch.setattr(check_templates, "combinations", few_sheets)
    out = io.StringIO()
    assert run_check(clinic, out, workers=1) == 0, out.getvalue()  # the sound set, on whatever machine load
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}\n{{ super() }}'
        "{% set ns = namespace(n=0) %}{% for i in range(200) %}{% for j in range(1000) %}{% set ns.n = ns.n + 1 %}"
        "{% endfor %}{% endfor %}\n{% endblock %}\n"
    )
    out = io.StringIO()
    assert run_check(clinic, out, workers=1) == 2
    assert "seconds of work to render (HTML)" in out.getvalue() and "does far too much work" in out.getvalue()
