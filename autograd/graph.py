"""Walking a computation graph: topological order, backward's walk and pass, edges, stable node ids.

Everything here is deterministic: a node's inputs are kept in order, so the
same program always yields the same order, the same edges and the same ids.
Drawings, steppers and snapshot tests rely on that. No recursion is used, so
graphs of any depth can be walked.

Backward's accumulation, ``input.grad += local_grad * upstream``, is written
once, in :func:`backward_pass`. ``Value.backward`` runs it on the graph's
nodes; the passes that must leave the graph untouched (the steps of the
views, ``nn``'s δ, :func:`gradients`) run it on :class:`GradCell` stand-ins,
so every gradient anywhere is the engine's own arithmetic in the engine's
own order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, NamedTuple, Protocol, Sequence, TypeVar

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


class _Mark(float):
    """0.0 with an identity of its own, where a plain float has none (PyPy)."""

    __slots__ = ()


# backward's visited mark: a 0.0 that is a new object on every call. In
# CPython float(0) is one (no float is cached); a float subclass, a little
# slower to add to, serves where floats are compared by value (PyPy).
_zero_mark = float if float(0) is not float(0) else _Mark


def interior_order(root: "Value") -> list["Value"]:
    """The nodes with inputs that ``root`` depends on, in topological order, grads zeroed.

    backward's own walk: the order is exactly ``topological_order(root)``
    without the leaves (a depth-first post-order, inputs left to right, no
    recursion), so backward's steps are the ones ``topological_order``
    describes. Instead of visited sets it marks nodes in their ``grad``,
    with two 0.0s made for this call and recognised by identity: ``entered``
    (its inputs are being walked) and ``done`` (emitted). Marking thus also
    resets the gradient, as backward must. An earlier call's marks cannot be
    mistaken for these: while a node refers to one, it is alive, so the new
    marks are other objects.

    A node is pushed once to be entered and once more to be emitted, when
    popped while ``entered``. An input is never ``entered`` when its user
    looks at it (that would be a cycle), so ``done`` is the only mark to test
    there; a node popped after it was emitted through another path is skipped.
    """
    if root._a is None:
        return []
    entered = _zero_mark(0)
    done = _zero_mark(0)
    order: list["Value"] = []
    emit = order.append
    stack = [root]
    push, pop = stack.append, stack.pop
    while stack:
        node = pop()
        mark = node.grad
        if mark is entered:  # back at it: all its inputs are done
            node.grad = done
            emit(node)
            continue
        if mark is done:  # reached earlier through another path
            continue
        # Go straight on to the first input still to walk (the other one
        # waits on the stack above the node); emit at once if there is none.
        while True:
            a: Value = node._a  # type: ignore[assignment]  # (an interior node: never None)
            b = node._b
            if b is not None and b._a is not None and b.grad is not done:
                node.grad = entered
                push(node)
                if a._a is not None and a.grad is not done:
                    push(b)
                    node = a
                else:
                    node = b
            elif a._a is not None and a.grad is not done:
                node.grad = entered
                push(node)
                node = a
            else:
                node.grad = done
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


# --- backward's accumulation, in one place ---

class BackwardNode(Protocol):
    """What backward's accumulation reads and writes of a node: its grad, its inputs, their local derivatives.

    A ``Value`` with inputs is one, and so is a :class:`GradCell`. ``_a`` is
    never None in a node given to :func:`backward_pass`; ``_da``/``_db`` are
    None for a node whose backward is its own ``_backward`` (micrograd's way).
    """

    grad: float
    _a: Any
    _b: Any
    _da: Any
    _db: Any


Node = TypeVar("Node", bound=BackwardNode)


def backward_pass(nodes: Iterable[Node]) -> Node | None:
    """Backward's accumulation: ``input.grad += local_grad * node.grad`` for each input of each node, in turn.

    ``nodes`` come last-built first (``reversed(interior_order(root))``), so
    a node's grad is complete when its turn comes. A node whose derivatives
    are None (its backward is its own ``_backward``) stops the pass before
    anything of it is added, and is returned for its caller to run; given an
    iterator, the next call goes on after it. None once every node is done.
    """
    node = None
    try:
        for node in nodes:
            upstream = node.grad
            node._a.grad += node._da * upstream
            b = node._b
            if b is not None:
                b.grad += node._db * upstream
    except TypeError:
        # No test per node in the loop: a None derivative makes the product
        # raise, before anything of that node is added.
        if node is None or node._da is not None:
            raise
        return node
    return None


class GradCell:
    """A node's stand-in in a backward pass on the side: a grad of its own, its inputs' cells, their derivatives.

    :func:`backward_pass` runs on cells exactly as on nodes, so a pass that
    must not touch the graph's grads still does the engine's arithmetic.
    """

    __slots__ = ("grad", "_a", "_b", "_da", "_db")

    def __init__(self, grad: float, a: BackwardNode | None = None, b: BackwardNode | None = None,
                 da: float = 0.0, db: float = 0.0) -> None:
        self.grad = grad
        self._a = a
        self._b = b
        self._da = da
        self._db = db


def grad_cells(order: Sequence["Value"], initial: dict["Value", float] | None = None) -> dict["Value", GradCell]:
    """A cell per node of ``order`` (a topological order), its grad from ``initial`` (else 0.0).

    A cell holds its node's recorded local derivatives; a node with a
    ``_backward`` of its own, its measured ones (``Value.local_grads``).
    """
    cells: dict[Value, GradCell] = {}
    start = initial or {}
    for node in order:
        a = node._a
        if a is None:
            cells[node] = GradCell(start.get(node, 0.0))
            continue
        b = node._b
        if node._da is None:  # its backward is its own function: the derivatives it measures
            local_grads = node.local_grads
            da, db = local_grads[0], (local_grads[1] if b is not None else 0.0)
        else:
            da, db = node._da, node._db or 0.0
        cells[node] = GradCell(start.get(node, 0.0), cells[a], None if b is None else cells[b], da, db)
    return cells


def pass_edge(node_input: BackwardNode, local_grad: float, upstream: float) -> None:
    """One edge of backward, ``node_input.grad += local_grad * upstream``, done by :func:`backward_pass` itself.

    For the passes that watch each edge (the steps, ``detect_anomaly``): the
    edge is a node of one input, so the arithmetic stays backward's own.
    """
    backward_pass((GradCell(upstream, node_input, None, local_grad),))


def gradients(order: Sequence["Value"], gradient: float = 1.0) -> dict["Value", float]:
    """d(root)/d(node) for every node of ``order`` (a topological order ending with the root), by backward's pass.

    The initial gradient is ``gradient``; the pass runs on cells
    (:func:`grad_cells`), so no node's ``grad`` changes, and the numbers are
    bit for bit those ``root.backward(gradient)`` leaves in the nodes.
    """
    if not order:
        return {}
    cells = grad_cells(order, {order[-1]: gradient})
    backward_pass(cells[node] for node in reversed(order) if node._a is not None)
    return {node: cell.grad for node, cell in cells.items()}
