"""A model as the articles draw it, for the stepper's network view (``html_page(loss, network=...)``).

``network_picture(model, loss, inputs=("temperature", "weekday"))`` finds,
in the graph of ``loss``, every neuron's weighted sum ``z`` and activation
(``h1``, ``h2`` hidden, ``ŷ`` or the chosen table's output name at the output) for every batch row, and the input leaves by
their labels; the views draw circles in layers from it and light up the
neuron whose node the stepper is at.
"""

from __future__ import annotations

from typing import Sequence

from autograd import NetworkPicture, NeuronPicture, Value, topological_order

from .names import is_hidden_label, known
from .layers import Layer, Neuron
from .module import Module


def _row(node: Value) -> int:
    row = getattr(node, "row", None)
    return row if isinstance(row, int) and not isinstance(row, bool) else 0


def network_picture(model: Module, loss: Value, inputs: Sequence[str] = ()) -> NetworkPicture:
    """The neurons of ``model`` in layers, each with its ``z`` and activation per row of ``loss``'s graph.

    ``inputs`` are the labels of the input leaves (one circle each); the
    model's layers are its ``Layer`` modules in order.
    """
    if not isinstance(model, Module):
        raise TypeError(f"model must be an nn Module, got {type(model).__name__}")
    order = topological_order(loss)
    layers = [module for _name, module in model.named_modules() if isinstance(module, Layer)]
    if not layers:
        raise ValueError(f"{type(model).__name__} holds no Layer to draw as a network")
    by_path: dict[tuple[str, ...], tuple[int, int]] = {}
    for layer_index, layer in enumerate(layers):
        for neuron_index, neuron in enumerate(layer.neurons):
            assert isinstance(neuron, Neuron)
            by_path[tuple(neuron.name.split("."))] = (layer_index, neuron_index)
    shown_names = known("weighted_sum") | known("output")
    shown: dict[tuple[int, int], dict[int, list[tuple[str, Value]]]] = {}
    members: dict[tuple[int, int], list[Value]] = {}
    input_rows: dict[str, dict[int, list[tuple[str, Value]]]] = {name: {} for name in inputs}
    for node in order:
        if node.is_leaf:
            if node.label in input_rows:
                input_rows[node.label].setdefault(_row(node), []).append((node.label, node))
            continue
        path = node.scope.path if node.scope is not None else ()
        for length in range(len(path), 0, -1):  # the neuron's path is a suffix of the node's
            where = by_path.get(path[len(path) - length:])
            if where is not None:
                members.setdefault(where, []).append(node)
                if node.label in shown_names or is_hidden_label(node.label):
                    shown.setdefault(where, {}).setdefault(_row(node), []).append((node.label, node))
                break
    pictured = [
        [NeuronPicture(neuron.name, shown.get((layer_index, neuron_index), {}),
                       tuple(members.get((layer_index, neuron_index), ())))
         for neuron_index, neuron in enumerate(layer.neurons)]
        for layer_index, layer in enumerate(layers)
    ]
    return NetworkPicture([NeuronPicture(name, input_rows[name]) for name in inputs], pictured)
