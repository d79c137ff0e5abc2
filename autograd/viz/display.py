"""How a ``Value`` shows itself in Jupyter: as the SVG of its graph, within a budget.

``Value._repr_mimebundle_`` calls :func:`mimebundle`. Displaying never
blocks for long:

* up to ``INLINE_LIMIT`` nodes (400), the whole graph is drawn;
* a bigger graph built in scopes of named kinds (``autograd.scope(name, kind)``;
  nn's neurons and layers) is drawn with the deepest kind that fits folded and
  constants hidden, when that leaves at most ``INLINE_LIMIT`` boxes; up to
  ``SUMMARY_ABOVE`` nodes are looked at for it;
* a drawing whose text would shrink below ``inline.READABLE_PX`` at a
  960-px output is folded further (the next kind outwards) while the graph
  has scopes to fold; what is still too wide scrolls sideways at a readable
  size (``text/html``, see ``autograd.viz.inline``), never shrinks;
* anything else shows as a text summary (node count, ops, parameters, and how
  to draw more), computed in one pass over the graph;
* ``dot`` runs with a time limit (``DISPLAY_TIMEOUT`` seconds); missing,
  broken or too slow, the Value shows as text followed by one line saying so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Container

from ..i18n import N_, Catalogue
from ..value import Value
from .dot import INSTALL, DotFailed, render_svg
from .draw import DrawOptions, draw, scope_kinds
from .inline import READABLE_PX, readable_bundle, shown_text_px
from .optional import GRAPHVIZ_HINT
from .snapshot import Snapshot

_ = Catalogue("views").gettext
# Marked here, translated where shown.
INSTALL_HINT = N_(
    "(Graphviz's `dot` program was not found, so the graph is not drawn: install Graphviz, "
    "e.g. `sudo apt-get install graphviz`, `brew install graphviz` or `conda install graphviz`.)"
)
INLINE_LIMIT = 400  # drawn boxes (values, ops, collapsed groups); a bigger drawing is unreadable inline
SUMMARY_ABOVE = 20_000  # nodes: past this, a text summary without trying to collapse anything
DISPLAY_TIMEOUT = 10.0  # seconds dot may take for the inline drawing
FOLD_GAIN = 1.1  # a further fold hides more, so it must make the text this much larger to be chosen


def mimebundle(value: Value, include: Container[str] | None = None,
               exclude: Container[str] | None = None) -> dict[str, str]:
    """``{"image/svg+xml": ..., "text/plain": repr}`` (and ``text/html`` that scrolls a wide graph), or text alone.

    Text alone when ``dot`` cannot draw it in time.
    """
    text = repr(value)
    bundle: dict[str, str] = {"text/plain": text}
    shown = {"image/svg+xml", "text/html"}
    wanted = shown if include is None else {mimetype for mimetype in shown if mimetype in include}
    if exclude is not None:
        wanted = {mimetype for mimetype in wanted if mimetype not in exclude}
    if wanted:
        svg, note = _svg(value)
        if svg is not None:
            bundle.update(readable_bundle(svg))
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
        import graphviz  # noqa: F401  (only to say clearly when the Python package is missing)
    except ImportError:
        return None, _("(the graphviz Python package is missing: {hint})").format(hint=GRAPHVIZ_HINT)
    snapshot = Snapshot(value)
    size = len(snapshot.order)
    if size > INLINE_LIMIT:
        collapse = _collapse_within_budget(snapshot) if size <= SUMMARY_ABOVE else None
        if collapse is None:
            return None, summary(snapshot)
        kinds = _scoped_folds(snapshot)
        folds: list[str | None] = list(kinds[kinds.index(collapse):])
    else:
        folds = [None, *_scoped_folds(snapshot)]
    # The least folded drawing that is readable at a notebook's width; failing that, the one with
    # the largest text there (it scrolls least), a further fold counting only if it gains FOLD_GAIN.
    best: tuple[str, float] | None = None
    for fold in folds:
        options: DrawOptions = {} if fold is None else {"collapse": fold, "hide_constants": True}
        try:
            svg = render_svg(draw(snapshot, **options), timeout=DISPLAY_TIMEOUT)
        except DotFailed as error:
            if best is not None:
                break  # a fold that failed: the drawing before it scrolls
            if error.reason == "missing":
                return None, _(INSTALL_HINT)
            return None, f"({error})"
        text_px = shown_text_px(svg)
        if text_px is None or text_px >= READABLE_PX:
            return svg, ""
        if best is None or text_px > best[1] * FOLD_GAIN:
            best = (svg, text_px)
    assert best is not None  # folds is never empty
    return best[0], ""


def _scoped_folds(snapshot: Snapshot) -> list[str]:
    """The kinds of scope the graph can fold by, least folded (deepest) first: ``["neuron", "layer"]``, or fewer."""
    kinds = scope_kinds(snapshot.order)
    return sorted(kinds, key=lambda kind: -kinds[kind])


def _collapse_within_budget(snapshot: Snapshot) -> str | None:
    """The deepest kind of scope whose folding leaves at most INLINE_LIMIT boxes, else None."""
    kinds = scope_kinds(snapshot.order)
    scopes = [node.scope for node in snapshot.order]
    for kind in sorted(kinds, key=lambda kind: -kinds[kind]):
        depth = kinds[kind]
        groups = {s.path[:depth] for s in scopes if s is not None and len(s.kinds) >= depth and s.kinds[depth - 1] == kind}
        # Nodes outside every group are drawn one by one (constants hidden); an op node adds one box.
        loose = sum((1 if node.is_leaf else 2) for node, s in zip(snapshot.order, scopes)
                    if not (s is not None and len(s.kinds) >= depth and s.kinds[depth - 1] == kind)
                    and not node.is_constant)
        if groups and len(groups) + loose <= INLINE_LIMIT:
            return kind
    return None


def summary(snapshot: Snapshot) -> str:
    """A few lines about a graph too big to draw inline, and how to draw or step through it."""
    order = snapshot.order
    ops = Counter(node.op.name if node.op is not None else (getattr(node, "_op", "") or "op")
                  for node in order if not node.is_leaf)
    leaves = sum(1 for node in order if node.is_leaf)
    constants = sum(1 for node in order if node.is_constant)
    labelled = sum(1 for node in order if node.is_leaf and not node.is_constant and node.label)
    common = ", ".join(f"{count:,} {name}" for name, count in ops.most_common(5))
    if len(ops) > 5:
        other = sum(ops.values()) - sum(c for _name, c in ops.most_common(5))
        common = _("{ops}, {count} other").format(ops=common, count=f"{other:,}")
    return _(
        "(a graph of {nodes} nodes, too big to draw inline (the budget is {budget} boxes): "
        "{op_count} ops ({ops}), {leaves} leaves ({labelled} labelled, {constants} constants). "
        "To see it: {draw} draws it in a file (built in nn's scopes, it folds to a few boxes); "
        "{explain} derives one gradient; {stepper} steps through it node by node.)"
    ).format(
        nodes=f"{len(order):,}", budget=INLINE_LIMIT, op_count=f"{sum(ops.values()):,}", ops=common,
        leaves=f"{leaves:,}", labelled=f"{labelled:,}", constants=f"{constants:,}",
        draw=_draw_hint(snapshot),
        explain="autograd.explain(value, wrt=parameter)", stepper="autograd.Stepper(value)",
    )


def _draw_hint(snapshot: Snapshot) -> str:
    """The call that draws the graph into a file, folding its outermost kind of scope if it has one."""
    kinds = scope_kinds(snapshot.order)
    folds = f'collapse="{min(kinds, key=lambda kind: kinds[kind])}s", ' if kinds else ""
    return f'autograd.draw(value, {folds}hide_constants=True).render("graph", format="svg")'


__all__ = ["INSTALL", "INSTALL_HINT", "mimebundle", "summary"]
