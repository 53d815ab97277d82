"""Where the bundled templates, content data, assets and font files live.

In a checkout they sit beside the package (`templates/`, `assets/`); in an installed wheel they
are copied inside the package as `handout_app/_data/templates` and `handout_app/_data/assets`; in a
frozen bundle (PyInstaller, .ci/handout-app.spec) they are in the same place under the bundle's data
folder (`sys._MEIPASS`).
Every other module asks this one, so the lookup rule exists once. A reprint sets DATA_ROOT_ENV in its
render worker's environment to the archived copy of the built-in files the sheet was first made from.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

import fontpkg_atkinson_hyperlegible
import fontpkg_noto_sans

_PACKAGE_DIR = Path(__file__).resolve().parent
DATA_ROOT_ENV = "HANDOUT_APP_DATA_ROOT"
# The application's name for this user's folders (data, settings, cache) and Qt's organisation.
APP_NAME = "handout-app"


@cache
def data_root() -> Path:
    """The folder that holds `templates/` and `assets/` (an archived set for a reprint, frozen bundle, installed
    wheel, checkout)."""
    archived = os.environ.get(DATA_ROOT_ENV)
    if archived:
        return Path(archived).resolve()
    candidates = [_PACKAGE_DIR / "_data", _PACKAGE_DIR.parent]
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        # Said outright rather than left to how PyInstaller fills in __file__ for the modules it bundles.
        candidates.insert(0, Path(bundle) / "handout_app" / "_data")
    for candidate in candidates:
        if (candidate / "templates" / "content").is_dir() and (candidate / "assets").is_dir():
            return candidate
    raise FileNotFoundError(f"The handout templates were not found next to {_PACKAGE_DIR}; reinstall the application.")


def templates_dir() -> Path:
    """The built-in Jinja templates and print CSS."""
    return data_root() / "templates"


def content_dir() -> Path:
    """The built-in content data (TOML)."""
    return templates_dir() / "content"


def assets_dir() -> Path:
    """Bundled images."""
    return data_root() / "assets"


def font_dir() -> Path:
    """The Atkinson Hyperlegible TTF files, shipped by the fontpkg-atkinson-hyperlegible package."""
    return Path(fontpkg_atkinson_hyperlegible.ROOT) / "files"


def fallback_font_dir() -> Path:
    """The Noto Sans TTF files (fontpkg-noto-sans): Greek, Cyrillic and the Latin letters Atkinson lacks.

    Bundled so that a name in those scripts prints the same on every workstation, never in a system font.
    """
    return Path(fontpkg_noto_sans.ROOT) / "files"


def font_files() -> tuple[Path, ...]:
    """Every bundled font file the handout may print with: the main family first, then the fallback."""
    return (*sorted(font_dir().glob("*.ttf")), *sorted(fallback_font_dir().glob("*.ttf")))


def user_cache_folder() -> Path:
    """This user's cache folder for the app (compiled templates, WeasyPrint's declarations): kept between runs,
    never holding anything about a patient, and safe to delete (it is made again)."""
    import platformdirs  # here, not at the top: most callers of this module never need it

    return Path(platformdirs.user_cache_path(APP_NAME, appauthor=False))
