"""Figures about a laid-out sheet: how full each page is, which page an element lands on.

Used by `bench/pages_words.py` (the pages-and-words table) and by the tests that hold the sheet to
its length and keep the consent's statements on the page with the signature lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PageFill:
    """One page: its number (1-based) and the share of its text area that holds content (0 to 1)."""

    number: int
    fill: float


def _descendants(box: Any) -> Iterator[Any]:
    yield box
    for child in box.all_children():
        yield from _descendants(child)


def _content_root(page: Any) -> Any:
    """The page's <html> box: the body's flow, without the running header and footer (margin boxes)."""
    from weasyprint.formatting_structure.boxes import MarginBox  # WeasyPrint is imported lazily everywhere

    return next(child for child in page._page_box.children if not isinstance(child, MarginBox))


def page_fills(document: Any) -> list[PageFill]:
    """How far down each page its content reaches, as a share of the page's text area."""
    from weasyprint.formatting_structure.boxes import LineBox, ReplacedBox

    fills = []
    for number, page in enumerate(document.pages, start=1):
        page_box = page._page_box  # WeasyPrint exposes no public box tree
        top = page_box.content_box_y()
        height = page_box.height
        bottom = top
        for box in _descendants(_content_root(page)):
            # Lines and pictures are what a reader sees; an empty block's padding is not content.
            if isinstance(box, (LineBox, ReplacedBox)) or getattr(box, "element_tag", "") in ("tr", "hr"):
                bottom = max(bottom, box.position_y + box.margin_height())
        fills.append(PageFill(number, max(0.0, min(1.0, (bottom - top) / height))))
    return fills


def pages_holding(document: Any, css_class: str) -> set[int]:
    """The page numbers (1-based) on which any element with `css_class` has a box."""
    return set().union(*pages_of_each(document, css_class))


def pages_of_each(document: Any, css_class: str) -> list[frozenset[int]]:
    """For each element with `css_class`, in document order, the page numbers (1-based) it has boxes on."""
    found: dict[int, set[int]] = {}
    for number, page in enumerate(document.pages, start=1):
        for box in _descendants(_content_root(page)):
            element = getattr(box, "element", None)
            if element is not None and css_class in (element.get("class") or "").split():
                found.setdefault(id(element), set()).add(number)  # first seen in document order
    return [frozenset(pages) for pages in found.values()]


def word_count(document: Any) -> int:
    """Words printed in the body of the sheet (the running header and footer left out)."""
    from weasyprint.formatting_structure.boxes import TextBox

    return sum(
        len(box.text.split())
        for page in document.pages
        for box in _descendants(_content_root(page))
        if isinstance(box, TextBox)
    )
