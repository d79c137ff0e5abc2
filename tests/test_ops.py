"""Every op: value and local gradients against central differences and PyTorch float64.

One line per op (or per form of an op: a number on either side of ``+``,
``2 ** v``, ...), checked by one helper in the style of early tinygrad's
``helper_test_op``; then the same comparisons with hypothesis over each
op's whole domain, kinks included at exactly 0. Each op's rule text is
evaluated and compared with its derivative. The PyTorch comparisons are
marked ``torch`` (torch is imported inside them); the rest needs only the
base install.
"""

from __future__ import annotations

import inspect
import math
import operator
import re
import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import OPS, Op, Value, detect_anomaly, gradcheck, ops
from support import assert_floats_match


def torch_functional():
    """``torch.nn.functional``, imported only by the tests that compare with PyTorch."""
    import torch.nn.functional

    return torch.nn.functional


def leaky(slope=0.01):
    """PyTorch's leaky ReLU (tensors have no method for it)."""
    return lambda t: torch_functional().leaky_relu(t, slope)


def check_against_pytorch(ours, theirs, inputs, rel=1e-12, abs_=0.0):
    """``ours`` on Values and ``theirs`` on float64 tensors agree at ``inputs``: value and every gradient."""
    import torch

    leaves = [Value(x) for x in inputs]
    out = ours(*leaves)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    reference = theirs(*tensors)
    reference.backward()
    assert_floats_match(out.data, reference.item(), "value", rel, abs_)
    for index, (leaf, tensor) in enumerate(zip(leaves, tensors)):
        assert_floats_match(leaf.grad, tensor.grad.item(), f"gradient of input {index}", rel, abs_)


def check_one_node_and_central_differences(ours, inputs, op_name):
    """``ours`` makes one node of ``op_name`` (not a composition); its gradients match central differences."""
    leaves = [Value(x) for x in inputs]
    out = ours(*leaves)
    assert out.op is not None and out.op.name == op_name
    assert all(node.is_leaf for node in out.inputs), "one op is one node"
    gradcheck(ours, list(inputs))


# id, ours, PyTorch's (on tensors), the op's name, points (away from kinks: they are below).
# Where ours works on a tensor too (``a.exp()``), it is its own reference.
SAME = None
CASES = [
    ("add", lambda a, b: a + b, SAME, "add", [(1.5, -2.25), (-3.0, 7.0)]),
    ("add_number", lambda a: a + 2.5, SAME, "add", [(1.5,)]),
    ("radd_number", lambda a: 2.5 + a, SAME, "add", [(-1.5,)]),
    ("sub", lambda a, b: a - b, SAME, "sub", [(1.5, -2.25), (0.5, 0.5)]),
    ("sub_number", lambda a: a - 2.5, SAME, "sub", [(1.5,)]),
    ("rsub_number", lambda a: 2.5 - a, SAME, "sub", [(1.5,)]),
    ("mul", lambda a, b: a * b, SAME, "mul", [(1.5, -2.25), (0.0, 3.0)]),
    ("mul_number", lambda a: a * -3, SAME, "mul", [(1.5,)]),
    ("rmul_number", lambda a: -3 * a, SAME, "mul", [(1.5,)]),
    ("div", lambda a, b: a / b, SAME, "div", [(1.5, -2.25), (-3.0, 0.25)]),
    ("div_number", lambda a: a / 4.0, SAME, "div", [(1.5,)]),
    ("rdiv_number", lambda a: 3.0 / a, SAME, "div", [(1.5,), (-0.4,)]),
    ("neg", lambda a: -a, SAME, "neg", [(1.5,), (-2.0,)]),
    ("pow_int", lambda a: a ** 2, SAME, "pow2", [(1.5,), (-2.0,)]),
    ("pow_3", lambda a: a ** 3.0, SAME, "pow3", [(1.5,), (-2.0,)]),
    ("pow_negative", lambda a: a ** -1.5, SAME, "pow-1.5", [(1.5,), (0.3,)]),
    ("pow_half", lambda a: a ** 0.5, SAME, "pow0.5", [(2.0,)]),
    ("pow_zero", lambda a: a ** 0, SAME, "pow0", [(2.0,), (-3.0,)]),
    ("pow_value", lambda a, b: a ** b, SAME, "pow", [(1.7, 2.3), (0.5, -1.2)]),
    ("pow_value_negative_base", lambda a, b: a ** b, SAME, "pow", [(-2.0, 3.0)]),
    ("rpow_number", lambda a: 2 ** a, SAME, "pow", [(1.3,), (-0.7,)]),
    ("exp", lambda a: a.exp(), SAME, "exp", [(0.5,), (-2.0,)]),
    ("log", lambda a: a.log(), SAME, "log", [(0.5,), (20.0,)]),
    ("sqrt", lambda a: a.sqrt(), SAME, "sqrt", [(0.5,), (20.0,)]),
    ("abs", lambda a: abs(a), SAME, "abs", [(-1.5,), (2.0,)]),
    ("abs_method", lambda a: a.abs(), SAME, "abs", [(-1.5,)]),
    ("tanh", lambda a: a.tanh(), SAME, "tanh", [(0.5,), (-2.0,), (8.0,)]),
    ("sigmoid", lambda a: a.sigmoid(), SAME, "sigmoid", [(0.5,), (-3.0,), (30.0,)]),
    ("relu", lambda a: a.relu(), SAME, "relu", [(-1.5,), (2.0,)]),
    ("leaky_relu", lambda a: a.leaky_relu(), leaky(), "leaky_relu", [(-1.5,), (2.0,)]),
    ("leaky_relu_slope", lambda a: a.leaky_relu(0.2), leaky(0.2), "leaky_relu", [(-1.5,), (2.0,)]),
]
# (-2) ** b has no derivative in b: the engine's gradient is nan there, as PyTorch's.
NO_DERIVATIVE_IN_B = {("pow_value_negative_base", (-2.0, 3.0))}
CASE_POINTS = [(case, ours, theirs if theirs is not SAME else ours, name, point)
               for case, ours, theirs, name, points in CASES for point in points]


@pytest.mark.parametrize(
    "case, ours, op_name, point",
    [pytest.param(case, ours, name, point, id=f"{case}{list(point)}")
     for case, ours, _, name, point in CASE_POINTS],
)
def test_op_is_one_node_with_gradients_matching_central_differences(case, ours, op_name, point):
    if (case, point) in NO_DERIVATIVE_IN_B:
        leaves = [Value(x) for x in point]
        ours(*leaves).backward()
        assert leaves[0].grad == 3.0 * (-2.0) ** 2 and math.isnan(leaves[1].grad)
        return
    check_one_node_and_central_differences(ours, point, op_name)


@pytest.mark.torch
@pytest.mark.parametrize(
    "ours, theirs, point",
    [pytest.param(ours, theirs, point, id=f"{case}{list(point)}")
     for case, ours, theirs, _, point in CASE_POINTS],
)
def test_op_matches_pytorch(ours, theirs, point):
    check_against_pytorch(ours, theirs, point)


# At a kink the derivative is a convention: PyTorch's, stated by the rule text.
KINKS = [
    ("relu", lambda a: a.relu(), SAME, 0.0),
    ("abs", lambda a: abs(a), SAME, 0.0),
    ("leaky_relu", lambda a: a.leaky_relu(), leaky(), 0.01),
    ("leaky_relu_slope", lambda a: a.leaky_relu(0.3), leaky(0.3), 0.3),
]


@pytest.mark.parametrize("x", [0.0, -0.0])
@pytest.mark.parametrize("ours, derivative", [pytest.param(o, d, id=n) for n, o, _, d in KINKS])
def test_kink_derivatives_are_pytorchs_conventions(ours, derivative, x):
    leaf = Value(x)
    out = ours(leaf)
    out.backward()
    assert out.data == 0.0 and leaf.grad == derivative


@pytest.mark.torch
@pytest.mark.parametrize("x", [0.0, -0.0])
@pytest.mark.parametrize("ours, theirs", [pytest.param(o, t if t is not SAME else o, id=n)
                                          for n, o, t, _ in KINKS])
def test_kink_at_zero_follows_pytorch(ours, theirs, x):
    check_against_pytorch(ours, theirs, (x,))


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
    assert OPS["mul"].rules == ("d(u·v)/du = v", "d(u·v)/dv = u")
    assert OPS["mul"].write("x", "w") == "x * w"
    assert (Value(2.0) ** 3)._op == "**3"
    assert Value(2.0).relu()._op == "ReLU"
    assert (Value(2.0) + 1)._op == "+"


def every_rule_text():
    """The rule texts of the table, of the kinds and of some of the kinds' ops."""
    made = [ops.power_op(n) for n in (2.0, 3.0, 1.0, 0.0, -1.0, -2.0, 0.5, -1.5, 1.7)]
    made += [ops.leaky_relu_op(slope) for slope in (0.01, -0.1)]
    return ([rule for op in [*OPS.values(), *made] for rule in op.rules]
            + [kind.rule for kind in ops.KINDS.values()])


@pytest.mark.parametrize("rule", every_rule_text())
def test_rule_texts_are_maths_in_u_and_v(rule):
    # The learner's bias is b and an activation a: a rule in a and b read as if about them.
    letters = set(re.findall(r"(?<![\w.])[a-z](?![\w(])", rule))
    assert letters <= {"u", "v", "d", "n"}, rule
    # Maths, not Python: no ** or * (·, superscripts), no "if"/"else", no ASCII minus (−).
    assert not re.search(r"\*|\bif\b|\belse\b|-", rule), rule
    assert "**1" not in rule and "·1" not in rule and "1·" not in rule, rule


def test_power_rules_are_simplified_as_a_person_writes_them():
    assert ops.power_op(2.0).rules == ("d(u²)/du = 2·u",)
    assert ops.power_op(3.0).rules == ("d(u³)/du = 3·u²",)
    assert ops.power_op(-1.0).rules == ("d(u⁻¹)/du = −u⁻²",)
    assert ops.power_op(0.5).rules == ("d(u^0.5)/du = 0.5·u^(−0.5)",)
    assert ops.power_op(1.7).rules == ("d(u^1.7)/du = 1.7·u^0.7",)  # not 0.7000000000000002
    assert ops.leaky_relu_op(0.01).rules == ("d leaky_relu(u)/du = 1 (u > 0), 0.01 (u ≤ 0)",)


# --- each rule text, evaluated, against the op's derivative and against central differences ---

RULE = re.compile(r"^d(?P<function>\(.+\)| \w+\(u\)|\|u\|)/d(?P<input>[uv]) = (?P<derivative>.+)$")
RULE_NAMES = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "tanh": math.tanh,
    "sigmoid": lambda x: 1.0 / (1.0 + math.exp(-x)),
    "relu": lambda x: x if x > 0 else 0.0,
    "sign": lambda x: (x > 0) - (x < 0),  # sign(0) = 0: the convention the abs rule states
}
SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ⁿ", "0123456789-n"))
PIECES = re.compile(r"^(?P<first>.+) \((?P<when>[^()]+)\), (?P<second>.+) \((?P<otherwise>[^()]+)\)$")


def python_of_maths(text):
    """A rule's maths (``2·u``, ``uⁿ⁻¹``, ``u^(v − 1)``, ``|u|``, ``1 (u > 0), 0 (u ≤ 0)``) as Python."""
    pieces = PIECES.match(text)
    if pieces:  # two cases, each with its condition; a point in neither is nan
        first, when, second, otherwise = (python_of_maths(part) for part in pieces.groups())
        return f"(({first}) if ({when}) else ({second}) if ({otherwise}) else nan)"
    text = re.sub(r"\|([^|]+)\|", r"abs(\1)", text)
    text = re.sub("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻ⁿ]+",
                  lambda run: "**(" + "".join(SUPERSCRIPTS[c] for c in run.group()) + ")", text)
    return text.replace("·", "*").replace("−", "-").replace("≤", "<=").replace("^", "**")


def evaluate_rule_text(text, op, u, v=None):
    """A rule's mathematical text evaluated at (u, v)."""
    names = dict(RULE_NAMES)
    constants = dict(op.constants)
    if "slope" in constants:
        names["leaky_relu"] = lambda x: x if x > 0 else constants["slope"] * x
    return float(eval(python_of_maths(text), {"__builtins__": {"abs": abs}, "nan": math.nan, **names},
                      {"u": u, "v": v, **constants}))


def test_the_maths_reader_reads_what_a_rule_writes():
    assert python_of_maths("n·uⁿ⁻¹") == "n*u**(n-1)"
    assert python_of_maths("1 (u > 0), 0 (u ≤ 0)") == "((1) if (u > 0) else (0) if (u <= 0) else nan)"
    assert evaluate_rule_text("−u/v²", OPS["div"], 3.0, 2.0) == -0.75


def parse_rule(rule):
    """(the function differentiated, the input, the derivative's text) of ``d(f)/dx = g``."""
    match = RULE.match(rule)
    assert match, f"rule {rule!r} is not of the form d(f)/du = g"
    return match["function"], match["input"], match["derivative"]


def rule_central_difference(function, op, point, index, h=1e-6):
    def at(shift):
        shifted = [x + shift if i == index else x for i, x in enumerate(point)]
        return evaluate_rule_text(function, op, *shifted)

    return (at(h) - at(-h)) / (2 * h)


SMOOTH_POINTS = [-1.3, 0.3, 1.7, 4.0]
POSITIVE_POINTS = [0.3, 1.7, 4.0]
RULE_OPS = [  # op, points away from kinks (where the rule and its function are defined)
    *[(op, [(x, y) for x in (-1.5, 0.7, 2.5) for y in (-2.25, 0.5, 3.0)])
      for op in (OPS["add"], OPS["sub"], OPS["mul"], OPS["div"])],
    (OPS["pow"], [(x, y) for x in (0.4, 1.7, 2.5) for y in (-1.2, 0.5, 3.0)]),
    *[(OPS[name], [(x,) for x in SMOOTH_POINTS])
      for name in ("neg", "exp", "abs", "tanh", "sigmoid", "relu")],
    *[(OPS[name], [(x,) for x in POSITIVE_POINTS]) for name in ("log", "sqrt")],
    *[(ops.power_op(n), [(x,) for x in SMOOTH_POINTS]) for n in (2.0, 3.0, -1.0, 0.0)],
    *[(ops.power_op(n), [(x,) for x in POSITIVE_POINTS]) for n in (0.5, -1.5, 1.7)],
    *[(ops.leaky_relu_op(slope), [(x,) for x in SMOOTH_POINTS]) for slope in (0.01, 0.3)],
]


def test_every_op_has_its_rules_checked_numerically():
    assert set(OPS) <= {op.name for op, _ in RULE_OPS}


@pytest.mark.parametrize("op, points", [pytest.param(op, points, id=op.name) for op, points in RULE_OPS])
def test_rule_texts_are_the_ops_derivatives_numerically(op, points):
    for position, rule in enumerate(op.rules):
        function, input_name, derivative = parse_rule(rule)
        assert input_name == "uv"[position], rule
        for point in points:
            value, *local_grads = op.compute(*point)
            # The rule differentiates the op's own function...
            assert_floats_match(evaluate_rule_text(function, op, *point), value, f"{function} at {point}",
                                rel=1e-12)
            # ...its right-hand side is the op's derivative...
            stated = evaluate_rule_text(derivative, op, *point)
            assert_floats_match(local_grads[position], stated, f"{rule} at {point}", rel=1e-12, abs_=1e-15)
            # ...and that is the true derivative of the function (checked without the engine).
            numeric = rule_central_difference(function, op, point, position)
            assert math.isclose(stated, numeric, rel_tol=1e-6, abs_tol=1e-8), (rule, point, stated, numeric)


@pytest.mark.parametrize("op, kink, convention", [
    (OPS["relu"], 0.0, 0.0), (OPS["relu"], -0.0, 0.0), (OPS["abs"], 0.0, 0.0), (OPS["abs"], -0.0, 0.0),
    (ops.leaky_relu_op(0.01), 0.0, 0.01), (ops.leaky_relu_op(0.3), -0.0, 0.3),
], ids=["relu", "relu-0", "abs", "abs-0", "leaky_relu", "leaky_relu_0.3"])
def test_rule_texts_state_the_kink_conventions(op, kink, convention):
    # At the kink there is no derivative; the rule's text decides (0 (u ≤ 0),
    # sign(0) = 0, slope (u ≤ 0)) and the op must follow it exactly.
    _, _, derivative = parse_rule(op.rules[0])
    assert evaluate_rule_text(derivative, op, kink) == convention == op.compute(kink)[1]


def test_a_wrong_rule_text_would_be_caught():
    wrong = Op("mul", "*", 2, OPS["mul"].compute, ("d(u·v)/du = u", "d(u·v)/dv = u"), "{0} * {1}")
    _, _, derivative = parse_rule(wrong.rules[0])
    assert evaluate_rule_text(derivative, wrong, 1.5, -2.25) != wrong.compute(1.5, -2.25)[1]


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
    assert (x ** np.int64(2)).op is ops.power_op(2.0)


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
    ("exp", lambda a: a.exp(), SAME, [reals(-700, 700)]),
    ("log", lambda a: a.log(), SAME, [POSITIVE]),
    ("sqrt", lambda a: a.sqrt(), SAME, [reals(0.0, 1e300)]),
    ("abs", lambda a: abs(a), SAME, [ANY]),
    ("tanh", lambda a: a.tanh(), SAME, [reals(-1e3, 1e3, kink=True)]),
    ("sigmoid", lambda a: a.sigmoid(), SAME, [reals(-1e3, 1e3, kink=True)]),
    ("relu", lambda a: a.relu(), SAME, [ANY]),
    ("leaky_relu", lambda a: a.leaky_relu(), leaky(), [ANY]),
]


# Where the output saturates, 1 - tanh(a)**2 and sigmoid(a)*(1 - sigmoid(a)) are
# differences of numbers near 1: the libraries' tanh and sigmoid differing in the
# last bit of the output moves them by a few ulps of 1, whatever their size.
SATURATING = {"tanh", "sigmoid"}
ULPS_OF_ONE = 4 * 2.0 ** -52


@pytest.mark.torch
@pytest.mark.parametrize(
    "ours, theirs, inputs, abs_",
    [pytest.param(o, t if t is not SAME else o, i, ULPS_OF_ONE if name in SATURATING else 1e-300, id=name)
     for name, o, t, i in PROPERTY_CASES],
)
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_op_matches_pytorch_on_random_inputs(ours, theirs, inputs, abs_, data):
    point = tuple(data.draw(strategy, label=f"x{i}") for i, strategy in enumerate(inputs))
    # 1e-12 relative: the libraries' exp, pow and tanh differ in the last bit
    # or two; 1e-300 absolute: a gradient that underflows to 0 in one of them.
    check_against_pytorch(ours, theirs, point, rel=1e-12, abs_=abs_)


@pytest.mark.torch
@settings(max_examples=150, deadline=None)
@given(x=ANY, slope=st.floats(0.0, 1.0))
def test_leaky_relu_matches_pytorch_for_any_slope(x, slope):
    check_against_pytorch(lambda a: a.leaky_relu(slope), leaky(slope), (x,))


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
    # exist); the kinks themselves are checked above, against the rules' conventions.
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
    assert op.methods, "every op of the table has a method"
    for name in op.methods:
        source = inspect.getsource(getattr(Value, name))
        assert f"out = {op.forward}\n" in source and "compute" not in source
        assert all(derivative in source for derivative in op.derivatives)
        assert f"node._operation = {op.name.upper()}\n" in source


@pytest.mark.parametrize("kind, op", [(ops.POWER_KIND, ops.power_op(3.0)),
                                      (ops.LEAKY_RELU_KIND, ops.leaky_relu_op(0.2))])
def test_a_kinds_ops_share_its_generated_code_with_their_number_bound(kind, op):
    assert inspect.getsource(op.compute) == kind.source
    assert op.source == f"# {kind.parameter} = {op.constants[0][1]!r}\n{kind.source}"
    assert op.compute.__defaults__ == (op.constants[0][1],)
    source = inspect.getsource(getattr(Value, kind.method))
    assert f"out = {kind.forward}\n" in source and kind.derivative in source


def test_mul_source_reads_like_its_table_entry():
    assert ops.MUL.source == (
        "def compute_mul(a, b):\n"
        "    out = a * b\n"
        "    return (\n"
        "        out,\n"
        "        b,  # d(u·v)/du = v\n"
        "        a,  # d(u·v)/dv = u\n"
        "    )\n"
    )
    assert ops.power_op(3.0).source.startswith("# n = 3.0\ndef compute_power(a, n):\n")


def test_an_expression_may_only_read_its_inputs_and_the_helpers():
    with pytest.raises(ValueError, match="'c'"):
        ops._define("bad", "bad", "bad({0})", "a + c", ("1.0",), ("d(bad(a))/da = 1",))
    with pytest.raises(ValueError, match="'out'"):
        ops._define("bad", "bad", "bad({0})", "out", ("1.0",), ("d(bad(a))/da = 1",))
    with pytest.raises(ValueError, match="plain expression"):
        ops._define("bad", "bad", "bad({0})", "a", ("(c := 1.0)",), ("d(bad(a))/da = 1",))
    with pytest.raises(ValueError, match="Python identifier"):
        ops._define("bad op", "bad", "bad({0})", "a", ("1.0",), ("d(bad(a))/da = 1",))
