"""Float edge cases: IEEE results as PyTorch float64 gives them, never a Python exception.

Python's own float operators raise where IEEE 754 has an answer
(``1.0 / 0`` is a ZeroDivisionError, ``math.exp(1000)`` an OverflowError,
``math.log(-1)`` a "math domain error", ``(-8) ** (1/3)`` a complex number).
The engine gives the IEEE answer instead, the one PyTorch gives, for the
value and for the gradient. The comparisons with PyTorch are marked
``torch`` (imported inside them); the documented results need only the engine.
"""

from __future__ import annotations

import math

import pytest

from autograd import Value
from support import assert_floats_match


def leaky(slope):
    """PyTorch's leaky ReLU, imported when a test compares with it."""
    def theirs(tensor):
        import torch.nn.functional

        return torch.nn.functional.leaky_relu(tensor, slope)

    return theirs

INF, NAN = math.inf, math.nan

# id, ours, PyTorch's, inputs
EDGES = [
    ("sigmoid(1000)", lambda a: a.sigmoid(), lambda t: t.sigmoid(), (1000.0,)),
    ("sigmoid(-1000)", lambda a: a.sigmoid(), lambda t: t.sigmoid(), (-1000.0,)),
    ("sigmoid(-750)", lambda a: a.sigmoid(), lambda t: t.sigmoid(), (-750.0,)),
    ("tanh(1000)", lambda a: a.tanh(), lambda t: t.tanh(), (1000.0,)),
    ("tanh(-1000)", lambda a: a.tanh(), lambda t: t.tanh(), (-1000.0,)),
    ("exp(1000)", lambda a: a.exp(), lambda t: t.exp(), (1000.0,)),
    ("exp(-1000)", lambda a: a.exp(), lambda t: t.exp(), (-1000.0,)),
    ("exp(710)", lambda a: a.exp(), lambda t: t.exp(), (710.0,)),
    ("log(0)", lambda a: a.log(), lambda t: t.log(), (0.0,)),
    ("log(-0.0)", lambda a: a.log(), lambda t: t.log(), (-0.0,)),
    ("log(-1)", lambda a: a.log(), lambda t: t.log(), (-1.0,)),
    ("log(inf)", lambda a: a.log(), lambda t: t.log(), (INF,)),
    ("sqrt(-1)", lambda a: a.sqrt(), lambda t: t.sqrt(), (-1.0,)),
    ("sqrt(0)", lambda a: a.sqrt(), lambda t: t.sqrt(), (0.0,)),
    ("0**-1", lambda a: a ** -1, lambda a: a ** -1, (0.0,)),
    ("-0.0**-1", lambda a: a ** -1, lambda a: a ** -1, (-0.0,)),
    ("0**-2", lambda a: a ** -2, lambda a: a ** -2, (0.0,)),
    ("0**0.5", lambda a: a ** 0.5, lambda a: a ** 0.5, (0.0,)),
    ("0**0", lambda a: a ** 0, lambda a: a ** 0, (0.0,)),
    ("(-8)**(1/3)", lambda a: a ** (1 / 3), lambda a: a ** (1 / 3), (-8.0,)),
    ("(-8)**-0.5", lambda a: a ** -0.5, lambda a: a ** -0.5, (-8.0,)),
    ("10**400", lambda a: a ** 400, lambda a: a ** 400, (10.0,)),
    ("(-10)**401", lambda a: a ** 401, lambda a: a ** 401, (-10.0,)),
    ("0**v", lambda a, b: a ** b, lambda a, b: a ** b, (0.0, 2.0)),
    ("0**v negative", lambda a, b: a ** b, lambda a, b: a ** b, (0.0, -1.0)),
    ("0**v zero", lambda a, b: a ** b, lambda a, b: a ** b, (0.0, 0.0)),
    ("(-8)**v", lambda a, b: a ** b, lambda a, b: a ** b, (-8.0, 1 / 3)),
    ("10**v huge", lambda a, b: a ** b, lambda a, b: a ** b, (10.0, 400.0)),
    ("2**v huge", lambda a: 2 ** a, lambda a: 2 ** a, (5000.0,)),
    ("x/0", lambda a, b: a / b, lambda a, b: a / b, (1.0, 0.0)),
    ("-x/0", lambda a, b: a / b, lambda a, b: a / b, (-1.0, 0.0)),
    ("x/-0.0", lambda a, b: a / b, lambda a, b: a / b, (1.0, -0.0)),
    ("0/0", lambda a, b: a / b, lambda a, b: a / b, (0.0, 0.0)),
    ("1/0 number", lambda a: 1 / a, lambda a: 1 / a, (0.0,)),
    ("x/0 number", lambda a: a / 0, lambda a: a / 0, (2.0,)),
    ("huge*huge", lambda a, b: a * b, lambda a, b: a * b, (1e200, 1e200)),
    ("inf-inf", lambda a, b: a - b, lambda a, b: a - b, (INF, INF)),
    ("inf*0", lambda a, b: a * b, lambda a, b: a * b, (INF, 0.0)),
    ("relu(inf)", lambda a: a.relu(), lambda t: t.relu(), (INF,)),
    ("relu(nan)", lambda a: a.relu(), lambda t: t.relu(), (NAN,)),
    ("abs(nan)", abs, abs, (NAN,)),
    ("abs(-inf)", abs, abs, (-INF,)),
    ("leaky_relu(nan)", lambda a: a.leaky_relu(0.1), leaky(0.1), (NAN,)),
    ("leaky_relu(-inf)", lambda a: a.leaky_relu(0.1), leaky(0.1), (-INF,)),
    ("tanh(nan)", lambda a: a.tanh(), lambda t: t.tanh(), (NAN,)),
    ("sigmoid(nan)", lambda a: a.sigmoid(), lambda t: t.sigmoid(), (NAN,)),
    ("sigmoid(inf)", lambda a: a.sigmoid(), lambda t: t.sigmoid(), (INF,)),
    ("sigmoid(-inf)", lambda a: a.sigmoid(), lambda t: t.sigmoid(), (-INF,)),
    ("exp(nan)", lambda a: a.exp(), lambda t: t.exp(), (NAN,)),
    ("exp(-inf)", lambda a: a.exp(), lambda t: t.exp(), (-INF,)),
    ("log(nan)", lambda a: a.log(), lambda t: t.log(), (NAN,)),
]


@pytest.mark.parametrize("ours, inputs", [pytest.param(o, i, id=n) for n, o, _, i in EDGES])
def test_edge_values_never_raise_and_stay_floats(ours, inputs):
    leaves = [Value(x) for x in inputs]
    out = ours(*leaves)  # never OverflowError, ZeroDivisionError, ValueError or complex
    out.backward()
    assert type(out.data) is float and all(type(leaf.grad) is float for leaf in leaves)


@pytest.mark.torch
@pytest.mark.parametrize("ours, theirs, inputs", [pytest.param(o, t, i, id=n) for n, o, t, i in EDGES])
def test_edge_value_and_gradient_match_pytorch(ours, theirs, inputs):
    import torch

    leaves = [Value(x) for x in inputs]
    out = ours(*leaves)  # never OverflowError, ZeroDivisionError, ValueError or complex
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    reference = theirs(*tensors)
    reference.backward()
    assert type(out.data) is float
    assert_floats_match(out.data, reference.item(), "value")
    for index, (leaf, tensor) in enumerate(zip(leaves, tensors)):
        assert type(leaf.grad) is float
        assert_floats_match(leaf.grad, tensor.grad.item(), f"gradient of input {index}")


@pytest.mark.parametrize("x", [1000.0, -1000.0, 1e308, -1e308, 745.0, -745.0])
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_saturating_functions_stay_finite_with_finite_gradients(name, x):
    v = Value(x)
    out = getattr(v, name)()
    out.backward()
    assert math.isfinite(out.data) and math.isfinite(v.grad)
    assert 0.0 <= v.grad < 1e-300
    low = 0.0 if name == "sigmoid" else -1.0
    assert abs(out.data - (1.0 if x > 0 else low)) < 1e-300


def test_the_documented_edge_results():
    assert Value(1000.0).exp().data == INF
    assert Value(0.0).log().data == -INF
    assert math.isnan(Value(-1.0).log().data)
    assert math.isnan(Value(-1.0).sqrt().data)
    assert (Value(0.0) ** -1).data == INF
    assert (Value(1.0) / 0).data == INF
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)


@pytest.mark.torch
def test_edge_values_propagate_through_a_graph_like_pytorch():
    import torch

    x = Value(0.0)
    y = (x.log() * 2.0).exp() + x.sqrt()  # exp(2 log 0) = 0, d/dx = 0*inf... as IEEE says
    y.backward()
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    reference = (t.log() * 2.0).exp() + t.sqrt()
    reference.backward()
    assert_floats_match(y.data, reference.item())
    assert_floats_match(x.grad, t.grad.item())


def test_known_deviation_pow_half_at_negative_zero_and_minus_infinity():
    # PyTorch computes x ** 0.5 as sqrt(x), so (-0.0) ** 0.5 is -0.0 there
    # and (-inf) ** 0.5 is nan; the engine follows IEEE 754 pow (C99, as
    # Python and NumPy): +0.0 and +inf. Everywhere else they agree.
    assert math.copysign(1.0, (Value(-0.0) ** 0.5).data) == 1.0
    assert (Value(-INF) ** 0.5).data == INF
    assert math.copysign(1.0, Value(-0.0).sqrt().data) == -1.0  # the sqrt op is sqrt's IEEE
