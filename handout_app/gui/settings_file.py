"""Where the window's settings live: one INI file in the user's config folder, on every system.

Without this, QSettings would use the Windows registry and a macOS plist, which IT support can neither
read nor copy like a file. `use_settings_file()` runs once, when the application is made
(launch.make_application), and from then on every plain `QSettings()` reads and writes
`<config folder>/handout-app/handout-app.ini`, the config folder being platformdirs' (XDG_CONFIG_HOME or
~/.config on Linux, AppData\\Local on Windows, ~/Library/Application Support on macOS). What it holds: the
procedure last chosen, the window's size, the clinic folder and the last save folder; never a patient's
details.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from PySide6.QtCore import QSettings

# The names QSettings files are kept under (QCoreApplication's organization and application names).
ORGANIZATION = APPLICATION = "handout-app"
# The organization earlier versions kept their settings under, in the system's own format.
EARLIER_ORGANIZATION = "HipInjectionHandout"


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
