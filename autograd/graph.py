"""Walking a computation graph: topological order, edges, stable node ids.

Everything here is deterministic: a node's inputs are kept in order, so the
same program always yields the same order, the same edges and the same ids.
Drawings, steppers and snapshot tests rely on that. No recursion is used, so
graphs of any depth can be walked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from .value import Value


def topological_order(root: "Value") -> list["Value"]:
    """Every node that ``root`` depends on, inputs before the nodes built from them.

    The order is the depth-first post-order that visits inputs left to
    right (what a recursive walk gives), so it ends with ``root``; backward
    walks it in reverse. An explicit stack replaces the recursion: a node is
    pushed once to be entered and once more to be emitted, when popped while
    ``entered``; a node popped after it was emitted through another path is
    skipped. An input is never found ``entered`` by its user: that would be
    a cycle.
    """
    order: list[Value] = []
    entered: set[Value] = set()  # hashing by identity is C-fast
    done: set[Value] = set()
    emit, enter, finish = order.append, entered.add, done.add
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        if node in done:
            continue
        if node in entered:  # back at it: all its inputs are done
            finish(node)
            emit(node)
            continue
        # Go straight on to the first input still to walk (the other one
        # waits on the stack above the node); emit at once if there is none.
        while True:
            a = node._a
            if a is None:  # a leaf
                finish(node)
                emit(node)
                break
            b = node._b
            if b is not None and b not in done:
                enter(node)
                push(node)
                if a not in done:
                    push(b)
                    node = a
                else:
                    node = b
            elif a not in done:
                enter(node)
                push(node)
                node = a
            else:
                finish(node)
                emit(node)
                break
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
