"""Checking backward's gradients against central differences."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence, Union

from .modes import no_grad
from .validation import real
from .value import Value

Input = Union[Value, int, float]

# The one definition of gradcheck's defaults: the step of the central
# difference and the tolerances (``autograd.viz``'s checks use them too).
EPS = 1e-6
ATOL = 1e-5
RTOL = 1e-3


class GradcheckError(AssertionError):
    """Backward's gradient and the numerical one disagree beyond the tolerance."""


@dataclass(frozen=True)
class GradcheckResult:
    """The comparison for every input, and the worst mismatch among them."""

    analytic: tuple[float, ...]
    numeric: tuple[float, ...]
    worst_index: int
    worst_error: float

    def __str__(self) -> str:
        i = self.worst_index
        return (
            f"worst mismatch at input {i}: backward {self.analytic[i]!r}, "
            f"central difference {self.numeric[i]!r}, error {self.worst_error:.3g}"
        )


def central_difference(f: Callable[..., Value], point: Sequence[float], index: int, eps: float) -> float:
    """(f(x + eps) - f(x - eps)) / (2 eps) along input ``index``, built without a graph."""
    def at(shift: float) -> float:
        shifted = [Value(x + shift if i == index else x) for i, x in enumerate(point)]
        with no_grad():
            return _output_of(f, shifted).data

    return (at(eps) - at(-eps)) / (2.0 * eps)


def _output_of(f: Callable[..., Value], inputs: list[Value]) -> Value:
    out = f(*inputs)
    if not isinstance(out, Value):
        raise TypeError(f"gradcheck: f must return a Value, got {type(out).__name__}")
    return out


def gradcheck(
    f: Callable[..., Value],
    inputs: Sequence[Input],
    eps: float = EPS,
    atol: float = ATOL,
    rtol: float = RTOL,
    raise_on_failure: bool = True,
) -> GradcheckResult:
    """Compare backward's d f(*inputs)/d input with central differences.

    The error per input is ``|analytic - numeric| / (atol + rtol*|numeric|)``;
    a worst error above 1 fails (GradcheckError, unless ``raise_on_failure``
    is False). The given inputs and their grads are left untouched: f is
    evaluated on fresh copies.
    """
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    eps = real(eps, "gradcheck's eps", low=0.0, low_open=True)
    atol = real(atol, "gradcheck's atol", low=0.0)
    rtol = real(rtol, "gradcheck's rtol", low=0.0)
    if atol == 0.0 and rtol == 0.0:
        raise ValueError("gradcheck's atol and rtol cannot both be 0: no mismatch could pass")
    point = [
        real(x.data if isinstance(x, Value) else x, f"gradcheck input {i}", finite=False, nan=True)
        for i, x in enumerate(inputs)
    ]
    leaves = [
        Value(x, label=given.label if isinstance(given, Value) else f"x{i}")
        for i, (x, given) in enumerate(zip(point, inputs))
    ]
    _output_of(f, leaves).backward()
    analytic = tuple(leaf.grad for leaf in leaves)
    numeric = tuple(central_difference(f, point, i, eps) for i in range(len(point)))
    errors = [_scaled_error(a, n, atol, rtol) for a, n in zip(analytic, numeric)]
    worst = max(range(len(errors)), key=lambda i: errors[i])
    result = GradcheckResult(analytic, numeric, worst, errors[worst])
    if raise_on_failure and not result.worst_error <= 1.0:
        raise GradcheckError(f"gradcheck failed: {result} (atol={atol}, rtol={rtol})")
    return result


def _scaled_error(analytic: float, numeric: float, atol: float, rtol: float) -> float:
    """|analytic - numeric| / (atol + rtol*|numeric|): above 1 is a mismatch (also for ``autograd.viz``)."""
    if analytic == numeric:  # also equal infinities
        return 0.0
    if math.isnan(analytic) or math.isnan(numeric):
        return math.inf
    return abs(analytic - numeric) / (atol + rtol * abs(numeric))
