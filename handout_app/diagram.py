"""The pictures on the handout. The hip diagram: the project's drawing (assets/hip.svg) with the chosen target
highlighted, mirrored for a LEFT hip, once per side (twice for both sides).

The picture goes into the page as a base64 `data:` URL, so each handout gets its own
highlighting without writing any file.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import resources
from .domain import Side, Target
from .naming import side_heading

HIGHLIGHT_MARKER = "/*HIGHLIGHT*/"
HIGHLIGHT_STYLE = (
    "#region-{target} {{ fill: #e8a317; fill-opacity: 0.7; stroke: "
    "#7a4d00; stroke-width: 2.5; stroke-dasharray: {dash}; }}"
)
MIRROR_OPEN = '<g transform="translate(300,0) scale(-1,1)">'


@dataclass(frozen=True)
class Picture:
    """A drawing on the handout: where it comes from, its alternative text, and its heading (the hip drawings';
    an aftercare picture has none: its item's words stand beside it)."""

    uri: str
    alt: str
    title: str


@lru_cache(maxsize=1)
def _drawing() -> str:
    return (resources.assets_dir() / "hip.svg").read_text(encoding="utf-8")


@lru_cache(maxsize=16)
def hip_svg(target: Target, mirrored: bool) -> str:
    """The SVG text with `target`'s region highlighted; mirrored shows a LEFT hip."""
    # The soft-tissue region surrounds the joint, so it is drawn dashed to keep the bones visible.
    style = HIGHLIGHT_STYLE.format(target=target.value, dash="6 4" if target is Target.PERIARTICULAR else "none")
    svg = _drawing().replace(HIGHLIGHT_MARKER, style)
    if mirrored:
        head, sep, body = svg.partition("</style>")
        svg = head + sep + MIRROR_OPEN + body.replace("</svg>", "</g></svg>")
    return svg


def hip_figures(target: Target, side: Side, labels: dict[str, Any]) -> list[Picture]:
    """The figures for the handout: one per hip, the patient's RIGHT first (on the viewer's left)."""
    sides = [Side.RIGHT, Side.LEFT] if side is Side.BILATERAL else [side]
    figures = []
    for one in sides:
        svg = hip_svg(target, mirrored=one is Side.LEFT)
        uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        side_phrase = labels["side_phrases"][one.value]
        alt = labels["diagram_alt"].format(side=side_phrase, place=labels["diagram_places"][target.value])
        figures.append(Picture(uri=uri, alt=alt, title=side_heading(side_phrase)))
    return figures


@lru_cache(maxsize=8)
def _asset_uri(name: str) -> str:
    return (resources.assets_dir() / name).resolve().as_uri()


def item_pictures(labels: dict[str, Any], printed_items: Iterable[str]) -> dict[str, Picture]:
    """The aftercare pictures (the ice pack, the crossed-out car) by the id of the item each stands beside.

    A picture prints only where its item prints, and its words are the item's own (a clinic's, where it
    changed them): it has no caption of its own that could say more than, or other than, the sheet.
    """
    printed = set(printed_items)
    return {
        a["item"]: Picture(_asset_uri(a["picture"]), a["alt"], "") for a in labels["actions"] if a["item"] in printed
    }
