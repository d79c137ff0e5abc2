"""The update that follows backward, shown: ``p ← p − lr·grad`` for every parameter, and the new loss.

The parameters are the leaves a caller names, or by default every labelled
leaf that is not a constant and belongs to no batch row (inputs and targets
carry their row, or share their label with the other samples' leaves, so
they are data, not parameters). The loss after the
update is the graph evaluated again with the updated leaves (each op's own
``compute``, along the snapshot's order); the user's graph is not changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from ..i18n import Catalogue
from ..validation import instance, real
from ..value import Value
from .numeric import evaluate_graph
from .snapshot import Snapshot
from .text import Names, factor, number, row_of, shown_label

_catalogue = Catalogue("views")
_ = _catalogue.gettext
ngettext = _catalogue.ngettext
MAX_LISTED = 60  # parameters written out in the update's text; the rest are counted


@dataclass(frozen=True)
class Update:
    """One gradient-descent step: each parameter's value, gradient and new value; the loss before and after."""

    lr: float
    parameters: tuple[Value, ...]
    grads: tuple[float, ...]
    new_values: tuple[float, ...]
    loss_before: float
    loss_after: float
    values_after: dict[int, float]  # every node's value after the update, by id(node)

    def text(self, names: Names) -> str:
        """The update frame's text: one line per parameter, then the loss before and after."""
        lines = [_("The update (gradient descent, lr = {lr}): every parameter p ← p − lr·grad").format(
            lr=number(self.lr))]
        if not self.parameters:
            lines.append("  " + _("(no parameters: label the leaves that learn, or pass parameters=[...])"))
        shown = list(zip(self.parameters, self.grads, self.new_values))[:MAX_LISTED]
        for parameter, grad, new in shown:
            lines.append(f"  {names(parameter)} ← {number(parameter.data)} − {number(self.lr)} × {factor(grad)}"
                         f" = {number(new)}")
        if len(self.parameters) > len(shown):
            more = len(self.parameters) - len(shown)
            lines.append("  " + ngettext("… and {count} more parameter, updated the same way",
                                         "… and {count} more parameters, updated the same way", more).format(count=more))
        change = self.loss_after - self.loss_before
        values = {"before": number(self.loss_before), "after": number(self.loss_after), "change": number(abs(change))}
        if change < 0:
            lines.append(_("Loss before the update: {before}; after: {after} (down by {change}).").format(**values))
        elif change > 0:
            lines.append(_("Loss before the update: {before}; after: {after} (up by {change}).").format(**values))
        else:
            lines.append(_("Loss before the update: {before}; after: {after} (unchanged).").format(**values))
        return "\n".join(lines)


def default_parameters(snapshot: Snapshot) -> list[Value]:
    """The labelled leaves that are not constants, belong to no batch row and whose label no other leaf shares.

    Inputs and targets are data: built once per sample, they carry their
    row (``[row k]``) or share their label with the other samples' leaves
    (every row's ``x1``); a parameter is one leaf with its own name. When
    some parameters were built inside a scope (a neuron's), only those.
    """
    found = [node for node in snapshot.order
             if node.is_leaf and not node.is_constant and shown_label(node) and row_of(node) is None]
    uses: dict[str, int] = {}
    for node in found:
        uses[node.label] = uses.get(node.label, 0) + 1
    own = [node for node in found if uses[node.label] == 1]
    scoped = [node for node in own if node.scope is not None]
    return scoped or own  # weights built in their neuron's scope: the other leaves are inputs


def sgd_update(snapshot: Snapshot, grads: dict[int, float], lr: float,
               parameters: Iterable[Value] | None = None) -> Update:
    """The update ``p ← p − lr·grad`` with the gradients ``grads`` (by ``id``), and the loss after it."""
    rate = real(lr, "lr", low=0.0, low_open=True)
    chosen: Sequence[Value]
    if parameters is None:
        chosen = default_parameters(snapshot)
    else:
        chosen = list(parameters) if not isinstance(parameters, Value) else [parameters]
        for parameter in chosen:
            instance(parameter, "each parameter", Value)
            if id(parameter) not in snapshot.ids:
                raise ValueError(f"parameters: {parameter!r} is not in the loss's graph")
    parameter_grads = tuple(grads.get(id(p), 0.0) for p in chosen)
    new_values = tuple(p.data - rate * grad for p, grad in zip(chosen, parameter_grads))
    values = evaluate_graph(snapshot.order, {id(p): new for p, new in zip(chosen, new_values)})
    root = snapshot.root
    return Update(rate, tuple(chosen), parameter_grads, new_values, root.data, values[id(root)], values)
