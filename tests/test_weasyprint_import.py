"""WeasyPrint is loaded without running a compiler or linker to look for libraries (weasyprint_import.py).

Each check runs in a fresh Python, where WeasyPrint is not loaded yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick lookup is Linux's")


def _run(code: str, cache: Path) -> dict[str, object]:
    """Run `code` in a fresh Python whose cache folder is `cache` (empty: WeasyPrint's declarations are not
    kept there yet, so the libraries are looked up; see test_ffi_declarations.py for the starts after)."""
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "XDG_CACHE_HOME": str(cache)},
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# Loads WeasyPrint, noting every program started meanwhile and whether the standard lookup is back in place.
LOAD_NOTING_PROGRAMS = """
import ctypes.util, json, subprocess
standard = ctypes.util.find_library
started = []
real_popen_init = subprocess.Popen.__init__
def recording_init(self, args, *rest, **options):
    started.append(args[0] if isinstance(args, (list, tuple)) else str(args).split()[0])
    real_popen_init(self, args, *rest, **options)
subprocess.Popen.__init__ = recording_init
from handout_app.weasyprint_import import import_weasyprint
weasyprint = import_weasyprint()
html = weasyprint.HTML(string="<p>Right hip</p>")
print(json.dumps({
    "started": [name.rsplit("/", 1)[-1] for name in started],
    "restored": ctypes.util.find_library is standard,
    "pdf": html.write_pdf()[:5].decode(),
}))
"""


def test_loading_weasyprint_starts_no_compiler_or_linker_and_leaves_the_standard_lookup_in_place(
    tmp_path: Path,
) -> None:
    result = _run(LOAD_NOTING_PROGRAMS, tmp_path / "cache")
    assert result["pdf"] == "%PDF-"
    assert result["restored"] is True
    # The standard lookup would have run gcc and ld some 40 times (about 13 ms each) for names of other systems.
    assert set(result["started"]) <= {"ldconfig"}, result["started"]


def test_once_the_declarations_are_kept_loading_weasyprint_starts_no_program_at_all(tmp_path: Path) -> None:
    _run(LOAD_NOTING_PROGRAMS, tmp_path / "cache")  # the first start keeps them
    result = _run(LOAD_NOTING_PROGRAMS, tmp_path / "cache")
    assert result["pdf"] == "%PDF-"
    assert result["started"] == []  # not even ldconfig: cffi opens the libraries by the names WeasyPrint gives


def test_the_linker_cache_gives_the_file_name_of_a_linux_library_and_nothing_for_other_systems_names(
    tmp_path: Path,
) -> None:
    result = _run(
        """
        import json
        from handout_app.weasyprint_import import _from_linker_cache
        print(json.dumps({name: _from_linker_cache(name) for name in
              ("pango-1.0", "harfbuzz", "libgobject-2.0-0", "libpango-1.0-0.dll", "pango")}))
        """,
        tmp_path / "cache",
    )
    assert result == {
        "pango-1.0": "libpango-1.0.so.0",
        "harfbuzz": "libharfbuzz.so.0",
        "libgobject-2.0-0": None,
        "libpango-1.0-0.dll": None,
        "pango": None,  # not libpangoft2 or libpangocairo: the name must be followed by ".so"
    }


def test_a_library_the_cache_misses_is_still_found_by_the_standard_lookup(tmp_path: Path) -> None:
    """Should the quick lookup leave WeasyPrint without a library, the import is tried again the usual way."""
    result = _run(
        """
        import json
        import handout_app.weasyprint_import as loader
        loader._from_linker_cache = lambda name: None
        import cffi
        real_dlopen = cffi.FFI.dlopen
        attempts = {"quick": 0}
        def dlopen(self, name, flags=0):
            import ctypes.util
            if ctypes.util.find_library.__name__ == "<lambda>":  # the quick attempt: as if a library were missing
                attempts["quick"] += 1
                raise OSError("cannot load library " + name)
            return real_dlopen(self, name, flags)
        cffi.FFI.dlopen = dlopen
        weasyprint = loader.import_weasyprint()
        pdf = weasyprint.HTML(string="<p>x</p>").write_pdf()
        print(json.dumps({"quick_attempts": attempts["quick"], "pdf": pdf[:5].decode(),
                          "whole": hasattr(weasyprint, "text") and hasattr(weasyprint.text, "ffi")}))
        """,
        tmp_path / "cache",
    )
    assert result["quick_attempts"] > 0
    assert result["pdf"] == "%PDF-"
    assert result["whole"] is True  # loaded afresh, not over what the failed attempt left
