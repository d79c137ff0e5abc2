"""Checking arguments, with one rule for every layer of tracegrad.

Wrong type -> ``TypeError``; right type but a bad value -> ``ValueError``.
Each message names the argument and shows what was given, e.g.
``lr must be a finite number >= 0, got -0.1``. ``bool`` is never taken for
a number (``True`` is an int to Python, never to a student).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Collection
from typing import TypeGuard, TypeVar, overload

T = TypeVar("T")
U = TypeVar("U")


def _type_name(value: object) -> str:
    return type(value).__name__


def _given(value: object) -> str:
    """``repr(value)``, shortened when long (a 400-digit int shows its first digits and its length)."""
    text = repr(value)
    if len(text) <= 40:
        return text
    if isinstance(value, int):
        return f"{text[:8]}...({len(text.lstrip('-'))} digits)"
    return f"{text[:37]}..."


def is_real(value: object) -> TypeGuard[float]:
    """True for an int, float or NumPy scalar that is a number; False for bool.

    To a type checker, True makes ``value`` a float (which stands for any real number).
    """
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and _type_name(value) != "bool_"


def _bounds_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        return f"in {'(' if low_open else '['}{_shown(low)}, {_shown(high)}{')' if high_open else ']'}"
    if low is not None:
        return f"{'>' if low_open else '>='} {_shown(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {_shown(high)}"
    return ""


def _shown(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else repr(bound)


def real(value: object, name: str, *, low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False, finite: bool = True,
         nan: bool = False) -> float:
    """``value`` as a float: a real number (TypeError otherwise), finite and within the bounds (ValueError).

    ``low_open``/``high_open`` exclude the bound itself; ``finite=False``
    also accepts +-inf, and ``nan=True`` nan (which no bound then refuses).
    """
    if not is_real(value):
        raise TypeError(f"{name} must be a real number, got {_type_name(value)} ({_given(value)})")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(
            f"{name} is too large for a float (the largest is about 1.8e308), got {_given(value)}"
        ) from None
    if nan and math.isnan(number):
        return number
    in_range = (low is None or (number > low if low_open else number >= low)) and (
        high is None or (number < high if high_open else number <= high)
    )
    if (finite and not math.isfinite(number)) or not in_range or math.isnan(number):
        kind = "a finite number" if finite else "a number"
        bounds = _bounds_text(low, high, low_open, high_open)
        raise ValueError(f"{name} must be {kind}{' ' + bounds if bounds else ''}, got {_given(value)}")
    return number


def integer(value: object, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int (TypeError for anything else, bool included), within the bounds (ValueError)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {_type_name(value)} ({_given(value)})")
    number = int(value)
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        bounds = _bounds_text(minimum, maximum, False, False)
        raise ValueError(f"{name} must be an int {bounds}, got {_given(value)}")
    return number


def choice(value: object, name: str, choices: Collection[str]) -> str:
    """``value`` if it is one of ``choices`` (TypeError for a non-str, ValueError naming the choices)."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, one of {', '.join(choices)}; got {_type_name(value)}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


@overload
def instance(value: object, name: str, kind: type[T]) -> T: ...


@overload
def instance(value: object, name: str, kind: tuple[type[T], type[U]]) -> T | U: ...


@overload
def instance(value: object, name: str, kind: tuple[type, ...]) -> object: ...


def instance(value: object, name: str, kind: type | tuple[type, ...]) -> object:
    """``value`` if it is an instance of ``kind``, else a TypeError naming both types."""
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        wanted = " or ".join(k.__name__ for k in kinds)
        raise TypeError(f"{name} must be {wanted}, got {_type_name(value)}")
    return value


def path_like(value: object, name: str) -> str | os.PathLike[str]:
    """``value`` if it names a file (a str or an ``os.PathLike``), else a TypeError as ``instance`` words it."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be str or PathLike, got {_type_name(value)}")
    return value
