"""The closing exercise of every notebook: one check for the reader's answer.

Each notebook ends with a cell holding ``answer = ...`` for the reader to fill
in, and a hidden cell that calls :func:`check`::

    from exercise import check
    check(answer, expected, hint="Square each weight before adding.",
          success="Penalty 0.0525.", what="tuple")

``check`` prints "Not answered yet" while ``answer`` is still ``...``, prints
"Correct! <success>" when the answer matches, and otherwise raises
:class:`WrongAnswer` ("Not quite: <answer>. <hint>"). The notebooks' kernel
runs in this folder, so ``import exercise`` finds this file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

__all__ = ["WrongAnswer", "check", "matches"]


class WrongAnswer(AssertionError):
    """The reader's answer is not right; the message says why and gives a hint."""


def matches(answer: object, expected: object, rel_tol: float = 1e-6, abs_tol: float = 1e-12) -> bool:
    """True if ``answer`` equals ``expected``: numbers to ``rel_tol``, sequences element by element."""
    if isinstance(expected, Real) and not isinstance(expected, bool):
        return (isinstance(answer, Real) and not isinstance(answer, bool)
                and math.isclose(float(answer), float(expected), rel_tol=rel_tol, abs_tol=abs_tol))
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        return (isinstance(answer, Sequence) and not isinstance(answer, str)
                and len(answer) == len(expected)
                and all(matches(a, e, rel_tol, abs_tol) for a, e in zip(answer, expected)))
    return answer == expected


def check(answer: object, expected: object, *, hint: str, success: str, what: str = "number",
          rel_tol: float = 1e-6) -> None:
    """Print "Not answered yet" or "Correct! ...", or raise WrongAnswer with the hint.

    ``expected`` is the right answer (numbers compared to ``rel_tol``, tuples and
    lists element by element) or a function ``expected(answer) -> bool``; ``what``
    names the kind of answer in the reminder ("number", "tuple", "(W, b)").
    """
    if answer is ...:
        print(f"Not answered yet: replace ... with your {what}, then run this cell again.")
        return
    if callable(expected):
        try:
            right = bool(expected(answer))
        except (TypeError, ValueError, IndexError, KeyError) as error:
            raise WrongAnswer(f"Not quite: {answer!r} cannot be used ({error}). {hint}") from None
    else:
        right = matches(answer, expected, rel_tol=rel_tol)
    if not right:
        raise WrongAnswer(f"Not quite: {answer!r}. {hint}")
    print(f"Correct! {success}")
