"""Make a recorded sheet again, byte for byte, from the wording it was first made from.

The archived files are written into a private temp folder (removed afterwards, whatever happens),
and a render worker is started on them: the clinic folder as it was, and the built-in templates of
the version that made the sheet. The patient's details are typed again, since the store never holds
them; the result is compared with the recorded SHA-256, and only an identical sheet is given back.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import resources
from . import archive
from .entry import renderer_versions, request_from_row
from .store import RecordStore, StoreUnavailable

TEMP_PREFIX = "handout-reprint-"


class ReprintFailed(RuntimeError):
    """The sheet could not be made again; the message says why and what to do."""


@dataclass(frozen=True)
class Reprint:
    """A sheet made again: its bytes, and the stored row it matches."""

    pdf: bytes
    document: dict[str, Any]


def reprint(store: RecordStore, number: str, name: str, date_of_birth: str | None = None, mrn: str = "") -> Reprint:
    """The identical PDF of document `number` for the patient details typed. Raises ReprintFailed."""
    from ..worker_client import WorkerProcess, WorkerUnavailable

    try:
        document = store.document(number)
        if document is None:
            raise ReprintFailed(
                f"There is no document {number} in {store.name}. Check the number at the foot of the "
                "sheet's pages, and that this is the clinic's record store."
            )
        manifest, files = store.wording(document["archive_hash"])
    except StoreUnavailable as exc:
        raise ReprintFailed(str(exc)) from None
    folder = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    try:
        try:
            extracted = archive.extract(manifest, files, folder)
        except (archive.ArchiveError, OSError) as exc:
            raise ReprintFailed(f"The wording of document {number} could not be written back: {exc}") from None
        patient = {"name": name, "date_of_birth": date_of_birth, "mrn": mrn or document["record_number"] or ""}
        request = request_from_row(document, patient, str(extracted.clinic_folder) if extracted.clinic_folder else None)
        try:
            worker = WorkerProcess(extra_env={resources.DATA_ROOT_ENV: str(extracted.data_root)})
        except WorkerUnavailable as exc:
            raise ReprintFailed(str(exc)) from None
        try:
            reply, pdf = worker.render(request.payload("reprint"))
        except OSError as exc:  # the render process died under the request
            raise ReprintFailed(
                f"Document {number} could not be made again: the render process stopped ({exc})."
            ) from None
        finally:
            worker.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not reply.get("ok"):
        raise ReprintFailed(f"Document {number} could not be made again: {reply.get('error')}")
    if hashlib.sha256(pdf).hexdigest() != document["sha256"]:
        raise ReprintFailed(_difference(number, document))
    return Reprint(pdf, document)


def _difference(number: str, document: dict[str, Any]) -> str:
    """Why a sheet made again is not the recorded one, in plain words."""
    message = (
        f"The sheet made now is not identical to document {number} as it was handed out, so it was not saved. "
        "The patient's name, date of birth and record number must be typed exactly as on the original "
        "sheet (spelling, spaces, capitals); a detail left out, or added, changes the sheet."
    )
    now = renderer_versions()
    if now != document["renderer"]:
        message += (
            f" This computer also makes PDFs with other library versions ({now}) than the ones that made the "
            f"sheet ({document['renderer']}); reprint it on a computer with those versions."
        )
    return message
