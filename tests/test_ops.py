"""Every op: value and local gradients against PyTorch float64 and central differences.

One line per op (or per form of an op: a number on either side of ``+``,
``2 ** v``, ...), checked by one helper in the style of early tinygrad's
``helper_test_op``; then the same comparisons with hypothesis over each
op's whole domain, kinks included at exactly 0.
"""

from __future__ import annotations

import inspect
import math
import operator
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import OPS, Op, Value, detect_anomaly, gradcheck, ops
from conftest import assert_floats_match

F = torch.nn.functional


def helper_test_op(ours, theirs, inputs, op_name=None, rel=1e-12, abs_=0.0, numeric=True):
    """``ours`` on Values and ``theirs`` on float64 tensors agree at ``inputs``.

    Checks the value and every input's gradient against PyTorch, finite
    gradients against central differences (``numeric``), and that the
    result is a single node made by ``op_name`` (not a composition).
    """
    leaves = [Value(x) for x in inputs]
    out = ours(*leaves)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    reference = theirs(*tensors)
    reference.backward()
    assert_floats_match(out.data, reference.item(), "value", rel, abs_)
    for index, (leaf, tensor) in enumerate(zip(leaves, tensors)):
        assert_floats_match(leaf.grad, tensor.grad.item(), f"gradient of input {index}", rel, abs_)
    if op_name is not None:
        assert out.op is not None and out.op.name == op_name
        assert all(node.is_leaf for node in out.inputs), "one op is one node"
    if numeric and all(math.isfinite(t.grad.item()) for t in tensors):
        gradcheck(ours, list(inputs))  # (where the derivative exists: (-2)**b has none in b)


# id, ours, PyTorch's, the op's name, points (away from kinks: they are below)
CASES = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, "add", [(1.5, -2.25), (-3.0, 7.0)]),
    ("add_number", lambda a: a + 2.5, lambda a: a + 2.5, "add", [(1.5,)]),
    ("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a, "add", [(-1.5,)]),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, "sub", [(1.5, -2.25), (0.5, 0.5)]),
    ("sub_number", lambda a: a - 2.5, lambda a: a - 2.5, "sub", [(1.5,)]),
    ("rsub_number", lambda a: 2.5 - a, lambda a: 2.5 - a, "sub", [(1.5,)]),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, "mul", [(1.5, -2.25), (0.0, 3.0)]),
    ("mul_number", lambda a: a * -3, lambda a: a * -3, "mul", [(1.5,)]),
    ("rmul_number", lambda a: -3 * a, lambda a: -3 * a, "mul", [(1.5,)]),
    ("div", lambda a, b: a / b, lambda a, b: a / b, "div", [(1.5, -2.25), (-3.0, 0.25)]),
    ("div_number", lambda a: a / 4.0, lambda a: a / 4.0, "div", [(1.5,)]),
    ("rdiv_number", lambda a: 3.0 / a, lambda a: 3.0 / a, "div", [(1.5,), (-0.4,)]),
    ("neg", lambda a: -a, lambda a: -a, "neg", [(1.5,), (-2.0,)]),
    ("pow_int", lambda a: a ** 2, lambda a: a ** 2, "pow2", [(1.5,), (-2.0,)]),
    ("pow_3", lambda a: a ** 3.0, lambda a: a ** 3.0, "pow3", [(1.5,), (-2.0,)]),
    ("pow_negative", lambda a: a ** -1.5, lambda a: a ** -1.5, "pow-1.5", [(1.5,), (0.3,)]),
    ("pow_half", lambda a: a ** 0.5, lambda a: a ** 0.5, "pow0.5", [(2.0,)]),
    ("pow_zero", lambda a: a ** 0, lambda a: a ** 0, "pow0", [(2.0,), (-3.0,)]),
    ("pow_value", lambda a, b: a ** b, lambda a, b: a ** b, "pow", [(1.7, 2.3), (0.5, -1.2)]),
    ("pow_value_negative_base", lambda a, b: a ** b, lambda a, b: a ** b, "pow", [(-2.0, 3.0)]),
    ("rpow_number", lambda a: 2 ** a, lambda a: 2 ** a, "pow", [(1.3,), (-0.7,)]),
    ("exp", lambda a: a.exp(), torch.exp, "exp", [(0.5,), (-2.0,)]),
    ("log", lambda a: a.log(), torch.log, "log", [(0.5,), (20.0,)]),
    ("sqrt", lambda a: a.sqrt(), torch.sqrt, "sqrt", [(0.5,), (20.0,)]),
    ("abs", lambda a: abs(a), torch.abs, "abs", [(-1.5,), (2.0,)]),
    ("abs_method", lambda a: a.abs(), torch.abs, "abs", [(-1.5,)]),
    ("tanh", lambda a: a.tanh(), torch.tanh, "tanh", [(0.5,), (-2.0,), (8.0,)]),
    ("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, "sigmoid", [(0.5,), (-3.0,), (30.0,)]),
    ("relu", lambda a: a.relu(), torch.relu, "relu", [(-1.5,), (2.0,)]),
    ("leaky_relu", lambda a: a.leaky_relu(), F.leaky_relu, "leaky_relu", [(-1.5,), (2.0,)]),
    ("leaky_relu_slope", lambda a: a.leaky_relu(0.2), lambda a: F.leaky_relu(a, 0.2), "leaky_relu",
     [(-1.5,), (2.0,)]),
]


@pytest.mark.parametrize(
    "ours, theirs, op_name, point",
    [pytest.param(ours, theirs, name, point, id=f"{case}{list(point)}")
     for case, ours, theirs, name, points in CASES for point in points],
)
def test_op_matches_pytorch_and_central_differences(ours, theirs, op_name, point):
    helper_test_op(ours, theirs, point, op_name)


# At a kink the derivative is a convention; PyTorch's is the reference.
KINKS = [
    ("relu", lambda a: a.relu(), torch.relu),
    ("abs", lambda a: abs(a), torch.abs),
    ("leaky_relu", lambda a: a.leaky_relu(), F.leaky_relu),
    ("leaky_relu_slope", lambda a: a.leaky_relu(0.3), lambda a: F.leaky_relu(a, 0.3)),
]


@pytest.mark.parametrize("x", [0.0, -0.0])
@pytest.mark.parametrize("ours, theirs", [pytest.param(o, t, id=n) for n, o, t in KINKS])
def test_kink_at_zero_follows_pytorch(ours, theirs, x):
    helper_test_op(ours, theirs, (x,), numeric=False)


def test_kink_derivatives_are_pytorchs_conventions():
    for build, expected in [(lambda v: v.relu(), 0.0), (abs, 0.0), (lambda v: v.leaky_relu(0.3), 0.3)]:
        x = Value(0.0)
        build(x).backward()
        assert x.grad == expected


def test_every_op_of_the_table_is_covered():
    covered = {name for _, _, _, name, _ in CASES}
    assert set(OPS) <= covered, set(OPS) - covered


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
def test_every_op_carries_its_rules_and_formula(op):
    assert isinstance(op, Op)
    assert len(op.rules) == op.arity
    for rule in op.rules:
        assert rule.startswith("d") and "/d" in rule and " = " in rule
    written = op.write(*("x", "y")[: op.arity])
    assert "x" in written and (op.arity == 1 or "y" in written)


def test_rule_texts_of_mul_and_micrograd_symbols():
    assert OPS["mul"].rules == ("d(a*b)/da = b", "d(a*b)/db = a")
    assert OPS["mul"].write("x", "w") == "x * w"
    assert (Value(2.0) ** 3)._op == "**3"
    assert Value(2.0).relu()._op == "ReLU"
    assert (Value(2.0) + 1)._op == "+"


def test_local_grads_are_computed_when_the_node_is_built():
    a, b = Value(3.0), Value(-4.0)
    product = a * b
    assert product.local_grads == (-4.0, 3.0)
    a.data = 100.0  # later changes of the inputs do not touch the recorded derivatives
    assert product.local_grads == (-4.0, 3.0)
    assert (a / b).local_grads == (1 / -4.0, -(100.0 / -4.0) / -4.0)


def test_numbers_on_either_side_become_constant_leaves_in_order():
    x = Value(2.0)
    for out, position in [(x + 3, 1), (3 + x, 0), (x - 3, 1), (3 - x, 0), (x * 3, 1), (3 * x, 0),
                          (x / 3, 1), (3 / x, 0), (3 ** x, 0)]:
        constant = out.inputs[position]
        assert constant.is_constant and constant.is_leaf and constant.data == 3.0
        assert out.inputs[1 - position] is x
    assert (x ** 3).inputs == (x,)  # a number exponent is part of the op, not an input


def test_numpy_scalars_work_as_operands_and_data():
    x = Value(np.float32(1.5))
    assert type(x.data) is float and x.data == 1.5
    assert (x + np.float64(2.0)).data == 3.5
    assert (x * np.int64(2)).data == 3.0
    assert (x ** np.float64(2.0)).data == 2.25


# --- property-based: random points of each op's domain, kinks included ---

def reals(low: float, high: float, kink: bool = False) -> st.SearchStrategy[float]:
    values = st.floats(low, high, allow_nan=False, allow_infinity=False)
    return st.one_of(st.just(0.0), values) if kink else values


NONZERO = reals(-1e100, 1e100).filter(lambda x: abs(x) >= 1e-100)
POSITIVE = reals(1e-300, 1e300)
ANY = reals(-1e300, 1e300, kink=True)
PROPERTY_CASES = [
    # id, ours, PyTorch's, strategies per input (restricted where the op is undefined or overflows)
    ("add", lambda a, b: a + b, lambda a, b: a + b, [reals(-1e300, 1e300)] * 2),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [reals(-1e300, 1e300)] * 2),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [reals(-1e150, 1e150)] * 2),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [reals(-1e100, 1e100), NONZERO]),
    ("rsub_number", lambda a: 0.75 - a, lambda a: 0.75 - a, [ANY]),
    ("rdiv_number", lambda a: 0.75 / a, lambda a: 0.75 / a, [NONZERO]),
    ("neg", lambda a: -a, lambda a: -a, [ANY]),
    ("square", lambda a: a ** 2, lambda a: a ** 2, [reals(-1e150, 1e150)]),
    ("cube", lambda a: a ** 3, lambda a: a ** 3, [reals(-1e100, 1e100)]),
    ("pow_fraction", lambda a: a ** 1.7, lambda a: a ** 1.7, [reals(1e-100, 1e100)]),
    ("reciprocal", lambda a: a ** -1, lambda a: a ** -1, [NONZERO]),
    ("pow_value", lambda a, b: a ** b, lambda a, b: a ** b, [reals(1e-3, 1e3), reals(-10, 10)]),
    ("rpow_number", lambda a: 2 ** a, lambda a: 2 ** a, [reals(-1000, 1000)]),
    ("exp", lambda a: a.exp(), torch.exp, [reals(-700, 700)]),
    ("log", lambda a: a.log(), torch.log, [POSITIVE]),
    ("sqrt", lambda a: a.sqrt(), torch.sqrt, [reals(0.0, 1e300)]),
    ("abs", lambda a: abs(a), torch.abs, [ANY]),
    ("tanh", lambda a: a.tanh(), torch.tanh, [reals(-1e3, 1e3, kink=True)]),
    ("sigmoid", lambda a: a.sigmoid(), torch.sigmoid, [reals(-1e3, 1e3, kink=True)]),
    ("relu", lambda a: a.relu(), torch.relu, [ANY]),
    ("leaky_relu", lambda a: a.leaky_relu(), F.leaky_relu, [ANY]),
]


@pytest.mark.parametrize(
    "ours, theirs, inputs",
    [pytest.param(o, t, i, id=name) for name, o, t, i in PROPERTY_CASES],
)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_op_matches_pytorch_on_random_inputs(ours, theirs, inputs, data):
    point = tuple(data.draw(strategy, label=f"x{i}") for i, strategy in enumerate(inputs))
    # 1e-12 relative: the libraries' exp, pow and tanh differ in the last bit
    # or two; 1e-300 absolute: a gradient that underflows to 0 in one of them.
    helper_test_op(ours, theirs, point, rel=1e-12, abs_=1e-300, numeric=False)


@settings(max_examples=150, deadline=None)
@given(x=ANY, slope=st.floats(0.0, 1.0))
def test_leaky_relu_matches_pytorch_for_any_slope(x, slope):
    helper_test_op(lambda a: a.leaky_relu(slope), lambda a: F.leaky_relu(a, slope), (x,),
                   numeric=False)


SMOOTH_CASES = [
    # id, f, whether its first input may be negative
    ("mul", lambda a, b: a * b, True),
    ("div", lambda a, b: a / b, True),
    ("pow_value", lambda a, b: a ** b, False),
    ("pow_number", lambda a, b: a ** 3 * b, True),
    ("tanh", lambda a, b: a.tanh() * b, True),
    ("sigmoid", lambda a, b: a.sigmoid() - b, True),
    ("exp", lambda a, b: a.exp() + b, True),
    ("log", lambda a, b: a.log() * b, False),
    ("sqrt", lambda a, b: a.sqrt() + b, False),
    ("abs", lambda a, b: abs(a) * b, True),
    ("relu", lambda a, b: a.relu() * b, True),
    ("leaky_relu", lambda a, b: a.leaky_relu(0.1) * b, True),
    ("rpow_number", lambda a, b: 2 ** a - b, True),
]


@pytest.mark.parametrize("f, signed", [pytest.param(f, s, id=name) for name, f, s in SMOOTH_CASES])
@settings(max_examples=60, deadline=None)
@given(a=st.floats(0.2, 3.0), b=st.floats(0.2, 3.0), negative=st.booleans())
def test_gradients_match_central_differences_on_random_inputs(f, signed, a, b, negative):
    # Central differences are taken away from the kinks (where they do not
    # exist); the kinks themselves are checked against PyTorch above.
    gradcheck(f, [-a if signed and negative else a, b])


# --- the generated code: Value's methods and each op's compute agree to the bit ---

def bits(x: float) -> bytes:
    """The IEEE bytes of a float: tells -0.0 from 0.0 and one nan from another."""
    return struct.pack("<d", x)


EDGE_VALUES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 1e-300, 5e-324, -5e-324, 1e308, -1e308,
               710.0, -746.0, math.inf, -math.inf, math.nan]

# Every way a Value reaches an op of the table: op, how the node is built
# from two floats (or one), and which compute call it must agree with.
METHOD_ROUTES = [
    # binary ops: Value with Value, Value with a number, a number with Value
    *[route
      for name, apply in [("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
                          ("div", operator.truediv), ("pow", operator.pow)]
      for route in [
          (f"{name}", apply, lambda x, y, apply=apply: apply(Value(x), Value(y)), OPS[name].compute),
          (f"{name}_number", apply, lambda x, y, apply=apply: apply(Value(x), y),
           OPS[name].compute if name != "pow" else (lambda x, y: ops.power_op(y).compute(x))),
          (f"r{name}_number", apply, lambda x, y, apply=apply: apply(x, Value(y)), OPS[name].compute),
      ]],
    # unary ops, through the operator and the method of the same name
    ("neg", None, lambda x: -Value(x), OPS["neg"].compute),
    ("abs", None, lambda x: abs(Value(x)), OPS["abs"].compute),
    *[(name, None, lambda x, name=name: getattr(Value(x), name)(), OPS[name].compute)
      for name in ("abs", "exp", "log", "sqrt", "tanh", "sigmoid", "relu")],
    ("leaky_relu", None, lambda x: Value(x).leaky_relu(), ops.leaky_relu_op(0.01).compute),
    ("leaky_relu_0.3", None, lambda x: Value(x).leaky_relu(0.3), ops.leaky_relu_op(0.3).compute),
]


def check_route_is_compute(build, compute, point):
    """The node ``build(*point)`` holds compute(*point)'s value and local derivatives, to the bit."""
    node = build(*point)
    value, *derivatives = compute(*point)
    assert bits(node.data) == bits(value), (point, node.data, value)
    # A number exponent is part of the op: x ** 2.0 has one input.
    assert [bits(d) for d in node.local_grads] == [bits(d) for d in derivatives], (
        point, node.local_grads, derivatives)


@pytest.mark.parametrize("build, compute, arity", [
    pytest.param(build, compute, 2 if apply is not None else 1, id=name)
    for name, apply, build, compute in METHOD_ROUTES
])
def test_methods_agree_with_compute_to_the_bit_at_edge_values(build, compute, arity):
    points = [(x,) for x in EDGE_VALUES] if arity == 1 else [
        (x, y) for x in EDGE_VALUES for y in EDGE_VALUES]
    for point in points:
        check_route_is_compute(build, compute, point)
        # The general path (here under detect_anomaly) builds the same node, or refuses a non-finite value.
        if math.isfinite(compute(*point)[0]):
            with detect_anomaly():
                check_route_is_compute(build, compute, point)


@pytest.mark.parametrize("build, compute, arity", [
    pytest.param(build, compute, 2 if apply is not None else 1, id=name)
    for name, apply, build, compute in METHOD_ROUTES
])
@settings(max_examples=60, deadline=None)
@given(x=st.floats(), y=st.floats())
def test_methods_agree_with_compute_to_the_bit_on_random_floats(build, compute, arity, x, y):
    check_route_is_compute(build, compute, (x, y)[:arity])


def test_every_op_of_the_table_has_a_bit_exactness_route():
    assert set(OPS) <= {name for name, *_ in METHOD_ROUTES}


@pytest.mark.parametrize("op", list(OPS.values()), ids=list(OPS))
def test_compute_and_methods_are_generated_from_the_op_expressions(op):
    assert op.forward is not None and op.derivatives is not None and len(op.derivatives) == op.arity
    assert inspect.getsource(op.compute) == op.source
    assert f"out = {op.forward}\n" in op.source
    for derivative, rule in zip(op.derivatives, op.rules):
        assert f"{derivative},  # {rule}\n" in op.source
    methods = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__",
               "neg": "__neg__", "abs": "abs"}
    if op.name != "pow":  # pow's nodes are rare: they go through compute
        method = getattr(Value, methods.get(op.name, op.name))
        source = inspect.getsource(method)
        assert f"out = {op.forward}\n" in source and "compute" not in source
        assert all(derivative in source for derivative in op.derivatives)


def test_mul_source_reads_like_its_table_entry():
    assert ops.MUL.source == (
        "def compute(a, b):\n"
        "    out = a * b\n"
        "    return (\n"
        "        out,\n"
        "        b,  # d(a*b)/da = b\n"
        "        a,  # d(a*b)/db = a\n"
        "    )\n"
    )
    assert ops.power_op(3.0).source.startswith("# n = 3.0\ndef compute(a):\n")


def test_an_expression_may_only_read_its_inputs_and_the_helpers():
    with pytest.raises(ValueError, match="'c'"):
        ops._define("bad", "bad", "bad({0})", "a + c", ("1.0",), ("d(bad(a))/da = 1",))
    with pytest.raises(ValueError, match="'out'"):
        ops._define("bad", "bad", "bad({0})", "out", ("1.0",), ("d(bad(a))/da = 1",))
    with pytest.raises(ValueError, match="plain expression"):
        ops._define("bad", "bad", "bad({0})", "a", ("(c := 1.0)",), ("d(bad(a))/da = 1",))
