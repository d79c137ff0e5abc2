"""The error term δ of every neuron: δ = ∂L/∂z, read off the scalar graph.

Backpropagation in the articles' layer form computes, for the output layer
and then layer by layer towards the input::

    δ(out) = ∂L/∂ŷ ⊙ f′(z(out))
    δˡ     = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ)
    ∂L/∂wˡ_jk = δˡ_j aˡ⁻¹_k,   ∂L/∂bˡ_j = δˡ_j

The scalar engine never forms these vectors: it passes gradients node by
node. ``deltas(loss, model)`` reads δ from that node-by-node pass: each
neuron labels its weighted sum ``z`` (a linear output neuron's ``z`` is the
prediction ``ŷ``), and δ is the gradient that reaches that node. The pass is
run here on the side (the same loop, the same order and the same floats as
``loss.backward()``), so calling it changes no ``.grad``.

In a batch the loss spans rows and each neuron has one ``z`` per row:
``deltas(loss, model, row=k)`` gives row k's δ, ``deltas(loss, model)`` their
sum over the rows (equal, up to rounding, to the gradient of the neuron's
bias), and ``deltas_by_row`` all of them.
"""

from __future__ import annotations

from autograd import Value, topological_order
from autograd import graph
from autograd.validation import instance, integer

from .names import known
from .layers import Neuron
from .module import Module

__all__ = ["deltas", "deltas_by_row", "node_gradients", "weighted_sums"]


def node_gradients(loss: Value) -> dict[Value, float]:
    """d(loss)/d(node) for every node of ``loss``'s graph, by backward's own pass (``autograd.graph.gradients``).

    The initial gradient is 1.0; nothing is stored in the nodes' ``grad``.
    """
    return graph.gradients(topological_order(loss))


def _weighted_sums(loss: Value, model: Module) -> dict[str, list[Value]]:
    """Each neuron's ``z`` nodes in the graph of ``loss``, by the neuron's dotted name, rows in order."""
    neurons = [(name, module) for name, module in model.named_modules() if isinstance(module, Neuron)]
    if not neurons:
        raise ValueError(f"{type(model).__name__} holds no Neuron, so there is no δ to read")
    by_path: dict[tuple[str, ...], str] = {}
    labels: dict[str, tuple[str, ...]] = {}
    for name, neuron in neurons:
        full = neuron.name  # the name its nodes are scoped by (relative to the model it was built in)
        by_path[tuple(full.split(".")) if full else ()] = name
        labels[name] = tuple(known("weighted_sum") | known("output") if neuron.activation == "linear"
                             else known("weighted_sum"))
    found: dict[str, list[Value]] = {name: [] for name, _ in neurons}
    for node in topological_order(loss):
        if node.is_leaf:
            continue
        path = node.scope.path if node.scope is not None else ()
        for length in range(len(path), -1, -1):  # the neuron's path is a suffix of the node's
            neuron_name = by_path.get(path[len(path) - length:])
            if neuron_name is not None:
                if node.label in labels[neuron_name]:
                    found[neuron_name].append(node)
                break
    missing = [name for name, nodes in found.items() if not nodes]
    if missing:
        raise ValueError(
            f"the loss's graph holds no weighted sum z of neuron {missing[0]!r}: "
            "was it built by this model (model(x) or model.forward_batch)?"
        )
    for nodes in found.values():
        nodes.sort(key=lambda node: _row(node) or 0)
    return found


def weighted_sums(loss: Value, model: Module) -> list[Value]:
    """Every neuron's weighted sum ``z`` in the graph of ``loss``: the nodes whose gradient is δ.

    For a drawing's δ badges: ``draw(loss, deltas=nn.weighted_sums(loss, model))``.
    """
    instance(loss, "loss", Value)
    instance(model, "model", Module)
    return [node for nodes in _weighted_sums(loss, model).values() for node in nodes]


def _row(node: Value) -> int | None:
    return getattr(node, "row", None)


def deltas_by_row(loss: Value, model: Module) -> dict[int | None, dict[str, float]]:
    """δ = ∂L/∂z of every neuron, for each row of the batch (key None: a graph without rows).

    A graph holding one neuron's ``z`` twice in the same row (e.g. samples
    passed one by one through ``model(x)``, which tags no rows) is refused:
    its rows cannot be told apart; ``deltas`` still sums them.
    """
    instance(loss, "loss", Value)
    instance(model, "model", Module)
    gradients = node_gradients(loss)
    table: dict[int | None, dict[str, float]] = {}
    for name, nodes in _weighted_sums(loss, model).items():
        for node in nodes:
            row = _row(node)
            values = table.setdefault(row, {})
            if name in values:
                raise ValueError(
                    f"neuron {name!r} has several weighted sums z in row {row}; build the batch "
                    "with model.forward_batch so each sample's nodes carry its row"
                )
            values[name] = gradients[node]
    return dict(sorted(table.items(), key=lambda item: item[0] or 0))


def deltas(loss: Value, model: Module, row: int | None = None) -> dict[str, float]:
    """δ = ∂L/∂z per neuron, keyed by its name (``"L1.N2"``), from a backward pass.

    ``row=k`` gives row k's δ of a batch loss; None sums each neuron's δ over
    all its weighted sums, rows in order (for one sample, its one δ). No
    ``.grad`` is changed.
    """
    instance(loss, "loss", Value)
    instance(model, "model", Module)
    if row is not None:
        integer(row, "row", minimum=1)
        by_row = deltas_by_row(loss, model)
        if row not in by_row:
            rows = [k for k in by_row if k is not None]
            raise ValueError(f"row must be one of the loss's rows {rows}, got {row}")
        return by_row[row]
    gradients = node_gradients(loss)
    summed: dict[str, float] = {}
    for name, nodes in _weighted_sums(loss, model).items():
        total = 0.0
        for node in nodes:
            total += gradients[node]
        summed[name] = total
    return summed
