"""Wording sign-off: the hash of a clinic's wording set, and whether clinic.toml's [approval] still matches it.

The wording hash is written "sha256:" and the 64 lowercase hex digits of one SHA-256, always in
full: check-templates prints it that way, [approval] content_hash must hold it that way, and the
two are compared whole. The SHA-256 runs over, in this order:

  1. the built-in content version (templates/content/version.toml's `version`);
  2. every file under the clinic folder's content/ and templates/ (its wording, its templates and
     the style sheets its sheets use, handout.css and clinic.css), hidden files too, in sorted
     relative-path order, each as its relative path and its bytes;
  3. every text field of clinic.toml's [clinic] table that changes what a sheet says (PRINTED_FIELDS:
     all but logo, default_paper, patient_name_in_file_name, record_store and record_patient_id; that is
     the name, numbers, address, opening hours, emergency line, e-mail, web page, set name and version,
     and any other such text), in every language given, after clinic.toml's own clean-up of spaces.

Left out: the [approval] table itself, settings that print no words (paper, logo file name, file
naming), comments in clinic.toml, and pictures in assets/. Every part is written with its length,
so no two different sets can run together into the same bytes.
"""

from __future__ import annotations

import enum
import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import resources
from .clinic import CLINIC_FIELDS, Approval, ClinicError, ClinicProfile

HASH_PREFIX = "sha256:"
# The folders of a clinic's set whose files make up its wording (see template_set.py).
WORDING_FOLDERS: tuple[str, ...] = ("content", "templates")
# clinic.toml fields that put no words on the sheet.
_UNPRINTED = ("logo", "default_paper", "patient_name_in_file_name", "record_store", "record_patient_id")
PRINTED_FIELDS: tuple[str, ...] = tuple(key for key in CLINIC_FIELDS if key not in _UNPRINTED)
MAX_HASHED_BYTES = 50 * 1024 * 1024  # the same limit as the set's content hash (template_set.py)


class ApprovalState(enum.Enum):
    """Where a clinic's wording stands against its sign-off."""

    NONE = "no approval"  # clinic.toml has no [approval] table (and the built-in wording)
    APPROVED = "approved"  # the wording is exactly what was approved
    CHANGED = "changed since approval"  # an [approval] exists, but the wording has changed since


@dataclass(frozen=True)
class ApprovalCheck:
    """The result of `check_approval`: the state, the wording hash now, and the sign-off if any."""

    state: ApprovalState
    current_hash: str
    approval: Approval | None = None

    @property
    def approved(self) -> Approval | None:
        """The sign-off a sheet may print: only while the wording still matches it."""
        return self.approval if self.state is ApprovalState.APPROVED else None


def _part(digest: Any, kind: str, name: str, data: bytes) -> None:
    digest.update(f"{kind}\0{len(name.encode())}\0{name}\0{len(data)}\0".encode() + data)


def _wording_files(folder: Path) -> list[tuple[str, Path]]:
    """(relative path, file) for every regular file under the folder's wording folders, sorted by path."""
    files = []
    for sub in WORDING_FOLDERS:
        root = folder / sub
        if not root.is_dir():
            continue
        for path in root.rglob("*"):
            if path.is_file():  # pipes and devices are refused when the set loads; never open one here
                files.append((path.relative_to(folder).as_posix(), path))
    return sorted(files)


def wording_hash(clinic: ClinicProfile, content_version: str) -> str:
    """The wording hash ("sha256:" + 64 hex digits) of `clinic`'s set: its folder's content/ and
    templates/ files, its printed clinic.toml texts and the built-in `content_version`.

    Raises ClinicError naming the file when a file cannot be read or the folder is too large.
    """
    digest = hashlib.sha256(b"handout-app wording set 1\0")
    _part(digest, "content-version", "version.toml", content_version.encode())
    if clinic.folder is not None:
        total = 0
        for relative, path in _wording_files(clinic.folder):
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise ClinicError(path, f"cannot be read ({exc.strerror}). Check the file's permissions.") from None
            total += len(data)
            if total > MAX_HASHED_BYTES:
                raise ClinicError(
                    clinic.folder,
                    f"holds more than {MAX_HASHED_BYTES // (1024 * 1024)} MB of wording and "
                    "templates; keep only the set's files there.",
                )
            _part(digest, "file", relative, data)
    for key in PRINTED_FIELDS:
        if not isinstance(getattr(clinic, key), str):
            continue  # a setting (true/false), not text
        for language, text in clinic.texts(key).items():
            _part(digest, "clinic.toml", f"{key}.{language}", text.encode())
    return HASH_PREFIX + digest.hexdigest()


def check_approval(clinic: ClinicProfile, content_version: str) -> ApprovalCheck:
    """Compare `clinic`'s [approval] with its wording now: no approval, approved and matching, or
    changed since approval. Raises ClinicError like `wording_hash`."""
    current = wording_hash(clinic, content_version)
    if clinic.approval is None:
        return ApprovalCheck(ApprovalState.NONE, current)
    state = ApprovalState.APPROVED if clinic.approval.content_hash == current else ApprovalState.CHANGED
    return ApprovalCheck(state, current, clinic.approval)


def builtin_review() -> str:
    """The built-in wording's own review state, as templates/content/version.toml's `review` states it."""
    try:
        data = tomllib.loads((resources.templates_dir() / "content" / "version.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    review = data.get("review")
    return (
        review.strip()
        if isinstance(review, str) and review.strip()
        else "No review is recorded in version.toml: treat it as not approved."
    )
