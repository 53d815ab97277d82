"""WeasyPrint is loaded without running a compiler or linker to look for libraries (weasyprint_import.py).

Each check runs in a fresh Python, where WeasyPrint is not loaded yet."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the quick lookup is Linux's")


def _run(code: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, check=True, timeout=120
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_loading_weasyprint_starts_no_compiler_or_linker_and_leaves_the_standard_lookup_in_place() -> None:
    result = _run(
        """
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
    )
    assert result["pdf"] == "%PDF-"
    assert result["restored"] is True
    # The standard lookup would have run gcc and ld some 40 times (about 13 ms each) for names of other systems.
    assert set(result["started"]) <= {"ldconfig"}, result["started"]


def test_the_linker_cache_gives_the_file_name_of_a_linux_library_and_nothing_for_other_systems_names() -> None:
    result = _run(
        """
        import json
        from handout_app.weasyprint_import import _from_linker_cache
        print(json.dumps({name: _from_linker_cache(name) for name in
              ("pango-1.0", "harfbuzz", "libgobject-2.0-0", "libpango-1.0-0.dll", "pango")}))
        """
    )
    assert result == {
        "pango-1.0": "libpango-1.0.so.0",
        "harfbuzz": "libharfbuzz.so.0",
        "libgobject-2.0-0": None,
        "libpango-1.0-0.dll": None,
        "pango": None,  # not libpangoft2 or libpangocairo: the name must be followed by ".so"
    }


def test_a_library_the_cache_misses_is_still_found_by_the_standard_lookup() -> None:
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
        print(json.dumps({"quick_attempts": attempts["quick"], "pdf": pdf[:5].decode()}))
        """
    )
    assert result["quick_attempts"] > 0
    assert result["pdf"] == "%PDF-"
