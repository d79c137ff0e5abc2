"""Matplotlib helpers for the command line and the notebooks: loss curves, decision boundaries, fits.

matplotlib (and NumPy, which it brings) is imported only inside these
functions, so ``import nn`` never loads it. Every function draws on the
``ax`` it is given (in a notebook: ``fig, ax = plt.subplots()``) or, with no
``ax``, on a fresh :class:`matplotlib.figure.Figure` that belongs to no
pyplot window -- so the command line needs no display and leaves pyplot's
state alone. :func:`png_bytes` renders a figure with the Agg backend.

Titles, axes and legends are in the current language (``autograd.i18n``;
``with language("zh"):``). For Chinese, text is drawn with a CJK font
(:data:`CJK_FONTS`, the first one installed; ``scripts/setup.sh`` installs
Noto Sans CJK): Latin letters and digits keep matplotlib's DejaVu Sans and
Chinese characters fall back to the CJK font, so no glyph is drawn as a box.
Every function here draws inside :func:`language_font`; wrap your own
matplotlib code in it too (``with plots.language_font(): ...``).
"""

from __future__ import annotations

import contextlib
import functools
import io
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence, TypeVar, Union

from autograd.i18n import Catalogue, current, normalise
from autograd.validation import integer, real
from autograd.viz.text import CJK_FONTS as TEXT_CJK_FONTS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from nn import History

    #: What ``loss_curve`` draws: a History, a dict of lists (``"loss"``, ``"val_loss"``) or a list.
    Losses = Union[History, Mapping[str, Sequence[float]], Iterable[float]]

# Two colours that stay apart for colour-blind readers and in grey print.
CLASS_COLOURS = ("#1f77b4", "#ff7f0e")

_ = Catalogue("app").gettext

#: Fonts with Chinese glyphs, in order of preference: the first installed one draws Chinese
#: (the views' one list; a name here so that a test can take the fonts away).
CJK_FONTS = TEXT_CJK_FONTS

_Function = TypeVar("_Function", bound=Callable[..., Any])


def cjk_font() -> str | None:
    """The family name of the first installed font of :data:`CJK_FONTS` (None when there is none)."""
    from matplotlib import font_manager

    installed = {font.name for font in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def font_family(lang: str | None = None) -> list[str] | None:
    """matplotlib's ``font.family`` for ``lang`` (default: the current language).

    For ``zh``: DejaVu Sans, then the CJK font for the glyphs DejaVu lacks;
    None (matplotlib's own choice) for English or when no CJK font is installed.
    """
    if (normalise(lang) if lang is not None else current()) != "zh":
        return None
    cjk = cjk_font()
    return None if cjk is None else ["DejaVu Sans", cjk]


@contextlib.contextmanager
def language_font(lang: str | None = None) -> Iterator[None]:
    """Inside the block, the text matplotlib creates and draws uses the fonts of ``lang``."""
    family = font_family(lang)
    if family is None:
        yield
        return
    import matplotlib

    with matplotlib.rc_context({"font.family": family}):
        yield


def _in_language_font(function: _Function) -> _Function:
    @functools.wraps(function)
    def drawn(*args: Any, **kwargs: Any) -> Any:
        with language_font():
            return function(*args, **kwargs)

    return drawn  # type: ignore[return-value]


@_in_language_font
def new_axes(ax: "Axes | None" = None, figsize: tuple[float, float] = (5.0, 3.6)) -> tuple["Figure", "Axes"]:
    """``ax`` with its figure, or a fresh pyplot-free figure and axes."""
    if ax is not None:
        return ax.figure, ax  # type: ignore[return-value]
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize, layout="constrained")
    return figure, figure.add_subplot()


@_in_language_font
def png_bytes(figure: "Figure", dpi: int = 100) -> bytes:
    """The figure rendered as PNG by the Agg backend (no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    dpi = integer(dpi, "dpi", minimum=1)
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def _series(history: "Losses", name: str) -> list[float]:
    """A list of numbers from a History (``history.loss``), a dict or a plain sequence."""
    if isinstance(history, dict):
        return [float(v) for v in history.get(name, [])]
    if hasattr(history, name):
        return [float(v) for v in getattr(history, name) or []]
    if name == "loss" and isinstance(history, Iterable):
        return [float(v) for v in history]
    return []


@_in_language_font
def loss_curve(
    history: "Losses",
    *,
    validation: Sequence[float] | None = None,
    ax: "Axes | None" = None,
    title: str | None = None,
    log_scale: bool = False,
    label: str | None = None,
    xlabel: str | None = None,
) -> "Figure":
    """The loss per epoch; ``history`` is a ``History``, a dict with ``"loss"`` or a list.

    A held-out curve is drawn too when ``validation`` is given (or the
    history has ``val_loss``). ``title``, ``label`` and ``xlabel`` default to
    "Training loss", "training" and "epoch" in the current language.
    """
    figure, ax = new_axes(ax)
    labelled = label not in (None, "training")
    title = _("Training loss") if title is None else title
    label = _("training") if label is None else label
    xlabel = _("epoch") if xlabel is None else xlabel
    losses = _series(history, "loss")
    held_out = list(validation) if validation is not None else _series(history, "val_loss")
    epochs = range(1, len(losses) + 1)
    ax.plot(epochs, losses, color=CLASS_COLOURS[0], label=label)
    if held_out:
        ax.plot(range(1, len(held_out) + 1), held_out, color=CLASS_COLOURS[1], label=_("held out"))
    if held_out or labelled:
        ax.legend()
    if log_scale and losses and min(losses) > 0:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(_("loss"))
    ax.set_title(title)
    ax.grid(alpha=0.3)
    return figure


@_in_language_font
def decision_boundary(
    predict: Callable[[Sequence[Sequence[float]]], Sequence[float]],
    X: Sequence[Sequence[float]],
    y: Sequence[float],
    *,
    ax: "Axes | None" = None,
    resolution: int = 60,
    threshold: float = 0.0,
    title: str | None = None,
    margin: float = 0.5,
) -> "Figure":
    """The plane coloured by the model's score, its ``threshold`` contour, and the points.

    ``predict`` maps a list of 2-D points to one score per point (a logit,
    a probability -- then pass ``threshold=0.5`` -- or a margin); the
    classes in ``y`` are told apart by ``y > threshold`` after mapping -1 to 0.
    """
    import numpy as np

    resolution = integer(resolution, "resolution", minimum=2)
    threshold = real(threshold, "threshold")
    margin = real(margin, "margin", low=0.0)
    figure, ax = new_axes(ax, figsize=(4.6, 4.0))
    points = np.asarray(X, dtype=float)
    labels = np.asarray(y, dtype=float).reshape(-1)
    x_min, y_min = points.min(axis=0) - margin
    x_max, y_max = points.max(axis=0) + margin
    xs = np.linspace(x_min, x_max, resolution)
    ys = np.linspace(y_min, y_max, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    scores = np.asarray(predict(grid.tolist()), dtype=float).reshape(grid_x.shape)
    low, high = float(scores.min()), float(scores.max())
    if low < threshold < high:
        ax.contourf(grid_x, grid_y, scores, levels=[low - 1.0, threshold, high + 1.0],
                    colors=[CLASS_COLOURS[0], CLASS_COLOURS[1]], alpha=0.25)
        ax.contour(grid_x, grid_y, scores, levels=[threshold], colors="k", linewidths=1.0)
    else:  # one class everywhere
        ax.set_facecolor(CLASS_COLOURS[int(low > threshold)] + "40")
    is_positive = labels > (0.5 if labels.min() >= 0 else 0.0)
    for klass, colour, marker in ((False, CLASS_COLOURS[0], "o"), (True, CLASS_COLOURS[1], "s")):
        chosen = points[is_positive == klass]
        ax.scatter(chosen[:, 0], chosen[:, 1], s=18, c=colour, marker=marker,
                   edgecolors="k", linewidths=0.4, label=_("class {number}").format(number=int(klass)))
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(_("Decision boundary") if title is None else title)
    return figure


@_in_language_font
def predictions_vs_targets(
    targets: Sequence[float],
    predictions: Sequence[float],
    *,
    ax: "Axes | None" = None,
    title: str | None = None,
) -> "Figure":
    """Regression: each target against the model's prediction, beside the line of perfect fit."""
    if len(targets) != len(predictions) or not targets:
        raise ValueError(f"targets and predictions must be two lists of one length, "
                         f"got {len(targets)} and {len(predictions)}")
    figure, ax = new_axes(ax, figsize=(4.2, 4.0))
    values = [*targets, *predictions]
    low, high = min(values), max(values)
    ax.plot([low, high], [low, high], color="0.6", linewidth=1, label=_("perfect"))
    ax.scatter(targets, predictions, color=CLASS_COLOURS[0], edgecolors="k", linewidths=0.4, zorder=3)
    ax.set_xlabel(_("target"))
    ax.set_ylabel(_("prediction"))
    ax.set_title(_("Predictions") if title is None else title)
    ax.legend()
    return figure
