"""A clinic folder is untrusted: its templates and wording get plain immutable data, may call only
what is on the allowlist, cannot change what the next sheet says, and cannot make gigabytes of text.
Each case here was an open hole before the immutable sandbox (issue: untrusted clinic folders)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import jinja2
import pytest

from handout_app.choices import LANGUAGES
from handout_app.clinic import ClinicProfile
from handout_app.domain import Paper, Side
from handout_app.template_data import FrozenMap, check_plain, freeze
from handout_app.template_set import load_template_set
from handout_app.templating import TemplateProblem, build_context, make_environment

from .helpers import GENERATED_AT, make_selection, normalise, pdf_text


def with_header(clinic: Path, body: str) -> None:
    """Put `body` into the title block of the clinic's header (line 3 of the file)."""
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block title %}\n' + body + "\n{% endblock %}\n"
    )


def with_item_text(clinic: Path, text: str) -> None:
    """Give the built-in 'after-ice' item new English wording (no template file needed)."""
    (clinic / "content" / "10-riverside.toml").write_text(
        f"[[item]]\nid = \"after-ice\"\ntext.en = '''{text}'''\ntext.es = \"Hielo.\"\n"
    )


def render_html(clinic: Path, **selection: object) -> str:
    return load_template_set(clinic).render_html(make_selection(**selection), GENERATED_AT).html


# -- 1. no file-system access through the context ---------------------------------------------------
@pytest.mark.parametrize(
    "probe",
    [
        "{{ clinic.folder.joinpath('/etc/hostname').read_text() }}",
        "{{ clinic.folder.joinpath('{target}').write_text('pwned') }}",
        "{{ clinic.folder.iterdir()|list }}",
        "{{ clinic.logo_path.read_bytes() }}",
        "{{ clinic.folder }}",
        "{{ clinic.__class__ }}",
        "{{ labels.__class__.__init__.__globals__ }}",
        "{{ hip_figures[0].__class__ }}",
    ],
)
@pytest.mark.parametrize("place", ["template", "item wording"])
def test_a_clinic_cannot_reach_the_disk_through_the_context(
    clinic: Path, tmp_path: Path, probe: str, place: str
) -> None:
    target = tmp_path / "written-by-template.txt"
    probe = probe.replace("{target}", str(target))
    if place == "template":
        with_header(clinic, probe)
    else:
        with_item_text(clinic, probe)
    with pytest.raises(TemplateProblem) as error:
        render_html(clinic)
    assert not target.exists()
    where = "header.html.j2" if place == "template" else "content/10-riverside.toml"
    assert where in str(error.value)


# -- 2. no state shared between sheets ----------------------------------------------------------------
@pytest.mark.parametrize(
    "probe",
    [
        "{% set ps = labels.side_phrases %}{% set _ = ps.update({'left': ps.right}) %}",
        "{{ patient.update({'name': 'EVIL'}) }}",
        "{{ labels.sides.__setitem__('left', 'RIGHT') }}",
        "{{ labels.side_phrases.copy() }}",
        "{% set d = dict(a=1) %}{{ d.update(b=2) }}",
        "{{ sections.risks.append(1) }}",
        "{{ allergies.pop() }}",
    ],
)
def test_a_template_cannot_change_shared_data(clinic: Path, probe: str) -> None:
    with_header(clinic, probe)
    with pytest.raises(TemplateProblem) as error:
        render_html(clinic, side="left")
    assert error.value.line == 3


def test_the_same_left_selection_prints_left_every_time_in_one_worker(clinic: Path) -> None:
    # What once turned LEFT into RIGHT on the second render: the template now fails on the first.
    with_header(
        clinic,
        "{% set ps = labels.side_phrases %}{% if ps.update is defined %}{{ ps.update({'left': ps.right}) }}{% endif %}",
    )
    template_set = load_template_set(clinic)
    for _ in range(3):
        html = normalise(template_set.render_html(make_selection(side="left"), GENERATED_AT).html)
        assert "LEFT hip" in html and "RIGHT hip" not in html


def test_a_namespace_in_an_imported_macro_file_does_not_carry_to_the_next_sheet(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "counter.html.j2").write_text(
        "{% set state = namespace(count=0) %}{% macro bump() %}{% set "
        "state.count = state.count + 1 %}{{ state.count }}{% endmacro %}"
    )
    with_header(clinic, '{% import "partials/counter.html.j2" as counter %}<p class="count">[{{ counter.bump() }}]</p>')
    template_set = load_template_set(clinic)
    for _ in range(3):
        assert "[1]" in template_set.render_html(make_selection(), GENERATED_AT).html


# -- the context holds plain immutable data only -------------------------------------------------------
SELECTIONS = [
    dict(side="left"),
    dict(side="bilateral", target="iliopsoas", guidance="fluoroscopy", contrast=True),
    dict(
        side="right",
        medications=("prp",),
        diabetes=True,
        blood_thinners=True,
        may_be_pregnant=True,
        allergies=("iodine", "antiseptic", "lidocaine", "latex"),
        clinician="Dr Sam",
        mrn="A1",
        date_of_birth=dt.date(1950, 2, 3),
        procedure_date=dt.date(2026, 12, 1),
    ),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", range(len(SELECTIONS)))
def test_every_value_a_template_sees_is_plain_immutable_data(language: str, case: int) -> None:
    from .conftest import EXAMPLE_CLINIC

    template_set = load_template_set(EXAMPLE_CLINIC)
    selection = dataclasses.replace(
        make_selection(**SELECTIONS[case]),
        language=language,
        large_print=case == 1,
        consent_copy=True,
        paper=Paper.LETTER,
    )
    context, _, _ = build_context(selection, template_set.catalog, template_set.clinic, GENERATED_AT, template_set.env)
    for name, value in context.items():
        check_plain(value, name)
    assert "folder" not in context["clinic"] and "logo_path" not in context["clinic"]


@pytest.mark.parametrize("value", [Path("/etc"), {"a": 1}, [1], {1}, object(), ClinicProfile(folder=Path("/tmp")), len])
def test_the_context_check_refuses_anything_but_plain_data(value: object) -> None:
    with pytest.raises(TypeError):
        check_plain({"x": value} if not isinstance(value, dict) else value)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        check_plain(FrozenMap({"x": value}))


def test_freeze_turns_containers_into_read_only_ones_and_refuses_paths() -> None:
    frozen = freeze({"a": [1, {"b": "c"}], "d": frozenset({"x"})})
    check_plain(frozen)
    assert frozen["a"][1]["b"] == "c" and frozen["d"] == ("x",)
    with pytest.raises(TypeError):
        frozen["a"] = 1  # type: ignore[index]
    with pytest.raises(TypeError, match=r"PosixPath|WindowsPath"):
        freeze({"folder": Path("/tmp")})


def test_a_map_proven_plain_is_shared_as_it_is_and_one_that_is_not_is_still_refused() -> None:
    proven = freeze({"a": ("b", {"c": 1})})
    assert freeze({"x": proven})["x"] is not proven  # not proven yet: copied, as before
    check_plain(proven)
    assert freeze({"x": proven})["x"] is proven  # proven: nothing inside can change, so it is passed on
    by_hand = FrozenMap({"a": [1]})  # a map not made by freeze(): its list is found, every time
    for _ in range(2):
        with pytest.raises(TypeError, match=r"context\.x\.a is a list"):
            check_plain(FrozenMap({"x": by_hand}))
    check_plain(freeze({"x": by_hand}))  # freeze() still makes a plain copy of it


def test_sheets_share_their_labels_and_items_made_once_and_each_still_reads_its_own() -> None:
    from .conftest import EXAMPLE_CLINIC

    template_set = load_template_set(EXAMPLE_CLINIC)
    contexts = [
        build_context(
            make_selection(side=side), template_set.catalog, template_set.clinic, GENERATED_AT, template_set.env
        )[0]
        for side in ("left", "right", "left")
    ]
    assert contexts[0]["labels"] is contexts[1]["labels"] is contexts[2]["labels"]
    first, second, third = (context["sections"]["key-points"] for context in contexts)
    assert [item["id"] for item in first] == [item["id"] for item in second]
    assert all(one is again for one, again in zip(first, third, strict=True))  # the same side: the same items
    assert any(one["text"] != other["text"] for one, other in zip(first, second, strict=True))  # LEFT, RIGHT


def test_a_maps_values_are_read_by_name_as_jinja_reads_them() -> None:
    env = make_environment()
    data = freeze({"title": "Risks", "keys": "a key named like a method", "_hidden": "x"})
    template = env.from_string(
        "{{ m.title }}|{{ m.missing is defined }}|{{ m.keys is defined }}|{{ m['keys'] }}|{{ m._hidden is defined }}"
    )
    # The value by name; a name the map lacks is undefined; a method's name gives the method (an attribute
    # comes first), its value stays reachable as m['keys']; a name starting with _ is never an attribute.
    assert template.render(m=data) == "Risks|False|True|a key named like a method|True"
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ m.missing }}").render(m=data)
    with pytest.raises(jinja2.exceptions.SecurityError):
        env.from_string("{{ m._data }}").render(m=data)


# -- calls and filters: only the allowlist, and nothing that multiplies text ---------------------------
@pytest.mark.parametrize(
    ("probe", "message"),
    [
        ("{{ 'x'.encode() }}", "unsafe"),
        ("{{ '{0}'.format(1) }}", "unsafe"),
        ("{{ 'x'.center(10) }}", "unsafe"),
        ("{{ 'x'.zfill(1500000000) }}", "unsafe"),
        ("{{ lipsum() }}", "undefined"),
        ("{{ self.body.__call__ }}", "unsafe"),
        ("{{ 'x'|center(1500000000) }}", "wider than"),
        ("{{ '%01500000000d'|format(1) }}", "format width"),
        ("{{ '%01500000000d' % 1 }}", "format width"),
        ("{{ '%*d' % (1500000000, 1) }}", "format width"),
        ("{{ ('%s' * 1000) % ((('x' * 100000),) * 1000) }}", "formatting text"),
        ("{{ ('%s' * 1000)|format(*((('x' * 100000),) * 1000)) }}", "formatting text"),
        ("{{ ('x' * 100000)|replace('x', 'y' * 100000) }}", "replacing text"),
        ("{{ ('x' * 100000).replace('x', 'y' * 100000) }}", "replacing text"),
        ("{{ range(20000)|map('string')|join('x' * 100000) }}", "joining text"),
        ("{{ ('x' * 100000).join(range(20000)|map('string')) }}", "joining text"),
        ("{{ [1]|batch(1000000000, 0)|list }}", "batch"),
        ("{{ [1]|slice(1000000000)|list }}", "slices"),
        ("{{ 'a\\nb'|indent(1500000000) }}", "indent"),
        ("{{ 'x' * 3000000000 }}", "repeating"),
        ("{{ ('x' * 150000) + ('y' * 150000) }}", "joining text"),
        ("{{ range(1000000000)|length }}", "range"),
        ("{{ 2 ** 100000000 }}", "powers"),
        ("{{ 1 / 0 }}", "division by zero"),
        ("{% set s = namespace(v='x') %}{% for i in range(60) %}{% set s.v = s.v ~ s.v %}{% endfor %}", "with ~"),
        ("{{ '%((a))1900000000d' % {'(a)': 1} }}", "format width"),
        ("{{ ('%(a)s' * 30000) % dict(a='x' * 4000) }}", "formatting text"),
        ("{{ ('\\n' * 200000)|indent(1000) }}", "indenting text"),
        ("{{ ('x\\n' * 100000)|wordwrap(1000, wrapstring='y' * 990) }}", "wrapping text"),
        ("{{ range(20000)|list|tojson(indent='x' * 10000) }}", "indent must be"),
        ("{{ ('&' * 190000)|escape|escape }}", "filter"),
        ("{{ ([[0] * 20000] * 2000)|sum(start=[]) }}", "adding lists"),
        # A name printed without its brackets: "<built-in method upper of str object at 0x7f...>" on the sheet.
        ("{{ clinic.name.upper }}", "prints 'upper' of a str itself, not its result; add the brackets"),
        ("{{ ''|attr('join') }}", "prints 'join' of a str itself"),  # worked out while compiling
        ("{% macro box() %}x{% endmacro %}{{ box }}", "prints a Macro itself"),
        ("{{ range }}", "itself, not its result"),
    ],
)
def test_calls_and_filters_off_the_allowlist_are_refused_with_the_line(clinic: Path, probe: str, message: str) -> None:
    with_header(clinic, probe)
    with pytest.raises(TemplateProblem, match=message) as error:
        render_html(clinic)
    assert error.value.template.endswith("partials/header.html.j2") and error.value.line == 3


@pytest.mark.parametrize(
    ("probe", "shown"),
    [
        ("{{ patient.name|upper }} {{ clinic.name.upper() }}", "TEST PATIENT RIVERSIDE ORTHOPAEDIC CLINIC"),
        ("{{ labels.get('patient') }} {{ (sections.risks|map(attribute='id')|list)[0] }}", "Patient risk-"),
        ("{% for i in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}", "aba"),
        ("{% set ns = namespace(n=1) %}{% set ns.n = ns.n + 1 %}[{{ ns.n }}]", "[2]"),
        ("{{ 'x'|center(7)|length }} {{ '%05d'|format(42) }} {{ 'a-b'.split('-')|join('+') }}", "7 00042 a+b"),
    ],
)
def test_ordinary_template_code_still_works(clinic: Path, probe: str, shown: str) -> None:
    with_header(clinic, probe)
    assert shown in normalise(render_html(clinic))


def test_a_template_that_prints_too_much_is_stopped_by_the_output_cap(clinic: Path) -> None:
    with_header(clinic, "{% for i in range(20000) %}{% for j in range(1000) %}xxxx{% endfor %}{% endfor %}")
    with pytest.raises(TemplateProblem, match="million characters and was stopped"):
        render_html(clinic)


def test_the_builtin_sheets_render_in_the_immutable_sandbox() -> None:
    env = make_environment()
    assert type(env).__name__ == "HandoutSandbox"
    html = load_template_set(None).render_html(make_selection(side="bilateral"), GENERATED_AT).html
    assert "BOTH hips" in html or "both hips" in html.lower()


def test_every_side_renders_in_one_long_lived_set() -> None:
    template_set = load_template_set(None)
    for side in (Side.LEFT, Side.RIGHT, Side.LEFT, Side.BILATERAL, Side.LEFT):
        html = normalise(template_set.render_html(make_selection(side=side.value), GENERATED_AT).html)
        expected = {"left": "LEFT hip", "right": "RIGHT hip", "bilateral": "BOTH"}[side.value]
        assert expected in html


def test_pdf_of_a_sheet_from_the_sandbox_reads_back(clinic: Path) -> None:
    from handout_app.pdf import render_pdf

    template_set = load_template_set(clinic)
    rendered = template_set.render_html(make_selection(side="left"), GENERATED_AT)
    text = pdf_text(
        render_pdf(
            rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
        )
    )
    assert "LEFT" in text and "Riverside hip set 3" in text
