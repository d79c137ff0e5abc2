"""The chain rule written out: ``explain(loss, wrt=w)`` derives ∂loss/∂w path by path.

∂loss/∂w is the sum, over every path from ``loss`` down to ``w``, of the
product of the local derivatives along the path (each one read from the op
table, as backward reads it). A value used twice opens two paths, which is
why gradients accumulate.

Paths are counted without being listed (one pass over the graph), so a large
graph with millions of paths is explained at once: up to ``max_paths`` are
shown, chosen as those that contribute most, and the rest are summed in one
line so the total still equals the gradient.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from typing import Optional, Union

from ..i18n import Catalogue, language
from ..validation import instance, integer
from ..value import Value
from .snapshot import Snapshot
from .steps import rules_of
from .text import Names, columns, factor, grad_of, number, partial

_catalogue = Catalogue("views")
_ = _catalogue.gettext
ngettext = _catalogue.ngettext


@dataclass(frozen=True)
class PathEdge:
    """One factor of a path: ``consumer`` uses ``source`` as input ``position``."""

    consumer: Value
    source: Value
    position: int
    local_grad: float


@dataclass(frozen=True)
class ChainPath:
    """A path from the loss down to the node, and the product of its local derivatives."""

    edges: tuple[PathEdge, ...]
    product: float


@dataclass(frozen=True)
class ChainRule:
    """∂loss/∂node as a sum over paths; ``paths`` may be fewer than ``path_count``."""

    loss: Value
    node: Value
    paths: tuple[ChainPath, ...]
    path_count: int
    gradient: float  # ∂loss/∂node as backward computes it
    rest: float  # what the paths not shown add up to (0 when all are shown)

    @property
    def shown_sum(self) -> float:
        return math.fsum(path.product for path in self.paths) if self.paths else 0.0


def chain_rule(loss: Union[Value, Snapshot], wrt: Value, max_paths: int = 10) -> ChainRule:
    """The paths from ``loss`` to ``wrt`` with their products (at most ``max_paths`` of them).

    ∂loss/∂wrt = Σ over paths of Π local derivatives along the path.
    ``loss`` may be a ``Snapshot`` of the loss's graph.
    """
    snapshot = Snapshot.of(loss, "loss")
    instance(wrt, "wrt", Value)
    integer(max_paths, "max_paths", minimum=1)
    loss, order = snapshot.root, snapshot.order
    target = id(wrt)
    # Which nodes depend on wrt: only those lie on a path.
    reaches: set[int] = set()
    for node in order:
        if id(node) == target or any(id(x) in reaches for x in node.inputs):
            reaches.add(id(node))
    if target not in reaches:
        return ChainRule(loss, wrt, (), 0, 0.0, 0.0)
    # Paths from the loss to each node, counted (one per use of an input).
    counts: dict[int, int] = {id(loss): 1}
    for node in reversed(order):
        count = counts.get(id(node), 0)
        if count and id(node) != target:
            for node_input in node.inputs:
                if id(node_input) in reaches:
                    counts[id(node_input)] = counts.get(id(node_input), 0) + count
    path_count = counts[target]
    grads: dict[int, float] = {}
    for step in snapshot.steps:
        for contribution in step.contributions:
            grads[id(contribution.input)] = contribution.grad_after
    gradient = 1.0 if wrt is loss else grads[target]
    if path_count <= max_paths:
        paths = _all_paths(loss, wrt, reaches)
        return ChainRule(loss, wrt, paths, path_count, gradient, 0.0)
    paths = _largest_paths(order, loss, wrt, reaches, max_paths)
    shown = math.fsum(path.product for path in paths)
    return ChainRule(loss, wrt, paths, path_count, gradient, gradient - shown)


def _all_paths(loss: Value, wrt: Value, reaches: set[int]) -> tuple[ChainPath, ...]:
    """Every path, depth first, inputs left to right (no recursion, no copying: linear in the paths' length).

    A partial path is a linked list ``(edge, previous)``, so extending one
    costs nothing; each path is written out once, when it reaches ``wrt``.
    """
    found = []
    stack: list[tuple[Value, tuple | None, float]] = [(loss, None, 1.0)]
    while stack:
        node, partial_path, product = stack.pop()
        if node is wrt:
            edges = []
            while partial_path is not None:
                edges.append(partial_path[0])
                partial_path = partial_path[1]
            edges.reverse()
            found.append(ChainPath(tuple(edges), product))
            continue
        branches = [
            (node_input, (PathEdge(node, node_input, position, local_grad), partial_path), product * local_grad)
            for position, (node_input, local_grad) in enumerate(zip(node.inputs, node.local_grads))
            if id(node_input) in reaches
        ]
        stack.extend(reversed(branches))
    return tuple(found)


def _magnitude(x: float) -> float:
    return math.inf if x != x else abs(x)  # nan sorts first: it is what needs seeing


# A partial path from the loss: (product, the edge it ends with, the partial path before that edge).
_Partial = tuple[float, Optional[PathEdge], Optional["_Partial"]]


def _largest_paths(
    order: list[Value], loss: Value, wrt: Value, reaches: set[int], k: int
) -> tuple[ChainPath, ...]:
    """The k paths with the largest |product|, by dynamic programming over the graph.

    Each node keeps the k best partial paths from the loss; since every
    factor's magnitude multiplies in, the best paths to an input extend the
    best paths to its consumers. A partial path is a linked list
    ``(product, edge, previous)`` so nothing is copied.
    """
    candidates: dict[int, list[_Partial]] = {id(loss): [(1.0, None, None)]}
    best: list[_Partial] = []
    for node in reversed(order):
        pending = candidates.pop(id(node), None)
        if not pending:
            continue
        kept = heapq.nlargest(k, pending, key=lambda entry: _magnitude(entry[0]))
        if node is wrt:
            best = kept
            break
        for position, (node_input, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
            if id(node_input) not in reaches:
                continue
            edge = PathEdge(node, node_input, position, local_grad)
            bucket = candidates.setdefault(id(node_input), [])
            bucket.extend((entry[0] * local_grad, edge, entry) for entry in kept)
    paths = []
    for path in best:
        edges: list[PathEdge] = []
        product = path[0]
        entry: _Partial | None = path
        while entry is not None and entry[1] is not None:
            edges.append(entry[1])
            entry = entry[2]
        edges.reverse()
        paths.append(ChainPath(tuple(edges), product))
    return tuple(paths)


def explain(loss: Union[Value, Snapshot], wrt: Value, max_paths: int = 10, *, lang: str | None = None) -> str:
    """The chain-rule derivation of ∂loss/∂wrt: each path's product of local derivatives, summed.

    Every factor is written with names and with numbers; the sum equals the
    gradient that backward computes. Past ``max_paths`` paths, the largest
    contributions are shown and the others are summed in one line.
    ``loss`` may be a ``Snapshot`` of the loss's graph. Written in ``lang``
    (``"en"`` or ``"zh"``; None: the current language).
    """
    with language(lang):
        return _explain(loss, wrt, max_paths)


def _explain(loss: Union[Value, Snapshot], wrt: Value, max_paths: int) -> str:
    snapshot = Snapshot.of(loss, "loss")
    rule = chain_rule(snapshot, wrt, max_paths)
    loss, names = snapshot.root, snapshot.names
    loss_name, node_name = names(loss), names(wrt)
    target = partial(loss_name, node_name)
    values = {"target": target, "loss": loss_name, "node": node_name}
    if wrt is loss:
        return _("{target} = 1: the loss's derivative with respect to itself, "
                 "the initial gradient of backward.").format(**values)
    if rule.path_count == 0:
        return _("{loss} does not depend on {node}: no path leads from one to the other, "
                 "so {target} = 0.").format(**values)
    lines = []
    if rule.path_count == 1:
        lines.append(_("{target} by the chain rule: one path leads from {loss} to {node}; "
                       "multiply the local derivatives along it.").format(**values))
    else:
        lines.append(_("{target} by the chain rule: {count} paths lead from {loss} to {node}; "
                       "multiply the local derivatives along each path, then add the paths up.").format(
            count=f"{rule.path_count:,}", **values))
    if len(rule.paths) < rule.path_count:
        lines.append(_("Showing the {shown} paths that contribute most; the other {rest} are summed at the end.").format(
            shown=len(rule.paths), rest=f"{rule.path_count - len(rule.paths):,}"))
    locals_used: dict[tuple[int, int], tuple[str, PathEdge]] = {}
    all_used: set[tuple[int, int]] = set()
    width = len(str(len(rule.paths)))
    for number_shown, path in enumerate(rule.paths, start=1):
        head = _("path {number}: ").format(number=f"{number_shown:>{width}}")
        edges = path.edges
        chain = [loss_name] + [names(edge.source) for edge in _ends(edges)]
        symbols = [_local_symbol(names, edge) for edge in _ends(edges)]
        factors = [factor(edge.local_grad) for edge in _ends(edges)]
        if len(edges) > 2 * PATH_ENDS:
            # A long path shows its first and last factors; the middle is counted, not written.
            skipped = _("… ({count} more factors) …").format(count=f"{len(edges) - 2 * PATH_ENDS:,}")
            chain.insert(PATH_ENDS + 1, _("… ({count} more nodes) …").format(count=f"{len(edges) - 2 * PATH_ENDS:,}"))
            symbols.insert(PATH_ENDS, skipped)
            factors.insert(PATH_ENDS, skipped)
        numbers = " · ".join(factors)
        indent = " " * (columns(head) + len(target))
        lines.append("")
        lines.append(head + " ← ".join(chain))
        lines.append(f"{' ' * columns(head)}{target} = {' · '.join(symbols)}")
        if len(path.edges) > 1:
            lines.append(f"{indent} = {numbers}")
        lines.append(f"{indent} = {number(path.product)}")
        for edge in edges:
            key = (id(edge.consumer), edge.position)
            all_used.add(key)
            if len(locals_used) < MAX_LOCALS_LISTED and key not in locals_used:
                locals_used[key] = (_local_symbol(names, edge), edge)
    lines.append("")
    terms = [factor(path.product) for path in rule.paths]
    if len(rule.paths) < rule.path_count:
        terms.append(_("{value} (the other {count} paths)").format(
            value=factor(rule.rest), count=f"{rule.path_count - len(rule.paths):,}"))
        total = rule.gradient
    else:
        total = rule.shown_sum
    if len(terms) > 1:
        lines.append(f"{target} = " + " + ".join(terms))
        lines.append(f"{' ' * len(target)} = {number(total)}")
    else:
        lines.append(f"{target} = {number(total)}")
    lines.append(_grad_note(wrt, node_name, rule.gradient))
    lines.append("")
    lines.append(_("Local derivatives used, each from its op's rule:"))
    listed = list(locals_used.values())
    shown = listed if len(listed) <= MAX_LOCALS_LISTED else listed[:MAX_LOCALS_LISTED]
    texts = [f"{symbol} = {number(edge.local_grad)}" for symbol, edge in shown]
    column = max(len(text) for text in texts)
    for text, (symbol, edge) in zip(texts, shown):
        op = edge.consumer.op
        op_name = op.name if op is not None else (getattr(edge.consumer, "_op", "") or "op")
        note = ""
        if edge.consumer.inputs.count(edge.source) > 1:
            note = "  " + _("({input} is both inputs of {node}; the subscript tells which)").format(
                input=names(edge.source), node=names(edge.consumer))
        lines.append(f"  {text:<{column}}   {op_name}: {rules_of(edge.consumer)[edge.position]}{note}")
    if len(all_used) > len(shown):
        lines.append("  " + _("… and {count} more.").format(count=f"{len(all_used) - len(shown):,}"))
    return "\n".join(lines)


MAX_LOCALS_LISTED = 12
PATH_ENDS = 6  # factors shown at each end of a longer path


def _ends(edges: tuple[PathEdge, ...]) -> tuple[PathEdge, ...]:
    """The edges a path's text shows: all of a short path, the first and last PATH_ENDS of a long one."""
    if len(edges) <= 2 * PATH_ENDS:
        return edges
    return edges[:PATH_ENDS] + edges[-PATH_ENDS:]
_SUBSCRIPTS = "₁₂₃₄"


def _local_symbol(names: Names, edge: PathEdge) -> str:
    """∂consumer/∂source, with a subscript when the source is more than one input of the consumer."""
    source_name = names(edge.source)
    if edge.consumer.inputs.count(edge.source) > 1:
        source_name += _SUBSCRIPTS[edge.position]
    return partial(names(edge.consumer), source_name)


def _grad_note(wrt: Value, node_name: str, gradient: float) -> str:
    held = wrt.grad
    grad_name = grad_of(node_name)
    values = {"grad": grad_name, "held": number(held), "gradient": number(gradient)}
    if held == gradient or math.isclose(held, gradient, rel_tol=1e-9, abs_tol=1e-12):
        return _("which is {grad} = {held}, as backward() computed it.").format(**values)
    if held == 0.0:
        return _("backward() gives {gradient}; {grad} holds 0 until backward() is called on the loss.").format(
            **values)
    return _("backward() gives {gradient}; {grad} holds {held} "
             "(a leaf's grad accumulates over backward() calls until it is zeroed).").format(**values)

