"""Data sets and the articles' networks: seeded and reproducible, the right shapes, the documented numbers; batches."""

from __future__ import annotations

import math

import pytest

import nn
from nn import data, models, mse_loss

GENERATORS = [data.make_moons, data.make_xor, data.make_circles, data.make_spirals]


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_are_seeded_lists_of_float_pairs(make):
    X, y = make(60, seed=3)
    again = make(60, seed=3)
    other = make(60, seed=4)
    assert (X, y) == again and X != other[0]
    assert len(X) == len(y) == 60
    assert all(isinstance(x, list) and len(x) == 2 and all(type(v) is float for v in x) for x in X)
    assert set(y) == {0, 1} and all(type(label) is int for label in y)
    assert abs(y.count(0) - y.count(1)) <= 1


@pytest.mark.parametrize("make", GENERATORS)
def test_generators_refuse_bad_sizes_and_noise(make):
    with pytest.raises(ValueError, match=r"^n must be an int >= \d, got 0$"):
        make(0)
    with pytest.raises(ValueError, match=r"^noise must be a finite number >= 0, got -1.0$"):
        make(10, noise=-1.0)


@pytest.mark.parametrize("make", GENERATORS)
@pytest.mark.parametrize("kwargs, text", [
    ({"n": 10.0}, "n must be an int, got float (10.0)"),
    ({"n": True}, "n must be an int, got bool (True)"),
    ({"n": "10"}, "n must be an int, got str ('10')"),
    ({"n": 10, "noise": "0.1"}, "noise must be a real number, got str ('0.1')"),
])
def test_generators_refuse_wrong_types_with_a_type_error(make, kwargs, text):
    with pytest.raises(TypeError) as caught:
        make(**kwargs)
    assert str(caught.value) == text


def test_moons_without_noise_lie_on_their_half_circles():
    X, y = data.make_moons(40, noise=0.0, seed=0)
    for (a, b), label in zip(X, y):
        if label == 0:
            assert math.hypot(a, b) == pytest.approx(1.0) and b >= -1e-12
        else:
            assert math.hypot(a - 1.0, b - 0.5) == pytest.approx(1.0) and b <= 0.5 + 1e-12


def test_circles_without_noise_have_the_two_radii():
    X, y = data.make_circles(30, noise=0.0, factor=0.4)
    for (a, b), label in zip(X, y):
        assert math.hypot(a, b) == pytest.approx(1.0 if label == 0 else 0.4)


def test_xor_labels_follow_the_signs():
    X, y = data.make_xor(80, noise=0.1, seed=1)
    for (a, b), label in zip(X, y):
        assert label == int((a > 0) != (b > 0))


def test_spirals_can_have_more_classes():
    X, y = data.make_spirals(90, classes=3, seed=2)
    assert sorted(set(y)) == [0, 1, 2] and all(y.count(k) == 30 for k in range(3))
    with pytest.raises(TypeError, match="classes must be an int"):
        data.make_spirals(90, classes=3.0)
    with pytest.raises(ValueError, match="classes must be an int >= 2, got 1"):
        data.make_spirals(90, classes=1)


def test_circles_factor_is_checked():
    with pytest.raises(TypeError, match="factor must be a real number"):
        data.make_circles(10, factor="0.5")
    with pytest.raises(ValueError, match=r"factor must be a number in \(0, 1\), got 1.0"):
        data.make_circles(10, factor=1.0)


def test_icecream_table_and_network_reproduce_the_articles_story():
    X, y = data.icecream()
    assert len(X) == len(y) == 10 and all(len(x) == 2 for x in X)
    assert all(15 <= t <= 35 and 1 <= d <= 7 for t, d in X)
    model = models.icecream_network(output_bias=0.0)
    assert len(model.parameters()) == 9
    assert model.layers[0].activation == "relu" and model.layers[1].activation == "relu"

    def mse(bias):
        net = models.icecream_network(output_bias=bias)
        return mse_loss(net.forward_batch(X), y).data

    assert mse(0.0) == pytest.approx(0.08651, abs=5e-5)   # the article's 0.08651
    assert mse(0.1) == pytest.approx(0.03791, abs=1e-4)   # the article's 0.03791
    grid = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert min(grid, key=mse) == 0.3                       # the article's best guess
    trained = models.icecream_network()
    assert dict((n, p.data) for n, p in trained.named_parameters()) == models.ICECREAM_PARAMETERS


def test_the_articles_networks_are_exported_from_nn():
    assert nn.icecream_network is models.icecream_network
    assert nn.tower_network is models.tower_network
    assert not hasattr(data, "icecream_network") and not hasattr(data, "tower_network")


def test_icecream_scaled_features():
    X, _ = data.icecream(scaled=True)
    raw, _ = data.icecream()
    assert X[0] == [(raw[0][0] - 25.0) / 5.0, (raw[0][1] - 4.0) / 2.0]


def test_tower_network_computes_the_tower_function():
    model = models.tower_network()
    points = [(x, y) for x in (-1.0, -0.31, -0.29, 0.2, 0.69, 0.71, 1.4) for y in (-0.5, -0.21, 0.3, 0.79, 0.81, 2.0)]
    for x, y in points:
        assert model([x, y]).data == pytest.approx(data.tower(x, y), abs=1e-12)
    assert data.tower(0.2, 0.3) > 0.99 and data.tower(2.0, 2.0) < 0.01 and data.tower(0.2, 2.0) < 0.05


def test_make_tower_targets():
    X, y = data.make_tower(50, seed=1)
    assert len(X) == 50 and all(-1.5 <= a <= 1.5 and -1.5 <= b <= 1.5 for a, b in X)
    assert all(0.0 < t < 1.0 for t in y) and y == [data.tower(a, b) for a, b in X]


def test_signed_labels():
    assert data.signed_labels([0, 1, 1, 0]) == [-1.0, 1.0, 1.0, -1.0]
    assert data.signed_labels([-1, 1]) == [-1.0, 1.0]


def test_batches_full_single_and_mini():
    X = [[float(i)] for i in range(10)]
    y = list(range(10))
    full = list(data.batches(X, y, None, seed=5))
    assert full == [(X, y)]
    singles = list(data.batches(X, y, 1, seed=5))
    assert len(singles) == 10 and sorted(b[1][0] for b in singles) == y
    assert [b[1][0] for b in singles] != y  # shuffled
    minis = list(data.batches(X, y, 4, seed=5))
    assert [len(b[1]) for b in minis] == [4, 4, 2]
    assert sorted(label for b in minis for label in b[1]) == y
    assert all(xb == [[float(label)] for label in yb] for xb, yb in minis)
    assert minis == list(data.batches(X, y, 4, seed=5))
    assert [b[1] for b in data.batches(X, y, 4, seed=None)] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_batches_refuse_bad_input():
    with pytest.raises(ValueError, match="3 samples but y has 2"):
        list(data.batches([[1.0]] * 3, [0, 1], 2))
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        list(data.batches([[1.0]] * 3, [0, 1, 0], 0))
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        list(data.batches([[1.0]] * 3, [0, 1, 0], 0, seed=None))
    with pytest.raises(TypeError, match=r"batch_size must be an int, got float \(2.0\)"):
        list(data.batches([[1.0]] * 3, [0, 1, 0], 2.0))
    with pytest.raises(TypeError, match=r"batch_size must be an int, got str"):
        list(data.batches([[1.0]] * 3, [0, 1, 0], "9"))
