"""Item wording is rendered once per set and per values of the names it reads, and reused for later sheets
(check-templates renders thousands that share it): every sheet still prints what a fresh render would,
a wording that fails fails on every sheet, and one that includes a template (which sees every name) is
rendered every time. Plain wording (no tag, expression or comment) is printed as written, never compiled."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from handout_app import templating
from handout_app.catalog import load_catalog
from handout_app.domain import Selection
from handout_app.template_set import load_template_set
from handout_app.templating import TemplateProblem

from .helpers import GENERATED_AT, make_selection


def with_item_text(clinic: Path, text: str) -> None:
    """Give the built-in 'after-ice' item new English wording."""
    (clinic / "content" / "10-riverside.toml").write_text(
        f"[[item]]\nid = \"after-ice\"\ntext.en = '''{text}'''\ntext.es = \"Hielo.\"\n"
    )


def count_renders(monkeypatch: pytest.MonkeyPatch, wording: str) -> list[str]:
    """A list that grows by one each time `wording` itself is rendered (not taken from those kept)."""
    renders: list[str] = []
    compile_wording = templating._compile_wording

    def counted(env: templating.HandoutSandbox, text: str) -> object:
        if text == wording:
            renders.append(text)
        return compile_wording(env, text)

    monkeypatch.setattr(templating, "_compile_wording", counted)
    return renders


def test_wording_is_rendered_once_for_sheets_that_differ_only_in_what_it_does_not_read(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wording = "Ice the {{ side }} hip for REUSED-ICE minutes."
    with_item_text(clinic, wording)
    renders = count_renders(monkeypatch, wording)
    template_set = load_template_set(clinic)
    sheets = [
        template_set.render_html(make_selection(name=name, side=side), GENERATED_AT).html
        for side in ("left", "right", "left", "right")
        for name in ("Ana Ruiz", "Tom Ng")
    ]
    assert len(renders) == 2  # once per side: the patient's name is not a name the wording reads
    assert all("Ice the LEFT hip for REUSED-ICE minutes." in html for html in sheets[0::4] + sheets[1::4])
    assert all("Ice the RIGHT hip for REUSED-ICE minutes." in html for html in sheets[2::4] + sheets[3::4])
    assert "Ice the RIGHT" not in sheets[0] and "Ice the LEFT" not in sheets[2]


def test_a_set_loaded_again_renders_its_wording_again(clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wording = "Ice the {{ side }} hip for REUSED-ICE minutes."
    with_item_text(clinic, wording)
    renders = count_renders(monkeypatch, wording)
    for _ in range(2):
        load_template_set(clinic).render_html(make_selection(), GENERATED_AT)
    assert len(renders) == 2  # a fresh environment keeps nothing from the last one


def test_wording_that_fails_fails_on_every_sheet(clinic: Path) -> None:
    with_item_text(clinic, "Ice for {{ 1 // 0 }} minutes.")
    template_set = load_template_set(clinic)
    for name in ("Ana Ruiz", "Tom Ng"):
        with pytest.raises(TemplateProblem, match="after-ice"):
            template_set.render_html(make_selection(name=name), GENERATED_AT)


def test_wording_that_includes_a_template_is_rendered_every_time(clinic: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The included template sees the whole context; no list of the names it reads can be made, so nothing is kept.
    (clinic / "templates" / "partials" / "ice.html.j2").write_text("for {{ side }} REUSED-ICE minutes")
    wording = 'Ice {% include "partials/ice.html.j2" %}.'
    with_item_text(clinic, wording)
    renders = count_renders(monkeypatch, wording)
    template_set = load_template_set(clinic)
    for name in ("Ana Ruiz", "Tom Ng", "Ana Ruiz"):
        html = template_set.render_html(make_selection(name=name), GENERATED_AT).html
        assert "Ice for RIGHT REUSED-ICE minutes." in html
    assert len(renders) == 3


def test_wording_of_the_same_text_in_two_sets_prints_each_sets_clinic(tmp_path: Path, clinic: Path) -> None:
    wording = "Call {{ clinic.phone }} about REUSED-ICE."
    with_item_text(clinic, wording)
    other = tmp_path / "other"
    other.mkdir()
    for path in clinic.rglob("*"):
        target = other / path.relative_to(clinic)
        if path.is_dir():
            target.mkdir(exist_ok=True)
        else:
            target.write_bytes(path.read_bytes())
    toml = other / "clinic.toml"
    toml.write_text(toml.read_text().replace('phone = "555-0100"', 'phone = "555-0777"'))
    first = load_template_set(clinic).render_html(make_selection(), GENERATED_AT).html
    second = load_template_set(other).render_html(make_selection(), GENERATED_AT).html
    assert "Call 555-0100 about REUSED-ICE." in first and "Call 555-0777 about REUSED-ICE." in second


def test_unusually_long_wording_is_rendered_every_time_and_never_kept(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wording = "{{ 'REUSED-ICE ' * 800 }}"  # 10,400 characters: more than any real item, so not kept
    with_item_text(clinic, wording)
    renders = count_renders(monkeypatch, wording)
    template_set = load_template_set(clinic)
    for name in ("Ana Ruiz", "Tom Ng", "Ana Ruiz"):
        assert template_set.render_html(make_selection(name=name), GENERATED_AT).html.count("REUSED-ICE") == 800
    assert len(renders) == 3
    kept = templating._kept_wording_for(template_set.env)
    assert kept.chars < templating.KEPT_WORDING_CHARS and all(len(text) < 10_000 for text in kept.renders.values())
    assert all(
        len(item["text"]) < 10_000
        for key, item in templating._kept_for(template_set.catalog).items()
        if key[0] == "item"
    )


def test_plain_wording_prints_exactly_what_jinja_would_print_for_it() -> None:
    env = templating.make_environment()
    texts = {text for item in load_catalog().items for table in (item.text, item.title) for text in table.values()}
    # Text Jinja reads as plain although it looks close to a template, and text it changes or reads.
    texts |= {"50% } of {you}", "a }} b %} c #} d", "<b>Bold</b> & 'quoted' \"text\"", "Ends with a line break\n"}
    texts |= {"Two\r\nlines", "The {{ side }} hip", "{% if side %}Side{% endif %}", "No {# note #}comment"}
    plain = [text for text in texts if templating.is_plain_wording(env, text)]
    assert len(plain) > 100  # the built-in wording is nearly all plain: the shortcut is what sheets use
    for text in texts:
        if templating.is_plain_wording(env, text):
            assert env.from_string(text).render(side="RIGHT") == text
    assert not any(templating.is_plain_wording(env, text) for text in ("The {{ side }} hip", "Two\r\nlines"))
    assert not templating.is_plain_wording(env, "Ends with a line break\n")  # Jinja drops that line break
    assert not templating.is_plain_wording(env, "No {# note #}comment")


def test_plain_wording_is_printed_as_written_without_being_compiled(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wording = "Ice for REUSED-ICE minutes &amp; rest <b>the hip</b>."
    with_item_text(clinic, wording)
    renders = count_renders(monkeypatch, wording)
    html = load_template_set(clinic).render_html(make_selection(), GENERATED_AT).html
    assert wording in html
    assert renders == []


@pytest.mark.parametrize(
    "selection",
    [
        make_selection(),
        replace(make_selection(side="left", contrast=True, guidance="fluoroscopy"), language="es", large_print=True),
        make_selection("iliopsoas", ("prp",), "landmark", "bilateral", diabetes=True),
    ],
    ids=["right-joint", "left-es-large", "both-iliopsoas-prp"],
)
def test_a_sheet_is_the_same_with_plain_wording_printed_as_written_or_compiled(
    selection: Selection, monkeypatch: pytest.MonkeyPatch
) -> None:
    shortcut = load_template_set(None).render_html(selection, GENERATED_AT).html
    monkeypatch.setattr(templating, "is_plain_wording", lambda env, wording: False)
    compiled = load_template_set(None).render_html(selection, GENERATED_AT).html
    assert shortcut == compiled
