"""``Value``: one scalar node of a computation graph.

A Value holds its float ``data``, its ``grad``, up to two inputs, the op that
made it and the local derivative with respect to each input, computed when
the node is built. Backward is then a plain loop over the graph in reverse
topological order: ``input.grad += local_grad * node.grad``.

There are no closures per node and no reference cycles (a node points only to
its inputs), so the garbage collector never has to untangle a graph, and
``__slots__`` keeps a node small.
"""

from __future__ import annotations

import math
import numbers
from typing import Union

from . import ops
from .graph import topological_order
from .modes import STATE, Scope
from .ops import Op

Number = Union[int, float]
Operand = Union["Value", int, float]

_new_node = object.__new__


class _ConstantMarker:
    """Stored as the op of a leaf made from a plain number (``x + 2``'s 2)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "CONSTANT"


CONSTANT = _ConstantMarker()


def _as_float(data: object, what: str) -> float:
    """``data`` as a float if it is a real number, else a TypeError naming its type."""
    if type(data) is float:
        return data
    if isinstance(data, numbers.Real) and not isinstance(data, bool):
        return float(data)
    kind = type(data).__name__
    if isinstance(data, bool) or kind == "bool_":
        raise TypeError(f"{what} must be a real number, got bool ({data!r}); use 1.0 or 0.0")
    raise TypeError(f"{what} must be a real number (int, float or NumPy scalar), got {kind}")


def _operand(x: object, op_symbol: str) -> "Value | None":
    """A plain number as a constant leaf; None if ``x`` is not a number at all."""
    if isinstance(x, bool):
        raise TypeError(f"unsupported operand for {op_symbol!r}: bool ({x!r}); use 1.0 or 0.0")
    if isinstance(x, numbers.Real):
        constant = Value(float(x))
        constant._operation = CONSTANT
        return constant
    return None


def _record(data: float, a: "Value", b: "Value | None", da: float, db: float, op: Op) -> "Value":
    """Build the node ``op(a, b) = data`` with its local derivatives."""
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
    if type(a) is not Value:
        a = _operand(a, op.symbol)
        if a is None:
            return NotImplemented
    if type(b) is not Value:
        b = _operand(b, op.symbol)
        if b is None:
            return NotImplemented
    data, da, db = op.compute(a.data, b.data)
    if not STATE.fast:
        return _record(data, a, b, da, db, op)
    # The common case, inlined: this is the hottest code of the engine.
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    node._a = a
    node._b = b
    node._da = da
    node._db = db
    node._operation = op
    node._tag = STATE.scope
    return node


def _unary(a: "Value", op: Op) -> "Value":
    data, da = op.compute(a.data)
    return _record(data, a, None, da, 0.0, op)


class Value:
    """A scalar in a computation graph: ``data``, ``grad`` and how it was made.

    >>> x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    >>> y = x * w + 1; y.backward(); (y.data, w.grad)
    (-5.0, 2.0)
    """

    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_operation", "_tag")

    def __init__(self, data: Number, label: str = "") -> None:
        self.data = _as_float(data, "Value data")
        self.grad = 0.0
        self._a = None
        self._b = None
        self._da = 0.0
        self._db = 0.0
        self._operation = None
        self._tag = None
        if label or STATE.scope is not None:
            self._set_tag(label, STATE.scope)

    # --- label and scope share one slot: None | label | Scope | (label, Scope) ---

    def _set_tag(self, label: str, node_scope: Scope | None) -> None:
        if not isinstance(label, str):
            raise TypeError(f"a label must be a str, got {type(label).__name__}")
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

    # --- arithmetic ---

    def __add__(self, other: Operand) -> "Value":
        return _binary(self, other, ops.ADD)

    def __radd__(self, other: Operand) -> "Value":
        return _binary(other, self, ops.ADD)

    def __sub__(self, other: Operand) -> "Value":
        return _binary(self, other, ops.SUB)

    def __rsub__(self, other: Operand) -> "Value":
        return _binary(other, self, ops.SUB)

    def __mul__(self, other: Operand) -> "Value":
        return _binary(self, other, ops.MUL)

    def __rmul__(self, other: Operand) -> "Value":
        return _binary(other, self, ops.MUL)

    def __truediv__(self, other: Operand) -> "Value":
        return _binary(self, other, ops.DIV)

    def __rtruediv__(self, other: Operand) -> "Value":
        return _binary(other, self, ops.DIV)

    def __neg__(self) -> "Value":
        return _unary(self, ops.NEG)

    def __pow__(self, exponent: Operand) -> "Value":
        """``v ** n`` (a number: one input, micrograd's ``'**n'``) or ``v ** w`` (a Value)."""
        if type(exponent) is Value:
            return _binary(self, exponent, ops.POW)
        if isinstance(exponent, bool):
            raise TypeError(f"unsupported exponent: bool ({exponent!r}); use a number")
        if isinstance(exponent, numbers.Real):
            return _unary(self, ops.power_op(float(exponent)))
        return NotImplemented

    def __rpow__(self, base: Number) -> "Value":
        """``2 ** v``: the number base becomes a constant input of the pow op."""
        return _binary(base, self, ops.POW)

    def __abs__(self) -> "Value":
        return _unary(self, ops.ABS)

    # --- functions ---

    def exp(self) -> "Value":
        """e ** self."""
        return _unary(self, ops.EXP)

    def log(self) -> "Value":
        """Natural logarithm (log 0 = -inf, log of a negative = nan)."""
        return _unary(self, ops.LOG)

    def sqrt(self) -> "Value":
        """Square root (nan for a negative)."""
        return _unary(self, ops.SQRT)

    def abs(self) -> "Value":
        """|self|, with derivative sign(self) (0 at 0)."""
        return _unary(self, ops.ABS)

    def tanh(self) -> "Value":
        """(e^x - e^-x) / (e^x + e^-x)."""
        return _unary(self, ops.TANH)

    def sigmoid(self) -> "Value":
        """1 / (1 + e^-x), stable for any x."""
        return _unary(self, ops.SIGMOID)

    def relu(self) -> "Value":
        """max(0, x), with derivative 0 at 0."""
        return _unary(self, ops.RELU)

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """x if x > 0 else slope * x."""
        return _unary(self, ops.leaky_relu_op(_as_float(slope, "leaky_relu slope")))

    # --- backward ---

    def backward(self, gradient: Number = 1.0) -> None:
        """Fill ``grad`` of every node this one depends on: d(self)/d(node).

        As in PyTorch: the seed d(self)/d(self) is ``gradient`` (1.0 unless
        given); leaves accumulate across calls until zeroed; every other node
        holds its gradient from this call.
        """
        seed = _as_float(gradient, "the seed gradient")
        order = topological_order(self)
        for node in order:
            if node._a is not None:
                node.grad = 0.0
        self.grad += seed
        if STATE.anomaly:
            _propagate_checked(order)
            return
        for node in reversed(order):
            a = node._a
            if a is None:
                continue
            upstream = node.grad
            a.grad += node._da * upstream
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
        from .display import mimebundle

        return mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        label = self.label
        shown = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{shown})"


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
