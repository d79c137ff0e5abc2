"""The closing exercise of every notebook: one check for the reader's answer.

Each notebook ends with a cell holding ``answer = ...`` for the reader to fill
in, and a hidden cell that calls :func:`check`::

    from exercise import check
    check(answer, expected, hint="Square each weight before adding.",
          success="Penalty 0.0525.", what="tuple")

``check`` prints "Not answered yet" while ``answer`` is still ``...``, prints
"Correct! <success>" when the answer matches, and otherwise raises
:class:`WrongAnswer` ("Not quite: <answer>. <hint>"); ``lang="zh"`` says it in
Chinese (``zh/exercise.py`` passes it for the Chinese edition). The notebooks'
kernel runs in this folder, so ``import exercise`` finds this file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Real

__all__ = ["MESSAGES", "WrongAnswer", "check", "matches"]


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


#: What :func:`check` says, in each language the notebooks are written in (``lang``).
MESSAGES = {
    "en": {
        "unanswered": "Not answered yet: replace ... with your {what}, then run this cell again.",
        "unusable": "Not quite: {answer!r} cannot be used ({error}). {hint}",
        "wrong": "Not quite: {answer!r}. {hint}",
        "correct": "Correct! {success}",
    },
    "zh": {
        "unanswered": "还没有作答：把 ... 换成你的{what}，然后再运行这个单元格。",
        "unusable": "还差一点：{answer!r} 无法使用（{error}）。{hint}",
        "wrong": "还差一点：{answer!r}。{hint}",
        "correct": "正确！{success}",
    },
}


def check(answer: object, expected: object, *, hint: str, success: str, what: str = "number",
          rel_tol: float = 1e-6, lang: str = "en") -> None:
    """Print "Not answered yet" or "Correct! ...", or raise WrongAnswer with the hint.

    ``expected`` is the right answer (numbers compared to ``rel_tol``, tuples and
    lists element by element) or a function ``expected(answer) -> bool``; ``what``
    names the kind of answer in the reminder ("number", "tuple", "(W, b)");
    ``lang`` picks the language of the messages (one of ``MESSAGES``).
    """
    messages = MESSAGES[lang]
    if answer is ...:
        print(messages["unanswered"].format(what=what))
        return
    if callable(expected):
        try:
            right = bool(expected(answer))
        except (TypeError, ValueError, IndexError, KeyError) as error:
            raise WrongAnswer(messages["unusable"].format(answer=answer, error=error, hint=hint)) from None
    else:
        right = matches(answer, expected, rel_tol=rel_tol)
    if not right:
        raise WrongAnswer(messages["wrong"].format(answer=answer, hint=hint))
    print(messages["correct"].format(success=success))
