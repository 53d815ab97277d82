"""SVG pictures drawn only inside their own box.

WeasyPrint clips a nested <svg> to its viewport but not the outermost one, and nothing clips a picture to
the box it has on the page. So a clinic's SVG shown 2 px wide could paint a white rectangle over the side
banner or the risks, or draw "Your RIGHT hip" above them, while the laid-out page the sheet check reads
(sheet_check.py) shows only a 2 px picture. Every SVG the sheet loads (the logo, a template's pictures,
nested pictures, the built-in hip drawings) is therefore served with its content moved into a nested
<svg> that covers exactly the outer one's viewport, which WeasyPrint clips: the drawing is unchanged
inside the viewport and nothing outside it is painted. The outer element keeps its size attributes, so
the picture takes the same room on the page.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG_NS = "http://www.w3.org/2000/svg"
# Kept as the usual prefixes when the picture is written out again (WeasyPrint reads either way).
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")


def clipped_svg(data: bytes) -> bytes:
    """The SVG picture `data` with everything it draws clipped to its viewport; `data` itself when it is not
    an SVG document (WeasyPrint then reports it, as before)."""
    try:
        root = ET.fromstring(data)  # logo.check_picture has refused DOCTYPEs and entities already
    except ET.ParseError:
        return data
    if root.tag != f"{{{SVG_NS}}}svg":
        return data
    frame = {"overflow": "hidden"}
    viewbox = re.split(r"[\s,]+", (root.get("viewBox") or "").strip())
    if len(viewbox) == 4:
        # The outer user space is the viewBox's: the frame covers it, and its own equal viewBox keeps the
        # coordinates as they were (WeasyPrint moves a nested <svg>'s content to its x and y).
        x, y, width, height = viewbox
        frame |= {"x": x, "y": y, "width": width, "height": height, "viewBox": " ".join(viewbox)}
    else:
        # No viewBox: the outer user space spans its width and height (or the box, for percentages or
        # none), which WeasyPrint resolves for the frame as it does for the outer element.
        for name in ("width", "height"):
            value = (root.get(name) or "").strip()
            frame[name] = value if value and not value.endswith("%") else "100%"
    inner = ET.Element(f"{{{SVG_NS}}}svg", frame)
    inner.extend(list(root))
    for child in list(root):
        root.remove(child)
    inner.text, root.text = root.text, None
    root.append(inner)
    clipped: bytes = ET.tostring(root, encoding="utf-8")
    return clipped
