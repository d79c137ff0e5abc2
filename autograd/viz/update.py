"""The update that follows backward, shown: ``p ← p − lr·grad`` for the parameters, and the new loss.

Gradient descent changes parameters only, never data. The parameters are
the leaves a caller names (``params=[...]``; nn's callers pass the model's
parameters), or by default every labelled leaf that is not a constant and
belongs to no batch row (inputs and targets carry their row, or share their
label with the other samples' leaves, so they are data, not parameters). A
constant or a leaf of a batch row is never updated, even when named. The
update's text lists exactly the leaves updated and says how many of the
other candidates keep their values. The loss after the update is the graph
evaluated again with the updated leaves (each op's own ``compute``, along
the snapshot's order); the user's graph is not changed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Iterable, Sequence, TypeVar

from ..i18n import Catalogue, current
from ..validation import instance, real
from ..value import Value
from .numeric import evaluate_graph
from .snapshot import Snapshot
from .text import Names, factor, number, row_of, shown_label

_catalogue = Catalogue("views")
_ = _catalogue.gettext
ngettext = _catalogue.ngettext
MAX_LISTED = 60  # parameters written out in the update's text; the rest are counted
MAX_NAMED = 8  # names written in the update's summary line; beyond, only counted


@dataclass(frozen=True)
class Update:
    """One gradient-descent step: each parameter's value, gradient and new value; the loss before and after.

    ``unchanged`` are the other candidates (``default_parameters``) that keep
    their values; ``unchanged_are_parameters`` says whether they are a model's
    parameters (built in a neuron's scope) or just the graph's other labelled leaves.
    """

    lr: float
    parameters: tuple[Value, ...]
    grads: tuple[float, ...]
    new_values: tuple[float, ...]
    loss_before: float
    loss_after: float
    values_after: dict[int, float]  # every node's value after the update, by id(node)
    unchanged: tuple[Value, ...] = ()
    unchanged_are_parameters: bool = True

    @property
    def params(self) -> tuple[Value, ...]:
        """The leaves this update changes (the same as ``parameters``)."""
        return self.parameters

    def text(self, names: Names) -> str:
        """The update frame's text: which leaves change and how many keep their values, one line per parameter, the loss."""
        lines = [_("The update (gradient descent, lr = {lr}): p ← p − lr·grad").format(lr=number(self.lr))]
        lines.append(self.summary(names))
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

    def summary(self, names: Names) -> str:
        """One line: exactly which leaves the update changes, and how many others keep their values."""
        if not self.parameters:
            return "  " + _("(no parameters: label the leaves that learn, or pass params=[...])")
        count = len(self.unchanged)
        updated = _listed([names(p) for p in self.parameters])
        if not count:
            total = len(self.parameters)
            if total == 1:
                return "  " + _("updated: {names}, the one parameter").format(names=updated)
            return "  " + _("updated: all {count} parameters").format(count=total)
        if self.unchanged_are_parameters:
            return "  " + ngettext(
                "updated: {names} only (the other {count} parameter keeps its value)",
                "updated: {names} only (the other {count} parameters keep their values)", count).format(
                names=updated, count=count)
        return "  " + ngettext(
            "updated: {names} only (the other {count} leaf keeps its value: {others})",
            "updated: {names} only (the other {count} leaves keep their values: {others})", count).format(
            names=updated, count=count, others=_listed([names(leaf) for leaf in self.unchanged]))


def _listed(words: Sequence[str]) -> str:
    """Names joined as the language lists them (``w, b``; ``w、b``), at most MAX_NAMED, then ``…``."""
    separator = "、" if current() == "zh" else ", "
    shown = separator.join(words[:MAX_NAMED])
    return shown + (separator + "…" if len(words) > MAX_NAMED else "")


def _candidates(snapshot: Snapshot) -> tuple[list[Value], bool]:
    """``default_parameters`` and whether they are scoped (a model's parameters) rather than any labelled leaves."""
    found = [node for node in snapshot.order
             if node.is_leaf and not node.is_constant and shown_label(node) and row_of(node) is None]
    uses: dict[str, int] = {}
    for node in found:
        uses[node.label] = uses.get(node.label, 0) + 1
    own = [node for node in found if uses[node.label] == 1]
    scoped = [node for node in own if node.scope is not None]
    if scoped:  # weights built in their neuron's scope: the other leaves are inputs
        return scoped, True
    # With data in the graph (a row's leaves, labels every sample shares) the rest are a model's
    # parameters; a bare expression's leaves could be either, so they are called leaves.
    data_seen = len(own) < len(found) or any(
        node.is_leaf and not node.is_constant and row_of(node) is not None for node in snapshot.order)
    return own, data_seen


def default_parameters(snapshot: Snapshot) -> list[Value]:
    """The labelled leaves that are not constants, belong to no batch row and whose label no other leaf shares.

    Inputs and targets are data: built once per sample, they carry their
    row (``[row k]``) or share their label with the other samples' leaves
    (every row's ``x1``); a parameter is one leaf with its own name. When
    some parameters were built inside a scope (a neuron's), only those.
    """
    return _candidates(snapshot)[0]


# What a view takes as params: the leaves (or one leaf), as its caller typed them.
Params = TypeVar("Params", bound="Iterable[Value] | Value")


def chosen_params(params: Params | None, parameters: Params | None, caller: str) -> Params | None:
    """``params``, or the deprecated ``parameters=`` spelling of it (with a DeprecationWarning); both is a TypeError."""
    if parameters is None:
        return params
    if params is not None:
        raise TypeError(f"{caller}: give params= only (parameters= is its old name), not both")
    warnings.warn(f"{caller}: parameters= is renamed params=", DeprecationWarning, stacklevel=3)
    return parameters


def check_params(snapshot: Snapshot, params: Iterable[Value] | Value) -> list[Value]:
    """The leaves named by ``params``, checked: each a leaf of the graph, not a constant, of no batch row, once."""
    chosen = [params] if isinstance(params, Value) else list(params)
    seen: set[int] = set()
    for parameter in chosen:
        instance(parameter, "each of params", Value)
        name = snapshot.names(parameter) if id(parameter) in snapshot.ids else repr(parameter)
        if id(parameter) not in snapshot.ids:
            raise ValueError(f"params: {name} is not in the loss's graph")
        if parameter.is_constant:
            raise ValueError(f"params: {name} is a constant; constants are never updated")
        if not parameter.is_leaf:
            raise ValueError(f"params: {name} is computed from other nodes; only leaves are updated")
        if row_of(parameter) is not None:
            raise ValueError(f"params: {name} belongs to batch row {row_of(parameter)}: it is data, never updated")
        if id(parameter) in seen:
            raise ValueError(f"params: {name} is given twice")
        seen.add(id(parameter))
    return chosen


def sgd_update(snapshot: Snapshot, grads: dict[int, float], lr: float,
               params: Iterable[Value] | Value | None = None) -> Update:
    """The update ``p ← p − lr·grad`` of ``params`` (default: ``default_parameters``), and the loss after it."""
    rate = real(lr, "lr", low=0.0, low_open=True)
    candidates, scoped = _candidates(snapshot)
    chosen: Sequence[Value] = candidates if params is None else check_params(snapshot, params)
    updated = {id(p) for p in chosen}
    unchanged = tuple(node for node in candidates if id(node) not in updated)
    parameter_grads = tuple(grads.get(id(p), 0.0) for p in chosen)
    new_values = tuple(p.data - rate * grad for p, grad in zip(chosen, parameter_grads))
    values = evaluate_graph(snapshot.order, {id(p): new for p, new in zip(chosen, new_values)})
    root = snapshot.root
    return Update(rate, tuple(chosen), parameter_grads, new_values, root.data, values[id(root)], values,
                  unchanged, scoped)
