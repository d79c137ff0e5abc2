"""The article's picture of a network, beside the scalar graph: neurons as circles in layers.

The views know nothing of ``nn``: the caller says what the picture holds
(``nn.network_picture(model, ...)`` does it for nn's models), as
``NetworkPicture``: the input circles, then each layer's neurons, each with
the nodes it shows for every batch row (its ``z`` and its activation, say)
and the nodes that belong to it (so the step at hand lights up its neuron).
``network_document`` turns it into the stepper document's ``network`` entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ..validation import instance
from ..value import Value
from .snapshot import Snapshot


@dataclass(frozen=True)
class NeuronPicture:
    """One circle: its name, what it shows per row (``{row: [(label, node), ...]}``; row 0 outside a batch)."""

    name: str
    rows: Mapping[int, Sequence[tuple[str, Value]]]
    members: Sequence[Value] = field(default_factory=tuple)  # the nodes computed inside it


@dataclass(frozen=True)
class NetworkPicture:
    """A network as the articles draw it: a column of inputs, then one column per layer."""

    inputs: Sequence[NeuronPicture]
    layers: Sequence[Sequence[NeuronPicture]]


def network_document(picture: NetworkPicture, snapshot: Snapshot) -> dict[str, Any]:
    """The ``network`` entry of the stepper's document: columns of circles, node ids per row, who owns each node."""
    instance(picture, "network", NetworkPicture)
    ids = snapshot.ids
    columns = []
    owner: dict[str, list[int]] = {}
    rows: set[int] = set()
    for column_index, column in enumerate([picture.inputs, *picture.layers]):
        circles = []
        for circle_index, neuron in enumerate(column):
            instance(neuron, "each neuron of the network", NeuronPicture)
            shown: dict[str, list[list[str]]] = {}
            for row, entries in neuron.rows.items():
                kept = [[label, ids[id(node)]] for label, node in entries if id(node) in ids]
                if kept:
                    shown[str(row)] = kept
                    rows.add(row)
                    for _label, node_id in kept:
                        owner[node_id] = [column_index, circle_index, row]
            for node in neuron.members:
                member_id = ids.get(id(node))
                if member_id is not None and member_id not in owner:
                    scope = node.scope
                    owner[member_id] = [column_index, circle_index, scope.row if scope is not None and scope.row else 0]
            circles.append({"name": neuron.name, "rows": shown})
        columns.append(circles)
    return {"columns": columns, "rows": sorted(rows), "owner": owner}
