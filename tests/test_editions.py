"""Editions of the same handout: large print, a second consent copy for the patient, archival PDF/A."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from handout_app.clinic import ClinicProfile
from handout_app.domain import Paper
from handout_app.pdf import ARCHIVAL_VARIANT, render_pdf
from handout_app.templating import render_html

from .helpers import GENERATED_AT, catalog, make_selection, normalise, pdf_bytes, pdf_text


def font_sizes(data: bytes) -> Counter[float]:
    """Characters of text per font size in points (size x text matrix x current matrix)."""
    sizes: Counter[float] = Counter()

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        if text.strip():
            sizes[round(size * tm[3] * cm[3], 1)] += len(text.strip())

    for page in PdfReader(io.BytesIO(data)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


def pages_text(data: bytes) -> list[str]:
    return [normalise(p.extract_text() or "") for p in PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def large_print_pdf() -> bytes:
    return pdf_bytes(replace(make_selection(guidance="fluoroscopy", contrast=True), large_print=True))


def test_large_print_body_text_is_at_least_18pt_and_nothing_below_14(large_print_pdf: bytes) -> None:
    sizes = font_sizes(large_print_pdf)
    body_size, _ = sizes.most_common(1)[0]
    assert body_size >= 18
    assert min(sizes) >= 14, sizes
    standard = font_sizes(pdf_bytes(make_selection(guidance="fluoroscopy", contrast=True)))
    assert standard.most_common(1)[0][0] == 12.0  # the normal edition: 12 pt, the minimum for normal print


def test_large_print_has_the_same_content_page_numbers_and_the_patient_signs_under_the_statements(
    large_print_pdf: bytes,
) -> None:
    standard = pdf_text(pdf_bytes(make_selection(guidance="fluoroscopy", contrast=True)))
    large = " ".join(pages_text(large_print_pdf))
    for phrase in (
        "fewer than 1 in 15,000 injections",
        "the contrast dye or the skin cleaner",
        "I agree to have this procedure",
    ):
        assert phrase in standard and phrase in large
    pages = pages_text(large_print_pdf)
    assert all(f"Page {n} of {len(pages)}" in text for n, text in enumerate(pages, start=1))
    # The consent takes two pages: the doctor signs under the doctor's statement on the first, the patient
    # under the patient's statements on the second (the interpreter on either), the witness with the patient.
    consent = [i for i, t in enumerate(pages) if re.search(r"Consent Clinic", t)]
    agree = [i for i, t in enumerate(pages) if "I agree to have this procedure" in t]
    patient = [i for i, t in enumerate(pages) if "Patient, or legal representative" in t]
    witness = [i for i, t in enumerate(pages) if "Witness" in t]
    doctor = [i for i, t in enumerate(pages) if "Clinician who explained the procedure" in t]
    explained = [i for i, t in enumerate(pages) if "I have explained the procedure" in t]
    interpreter = [i for i, t in enumerate(pages) if "Interpreter (if used)" in t]
    assert len(consent) == 1 and pages[-2:] == pages[consent[0] :]
    assert agree == patient == witness == [len(pages) - 1]
    assert doctor == explained == consent and interpreter[0] in (consent[0], len(pages) - 1)


def test_large_print_css_is_left_aligned_with_line_spacing_of_one_and_a_half() -> None:
    html = render_html(replace(make_selection(), large_print=True), catalog(), ClinicProfile(), GENERATED_AT).html
    assert '<body class="large-print header-short footer-short">' in html
    css = (Path(__file__).resolve().parents[1] / "templates" / "handout.css").read_text()
    rule = re.search(r"body\.large-print \{([^}]*)\}", css)
    assert rule and "line-height: 1.5" in rule.group(1) and "text-align: left" in rule.group(1)


def test_consent_copy_adds_a_second_consent_on_its_own_pages() -> None:
    selection = make_selection()
    once = pages_text(pdf_bytes(selection))
    twice = pages_text(pdf_bytes(replace(selection, consent_copy=True)))
    starts = [i for i, t in enumerate(twice) if re.search(r"Consent(: your copy to keep)? Clinic", t)]
    assert len(starts) == 2 and "your copy to keep" in twice[starts[1]] and "your copy" not in twice[starts[0]]
    assert len(twice) > len(once)
    assert sum("Interpreter (if used)" in t for t in twice) == 2


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_archival_pdf_is_tagged_pdfa_with_metadata(paper: str, tmp_path: Path) -> None:
    selection = replace(make_selection(), paper=Paper(paper))
    rendered = render_html(selection, catalog(), ClinicProfile(), GENERATED_AT)
    data = render_pdf(rendered.html, facts=rendered.facts, variant=ARCHIVAL_VARIANT)
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8", "replace")
    assert (
        "pdfaid:part" in xmp
        and re.search(r"pdfaid:part(>|=\")3", xmp)
        and re.search(r"pdfaid:conformance(>|=\")A", xmp)
    )
    assert "/OutputIntents" in root and "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"
    assert (
        reader.metadata.title == "Hip injection: information and consent: RIGHT hip joint "
        "injection, ultrasound-guided, corticosteroid and local anesthetic"
    )
    assert "Test Patient" not in reader.metadata.title
    assert "Content version" in (reader.metadata.subject or "")
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = (
                font.get_object().get("/FontDescriptor")
                or font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            )
            assert any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3"))  # embedded
    path = tmp_path / "archival.pdf"
    path.write_bytes(data)
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_cli_archival_large_print_and_consent_copy(tmp_path: Path) -> None:
    out = tmp_path / "h.pdf"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "handout_app",
            "render",
            "--target",
            "joint",
            "--guidance",
            "ultrasound",
            "--medication",
            "corticosteroid",
            "--side",
            "left",
            "--patient-name",
            "Ana Perez",
            "--large-print",
            "--consent-copy",
            "--archival",
            "--output",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    data = out.read_bytes()
    assert b"pdfaid" in PdfReader(io.BytesIO(data)).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert font_sizes(data).most_common(1)[0][0] >= 18
    assert "your copy to keep" in pdf_text(data)
