"""The exact files a sheet was made from, so the same sheet can be made again years later.

A wording set is the clinic folder's set (template_set.set_files: clinic.toml, its wording, templates,
styles, pictures and logo; the same files its footer hash covers) plus the application's built-in
templates, content and pictures. Nothing else in the folder is archived: a day list or a saved
handout left there holds patients' names, and none may reach the record store. Each file is
addressed by the SHA-256 of its bytes and stored once; the set is the list of (path, file hash),
and its own hash (the archive hash) names it. Paths start with "clinic/" or
"builtin/templates/", "builtin/assets/". `extract` writes a set back into a private temp folder,
laid out so the render worker can use it as clinic folder and built-in data (resources.DATA_ROOT_ENV).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath

from .. import resources
from ..template_set import MAX_HASHED_BYTES, set_files

CLINIC_PREFIX = "clinic"
BUILTIN_PREFIX = "builtin"


class ArchiveError(ValueError):
    """A wording set that cannot be archived or written back."""


@dataclass(frozen=True)
class WordingSnapshot:
    """A wording set's files: `manifest` is [[path, sha256], ...] sorted by path; `files` maps sha256 to bytes."""

    manifest: tuple[tuple[str, str], ...]
    files: dict[str, bytes]

    @property
    def archive_hash(self) -> str:
        """The set's own hash: the SHA-256 of its manifest."""
        return manifest_hash([list(entry) for entry in self.manifest])


def manifest_hash(manifest: list[list[str]]) -> str:
    """The SHA-256 naming a set, over its sorted (path, file hash) list."""
    return hashlib.sha256(json.dumps(sorted(manifest), separators=(",", ":")).encode()).hexdigest()


def _files_under(root: Path, prefix: str) -> list[tuple[str, bytes]]:
    return [
        (f"{prefix}/{path.relative_to(root).as_posix()}", path.read_bytes())
        for path in sorted(root.rglob("*"))
        if path.is_file()
    ]


def _digested(entries: list[tuple[str, bytes]]) -> list[tuple[str, str, bytes]]:
    return [(path, hashlib.sha256(data).hexdigest(), data) for path, data in entries]


@lru_cache(maxsize=4)
def _builtin_files(data_root: Path) -> tuple[tuple[str, str, bytes], ...]:
    # The built-in files do not change while the program runs: read and hash them once per process,
    # not on every Save.
    return tuple(
        _digested(
            _files_under(data_root / "templates", f"{BUILTIN_PREFIX}/templates")
            + _files_under(data_root / "assets", f"{BUILTIN_PREFIX}/assets")
        )
    )


def snapshot(clinic_folder: Path | None, logo: str = "") -> WordingSnapshot:
    """The wording set in use now: the clinic folder's set (if any, with the logo clinic.toml names)
    and the built-in files."""
    entries = list(_builtin_files(resources.data_root()))
    if clinic_folder is not None:
        clinic_files = [
            (f"{CLINIC_PREFIX}/{relative}", path.read_bytes()) for relative, path in set_files(clinic_folder, logo)
        ]
        if sum(len(data) for _, data in clinic_files) > MAX_HASHED_BYTES:
            raise ArchiveError(
                f"{clinic_folder} holds more than {MAX_HASHED_BYTES // (1024 * 1024)} "
                "MB; keep only the set's files there."
            )
        entries += _digested(clinic_files)
    files = {digest: data for _, digest, data in entries}
    return WordingSnapshot(tuple(sorted((path, digest) for path, digest, _ in entries)), files)


@dataclass(frozen=True)
class ExtractedSet:
    """Where `extract` wrote a set: the clinic folder (None when the sheet had none) and the built-in data root."""

    clinic_folder: Path | None
    data_root: Path


def extract(manifest: list[list[str]], files: dict[str, bytes], into: Path) -> ExtractedSet:
    """Write an archived set under `into` (an empty private folder). Every file's bytes are checked
    against its hash, and no path may leave the folder."""
    has_clinic = False
    for path_text, digest in manifest:
        path = PurePosixPath(path_text)
        if path.is_absolute() or ".." in path.parts or path.parts[0] not in (CLINIC_PREFIX, BUILTIN_PREFIX):
            raise ArchiveError(f"the archived set holds an unusable path '{path_text}'.")
        data = files.get(digest)
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            raise ArchiveError(f"the archived file {path_text} is missing or damaged in the record store.")
        target = into.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(target, "xb") as handle:
            handle.write(data)
        os.chmod(target, 0o600)
        has_clinic = has_clinic or path.parts[0] == CLINIC_PREFIX
    return ExtractedSet(into / CLINIC_PREFIX if has_clinic else None, into / BUILTIN_PREFIX)
