"""``Value``: one scalar node of a computation graph.

A Value holds its float ``data``, its ``grad``, up to two inputs, the op that
made it and the local derivative with respect to each input, computed when
the node is built. Backward is then a plain loop over the graph in reverse
topological order: ``input.grad += local_grad * node.grad``.

There are no closures per node and no reference cycles (a node points only to
its inputs), so the garbage collector never has to untangle a graph, and
``__slots__`` keeps a node small.

The methods of the ops (``__add__``, ``__mul__``, ``tanh``, ...) are
generated from the expressions of the op table (see ``autograd.ops``) with
the arithmetic written inline; ``inspect.getsource(Value.__mul__)`` shows
the code of one.
"""

from __future__ import annotations

import math
import numbers
from typing import Callable, Union

from . import ops
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
        return _real_to_float(data, what)
    kind = type(data).__name__
    if isinstance(data, bool) or kind == "bool_":
        raise TypeError(f"{what} must be a real number, got bool ({data!r}); use 1.0 or 0.0")
    raise TypeError(f"{what} must be a real number (int, float or NumPy scalar), got {kind}")


def _real_to_float(x: numbers.Real, what: str) -> float:
    """float(x), or an error naming ``what`` when x (a huge int) has no float."""
    try:
        return float(x)
    except OverflowError:
        text = str(x)
        shown = text if len(text) <= 20 else f"{text[:8]}...({len(text)} digits)"
        raise OverflowError(
            f"{what}: {shown} is too large for a float (the largest is about 1.8e308)"
        ) from None


def _operand(x: object, op_symbol: str) -> "Value | None":
    """A plain number as a constant leaf; None if ``x`` is not a number at all."""
    kind = type(x)
    if kind is float:
        return _constant(x)
    if kind is int:
        return _constant(_real_to_float(x, f"operand of {op_symbol!r}"))
    if isinstance(x, Value):  # a subclass of Value
        return x
    if isinstance(x, bool):
        raise TypeError(f"unsupported operand for {op_symbol!r}: bool ({x!r}); use 1.0 or 0.0")
    if isinstance(x, numbers.Real):
        return _constant(_real_to_float(x, f"operand of {op_symbol!r}"))
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
    """The node ``op(a, b)``; numbers become constant leaves (NotImplemented for other types)."""
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
    """The node ``op(a)``."""
    data, da = op.compute(a.data)
    return _record(data, a, None, da, 0.0, op)


# The methods of the fixed ops (``__mul__``, ``tanh``, ...) are generated
# once per op from the expressions of its table entry, with the arithmetic
# written inline: they are the hottest code of the engine, and a call to
# ``op.compute`` per node costs ~10% of a training step. Each also
# inlines _binary/_record's common case (graph recording on, no anomaly
# check). One function per op, never one per node; ``inspect.getsource``
# shows the generated code, e.g. of ``Value.__mul__``.

# Generated methods read ``Value`` from their namespace, filled in once the
# class exists (the methods are made while its body runs).
_method_namespaces: list[dict[str, object]] = []

_BINARY_PROLOGUE = """\
    if type(other) is not Value:
        other = _operand(other, {symbol!r})
        if other is None:
            return NotImplemented
    a = self.data
    b = other.data
"""
_REFLECTED_PROLOGUE = """\
    constant = _operand(other, {symbol!r})
    if constant is None:
        return NotImplemented
    a = constant.data
    b = self.data
"""
_UNARY_PROLOGUE = """\
    a = self.data
"""
_BODY = """\
    out = {forward}
    if not state.fast:
        return _record(out, {left}, {right}, {d_a}, {d_b}, op)
    node = new(Value)
    node.data = out
    node.grad = 0.0
    node._a = {left}
    node._b = {right}
    node._da = {d_a}
    node._db = {d_b}
    node._operation = op
    node._tag = state.scope
    return node
"""


def _method_source(op: Op, name: str, form: str) -> str:
    """The code of the method ``name`` of ``op``; ``form`` is binary, reflected or unary."""
    forward, derivatives = op.forward, op.derivatives
    if forward is None or derivatives is None:
        raise ValueError(f"op {op.name!r} has no expressions to generate a method from")
    if form == "unary":
        prologue, parameters, left, right = _UNARY_PROLOGUE, "self", "self", "None"
        d_a, d_b = derivatives[0], "0.0"
    else:
        prologue = _BINARY_PROLOGUE if form == "binary" else _REFLECTED_PROLOGUE
        parameters = "self, other"
        left, right = ("self", "other") if form == "binary" else ("constant", "self")
        d_a, d_b = derivatives
    header = f"# Value.{name}, generated from ops.{op.name.upper()}\ndef {name}({parameters}):\n"
    body = _BODY.format(forward=forward, left=left, right=right, d_a=d_a, d_b=d_b)
    return header + prologue.format(symbol=op.symbol) + body


def _generated_method(op: Op, name: str, form: str, doc: str) -> Callable[..., "Value"]:
    """The method ``name`` of ``op``, compiled from its table entry."""
    namespace: dict[str, object] = {
        "__name__": __name__,
        **op.namespace(),
        "op": op,
        "state": STATE,
        "new": _new_node,
        "_record": _record,
        "_operand": _operand,
    }
    _method_namespaces.append(namespace)
    source = _method_source(op, name, form)
    method = ops.compile_function(source, f"<tracegrad Value.{name}>", namespace, name)
    method.__qualname__ = f"Value.{name}"
    method.__doc__ = doc
    return method


def _binary_method(op: Op, name: str) -> "Callable[[Value, Operand], Value]":
    """``self <op> other`` (``__add__``, ``__mul__``, ...)."""
    doc = f"``self {op.symbol} other``: {op.rules[0]}, {op.rules[1]}."
    return _generated_method(op, name, "binary", doc)


def _reflected_method(op: Op, name: str) -> "Callable[[Value, Number], Value]":
    """``other <op> self`` for a number ``other`` (``__radd__``, ``__rmul__``, ...)."""
    return _generated_method(op, name, "reflected", f"``other {op.symbol} self`` for a number ``other``.")


def _unary_method(op: Op, name: str, doc: str) -> "Callable[[Value], Value]":
    """``op(self)`` (``exp``, ``tanh``, ``relu``, ...)."""
    return _generated_method(op, name, "unary", f"{doc} ({op.rules[0]}).")


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
        if label or STATE.scope is not None or not isinstance(label, str):
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

    __add__ = _binary_method(ops.ADD, "__add__")
    __radd__ = _reflected_method(ops.ADD, "__radd__")
    __sub__ = _binary_method(ops.SUB, "__sub__")
    __rsub__ = _reflected_method(ops.SUB, "__rsub__")
    __mul__ = _binary_method(ops.MUL, "__mul__")
    __rmul__ = _reflected_method(ops.MUL, "__rmul__")
    __truediv__ = _binary_method(ops.DIV, "__truediv__")
    __rtruediv__ = _reflected_method(ops.DIV, "__rtruediv__")
    __neg__ = _unary_method(ops.NEG, "__neg__", "-self")

    def __pow__(self, exponent: Operand) -> "Value":
        """``v ** n`` (a number: one input, micrograd's ``'**n'``) or ``v ** w`` (a Value)."""
        if type(exponent) is Value:
            return _binary(self, exponent, ops.POW)
        if isinstance(exponent, bool):
            raise TypeError(f"unsupported exponent: bool ({exponent!r}); use a number")
        if isinstance(exponent, numbers.Real):
            return _unary(self, ops.power_op(_real_to_float(exponent, "exponent of '**'")))
        return NotImplemented

    def __rpow__(self, base: Number) -> "Value":
        """``2 ** v``: the number base becomes a constant input of the pow op."""
        return _binary(base, self, ops.POW)

    __abs__ = _unary_method(ops.ABS, "__abs__", "|self|, with derivative sign(self) (0 at 0)")

    # --- functions ---

    exp = _unary_method(ops.EXP, "exp", "e ** self")
    log = _unary_method(ops.LOG, "log", "Natural logarithm (log 0 = -inf, log of a negative = nan)")
    sqrt = _unary_method(ops.SQRT, "sqrt", "Square root (nan for a negative)")
    abs = _unary_method(ops.ABS, "abs", "|self|, with derivative sign(self) (0 at 0)")
    tanh = _unary_method(ops.TANH, "tanh", "(e^x - e^-x) / (e^x + e^-x)")
    sigmoid = _unary_method(ops.SIGMOID, "sigmoid", "1 / (1 + e^-x), stable for any x")
    relu = _unary_method(ops.RELU, "relu", "max(0, x), with derivative 0 at 0")

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
        order = _interior_order(self)
        self.grad += seed
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
        from .display import mimebundle

        return mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        label = self.label
        shown = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{shown})"


for _namespace in _method_namespaces:
    _namespace["Value"] = Value


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
