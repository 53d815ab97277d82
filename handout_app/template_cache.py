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
import weakref

import jinja2
from jinja2.bccache import Bucket

from . import __version__
from .resources import user_cache_folder

# A template that uses what the sandbox compiles in its own way: printing (finalize, and what is worked out
# while compiling), joining with ~, the intercepted operators, attributes, calls, filters and loops.
_PROBE = "{{ a ~ b }}{{ a.b(1) * 2 }}{% for i in c %}{{ i|e }}{{ loop.index }}{% endfor %}{{ ''|e }}x"
_stamps: weakref.WeakKeyDictionary[jinja2.Environment, str] = weakref.WeakKeyDictionary()


def compiler_stamp(environment: jinja2.Environment) -> str:
    """What the compiled code depends on besides a template's source: the app's version, Jinja's, and the
    code this environment makes of a probe template. Kept code is used only under the same stamp, so a
    release (or a change to the sandbox) that compiles templates differently never runs code compiled
    the old way: checks it adds to the compiled code would be missing from every template compiled before."""
    stamp = _stamps.get(environment)
    if stamp is None:
        probe = environment.compile(_PROBE, raw=True)
        stamp = _stamps[environment] = hashlib.sha256(
            f"{__version__}\0{jinja2.__version__}\0{probe}".encode()
        ).hexdigest()
    return stamp


class CompiledTemplates(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, keyed by the template's name and source (not its path, which differs for every
    reprint's temporary copy) and the environment's compiler_stamp, and silent when the folder cannot be used."""

    def get_bucket(self, environment: jinja2.Environment, name: str, filename: str | None, source: str) -> Bucket:
        key = hashlib.sha256(f"{compiler_stamp(environment)}\0{name}\0{source}".encode()).hexdigest()
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
    folder = user_cache_folder() / "templates"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:
        return None
    return CompiledTemplates(str(folder))
