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

A teacher's own rows tell the same story (``tracegrad demo --data table.csv``):
:func:`read_table` reads a CSV with a header (the inputs, then the target),
:func:`lesson_from_table` gives its network (inputs -> 2 ReLU -> 1 ReLU) the
least-squares line as its "trained" values and step sizes that cannot
overshoot, and every function below takes that ``lesson=`` (None: the
ice-cream article's).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping, Sequence

from autograd import Value, no_grad
from autograd.i18n import N_, Catalogue
from autograd.validation import instance, integer, path_like, real
from autograd.viz.text import columns
from nn import MLP, SGD, History, Naming, data, icecream_network, mse_loss, names, naming, network_picture

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_ = Catalogue("app").gettext

#: The parameter the first part of the story searches for: the output neuron's bias.
OUTPUT_BIAS = "L2.N1.b"
#: The weight the fourth part adds: the second input into the output neuron.
OUTPUT_WEIGHT = "L2.N1.w2"
#: The article's first guesses for the bias.
BRUTE_FORCE_BIASES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)
#: The ice-cream table's column names, translated where they are shown (the graph's input leaves
#: read 温度 and 星期几 on the Chinese page): they are names the app chooses, not a user's labels.
COLUMN_NAMES = (N_("temperature"), N_("weekday"))
#: Marked with N_, translated where they are shown.
WEEKDAYS = ("", N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
#: The learning rate of gradient descent on the bias (step 3), and of the stepper page's update.
BIAS_LR = 0.1
#: The files :func:`run_demo` renders, by name.
OUTPUT_FILES = ("icecream_graph.svg", "icecream_stepper.html", "mse_vs_bias.png", "bias_and_weight.png",
                "all_nine_loss.png", "walkthrough.txt")
#: Those that need Graphviz's ``dot`` (the graph and the stepper page's pictures); the rest need none.
GRAPHVIZ_FILES = ("icecream_graph.svg", "icecream_stepper.html")
#: A teacher's table: how many rows of data, and how many input columns, the walkthrough takes.
TABLE_ROWS = (2, 50)
TABLE_MAX_INPUTS = 10


# --- what the story runs on: the ice-cream article's table, or a teacher's -------------------


class TableError(ValueError):
    """A teacher's CSV file that the walkthrough cannot use; the message names the file and the line."""

    def __init__(self, message: str, path: str, line: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.line = line


def _where(path: str, line: int | None) -> str:
    return path if line is None else _("{file}, line {line}").format(file=path, line=line)


def _refuse(message: str, path: str, line: int | None = None) -> TableError:
    return TableError(_("{where}: {problem}").format(where=_where(path, line), problem=message), path, line)


def read_table(path: str | os.PathLike[str]) -> data.DataSet:
    """A teacher's CSV as a DataSet: a header naming the columns, the last column the target, numbers only.

    Refused with a :class:`TableError` naming the file and the line: an empty
    file, text that is not UTF-8, a missing header, a row with the wrong
    number of values, a value that is not a finite number, fewer than 2 or
    more than 50 rows, more than 10 inputs. Blank lines are skipped; a UTF-8
    byte-order mark (Excel's "CSV UTF-8") is allowed.
    """
    name = os.fspath(path_like(path, "path"))
    try:
        raw = Path(name).read_bytes()
    except OSError as error:
        raise _refuse(_("cannot be read ({error})").format(error=error.strerror or error), name) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise _refuse(_("not UTF-8 text (byte {byte} is not UTF-8); save the table as 'CSV UTF-8'").format(
            byte=f"0x{raw[error.start]:02x}"), name, line) from None
    if not text.strip():
        raise _refuse(_("the file is empty; it needs a header line and 2 to 50 rows of numbers"), name)
    rows = [(number, cells) for number, cells in _csv_lines(text) if any(cell.strip() for cell in cells)]
    if not rows:
        raise _refuse(_("the file is empty; it needs a header line and 2 to 50 rows of numbers"), name)
    header_line, header = rows[0]
    names = [cell.strip() for cell in header]
    if all(_is_number(cell) for cell in names):
        raise _refuse(_("the first line must name the columns (the inputs, then the target), e.g. "
                        "x1,x2,y; it holds only numbers"), name, header_line)
    if len(names) < 2:
        raise _refuse(_("the header names {count} column; the table needs at least one input "
                        "and the target").format(count=len(names)), name, header_line)
    if len(names) - 1 > TABLE_MAX_INPUTS:
        raise _refuse(_("the header names {count} inputs; the walkthrough takes at most {most}").format(
            count=len(names) - 1, most=TABLE_MAX_INPUTS), name, header_line)
    for column, column_name in enumerate(names, start=1):
        if not column_name:
            raise _refuse(_("column {column} has no name").format(column=column), name, header_line)
        if names.index(column_name) != column - 1:
            raise _refuse(_("the column name {name} appears twice").format(name=repr(column_name)),
                          name, header_line)
    X: list[list[float]] = []
    y: list[float] = []
    for line, cells in rows[1:]:
        if len(cells) != len(names):
            raise _refuse(_("{found} values, but the header names {expected} columns").format(
                found=len(cells), expected=len(names)), name, line)
        values = []
        for column_name, cell in zip(names, cells):
            if not _is_number(cell):
                raise _refuse(_("{value} in column {column} is not a number").format(
                    value=repr(cell.strip()), column=column_name), name, line)
            value = float(cell)
            if not math.isfinite(value):
                raise _refuse(_("{value} in column {column} is not a finite number").format(
                    value=repr(cell.strip()), column=column_name), name, line)
            values.append(value)
        X.append(values[:-1])
        y.append(values[-1])
    low, high = TABLE_ROWS
    if not low <= len(X) <= high:
        raise _refuse(_("{count} rows of data; the walkthrough takes {low} to {high}").format(
            count=len(X), low=low, high=high), name, rows[high + 1][0] if len(X) > high else None)
    descriptions = {column_name: _("column {column} of {file}").format(column=column, file=Path(name).name)
                    for column, column_name in enumerate(names, start=1)}
    return data.DataSet(X, y, names[:-1], names[-1], descriptions)


def _csv_lines(text: str) -> list[tuple[int, list[str]]]:
    """Each CSV record with the number of the line it starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    records = []
    line = 1
    for cells in reader:
        records.append((line, cells))
        line = reader.line_num + 1
    return records


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Lesson:
    """What the walkthrough runs on: a table, its network's starting values and the step sizes that suit them."""

    table: data.DataSet
    state: Mapping[str, float]  # every parameter's value before step 1 forgets the output bias
    source: str | None = None  # the teacher's file; None for the ice-cream article's table
    brute_force: tuple[float, ...] = BRUTE_FORCE_BIASES  # step 2's guesses for the output bias
    pair_lr: float = 0.3  # step 4: descent on the weight and the bias together
    pair_steps: int = 60
    all_lr: float = 0.001  # step 5: all parameters
    epochs: int = 2000
    notes: tuple[str, ...] = field(default=())  # how the starting values and step sizes were chosen

    @property
    def inputs(self) -> int:
        """How many input columns the table has (the network's nin)."""
        return len(self.table.feature_names)

    def model(self, **overrides: float) -> MLP:
        """The lesson's network (inputs -> 2 ReLU -> 1 ReLU) at its starting values, some replaced."""
        model = MLP(self.inputs, [2, 1], activation="relu", output_activation="relu", seed=0)
        return with_values(model, dict(self.state), overrides)


@lru_cache(maxsize=1)
def icecream_lesson() -> Lesson:
    """The ice-cream article's table and trained network (``nn.icecream_network``)."""
    return Lesson(data.icecream(), icecream_network().state_dict())


def _lesson(lesson: Lesson | None) -> Lesson:
    return icecream_lesson() if lesson is None else instance(lesson, "lesson", Lesson)


def lesson_naming(lesson: Lesson | None = None) -> Naming:
    """The names the lesson's graph carries: the ice-cream article's (r̂, r, MSE) for its table.

    A teacher's table keeps the common names (ŷ for the prediction of its
    target y), with the loss called MSE as the story calls it.
    """
    if _lesson(lesson).source is None:
        return names.TABLES["ice-cream"]
    return Naming("table", source="a teacher's table", mse="MSE")


def input_names(lesson: Lesson | None = None) -> tuple[str, ...]:
    """The input leaves' labels: the ice-cream columns in the current language, a teacher's as written."""
    chosen = _lesson(lesson)
    if chosen.source is None:
        return tuple(_(name) for name in COLUMN_NAMES)
    return tuple(chosen.table.feature_names)


def lesson_from_table(table: data.DataSet, source: str = "table.csv") -> Lesson:
    """The walkthrough on a teacher's table: nin -> 2 ReLU -> 1 ReLU started from the least-squares line.

    The table has no trained network, so its starting values are made:
    L1.N1 computes the least-squares line l(x) minus a shift c that keeps it
    above 0 on every row, L1.N2 passes the first input on (rescaled to
    [0.1, 1.1]), and the output is relu(L1.N1 + 0 * L1.N2 + c) = relu(l(x)).
    Step 1 forgets c. The learning rates of steps 4 and 5 are 1 / the MSE's
    largest curvature at their start, rounded down to 1, 2 or 5 x 10^k: no
    larger than the curvature allows, whatever the table's units.
    """
    instance(table, "table", data.DataSet)
    X, y = table.X, table.y
    nin = len(table.feature_names)
    line_weights, line_bias = _least_squares(X, y)
    line = [sum(w * x for w, x in zip(line_weights, row)) + line_bias for row in X]
    spread = _std(y) or _std(line) or 1.0
    shift = min(line) - 0.1 * spread  # c: l(x) - c >= 0.1 spread > 0 on every row
    first = [row[0] for row in X]
    width = (max(first) - min(first)) or 1.0
    state = {f"L1.N1.w{j + 1}": w for j, w in enumerate(line_weights)}
    state["L1.N1.b"] = line_bias - shift
    state.update({f"L1.N2.w{j + 1}": (1.0 / width if j == 0 and max(first) > min(first) else 0.0)
                  for j in range(nin)})
    state["L1.N2.b"] = 0.1 - min(first) / width if max(first) > min(first) else 1.0
    state.update({"L2.N1.w1": 1.0, "L2.N1.w2": 0.0, "L2.N1.b": shift})
    draft = Lesson(table, state, source)
    best = descend_output_bias(0.0, lr=BIAS_LR, lesson=draft)[-1].bias
    pair_lr = _safe_lr(draft.model(**{OUTPUT_WEIGHT: 0.0, OUTPUT_BIAS: 0.0}), table, (OUTPUT_WEIGHT, OUTPUT_BIAS))
    all_lr = _safe_lr(draft.model(**{OUTPUT_BIAS: 0.0}), table, None)
    return Lesson(table, state, source, brute_force=_guesses(best, spread), pair_lr=pair_lr, pair_steps=200,
                  all_lr=all_lr, epochs=2000 if len(X) <= 20 else 1000)


def _std(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def _least_squares(X: Sequence[Sequence[float]], y: Sequence[float]) -> tuple[list[float], float]:
    """The line w.x + b closest to y in squared error (a tiny ridge keeps it unique); (w, b)."""
    n, nin = len(X), len(X[0])
    means = [sum(row[j] for row in X) / n for j in range(nin)]
    scales = [_std([row[j] for row in X]) for j in range(nin)]
    # Standardised columns: the normal equations stay well scaled whatever the units.
    rows = [[(row[j] - means[j]) / scales[j] if scales[j] else 0.0 for j in range(nin)] + [1.0] for row in X]
    size = nin + 1
    matrix = [[sum(r[i] * r[k] for r in rows) + (1e-9 * n if i == k < nin else 0.0) for k in range(size)]
              + [sum(r[i] * t for r, t in zip(rows, y))] for i in range(size)]
    for column in range(size):  # Gauss-Jordan with partial pivoting
        pivot = max(range(column, size), key=lambda r: abs(matrix[r][column]))
        matrix[column], matrix[pivot] = matrix[pivot], matrix[column]
        for r in range(size):
            if r != column and matrix[column][column]:
                factor = matrix[r][column] / matrix[column][column]
                matrix[r] = [a - factor * b for a, b in zip(matrix[r], matrix[column])]
    solution = [matrix[i][size] / matrix[i][i] if matrix[i][i] else 0.0 for i in range(size)]
    weights = [solution[j] / scales[j] if scales[j] else 0.0 for j in range(nin)]
    bias = solution[nin] - sum(w * m for w, m in zip(weights, means))
    return weights, bias


def _nice(value: float, up: bool = True) -> float:
    """1, 2 or 5 times a power of ten: the smallest at or above ``value`` (or the largest at or below)."""
    power = 10.0 ** math.floor(math.log10(value))
    choices = [m * power for m in (1.0, 2.0, 5.0, 10.0)]
    if up:
        return next(c for c in choices if c >= value * (1 - 1e-12))
    return [c for c in [0.5 * power] + choices if c <= value * (1 + 1e-12)][-1]


def _guesses(best: float, spread: float) -> tuple[float, ...]:
    """Six round guesses from 0 towards the best bias, the best among the first four."""
    step = _nice(abs(best) / 3 if abs(best) > 1e-9 else spread / 10)
    sign = -1.0 if best < 0 else 1.0
    return tuple(round(sign * step * k, 12) + 0.0 for k in range(6))


def _safe_lr(model: MLP, table: data.DataSet, names: Sequence[str] | None) -> float:
    """1 / (the MSE's largest curvature at the start), rounded down to 1, 2 or 5 x 10^k.

    The curvature is the Gauss-Newton matrix (2/n) sum over rows of g g^T, g
    the gradient of the row's prediction with respect to the parameters
    followed; its largest eigenvalue by power iteration. Steps below 2 / that
    cannot overshoot there, whatever the table's units."""
    chosen = dict(model.named_parameters())
    followed = list(chosen.values()) if names is None else [chosen[name] for name in names]
    gradients = []
    for row in table.X:
        model.zero_grad()
        prediction = model.forward_batch([row])[0]
        assert isinstance(prediction, Value)  # (the lessons' models have one output)
        prediction.backward()
        gradients.append([p.grad for p in followed])
    model.zero_grad()
    scale = 2.0 / len(table.X)
    vector = [1.0] * len(followed)
    curvature = 0.0
    for _iteration in range(200):
        product = [0.0] * len(followed)
        for gradient in gradients:
            along = scale * sum(g * v for g, v in zip(gradient, vector))
            product = [p + along * g for p, g in zip(product, gradient)]
        curvature = math.sqrt(sum(p * p for p in product))
        if curvature == 0.0:
            break
        vector = [p / curvature for p in product]
    return _nice(1.0 / curvature, up=False) if curvature > 0 else BIAS_LR


def icecream_model(**overrides: float) -> MLP:
    """The article's network with its trained values, some replaced: ``icecream_model(**{"L2.N1.b": 0})``."""
    model = icecream_network()
    return with_values(model, model.state_dict(), overrides) if overrides else model


def with_values(model: MLP, state: dict[str, float], overrides: dict[str, float]) -> MLP:
    """``model`` loaded with ``state``, some of its values replaced by ``overrides`` (by parameter name)."""
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


def mse(model: MLP, X: Sequence[Sequence[float]] | None = None, y: Sequence[float] | None = None, *,
        lesson: Lesson | None = None) -> Value:
    """The MSE of ``model`` on the lesson's table (or on X, y): a Value with its whole graph.

    Its nodes carry the lesson's names (``lesson_naming``: r̂, r, MSE for the
    ice-cream table); on the table, the input leaves carry its column names
    (temperature, weekday; 温度, 星期几 in Chinese)."""
    chosen = _lesson(lesson)
    with naming(lesson_naming(chosen)):
        if X is None or y is None:
            table = chosen.table
            return mse_loss(model.forward_batch(table.X, input_names=input_names(chosen)), table.y)
        return mse_loss(model.forward_batch(X), y)


def mse_at(*, lesson: Lesson | None = None, **values: float) -> float:
    """The MSE (a float) with the given parameters replaced: ``mse_at(**{"L2.N1.b": 0.3})``."""
    chosen = _lesson(lesson)
    with no_grad():
        return mse(chosen.model(**values), lesson=chosen).data


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


def bias_gradient(bias: float, *, lesson: Lesson | None = None) -> BiasStep:
    """MSE and dMSE/db at this output bias, with each row's chain-rule term."""
    bias = real(bias, "bias")
    chosen = _lesson(lesson)
    table = chosen.table
    X, y = table
    model = chosen.model(**{OUTPUT_BIAS: bias})
    bias_node = parameter(model, OUTPUT_BIAS)
    with naming(lesson_naming(chosen)):
        predictions = model.forward_batch(X, input_names=input_names(chosen))
        loss = mse_loss(predictions, y)
    loss.backward()
    n = len(X)
    terms = []
    for row, (prediction, sales) in enumerate(zip(predictions, y), start=1):
        assert isinstance(prediction, Value)  # (the lessons' models have one output)
        z = prediction.inputs[0] if prediction.inputs else prediction  # relu's input
        error_factor = 2.0 / n * (prediction.data - sales)
        slope = 1.0 if z.data > 0 else 0.0
        terms.append(RowTerm(row, z.data, prediction.data, sales, error_factor, slope, error_factor * slope))
    return BiasStep(0, bias, loss.data, bias_node.grad, 0.0, tuple(terms))


def descend_output_bias(start: float = 0.0, lr: float = 0.1, tolerance: float = 1e-4,
                        max_steps: int = 200, *, lesson: Lesson | None = None) -> list[BiasStep]:
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
        at = bias_gradient(bias, lesson=lesson)
        step_size = lr * at.grad
        steps.append(BiasStep(index, bias, at.mse, at.grad, step_size, at.terms))
        if abs(step_size) < tolerance:
            break
        bias -= step_size
    return steps


def descend_bias_and_weight(start: Sequence[float] = (0.0, 0.0), lr: float = 0.3,
                            steps: int = 60, *, lesson: Lesson | None = None) -> list[tuple[float, float, float]]:
    """Gradient descent on (output weight w2, output bias) together: [(w2, b, MSE), ...].

    Both partial derivatives are taken at the current point, then both
    parameters move at once (the article's "simultaneous" update).
    """
    instance(start, "start", (tuple, list))
    if len(start) != 2:
        raise ValueError(f"start must be two numbers (w2, b), got {start!r}")
    weight, bias = real(start[0], "start[0]"), real(start[1], "start[1]")
    lr = real(lr, "lr", low=0.0)
    chosen = _lesson(lesson)
    path = []
    for _step in range(integer(steps, "steps", minimum=0) + 1):
        model = chosen.model(**{OUTPUT_WEIGHT: weight, OUTPUT_BIAS: bias})
        loss = mse(model, lesson=chosen)
        loss.backward()
        path.append((weight, bias, loss.data))
        weight -= lr * parameter(model, OUTPUT_WEIGHT).grad
        bias -= lr * parameter(model, OUTPUT_BIAS).grad
    return path


def train_all_nine(epochs: int = 2000, lr: float = 0.001, start_bias: float = 0.0) -> tuple[MLP, History]:
    """All 9 parameters of the ice-cream network by full-batch gradient descent from the story's start."""
    return train_all_parameters(epochs, lr, start_bias)


def train_all_parameters(epochs: int = 2000, lr: float = 0.001, start_bias: float = 0.0, *,
                         lesson: Lesson | None = None) -> tuple[MLP, History]:
    """Every parameter by full-batch gradient descent from the story's start; (model, History)."""
    chosen = _lesson(lesson)
    X, y = chosen.table
    model = chosen.model(**{OUTPUT_BIAS: start_bias})
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
    text = _("{temperature} C, {weekday}").format(temperature=f"{temperature:4.0f}",
                                                  weekday=_(WEEKDAYS[int(weekday)]))
    return text + " " * max(0, 11 - columns(text))


def _step_row(step: BiasStep, taken: bool) -> str:
    """One step of descent on the bias as a row: the chain rule's sum, the gradient, the update."""
    rows = len(step.terms)
    on = sum(1 for term in step.terms if term.relu_slope)
    errors = sum((term.prediction - term.sales) * term.relu_slope for term in step.terms)
    by_hand = 2.0 / rows * errors
    last = f"{step.bias - step.step_size:12.5f}" if taken else _("  stop: step < 1e-4")
    return (f"{step.step + 1:>4}  {step.bias:7.5f}  {step.mse:9.6f}  {on:>3}/{rows:<3}  {errors:+22.6f}  "
            f"{by_hand:+20.6f}  {step.grad:+13.6f}  {last}")


def _padded(text: str, width: int) -> str:
    """``text`` right-aligned in ``width`` terminal columns."""
    return " " * max(0, width - columns(text)) + text


def _table_header(lesson: Lesson) -> str:
    """Step 1's column heads for a teacher's table: row, each input's name, y, the prediction ŷ."""
    names = [_padded(name, max(10, columns(name))) for name in lesson.table.feature_names]
    return "   " + _padded(_("row"), 3) + "  " + "  ".join(names) + "  " + _padded("y", 10) + "  " + _padded("ŷ", 9)


def _table_row(term: RowTerm, row: Sequence[float], lesson: Lesson) -> str:
    widths = [max(10, columns(name)) for name in lesson.table.feature_names]
    inputs = "  ".join(_padded(f"{value:.6g}", width) for value, width in zip(row, widths))
    return f"   {term.row:>3}  {inputs}  {_padded(f'{term.sales:.6g}', 10)}  {term.prediction:9.4g}"


def walkthrough(say: Callable[[str], None] = print, *, lesson: Lesson | None = None) -> Walkthrough:
    """Tell the story through ``say`` (one line at a time); return what the plots need.

    ``lesson`` is a teacher's table (:func:`lesson_from_table`); None tells the
    ice-cream article's."""
    chosen = _lesson(lesson)
    mine = chosen.source is not None  # a teacher's table: its own words where the article's numbers differ
    X, y = chosen.table
    model = chosen.model()
    count = len(model.parameters())
    if mine:
        say(_("Your table {file}: {inputs} -> y = {target}, {rows} rows.").format(
            file=chosen.source, inputs=", ".join(chosen.table.feature_names), target=chosen.table.target_name,
            rows=len(X)))
        say(_("Network {nin} -> 2 ReLU -> 1 ReLU, {count} parameters. A table has no trained network: "
              "this one starts").format(nin=chosen.inputs, count=count))
        say(_("from the least-squares line l(x) through your rows: L1.N1 = relu(l(x) - c), L1.N2 = {first} "
              "rescaled to").format(first=chosen.table.feature_names[0]))
        say(_("[0.1, 1.1], the output relu(L1.N1 + 0 * L1.N2 + c) = relu(l(x)), with c = {shift}:").format(
            shift=f"{chosen.state[OUTPUT_BIAS]:.6g}"))
        say("  " + "  ".join(f"{name}={p.data:.6g}" for name, p in model.named_parameters()))
    else:
        say(_("The ice-cream article's shop: temperature and weekday -> sales (thousands)."))
        say(_("Network 2 -> 2 ReLU -> 1 ReLU, {count} parameters, at their trained values:").format(count=count))
        say("  " + "  ".join(f"{name}={p.data:g}" for name, p in model.named_parameters()))

    say("")
    zero = bias_gradient(0.0, lesson=chosen)
    if mine:
        say(_("1. Forget the output bias: set L2.N1.b = 0 and forward the {rows} rows.").format(rows=len(X)))
        say(_table_header(chosen))
        for term, row in zip(zero.terms, X):
            say(_table_row(term, row, chosen))
        say(_("   MSE = mean((ŷ - y)^2) = {mse}   (ŷ: the network's prediction of y)").format(
            mse=f"{zero.mse:.6g}"))
    else:
        say(_("1. Forget the output bias: set L2.N1.b = 0 and forward the 10 rows."))
        say(_("   r: the day's sales, r̂: the network's prediction of it (the article's names)"))
        say(_("   row  input            r          r̂"))
        for term, row in zip(zero.terms, X):
            say(f"   {term.row:>3}  {_row_text(row)}  {term.sales:5.2f}  {term.prediction:9.3f}")
        say(_("   MSE = mean((r̂ - r)^2) = {mse}").format(mse=f"{zero.mse:.5f}"))

    say("")
    say(_("2. Brute force: try other values of the bias."))
    brute = [(bias, mse_at(lesson=chosen, **{OUTPUT_BIAS: bias})) for bias in chosen.brute_force]
    for bias, value in brute:
        say(f"   b = {bias:.1f}   MSE = {value:.5f}" if not mine else f"   b = {bias:g}   MSE = {value:.6g}")
    best_bias, best_mse = min(brute, key=lambda pair: pair[1])
    if mine:
        say(_("   Lowest of these at b = {value}. But is the best exactly there? Guessing cannot tell.").format(
            value=f"{best_bias:g}"))
    else:
        say(_("   Lowest at b = {value}. But is the best 0.3, or 0.2998? Guessing cannot tell.").format(
            value=f"{best_bias:.1f}"))

    say("")
    rows = len(X)
    say(_("3. Gradient descent on the bias, lr = {lr}: b <- b - lr * dMSE/db.").format(lr=f"{BIAS_LR:g}"))
    output = lesson_naming(chosen).output
    say(_("   Chain rule: dMSE/db = sum over rows of dMSE/d{output} * d{output}/dz * dz/db").format(output=output))
    if mine:
        say(_("                       = sum of (2/{rows})(ŷ - y) * relu'(z) * 1").format(rows=rows))
    else:
        say(_("                       = sum of (2/10)(r̂ - r) * relu'(z) * 1"))
    say(_("   at b = 0, row by row:"))
    for term in zero.terms:
        say(_("     row {row}: {factor} * {slope} * 1 = {term}").format(
            row=f"{term.row:>2}", factor=f"{term.error_factor:+.4f}", slope=f"{term.relu_slope:g}",
            term=f"{term.term:+.4f}"))
    hand = sum(term.term for term in zero.terms)
    say(_("   sum = {sum};  the engine's backward gives L2.N1.b.grad = {grad}").format(
        sum=f"{hand:+.6f}", grad=f"{zero.grad:+.6f}"))
    steps = descend_output_bias(0.0, lr=BIAS_LR, lesson=chosen)
    say(_("   Every step the same way: the rows' sum by the chain rule, checked against the engine,"))
    say(_("   then the update. 'rows on' counts the rows with z > 0, where relu'(z) = 1 (else 0)."))
    if mine:
        say(_("   step        b        MSE  rows on  sum of (ŷ-y)*relu'      dMSE/db = (2/{rows})*sum"
              "  engine's grad  b - {lr}*grad").format(rows=rows, lr=f"{BIAS_LR:g}"))
    else:
        say(_("   step        b        MSE  rows on  sum of (r̂-r)*relu'      dMSE/db = (2/10)*sum"
              "  engine's grad  b - {lr}*grad").format(lr=f"{BIAS_LR:g}"))
    for step in steps:
        say("   " + _step_row(step, taken=step is not steps[-1]))
    say(_("   After {count} steps the next step ({size}) is below 1e-4: descent stops at").format(
        count=len(steps) - 1, size=f"{steps[-1].step_size:+.1e}"))
    say(f"   b = {steps[-1].bias:.5f}, MSE = {steps[-1].mse:.6f}")
    # MSE(b) is one parabola when every row's z > 0 from b = 0 to where descent stopped (z grows with b).
    every_row_on = all(term.relu_slope for term in zero.terms + steps[-1].terms)
    exact = -zero.grad / 2
    if not mine:
        say(_("   (the exact bottom, where the slope is 0, is b = {value}: not 0.3)").format(value=f"{exact:.5f}"))
    elif every_row_on:
        say(_("   (the exact bottom, where the slope is 0, is b = {value})").format(value=f"{exact:.5f}"))
    else:
        say(_("   (some rows have z <= 0 there, where relu'(z) = 0: MSE(b) is not one parabola, and descent "
              "is how to find its bottom)"))

    say("")
    say(_("4. The bias and the weight L2.N1.w2 together, both from 0: two partial derivatives,"))
    if mine:
        say(_("   one simultaneous update per step (lr = {lr}, the largest round step the curvature allows).")
            .format(lr=f"{chosen.pair_lr:g}"))
    else:
        say(_("   one simultaneous update per step (lr = 0.3)."))
    path = descend_bias_and_weight((0.0, 0.0), lr=chosen.pair_lr, steps=chosen.pair_steps, lesson=chosen)
    shown = sorted({index for index in (0, 1, 2, 5, 20, 60, chosen.pair_steps) if index <= chosen.pair_steps})
    for index in shown:
        weight, bias, value = path[index]
        say(_("   step {step}: w2 = {w2}  b = {b}  MSE = {mse}").format(
            step=f"{index:>2}", w2=f"{weight:.4f}", b=f"{bias:.4f}", mse=f"{value:.5f}"))

    say("")
    trained, history = train_all_parameters(epochs=chosen.epochs, lr=chosen.all_lr, lesson=chosen)
    if mine:
        say(_("5. All {count} parameters at once, from the same start as step 3 (output bias 0),").format(
            count=count))
        say(_("   full-batch gradient descent, lr = {lr} (chosen as in step 4), {epochs} epochs:").format(
            lr=f"{chosen.all_lr:g}", epochs=chosen.epochs))
    else:
        say(_("5. All 9 parameters at once, from the same start as step 3 (output bias 0),"))
        say(_("   full-batch gradient descent, lr = 0.001, 2000 epochs:"))
    say(_("   MSE {first} -> {last} (moving the bias alone stopped at {alone})").format(
        first=f"{history.loss[0]:.5f}", last=f"{history.loss[-1]:.6f}", alone=f"{steps[-1].mse:.6f}"))
    if mine and history.loss[-1] > steps[-1].mse:
        say(_("   (worse than the bias alone: the learning rate is set by the steepest direction, the weights "
              "of the largest inputs, so the biases barely move; inputs scaled to about -2..2 train faster)"))
    say("  " + "  ".join(f"{name}={p.data:.3f}" for name, p in trained.named_parameters()))
    return Walkthrough(zero, brute, steps, path, history)


def _bias_figure(brute: Sequence[tuple[float, float]], steps: Sequence[BiasStep],
                 lesson: Lesson | None = None) -> "Figure":
    from . import plots

    with plots.language_font():
        return _draw_bias_figure(brute, steps, _lesson(lesson))


def _span(values: Sequence[float], count: int, pad: float = 0.1) -> list[float]:
    """``count`` evenly spaced numbers over ``values``' range, widened by ``pad`` of it at each end."""
    low, high = min(values), max(values)
    width = (high - low) or max(abs(high), 1e-3)
    low, high = low - pad * width, high + pad * width
    return [low + i * (high - low) / (count - 1) for i in range(count)]


def _draw_bias_figure(brute: Sequence[tuple[float, float]], steps: Sequence[BiasStep], lesson: Lesson) -> "Figure":
    from . import plots

    figure, ax = plots.new_axes(figsize=(5.6, 3.8))
    if lesson.source is None:
        grid = [i / 100 for i in range(-5, 61)]
    else:
        grid = _span([b for b, _ in brute] + [s.bias for s in steps], 66)
    ax.plot(grid, [mse_at(lesson=lesson, **{OUTPUT_BIAS: b}) for b in grid], color="0.55", linewidth=1.2,
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


def _contour_figure(path: Sequence[tuple[float, float, float]], lesson: Lesson | None = None) -> "Figure":
    from . import plots

    with plots.language_font():
        return _draw_contour_figure(path, _lesson(lesson))


def _draw_contour_figure(path: Sequence[tuple[float, float, float]], lesson: Lesson) -> "Figure":
    from . import plots

    figure, ax = plots.new_axes(figsize=(5.4, 4.2))
    levels: Sequence[float] | int
    if lesson.source is None:
        weights = [-0.1 + i * 1.1 / 44 for i in range(45)]
        biases = [-0.1 + i * 0.7 / 28 for i in range(29)]
        levels = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3]
    else:  # around the path, which runs from (0, 0) to the bottom
        weights = _span([p[0] for p in path], 31, pad=0.25)
        biases = _span([p[1] for p in path], 25, pad=0.15)
        levels = 10
    X, y = lesson.table
    model = lesson.model()
    w_node, b_node = parameter(model, OUTPUT_WEIGHT), parameter(model, OUTPUT_BIAS)
    heights = []
    with no_grad():
        for b in biases:
            row = []
            for w in weights:
                w_node.data, b_node.data = w, b
                row.append(mse(model, X, y).data)
            heights.append(row)
    contours = ax.contour(weights, biases, heights, levels=levels, cmap="viridis")
    ax.clabel(contours, fontsize=7)
    ax.plot([p[0] for p in path], [p[1] for p in path], "o-", markersize=2.5,
            color=plots.CLASS_COLOURS[1], linewidth=1, label=_("gradient descent"))
    ax.set_xlabel(_("weight w2 (L2.N1.w2)"))
    ax.set_ylabel(_("bias b (L2.N1.b)"))
    ax.set_title(_("MSE over the bias and one weight"))
    ax.legend(loc="upper right")
    return figure


def _loss_figure(history: History, bias_only: float, lesson: Lesson | None = None) -> "Figure":
    from . import plots

    chosen = _lesson(lesson)
    with plots.language_font():
        if chosen.source is None:
            title, label = _("All 9 parameters: MSE per epoch"), _("all 9 parameters")
        else:
            count = len(chosen.state)
            title = _("All {count} parameters: MSE per epoch").format(count=count)
            label = _("all {count} parameters").format(count=count)
        figure = plots.loss_curve(history, title=title, log_scale=True, label=label)
        ax = figure.axes[0]
        ax.axhline(bias_only, color="0.4", linestyle="--", linewidth=1, label=_("the bias alone"))
        ax.legend()
    return figure


def output_files(lesson: Lesson | None = None) -> dict[str, str]:
    """The names of the files :func:`run_demo` renders, by role: graph, page, bias, surface, loss, story.

    The ice-cream article's are ``OUTPUT_FILES``; a teacher's table names its
    graph and page after its file (``sales.csv`` -> ``sales_graph.svg``)."""
    chosen = _lesson(lesson)
    if chosen.source is None:
        return dict(zip(("graph", "page", "bias", "surface", "loss", "story"), OUTPUT_FILES))
    stem = re.sub(r"[^\w-]+", "_", Path(chosen.source).stem).strip("_") or "table"
    return {"graph": f"{stem}_graph.svg", "page": f"{stem}_stepper.html", "bias": "mse_vs_bias.png",
            "surface": "bias_and_weight.png", "loss": "all_parameters_loss.png", "story": "walkthrough.txt"}


def run_demo(out: str | os.PathLike[str], quiet: bool = False, graphviz: bool = True, *,
             lesson: Lesson | None = None) -> dict[Path, bytes | str]:
    """Run the walkthrough and render its files (nothing is written here).

    ``graphviz=False`` leaves out the files that need Graphviz's ``dot``
    (``GRAPHVIZ_FILES``): the walkthrough and the plots need none.
    ``lesson`` tells it on a teacher's table (:func:`lesson_from_table`); the
    files are then named by :func:`output_files`.
    """
    from autograd import draw, html_page

    from . import plots
    from ._language import with_language

    out = Path(path_like(out, "out"))
    instance(graphviz, "graphviz", bool)

    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        if not quiet:
            print(line)

    chosen = _lesson(lesson)
    names = output_files(chosen)
    results = walkthrough(say, lesson=chosen)
    # The walkthrough and the plots need no Graphviz: made first, so that they are made without it.
    needs_no_graphviz: dict[Path, bytes | str] = {
        out / names["bias"]: plots.png_bytes(_bias_figure(results.brute, results.steps, chosen)),
        out / names["surface"]: plots.png_bytes(_contour_figure(results.path, chosen)),
        out / names["loss"]: plots.png_bytes(_loss_figure(results.history, results.steps[-1].mse, chosen)),
        out / names["story"]: "\n".join(lines) + "\n",
    }
    if not quiet:
        print()
    if not graphviz:
        return needs_no_graphviz
    outputs: dict[Path, bytes | str] = {}

    # The table's loss at b = 0, as step 3 starts: forward, backward following the
    # output bias through its one contribution per row, and step 3's first update.
    model = chosen.model(**{OUTPUT_BIAS: 0.0})
    loss = mse(model, lesson=chosen)
    loss.backward()
    bias = parameter(model, OUTPUT_BIAS)
    if chosen.source is None:
        title = _("The ice-cream loss over its ten rows at b = 0: forward, backward following "
                  "the output bias b ({name}), then the update b ← b − {lr}·grad").format(
            name=OUTPUT_BIAS, lr=f"{BIAS_LR:g}")
    else:
        title = _("The loss of {file} over its {rows} rows at b = 0: forward, backward following "
                  "the output bias b ({name}), then the update b ← b − {lr}·grad").format(
            file=Path(chosen.source).name, rows=len(chosen.table.X), name=OUTPUT_BIAS, lr=f"{BIAS_LR:g}")
    graph = with_language(draw, loss, highlight=[bias])
    outputs[out / names["graph"]] = graph.pipe(format="svg")
    outputs[out / names["page"]] = with_language(
        html_page, loss, follow=bias, lr=BIAS_LR, params=[bias],
        network=network_picture(model, loss, inputs=input_names(chosen)),
        title=title)
    outputs.update(needs_no_graphviz)
    return outputs
