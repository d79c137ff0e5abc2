"""Walking a computation graph: topological order, edges, stable node ids.

Everything here is deterministic: a node's inputs are kept in order, so the
same program always yields the same order, the same edges and the same ids.
Drawings, steppers and snapshot tests rely on that. No recursion is used, so
graphs of any depth can be walked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator, NamedTuple

if TYPE_CHECKING:
    from .value import Value

def topological_order(root: "Value") -> list["Value"]:
    """Every node that ``root`` depends on, inputs before the nodes built from them.

    The order is a depth-first post-order that visits inputs left to right,
    so it ends with ``root``; backward walks it in reverse.
    """
    order: list[Value] = []
    expanded: set[Value] = set()  # inputs pushed; hashing by identity is C-fast
    finished: set[Value] = set()
    stack = [root]
    push, pop, emit = stack.append, stack.pop, order.append
    expand, finish = expanded.add, finished.add
    while stack:
        node = stack[-1]
        if node in expanded:
            # Back on top: every input is finished (or was already).
            pop()
            if node not in finished:
                finish(node)
                emit(node)
            continue
        expand(node)
        # Pushed right to left, so the left input's subgraph comes first.
        b = node._b
        if b is not None and b not in expanded:
            push(b)
        a = node._a
        if a is not None and a not in expanded:
            push(a)
    return order


class Edge(NamedTuple):
    """One use of ``source`` as input number ``position`` of ``target``."""

    source: "Value"
    target: "Value"
    position: int
    local_grad: float


def edges(root: "Value") -> list[Edge]:
    """Every input edge of the graph, one per use: ``a + a`` has two."""
    found: list[Edge] = []
    for node in topological_order(root):
        for position, (source, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
            found.append(Edge(source, node, position, local_grad))
    return found


def node_ids(root: "Value") -> dict[int, str]:
    """A stable id (``n0``, ``n1``, ...) per node, keyed by ``id(node)``.

    Ids follow the topological order, so the same program gives the same ids
    on every run, whatever the memory addresses.
    """
    return {id(node): f"n{index}" for index, node in enumerate(topological_order(root))}


def iter_leaves(root: "Value") -> Iterator["Value"]:
    """The leaves of the graph (nodes with no inputs), in topological order."""
    return (node for node in topological_order(root) if node._a is None)
