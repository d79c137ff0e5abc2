"""Nodes with a backward of their own: micrograd's way of adding an op.

micrograd adds an op by building its node, ``Value(data, _children, _op)``,
and assigning the function that passes its gradient back to ``_backward``::

    out = Value(math.sin(x.data), (x,), "sin")
    def _backward():
        x.grad += math.cos(x.data) * out.grad
    out._backward = _backward

Such a node records no local derivatives: its op is a ``CustomBackward``
record (the Op shown for it, the assigned function, its ``_op`` text) and
its derivative slots hold None, so backward's plain loop stops at it and
goes on in ``propagate``, which runs the function. Its ``local_grads`` are
measured by running the function once (``measured_local_grads``).
``autograd.define_op`` is the way to add an op that records its derivatives.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterator

from . import ops
from .graph import backward_pass, pass_edge
from .ops import Op

if TYPE_CHECKING:
    from .value import Value


class CustomBackward:
    """The op record of a node made the micrograd way, or whose ``_backward`` was assigned.

    ``op`` is the Op shown for it (its ``_op`` text as rule, or the table op
    it was built with; None for a leaf), ``backward`` the assigned function
    (None until one is), ``text`` its ``_op``.
    """

    __slots__ = ("op", "backward", "text")

    def __init__(self, op: Op | None, backward: Callable[[], None] | None, text: str) -> None:
        self.op = op
        self.backward = backward
        self.text = text


def record_of(node: Value) -> CustomBackward:
    """The ``CustomBackward`` record of a node made the micrograd way, or given its own ``_backward``."""
    operation = node._operation
    if type(operation) is not CustomBackward:
        raise TypeError(f"node {node!r} has no backward of its own: its op is {operation!r}")
    return operation


def no_backward() -> None:
    """micrograd's default ``_backward``: nothing flows back."""


@lru_cache(maxsize=256)
def micrograd_op(text: str, arity: int) -> Op:
    """The Op shown for nodes made the micrograd way with ``_op`` ``text``: its rule text is ``text``.

    It has no forward or derivatives to compute (``compute`` says so):
    such a node knows only its ``_backward``.
    """
    name = text or "custom"
    table_op = next((op for op in ops.OPS.values() if op.symbol == text and op.arity == arity), None)
    escaped = name.replace("{", "{{").replace("}", "}}")
    if table_op is not None:
        formula = table_op.formula
    elif arity == 1 and text.startswith("**"):  # micrograd's '**2'
        formula = "{0}" + escaped
    else:
        formula = escaped + ("({0})" if arity == 1 else "({0}, {1})")

    def compute(*inputs: float) -> tuple[float, ...]:
        raise RuntimeError(
            f"op {name!r} was made the micrograd way (Value(data, _children, _op)): it has a _backward, "
            "but no forward value or local derivatives to compute; define it with autograd.define_op "
            "to compute or compile it"
        )

    return Op(name, text, arity, compute, (name,) * arity, formula,
              doc="made the micrograd way: Value(data, _children, _op) and an assigned _backward")


def assign_backward(node: Value, function: Callable[[], None]) -> None:
    """Make ``function`` the backward of ``node`` (micrograd's ``node._backward = function``).

    A node of a table op drops its recorded derivatives: from then on its
    own function is what backward runs for it.
    """
    if not callable(function):
        raise TypeError(f"_backward must be a function of no arguments, got {type(function).__name__}")
    operation = node._operation
    if type(operation) is CustomBackward:
        operation.backward = function
        return
    if node._a is None or type(operation) is not Op:  # a leaf (a constant's op is no Op)
        node._operation = CustomBackward(None, function, node._op)
        return
    node._operation = CustomBackward(operation, function, operation.symbol)
    node._da = node._db = None


def measured_local_grads(node: Value) -> tuple[float, ...]:
    """d(node)/d(input) for each input, measured by running the node's own ``_backward`` once.

    The upstream gradient is 1.0 and the inputs' grads start at 0 (all
    grads are restored after). An input that appears twice gets half the
    measured total at each position. Without an assigned ``_backward``
    nothing flows back: 0.0 each.
    """
    inputs = node.inputs
    backward = record_of(node).backward
    if not inputs or backward is None:
        return (0.0,) * len(inputs)
    saved_grad, saved_inputs = node.grad, [node_input.grad for node_input in inputs]
    try:
        for node_input in inputs:
            node_input.grad = 0.0
        node.grad = 1.0
        backward()
        measured = [node_input.grad for node_input in inputs]
    finally:
        for node_input, grad in zip(inputs, saved_inputs):
            node_input.grad = grad
        node.grad = saved_grad
    if len(inputs) == 2 and inputs[0] is inputs[1]:
        return (measured[0] / 2, measured[0] / 2)
    return tuple(measured)


def propagate(walk: Iterator[Value], stopped: Value | None, checked: bool) -> None:
    """backward's general loop over the rest of ``walk``: own ``_backward``s run, anomalies checked.

    ``Value.backward``'s pass (``graph.backward_pass``) stops at a node with
    a backward of its own and hands it over as ``stopped``: its function
    runs, and the pass goes on from the next node. Under ``detect_anomaly``
    (``checked``) every edge is passed on its own, and the loop stops at the
    first non-finite gradient, naming the op, its rule and the numbers.
    """
    if not checked:
        while stopped is not None:
            _run_own_backward(stopped, checked=False)
            stopped = backward_pass(walk)
        return
    for node in walk:
        operation = node._operation
        if type(operation) is not Op:  # a CustomBackward record: its own _backward
            _run_own_backward(node, checked=True)
            continue
        upstream = node.grad
        for position, (node_input, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
            pass_edge(node_input, local_grad, upstream)
            if not math.isfinite(node_input.grad):
                raise FloatingPointError(
                    f"backward through op {operation.name!r} ({operation.rules[position]}) gave gradient "
                    f"{node_input.grad!r} for input {position} "
                    f"(data {node_input.data!r}{', ' + node_input.label if node_input.label else ''}): "
                    f"local derivative {local_grad!r} times upstream {upstream!r}"
                )


def _run_own_backward(node: Value, checked: bool) -> None:
    """Run the ``_backward`` assigned to ``node`` (none assigned: nothing flows back); with ``checked``, refuse inf and nan."""
    function = record_of(node).backward
    if function is not None:
        function()
    if checked:
        for position, node_input in enumerate(node.inputs):
            if not math.isfinite(node_input.grad):
                raise FloatingPointError(
                    f"backward through {node._op or 'a custom node'}'s _backward gave gradient "
                    f"{node_input.grad!r} for input {position} (data {node_input.data!r}"
                    f"{', ' + node_input.label if node_input.label else ''})"
                )
