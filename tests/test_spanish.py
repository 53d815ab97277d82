"""The Spanish edition: every heading and label in Spanish, the side in capitals, Spanish dates."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from handout_app.domain import Selection

from .helpers import catalog, make_selection, pdf_bytes, pdf_text


def spanish(selection: Selection) -> str:
    return pdf_text(pdf_bytes(replace(selection, language="es")))


@pytest.fixture(scope="module")
def text() -> str:
    import datetime as dt

    return spanish(
        make_selection(
            guidance="fluoroscopy",
            contrast=True,
            name="Ana Pérez",
            date_of_birth=dt.date(1956, 4, 2),
            allergies=("iodine",),
            diabetes=True,
        )
    )


def test_no_english_heading_or_label_is_left(text: str) -> None:
    english = catalog().labels_for("en")
    spanish_labels = catalog().labels_for("es")
    for key, value in english.items():
        if (
            isinstance(value, str)
            and len(value) > 3
            and value != spanish_labels[key]
            and key not in ("builtin_fallback",)
        ):
            assert not re.search(rf"\b{re.escape(value)}\b", text), (
                f"English label {key!r} on the Spanish sheet: {value}"
            )
    for heading in (
        "What are the risks?",
        "Key points",
        "Consent",
        "Before the injection",
        "When to call us",
        "Page 1 of",
    ):
        assert not re.search(rf"\b{re.escape(heading)}\b", text)


def test_side_in_capitals_spanish_dates_and_numbers(text: str) -> None:
    assert (
        "Cadera DERECHA: inyección en la articulación, guiada por "
        "fluoroscopia con contraste, con corticoide y anestésico local" in text
    )
    assert "su cadera DERECHA" in text and "Cadera que se inyecta DERECHA" in text
    # Spanish thousands are grouped with a no-break space ("15\u00a0000"); pdf_text collapses it to a space.
    assert "2 abr 1956" in text and "menos de 1 de cada 15 000 inyecciones" in text and "15.000" not in text
    assert "Página 1 de" in text and "Alergias yodo" in text
    assert "mi alergia al contraste o al yodo" in text and "mi alergia al yodo" in text


def test_spanish_thousands_keep_their_no_break_space() -> None:
    """Spanish thousands are grouped with a no-break space ("15\u00a0000"), never a plain space that can
    split the figure over two lines. pdf_text collapses the no-break space, so this reads the PDF's own text."""
    import io

    from pypdf import PdfReader

    data = pdf_bytes(replace(make_selection(guidance="fluoroscopy", contrast=True), language="es"))
    raw = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    figures = re.findall(r"\b1[05]\s000\b", raw)
    assert len(figures) >= 2, figures  # the risk's figure and its band (said once, not in the key points)
    assert all(figure[2] == "\u00a0" for figure in figures), figures


@pytest.mark.parametrize(
    ("side", "words"), [("left", "Cadera IZQUIERDA"), ("bilateral", "AMBAS caderas (IZQUIERDA Y DERECHA)")]
)
def test_every_side_is_named_in_spanish_capitals(side: str, words: str) -> None:
    assert words in spanish(make_selection(side=side))


def test_cli_language_es(tmp_path: Path) -> None:
    out = tmp_path / "es.pdf"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "handout_app",
            "render",
            "--target",
            "trochanteric",
            "--guidance",
            "ultrasound",
            "--medication",
            "corticosteroid",
            "--side",
            "left",
            "--patient-name",
            "Luis Ortega",
            "--language",
            "es",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Cadera IZQUIERDA: inyección en el lado de afuera (bursa trocantérea)" in pdf_text(out.read_bytes())


def test_footer_names_the_wording_in_spanish_for_built_in_and_fallback_sets(clinic: Path) -> None:
    from handout_app.pdf import render_pdf
    from handout_app.template_set import load_template_set

    from .helpers import GENERATED_AT

    (clinic / "templates" / "partials" / "header.html.j2").write_text("{% if %}\n")
    for template_set, words in (
        (load_template_set(None), "Texto: incluido en la aplicación 2026."),
        (load_template_set(clinic, builtin_only=True), "porque el texto propio de la clínica tiene errores"),
    ):
        rendered = template_set.render_html(replace(make_selection(), language="es"), GENERATED_AT)
        text = pdf_text(
            render_pdf(
                rendered.html,
                facts=rendered.facts,
                base_dir=template_set.base_dir,
                extra_roots=template_set.extra_roots,
            )
        )
        assert words in text and "Built-in" not in text
