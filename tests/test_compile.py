"""autograd.compile: the generated program gives backward's numbers to the bit.

The reference is the eager engine itself: build the graph with the same
values, call backward(), and compare every float bit for bit (nan with nan,
-0.0 apart from 0.0). Random graphs use every op, kinks at exactly 0 and
values that overflow, so branches and IEEE edge cases are covered too.
"""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value
from autograd import compiler as compiler_module
from autograd.compiler import CompiledProgram

UNARY = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: x.log(),
    "sqrt": lambda x: x.sqrt(),
    "abs": abs,
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "leaky_relu": lambda x: x.leaky_relu(0.1),
    "square": lambda x: x ** 2,
    "cube": lambda x: x ** 3,
    "inverse_sqrt": lambda x: x ** -0.5,
    "plus_constant": lambda x: x + 2.5,
    "constant_minus": lambda x: 1.0 - x,
    "times_constant": lambda x: -3.0 * x,
    "constant_over": lambda x: 2.0 / x,
    "two_to_the": lambda x: 2 ** x,
}
BINARY = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / y,
    "pow": lambda x, y: x ** y,
}

NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 3.0, 1e-300, 1e300, math.inf]),
    st.floats(-4.0, 4.0, allow_nan=False),
)


def bits(x: float) -> bytes:
    """A float's 8 bytes; every nan counts as one (its payload is not arithmetic)."""
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


@st.composite
def programs(draw):
    """Leaf values, then steps (op name, operand indices) each adding one node."""
    leaves = draw(st.lists(NUMBERS, min_size=1, max_size=4))
    steps = []
    for _ in range(draw(st.integers(1, 25))):
        count = len(leaves) + len(steps)
        name = draw(st.sampled_from(sorted(UNARY) + sorted(BINARY)))
        steps.append((name, draw(st.integers(0, count - 1)), draw(st.integers(0, count - 1))))
    return leaves, steps


def build(leaves, steps):
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for name, i, j in steps:
        nodes.append(UNARY[name](nodes[i]) if name in UNARY else BINARY[name](nodes[i], nodes[j]))
    return nodes


def eager(leaves, steps, wrt_positions):
    nodes = build(leaves, steps)
    root = nodes[-1]
    root.backward()
    return root.data, [nodes[k].grad for k in wrt_positions]


@settings(max_examples=400, deadline=None)
@given(program=programs(), data=st.data())
def test_random_graphs_give_backwards_numbers_to_the_bit(program, data):
    leaves, steps = program
    nodes = build(leaves, steps)
    count = len(leaves)
    used = {id(node) for node in autograd.topological_order(nodes[-1])}
    used_leaves = [k for k in range(count) if id(nodes[k]) in used]
    inputs = data.draw(st.lists(st.sampled_from(used_leaves), unique=True, max_size=count))
    wrt = data.draw(st.lists(st.integers(0, len(nodes) - 1), unique=True, max_size=6))
    compiled = autograd.compile(nodes[-1], wrt=[nodes[k] for k in wrt],
                                inputs=[nodes[k] for k in inputs])
    # new values for the inputs and the other leaves: the program reads both at the call
    new_leaves = [data.draw(NUMBERS) for _ in leaves]
    for k in range(count):
        if k not in inputs:
            nodes[k].data = new_leaves[k]
    loss, grads = compiled([new_leaves[k] for k in inputs])
    expected_loss, expected_grads = eager(new_leaves, steps, wrt)
    assert bits(loss) == bits(expected_loss)
    assert [bits(g) for g in grads] == [bits(g) for g in expected_grads], compiled.source


@pytest.mark.parametrize("x", [0.0, -0.0, 1e-300, -1e-300])
@pytest.mark.parametrize("op", ["relu", "abs", "leaky_relu"])
def test_kinks_are_decided_at_each_call_as_the_eager_op_decides(op, x):
    leaf = Value(1.0, label="x")
    root = UNARY[op](leaf * 3.0)
    compiled = autograd.compile(root, wrt=[leaf], inputs=[leaf])
    assert compiled([1.0]) == (3.0, [3.0])
    loss, (grad,) = compiled([x])
    fresh = Value(x)
    fresh_root = UNARY[op](fresh * 3.0)
    fresh_root.backward()
    assert bits(loss) == bits(fresh_root.data)
    assert bits(grad) == bits(fresh.grad)


def test_a_neuron_reads_as_the_forward_then_the_backward_pass():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    y = (x * w + b).tanh()
    y.label = "y"
    program = autograd.compile(y, wrt=[w, b], inputs=[x])
    text = str(program)
    assert len(text.splitlines()) < 40
    forward, backward = text.split("# forward")[1].split("# backward")
    assert "math.tanh(x * w + b)" in forward
    assert "d tanh(u)/du = 1 − tanh(u)²" in backward
    assert "g_w = " in backward and "g_b = " in backward
    assert "Value" not in text  # no Value objects at run time
    loss, (dw, db) = program([2.0])
    y.backward()
    assert (loss, dw, db) == (y.data, w.grad, b.grad)


def test_parameters_are_read_at_each_call():
    w = Value(2.0, label="w")
    x = Value(3.0, label="x")
    loss = (w * x) ** 2
    program = autograd.compile(loss, wrt=[w], inputs=[x])
    assert program([3.0]) == (36.0, [36.0])
    w.data = 1.0
    assert program([3.0]) == (9.0, [18.0])
    assert program([-1.0]) == (1.0, [2.0])


def test_gradients_of_nodes_the_root_does_not_depend_on_are_zero():
    a, b = Value(1.0), Value(2.0)
    program = autograd.compile(a * 2.0, wrt=[a, b])
    assert program() == (2.0, [2.0, 0.0])


def test_a_reused_node_sums_its_gradients():
    a = Value(3.0)
    root = a * a + a
    program = autograd.compile(root, wrt=[a])
    assert program() == (12.0, [7.0])


def test_ops_defined_only_by_a_compute_function_are_called():
    op = autograd.Op("cube", "cube", 1, lambda a: (a ** 3, 3 * a * a), ("d(a**3)/da = 3*a**2",), "cube({0})")
    x = Value(2.0)
    from autograd.value import _unary
    root = _unary(x, op) * 2.0
    program = autograd.compile(root, wrt=[x])
    assert program() == (16.0, [24.0])


def test_bad_arguments_are_named():
    a, b = Value(1.0), Value(2.0)
    root = a * b
    with pytest.raises(TypeError, match="root"):
        autograd.compile(1.0, wrt=[a])
    with pytest.raises(TypeError, match="wrt"):
        autograd.compile(root, wrt=a)
    with pytest.raises(TypeError, match=r"wrt\[0\]"):
        autograd.compile(root, wrt=[1.0])
    with pytest.raises(ValueError, match=r"inputs\[0\].*not part of the graph"):
        autograd.compile(root, inputs=[Value(5.0)])
    with pytest.raises(ValueError, match=r"inputs\[0\].*leaf"):
        autograd.compile(root, inputs=[root])
    with pytest.raises(ValueError, match=r"inputs\[1\].*twice"):
        autograd.compile(root, inputs=[a, a])
    program = autograd.compile(root, wrt=[a], inputs=[a])
    with pytest.raises(ValueError, match="1 input value"):
        program([])


def test_long_programs_are_split_into_parts_with_the_same_numbers(monkeypatch):
    monkeypatch.setattr(compiler_module, "STATEMENTS_PER_FUNCTION", 7)
    x, w = Value(0.5, label="x"), Value(0.9, label="w")
    y = x
    for _ in range(40):
        y = (y * w).tanh() + x
    program = autograd.compile(y, wrt=[w, x])
    assert program.source.count("def part") > 5
    loss, grads = program()
    y.backward()
    assert (loss, grads) == (y.data, [w.grad, x.grad])


def test_a_chain_deeper_than_the_parser_nests_compiles():
    x = Value(0.5)
    y = x
    for _ in range(5000):
        y = y * 1.0001 + 0.0001
    program = autograd.compile(y, wrt=[x])
    loss, (grad,) = program()
    y.backward()
    assert (loss, grad) == (y.data, x.grad)


def test_repr_says_what_the_program_is():
    a = Value(1.0)
    program = autograd.compile(a * 2.0, wrt=[a])
    assert isinstance(program, CompiledProgram)
    assert "1 gradients" in repr(program) or "1 gradient" in repr(program)


def test_the_engine_page_shows_the_program_compile_writes():
    readme = (__import__("pathlib").Path(__file__).resolve().parent.parent / "docs" / "engine.md").read_text()
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    program = autograd.compile((x * w + b).tanh(), wrt=[w, b], inputs=[x])
    assert "```\n" + program.source + "```" in readme


def test_a_node_made_the_micrograd_way_is_refused_by_name():
    x = Value(0.5)
    out = Value(math.sin(x.data), (x,), "sin")

    def _backward():
        x.grad += math.cos(x.data) * out.grad

    out._backward = _backward
    with pytest.raises(ValueError, match="micrograd way.*define_op"):
        autograd.compile(out * 2.0, wrt=[x])


def test_gradients_of_labelled_nodes_are_named_by_their_labels():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    n = x * w + b
    n.label = "n"
    program = autograd.compile(n.tanh(), wrt=[w, b], inputs=[x])
    assert "g_n = " in program.source


def test_a_star_import_keeps_the_builtin_compile():
    namespace: dict = {}
    exec("from autograd import *", namespace)
    assert "compile" not in namespace and "Value" in namespace and "CompiledProgram" in namespace
    exec("code = compile('1 + 1', '<test>', 'eval')", namespace)  # the builtin, as before the import
    assert eval(namespace["code"]) == 2
    from autograd import compile as compile_graph

    assert compile_graph is autograd.compile is compiler_module.compile


def test_the_program_sums_gradients_without_a_zero_and_normalises_zeros_once_at_the_return():
    x, w = Value(-1.0, label="x"), Value(0.0, label="w")
    loss = (x * w).relu()  # off: relu's 0.0 times a negative upstream is -0.0, backward's sum makes it 0.0
    program = autograd.compile(loss * -2.0, wrt=[w, x])
    assert "0.0 + " not in program.source
    assert program.source.splitlines()[-1].strip() == "return v5, [g_w + 0.0, g_x + 0.0]"
    _, grads = program()
    (loss * -2.0).backward()
    assert [bits(g) for g in grads] == [bits(w.grad), bits(x.grad)] == [bits(0.0), bits(0.0)]


def test_compiling_leaves_the_cycle_collector_alone(monkeypatch):
    # Switching it off would switch it off for every thread of the process.
    import gc

    switched = []
    monkeypatch.setattr(gc, "disable", lambda: switched.append("disable"))
    monkeypatch.setattr(gc, "freeze", lambda: switched.append("freeze"))
    x = Value(0.5, label="x")
    y = x
    for _ in range(300):
        y = (y * 1.0001).tanh()
    autograd.compile(y, wrt=[x])
    assert switched == [] and gc.isenabled()


def test_statements_are_records_of_what_they_assign_and_read():
    x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
    z = x * w + b
    z.label = "z"
    loss = z.tanh() * z
    order = autograd.topological_order(loss)
    writer = compiler_module._Writer(loss, order, [w, b], [x])
    statements = writer.statements(compiler_module._plan(loss, order, [w, b]))
    by_target = {statement.targets: statement for statement in statements if statement.targets}
    assert by_target[("z",)].code == "z = x * w + b" and set(by_target[("z",)].reads) == {"x", "w", "b"}
    assert by_target[("x",)].code == "x, = inputs"
    assert set(by_target[("g_w",)].reads) == {"x", "g_z"}
    assert statements[-1].code.startswith("return ") and statements[-1].targets == ()


@pytest.mark.parametrize("exponent", [2.0, 0.0, -0.5])
def test_a_powers_program_writes_only_the_branch_its_exponent_takes(exponent):
    x = Value(3.0, label="x")
    y = (x ** exponent) * 2.0
    program = autograd.compile(y, wrt=[x])
    assert " if " not in program.source and "!= 0" not in program.source
    loss, grads = program()
    y.backward()
    assert (bits(loss), [bits(g) for g in grads]) == (bits(y.data), [bits(x.grad)])
