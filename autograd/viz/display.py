"""How a ``Value`` shows itself in Jupyter: as the SVG of its graph.

``Value._repr_mimebundle_`` calls :func:`mimebundle`. Without Graphviz's
``dot`` program the Value shows as text, followed by one line saying how to
install Graphviz. Graphs too big to read inline are drawn with their nn
scopes collapsed; failing that, they are summarised in text.
"""

from __future__ import annotations

from collections.abc import Container

from ..value import Value
from .draw import draw
from .optional import GRAPHVIZ_HINT
from .snapshot import Snapshot

INSTALL_HINT = (
    "(Graphviz's `dot` program was not found, so the graph is not drawn: install Graphviz, "
    "e.g. `sudo apt-get install graphviz`, `brew install graphviz` or `conda install graphviz`.)"
)
INLINE_LIMIT = 400  # drawn nodes; a bigger graph is unreadable inline


def mimebundle(value: Value, include: Container[str] | None = None,
               exclude: Container[str] | None = None) -> dict[str, str]:
    """``{"image/svg+xml": ..., "text/plain": repr}``, or text alone when ``dot`` is missing."""
    text = repr(value)
    bundle: dict[str, str] = {"text/plain": text}
    wanted = include is None or "image/svg+xml" in include
    if wanted and not (exclude is not None and "image/svg+xml" in exclude):
        svg, note = _svg(value)
        if svg is not None:
            bundle["image/svg+xml"] = svg
        if note:
            bundle["text/plain"] = f"{text}\n{note}"
    if include is not None:
        bundle = {key: content for key, content in bundle.items() if key in include}
    if exclude is not None:
        bundle = {key: content for key, content in bundle.items() if key not in exclude}
    return bundle


def _svg(value: Value) -> tuple[str | None, str]:
    """The SVG of the value's graph and a note for the text form ('' if none)."""
    try:
        import graphviz
    except ImportError:
        return None, f"(the graphviz Python package is missing: {GRAPHVIZ_HINT})"
    snapshot = Snapshot(value)
    size = len(snapshot.order)
    options: dict[str, object] = {}
    if size > INLINE_LIMIT:
        scoped = {len(node.scope.path) for node in snapshot.order if node.scope is not None}
        if not scoped:
            return None, (f"(a graph of {size:,} nodes is too big to draw inline: use "
                          f"autograd.draw(value) to render it, or autograd.Stepper(value))")
        options = {"collapse": "neurons" if max(scoped) >= 2 else "layers", "hide_constants": True}
    try:
        return draw(snapshot, **options).pipe(format="svg", encoding="utf-8"), ""
    except graphviz.ExecutableNotFound:
        return None, INSTALL_HINT
