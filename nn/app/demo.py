"""The walkthrough of the ice-cream article, as ``tracegrad demo`` runs it.

A shop predicts its daily ice-cream sales (thousands) from the temperature
and the day of the week with a tiny network: 2 inputs -> 2 ReLU neurons ->
1 ReLU neuron, 9 parameters in all (``nn.icecream_network``). The story,
told with the engine's own numbers:

1. every parameter has its trained value except the output bias, set to 0:
   forward the 10 rows, measure the mean squared error (MSE, 均方误差);
2. brute force: try the bias at 0, 0.1, ..., 0.5 and keep the best;
3. gradient descent (梯度下降) on that bias: each step's derivative by the
   chain rule (链式法则), checked against the engine's backward;
4. the bias and one weight together: a bowl-shaped surface, descended;
5. all 9 parameters at once.

The functions here are reused by the ice-cream notebook (``notebooks/05_icecream``);
:func:`run_demo` renders every file in memory and returns them (the command
line writes them atomically). The story, the plots and the page are told in
the current language (``autograd.i18n``: ``tracegrad demo --lang zh``).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from autograd import Value, no_grad
from autograd.i18n import N_, Catalogue
from autograd.validation import instance, integer, real
from nn import MLP, SGD, History, data, icecream_network, mse_loss, network_picture

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_ = Catalogue("app").gettext

#: The parameter the first part of the story searches for: the output neuron's bias.
OUTPUT_BIAS = "L2.N1.b"
#: The weight the fourth part adds: the second input into the output neuron.
OUTPUT_WEIGHT = "L2.N1.w2"
#: The article's first guesses for the bias.
BRUTE_FORCE_BIASES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: Marked with N_, translated where they are shown.
WEEKDAYS = ("", N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
#: The learning rate of gradient descent on the bias (step 3), and of the stepper page's update.
BIAS_LR = 0.1
#: The files :func:`run_demo` renders, by name.
OUTPUT_FILES = ("icecream_graph.svg", "icecream_stepper.html", "mse_vs_bias.png", "bias_and_weight.png",
                "all_nine_loss.png", "walkthrough.txt")
#: Those that need Graphviz's ``dot`` (the graph and the stepper page's pictures); the rest need none.
GRAPHVIZ_FILES = ("icecream_graph.svg", "icecream_stepper.html")


def icecream_model(**overrides: float) -> MLP:
    """The article's network with its trained values, some replaced: ``icecream_model(**{"L2.N1.b": 0})``."""
    model = icecream_network()
    if overrides:
        state = model.state_dict()
        unknown = sorted(set(overrides) - set(state))
        if unknown:
            raise ValueError(f"no parameter named {unknown[0]!r}; the names are {', '.join(state)}")
        state.update({name: real(value, name) for name, value in overrides.items()})
        model.load_state_dict(state)
    return model


def parameter(model: MLP, name: str) -> Value:
    """The parameter called ``name`` (``"L2.N1.b"``) of ``model``."""
    parameters = dict(model.named_parameters())
    if instance(name, "name", str) not in parameters:
        raise ValueError(f"no parameter named {name!r}; the names are {', '.join(parameters)}")
    return parameters[name]


def mse(model: MLP, X: Sequence[Sequence[float]] | None = None, y: Sequence[float] | None = None) -> Value:
    """The MSE of ``model`` on the ice-cream table (or on X, y): a Value with its whole graph.

    On the table, the input leaves carry its column names (temperature, weekday)."""
    if X is None or y is None:
        table = data.icecream()
        return mse_loss(model.forward_batch(table.X, input_names=table.feature_names), table.y)
    return mse_loss(model.forward_batch(X), y)


def mse_at(**values: float) -> float:
    """The MSE (a float) with the given parameters replaced: ``mse_at(**{"L2.N1.b": 0.3})``."""
    with no_grad():
        return mse(icecream_model(**values)).data


@dataclass(frozen=True)
class RowTerm:
    """One row's share of dMSE/db: (2/n)(prediction - sales) x relu'(z) x dz/db."""

    row: int
    z: float
    prediction: float
    sales: float
    error_factor: float  # dMSE/d(prediction) = 2/n (prediction - sales)
    relu_slope: float  # d(prediction)/dz = 1 if z > 0 else 0
    term: float  # their product times dz/db = 1


@dataclass(frozen=True)
class BiasStep:
    """One step of gradient descent on the output bias."""

    step: int
    bias: float
    mse: float
    grad: float  # dMSE/db, from the engine's backward
    step_size: float  # learning rate x grad
    terms: tuple[RowTerm, ...]  # the chain rule, row by row: they add up to grad


def bias_gradient(bias: float) -> BiasStep:
    """MSE and dMSE/db at this output bias, with each row's chain-rule term."""
    bias = real(bias, "bias")
    table = data.icecream()
    X, y = table
    model = icecream_model(**{OUTPUT_BIAS: bias})
    bias_node = parameter(model, OUTPUT_BIAS)
    predictions = model.forward_batch(X, input_names=table.feature_names)
    loss = mse_loss(predictions, y)
    loss.backward()
    n = len(X)
    terms = []
    for row, (prediction, sales) in enumerate(zip(predictions, y), start=1):
        z = prediction.inputs[0] if prediction.inputs else prediction  # relu's input
        error_factor = 2.0 / n * (prediction.data - sales)
        slope = 1.0 if z.data > 0 else 0.0
        terms.append(RowTerm(row, z.data, prediction.data, sales, error_factor, slope, error_factor * slope))
    return BiasStep(0, bias, loss.data, bias_node.grad, 0.0, tuple(terms))


def descend_output_bias(start: float = 0.0, lr: float = 0.1, tolerance: float = 1e-4,
                        max_steps: int = 200) -> list[BiasStep]:
    """Gradient descent on the output bias: b <- b - lr * dMSE/db until the step is below ``tolerance``.

    Entry k holds the bias before step k+1 and the step taken from it; the
    last entry is where descent stopped (its step size is the one too small
    to bother taking).
    """
    bias = real(start, "start")
    lr = real(lr, "lr", low=0.0)
    tolerance = real(tolerance, "tolerance", low=0.0)
    steps = []
    for index in range(integer(max_steps, "max_steps", minimum=1)):
        at = bias_gradient(bias)
        step_size = lr * at.grad
        steps.append(BiasStep(index, bias, at.mse, at.grad, step_size, at.terms))
        if abs(step_size) < tolerance:
            break
        bias -= step_size
    return steps


def descend_bias_and_weight(start: Sequence[float] = (0.0, 0.0), lr: float = 0.3,
                            steps: int = 60) -> list[tuple[float, float, float]]:
    """Gradient descent on (output weight w2, output bias) together: [(w2, b, MSE), ...].

    Both partial derivatives are taken at the current point, then both
    parameters move at once (the article's "simultaneous" update).
    """
    instance(start, "start", (tuple, list))
    if len(start) != 2:
        raise ValueError(f"start must be two numbers (w2, b), got {start!r}")
    weight, bias = real(start[0], "start[0]"), real(start[1], "start[1]")
    lr = real(lr, "lr", low=0.0)
    path = []
    for _step in range(integer(steps, "steps", minimum=0) + 1):
        model = icecream_model(**{OUTPUT_WEIGHT: weight, OUTPUT_BIAS: bias})
        loss = mse(model)
        loss.backward()
        path.append((weight, bias, loss.data))
        weight -= lr * parameter(model, OUTPUT_WEIGHT).grad
        bias -= lr * parameter(model, OUTPUT_BIAS).grad
    return path


def train_all_nine(epochs: int = 2000, lr: float = 0.001, start_bias: float = 0.0) -> tuple[MLP, History]:
    """All 9 parameters by full-batch gradient descent from the story's start; (model, History)."""
    X, y = data.icecream()
    model = icecream_model(**{OUTPUT_BIAS: start_bias})
    history = model.fit(X, y, loss="mse", optimizer=SGD(model.parameters(), lr=lr),
                        epochs=epochs, verbose=False)
    return model, history


# --- the walkthrough -------------------------------------------------------------------------


@dataclass(frozen=True)
class Walkthrough:
    """What the story computed, for the plots."""

    zero: BiasStep  # the output bias at 0: MSE, gradient and each row's chain-rule term
    brute: list[tuple[float, float]]  # (bias, MSE) for each brute-force guess
    steps: list[BiasStep]  # gradient descent on the bias; the last is where it stopped
    path: list[tuple[float, float, float]]  # (w2, b, MSE) of descent on the weight and the bias
    history: History  # all 9 parameters trained


def _columns(text: str) -> int:
    """How many terminal columns ``text`` takes (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in text)


def _row_text(row: Sequence[float]) -> str:
    temperature, weekday = row
    text = _("{temperature} C, {weekday}").format(temperature=f"{temperature:4.0f}",
                                                  weekday=_(WEEKDAYS[int(weekday)]))
    return text + " " * max(0, 11 - _columns(text))


def _step_row(step: BiasStep, taken: bool) -> str:
    """One step of descent on the bias as a row: the chain rule's sum, the gradient, the update."""
    rows = len(step.terms)
    on = sum(1 for term in step.terms if term.relu_slope)
    errors = sum((term.prediction - term.sales) * term.relu_slope for term in step.terms)
    by_hand = 2.0 / rows * errors
    last = f"{step.bias - step.step_size:12.5f}" if taken else _("  stop: step < 1e-4")
    return (f"{step.step + 1:>4}  {step.bias:7.5f}  {step.mse:9.6f}  {on:>3}/{rows:<3}  {errors:+22.6f}  "
            f"{by_hand:+20.6f}  {step.grad:+13.6f}  {last}")


def walkthrough(say: Callable[[str], None] = print) -> Walkthrough:
    """Tell the story through ``say`` (one line at a time); return what the plots need."""
    X, y = data.icecream()
    model = icecream_model()
    say(_("The ice-cream article's shop: temperature and weekday -> sales (thousands)."))
    say(_("Network 2 -> 2 ReLU -> 1 ReLU, {count} parameters, at their trained values:").format(
        count=len(model.parameters())))
    say("  " + "  ".join(f"{name}={p.data:g}" for name, p in model.named_parameters()))

    say("")
    say(_("1. Forget the output bias: set L2.N1.b = 0 and forward the 10 rows."))
    zero = bias_gradient(0.0)
    say(_("   row  input        sales  predicted"))
    for term, row in zip(zero.terms, X):
        say(f"   {term.row:>3}  {_row_text(row)}  {term.sales:5.2f}  {term.prediction:9.3f}")
    say(_("   MSE = mean((predicted - sales)^2) = {mse}").format(mse=f"{zero.mse:.5f}"))

    say("")
    say(_("2. Brute force: try other values of the bias."))
    brute = [(bias, mse_at(**{OUTPUT_BIAS: bias})) for bias in BRUTE_FORCE_BIASES]
    for bias, value in brute:
        say(f"   b = {bias:.1f}   MSE = {value:.5f}")
    best_bias, best_mse = min(brute, key=lambda pair: pair[1])
    say(_("   Lowest at b = {value}. But is the best 0.3, or 0.2998? Guessing cannot tell.").format(
        value=f"{best_bias:.1f}"))

    say("")
    say(_("3. Gradient descent on the bias, lr = {lr}: b <- b - lr * dMSE/db.").format(lr=f"{BIAS_LR:g}"))
    say(_("   Chain rule: dMSE/db = sum over rows of dMSE/dpred * dpred/dz * dz/db"))
    say(_("                       = sum of (2/10)(pred - sales) * relu'(z) * 1"))
    say(_("   at b = 0, row by row:"))
    for term in zero.terms:
        say(_("     row {row}: {factor} * {slope} * 1 = {term}").format(
            row=f"{term.row:>2}", factor=f"{term.error_factor:+.4f}", slope=f"{term.relu_slope:g}",
            term=f"{term.term:+.4f}"))
    hand = sum(term.term for term in zero.terms)
    say(_("   sum = {sum};  the engine's backward gives L2.N1.b.grad = {grad}").format(
        sum=f"{hand:+.6f}", grad=f"{zero.grad:+.6f}"))
    steps = descend_output_bias(0.0, lr=BIAS_LR)
    say(_("   Every step the same way: the rows' sum by the chain rule, checked against the engine,"))
    say(_("   then the update. 'rows on' counts the rows with z > 0, where relu'(z) = 1 (else 0)."))
    say(_("   step        b        MSE  rows on  sum (pred-sales)*relu'  dMSE/db = (2/10)*sum"
          "  engine's grad  b - {lr}*grad").format(lr=f"{BIAS_LR:g}"))
    for step in steps:
        say("   " + _step_row(step, taken=step is not steps[-1]))
    say(_("   After {count} steps the next step ({size}) is below 1e-4: descent stops at").format(
        count=len(steps) - 1, size=f"{steps[-1].step_size:+.1e}"))
    say(f"   b = {steps[-1].bias:.5f}, MSE = {steps[-1].mse:.6f}")
    exact = -zero.grad / 2  # MSE(b) is a parabola here: every row's z > 0
    say(_("   (the exact bottom, where the slope is 0, is b = {value}: not 0.3)").format(value=f"{exact:.5f}"))

    say("")
    say(_("4. The bias and the weight L2.N1.w2 together, both from 0: two partial derivatives,"))
    say(_("   one simultaneous update per step (lr = 0.3)."))
    path = descend_bias_and_weight((0.0, 0.0), lr=0.3, steps=60)
    for index in (0, 1, 2, 5, 20, 60):
        weight, bias, value = path[index]
        say(_("   step {step}: w2 = {w2}  b = {b}  MSE = {mse}").format(
            step=f"{index:>2}", w2=f"{weight:.4f}", b=f"{bias:.4f}", mse=f"{value:.5f}"))

    say("")
    say(_("5. All 9 parameters at once, from the same start as step 3 (output bias 0),"))
    say(_("   full-batch gradient descent, lr = 0.001, 2000 epochs:"))
    trained, history = train_all_nine(epochs=2000, lr=0.001)
    say(_("   MSE {first} -> {last} (moving the bias alone stopped at {alone})").format(
        first=f"{history.loss[0]:.5f}", last=f"{history.loss[-1]:.6f}", alone=f"{steps[-1].mse:.6f}"))
    say("  " + "  ".join(f"{name}={p.data:.3f}" for name, p in trained.named_parameters()))
    return Walkthrough(zero, brute, steps, path, history)


def _bias_figure(brute: Sequence[tuple[float, float]], steps: Sequence[BiasStep]) -> "Figure":
    from . import plots

    with plots.language_font():
        return _draw_bias_figure(brute, steps)


def _draw_bias_figure(brute: Sequence[tuple[float, float]], steps: Sequence[BiasStep]) -> "Figure":
    from . import plots

    figure, ax = plots.new_axes(figsize=(5.6, 3.8))
    grid = [i / 100 for i in range(-5, 61)]
    ax.plot(grid, [mse_at(**{OUTPUT_BIAS: b}) for b in grid], color="0.55", linewidth=1.2,
            label="MSE(b)")
    ax.scatter([b for b, _ in brute], [m for _, m in brute], s=40, color=plots.CLASS_COLOURS[0],
               zorder=3, label=_("brute-force guesses"))
    ax.plot([s.bias for s in steps], [s.mse for s in steps], "o-", markersize=3.5,
            color=plots.CLASS_COLOURS[1], linewidth=1, zorder=4,
            label=_("gradient descent, lr {lr}").format(lr=f"{BIAS_LR:g}"))
    ax.set_xlabel(_("output bias b (L2.N1.b)"))
    ax.set_ylabel("MSE")
    ax.set_title(_("Finding the output bias"))
    ax.legend()
    ax.grid(alpha=0.3)
    return figure


def _contour_figure(path: Sequence[tuple[float, float, float]]) -> "Figure":
    from . import plots

    with plots.language_font():
        return _draw_contour_figure(path)


def _draw_contour_figure(path: Sequence[tuple[float, float, float]]) -> "Figure":
    from . import plots

    figure, ax = plots.new_axes(figsize=(5.4, 4.2))
    weights = [-0.1 + i * 1.1 / 44 for i in range(45)]
    biases = [-0.1 + i * 0.7 / 28 for i in range(29)]
    X, y = data.icecream()
    model = icecream_model()
    w_node, b_node = parameter(model, OUTPUT_WEIGHT), parameter(model, OUTPUT_BIAS)
    heights = []
    with no_grad():
        for b in biases:
            row = []
            for w in weights:
                w_node.data, b_node.data = w, b
                row.append(mse(model, X, y).data)
            heights.append(row)
    contours = ax.contour(weights, biases, heights, levels=[0.001, 0.003, 0.01, 0.03, 0.1, 0.3],
                          cmap="viridis")
    ax.clabel(contours, fontsize=7)
    ax.plot([p[0] for p in path], [p[1] for p in path], "o-", markersize=2.5,
            color=plots.CLASS_COLOURS[1], linewidth=1, label=_("gradient descent"))
    ax.set_xlabel(_("weight w2 (L2.N1.w2)"))
    ax.set_ylabel(_("bias b (L2.N1.b)"))
    ax.set_title(_("MSE over the bias and one weight"))
    ax.legend(loc="upper right")
    return figure


def _loss_figure(history: History, bias_only: float) -> "Figure":
    from . import plots

    with plots.language_font():
        figure = plots.loss_curve(history, title=_("All 9 parameters: MSE per epoch"), log_scale=True,
                                  label=_("all 9 parameters"))
        ax = figure.axes[0]
        ax.axhline(bias_only, color="0.4", linestyle="--", linewidth=1, label=_("the bias alone"))
        ax.legend()
    return figure


def run_demo(out: str | os.PathLike[str], quiet: bool = False, graphviz: bool = True) -> dict[Path, bytes | str]:
    """Run the walkthrough and render its files (nothing is written here).

    ``graphviz=False`` leaves out the files that need Graphviz's ``dot``
    (``GRAPHVIZ_FILES``): the walkthrough and the plots need none.
    """
    from autograd import draw, html_page

    from . import plots
    from ._language import with_language

    out = Path(instance(out, "out", (str, os.PathLike)))
    instance(graphviz, "graphviz", bool)

    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if not quiet:
            print(line)

    results = walkthrough(say)
    # The walkthrough and the plots need no Graphviz: made first, so that they are made without it.
    needs_no_graphviz: dict[Path, bytes | str] = {
        out / "mse_vs_bias.png": plots.png_bytes(_bias_figure(results.brute, results.steps)),
        out / "bias_and_weight.png": plots.png_bytes(_contour_figure(results.path)),
        out / "all_nine_loss.png": plots.png_bytes(_loss_figure(results.history, results.steps[-1].mse)),
        out / "walkthrough.txt": "\n".join(lines) + "\n",
    }
    if not quiet:
        print()
    if not graphviz:
        return needs_no_graphviz
    outputs: dict[Path, bytes | str] = {}

    # The ten-row loss at b = 0, as step 3 starts: forward, backward following the
    # output bias through its ten contributions, and step 3's first update.
    model = icecream_model(**{OUTPUT_BIAS: 0.0})
    loss = mse(model)
    loss.backward()
    bias = parameter(model, OUTPUT_BIAS)
    graph = with_language(draw, loss, highlight=[bias])
    outputs[out / "icecream_graph.svg"] = graph.pipe(format="svg")
    outputs[out / "icecream_stepper.html"] = with_language(
        html_page, loss, follow=bias, lr=BIAS_LR, params=[bias],
        network=network_picture(model, loss, inputs=data.icecream().feature_names),
        title=_("The ice-cream loss over its ten rows at b = 0: forward, backward following "
                "the output bias b ({name}), then the update b ← b − {lr}·grad").format(
            name=OUTPUT_BIAS, lr=f"{BIAS_LR:g}"))
    outputs.update(needs_no_graphviz)
    return outputs
