"""Pictures drawn only inside their own box on the page.

WeasyPrint draws a picture (an <img>, a replaced box) with no clip at all, and it clips an SVG only at its
nested <svg> elements, never at the outer one. So a clinic's SVG shown 2 px wide could paint a white
rectangle over the side banner or the risks, or draw "Your RIGHT hip" above them, while the laid-out page
the sheet check reads (sheet_check.py) shows a 2 px picture: through coordinates outside its viewBox, a
transform on its root, its own style sheet, preserveAspectRatio="slice", or no SVG namespace (reviewers
found each). Clipping the SVG's own markup cannot hold against the SVG's own styles; clipping where
WeasyPrint draws the box holds whatever the picture holds. WeasyPrint has no option for it, so its
draw_replacedbox is wrapped, once per process, to draw inside a clip to the box's content rectangle.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()


def clip_pictures_to_their_boxes() -> None:
    """Make WeasyPrint draw every picture clipped to its box's content rectangle (at most once; the module
    must be imported already). Raises RuntimeError when this WeasyPrint draws pictures elsewhere, so no
    sheet is made with pictures that could paint outside their boxes."""
    from weasyprint import draw

    with _lock:
        original: Callable[[Any, Any], None] | None = getattr(draw, "draw_replacedbox", None)
        if original is None or not callable(original):
            raise RuntimeError("this WeasyPrint has no draw_replacedbox: pictures could not be kept in their boxes")
        if getattr(original, "clipped_to_box", False):
            return

        @functools.wraps(original)
        def draw_clipped(stream: Any, box: Any) -> None:
            with stream.stacked():
                stream.rectangle(box.content_box_x(), box.content_box_y(), box.width, box.height)
                stream.clip()
                stream.end()
                original(stream, box)

        draw_clipped.clipped_to_box = True  # type: ignore[attr-defined]
        draw.draw_replacedbox = draw_clipped
