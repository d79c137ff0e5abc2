"""The command line's expression language: what it builds, and what it refuses."""

import math

import pytest

from autograd import Value
from nn.app.expression import (
    MAX_EXPONENT,
    MAX_LENGTH,
    MAX_NODES,
    ExpressionError,
    build,
    parse,
    parse_assignments,
)


def test_neuron_expression_matches_the_engine_written_by_hand():
    y, leaves = build("tanh(x*w + b)", {"x": 2, "w": -3, "b": 6.88})
    y.backward()
    x, w, b = Value(2.0), Value(-3.0), Value(6.88)
    reference = (x * w + b).tanh()
    reference.backward()
    assert y.data == reference.data
    assert [leaves[name].grad for name in "xwb"] == [x.grad, w.grad, b.grad]
    assert [leaves[name].label for name in "xwb"] == ["x", "w", "b"]


def test_names_come_in_order_of_first_use_and_a_reused_name_is_one_leaf():
    expression = parse("y*x + x*x - z")
    assert expression.names == ("y", "x", "z")
    root, leaves = expression.build({"x": 3.0, "y": 2.0, "z": 1.0})
    root.backward()
    assert root.data == 2 * 3 + 9 - 1
    assert leaves["x"].grad == 2.0 + 2 * 3.0  # the sum over its three uses


@pytest.mark.parametrize(
    "source, values, expected, grad_x",
    [
        ("x - 2", {"x": 5}, 3.0, 1.0),
        ("2 / x", {"x": 4}, 0.5, -2 / 16),
        ("-x ** 2", {"x": 3}, -9.0, -6.0),  # ** binds tighter than unary minus, as in Python
        ("2 ** x", {"x": 3}, 8.0, 8 * math.log(2)),
        ("x ** 0.5", {"x": 4}, 2.0, 0.25),
        ("+x", {"x": 1.5}, 1.5, 1.0),
        ("exp(x) + log(x) + sqrt(x)", {"x": 1.0}, math.e + 0 + 1, math.e + 1 + 0.5),
        ("abs(x) + sigmoid(x) + relu(x)", {"x": -2.0}, 2 + 1 / (1 + math.e ** 2), -1 + 0.104993585),
        ("leaky_relu(x)", {"x": -2.0}, -0.02, 0.01),
        ("leaky_relu(x, 0.2)", {"x": -2.0}, -0.4, 0.2),
        ("leaky_relu(x, slope=-0.5)", {"x": -2.0}, 1.0, -0.5),
        ("权重 * x", {"权重": 3.0, "x": 2.0}, 6.0, 3.0),
        ("x * (1/0)", {"x": 1.0}, math.inf, math.inf),  # numbers fold with the engine's IEEE rules
    ],
)
def test_operators_and_functions(source, values, expected, grad_x):
    root, leaves = build(source, values)
    root.backward()
    assert root.data == pytest.approx(expected)
    assert leaves["x"].grad == pytest.approx(grad_x)


def test_constants_fold_but_stay_in_the_graph_as_constant_nodes():
    root, leaves = build("x * (2 * 3)", {"x": 1.5})
    assert root.data == 9.0
    constants = [node for node in root.inputs if node.is_constant]
    assert [node.data for node in constants] == [6.0]


def test_an_expression_without_names_is_still_a_node():
    root, leaves = build("2 + 3", {})
    assert isinstance(root, Value) and root.data == 5.0 and leaves == {}


def test_a_missing_value_names_the_variable_and_its_column():
    with pytest.raises(ExpressionError) as caught:
        build("x * y", {"x": 1.0})
    assert caught.value.column == 5
    assert "'y'" in caught.value.message and "--set y=" in caught.value.message


HOSTILE = [
    # (source, column of the problem, a word the message must contain)
    ("__import__('os').system('echo hi')", 1, "unknown function '__import__'"),
    ("x.__class__", 2, "attribute"),
    ("x . __class__ . __bases__", 3, "attribute"),
    ("(lambda: 0)()", 2, "lambda"),
    ("[x for x in y]", 1, "comprehension"),
    ("sum(x for x in y)", 1, "unknown function 'sum'"),
    ("open('/etc/passwd')", 1, "unknown function 'open'"),
    ("eval('1')", 1, "unknown function 'eval'"),
    ("exp(x).real", 7, "attribute"),
    ("x[0]", 2, "indexing"),
    ("'abc'", 1, "string"),
    ("True + x", 1, "True"),
    ("x if y else z", 1, "if"),
    ("x < 2", 3, "comparison"),
    ("x // 2", 3, "'//'"),
    ("x % 2", 3, "'%'"),
    ("x @ y", 3, "'@'"),
    ("~x", 1, "'~'"),
    ("(x := 2)", 2, ":="),
    ("x, y", 1, "tuple"),
    ("tanh(*x)", 6, "unpacking"),
    ("tanh(x, y)", 9, "takes 1 argument"),
    ("tanh(x=1)", 8, "keyword"),
    ("leaky_relu(x, y)", 15, "slope"),
    ("exp", 1, "is a function"),
    ("__x + 1", 1, "'__x'"),
    ("10**10**10", 5, "exponent"),
    ("x ** 1e308", 6, "exponent"),
    ("x ** (10 ** 4)", 7, "exponent"),
    ("2 ** -5000", 6, "exponent"),
    ("1e999 * x", 1, "too large"),
    ("9" * 400, 1, "too large"),
    ("x +", 4, "invalid syntax"),
    ("tanh(x", 5, "never closed"),
    ("x\ny", 2, "one line"),
    ("", 1, "empty"),
    ("x" * (MAX_LENGTH + 1), MAX_LENGTH + 1, "too long"),
    ("+".join(["x"] * 150), 0, "too large"),
    ("-" * 400 + "x", 0, "too large"),
]


@pytest.mark.parametrize("source, column, needle", HOSTILE, ids=[repr(case[0])[:40] for case in HOSTILE])
def test_hostile_or_malformed_expressions_are_refused_with_a_column(source, column, needle):
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    error = caught.value
    assert needle in error.message
    if column:
        assert error.column == column
    assert 1 <= error.column <= len(source) + 1
    rendered = str(error)
    assert f"at column {error.column}" in rendered
    assert rendered.splitlines()[-1].strip() == "^"


def test_the_caret_sits_under_the_column():
    with pytest.raises(ExpressionError) as caught:
        parse("tanh(x) + x.y")
    lines = str(caught.value).splitlines()
    expression_line, caret_line = lines[-2], lines[-1]
    assert expression_line[caret_line.index("^")] == "."


def test_leading_spaces_keep_the_columns_of_the_original_text():
    with pytest.raises(ExpressionError) as caught:
        parse("   x.y")
    assert caught.value.column == 5


def test_nothing_is_ever_evaluated(monkeypatch):
    import builtins

    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must never be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    root, _ = build("tanh(x*w + b)", {"x": 2, "w": -3, "b": 6.88})
    assert root.data == pytest.approx(0.7064193)
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('echo hi')")


def test_limits_are_generous_enough_for_teaching_expressions():
    two_neurons = parse("sigmoid(w1*x1 + w2*x2 + b) * tanh(v1*x1 + v2*x2 + c) + relu(x1)**2 / (1 + exp(-x2))")
    assert two_neurons.names == ("w1", "x1", "w2", "x2", "b", "v1", "v2", "c")
    root, _ = parse("x ** " + str(int(MAX_EXPONENT))).build({"x": 1.001})
    assert root.data == pytest.approx(1.001 ** MAX_EXPONENT)
    root, leaves = parse("+".join(["x"] * (MAX_NODES // 2))).build({"x": 2.0})
    root.backward()
    assert root.data == MAX_NODES and leaves["x"].grad == MAX_NODES // 2


def test_assignments():
    assert parse_assignments(["x=2", "w = -3", "b=6.88", "t=1e-3"]) == {
        "x": 2.0, "w": -3.0, "b": 6.88, "t": 0.001}
    for bad in (["x"], ["x=abc"], ["x=nan"], ["x=inf"], ["1x=2"], ["x=1", "x=2"], ["=1"]):
        with pytest.raises(ValueError):
            parse_assignments(bad)


def test_wrong_types_are_type_errors():
    with pytest.raises(TypeError):
        parse(3)
    with pytest.raises(TypeError):
        parse_assignments("x=1")  # one string, not a list of them
    with pytest.raises(TypeError):
        parse_assignments([("x", 1)])
    with pytest.raises(TypeError):
        build("x * 2", {"x": True})
    with pytest.raises(TypeError):
        build("x * 2", {"x": "2"})


@pytest.mark.parametrize(
    "source, name, normal, column",
    [
        ("𝐱 + x", "𝐱", "x", 1),  # mathematical bold x
        ("  ﬁ * 2", "ﬁ", "fi", 3),  # the ligature (full-width ｘ, ｔanh: named as such, tests/test_cli_mistakes.py)
        ("y\u0302 + ŷ", "y\u0302", "ŷ", 1),  # y and a combining circumflex: ŷ in two code points
    ],
)
def test_names_that_python_would_read_as_other_names_are_refused(source, name, normal, column):
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.column == column
    assert caught.value.message.startswith(f"the name {name!r} is read by Python as {normal!r}")
    with pytest.raises(ValueError, match="is read by Python as"):
        parse_assignments([f"{name}=1"])


def test_names_already_in_normal_form_are_kept_apart():
    assert parse("ŷ - y + 权重 + Ω").names == ("ŷ", "y", "权重", "Ω")


# --- NAME = expression: the student names the value ------------------------------------------

def test_a_name_before_equals_names_the_value_and_keeps_the_columns():
    expression = parse("L = (relu(w*x + b) - y)**2")
    assert expression.result == "L" and expression.body == "(relu(w*x + b) - y)**2"
    assert expression.names == ("w", "x", "b", "y")
    root, _ = expression.build({"w": 0.5, "x": 2, "b": 0.1, "y": 1})
    assert root.data == pytest.approx((max(0.5 * 2 + 0.1, 0) - 1) ** 2)
    # an error after "NAME =" still points into the text as written
    with pytest.raises(ExpressionError) as caught:
        parse("  loss = x.y")
    assert caught.value.column == 11 and "loss = x.y" in str(caught.value)
    with pytest.raises(ExpressionError) as caught:
        build("L = x * y", {"x": 1.0})
    assert caught.value.column == 9
    # no name: as before; = inside a call, ==, <= and := are no assignment
    assert parse("tanh(x*w + b)").result == ""
    assert parse("leaky_relu(x, 0.1)").result == ""


NAMING_MISTAKES = [
    # (source, column, a word the message must contain)
    ("x = x*2", 1, "'x' is a variable of the expression"),
    ("y = (w*x - y)**2", 1, "e.g. L = ..."),
    ("2L = x", 1, "cannot name the value"),
    ("a.b = x", 1, "cannot name the value"),
    ("if = x", 1, "cannot name the value"),
    ("tanh = x", 1, "is a function"),
    ("__L = x", 1, "'__L'"),
    ("= x", 1, "nothing before ="),
    ("L =", 4, "nothing after L ="),
    ("L = y = x", 7, "only one ="),
    ("ℒ = x", 1, "Unicode NFKC"),
    ("L ＝ x", 3, "full-width"),
]


@pytest.mark.parametrize("source, column, needle", NAMING_MISTAKES, ids=[case[0] for case in NAMING_MISTAKES])
def test_a_bad_name_for_the_value_is_refused_with_a_column(source, column, needle):
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert needle in caught.value.message and caught.value.column == column
    assert str(caught.value).splitlines()[-1].strip() == "^"


def test_comparisons_stay_comparisons():
    for source, column in (("x == 2", 3), ("L = x <= 2", 7)):
        with pytest.raises(ExpressionError) as caught:
            parse(source)
        assert "comparison" in caught.value.message and caught.value.column == column
