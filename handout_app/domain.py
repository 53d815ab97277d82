"""The procedure selection as plain, immutable data.

Everything downstream (content selection, templating, PDF) reads a `Selection`;
nothing here knows about Qt, Jinja or WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .choices import (
    AllergyKind,
    Choice,
    Factor,
    Guidance,
    Intent,
    Language,
    Medication,
    OutputFormat,
    Paper,
    Side,
    Target,
)

# The choices themselves are declared once, in the registry; they are the typed values here too.
__all__ = [
    "INTENT_NEEDED",
    "Allergy",
    "AllergyKind",
    "Choice",
    "Factor",
    "Guidance",
    "Intent",
    "Language",
    "Medication",
    "OutputFormat",
    "Paper",
    "PatientDetails",
    "PatientFactors",
    "Selection",
    "SelectionError",
    "Side",
    "Target",
    "default_intent",
    "selection_from_dict",
    "selection_to_dict",
]

# Words a nurse may type for a known allergy kind (its value and the registry's other words); anything
# else is kept as "other" text.
_ALLERGY_WORDS: dict[str, AllergyKind] = {
    word: kind for kind in AllergyKind if not kind.spec.free_text for word in (kind.value, *kind.spec.words)
}


@dataclass(frozen=True)
class Allergy:
    """One allergy the patient reported: a known kind, or free text."""

    kind: AllergyKind
    text: str = ""

    @classmethod
    def parse(cls, raw: str) -> Allergy:
        """Map typed text to a known allergy kind, keeping other text as it was typed."""
        cleaned = " ".join(raw.split())
        kind = _ALLERGY_WORDS.get(cleaned.lower())
        if kind is not None:
            return cls(kind)
        return cls(AllergyKind.OTHER, cleaned)


@dataclass(frozen=True, init=False)
class PatientFactors:
    """Facts about the patient that change what the handout says: the ticked factors and the allergies.

    A factor may be given by its attribute name, PatientFactors(diabetes=True), and read the same way,
    factors.diabetes; the names are the registry's (choices.Factor), so a new factor needs no code here.
    """

    present: frozenset[Factor]
    allergies: tuple[Allergy, ...]

    def __init__(self, present: Iterable[Factor] = (), allergies: Iterable[Allergy] = (), **ticked: bool) -> None:
        chosen = set(present)
        for name, on in ticked.items():
            try:
                factor = Factor.from_attribute(name)
            except KeyError:
                raise TypeError(f"PatientFactors() got an unknown patient factor {name!r}") from None
            if on:
                chosen.add(factor)
        object.__setattr__(self, "present", frozenset(chosen))
        object.__setattr__(self, "allergies", tuple(allergies))

    def __getattr__(self, name: str) -> bool:
        """factors.diabetes: whether that factor is ticked (only called for names that are no attribute)."""
        try:
            factor = Factor.from_attribute(name)
        except KeyError:
            raise AttributeError(name) from None
        return factor in self.present


@dataclass(frozen=True)
class PatientDetails:
    """Who the handout is for. Printed on the sheet only; never logged or stored."""

    name: str
    date_of_birth: dt.date | None = None
    mrn: str = ""
    procedure_date: dt.date | None = None
    clinician: str = ""


class SelectionError(ValueError):
    """A selection that cannot produce a handout; the message says what to change."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


def default_intent(medications: frozenset[Medication]) -> Intent | None:
    """The purpose that follows from the medicines alone: anesthetic alone is diagnostic, no anesthetic is
    therapeutic. Anesthetic with another medicine may be either or both, so there is no default: the
    nurse (or the clinic's `default_intent`) must choose, since the purpose changes the consent."""
    if medications == {Medication.ANESTHETIC}:
        return Intent.DIAGNOSTIC
    if Medication.ANESTHETIC in medications:
        return None
    return Intent.THERAPEUTIC


INTENT_NEEDED = (
    "Choose the purpose: local anesthetic with another medicine can be to find the source of the pain, "
    "to treat it, or both (diagnostic, therapeutic or both)."
)


@dataclass(frozen=True)
class Selection:
    """Exactly which procedure the handout is for, and for whom."""

    target: Target
    medications: frozenset[Medication]
    guidance: Guidance
    side: Side
    patient: PatientDetails
    contrast: bool = False
    intent: Intent | None = None
    factors: PatientFactors = field(default_factory=PatientFactors)
    paper: Paper = Paper.A4
    language: str = "en"
    large_print: bool = False  # 18 pt body text, 1.5 line spacing, for patients who see poorly
    consent_copy: bool = False  # a second copy of the consent page for the patient to keep
    archival: bool = False  # PDF/A-3a (tagged) for the clinic's records instead of PDF/UA

    @property
    def effective_intent(self) -> Intent:
        """The chosen intent, or the default that follows from the medications.

        Raises SelectionError when neither gives one (see default_intent); `check()` reports it first.
        """
        intent = self.intent if self.intent is not None else default_intent(self.medications)
        if intent is None:
            raise SelectionError("intent", INTENT_NEEDED)
        return intent

    def check(self) -> None:
        """Raise SelectionError for a selection that is structurally incomplete, or whose typed text
        (name, record number, clinician, allergies) has characters the bundled fonts cannot print.

        Medical mixes that are impossible or unusual are data (see catalog rules); this only
        checks what every handout needs.
        """
        if not self.medications:
            raise SelectionError("medication", "Choose at least one medication.")
        self.effective_intent  # noqa: B018 (raises SelectionError when the purpose must be chosen)
        if not self.patient.name.strip():
            raise SelectionError("patient-name", "Enter the patient's name.")
        # Imported here: reading the fonts is the renderer's business, and most callers never get this far.
        from .glyphs import problem

        typed = [
            ("patient-name", "The patient's name", self.patient.name),
            ("mrn", "The record number", self.patient.mrn),
            ("clinician", "The clinician's name", self.patient.clinician),
            *(("allergy", "The allergy", allergy.text) for allergy in self.factors.allergies),
        ]
        for field_name, what, text in typed:
            message = problem(text, what)
            if message:
                raise SelectionError(field_name, message)


def _date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def selection_to_dict(selection: Selection) -> dict[str, object]:
    """A JSON-safe dict of the selection (for the render worker's pipe; never written to disk)."""
    return {
        "target": selection.target.value,
        "medications": sorted(m.value for m in selection.medications),
        "guidance": selection.guidance.value,
        "side": selection.side.value,
        "contrast": selection.contrast,
        "intent": selection.intent.value if selection.intent else None,
        "paper": selection.paper.value,
        "language": selection.language,
        "large_print": selection.large_print,
        "consent_copy": selection.consent_copy,
        "archival": selection.archival,
        "patient": {
            "name": selection.patient.name,
            "date_of_birth": _date_text(selection.patient.date_of_birth),
            "mrn": selection.patient.mrn,
            "procedure_date": _date_text(selection.patient.procedure_date),
            "clinician": selection.patient.clinician,
        },
        "factors": {
            # One yes/no per factor under its attribute name, as record stores written before hold them.
            **{factor.attribute: factor in selection.factors.present for factor in Factor},
            "allergies": [[a.kind.value, a.text] for a in selection.factors.allergies],
        },
    }


def selection_from_dict(data: dict[str, Any]) -> Selection:
    """The inverse of selection_to_dict."""
    patient = data["patient"]
    factors = data["factors"]

    def date(value: str | None) -> dt.date | None:
        return dt.date.fromisoformat(value) if value else None

    return Selection(
        target=Target(data["target"]),
        medications=frozenset(Medication(m) for m in data["medications"]),
        guidance=Guidance(data["guidance"]),
        side=Side(data["side"]),
        contrast=bool(data["contrast"]),
        intent=Intent(data["intent"]) if data["intent"] else None,
        paper=Paper(data["paper"]),
        language=data["language"],
        large_print=bool(data.get("large_print", False)),
        consent_copy=bool(data.get("consent_copy", False)),
        archival=bool(data.get("archival", False)),
        patient=PatientDetails(
            name=patient["name"],
            date_of_birth=date(patient["date_of_birth"]),
            mrn=patient["mrn"],
            procedure_date=date(patient["procedure_date"]),
            clinician=patient["clinician"],
        ),
        factors=PatientFactors(
            # A factor added since a record was written is absent from it: not ticked then.
            present=(factor for factor in Factor if factors.get(factor.attribute)),
            allergies=tuple(Allergy(AllergyKind(kind), text) for kind, text in factors["allergies"]),
        ),
    )
