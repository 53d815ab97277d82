"""A clinic's own set: profile, wording overrides, template overrides, footer trace, and the
explicit built-in fallback. Uses the example clinic folder that the README shows."""

from __future__ import annotations

import io
import struct
import tomllib
import zlib
from pathlib import Path

import pytest
from pypdf import PdfReader

from handout_app.catalog import CatalogError
from handout_app.clinic import ClinicError, ClinicProfile, load_clinic
from handout_app.clinic_file import write_clinic_toml
from handout_app.pdf import render_pdf
from handout_app.template_set import TemplateSet, load_template_set
from handout_app.templating import TemplateProblem

from .conftest import EXAMPLE_CLINIC
from .helpers import GENERATED_AT, make_selection, normalise, pdf_text


def html_of(template_set: TemplateSet, **selection: object) -> str:
    return normalise(template_set.render_html(make_selection(**selection), GENERATED_AT).html)  # type: ignore[arg-type]


def pdf_of(template_set: TemplateSet, **selection: object) -> bytes:
    rendered = template_set.render_html(make_selection(**selection), GENERATED_AT)  # type: ignore[arg-type]
    return render_pdf(
        rendered.html, facts=rendered.facts, base_dir=template_set.base_dir, extra_roots=template_set.extra_roots
    )


# -- the example clinic shows every kind of override ------------------------------------------
def test_example_clinic_changes_wording_disables_adds_and_reorders_items() -> None:
    builtin = load_template_set(None)
    riverside = load_template_set(EXAMPLE_CLINIC)
    steroid = html_of(riverside, medications=("corticosteroid",))
    assert "thin towel on it for 15 minutes, up to 4 times a day" in steroid
    assert "thin towel" not in html_of(builtin, medications=("corticosteroid",))
    assert "What will it cost?" in html_of(builtin) and "What will it cost?" not in steroid
    assert "small card that says you had a steroid injection" in steroid
    assert "small card" not in html_of(riverside, medications=("prp",))
    # New order: the infection check first in the checklist, the card right after the numb-leg step.
    driver, infection = "An adult will take me home.", "I have no fever or infection"
    numb_mix = html_of(riverside, medications=("anesthetic", "corticosteroid"), intent="both")
    assert numb_mix.index(infection) < numb_mix.index(driver)
    assert html_of(builtin).index(infection) > html_of(builtin).index(driver)
    assert numb_mix.index("Stand up slowly") < numb_mix.index("small card") < numb_mix.index("thin towel")


def test_template_block_override_extends_the_builtin_header() -> None:
    html = html_of(load_template_set(EXAMPLE_CLINIC))
    assert "Ask at the front desk or call us" in html  # the clinic's block
    assert "Hip injection: information and consent" in html  # super(): the built-in title is kept
    assert "RIGHT hip joint injection" in html  # the rest of the built-in header is unchanged
    assert "clinic.css" in html


def tiny_png(width: int = 40, height: int = 20) -> bytes:
    """A valid RGB PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x0b\x4f\x6c" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def test_clinic_profile_logo_emergency_line_and_trace_reach_the_pdf() -> None:
    riverside = load_template_set(EXAMPLE_CLINIC)
    text = pdf_text(pdf_of(riverside))
    assert "In an emergency: Go to the nearest emergency department, or call 911." in text
    assert f"Wording: Riverside hip set 3 #{riverside.content_hash}" in text
    assert 'alt="Riverside Orthopaedic Clinic logo"' in html_of(riverside)


def test_a_png_logo_is_drawn_on_the_first_page(clinic: Path) -> None:
    (clinic / "assets" / "logo.png").write_bytes(tiny_png())
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text().replace("logo.svg", "logo.png"))
    images = PdfReader(io.BytesIO(pdf_of(load_template_set(clinic)))).pages[0].images
    assert len(images) == 1 and images[0].image.size == (40, 20)
    assert not PdfReader(io.BytesIO(pdf_of(load_template_set(None)))).pages[0].images


def test_content_hash_changes_with_any_wording_change(clinic: Path) -> None:
    before = load_template_set(clinic).content_hash
    path = clinic / "content" / "10-riverside.toml"
    path.write_text(path.read_text().replace("up to 4 times a day", "up to 3 times a day"))
    after = load_template_set(clinic)
    assert after.content_hash != before and after.trace.endswith(after.content_hash)


def test_builtin_set_footer_names_the_builtin_version() -> None:
    builtin = load_template_set(None)
    # Said once: "Wording: Built-in wording" repeated itself on every page.
    assert f"Wording: built-in {builtin.catalog.version}" in pdf_text(pdf_of(builtin))


def test_explicit_builtin_fallback_keeps_the_clinic_numbers_and_says_so(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text("{% if %}broken\n")
    with pytest.raises(TemplateProblem):
        load_template_set(clinic)
    fallback = load_template_set(clinic, builtin_only=True)
    text = pdf_text(pdf_of(fallback))
    assert "Built-in wording used because the clinic's own wording has errors" in text
    assert "555-0100" in text and "front desk" not in text


# -- errors name the file and line ------------------------------------------------------------
def test_template_syntax_error_names_file_and_line(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text("line one\nline two\n{% if %}\n")
    with pytest.raises(TemplateProblem) as error:
        load_template_set(clinic)
    assert error.value.template.endswith("templates/partials/header.html.j2") and error.value.line == 3


def test_misspelled_variable_is_an_error_with_file_and_line_not_a_blank(clinic: Path) -> None:
    (clinic / "templates" / "partials" / "header.html.j2").write_text(
        '{% extends "builtin/partials/header.html.j2" %}\n{% block '
        "title %}\n<p>Call {{ clinic.phon }}</p>\n{% endblock %}\n"
    )
    with pytest.raises(TemplateProblem) as error:
        load_template_set(clinic).render_html(make_selection(), GENERATED_AT)
    assert "phon" in str(error.value) and error.value.template.endswith("header.html.j2") and error.value.line == 3


def test_content_override_errors_name_file_line_and_item(clinic: Path) -> None:
    path = clinic / "content" / "20-more.toml"
    path.write_text('# extra\n\n[[item]]\nid = "after-numb"\nsection = "risks"\n')
    with pytest.raises(CatalogError) as error:
        load_template_set(clinic)
    assert error.value.path == path and error.value.line == 4 and error.value.item_id == "after-numb"
    assert "enabled = false" in str(error.value)  # how to move an item instead
    path.write_text('[[item]]\nid = "clinic-new"\nsection = "after"\ntext.en = "Hi."\nwhen.medicine = ["prp"]\n')
    with pytest.raises(CatalogError, match="unknown condition 'medicine'"):
        load_template_set(clinic)
    path.write_text('[[item]]\nid = "clinic-new"\nsection = "after"\ntext.en = "Hi."\nafter = "faq-cure"\n')
    with pytest.raises(CatalogError, match="'after' must name another item in section 'after'"):
        load_template_set(clinic)


def test_clinic_toml_errors_name_the_line(clinic: Path) -> None:
    path = clinic / "clinic.toml"
    path.write_text('[clinic]\nname = "X"\n\nphone_number = "1"\n')
    with pytest.raises(ClinicError) as error:
        load_clinic(clinic)
    assert error.value.line == 4 and "phone_number" in str(error.value)
    path.write_text('[clinic]\ndefault_paper = "legal"\n')
    with pytest.raises(ClinicError, match=r"a4.*letter"):
        load_clinic(clinic)
    path.write_text('[clinic]\npatient_name_in_file_name = "yes"\n')
    with pytest.raises(ClinicError, match="true or false"):
        load_clinic(clinic)


# -- logos --------------------------------------------------------------------------------------
def _png_header(width: int, height: int) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">II", width, height)
        + b"\x08\x06\x00\x00\x00"
    )


@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        ("assets/huge.png", _png_header(20000, 300), "20000 x 300 pixels"),
        ("assets/fake.png", b"GIF89a not a png", "not a PNG"),
        ("assets/logo.gif", b"GIF89a", "PNG, JPEG or SVG"),
        ("assets/entity.svg", b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "b">]><svg></svg>', "DOCTYPE"),
        ("assets/big.svg", b"<svg>" + b" " * (3 * 1024 * 1024) + b"</svg>", "the limit is 2048 KB"),
        ("assets/missing.png", None, "was not found"),
    ],
)
def test_bad_logos_are_refused_with_a_clear_message(
    clinic: Path, file_name: str, content: bytes | None, message: str
) -> None:
    if content is not None:
        (clinic / file_name).write_bytes(content)
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text().replace('logo = "assets/logo.svg"', f'logo = "{file_name}"'))
    with pytest.raises(ClinicError, match=message) as error:
        load_clinic(clinic)
    assert error.value.line == 9


def test_a_logo_outside_the_clinic_folder_is_refused(clinic: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.svg").write_text("<svg></svg>")
    toml = clinic / "clinic.toml"
    toml.write_text(toml.read_text().replace('logo = "assets/logo.svg"', 'logo = "../outside.svg"'))
    with pytest.raises(ClinicError, match="inside the clinic folder"):
        load_clinic(clinic)


# -- writing clinic.toml ----------------------------------------------------------------------------
def test_clinic_toml_round_trips_and_other_files_are_untouched(clinic: Path) -> None:
    other = {p: p.read_bytes() for p in clinic.rglob("*") if p.is_file() and p.name != "clinic.toml"}
    profile = load_clinic(clinic)
    changed = ClinicProfile(
        **{**profile.__dict__, "phone": '555 "0123" \\ ext. 4', "folder": None, "patient_name_in_file_name": True}
    )
    write_clinic_toml(changed, clinic)
    again = load_clinic(clinic)
    assert again.phone == '555 "0123" \\ ext. 4' and again.patient_name_in_file_name and again.logo == "assets/logo.svg"
    assert {p: p.read_bytes() for p in clinic.rglob("*") if p.is_file() and p.name != "clinic.toml"} == other
    assert not [p for p in clinic.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    assert tomllib.loads((clinic / "clinic.toml").read_text())["clinic"]["name"] == "Riverside Orthopaedic Clinic"
