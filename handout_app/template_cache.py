"""Compiled templates kept between runs, so that a render worker's first sheet does not compile every
template again (a fifth of a second of each cold start: the CLI, the window's first preview, each
check-templates worker).

The code is kept in this user's cache folder (platformdirs), one file per template name and source: a
changed template is compiled afresh, and a reprint of an older wording set finds its own. A cache that
cannot be made, read or written is skipped: the templates are then compiled as before. The files hold
compiled template code only, never anything typed about a patient.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import jinja2
from jinja2.bccache import Bucket

from .resources import APP_NAME


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, keyed by the template's name and source (not its path, which differs for every
    reprint's temporary copy), and silent when the folder cannot be used."""

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None, source: str) -> Bucket:
        key = hashlib.sha256(f"{name}\0{source}".encode()).hexdigest()
        bucket = Bucket(environment, key, self.get_source_checksum(source))
        self.load_bytecode(bucket)
        return bucket

    def load_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            super().load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


def compiled_templates() -> CompiledTemplates | None:
    """The cache in this user's cache folder, made if missing; None when it cannot be made."""
    import platformdirs

    folder = Path(platformdirs.user_cache_path(APP_NAME, appauthor=False)) / "templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return CompiledTemplates(str(folder))
