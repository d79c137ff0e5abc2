"""``Value``: one scalar node of a computation graph.

A Value holds its float ``data``, its ``grad``, up to two inputs, the op that
made it and the local derivative with respect to each input, computed when
the node is built. Backward is then a plain loop over the graph in reverse
topological order: ``input.grad += local_grad * node.grad``, written once, in
``autograd.graph.backward_pass``.

There are no closures per node and no reference cycles (a node points only to
its inputs), so the garbage collector never has to untangle a graph, and
``__slots__`` keeps a node small. A node still takes attributes of a user's
own (``p.m = 0.0``, as micrograd's optimisers and drawings set them), at
32 bytes a node on CPython 3.11 (see ``Value.__slots__``).

``copy.deepcopy`` and ``pickle`` take a node with its whole graph, walked
with an explicit stack (``Value.__deepcopy__``, ``Value.__reduce_ex__``), so
graphs of any depth copy, shared nodes stay shared, and each op comes back
as the op table's own object.

The methods of the ops (``__add__``, ``__mul__``, ``tanh``, ...) come from
``autograd/_generated.py``, generated from the op table (``autograd.ops``)
with the arithmetic written inline, and are copied into the class from its
``OpMethods``; ``inspect.getsource(Value.__mul__)`` shows the code of one.

micrograd's way of adding an op works too: ``Value(data, _children, _op)``
builds a node from its inputs, and the function assigned to its
``_backward`` is what backward runs for it (see ``Value._backward``; such
nodes are handled in ``autograd/custom_backward.py``, backward's walk is
``autograd.graph.interior_order``).
"""

from __future__ import annotations

import copy
import copyreg
import math
import threading
import types
import weakref
from typing import TYPE_CHECKING, Any, Callable, Container, Iterable, Union, cast

from . import _generated, ops
from ._generated import OpMethods
from .custom_backward import (
    CustomBackward, assign_backward, measured_local_grads, micrograd_op, no_backward, propagate,
)
from .graph import backward_pass, interior_order
from .modes import DEFAULT_MODES, STATE, Scope, get_modes
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

    def __reduce__(self) -> str:
        # Pickled and copied as the one marker (``is_constant`` tests identity).
        return "CONSTANT"


CONSTANT = _ConstantMarker()

# What a node's ``_operation`` slot holds: the op that made it, the record of
# a node with its own backward, the constant marker, or None for a leaf.
Operation = Union[Op, CustomBackward, _ConstantMarker, None]


def _current_scope() -> Scope | None:
    """The scope (and row) this thread tags new nodes with (inlined where an op is built)."""
    modes = STATE.active and get_modes()
    return modes.scope if modes else None


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
    modes = STATE.active and get_modes()
    node._tag = modes.scope if modes else None
    return node


def _record(data: float, a: "Value", b: "Value | None", da: float, db: float, op: Op) -> "Value":
    """Build the node ``op(a, b) = data`` with its local derivatives (the general path).

    It reads this thread's modes: ``no_grad`` makes a plain leaf,
    ``detect_anomaly`` checks the value.
    """
    modes = get_modes() or DEFAULT_MODES
    node = _new_node(Value)
    node.data = data
    node.grad = 0.0
    if modes.anomaly and not math.isfinite(data):
        _raise_anomaly(data, a, b, op)
    if modes.grad_enabled:
        node._a, node._b, node._da, node._db, node._operation = a, b, da, db, op
    else:  # no_grad: a plain leaf, no edges
        node._a, node._b, node._da, node._db, node._operation = None, None, 0.0, 0.0, None
    node._tag = modes.scope
    return node


def _apply_op(op: Op, operands: tuple[object, ...]) -> "Value":
    """``op(*operands)`` for Values and numbers (``Op.__call__``), built through ``_record``."""
    if len(operands) != op.arity:
        raise TypeError(f"op {op.name!r} takes {op.arity} input(s), got {len(operands)}")
    nodes = []
    for position, operand in enumerate(operands):
        node = operand if isinstance(operand, Value) else _operand(operand, op.symbol)
        if node is None:
            raise TypeError(f"input {position} of op {op.name!r} must be a Value or a number, "
                            f"got {type(operand).__name__}")
        nodes.append(node)
    values = [node.data for node in nodes]
    try:
        results = op.compute(*values)
    except (ArithmeticError, ValueError) as error:
        raise type(error)(f"op {op.name!r} failed at input(s) {', '.join(map(repr, values))}: {error}") \
            from error
    if op.arity == 1:
        return _record(results[0], nodes[0], None, results[1], 0.0, op)
    return _record(results[0], nodes[0], nodes[1], results[1], results[2], op)


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
    """The node ``op(a)`` through ``op.compute`` (as ``op(a)``)."""
    return _apply_op(op, (a,))


class Value(_GeneratedMethods):
    """A scalar in a computation graph: ``data``, ``grad`` and how it was made.

    >>> x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    >>> y = x * w + 1; y.backward(); (y.data, w.grad)
    (-5.0, 2.0)

    ``Value(data, _children, _op)`` is micrograd's constructor: a node made
    from the inputs ``_children`` (at most two) by an op named ``_op``, whose
    backward is the function assigned to its ``_backward`` afterwards::

        out = Value(math.sin(x.data), (x,), "sin")
        def _backward():
            x.grad += math.cos(x.data) * out.grad
        out._backward = _backward

    Ops on a subclass of Value return plain Values (as in micrograd).
    """

    # "__dict__": attributes of a user's own (micrograd's optimisers set ``p.m``).
    # On CPython 3.11 it costs every node 32 bytes (152, was 120), used or not.
    # Op results kept slot-only, with a subclass taking attributes for the
    # Values users build, was measured (issue 18): 120 bytes, but the demo
    # step 1.10x the slot-only engine (this: 1.07x), as backward's walk and
    # loop then meet two classes at each input, and CPython 3.11 specialises
    # an attribute access for one class only.
    __slots__ = ("data", "grad", "_a", "_b", "_da", "_db", "_operation", "_tag", "__dict__")

    # The slots' types (annotations only: a slot takes no class-level value).
    data: float
    grad: float
    _a: Value | None  # the first input; None for a leaf
    _b: Value | None  # the second input; None for a leaf or a node of one input
    _da: float | None  # d(self)/d(_a), recorded when built; None when its backward is its own _backward
    _db: float | None  # d(self)/d(_b), likewise (0.0 without a second input)
    _operation: Operation  # what made it; None for a leaf
    _tag: str | Scope | tuple[str, Scope] | None  # its label, its scope (and row), or both

    def __init__(self, data: Number, _children: Iterable["Value"] = (), _op: str = "",
                 label: str = "") -> None:
        self.data = data if type(data) is float else _to_float(data, "Value data")
        self.grad = 0.0
        self._a = self._b = None
        self._da = self._db = 0.0
        self._operation = self._tag = None
        if _children or _op:
            self._join(_children, _op)
        node_scope = _current_scope()
        if label or node_scope is not None or not isinstance(label, str):
            self._set_tag(label, node_scope)

    def _join(self, children: Iterable["Value"], text: str) -> None:
        """Make this node micrograd's way: its inputs ``children``, its op named ``text``."""
        instance(text, "_op", str)
        if isinstance(children, Value):
            raise TypeError("_children must be a tuple of Values, got a single Value: write (x,)")
        inputs = tuple(children)
        for position, child in enumerate(inputs):
            instance(child, f"_children[{position}]", Value)
        if len(inputs) > 2:
            raise ValueError(
                f"a node has at most two inputs, got {len(inputs)} _children: build a {text or 'custom'} "
                "of more inputs from ops of one or two"
            )
        modes = get_modes() or DEFAULT_MODES
        if not inputs or not modes.grad_enabled:  # a leaf (no_grad: no edges), showing its _op
            self._operation = CustomBackward(None, None, text)
            return
        op = micrograd_op(text, len(inputs))
        if modes.anomaly and not math.isfinite(self.data):
            _raise_anomaly(self.data, inputs[0], inputs[1] if len(inputs) == 2 else None, op)
        self._a = inputs[0]
        self._b = inputs[1] if len(inputs) == 2 else None
        # Not numbers: backward's loop stops at such a node and calls its _backward.
        self._da = self._db = None
        self._operation = CustomBackward(op, None, text)

    # --- label, scope and row share one slot: None | label | Scope | (label, Scope) ---

    def _set_tag(self, label: str, node_scope: Scope | None) -> None:
        instance(label, "a label", str)
        if label and node_scope is not None:
            self._tag = (label, node_scope)
        else:
            self._tag = label or node_scope

    def _scope_tag(self) -> Scope | None:
        tag = self._tag
        if type(tag) is Scope:
            return tag
        if type(tag) is tuple:
            return tag[1]
        return None

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
        tag = self._tag
        if type(text) is str and text and type(tag) is Scope:  # the common case, made short: nn names z and a
            self._tag = (text, tag)
            return
        self._set_tag(text, self._scope_tag())

    @property
    def scope(self) -> Scope | None:
        """The scope this node was built in (see ``autograd.scope``), or None.

        Its ``row`` is the node's batch row; a node built inside ``row(k)``
        but outside any scope has no scope, only ``Value.row``.
        """
        node_scope = self._scope_tag()
        return node_scope if node_scope is not None and node_scope.path else None

    @property
    def row(self) -> int | None:
        """The batch row (1-based) this node was built for (see ``autograd.row``), or None."""
        node_scope = self._scope_tag()
        return node_scope.row if node_scope is not None else None

    # --- the graph, read-only ---

    @property
    def inputs(self) -> tuple["Value", ...]:
        """The nodes this one was computed from, in order (a tuple: ``a + a`` has two)."""
        return self._pair(self._a, self._b)

    @property
    def local_grads(self) -> tuple[float, ...]:
        """d(self)/d(input) for each input, as computed when this node was built.

        A node whose backward is its own ``_backward`` (``has_custom_backward``)
        has no recorded derivatives: they are measured, by running its
        ``_backward`` once with upstream gradient 1.0 on inputs whose grads
        are set to 0 (everything is restored after). An input that appears
        twice gets half the measured total at each position. Without an
        assigned ``_backward`` nothing flows back: 0.0 each.
        """
        if type(self._operation) is CustomBackward:
            return measured_local_grads(self)
        return self._pair(self._da, self._db)

    def _pair(self, first: object, second: object) -> tuple:
        """(first, second) for a node with two inputs, (first,) with one, () for a leaf."""
        if self._a is None:
            return ()
        if self._b is None:
            return (first,)
        return (first, second)

    @property
    def op(self) -> Op | None:
        """The op that made this node; None for a leaf.

        For a node made the micrograd way it is an Op named by the node's
        ``_op``, with ``_op`` as its rule text and nothing to compute.
        """
        operation = self._operation
        if type(operation) is Op:
            return operation
        if type(operation) is CustomBackward:
            return operation.op
        return None

    @property
    def has_custom_backward(self) -> bool:
        """True for a node with inputs whose backward is its own ``_backward`` (micrograd's way).

        Its local derivatives are only measured (``local_grads``), and
        ``autograd.compile`` cannot compile it.
        """
        return self._a is not None and type(self._operation) is CustomBackward

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
        operation = self._operation
        if type(operation) is CustomBackward:
            return operation.text
        return operation.symbol if type(operation) is Op else ""

    @property
    def _backward(self) -> Callable[[], None]:
        """One backward step: pass this node's grad to its inputs (micrograd's name).

        Assignable, as in micrograd: a function of no arguments that adds
        this node's contribution to its inputs' grads (``x.grad +=
        math.cos(x.data) * out.grad``). From then on, backward runs it for
        this node, in topological order, instead of the recorded local
        derivatives. A leaf's ``_backward`` is never run: nothing is
        upstream of it; give an op's inputs as ``_children``.
        """
        operation = self._operation
        if type(operation) is CustomBackward:
            return operation.backward or no_backward
        return self._backward_step

    @_backward.setter
    def _backward(self, function: Callable[[], None]) -> None:
        assign_backward(self, function)

    def _backward_step(self) -> None:
        if self._a is not None:  # a leaf passes nothing on
            backward_pass((self,))

    # --- arithmetic and functions: generated (copied in below the class), but for these two ---

    def __pow__(self, exponent: Operand) -> "Value":
        """``v ** n`` (a number: one input, micrograd's ``'**n'``) or ``v ** w`` (a Value)."""
        kind = type(exponent)
        if isinstance(exponent, Value):
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
        every other node holds its gradient from this call. A node with an
        assigned ``_backward`` (micrograd's way) runs it, in the same order.
        """
        initial = _to_float(gradient, "the initial gradient")
        order = interior_order(self)
        self.grad += initial
        walk = reversed(order)
        if STATE.active and (get_modes() or DEFAULT_MODES).anomaly:
            propagate(walk, None, checked=True)
            return
        stopped = backward_pass(walk)
        if stopped is not None:  # a node with its own _backward: the general loop runs it, and goes on
            propagate(walk, stopped, checked=False)

    # --- copying and pickling: the whole graph, walked with an explicit stack ---

    def __copy__(self) -> "Value":
        """A new node with this one's data, grad, op and attributes, on the same inputs."""
        clone = _new_node(type(self))
        _fill_clone(clone, self, self._a, self._b, None)
        return clone

    def __deepcopy__(self, memo: dict[int, Any]) -> "Value":
        """A copy of this node's whole graph; nodes already in ``memo`` are reused (shared stay shared)."""
        for node in _unseen_upstream(self, lambda node: id(node) in memo):
            a, b = node._a, node._b
            clone = _new_node(type(node))
            memo[id(node)] = clone  # before its attributes: one may refer back to it
            _fill_clone(clone, node, a if a is None else memo[id(a)], b if b is None else memo[id(b)], memo)
        return memo[id(self)]

    def __reduce_ex__(self, protocol: object) -> tuple:
        """How pickle saves a node: its state, after the interior nodes it depends on (see ``_Upstream``)."""
        return _restore_node, (type(self),), _pickled_state(self)

    def __setstate__(self, state: tuple) -> None:
        """Restore a node from ``_pickled_state`` (the op by reference to the op table)."""
        (_, self.data, self.grad, self._a, self._b, self._da, self._db, operation, self._tag, attributes,
         own_slots) = state
        self._operation = _operation_from(operation)
        if attributes:
            self.__dict__.update(attributes)
        if own_slots:
            for name, value in own_slots.items():
                setattr(self, name, value)

    def _repr_mimebundle_(self, include: Container[str] | None = None,
                          exclude: Container[str] | None = None) -> dict[str, str]:
        """Jupyter shows a Value as its graph (text when Graphviz is missing)."""
        from .viz.display import mimebundle

        return mimebundle(self, include, exclude)

    def __repr__(self) -> str:
        label = self.label
        shown = f", label={label!r}" if label else ""
        return f"Value(data={self.data!r}, grad={self.grad!r}{shown})"


# --- copying and pickling graphs of any depth ---
#
# Both walk the graph with an explicit stack. ``copy.deepcopy`` gets every
# node it has not copied yet, inputs first, and copies each with its inputs'
# copies. Pickle saves what a node's state refers to before the node itself,
# recursing into the node's inputs (a chain of 10^5 ops was a RecursionError),
# so a node pickled first lists, ahead of its own state, the interior nodes it
# depends on, inputs first (an ``_Upstream``): pickle then saves each of them
# when their inputs are already saved, and a node of such a list, pickled in
# its turn, lists nothing. A registry per thread remembers the nodes listed by
# the lists still alive (the pickler keeps them until it is done), so that a
# node pickled later in the same pickle does not list them again.

_SLOTS = frozenset(Value.__slots__)
_object_getstate = getattr(object, "__getstate__", None)  # Python 3.11+; reads without making the dict
_pickling = threading.local()


def _restore_node(cls: type) -> "Value":
    """An empty node of class ``cls``, for pickle to fill with ``Value.__setstate__``."""
    return _new_node(cls)


class _Upstream(list):
    """The interior nodes a pickled node depends on that are not saved yet, inputs first."""

    def __reduce_ex__(self, protocol: object) -> tuple:
        # Saved item after item (not nested), and loaded back as a plain list.
        return list, (), None, iter(self)


def _user_state(node: "Value") -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The attributes set on ``node`` and the values of its subclass's own slots, each None if none."""
    if _object_getstate is not None:
        state = _object_getstate(node)
        attributes, slots = state if type(state) is tuple else (state, None)
    else:  # Python 3.10: reading __dict__ makes it
        attributes = getattr(node, "__dict__", None)
        slot_names = copyreg._slotnames(type(node))  # type: ignore[attr-defined]  # (private, but what pickle reads)
        slots = {name: getattr(node, name) for name in slot_names if hasattr(node, name)}
    if type(node) is Value or not slots:  # (a plain node has no slots of a subclass)
        own_slots = None
    else:
        own_slots = {name: value for name, value in slots.items() if name not in _SLOTS}
    return (dict(attributes) if attributes else None), (own_slots or None)


def _unseen_upstream(root: "Value", seen: Callable[["Value"], bool]) -> list["Value"]:
    """``root`` and the nodes it depends on, inputs first, without those ``seen`` accepts or their inputs.

    A depth-first post-order on an explicit stack: a node is emitted when
    popped a second time (its inputs are done by then).
    """
    order: list[Value] = []
    entered: set[int] = set()
    done: set[int] = set()
    stack = [root]
    while stack:
        node = stack[-1]
        key = id(node)
        if key in done:
            stack.pop()
        elif key in entered:
            stack.pop()
            done.add(key)
            order.append(node)
        else:
            entered.add(key)
            for node_input in (node._b, node._a):
                if node_input is not None and id(node_input) not in done and not seen(node_input):
                    stack.append(node_input)
    return order


def _check_copyable(node: "Value") -> None:
    """Refuse a node with an assigned ``_backward``: the function refers to the original nodes."""
    operation = node._operation
    if type(operation) is CustomBackward and operation.backward is not None:
        raise TypeError(
            f"cannot copy or pickle node {node._op!r} (data {node.data!r}): its backward is its own _backward "
            "function, which refers to the original nodes; define the op with autograd.define_op to copy "
            "its graph"
        )


def _fill_clone(clone: "Value", node: "Value", a: "Value | None", b: "Value | None",
                memo: dict[int, Any] | None) -> None:
    """Give ``clone`` the state of ``node`` on inputs ``a``, ``b``; deep (through ``memo``) unless None."""
    _check_copyable(node)
    operation = node._operation
    if type(operation) is CustomBackward:  # a record of its own: assigning a _backward changes it
        operation = CustomBackward(operation.op, None, operation.text)
    clone.data, clone.grad, clone._a, clone._b = node.data, node.grad, a, b
    clone._da, clone._db, clone._operation = node._da, node._db, operation  # an Op is shared, never copied
    tag = node._tag
    clone._tag = tag if memo is None or tag is None or type(tag) is str else copy.deepcopy(tag, memo)
    attributes, own_slots = _user_state(node)
    if memo is not None and attributes:
        attributes = copy.deepcopy(attributes, memo)
    if memo is not None and own_slots:
        own_slots = copy.deepcopy(own_slots, memo)
    if attributes:
        clone.__dict__.update(attributes)
    if own_slots:
        for name, value in own_slots.items():
            setattr(clone, name, value)


def _announced() -> dict[int, "weakref.ref[_Upstream]"]:
    """This thread's registry: id of a node -> the living list (or root) that has it pickled in order."""
    table = getattr(_pickling, "announced", None)
    if table is None:
        table = _pickling.announced = {}
    return table


def _is_announced(table: dict[int, "weakref.ref[_Upstream]"], node: "Value") -> bool:
    mark = table.get(id(node))
    # While the list lives it holds the node, so the id is still this node's.
    return mark is not None and mark() is not None


def _announce(table: dict[int, "weakref.ref[_Upstream]"], upstream: _Upstream, nodes: list["Value"]) -> None:
    """Register ``nodes`` as pickled in order with ``upstream``, until the pickler lets it go."""
    keys = [id(node) for node in nodes]

    def forget(mark: "weakref.ref[_Upstream]") -> None:
        for key in keys:
            if table.get(key) is mark:
                del table[key]

    mark = weakref.ref(upstream, forget)
    for key in keys:
        table[key] = mark


def _pickled_state(node: "Value") -> tuple:
    """What pickle saves for ``node``: the interior nodes to save first (or None), then its fields."""
    upstream = None
    if node._a is not None:
        table = _announced()
        if not _is_announced(table, node):
            order = _unseen_upstream(node, lambda other: other._a is None or _is_announced(table, other))
            for listed in order:  # refused before anything is registered
                _check_copyable(listed)
            upstream = _Upstream(order[:-1])
            _announce(table, upstream, order)
    _check_copyable(node)
    operation = node._operation
    attributes, own_slots = _user_state(node)
    return (upstream, node.data, node.grad, node._a, node._b, node._da, node._db, _operation_reference(operation),
            node._tag, attributes, own_slots)


# An op is pickled by reference to where it comes from, so that loading gives
# back the op table's very object (compile and the views compare ops by
# identity); an op of the user's own (define_op) is pickled as it is.

def _operation_reference(operation: object) -> object:
    if type(operation) is CustomBackward:
        return ("custom", None if operation.op is None else _op_reference(operation.op), operation.text)
    if type(operation) is Op:
        return _op_reference(operation)
    return operation  # None or CONSTANT


def _op_reference(op: Op) -> object:
    if ops.OPS.get(op.name) is op:
        return ("op", op.name)
    if len(op.constants) == 1:  # only the kinds' ops bind a number (power_op, leaky_relu_op)
        parameter, number = op.constants[0]
        return ("power" if parameter == "n" else "leaky_relu", number)
    if op.compute.__qualname__.startswith("micrograd_op.") and micrograd_op(op.symbol, op.arity) is op:
        return ("micrograd", op.symbol, op.arity)
    return op


def _operation_from(reference: object) -> Operation:
    """The op (or op record) a reference from ``_operation_reference`` names."""
    if type(reference) is not tuple:
        return cast(Operation, reference)  # None, CONSTANT or an op of the user's own, pickled as it is
    kind = reference[0]
    if kind == "custom":
        shown = None if reference[1] is None else cast(Op, _operation_from(reference[1]))
        return CustomBackward(shown, None, reference[2])
    if kind == "op":
        return ops.OPS[reference[1]]
    if kind == "power":
        return ops.power_op(reference[1])
    if kind == "leaky_relu":
        return ops.leaky_relu_op(reference[1])
    if kind == "micrograd":
        return micrograd_op(reference[1], reference[2])
    raise ValueError(f"unknown op reference in a pickled node: {reference!r}")


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
setattr(_generated, "Value", Value)
setattr(_generated, "_operand", _operand)
setattr(_generated, "_record", _record)
ops._apply_op = _apply_op  # Op.__call__ builds its node here
