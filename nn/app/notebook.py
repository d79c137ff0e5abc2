"""What the teaching notebooks import: their language, the closing exercise's check, live sliders.

Every notebook, English or Chinese, starts with::

    from nn.app.notebook import check, live, setup
    setup("zh")  # the Chinese edition; English is the default

``setup`` chooses the language of the check's messages and, for Chinese,
draws matplotlib's text with a CJK font (the first installed one of the
one font list, ``autograd.viz.text.CJK_FONTS``), so a label is never
a row of boxes. Both editions use this one module: nothing is found through
the kernel's working directory.

``check`` ends each notebook: it shows one short message and never raises.
"Not answered yet" while ``answer`` is still ``...``; "Correct! <success>"
when the answer matches; otherwise "Not quite: you answered <answer>. Asked
for: <asked>. Hint: <hint>". In a notebook the message is a coloured box (a
red traceback would show the hidden checking code and read like a crash);
elsewhere it is printed. Numbers are compared to a relative tolerance of
5e-3: an answer worked out by hand to 3-4 significant figures (0.04 x 0.7864)
is right. Whole numbers (counts) must match exactly.

``live`` shows ipywidgets controls and one matplotlib figure that is redrawn
in place when a control moves. Without a front end (the tests, ``jupyter
nbconvert --execute``) only the first drawing happens, so every notebook runs
top to bottom and a static copy shows that figure.
"""

from __future__ import annotations

import html
import math
import sys
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Callable

from autograd.i18n import normalise

from .plots import cjk_font

__all__ = ["MESSAGES", "REL_TOL", "check", "live", "matches", "message", "setup"]

#: Hand arithmetic to 3-4 significant figures is accepted (0.04 x 0.7864 for 0.0314579).
REL_TOL = 5e-3

#: What :func:`check` says, in each language the notebooks are written in.
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
#: The kind of answer ``check`` asks for when the notebook names none.
DEFAULT_WHAT = {"en": "number", "zh": "数字"}

# The box each kind of message is shown in: (border, background).
_COLOURS = {"unanswered": ("#8a8a8a", "#f4f4f4"), "correct": ("#2e7d32", "#e8f5e9"),
            "wrong": ("#c62828", "#fdecea"), "unusable": ("#c62828", "#fdecea")}

# The notebook's language, set by setup(): a kernel runs one notebook.
_notebook = {"lang": "en"}


def setup(lang: str = "en") -> str | None:
    """Make this kernel's notebook speak ``lang``: the check's messages, and for ``zh`` a CJK font in plots.

    Returns the CJK font's name for ``zh`` (None when no CJK font is
    installed: a warning says the Chinese in plots will show as boxes), and
    None for English.
    """
    lang = normalise(lang)
    _notebook["lang"] = lang
    return _use_cjk_font() if lang == "zh" else None


def _use_cjk_font() -> str | None:
    """Put the first installed CJK font (``nn.app.plots.cjk_font``) first in matplotlib's sans-serif list."""
    import matplotlib

    font = cjk_font()
    if font is None:
        warnings.warn("没有找到中文字体（例如 Noto Sans CJK SC）：图中的汉字会显示成方框。", stacklevel=3)
        return None
    rest = [name for name in matplotlib.rcParams["font.sans-serif"] if name != font]
    matplotlib.rcParams["font.family"] = ["sans-serif"]
    matplotlib.rcParams["font.sans-serif"] = [font, "DejaVu Sans", *rest]
    # A plain hyphen for the minus sign: every font has that glyph.
    matplotlib.rcParams["axes.unicode_minus"] = False
    return font


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
    lang = normalise(lang)
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
          what: str | None = None, rel_tol: float = REL_TOL, lang: str | None = None) -> None:
    """Show "Not answered yet", "Correct! ..." or "Not quite ..." with what was asked and a hint.

    ``expected`` is the right answer (numbers compared to ``rel_tol``, whole numbers
    exactly, tuples and lists element by element) or a function
    ``expected(answer) -> bool``; ``asked`` says in words what the answer should be;
    ``what`` names the kind of answer ("number", "tuple", "(W, b)"); ``lang`` is the
    language of the messages (default: the one ``setup`` chose). Never raises for a wrong answer.
    """
    lang = _notebook["lang"] if lang is None else normalise(lang)
    what = DEFAULT_WHAT[lang] if what is None else what
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


def _figure_shown(result: Any) -> Any:
    """The figure as a picture, closed so that pyplot does not show it a second time."""
    from matplotlib.figure import Figure

    if isinstance(result, Figure):
        import matplotlib.pyplot as plt

        plt.close(result)
    return result


def live(function: Callable[..., Any], **controls: Any) -> None:
    """Show ``controls`` and ``function(**their values)``; redraw whenever a control moves.

    Each keyword names an argument of ``function`` and gives its ipywidgets
    control (a slider, a dropdown ...).
    """
    for name, control in controls.items():
        if not hasattr(control, "observe") or not hasattr(control, "value"):
            raise TypeError(f"control {name!r}: expected an ipywidgets control, got {type(control).__name__}")
    import ipywidgets
    from IPython.display import display

    for control in controls.values():
        if hasattr(control, "style") and hasattr(control.style, "description_width"):
            control.style.description_width = "initial"  # show the whole description
        if hasattr(control, "continuous_update"):
            control.continuous_update = False  # redraw when the slider is let go, not at every pixel

    def settings() -> dict[str, Any]:
        return {name: control.value for name, control in controls.items()}

    display(ipywidgets.VBox(list(controls.values())))
    handle = display(_figure_shown(function(**settings())), display_id=True)

    def redraw(change: Any = None) -> None:
        handle.update(_figure_shown(function(**settings())))

    for control in controls.values():
        control.observe(redraw, names="value")
