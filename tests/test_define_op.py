"""define_op: the public way to add an op, from the same kind of entry the table's ops are made of."""

from __future__ import annotations

import inspect
import math

import pytest

import autograd
from autograd import Op, Value, central_difference, define_op, detect_anomaly, gradcheck

SIN = define_op("sin", "math.sin(a)", ("math.cos(a)",), ("d(sin(a))/da = cos(a)",))
# log(1 + e^a), written to stay finite for large a; its derivative is the sigmoid, read off out.
SOFTPLUS = define_op("softplus", "max(a, 0.0) + math.log1p(math.exp(-abs(a)))",
                     ("stable_sigmoid(a)",), ("d(softplus(a))/da = sigmoid(a)",))
HYPOT = define_op("hypot", "math.hypot(a, b)", ("ieee_div(a, out)", "ieee_div(b, out)"),
                  ("d(hypot(a,b))/da = a/hypot(a,b)", "d(hypot(a,b))/db = b/hypot(a,b)"),
                  symbol="hypot", formula="‖({0}, {1})‖")
SIN_BY_FUNCTIONS = define_op("sine", math.sin, lambda a, out: math.cos(a), "d(sin(a))/da = cos(a)")

POINTS = [-3.0, -1.2, -0.3, 0.0, 0.4, 1.7, 2.9]


@pytest.mark.parametrize("op, reference", [(SIN, math.sin), (SIN_BY_FUNCTIONS, math.sin),
                                           (SOFTPLUS, lambda a: math.log1p(math.exp(a)))])
@pytest.mark.parametrize("point", POINTS)
def test_a_defined_op_matches_its_function_and_central_differences(op, reference, point):
    x = Value(point)
    y = op(x)
    assert y.data == pytest.approx(reference(point), rel=1e-14, abs=1e-15)
    y.backward()
    numeric = central_difference(lambda v: op(v), [point], 0, 1e-6)
    assert x.grad == pytest.approx(numeric, rel=1e-6, abs=1e-8)
    gradcheck(lambda v: op(v) * v + 1.0, [point])


def test_a_two_input_op_passes_gradcheck_and_keeps_its_symbol_and_formula():
    gradcheck(lambda a, b: HYPOT(a, b) * a, [0.3, -1.4])
    x, y = Value(3.0, label="x"), Value(4.0, label="y")
    out = HYPOT(x, y)
    assert out.data == 5.0 and out.local_grads == (0.6, 0.8)
    assert out.op is HYPOT and out._op == "hypot" and HYPOT.write("x", "y") == "‖(x, y)‖"


def test_a_defined_op_is_an_op_like_the_tables():
    assert isinstance(SIN, Op) and SIN.arity == 1 and SIN.name == "sin" and SIN.symbol == "sin"
    assert SIN.rules == ("d(sin(a))/da = cos(a)",) and SIN.formula == "sin({0})"
    assert SIN.forward == "math.sin(a)" and SIN.derivatives == ("math.cos(a)",)
    assert "def compute_sin(a):" in SIN.source and "# d(sin(a))/da = cos(a)" in SIN.source
    assert "math.sin(a)" in inspect.getsource(SIN.compute)
    assert SIN.compute(0.5) == (math.sin(0.5), math.cos(0.5))
    # given by functions: no expressions, so autograd.compile calls its compute
    assert SIN_BY_FUNCTIONS.forward is None and SIN_BY_FUNCTIONS.derivatives is None
    assert SIN_BY_FUNCTIONS.compute(0.5) == (math.sin(0.5), math.cos(0.5))


def test_it_takes_values_and_numbers_and_builds_a_node_with_its_local_derivative():
    x = Value(0.5, label="x")
    y = SIN(x)
    assert y.inputs == (x,) and y.op is SIN and y.local_grads == (math.cos(0.5),)
    constant = SIN(0.5)
    assert isinstance(constant, Value) and constant.data == math.sin(0.5) and constant.inputs[0].is_constant
    assert HYPOT(x, 1.2).inputs[0] is x
    # table ops are callable the same way
    assert autograd.OPS["mul"](x, 4).data == 2.0


def test_reused_inputs_accumulate():
    x = Value(0.8)
    (SIN(x) * SIN(x) + SOFTPLUS(x)).backward()
    expected = 2 * math.sin(0.8) * math.cos(0.8) + 1 / (1 + math.exp(-0.8))
    assert x.grad == pytest.approx(expected, rel=1e-14)


def test_a_defined_op_steps_explains_and_draws_like_the_tables():
    x = Value(0.5, label="x")
    y = SIN(x) * 2.0
    y.label = "y"
    y.backward()
    steps = autograd.backward_steps(y)
    sin_step = next(step for step in steps if step.node.op is SIN)
    assert "d(sin(a))/da = cos(a)" in str(sin_step)
    assert "cos(a)" in autograd.explain(y, x)


def test_a_defined_op_compiles_by_calling_its_checked_compute():
    x, w = Value(0.5, label="x"), Value(-1.3, label="w")
    for op in (SIN, SIN_BY_FUNCTIONS, SOFTPLUS):
        root = op(x * w) + HYPOT(x, w)
        root.backward()
        program = autograd.compile(root, wrt=[x, w])
        loss, grads = program()
        assert loss == root.data and grads == [x.grad, w.grad]
        x.grad = w.grad = 0.0
    # a user's expressions are never written into a program: its compute is called
    source = autograd.compile(SIN(x), wrt=[x]).source
    assert "math.sin(" not in source and "= op1(x)  # sin(x)" in source


def test_a_failing_forward_is_reported_with_the_ops_name_and_inputs():
    with pytest.raises(ValueError, match=r"op 'sin' failed at input\(s\) inf: math domain error"):
        SIN(math.inf)
    with detect_anomaly(), pytest.raises(FloatingPointError, match="softplus"):
        SOFTPLUS(Value(math.nan))


def test_functions_must_return_numbers():
    broken = define_op("broken", lambda a: "x", lambda a, out: 1.0, "d(broken)/da = 1")
    with pytest.raises(TypeError, match="op 'broken': its forward must return a number"):
        broken(1.0)


@pytest.mark.parametrize("arguments, error, message", [
    (("my op", "a", "1.0", "d/da = 1"), ValueError, "a Python identifier"),
    ((3, "a", "1.0", "d/da = 1"), TypeError, "name must be str, got int"),
    (("mul", "a * b", ("b", "a"), ("r1", "r2")), ValueError, "'mul' is built in"),
    (("f", "a", ("1.0", "1.0", "1.0"), ("r", "r", "r")), ValueError, "one or two"),
    (("f", "a", ("1.0",), ("r1", "r2")), ValueError, "one rule text per derivative"),
    (("f", "a", "1.0", ("two\nlines",)), ValueError, "one non-empty line"),
    (("f", "a", "1.0", (3,)), TypeError, r"rules\[0\] must be str, got int"),
    (("f", "os.system('x')", "1.0", "r"), ValueError, "may not use the name 'os'"),
    (("f", "a", "out + c", "r"), ValueError, "may not use the name 'c'"),
    (("f", "a +", "1.0", "r"), ValueError, "not valid Python"),
    (("f", "(x := a)", "1.0", "r"), ValueError, "may not use the name 'x'|plain expression"),
    (("f", 3.0, "1.0", "r"), TypeError, "forward must be str or Callable, got float"),
])
def test_bad_definitions_are_clear_errors(arguments, error, message):
    with pytest.raises(error, match=message):
        define_op(*arguments)


@pytest.mark.parametrize("formula", ["f(a)", "f({0}, {1})", "f({x})", "f({0"])
def test_a_formula_must_write_each_input_once(formula):
    with pytest.raises(ValueError, match="formula"):
        define_op("f", "a", "1.0", "r", formula=formula)


def test_calling_with_the_wrong_inputs_is_a_type_error():
    with pytest.raises(TypeError, match="takes 1 input"):
        SIN(Value(1.0), Value(2.0))
    with pytest.raises(TypeError, match="input 0 of op 'sin' must be a Value or a number, got str"):
        SIN("1.0")
