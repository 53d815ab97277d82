"""What is recorded about one sheet, and the render request it was made from.

`SheetRequest` is the one description of a sheet that every caller (window, CLI, day list, reprint)
sends to the render worker: making the same request again makes the same bytes. `document_row`
turns it into the store's row, leaving out the patient's name, birth date and (unless the clinic
asks for it) record number.
"""

from __future__ import annotations

import getpass
import json
import platform
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .. import __version__
from ..worker import encode_request

# The patient's details in a selection dict (domain.selection_to_dict): typed again for a reprint.
PATIENT_DETAILS = ("name", "date_of_birth", "mrn")


@dataclass(frozen=True)
class SheetRequest:
    """Everything the render worker needs for one sheet besides the wording files themselves."""

    selection: dict[str, Any]  # domain.selection_to_dict, with the patient's details
    clinic: str | None  # the clinic folder, or None for the built-in wording without a clinic
    generated_at: str  # the time printed on the sheet, ISO 8601 with its offset
    document_number: str = ""
    builtin_only: bool = False
    clinic_overrides: dict[str, Any] = field(default_factory=dict)  # unsaved clinic settings (live preview)

    def payload(self, request_id: str, output_format: str = "pdf") -> bytes:
        """The frame to send to the render worker."""
        return encode_request(
            request_id,
            self.selection,
            self.clinic,
            self.generated_at,
            self.builtin_only,
            self.clinic_overrides,
            output_format,
            self.document_number,
        )


def workstation() -> str:
    """This computer's name."""
    return platform.node() or "unknown"


def os_user() -> str:
    """The operating-system user running the program."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name on this system (a container with an unnamed uid)
        return "unknown"


@lru_cache(maxsize=1)
def renderer_versions() -> str:
    """The library versions that shape a PDF's bytes; a reprint on other versions may differ."""
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for package in ("weasyprint", "pydyf", "fonttools", "fontpkg-atkinson-hyperlegible", "fontpkg-noto-sans"):
        try:
            parts.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            parts.append(f"{package} ?")
    return "; ".join(parts)


def sheet_options(request: SheetRequest) -> dict[str, Any]:
    """What else the sheet was made from, for the store: never the patient's name or birth date."""
    selection = request.selection
    return {
        "intent": selection["intent"],  # as chosen (None: the default the medicines or the clinic give)
        "factors": selection["factors"],
        "procedure_date": selection["patient"]["procedure_date"],
        "clinician": selection["patient"]["clinician"],
        "builtin_only": request.builtin_only,
        "clinic_overrides": request.clinic_overrides,
    }


def document_row(
    request: SheetRequest,
    wording: dict[str, str],
    sha256: str,
    pages: int,
    archive_hash: str,
    record_patient_id: bool,
) -> dict[str, Any]:
    """The store's row for a sheet (schema.documents)."""
    selection = request.selection
    return {
        "number": request.document_number,
        "made_at": request.generated_at,
        "target": selection["target"],
        "medications": ";".join(selection["medications"]),
        "guidance": selection["guidance"],
        "contrast": bool(selection["contrast"]),
        "intent": wording["intent"],  # the purpose printed (the nurse's, or the clinic's default)
        "side": selection["side"],
        "language": selection["language"],
        "paper": selection["paper"],
        "large_print": bool(selection["large_print"]),
        "consent_copy": bool(selection["consent_copy"]),
        "archival": bool(selection["archival"]),
        "sheet_options": json.dumps(sheet_options(request), sort_keys=True),
        "record_number": (selection["patient"]["mrn"] or None) if record_patient_id else None,
        "wording_name": wording["name"],
        "content_version": wording["content_version"],
        "content_hash": wording["content_hash"],
        "archive_hash": archive_hash,
        "app_version": __version__,
        "renderer": renderer_versions(),
        "sha256": sha256,
        "pages": pages,
        "workstation": workstation(),
        "os_user": os_user(),
    }


def request_from_row(row: dict[str, Any], patient: dict[str, Any], clinic: str | None) -> SheetRequest:
    """The request that makes a recorded sheet again, with the patient's details typed for it
    (`patient`: name, date_of_birth, mrn) and `clinic` the archived clinic folder written back."""
    options = json.loads(row["sheet_options"])
    selection = {
        "target": row["target"],
        "medications": row["medications"].split(";"),
        "guidance": row["guidance"],
        "side": row["side"],
        "contrast": bool(row["contrast"]),
        "intent": options["intent"],
        "paper": row["paper"],
        "language": row["language"],
        "large_print": bool(row["large_print"]),
        "consent_copy": bool(row["consent_copy"]),
        "archival": bool(row["archival"]),
        "patient": {**patient, "procedure_date": options["procedure_date"], "clinician": options["clinician"]},
        "factors": options["factors"],
    }
    return SheetRequest(
        selection, clinic, row["made_at"], row["number"], bool(options["builtin_only"]), options["clinic_overrides"]
    )
