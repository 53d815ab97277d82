"""Shared test helpers: build selections, render them, and read the PDF text back."""

from __future__ import annotations

import datetime as dt
import io
import re
from functools import lru_cache
from pathlib import Path

from pypdf import PdfReader

from handout_app.catalog import load_catalog
from handout_app.clinic import ClinicProfile
from handout_app.domain import (
    Allergy,
    Factor,
    Guidance,
    Intent,
    Medication,
    PatientDetails,
    PatientFactors,
    Selection,
    Side,
    Target,
)
from handout_app.pdf import render_pdf
from handout_app.resources import content_dir
from handout_app.templating import render_html

GENERATED_AT = dt.datetime(2026, 11, 21, 9, 30, tzinfo=dt.UTC)


def make_selection(
    target: str = "joint",
    medications: tuple[str, ...] = ("anesthetic", "corticosteroid"),
    guidance: str = "ultrasound",
    side: str = "right",
    *,
    contrast: bool = False,
    intent: str | None = "auto",
    name: str = "Test Patient",
    allergies: tuple[str, ...] = (),
    **patient: object,
) -> Selection:
    """A Selection from plain strings, as the CLI would build it.

    `intent="auto"` (the default) picks "both" where the medicines leave the purpose open (anesthetic with
    another medicine), as a nurse must; pass intent=None to leave it unchosen. A patient factor is given by
    its attribute (diabetes=True, any factor of the registry); other keywords are patient details."""
    if intent == "auto":
        intent = "both" if "anesthetic" in medications and len(medications) > 1 else None
    factors = [factor for factor in Factor if patient.pop(factor.attribute, False)]
    return Selection(
        target=Target(target),
        medications=frozenset(Medication(m) for m in medications),
        guidance=Guidance(guidance),
        contrast=contrast,
        intent=Intent(intent) if intent else None,
        side=Side(side),
        patient=PatientDetails(name=name, **patient),  # type: ignore[arg-type]
        factors=PatientFactors(
            present=factors,
            allergies=tuple(Allergy.parse(a) for a in allergies),
        ),
    )


@lru_cache(maxsize=1)
def catalog():  # type: ignore[no-untyped-def]
    return load_catalog()


def pdf_bytes(selection: Selection, clinic: ClinicProfile | None = None) -> bytes:
    """Render a selection to PDF bytes with a fixed print time."""
    rendered = render_html(selection, catalog(), clinic or ClinicProfile(), GENERATED_AT)
    return render_pdf(rendered.html, facts=rendered.facts)


def normalise(text: str) -> str:
    """Collapse whitespace and undo line-break hyphenation so phrases can be searched for."""
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def pdf_text(data: bytes) -> str:
    """All text of a PDF, whitespace-normalised."""
    reader = PdfReader(io.BytesIO(data))
    return normalise(" ".join(page.extract_text() or "" for page in reader.pages))


@lru_cache(maxsize=256)
def _cached_text(selection: Selection) -> str:
    return pdf_text(pdf_bytes(selection))


def handout_text(**kwargs: object) -> str:
    """The text of the rendered handout for make_selection(**kwargs), cached per selection."""
    medications = kwargs.pop("medications", ("anesthetic", "corticosteroid"))
    allergies = kwargs.pop("allergies", ())
    return _cached_text(make_selection(medications=tuple(medications), allergies=tuple(allergies), **kwargs))  # type: ignore[arg-type]


def document_number(pdf: bytes) -> str:
    """The one document number printed at the foot of a sheet's pages (fails if there are none or several)."""
    import re

    found = set(re.findall(r"Documento? ([0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3})", pdf_text(pdf)))
    assert len(found) == 1, found
    return found.pop()


def copy_content(tmp_path: Path) -> Path:
    """A private copy of the built-in content folder (templates/content) that a test may break."""
    target = tmp_path / "content"
    target.mkdir()
    for path in content_dir().glob("*.toml"):
        (target / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return target
