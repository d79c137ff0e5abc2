"""The closing exercise of every notebook: one check for the reader's answer.

Each notebook ends with a cell holding ``answer = ...`` for the reader to fill
in, and a hidden cell that calls :func:`check`::

    from exercise import check
    check(answer, expected, asked="the penalty and the gradient of the weight 2.0",
          hint="Square each weight before adding.", success="Penalty 0.0525.", what="tuple")

``check`` shows one short message and never raises: "Not answered yet" while
``answer`` is still ``...``; "Correct! <success>" when the answer matches;
otherwise "Not quite: you answered <answer>. Asked for: <asked>. Hint: <hint>".
In a notebook the message is a coloured box (a red traceback would show the
hidden checking code and read like a crash); elsewhere it is printed.
``lang="zh"`` says it in Chinese (``zh/exercise.py`` passes it for the Chinese
edition). The notebooks' kernel runs in this folder, so ``import exercise``
finds this file.

Numbers are compared to a relative tolerance of 5e-3 by default: an answer
worked out by hand to 3-4 significant figures (0.04 x 0.7864) is right.
Whole numbers (counts) must match exactly.
"""

from __future__ import annotations

import html
import math
import sys
from collections.abc import Sequence
from numbers import Integral, Real

__all__ = ["MESSAGES", "REL_TOL", "check", "matches", "message"]

#: Hand arithmetic to 3-4 significant figures is accepted (0.04 x 0.7864 for 0.0314579).
REL_TOL = 5e-3


def matches(answer: object, expected: object, rel_tol: float = REL_TOL, abs_tol: float = 1e-12) -> bool:
    """True if ``answer`` equals ``expected``: whole numbers exactly, other numbers to ``rel_tol``,
    sequences element by element."""
    if isinstance(expected, Real) and not isinstance(expected, bool):
        if not isinstance(answer, Real) or isinstance(answer, bool):
            return False
        if isinstance(expected, Integral):  # a count: 390 is not 391, however close
            return float(answer) == float(expected)
        return math.isclose(float(answer), float(expected), rel_tol=rel_tol, abs_tol=abs_tol)
    if isinstance(expected, Sequence) and not isinstance(expected, str):
        return (isinstance(answer, Sequence) and not isinstance(answer, str)
                and len(answer) == len(expected)
                and all(matches(a, e, rel_tol, abs_tol) for a, e in zip(answer, expected)))
    return answer == expected


#: What :func:`check` says, in each language the notebooks are written in (``lang``).
MESSAGES = {
    "en": {
        "unanswered": "Not answered yet: replace ... with your {what}, then run this cell again.",
        "unusable": "Not quite: {answer} cannot be used as {what_article} {what}. Asked for: {asked}. Hint: {hint}",
        "wrong": "Not quite: you answered {answer}. Asked for: {asked}. Hint: {hint}",
        "correct": "Correct! {success}",
    },
    "zh": {
        "unanswered": "还没有作答：把 ... 换成你的{what}，然后再运行这个单元格。",
        "unusable": "还差一点：{answer} 不能当作{what}来用。要求的是：{asked}。提示：{hint}",
        "wrong": "还差一点：你的答案是 {answer}。要求的是：{asked}。提示：{hint}",
        "correct": "正确！{success}",
    },
}

# The box each kind of message is shown in: (border, background).
_COLOURS = {"unanswered": ("#8a8a8a", "#f4f4f4"), "correct": ("#2e7d32", "#e8f5e9"),
            "wrong": ("#c62828", "#fdecea"), "unusable": ("#c62828", "#fdecea")}


def _shown(answer: object) -> str:
    """The answer as a student would write it: numbers to 6 significant figures, no repr quirks."""
    if isinstance(answer, float):
        return f"{answer:.6g}"
    if isinstance(answer, (tuple, list)):
        inner = ", ".join(_shown(item) for item in answer)
        return f"({inner})" if isinstance(answer, tuple) else f"[{inner}]"
    return repr(answer) if isinstance(answer, str) else str(answer)


def message(kind: str, lang: str = "en", **fields: str) -> str:
    """The text of one message (``kind`` one of ``MESSAGES[lang]``), its sentences ending cleanly."""
    if lang not in MESSAGES:
        raise ValueError(f"lang: expected one of {sorted(MESSAGES)}, got {lang!r}")
    if kind == "unusable" and lang == "en":
        fields["what_article"] = "an" if fields.get("what", "")[:1].lower() in "aeiou" else "a"
    if "asked" in fields:  # the template ends the sentence
        fields["asked"] = fields["asked"].rstrip(".。 ")
    return MESSAGES[lang][kind].format(**fields)


class _Box:
    """A message for Jupyter: a coloured box as HTML, the plain text for any other front end."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind, self.text = kind, text

    def _repr_html_(self) -> str:
        border, background = _COLOURS[self.kind]
        return (f'<div style="border-left: 4px solid {border}; background: {background}; color: #1a1a1a; '
                f'padding: 6px 10px; margin: 4px 0; font-family: sans-serif;">{html.escape(self.text)}</div>')

    def __repr__(self) -> str:
        return self.text


def _show(kind: str, text: str) -> None:
    """Display the message as a box in a notebook, print it elsewhere."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None and getattr(shell, "kernel", None) is not None:
        from IPython.display import display

        display(_Box(kind, text))
    else:
        print(text)


def check(answer: object, expected: object, *, hint: str, success: str, asked: str = "",
          what: str = "number", rel_tol: float = REL_TOL, lang: str = "en") -> None:
    """Show "Not answered yet", "Correct! ..." or "Not quite ..." with what was asked and a hint.

    ``expected`` is the right answer (numbers compared to ``rel_tol``, whole numbers
    exactly, tuples and lists element by element) or a function
    ``expected(answer) -> bool``; ``asked`` says in words what the answer should be;
    ``what`` names the kind of answer ("number", "tuple", "(W, b)"); ``lang`` picks the
    language of the messages (one of ``MESSAGES``). Never raises for a wrong answer.
    """
    if lang not in MESSAGES:
        raise ValueError(f"lang: expected one of {sorted(MESSAGES)}, got {lang!r}")
    asked = asked or what
    if answer is ...:
        _show("unanswered", message("unanswered", lang, what=what))
        return
    if callable(expected):
        try:
            right = bool(expected(answer))
        except (TypeError, ValueError, IndexError, KeyError):
            _show("unusable", message("unusable", lang, answer=_shown(answer), what=what, asked=asked, hint=hint))
            return
    else:
        right = matches(answer, expected, rel_tol=rel_tol)
    if not right:
        _show("wrong", message("wrong", lang, answer=_shown(answer), asked=asked, hint=hint))
        return
    _show("correct", message("correct", lang, success=success))
