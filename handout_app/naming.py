"""How a procedure is named on the sheet: the side in capitals, then target, guidance and medicines."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from .domain import Selection
from .formats import format_list


def procedure_name(selection: Selection, labels: dict[str, Any], language: str) -> str:
    """E.g. 'RIGHT hip joint injection, fluoroscopy-guided with contrast, corticosteroid and local anesthetic';
    `labels` are the catalog's labels for `language`."""
    guidance_key = "fluoroscopy-contrast" if selection.contrast else selection.guidance.value
    # The registry's order for names: the main medicine first, the numbing medicine last.
    named = sorted(selection.medications, key=lambda m: m.spec.named)
    medicines = [labels["medications"][m.value] for m in named]
    # The pattern is a label because languages order the parts differently.
    pattern: str = labels["procedure_pattern"]
    return pattern.format(
        side=labels["procedure_sides"][selection.side.value],
        target=labels["targets"][selection.target.value],
        guidance=labels["guidance"][guidance_key],
        medicines=format_list(medicines, language),
    )


def side_heading(side_phrase: str) -> str:
    """The banner at the top of page 1: the side phrase with a capital first letter, the rest as written
    ('your LEFT hip' -> 'Your LEFT hip'; 'BOTH hips (LEFT and RIGHT)' stays as it is)."""
    return side_phrase[:1].upper() + side_phrase[1:]


def suggested_file_name(
    procedure: str,
    side: str,
    date: dt.date | None,
    when: dt.datetime | None = None,
    extras: tuple[str, ...] = (),
) -> str:
    """E.g. 'hip-joint-injection_RIGHT_2026-11-21_0930-12.pdf', plus the language and edition when they
    are not the default ('_es_large-print'). No patient name: it must not leak into file lists. The time
    of day keeps two patients with the same procedure on the same day apart."""
    slug = re.sub(r"[^a-z0-9]+", "-", procedure.lower()).strip("-")
    when = when or dt.datetime.now()
    suffix = "".join(f"_{extra}" for extra in extras)
    return f"{slug}_{side.upper()}_{(date or dt.date.today()).isoformat()}_{when:%H%M-%S}{suffix}.pdf"


def handout_file_name(
    selection: Selection, target_label: str, when: dt.datetime | None = None, patient_in_name: bool = False
) -> str:
    """The suggested file name for this selection; `target_label` is the English target name, e.g.
    'hip joint'. Without `patient_in_name` it holds no patient details and is also the print job's
    title, which everyone on a print server sees. With it (only where clinic.toml's
    patient_name_in_file_name allows: file lists on shared drives are seen by many) the patient's
    name comes first, in plain letters."""
    extras = tuple(
        extra
        for extra, chosen in (
            (selection.language, selection.language != "en"),
            ("large-print", selection.large_print),
            ("consent-copy", selection.consent_copy),
            ("archival", selection.archival),
        )
        if chosen
    )
    name = suggested_file_name(target_label, selection.side.value, selection.patient.procedure_date, when, extras)
    patient = re.sub(r"[^A-Za-z0-9]+", "-", selection.patient.name).strip("-") if patient_in_name else ""
    return f"{patient}_{name}" if patient else name
