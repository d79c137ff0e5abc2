"""Small data sets, seeded and pure Python, plus a mini-batch iterator.

Every generator returns ``(X, y)``: ``X`` a list of samples, each a list of
floats; ``y`` a list of labels (ints 0/1, or 0..K-1) or, for regression,
floats. The same ``seed`` always gives the same data, on any machine.

* ``make_moons``, ``make_xor``, ``make_circles``, ``make_spirals`` — 2-D
  classification (micrograd's demo uses the moons);
* ``icecream`` — seed 002's ice-cream shop: temperature and weekday -> sales,
  ten documented rows, with ``icecream_network()``, its 2 -> 2 ReLU -> 1 ReLU
  network of 9 parameters;
* ``make_tower`` — seed 004's sigmoid "tower" target, with ``tower`` (the
  function) and ``tower_network()`` (the five sigmoid neurons that compute it);
* ``batches`` — shuffled mini-batches for gradient descent, SGD and mini-batch.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any, Iterator, Sequence

Samples = list[list[float]]


def _check_count(n: Any, what: str = "n", minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {n!r}")
    return n


def _check_noise(noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, numbers.Real) or not noise >= 0.0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")
    return float(noise)


def _shuffled(X: Samples, y: list[Any], rng: random.Random) -> tuple[Samples, list[Any]]:
    order = list(range(len(X)))
    rng.shuffle(order)
    return [X[i] for i in order], [y[i] for i in order]


def _linspace(start: float, stop: float, count: int) -> list[float]:
    if count == 1:
        return [start]
    step = (stop - start) / (count - 1)
    return [start + i * step for i in range(count)]


def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0) -> tuple[Samples, list[int]]:
    """Two interleaving half circles (scikit-learn's ``make_moons``), shuffled.

    Label 0: (cos t, sin t); label 1: (1 - cos t, 1/2 - sin t), t in [0, pi],
    each point plus Gaussian noise of standard deviation ``noise``. The outer
    moon gets n // 2 points, the inner one the rest.
    """
    _check_count(n, minimum=2)
    noise = _check_noise(noise)
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
    return _shuffled(X, y, rng)


def make_xor(n: int = 100, noise: float = 0.2, seed: int = 0) -> tuple[Samples, list[int]]:
    """XOR: four clusters around (+-1, +-1); label 1 where the two signs differ.

    Sample i sits at the corner i % 4 (so the classes are balanced) plus
    Gaussian noise of standard deviation ``noise``; the result is shuffled.
    """
    _check_count(n, minimum=4)
    noise = _check_noise(noise)
    rng = random.Random(seed)
    corners = [(1.0, 1.0, 0), (-1.0, -1.0, 0), (1.0, -1.0, 1), (-1.0, 1.0, 1)]
    X: Samples = []
    y: list[int] = []
    for i in range(n):
        a, b, label = corners[i % 4]
        X.append([a + rng.gauss(0.0, noise), b + rng.gauss(0.0, noise)])
        y.append(label)
    return _shuffled(X, y, rng)


def make_circles(
    n: int = 100, noise: float = 0.1, factor: float = 0.5, seed: int = 0
) -> tuple[Samples, list[int]]:
    """Two concentric circles (scikit-learn's ``make_circles``), shuffled.

    Label 0 on the unit circle, label 1 on the circle of radius ``factor``
    (0 < factor < 1), evenly spaced, plus Gaussian noise.
    """
    _check_count(n, minimum=2)
    noise = _check_noise(noise)
    if isinstance(factor, bool) or not isinstance(factor, numbers.Real) or not 0.0 < factor < 1.0:
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
    return _shuffled(X, y, rng)


def make_spirals(
    n: int = 100, classes: int = 2, noise: float = 0.2, seed: int = 0
) -> tuple[Samples, list[int]]:
    """``classes`` interleaved spiral arms (CS231n's spiral data), shuffled.

    Arm k holds about n / classes points at radius r in [0, 1] and angle
    4k + 4r (radians) plus Gaussian noise of standard deviation ``noise`` on
    the angle; label k.
    """
    _check_count(n, minimum=2)
    _check_count(classes, "classes", minimum=2)
    noise = _check_noise(noise)
    rng = random.Random(seed)
    X: Samples = []
    y: list[int] = []
    for k in range(classes):
        count = n // classes + (1 if k < n % classes else 0)
        for r in _linspace(0.0, 1.0, count):
            angle = 4.0 * k + 4.0 * r + rng.gauss(0.0, noise)
            X.append([r * math.sin(angle), r * math.cos(angle)])
            y.append(k)
    return _shuffled(X, y, rng)


#: Alias: the command line calls the data set "spiral".
make_spiral = make_spirals


# --- seed 002: the ice-cream shop ---------------------------------------------------------

#: The ice-cream table: (temperature in degrees C, weekday 1 = Monday .. 7 = Sunday,
#: sales in thousands). Made for this project in the spirit of seed 002 (its table
#: was an image that did not survive): warmer days sell more, and so do weekends.
#: With ``icecream_network(output_bias=b)`` its MSE is 0.08650 at b = 0, 0.03798 at
#: b = 0.1 and lowest near b = 0.3 (0.00094), the numbers of the seed's story
#: (0.08651, 0.03791, best at 0.3).
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

#: The 9 parameters of the ice-cream network after training (seed 002's "optimal
#: values"): hidden neuron L1.N1 grows with temperature, L1.N2 wakes up at the weekend.
ICECREAM_PARAMETERS: dict[str, float] = {
    "L1.N1.w1": 0.1,
    "L1.N1.w2": -0.02,
    "L1.N1.b": -1.5,
    "L1.N2.w1": 0.01,
    "L1.N2.w2": 0.5,
    "L1.N2.b": -2.8,
    "L2.N1.w1": 0.6,
    "L2.N1.w2": 0.8,
    "L2.N1.b": 0.3,
}

#: Training ``icecream_network(output_bias=0.0)`` on the table with the MSE loss
#: (full-batch gradient descent, lr 0.002, 500 epochs) brings the MSE below this
#: (to about 0.00074).
ICECREAM_MSE_TARGET = 0.001


def icecream(scaled: bool = False) -> tuple[Samples, list[float]]:
    """Seed 002's ice-cream table: X = [temperature (C), weekday (1-7)], y = sales (thousands).

    ``icecream_network`` works on these raw features. Training a fresh
    network from random weights is easier on ``scaled=True`` features,
    [(temperature - 25) / 5, (weekday - 4) / 2], which lie roughly in [-2, 2].
    """
    if scaled:
        X = [[(temperature - 25.0) / 5.0, (weekday - 4.0) / 2.0] for temperature, weekday, _ in ICECREAM_TABLE]
    else:
        X = [[temperature, weekday] for temperature, weekday, _ in ICECREAM_TABLE]
    y = [sales for _, _, sales in ICECREAM_TABLE]
    return X, y


def icecream_network(output_bias: float | None = None) -> Any:
    """The seed's network: MLP(2, [2, 1]) with ReLU everywhere, set to ``ICECREAM_PARAMETERS``.

    ``output_bias`` replaces the output neuron's bias ``L2.N1.b`` (the seed
    starts its search from 0.0); None keeps the trained 0.3.
    """
    from .layers import MLP

    model = MLP(2, [2, 1], activation="relu", output_activation="relu", seed=0)
    state = dict(ICECREAM_PARAMETERS)
    if output_bias is not None:
        state["L2.N1.b"] = output_bias
    model.load_state_dict(state)
    return model


# --- seed 004: the sigmoid tower ----------------------------------------------------------


def _sigmoid(z: float) -> float:
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def tower(
    x: float,
    y: float,
    x_range: Sequence[float] = (-0.3, 0.7),
    y_range: Sequence[float] = (-0.2, 0.8),
    steepness: float = 1000.0,
    sharpness: float = 30.0,
) -> float:
    """Seed 004's "tower": about 1 over the rectangle x_range x y_range, about 0 elsewhere.

    Four steep sigmoid steps make two walls per axis:
    s = sig(k(x - x_min)) - sig(k(x - x_max)) + sig(k(y - y_min)) - sig(k(y - y_max)),
    which is 2 inside the rectangle, 1 on the "cross" and 0 outside; then
    tower = sig(sharpness (s - 1.1)) keeps only the inside.
    """
    k = steepness
    s = (
        _sigmoid(k * (x - x_range[0]))
        - _sigmoid(k * (x - x_range[1]))
        + _sigmoid(k * (y - y_range[0]))
        - _sigmoid(k * (y - y_range[1]))
    )
    return _sigmoid(sharpness * (s - 1.1))


def make_tower(
    n: int = 200,
    low: float = -1.5,
    high: float = 1.5,
    seed: int = 0,
    x_range: Sequence[float] = (-0.3, 0.7),
    y_range: Sequence[float] = (-0.2, 0.8),
    steepness: float = 1000.0,
    sharpness: float = 30.0,
) -> tuple[Samples, list[float]]:
    """n points uniform in [low, high]^2 with the regression target ``tower(x, y)``."""
    _check_count(n)
    if not low < high:
        raise ValueError(f"need low < high, got low={low!r}, high={high!r}")
    rng = random.Random(seed)
    X = [[rng.uniform(low, high), rng.uniform(low, high)] for _ in range(n)]
    y = [tower(a, b, x_range, y_range, steepness, sharpness) for a, b in X]
    return X, y


def tower_network(
    x_range: Sequence[float] = (-0.3, 0.7),
    y_range: Sequence[float] = (-0.2, 0.8),
    steepness: float = 1000.0,
    sharpness: float = 30.0,
) -> Any:
    """Seed 004's tower as five sigmoid neurons: MLP(2, [4, 1]), sigmoid everywhere.

    L1.N1..N4 are the four walls (weights k on x or y, biases -k * edge);
    L2.N1 adds them with weights +s, -s, +s, -s and bias -1.1 s. It computes
    ``tower`` exactly (up to rounding).
    """
    from .layers import MLP

    k, s = float(steepness), float(sharpness)
    model = MLP(2, [4, 1], activation="sigmoid", output_activation="sigmoid", seed=0)
    walls = [(k, 0.0, x_range[0]), (k, 0.0, x_range[1]), (0.0, k, y_range[0]), (0.0, k, y_range[1])]
    state: dict[str, float] = {}
    for j, (wx, wy, edge) in enumerate(walls, start=1):
        state[f"L1.N{j}.w1"] = wx
        state[f"L1.N{j}.w2"] = wy
        state[f"L1.N{j}.b"] = -k * edge
    for j, sign in enumerate((1.0, -1.0, 1.0, -1.0), start=1):
        state[f"L2.N1.w{j}"] = sign * s
    state["L2.N1.b"] = -1.1 * s
    model.load_state_dict(state)
    return model


# --- mini-batches -------------------------------------------------------------------------


def signed_labels(y: Sequence[Any]) -> list[float]:
    """0/1 labels as -1.0/+1.0 (the hinge loss's convention); -1/1 stay as they are."""
    return [1.0 if label == 1 else -1.0 for label in y]


def batches(
    X: Sequence[Any], y: Sequence[Any], batch_size: int | None = None, seed: int | None = 0
) -> Iterator[tuple[list[Any], list[Any]]]:
    """Yield (X_batch, y_batch) covering the data once: one epoch.

    ``batch_size`` None gives one batch of everything in the original order
    (full-batch gradient descent); 1 gives single samples (SGD); k gives
    batches of k (mini-batch; the last may be smaller). The order is shuffled
    with ``random.Random(seed)`` unless ``seed`` is None or the batch is full.
    """
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)} labels")
    if not len(X):
        raise ValueError("no samples to batch")
    if batch_size is None or batch_size >= len(X):
        if batch_size is not None:
            _check_count(batch_size, "batch_size")
        yield list(X), list(y)
        return
    _check_count(batch_size, "batch_size")
    order = list(range(len(X)))
    if seed is not None:
        random.Random(seed).shuffle(order)
    for start in range(0, len(order), batch_size):
        chosen = order[start:start + batch_size]
        yield [X[i] for i in chosen], [y[i] for i in chosen]
