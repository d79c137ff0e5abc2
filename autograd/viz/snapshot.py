"""One walk of a computation graph, shared by every view of it.

A picture of a graph needs the same facts again and again: the nodes in
topological order, a stable id per node (``n0``, ``n1``, ... in that order,
the same on every run), a readable name per node (its label, else its
formula in its inputs' names, ``w1·x1``; ``[row k]`` for a batch row), who
uses each node, and the steps of backward. A
:class:`Snapshot` walks the graph once and keeps them; the drawing, the
steps, the timeline, ``explain``, the stepper and the HTML page all take one,
so exporting a page walks the graph once, not once per view.

Every public view also takes a plain ``Value`` and makes the snapshot
itself: ``draw(loss)`` and ``draw(Snapshot(loss))`` draw the same picture.
A snapshot records the graph's structure, which never changes once built;
``data`` and ``grad`` are read from the nodes when a view draws them.
"""

from __future__ import annotations

import warnings
from functools import cached_property
from typing import TYPE_CHECKING, Union

from .. import graph
from ..validation import instance
from ..value import Value
from .text import Names

if TYPE_CHECKING:
    from .steps import BackwardStep


class Snapshot:
    """The graph under ``root``, walked once: order, ids, names, consumers, backward steps."""

    def __init__(self, root: Value) -> None:
        instance(root, "root", Value)
        self.root = root
        # Called through the module so a test can count the walks.
        self.order: list[Value] = graph.topological_order(root)
        self.ids: dict[int, str] = {id(node): f"n{index}" for index, node in enumerate(self.order)}
        self.names = Names(self.ids)

    @classmethod
    def of(cls, root: Union[Value, "Snapshot"], argument: str = "root") -> "Snapshot":
        """``root`` itself if it is a Snapshot, else a new snapshot of that Value (TypeError for anything else)."""
        if isinstance(root, Snapshot):
            return root
        instance(root, argument, (Value, Snapshot))
        return cls(root)

    def __len__(self) -> int:
        return len(self.order)

    def __repr__(self) -> str:
        return f"Snapshot({len(self.order)} nodes, root {self.names(self.root)!r})"

    # One accessor per fact: ``ids[id(node)]`` and ``names(node)``. These two
    # said the same again; kept, deprecated, for code written against them.

    def id_of(self, node: Value) -> str:
        """Deprecated: ``snapshot.ids[id(node)]``, the node's stable id."""
        warnings.warn("Snapshot.id_of(node) is deprecated: use snapshot.ids[id(node)]", DeprecationWarning,
                      stacklevel=2)
        return self.ids[id(node)]

    def name(self, node: Value) -> str:
        """Deprecated: ``snapshot.names(node)``, the node's readable name."""
        warnings.warn("Snapshot.name(node) is deprecated: use snapshot.names(node)", DeprecationWarning,
                      stacklevel=2)
        return self.names(node)

    @cached_property
    def consumers(self) -> dict[int, list[Value]]:
        """The nodes that use each node as an input, keyed by ``id(node)``: once per use, in order."""
        found: dict[int, list[Value]] = {}
        for node in self.order:
            for node_input in node.inputs:
                found.setdefault(id(node_input), []).append(node)
        return found

    @cached_property
    def steps(self) -> list["BackwardStep"]:
        """The steps of a fresh ``root.backward()``, numbers only (no texts), computed on first use.

        ``backward_steps(snapshot, lang=...)`` makes them with their texts.
        """
        from .steps import numbers_only_steps  # steps takes snapshots: imported here, not in a circle

        return numbers_only_steps(self)
