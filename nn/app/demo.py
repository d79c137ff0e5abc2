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
line writes them atomically).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from autograd import Value, no_grad
from autograd.validation import instance, integer, real
from nn import MLP, SGD, History, data, icecream_network, mse_loss

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The parameter the first part of the story searches for: the output neuron's bias.
OUTPUT_BIAS = "L2.N1.b"
#: The weight the fourth part adds: the second input into the output neuron.
OUTPUT_WEIGHT = "L2.N1.w2"
#: The article's first guesses for the bias.
BRUTE_FORCE_BIASES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
WEEKDAYS = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


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
    """The MSE of ``model`` on the ice-cream table (or on X, y): a Value with its whole graph."""
    if X is None or y is None:
        X, y = data.icecream()
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
    X, y = data.icecream()
    model = icecream_model(**{OUTPUT_BIAS: bias})
    bias_node = parameter(model, OUTPUT_BIAS)
    predictions = model.forward_batch(X)
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
    for _ in range(integer(steps, "steps", minimum=0) + 1):
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


def _row_text(row: Sequence[float]) -> str:
    temperature, weekday = row
    return f"{temperature:4.0f} C, {WEEKDAYS[int(weekday)]}"


def walkthrough(say: Callable[[str], None] = print) -> Walkthrough:
    """Tell the story through ``say`` (one line at a time); return what the plots need."""
    X, y = data.icecream()
    model = icecream_model()
    say("The ice-cream article's shop: temperature and weekday -> sales (thousands).")
    say(f"Network 2 -> 2 ReLU -> 1 ReLU, {len(model.parameters())} parameters, at their trained values:")
    say("  " + "  ".join(f"{name}={p.data:g}" for name, p in model.named_parameters()))

    say("")
    say("1. Forget the output bias: set L2.N1.b = 0 and forward the 10 rows.")
    zero = bias_gradient(0.0)
    say("   row  input        sales  predicted")
    for term, row in zip(zero.terms, X):
        say(f"   {term.row:>3}  {_row_text(row)}  {term.sales:5.2f}  {term.prediction:9.3f}")
    say(f"   MSE = mean((predicted - sales)^2) = {zero.mse:.5f}")

    say("")
    say("2. Brute force: try other values of the bias.")
    brute = [(bias, mse_at(**{OUTPUT_BIAS: bias})) for bias in BRUTE_FORCE_BIASES]
    for bias, value in brute:
        say(f"   b = {bias:.1f}   MSE = {value:.5f}")
    best_bias, best_mse = min(brute, key=lambda pair: pair[1])
    say(f"   Lowest at b = {best_bias:.1f}. But is the best 0.3, or 0.2998? Guessing cannot tell.")

    say("")
    say("3. Gradient descent on the bias, lr = 0.1: b <- b - lr * dMSE/db.")
    say("   Chain rule: dMSE/db = sum over rows of dMSE/dpred * dpred/dz * dz/db")
    say("                       = sum of (2/10)(pred - sales) * relu'(z) * 1")
    say("   at b = 0, row by row:")
    for term in zero.terms:
        say(f"     row {term.row:>2}: {term.error_factor:+.4f} * {term.relu_slope:g} * 1 = {term.term:+.4f}")
    hand = sum(term.term for term in zero.terms)
    say(f"   sum = {hand:+.6f};  the engine's backward gives L2.N1.b.grad = {zero.grad:+.6f}")
    steps = descend_output_bias(0.0, lr=0.1)
    for step in steps[:5]:
        say(f"   step {step.step + 1:>2}: b = {step.bias:.5f}  MSE = {step.mse:.5f}  "
            f"dMSE/db = {step.grad:+.5f}  step = {step.step_size:+.5f}")
    say(f"   ... the steps shrink as the slope flattens; after {len(steps) - 1} steps the next "
        f"step ({steps[-1].step_size:+.1e}) is too small to matter:")
    say(f"   b = {steps[-1].bias:.5f}, MSE = {steps[-1].mse:.6f}")
    exact = -zero.grad / 2  # MSE(b) is a parabola here: every row's z > 0
    say(f"   (the exact bottom, where the slope is 0, is b = {exact:.5f}: not 0.3)")

    say("")
    say("4. The bias and the weight L2.N1.w2 together, both from 0: two partial derivatives,")
    say("   one simultaneous update per step (lr = 0.3).")
    path = descend_bias_and_weight((0.0, 0.0), lr=0.3, steps=60)
    for index in (0, 1, 2, 5, 20, 60):
        weight, bias, value = path[index]
        say(f"   step {index:>2}: w2 = {weight:.4f}  b = {bias:.4f}  MSE = {value:.5f}")

    say("")
    say("5. All 9 parameters at once, from the same start as step 3 (output bias 0),")
    say("   full-batch gradient descent, lr = 0.001, 2000 epochs:")
    trained, history = train_all_nine(epochs=2000, lr=0.001)
    say(f"   MSE {history.loss[0]:.5f} -> {history.loss[-1]:.6f} "
        f"(moving the bias alone stopped at {steps[-1].mse:.6f})")
    say("  " + "  ".join(f"{name}={p.data:.3f}" for name, p in trained.named_parameters()))
    return Walkthrough(zero, brute, steps, path, history)


def _bias_figure(brute: Sequence[tuple[float, float]], steps: Sequence[BiasStep]) -> "Figure":
    from . import plots

    figure, ax = plots.new_axes(figsize=(5.6, 3.8))
    grid = [i / 100 for i in range(-5, 61)]
    ax.plot(grid, [mse_at(**{OUTPUT_BIAS: b}) for b in grid], color="0.55", linewidth=1.2,
            label="MSE(b)")
    ax.scatter([b for b, _ in brute], [m for _, m in brute], s=40, color=plots.CLASS_COLOURS[0],
               zorder=3, label="brute-force guesses")
    ax.plot([s.bias for s in steps], [s.mse for s in steps], "o-", markersize=3.5,
            color=plots.CLASS_COLOURS[1], linewidth=1, zorder=4, label="gradient descent, lr 0.1")
    ax.set_xlabel("output bias b (L2.N1.b)")
    ax.set_ylabel("MSE")
    ax.set_title("Finding the output bias")
    ax.legend()
    ax.grid(alpha=0.3)
    return figure


def _contour_figure(path: Sequence[tuple[float, float, float]]) -> "Figure":
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
            color=plots.CLASS_COLOURS[1], linewidth=1, label="gradient descent")
    ax.set_xlabel("weight w2 (L2.N1.w2)")
    ax.set_ylabel("bias b (L2.N1.b)")
    ax.set_title("MSE over the bias and one weight")
    ax.legend(loc="upper right")
    return figure


def _loss_figure(history: History, bias_only: float) -> "Figure":
    from . import plots

    figure = plots.loss_curve(history, title="All 9 parameters: MSE per epoch", log_scale=True,
                              label="all 9 parameters")
    ax = figure.axes[0]
    ax.axhline(bias_only, color="0.4", linestyle="--", linewidth=1, label="the bias alone")
    ax.legend()
    return figure


def run_demo(out: str | os.PathLike[str], quiet: bool = False) -> dict[Path, bytes | str]:
    """Run the walkthrough and render its files (nothing is written here)."""
    from autograd import draw, html_page

    from . import plots

    out = Path(instance(out, "out", (str, os.PathLike)))

    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if not quiet:
            print(line)

    results = walkthrough(say)
    outputs: dict[Path, bytes | str] = {}

    # One row's squared error at b = 0, every node visible: the graph and its stepper.
    X, y = data.icecream()
    model = icecream_model(**{OUTPUT_BIAS: 0.0})
    loss = mse_loss(model(X[0]), y[0])
    loss.backward()
    bias = parameter(model, OUTPUT_BIAS)
    graph = draw(loss, highlight=[bias])
    outputs[out / "icecream_graph.svg"] = graph.pipe(format="svg")
    outputs[out / "icecream_stepper.html"] = html_page(
        loss, title="Ice-cream network, row 1: backward step by step")

    outputs[out / "mse_vs_bias.png"] = plots.png_bytes(_bias_figure(results.brute, results.steps))
    outputs[out / "bias_and_weight.png"] = plots.png_bytes(_contour_figure(results.path))
    outputs[out / "all_nine_loss.png"] = plots.png_bytes(_loss_figure(results.history, results.steps[-1].mse))
    outputs[out / "walkthrough.txt"] = "\n".join(lines) + "\n"
    if not quiet:
        print()
    return outputs
