"""The one way the window's commands become menu actions."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence


def action(
    text: str,
    parent: QObject,
    slot: Callable[[], object],
    shortcut: QKeySequence | QKeySequence.StandardKey | None = None,
) -> QAction:
    """A menu action that calls `slot` when chosen (as QAction(text, parent, shortcut=..., triggered=...) does)."""
    made = QAction(text, parent)
    if shortcut is not None:
        made.setShortcut(shortcut)
    made.triggered.connect(slot)
    return made
