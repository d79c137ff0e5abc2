"""Functions of Values that hold no parameters: activations by name, sums, softmax.

Every result is built from ``autograd`` Values, so it can be drawn and its
backward stepped node by node.
"""

from __future__ import annotations

import contextlib
import math
import numbers
import threading
from collections.abc import Mapping, MappingView, Set
from typing import Any, Callable, ContextManager, Iterable, Sequence, TypeGuard, Union

from autograd import Value
from autograd.validation import choice

try:
    from autograd import row as _row
except ImportError:  # until autograd/__init__.py re-exports it (phase 2): the engine's own module
    from autograd.modes import row as _row

Scalar = Union[Value, int, float]

#: The default negative slope of ``leaky_relu`` (PyTorch's default too).
LEAKY_RELU_SLOPE = 0.01


def _identity(x: Value) -> Value:
    """The linear activation: x itself, no node."""
    return x


def _leaky_relu(x: Value) -> Value:
    """max(x, 0.01 x): one node."""
    return x.leaky_relu(LEAKY_RELU_SLOPE)


#: Each activation by name; each (but linear, which adds nothing) is one graph node.
ACTIVATIONS: dict[str, Callable[[Value], Value]] = {
    "relu": Value.relu,
    "leaky_relu": _leaky_relu,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "linear": _identity,
}


def activation(name: str, what: str = "activation") -> Callable[[Value], Value]:
    """The activation function called ``name`` (one of ``ACTIVATIONS``); ``what`` names the argument."""
    return ACTIVATIONS[choice(name, what, ACTIVATIONS)]


_NO_ROW = contextlib.nullcontext()

# One row block per row number and thread, entered again and again: a network
# enters one per neuron per sample, thousands per training step. (A block may
# be re-entered, also inside itself; it is never shared between threads.)
_row_blocks = threading.local()


def in_row(k: int | None) -> ContextManager[object]:
    """Context manager: nodes built inside belong to row ``k`` of a batch (1-based; None: no row)."""
    if k is None:
        return _NO_ROW
    blocks = getattr(_row_blocks, "by_row", None)
    if blocks is None:
        blocks = _row_blocks.by_row = {}
    block = blocks.get(k)
    if block is None:
        block = blocks[k] = _row(k)
    return block


def is_list_like(x: object) -> TypeGuard[Sequence[Any]]:
    """True for lists, tuples, NumPy arrays and the like; False for strings, dicts and Values.

    To a type checker, True makes ``x`` a sequence of items not yet checked (``Any``).
    """
    if isinstance(x, (str, bytes, dict, Value)):
        return False
    return hasattr(x, "__len__") and hasattr(x, "__getitem__")


def check_ordered(x: object, what: str) -> None:
    """Refuse a set, frozenset, dict or dict view where an ordered sequence is expected.

    A set iterates in an order that follows hashes and ``id()`` (so it can
    change from run to run), and a dict iterates over its keys: either way the
    items would not be taken in the order the caller meant.
    """
    if isinstance(x, (Set, Mapping, MappingView)):
        why = (
            "a set iterates in hash order, not the order you wrote"
            if isinstance(x, Set) and not isinstance(x, MappingView)
            else "pass a list of the items in the order you mean"
        )
        raise TypeError(f"{what} must be an ordered sequence such as a list or tuple, not {type(x).__name__}: {why}")


def as_value(x: Scalar, what: str = "input") -> Value:
    """``x`` itself if it is a Value, else a new leaf holding the number."""
    if type(x) is Value:
        return x
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{what} must be a number or a Value, got {type(x).__name__} ({x!r})")
    return Value(float(x))


def total(values: Iterable[Scalar]) -> Value:
    """v1 + v2 + ... + vn, starting from the first term (no constant 0 node)."""
    check_ordered(values, "the values to sum")
    iterator = iter(values)
    try:
        result = next(iterator)
    except StopIteration:
        raise ValueError("cannot sum an empty sequence of values") from None
    result = as_value(result)
    for value in iterator:
        result = result + value
    return result


def mean(values: Sequence[Scalar]) -> Value:
    """(v1 + ... + vn) / n; the mean of one value is that value (no ``/ 1`` node)."""
    check_ordered(values, "the values to average")
    if len(values) == 0:
        raise ValueError("cannot average an empty sequence of values")
    summed = total(values)
    return summed if len(values) == 1 else summed / len(values)


def _logits(logits: Sequence[Scalar]) -> tuple[list[Value], float]:
    """The logits as Values, and their largest value as a plain float."""
    if not is_list_like(logits):
        raise TypeError(f"softmax needs a list of logits, got {type(logits).__name__}")
    if len(logits) == 0:
        raise ValueError("softmax needs a non-empty list of logits")
    values = [as_value(z, f"logit {i}") for i, z in enumerate(logits)]
    largest = max(v.data for v in values)
    if math.isnan(largest) or largest == math.inf:
        return values, 0.0  # nothing to gain by shifting; let nan / inf show
    return values, largest


def softmax(logits: Sequence[Scalar]) -> list[Value]:
    """p_i = exp(z_i - m) / sum_j exp(z_j - m), with m = max z (a constant).

    Shifting by the largest logit changes nothing mathematically (softmax is
    shift-invariant, so m gets no gradient) but keeps every exp <= 1: logits
    of +-1000 give finite probabilities and gradients.
    """
    values, largest = _logits(logits)
    exps = [(z - largest).exp() for z in values]
    denominator = total(exps)
    return [e / denominator for e in exps]


def log_softmax(logits: Sequence[Scalar]) -> list[Value]:
    """log p_i = (z_i - m) - log(sum_j exp(z_j - m)), with m = max z (a constant)."""
    values, largest = _logits(logits)
    shifted = [z - largest for z in values]
    log_denominator = total(s.exp() for s in shifted).log()
    return [s - log_denominator for s in shifted]
