"""A graph shown inline in a notebook keeps its text readable: it scrolls sideways rather than shrink.

Jupyter scales an SVG output down to the width of the output area
(``max-width: 100%``), so a graph drawn twice as wide as the notebook shows
its 9 pt labels at 6 px, and a wide MLP at 2 px. Here a drawing is measured
(its width and its smallest ``font-size``, both in Graphviz's points, 4/3 px
each) against an output ``OUTPUT_WIDTH`` px wide:

* if, scaled to fit, its smallest text is still at least ``READABLE_PX``, the
  SVG is shown as it is (``image/svg+xml``), as graphviz shows it;
* otherwise it is sized so that its smallest text is ``SCROLL_TEXT_PX`` (never
  larger than drawn) and shown in a box that scrolls sideways (``text/html``,
  which notebooks prefer over the image), with the sized SVG as the image
  for front ends that only show images.

``draw`` returns an :class:`InlineDigraph` (a ``graphviz.Digraph`` whose
Jupyter display does this; ``source``, ``pipe`` and ``render`` are
graphviz's), and a Value's own display (``autograd.viz.display``) folds a
wide scoped graph first and scrolls what is still too wide.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import graphviz

OUTPUT_WIDTH = 960  # px: a notebook's output area on a laptop screen
READABLE_PX = 9.0  # the smallest text a learner can read on screen
SCROLL_TEXT_PX = 10.0  # the smallest text of a drawing that scrolls
PX_PER_PT = 4 / 3  # Graphviz writes SVG sizes in points

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# SVG read and written back keeps its plain prefixes (not ns0:): this module's and the stepper's.
ET.register_namespace("", SVG_NAMESPACE)
ET.register_namespace("xlink", "http://www.w3.org/1999/xlink")
_SHOWN = frozenset({"image/svg+xml", "text/html"})  # what an InlineDigraph shows in its own way


class SvgSize(NamedTuple):
    """What decides how readable a drawing is inline: its size in px and its smallest text in px."""

    width: float
    height: float
    smallest_text: float | None  # None: no text at all


def _root(svg: str) -> ET.Element:
    """The ``<svg>`` element of ``svg`` (read from ``<svg`` on: Graphviz's prolog and doctype are left out)."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError(f"svg: no <svg> element in {svg[:80]!r}")
    try:
        return ET.fromstring(svg[start:])
    except ET.ParseError as error:
        raise ValueError(f"svg: not well-formed XML ({error})") from None


def _length_px(root: ET.Element, name: str) -> float:
    """The root's ``width`` or ``height`` in px (Graphviz writes points: ``"62pt"``)."""
    text = (root.get(name) or "").strip()
    number, unit = (text[:-2], PX_PER_PT) if text.endswith("pt") else (text.removesuffix("px"), 1.0)
    try:
        return float(number) * unit
    except ValueError:
        raise ValueError(f"svg: the <svg> element's {name} is {text!r}, not a length in pt or px") from None


def measure(svg: str) -> SvgSize:
    """The width, height and smallest ``font-size`` of an SVG, in CSS px (1 pt = 4/3 px)."""
    return _measured(_root(svg))


def _measured(root: ET.Element) -> SvgSize:
    width, height = _length_px(root, "width"), _length_px(root, "height")
    # A font-size is in the drawing's units: the viewBox maps them onto the element's width
    # (Graphviz: points, 4/3 px each, until the width is set otherwise), and Graphviz's
    # outermost group may scale them again (a graph with a size attribute).
    view_box = (root.get("viewBox") or "").replace(",", " ").split()
    view_width = float(view_box[2]) if len(view_box) == 4 else 0.0
    px_per_unit = width / view_width if view_width else 1.0
    outermost = root.find(f"{{{SVG_NAMESPACE}}}g")
    transform = outermost.get("transform", "") if outermost is not None else ""
    if transform.startswith("scale("):
        px_per_unit *= float(transform[len("scale("):].replace(",", " ").replace(")", " ").split()[0])
    sizes = [float(size) * px_per_unit for element in root.iter() if (size := element.get("font-size"))]
    return SvgSize(width, height, min(sizes) if sizes else None)


def shown_text_px(svg: str, width: float = OUTPUT_WIDTH) -> float | None:
    """The smallest text of ``svg`` on screen when it is scaled to fit an output ``width`` px wide."""
    return _shown_px(measure(svg), width)


def _shown_px(size: SvgSize, width: float = OUTPUT_WIDTH) -> float | None:
    if size.smallest_text is None:
        return None
    return size.smallest_text * min(1.0, width / size.width)


def readable_bundle(svg: str) -> dict[str, str]:
    """The MIME bundle that shows ``svg`` with text of at least READABLE_PX at OUTPUT_WIDTH."""
    root = _root(svg)  # parsed once: measured, then sized
    size = _measured(root)
    smallest = _shown_px(size)
    if smallest is None or smallest >= READABLE_PX:
        return {"image/svg+xml": svg}
    assert size.smallest_text is not None  # a drawing with text
    scale = min(1.0, SCROLL_TEXT_PX / size.smallest_text)
    root.set("width", f"{size.width * scale:.0f}px")  # the viewBox scales the drawing with them
    root.set("height", f"{size.height * scale:.0f}px")
    sized = ET.tostring(root, encoding="unicode")
    # Jupyter's own CSS gives every svg in an output max-width: 100%; the inline style outranks it.
    element = sized.replace("<svg", '<svg style="max-width:none;height:auto"', 1)
    html = ('<div class="tracegrad-graph" style="overflow-x:auto;max-width:100%;padding-bottom:4px">'
            f"{element}</div>")
    return {"text/html": html, "image/svg+xml": sized}


def inline(graph: "graphviz.Digraph") -> "graphviz.Digraph":
    """``graph`` itself, made an InlineDigraph: its notebook display keeps text readable."""
    graph.__class__ = inline_digraph_class()
    return graph


@lru_cache(maxsize=None)
def inline_digraph_class() -> type:
    """The ``graphviz.Digraph`` subclass ``draw`` returns (made on first use: graphviz loads lazily)."""
    from .optional import import_graphviz

    digraph: Any = import_graphviz().Digraph  # graphviz ships no types

    class InlineDigraph(digraph):
        """A ``graphviz.Digraph`` whose Jupyter display scrolls a wide drawing instead of shrinking it.

        Everything but the display (``source``, ``pipe``, ``render``, ``copy``) is graphviz's.
        """

        def _repr_image_svg_xml(self) -> str:
            """The SVG sized so that its text stays readable (as wide as it must be)."""
            return readable_bundle(super()._repr_image_svg_xml())["image/svg+xml"]

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kwargs: Any) -> dict[str, str]:
            """``image/svg+xml`` when the drawing fits readably, else also a sideways-scrolling ``text/html``."""
            if include is None and self._jupyter_mimetype != "image/svg+xml":
                return super()._repr_mimebundle_(include, exclude, **kwargs)  # set_jupyter_format("png")
            wanted = set(include) if include is not None else set(_SHOWN)
            wanted -= set(exclude or ())
            bundle: dict[str, Any] = {}
            if wanted & _SHOWN:
                bundle.update((mimetype, content) for mimetype, content
                              in readable_bundle(super()._repr_image_svg_xml()).items() if mimetype in wanted)
            if wanted - _SHOWN:  # PNG or JPEG asked for by name: graphviz's
                bundle.update(super()._repr_mimebundle_(wanted - _SHOWN, None, **kwargs))
            return bundle

    InlineDigraph.__module__ = __name__
    InlineDigraph.__qualname__ = "InlineDigraph"
    return InlineDigraph


__all__ = ["OUTPUT_WIDTH", "READABLE_PX", "SCROLL_TEXT_PX", "SVG_NAMESPACE", "SvgSize", "inline", "inline_digraph_class",
           "measure", "readable_bundle", "shown_text_px"]
