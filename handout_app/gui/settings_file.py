"""Where the window's settings live: one INI file in the user's config folder, on every system.

Without this, QSettings would use the Windows registry and a macOS plist, which IT support can neither
read nor copy like a file. `use_settings_file()` runs once, when the application is made
(launch.make_application), and from then on every plain `QSettings()` reads and writes
`<config folder>/handout-app/handout-app.ini`, the config folder being platformdirs' (XDG_CONFIG_HOME or
~/.config on Linux, AppData\\Local on Windows, ~/Library/Application Support on macOS). What it holds: the
procedure last chosen, the window's size, the clinic folder and the last save folder; never a patient's
details. The procedure is kept as plain lines a support person can read (`save_procedure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings

from ..resources import APP_NAME

# The names QSettings files are kept under (QCoreApplication's organization and application names).
ORGANIZATION = APPLICATION = APP_NAME
# The organization earlier versions kept their settings under, in the system's own format.
EARLIER_ORGANIZATION = "HipInjectionHandout"
# The INI section of the procedure last chosen, one line per choice.
PROCEDURE_GROUP = "procedure"
# Earlier versions kept the whole procedure as one Qt map under this key, which the file shows as an
# unreadable `values=@Variant(...)`; it is still read, and replaced on the next save.
EARLIER_PROCEDURE_KEY = "values"


def config_folder() -> Path:
    """The user's config folder that holds the application's own folder."""
    return platformdirs.user_config_path()


def settings_path() -> Path:
    """The settings file every `QSettings()` uses once `use_settings_file()` has run."""
    return config_folder() / ORGANIZATION / f"{APPLICATION}.ini"


def use_settings_file() -> Path:
    """Make every plain `QSettings()` use the INI file at `settings_path()`; returns that path.

    The first time, settings an earlier version kept in the system's own store are copied over, so an
    upgrade keeps the clinic folder (a window without it would print the built-in wording)."""
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(config_folder()))
    path = settings_path()
    if not path.exists():
        earlier = QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, EARLIER_ORGANIZATION, APPLICATION)
        keys = earlier.allKeys()
        if keys:
            settings = QSettings()
            for key in keys:
                settings.setValue(key, earlier.value(key))
            settings.sync()
    return path


def save_procedure(values: Mapping[str, object], settings: QSettings | None = None) -> None:
    """Remember the procedure as plain lines under [procedure]: `target=joint`,
    `medications=anesthetic, corticosteroid`, `contrast=false`, `intent=` (automatic) and so on.

    A list is written as Qt writes a list of words (comma-separated); an empty one as an empty value,
    which Qt would otherwise write as `@Invalid()`. An earlier version's map goes."""
    settings = settings or QSettings()
    settings.beginGroup(PROCEDURE_GROUP)
    settings.remove(EARLIER_PROCEDURE_KEY)
    for key, value in values.items():
        if isinstance(value, (list, tuple)):
            value = [str(item) for item in value] or ""
        settings.setValue(key, value)
    settings.endGroup()


def load_procedure(settings: QSettings | None = None) -> dict[str, object] | None:
    """The procedure `save_procedure` remembered, or an earlier version's map; None when there is none.

    Read back from the file every value is text: `medications` is turned into a list again (one
    medicine reads as a single word, none as an empty value), and `contrast=true` stays the text
    "true", which the form accepts as ticked."""
    settings = settings or QSettings()
    settings.beginGroup(PROCEDURE_GROUP)
    try:
        keys = [key for key in settings.childKeys() if key != EARLIER_PROCEDURE_KEY]
        if not keys:
            earlier = settings.value(EARLIER_PROCEDURE_KEY)
            return dict(earlier) if isinstance(earlier, dict) else None
        values: dict[str, object] = {key: settings.value(key) for key in keys}
    finally:
        settings.endGroup()
    medications = values.get("medications")
    if isinstance(medications, str):
        values["medications"] = [part.strip() for part in medications.split(",") if part.strip()]
    elif not isinstance(medications, list):
        values["medications"] = []
    return values
