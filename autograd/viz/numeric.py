"""Central-difference checks of a drawn graph's leaf gradients.

The graph is evaluated again from its leaves with each op's own ``compute``
(the op table's single definition), and ``autograd.central_difference`` does
the numerics; gradcheck's tolerance decides pass or fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

from ..gradcheck import ATOL, EPS, RTOL, _scaled_error, central_difference
from ..value import Value
from .snapshot import Snapshot


def evaluate_graph(order: Sequence[Value], overrides: dict[int, float]) -> dict[int, float]:
    """Every node's value, by ``id(node)``, with the leaves in ``overrides`` set to new values.

    The graph is evaluated again along ``order`` with each op's own ``compute``
    (the op table's single definition); no node is changed. A node without an
    op of the table (built the micrograd way) keeps its recorded value.
    """
    values: dict[int, float] = {}
    for node in order:
        key = id(node)
        if key in overrides:
            values[key] = overrides[key]
        elif node.is_leaf or node.op is None:
            values[key] = node.data
        else:
            values[key] = node.op.compute(*(values[id(x)] for x in node.inputs))[0]
    return values


@dataclass(frozen=True)
class LeafCheck:
    """A leaf's gradient next to the central difference of the root along it."""

    analytic: float
    numeric: float
    ok: bool


def check_leaf_grads(
    root: Union[Value, Snapshot], leaves: Sequence[Value], analytic: dict[int, float]
) -> dict[int, LeafCheck]:
    """For each leaf, its gradient ``analytic[id(leaf)]`` checked by central differences."""
    snapshot = Snapshot.of(root)
    order, root = snapshot.order, snapshot.root
    point = [leaf.data for leaf in leaves]

    def evaluate(*inputs: Value) -> Value:
        overrides = {id(leaf): inputs[index].data for leaf, index in zip(leaves, range(len(leaves)))}
        return Value(evaluate_graph(order, overrides)[id(root)])

    checks = {}
    for index, leaf in enumerate(leaves):
        numeric = central_difference(evaluate, point, index, EPS)
        grad = analytic[id(leaf)]
        checks[id(leaf)] = LeafCheck(grad, numeric, _scaled_error(grad, numeric, ATOL, RTOL) <= 1.0)
    return checks
