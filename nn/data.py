"""Small data sets, seeded and pure Python, plus a mini-batch iterator.

Every generator returns a ``DataSet``, which unpacks as ``(X, y)``: ``X`` a
list of samples, each a list of floats; ``y`` a list of labels (ints 0/1, or
0..K-1) or, for regression, floats. It also names its columns:
``feature_names`` (the input leaves' labels: ``model.forward_batch(X,
input_names=data.feature_names)``), ``target_name`` and ``descriptions`` (units
and codings). The same ``seed`` always gives the same data, on any machine.

* ``make_moons``, ``make_xor``, ``make_circles``, ``make_spirals`` — 2-D
  classification (micrograd's demo uses the moons);
* ``icecream`` — the ice-cream article's shop: temperature and weekday -> sales,
  ten documented rows (its network is ``nn.models.icecream_network``);
* ``make_tower`` — the universal-approximation article's sigmoid "tower"
  target, with ``tower`` the function (the five sigmoid neurons that compute
  it are ``nn.models.tower_network``);
* ``batches`` — shuffled mini-batches for gradient descent, SGD and mini-batch.
"""

from __future__ import annotations

import math
import random
from typing import Iterator, Sequence, TypeVar

from autograd.ops import stable_sigmoid
from autograd.validation import integer, real

Samples = list[list[float]]
Sample = TypeVar("Sample")
Label = TypeVar("Label")


class DataSet(tuple):
    """``(X, y)`` that also names its columns: ``X, y = make_moons()`` still unpacks.

    * ``feature_names``: one short name per input column, used as the input
      leaves' labels (``model.forward_batch(data.X, input_names=data.feature_names)``);
    * ``target_name``: what ``y`` holds;
    * ``descriptions``: each name's unit or coding, e.g. the ice-cream
      weekday "1 = Monday ... 7 = Sunday".
    """

    feature_names: tuple[str, ...]
    target_name: str
    descriptions: dict[str, str]

    def __new__(cls, X: Samples, y: list, feature_names: Sequence[str], target_name: str,
                descriptions: dict[str, str]) -> "DataSet":
        data = super().__new__(cls, (X, y))
        data.feature_names = tuple(feature_names)
        data.target_name = target_name
        data.descriptions = dict(descriptions)
        return data

    @property
    def X(self) -> Samples:
        """The samples, one list of ``len(feature_names)`` floats each."""
        return self[0]

    @property
    def y(self) -> list:
        """The labels or targets, one per sample."""
        return self[1]


#: The 2-D classification sets' inputs: the two coordinates of a point.
_PLANE = {"x1": "first coordinate", "x2": "second coordinate"}


def _plane(X: Samples, y: list, what: str) -> DataSet:
    return DataSet(X, y, ("x1", "x2"), "class", {**_PLANE, "class": what})


def _shuffled(X: Samples, y: list[Label], rng: random.Random) -> tuple[Samples, list[Label]]:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _linspace(start: float, stop: float, count: int) -> list[float]:
    if count == 1:
        return [start]
    step = (stop - start) / (count - 1)
    return [start + i * step for i in range(count)]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> DataSet:
    """Two interleaving half circles (scikit-learn's ``make_moons``), shuffled.

    Label 0: (cos t, sin t); label 1: (1 - cos t, 1/2 - sin t), t in [0, pi],
    each point plus Gaussian noise of standard deviation ``noise``. The outer
    moon gets n // 2 points, the inner one the rest.
    """
    integer(n, "n", minimum=2)
    noise = real(noise, "noise", low=0.0)
    rng = random.Random(seed)
    outer, inner = n // 2, n - n // 2
    X: Samples = []
    y: list[int] = []
    for t in _linspace(0.0, math.pi, outer):
        X.append([math.cos(t), math.sin(t)])
        y.append(0)
    for t in _linspace(0.0, math.pi, inner):
        X.append([1.0 - math.cos(t), 0.5 - math.sin(t)])
        y.append(1)
    X = [[a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)] for a, b in X]
    return _plane(*_shuffled(X, y, rng), "0 = outer moon, 1 = inner moon")


def make_xor(n: int = 100, noise: float = 0.2, seed: int = 0) -> DataSet:
    """XOR: four clusters around (+-1, +-1); label 1 where the two signs differ.

    Sample i sits at the corner i % 4 (so the classes are balanced) plus
    Gaussian noise of standard deviation ``noise``; the result is shuffled.
    """
    integer(n, "n", minimum=4)
    noise = real(noise, "noise", low=0.0)
    rng = random.Random(seed)
    corners = [(1.0, 1.0, 0), (-1.0, -1.0, 0), (1.0, -1.0, 1), (-1.0, 1.0, 1)]
    X: Samples = []
    y: list[int] = []
    for i in range(n):
        a, b, label = corners[i % 4]
        X.append([a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)])
        y.append(label)
    return _plane(*_shuffled(X, y, rng), "1 where the two coordinates' signs differ, else 0")


def make_circles(
    n: int = 100, noise: float = 0.1, factor: float = 0.5, seed: int = 0
) -> DataSet:
    """Two concentric circles (scikit-learn's ``make_circles``), shuffled.

    Label 0 on the unit circle, label 1 on the circle of radius ``factor``
    (0 < factor < 1), evenly spaced, plus Gaussian noise.
    """
    integer(n, "n", minimum=2)
    noise = real(noise, "noise", low=0.0)
    factor = real(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must be a number in (0, 1), got {factor!r}")
    rng = random.Random(seed)
    outer, inner = n // 2, n - n // 2
    X: Samples = []
    y: list[int] = []
    for radius, count, label in ((1.0, outer, 0), (float(factor), inner, 1)):
        for i in range(count):
            t = 2.0 * math.pi * i / count
            X.append([radius * math.cos(t) + rng.gauss(0.0, noise), radius * math.sin(t) + rng.gauss(0.0, noise)])
            y.append(label)
    return _plane(*_shuffled(X, y, rng), "0 = outer circle, 1 = inner circle")


def make_spirals(
    n: int = 100, classes: int = 2, noise: float = 0.2, seed: int = 0
) -> DataSet:
    """``classes`` interleaved spiral arms (CS231n's spiral data), shuffled.

    Arm k holds about n / classes points at radius r in [0, 1] and angle
    4k + 4r (radians) plus Gaussian noise of standard deviation ``noise`` on
    the angle; label k.
    """
    integer(n, "n", minimum=2)
    integer(classes, "classes", minimum=2)
    noise = real(noise, "noise", low=0.0)
    rng = random.Random(seed)
    X: Samples = []
    y: list[int] = []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        for r in _linspace(0.0, 1.0, count):
            angle = 4.0 * k + 4.0 * r + rng.gauss(0.0, noise)
            X.append([r * math.sin(angle), r * math.cos(angle)])
            y.append(k)
    return _plane(*_shuffled(X, y, rng), f"the spiral arm, 0 to {classes - 1}")


# --- the ice-cream article: the shop ------------------------------------------------------

#: The ice-cream table: (temperature in degrees C, weekday 1 = Monday .. 7 = Sunday,
#: sales in thousands). Made for this project in the spirit of the ice-cream article
#: (its table was an image that did not survive): warmer days sell more, and so do
#: weekends. With ``nn.models.icecream_network(output_bias=b)`` its MSE is 0.08650 at
#: b = 0, 0.03798 at b = 0.1 and lowest near b = 0.3 (0.00094), the numbers of the
#: article's story (0.08651, 0.03791, best at 0.3).
ICECREAM_TABLE: tuple[tuple[float, float, float], ...] = (
    (18.0, 2.0, 0.43),
    (21.0, 6.0, 0.86),
    (24.0, 3.0, 0.83),
    (26.0, 7.0, 1.62),
    (29.0, 1.0, 1.10),
    (31.0, 5.0, 1.25),
    (22.0, 4.0, 0.66),
    (33.0, 6.0, 1.72),
    (27.0, 2.0, 1.03),
    (19.0, 7.0, 1.15),
)


#: What the ice-cream table's columns hold.
ICECREAM_DESCRIPTIONS = {
    "temperature": "the day's temperature in degrees Celsius",
    "weekday": "the day of the week, 1 = Monday, 2 = Tuesday, ..., 6 = Saturday, 7 = Sunday",
    "sales": "ice-cream sales that day, in thousands",
}


def icecream(scaled: bool = False) -> DataSet:
    """The ice-cream article's table: X = [temperature (C), weekday (1-7)], y = sales (thousands).

    ``feature_names`` are ``("temperature", "weekday")``, the weekday coded
    1 = Monday ... 7 = Sunday (``descriptions`` says so). ``nn.models.icecream_network``
    works on these raw features. Training a fresh network from random weights
    is easier on ``scaled=True`` features, [(temperature - 25) / 5, (weekday - 4) / 2],
    which lie roughly in [-2, 2].
    """
    descriptions = dict(ICECREAM_DESCRIPTIONS)
    if scaled:
        X = [[(temperature - 25.0) / 5.0, (weekday - 4.0) / 2.0] for temperature, weekday, _ in ICECREAM_TABLE]
        descriptions["temperature"] = "(temperature in degrees Celsius - 25) / 5"
        descriptions["weekday"] = "(weekday - 4) / 2, the weekday coded 1 = Monday ... 7 = Sunday"
    else:
        X = [[temperature, weekday] for temperature, weekday, _ in ICECREAM_TABLE]
    y = [sales for _, _, sales in ICECREAM_TABLE]
    return DataSet(X, y, ("temperature", "weekday"), "sales", descriptions)


# --- the universal-approximation article: the sigmoid tower --------------------------------


def tower(
    x: float,
    y: float,
    x_range: Sequence[float] = (-0.3, 0.7),
    y_range: Sequence[float] = (-0.2, 0.8),
    steepness: float = 1000.0,
    sharpness: float = 30.0,
) -> float:
    """The universal-approximation article's "tower": about 1 over x_range x y_range, about 0 elsewhere.

    Four steep sigmoid steps make two walls per axis:
    s = sig(k(x - x_min)) - sig(k(x - x_max)) + sig(k(y - y_min)) - sig(k(y - y_max)),
    which is 2 inside the rectangle, 1 on the "cross" and 0 outside; then
    tower = sig(sharpness (s - 1.1)) keeps only the inside.
    """
    k = steepness
    s = (
        stable_sigmoid(k * (x - x_range[0]))
        - stable_sigmoid(k * (x - x_range[1]))
        + stable_sigmoid(k * (y - y_range[0]))
        - stable_sigmoid(k * (y - y_range[1]))
    )
    return stable_sigmoid(sharpness * (s - 1.1))


def make_tower(
    n: int = 200,
    low: float = -1.5,
    high: float = 1.5,
    seed: int = 0,
    x_range: Sequence[float] = (-0.3, 0.7),
    y_range: Sequence[float] = (-0.2, 0.8),
    steepness: float = 1000.0,
    sharpness: float = 30.0,
) -> DataSet:
    """n points uniform in [low, high]^2 with the regression target ``tower(x, y)``."""
    integer(n, "n", minimum=1)
    low, high = real(low, "low"), real(high, "high")
    if not low < high:
        raise ValueError(f"need low < high, got low={low!r}, high={high!r}")
    rng = random.Random(seed)
    X = [[rng.uniform(low, high), rng.uniform(low, high)] for _ in range(n)]
    y = [tower(a, b, x_range, y_range, steepness, sharpness) for a, b in X]
    return DataSet(X, y, ("x1", "x2"), "height", {**_PLANE, "height": "the tower's height at the point, 0 to 1"})


# --- mini-batches -------------------------------------------------------------------------


def signed_labels(y: Sequence[float]) -> list[float]:
    """0/1 labels as -1.0/+1.0 (the hinge loss's convention); -1/1 stay as they are."""
    return [1.0 if label == 1 else -1.0 for label in y]


def check_batching(X: Sequence[Sample], y: Sequence[Label], batch_size: int | None) -> None:
    """Refuse what cannot be cut into batches: X and y of different lengths, no samples, a batch size below 1."""
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} targets")
    if not len(X):
        raise ValueError("X and y hold no samples")
    if batch_size is not None:
        integer(batch_size, "batch_size", minimum=1)


def batches(
    X: Sequence[Sample], y: Sequence[Label], batch_size: int | None = None, seed: int | None = 0
) -> Iterator[tuple[list[Sample], list[Label]]]:
    """Yield (X_batch, y_batch) covering the data once: one epoch.

    ``batch_size`` None gives one batch of everything in the original order
    (full-batch gradient descent); 1 gives single samples (SGD); k gives
    batches of k (mini-batch; the last may be smaller). The order is shuffled
    with ``random.Random(seed)`` unless ``seed`` is None or the batch is full.
    """
    check_batching(X, y, batch_size)
    if batch_size is None or batch_size >= len(X):
        yield list(X), list(y)
        return
    order = list(range(len(X)))
    if seed is not None:
        random.Random(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        yield [X[i] for i in chosen], [y[i] for i in chosen]
