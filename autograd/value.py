"""``Value``: one scalar node of a computation graph.

A Value holds its float ``data``, its ``grad``, up to two inputs, the op that
made it and the local derivative with respect to each input, computed when
the node is built. Backward is then a plain loop over the graph in reverse
topological order: ``input.grad += local_grad * node.grad``.

There are no closures per node and no reference cycles (a node points only to
its inputs), so the garbage collector never has to untangle a graph, and
``__slots__`` keeps a node small.

The methods of the ops (``__add__``, ``__mul__``, ``tanh``, ...) come from
``autograd/_generated.py``, generated from the op table (``autograd.ops``)
with the arithmetic written inline, and are copied into the class from its
``OpMethods``; ``inspect.getsource(Value.__mul__)`` shows the code of one.
"""

from __future__ import annotations

import math
import types
from typing import TYPE_CHECKING, Union

from . import _generated, ops
from ._generated import OpMethods
from .modes import STATE, Scope
from .ops import Op
from .validation import instance, is_real, real

Number = Union[int, float]
Operand = Union["Value", int, float]

_new_node = object.__new__

if TYPE_CHECKING:  # type checkers see the generated methods as inherited...
    _GeneratedMethods = OpMethods
else:  # ...but they are copied in (below the class): a node has no base class to walk
    _GeneratedMethods = object


class _ConstantMarker:
    """Stored as the op of a leaf made from a plain number (``x + 2``'s 2)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "CONSTANT"


CONSTANT = _ConstantMarker()


def _to_float(x: object, what: str) -> float:
    """``x`` as a float, inf and nan too: TypeError for a non-number or bool, ValueError past the range."""
    kind = type(x)
    if kind is float:
        return x  # type: ignore[return-value]
    if kind is int:
        try:
            return float(x)  # type: ignore[arg-type]
        except OverflowError:
            pass  # real() says so, naming ``what``
    return real(x, what, finite=False, nan=True)


def _operand(x: object, op_symbol: str) -> "Value | None":
    """A plain number as a constant leaf; None if ``x`` is not a number at all."""
    kind = type(x)
    if kind is float:
        return _constant(x)  # type: ignore[arg-type]
    if isinstance(x, Value):  # (a subclass of Value)
        return x
    if kind is int or is_real(x):
        return _constant(_to_float(x, f"operand of {op_symbol!r}"))
    if isinstance(x, bool) or type(x).__name__ == "bool_":
        raise TypeError(f"unsupported operand for {op_symbol!r}: bool ({x!r}); use 1.0 or 0.0")
    return None


def _constant(data: float) -> "Value":
    """The leaf made from a plain number (``x + 2``'s 2), marked as a constant."""
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    node._a = node._b = None
    node._da = node._db = 0.0
    node._operation = CONSTANT
    node._tag = STATE.scope
    return node


def _record(data: float, a: "Value", b: "Value | None", da: float, db: float, op: Op) -> "Value":
    """Build the node ``op(a, b) = data`` with its local derivatives (the general path)."""
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    if STATE.anomaly and not math.isfinite(data):
        _raise_anomaly(data, a, b, op)
    if STATE.grad_enabled:
        node._a, node._b, node._da, node._db, node._operation = a, b, da, db, op
    else:  # no_grad: a plain leaf, no edges
        node._a, node._b, node._da, node._db, node._operation = None, None, 0.0, 0.0, None
    node._tag = STATE.scope
    return node


def _raise_anomaly(data: float, a: "Value", b: "Value | None", op: Op) -> None:
    inputs = [a] if b is None else [a, b]
    described = ", ".join(
        f"{value.data!r}" + (f" ({value.label})" if value.label else "") for value in inputs
    )
    raise FloatingPointError(
        f"op {op.name!r} ({op.write(*('a', 'b')[:len(inputs)])}) produced {data!r} "
        f"from input(s) {described}"
    )


def _binary(a: object, b: object, op: Op) -> "Value":
    """The node ``op(a, b)`` through ``op.compute``; numbers become constant leaves.

    The generated methods inline this for the table's ops; here go
    ``Value ** Value`` and ops made from a compute function.
    """
    if not isinstance(a, Value):
        a = _operand(a, op.symbol)
        if a is None:
            return NotImplemented
    if not isinstance(b, Value):
        b = _operand(b, op.symbol)
        if b is None:
            return NotImplemented
    data, da, db = op.compute(a.data, b.data)
    return _record(data, a, b, da, db, op)


def _unary(a: "Value", op: Op) -> "Value":
    """The node ``op(a)`` through ``op.compute`` (an op made from a compute function)."""
    data, da = op.compute(a.data)
    return _record(data, a, None, da, 0.0, op)


class Value(_GeneratedMethods):
    """A scalar in a computation graph: ``data``, ``grad`` and how it was made.

    >>> x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    >>> y = x * w + 1; y.backward(); (y.data, w.grad)
    (-5.0, 2.0)
    """

    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_operation", "_tag")

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = data if type(data) is float else _to_float(data, "Value data")
        self.grad = 0.0
        self._a = None
        self._b = None
        self._da = 0.0
        self._db = 0.0
        self._operation = None
        self._tag = None
        if label or STATE.scope is not None or not isinstance(label, str):
            self._set_tag(label, STATE.scope)

    # --- label and scope share one slot: None | label | Scope | (label, Scope) ---

    def _set_tag(self, label: str, node_scope: Scope | None) -> None:
        instance(label, "a label", str)
        if label and node_scope is not None:
            self._tag = (label, node_scope)
        else:
            self._tag = label or node_scope

    @property
    def label(self) -> str:
        """A name for drawings and explanations ('' if none)."""
        tag = self._tag
        if type(tag) is str:
            return tag
        if type(tag) is tuple:
            return tag[0]
        return ""

    @label.setter
    def label(self, text: str) -> None:
        self._set_tag(text, self.scope)

    @property
    def scope(self) -> Scope | None:
        """The scope this node was built in (see ``autograd.scope``), or None."""
        tag = self._tag
        if type(tag) is Scope:
            return tag
        if type(tag) is tuple:
            return tag[1]
        return None

    # --- the graph, read-only ---

    @property
    def inputs(self) -> tuple["Value", ...]:
        """The nodes this one was computed from, in order (a tuple: ``a + a`` has two)."""
        if self._a is None:
            return ()
        if self._b is None:
            return (self._a,)
        return (self._a, self._b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(input) for each input, as computed when this node was built."""
        if self._a is None:
            return ()
        if self._b is None:
            return (self._da,)
        return (self._da, self._db)

    @property
    def op(self) -> Op | None:
        """The op that made this node; None for a leaf."""
        operation = self._operation
        return operation if type(operation) is Op else None

    @property
    def is_leaf(self) -> bool:
        """True for a node with no inputs: a parameter, an input or a constant."""
        return self._a is None

    @property
    def is_constant(self) -> bool:
        """True for a leaf made implicitly from a plain number (the 2 in ``x * 2``)."""
        return self._operation is CONSTANT

    # micrograd's names for the same things, so its code runs unchanged.
    @property
    def _prev(self) -> tuple["Value", ...]:
        return self.inputs

    @property
    def _op(self) -> str:
        op = self.op
        return op.symbol if op is not None else ""

    # --- arithmetic and functions: generated (copied in below the class), but for these two ---

    def __pow__(self, exponent: Operand) -> "Value":
        """``v ** n`` (a number: one input, micrograd's ``'**n'``) or ``v ** w`` (a Value)."""
        kind = type(exponent)
        if kind is Value:
            return _binary(self, exponent, ops.POW)
        if kind is float or kind is int or is_real(exponent):
            return self._power(_to_float(exponent, "exponent of '**'"))
        if isinstance(exponent, bool) or kind.__name__ == "bool_":
            raise TypeError(f"unsupported exponent: bool ({exponent!r}); use a number")
        return NotImplemented

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """x if x > 0 else slope * x (the derivative is slope at 0, as in PyTorch)."""
        return self._leaky_relu(_to_float(slope, "leaky_relu slope"))

    # --- backward ---

    def backward(self, gradient: Number = 1.0) -> None:
        """Fill ``grad`` of every node this one depends on: d(self)/d(node).

        As in PyTorch: the initial gradient d(self)/d(self) is ``gradient``
        (1.0 unless given); leaves accumulate across calls until zeroed;
        every other node holds its gradient from this call.
        """
        initial = _to_float(gradient, "the initial gradient")
        order = _interior_order(self)
        self.grad += initial
        if STATE.anomaly:
            _propagate_checked(order)
            return
        for node in reversed(order):
            upstream = node.grad
            node._a.grad += node._da * upstream
            b = node._b
            if b is not None:
                b.grad += node._db * upstream

    def _backward(self) -> None:
        """One backward step: pass this node's grad to its inputs (micrograd's name)."""
        upstream = self.grad
        for node_input, local_grad in zip(self.inputs, self.local_grads):
            node_input.grad += local_grad * upstream

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Jupyter shows a Value as its graph (text when Graphviz is missing)."""
        from .viz.display import mimebundle

        return mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        label = self.label
        shown = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{shown})"


# The op methods generated from the table join the class. They are copied,
# not inherited: with a base class, every node would cost a little more each
# time the cycle collector walks it and when it is freed (~1% of a step).
for _name, _method in vars(OpMethods).items():
    if isinstance(_method, types.FunctionType):
        if _name in vars(Value):
            raise RuntimeError(f"the generated Value.{_name} would replace a hand-written method")
        setattr(Value, _name, _method)
del _name, _method

# The generated methods build nodes of this class, which exists only now
# (they are part of it), and call the two node builders above.
_generated.Value = Value  # type: ignore[attr-defined]
_generated._operand = _operand  # type: ignore[attr-defined]
_generated._record = _record  # type: ignore[attr-defined]


class _Mark(float):
    """0.0 with an identity of its own, where a plain float has none (PyPy)."""

    __slots__ = ()


# backward's visited mark: a 0.0 that is a new object on every call. In
# CPython float(0) is one (no float is cached); a float subclass, a little
# slower to add to, serves where floats are compared by value (PyPy).
_zero_mark = float if float(0) is not float(0) else _Mark


def _interior_order(root: Value) -> list[Value]:
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
    order: list[Value] = []
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
            a = node._a
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


def _propagate_checked(order: list[Value]) -> None:
    """The backward loop of ``detect_anomaly``: stop at the first non-finite gradient."""
    for node in reversed(order):
        upstream = node.grad
        for position, (node_input, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
            node_input.grad += local_grad * upstream
            if not math.isfinite(node_input.grad):
                op = node.op
                assert op is not None
                raise FloatingPointError(
                    f"backward through op {op.name!r} ({op.rules[position]}) gave gradient "
                    f"{node_input.grad!r} for input {position} "
                    f"(data {node_input.data!r}{', ' + node_input.label if node_input.label else ''}): "
                    f"local derivative {local_grad!r} times upstream {upstream!r}"
                )
