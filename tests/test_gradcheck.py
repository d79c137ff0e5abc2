"""gradcheck: passes on the engine's ops, catches a wrong derivative, leaves inputs alone."""

from __future__ import annotations

import math

import pytest

from autograd import GradcheckError, GradcheckResult, Op, Value, central_difference, gradcheck
from autograd.value import _binary, _unary

# A sine with the derivative right, and one with it wrong (sin instead of cos),
# built with the engine's own Op record and node builders.
SIN = Op("sin", "sin", 1, lambda a: (math.sin(a), math.cos(a)), ("d(sin(a))/da = cos(a)",), "sin({0})")
WRONG_SIN = Op("sin", "sin", 1, lambda a: (math.sin(a), math.sin(a)), ("d(sin(a))/da = cos(a)",),
               "sin({0})")
# a*b whose derivative in b is wrong (b instead of a)
WRONG_MUL = Op("mul", "*", 2, lambda a, b: (a * b, b, b), ("d(a*b)/da = b", "d(a*b)/db = a"),
               "{0} * {1}")


def test_gradcheck_passes_on_a_composition_of_every_op():
    def f(x, w, b):
        h = x * w + b - x / w
        return (h.tanh() + h.sigmoid() * 2 ** x + abs(h) + h.relu() + h.leaky_relu(0.1)
                + (x * x).sqrt() + (w * w).log() + (-h).exp() + x ** 3 + (w * w) ** b) / 3.0

    result = gradcheck(f, [0.7, -1.3, 0.4])
    assert isinstance(result, GradcheckResult)
    assert result.worst_error <= 1.0 and len(result.analytic) == 3 == len(result.numeric)
    for analytic, numeric in zip(result.analytic, result.numeric):
        assert math.isclose(analytic, numeric, rel_tol=1e-6, abs_tol=1e-8)


def test_gradcheck_passes_on_a_correct_custom_op():
    gradcheck(lambda x: _unary(x, SIN), [0.7])


def test_gradcheck_raises_on_a_wrong_derivative_with_a_clear_message():
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda x: _unary(x, WRONG_SIN), [0.7])
    message = str(error.value)
    assert "gradcheck failed" in message and "input 0" in message
    assert f"backward {math.sin(0.7)!r}" in message
    assert "central difference 0.76484" in message  # cos(0.7)
    assert isinstance(error.value, AssertionError)  # fails a test as an assertion would


def test_gradcheck_points_at_the_input_with_the_wrong_gradient():
    f = lambda a, b: _binary(a, b, WRONG_MUL)  # noqa: E731
    result = gradcheck(f, [2.0, 5.0], raise_on_failure=False)
    assert result.worst_index == 1 and result.worst_error > 1.0
    assert result.analytic == (5.0, 5.0)
    assert math.isclose(result.numeric[1], 2.0, rel_tol=1e-8)
    assert "input 1" in str(result)
    with pytest.raises(GradcheckError, match="input 1"):
        gradcheck(f, [2.0, 5.0])


def test_gradcheck_tolerances_decide():
    f = lambda x: _unary(x, WRONG_SIN)  # noqa: E731
    # error |sin - cos| = 0.12 at 0.7: within atol 0.2, not within 0.1
    gradcheck(f, [0.7], atol=0.2, rtol=0.0)
    with pytest.raises(GradcheckError):
        gradcheck(f, [0.7], atol=0.1, rtol=0.0)


def test_gradcheck_leaves_its_inputs_untouched():
    x, w = Value(0.5, label="x"), Value(-2.0, label="w")
    x.grad, w.grad = 7.0, -1.0
    gradcheck(lambda a, b: (a * b).tanh(), [x, w])
    assert (x.data, x.grad, w.data, w.grad) == (0.5, 7.0, -2.0, -1.0)
    assert x.is_leaf and w.is_leaf and x.label == "x"


def test_gradcheck_takes_numbers_and_values():
    result = gradcheck(lambda a, b: a * b + b, [Value(1.5), 2])
    # d(ab + b)/da = b = 2, d(ab + b)/db = a + 1 = 2.5: a Value and a plain number alike.
    assert result.analytic == (2.0, 2.5)
    assert result.numeric == pytest.approx((2.0, 2.5), rel=1e-6)
    assert result.worst_error < 1e-6


def test_central_difference_is_the_symmetric_quotient():
    numeric = central_difference(lambda x: x ** 3, [2.0], 0, 1e-4)
    assert math.isclose(numeric, ((2.0001) ** 3 - (1.9999) ** 3) / 2e-4, rel_tol=1e-12)
    assert math.isclose(numeric, 12.0, rel_tol=1e-7)


def test_gradcheck_rejects_bad_use():
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(TypeError, match="must return a Value, got float"):
        gradcheck(lambda x: 2.0, [1.0])
    with pytest.raises(TypeError, match="gradcheck input 0 must be a real number, got str"):
        gradcheck(lambda x: x, ["1.0"])
    with pytest.raises(ValueError, match="gradcheck input 1 is too large for a float"):
        gradcheck(lambda x, y: x * y, [1.0, 10**400])


@pytest.mark.parametrize(
    "settings, error, message",
    [
        ({"eps": 0.0}, ValueError, "gradcheck's eps must be a finite number > 0, got 0.0"),
        ({"eps": -1e-6}, ValueError, "eps must be a finite number > 0"),
        ({"eps": float("inf")}, ValueError, "eps must be a finite number > 0, got inf"),
        ({"atol": -1.0, "rtol": 0.0}, ValueError, "atol must be a finite number >= 0, got -1.0"),
        ({"rtol": float("nan")}, ValueError, "rtol must be a finite number >= 0, got nan"),
        ({"atol": 0.0, "rtol": 0.0}, ValueError, "cannot both be 0"),
        ({"eps": "small"}, TypeError, "eps must be a real number, got str"),
        ({"atol": True}, TypeError, "atol must be a real number, got bool"),
    ],
)
def test_bad_settings_are_refused_before_any_evaluation(settings, error, message):
    calls = []

    def f(x):
        calls.append(x)
        return x * x

    with pytest.raises(error, match=message):
        gradcheck(f, [1.0], **settings)
    assert calls == []


def test_the_views_numeric_check_uses_gradchecks_one_set_of_tolerances():
    import importlib
    import inspect

    from autograd.viz import numeric

    gradcheck_module = importlib.import_module("autograd.gradcheck")  # (the package's name is the function)

    defaults = inspect.signature(gradcheck_module.gradcheck).parameters
    assert (defaults["eps"].default, defaults["atol"].default, defaults["rtol"].default) == (
        gradcheck_module.EPS, gradcheck_module.ATOL, gradcheck_module.RTOL)
    assert (numeric.EPS, numeric.ATOL, numeric.RTOL) == (
        gradcheck_module.EPS, gradcheck_module.ATOL, gradcheck_module.RTOL)
    # A wrong gradient off by less than gradcheck's tolerance passes both, off by more fails both.
    x = Value(2.0, label="x")
    y = x * x  # dy/dx = 4
    for analytic, verdict in ((4.0 + 0.5e-3 * 4.0, True), (4.0 + 2e-3 * 4.0, False)):
        check = numeric.check_leaf_grads(y, [x], {id(x): analytic})[id(x)]
        result = gradcheck_module.gradcheck(lambda v: v * v, [2.0], raise_on_failure=False)
        assert check.ok is verdict
        assert (gradcheck_module._scaled_error(analytic, result.numeric[0], gradcheck_module.ATOL,
                                               gradcheck_module.RTOL) <= 1.0) is verdict
