"""Graph walking: topological order, edges, stable ids; deterministic, no recursion."""

from __future__ import annotations

import io
import os
import pathlib
import re
import struct
import subprocess
import sys
import textwrap
import tokenize

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, edges, node_ids, topological_order
from autograd.graph import GradCell, backward_pass, gradients, interior_order, pass_edge


@st.composite
def random_dags(draw):
    """A random DAG of Values: each new node uses earlier ones, often the same one twice."""
    nodes = [Value(float(k), label=f"x{k}") for k in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(0, 40))):
        i = draw(st.integers(0, len(nodes) - 1))
        j = draw(st.one_of(st.just(i), st.integers(0, len(nodes) - 1)))
        kind = draw(st.sampled_from(["+", "*", "-", "tanh", "neg", "const"]))
        a, b = nodes[i], nodes[j]
        nodes.append({"+": lambda: a + b, "*": lambda: a * b, "-": lambda: a - b,
                      "tanh": lambda: a.tanh(), "neg": lambda: -a, "const": lambda: 2.0 * a}[kind]())
    return nodes[-1]


def recursive_post_order(root):
    """The specification: depth-first, inputs left to right, a node after its inputs."""
    order, seen = [], set()

    def visit(node):
        if node in seen:
            return
        seen.add(node)
        for node_input in node.inputs:
            visit(node_input)
        order.append(node)

    visit(root)
    return order


@settings(max_examples=300, deadline=None)
@given(root=random_dags())
def test_topological_order_is_valid_and_the_recursive_post_order(root):
    order = topological_order(root)
    assert order[-1] is root
    position = {id(node): index for index, node in enumerate(order)}
    assert len(position) == len(order), "every node once"
    for node in order:
        for node_input in node.inputs:
            assert position[id(node_input)] < position[id(node)], "inputs before their users"
    assert order == recursive_post_order(root)


@settings(max_examples=300, deadline=None)
@given(root=random_dags())
def test_backwards_own_walk_is_the_topological_order_without_leaves(root):
    expected = [node for node in topological_order(root) if not node.is_leaf]
    assert interior_order(root) == expected
    assert interior_order(root) == expected  # a second walk sees the first one's marks as stale


def test_a_plus_a_keeps_two_edges():
    a = Value(1.0)
    b = a + a
    found = edges(b)
    assert [(e.source, e.target, e.position) for e in found] == [(a, b, 0), (a, b, 1)]
    assert [e.local_grad for e in found] == [1.0, 1.0]
    assert topological_order(b) == [a, b]


def test_edges_follow_the_order_and_carry_local_gradients():
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    product = x * w
    y = product.tanh()
    assert [(e.source.label or e.source.op.name, e.target.op.name, e.position, e.local_grad)
            for e in edges(y)] == [("x", "mul", 0, -3.0), ("w", "mul", 1, 2.0),
                                   ("mul", "tanh", 0, y.local_grads[0])]


def test_node_ids_are_stable_short_names_inputs_first():
    x = Value(1.0)
    doubled = x * 2.0
    y = doubled.exp()
    ids = node_ids(y)
    # Written out by hand: every input before the node computed from it, numbered from n0.
    assert sorted(ids.values()) == ["n0", "n1", "n2", "n3"]
    assert int(ids[id(x)][1:]) < int(ids[id(doubled)][1:]) < int(ids[id(y)][1:]) == 3
    assert node_ids(y) == ids  # the same graph, the same names


def test_the_same_program_gives_the_same_graph():
    def program():
        x, w, b = Value(2.0, label="x"), Value(-3.0, label="w"), Value(6.88, label="b")
        h = x * w + b
        return (h.tanh() * h + h.relu() - 2 ** x / w).sigmoid()

    def shape(root):
        ids = node_ids(root)
        return ([ids[id(node)] for node in topological_order(root)],
                [(ids[id(e.source)], ids[id(e.target)], e.position, e.local_grad) for e in edges(root)],
                [(node.label, node._op, node.data) for node in topological_order(root)])

    first, second = program(), program()
    assert shape(first) == shape(second)


PROGRAM = textwrap.dedent("""
    from autograd import Value, edges, node_ids, topological_order
    junk = [Value(float(k)) * 2 for k in range({junk})]  # shifts memory addresses
    x, w = Value(2.0, label="x"), Value(-3.0, label="w")
    h = x * w + x
    y = (h * h + w).tanh() + h.relu()
    ids = node_ids(y)
    print([(ids[id(e.source)], ids[id(e.target)], e.position) for e in edges(y)])
    print([(n.label, n._op) for n in topological_order(y)])
""")


def test_the_same_program_gives_the_same_graph_in_another_process():
    # Ids and order must not depend on memory addresses or hash seeds.
    outputs = {
        subprocess.run([sys.executable, "-c", PROGRAM.format(junk=junk)], capture_output=True,
                       text=True, check=True, env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for junk, seed in [(0, "1"), (37, "2"), (1000, "3")]
    }
    assert len(outputs) == 1 and outputs.pop().count("(") > 10


def test_graph_walking_needs_no_recursion():
    x = Value(1.0)
    v = x
    for _ in range(200_000):
        v = v + x
    order = topological_order(v)
    assert len(order) == 200_001 and order[0] is x and order[-1] is v
    assert len(edges(v)) == 400_000


# --- backward's accumulation, written once (graph.backward_pass) ---

def _bits(x: float) -> bytes:
    return b"nan" if x != x else struct.pack("<d", x)


@settings(max_examples=100, deadline=None)
@given(root=random_dags(), initial=st.sampled_from([1.0, -0.5, 3.0]))
def test_gradients_on_cells_are_backwards_own_bits_and_touch_no_grad(root, initial):
    order = topological_order(root)
    for k, node in enumerate(order):
        node.grad = 0.25 * k  # whatever a node holds stays: the side pass writes only its cells
    held = [node.grad for node in order]
    side = gradients(order, initial)
    assert [node.grad for node in order] == held
    for node in order:
        node.grad = 0.0
    root.backward(initial)
    assert set(side) == set(order)
    assert [_bits(side[node]) for node in order] == [_bits(node.grad) for node in order]


def test_backward_pass_adds_each_local_gradient_times_the_upstream_one_in_the_order_given():
    x = Value(0.1)
    uses = [x * c for c in (0.3, 1e16, 0.7, -1e16)]
    root = ((uses[0] + uses[1]) + uses[2]) + uses[3]
    order = interior_order(root)
    root.grad = 1.0
    assert backward_pass(reversed(order)) is None
    # By hand, in the same order (reverse topological: the last use first); float
    # addition is not associative, so another order shows in the bits.
    expected = 0.0
    for c in (-1e16, 0.7, 1e16, 0.3):
        expected += c * 1.0
    assert x.grad == expected
    assert 0.0 + 0.3 + 1e16 + 0.7 - 1e16 != expected  # (the other order differs: the test could fail)


def test_backward_pass_stops_before_a_node_with_its_own_backward_and_goes_on_after_it():
    x = Value(2.0, label="x")
    own = Value(x.data * 3.0, (x,), "triple")  # micrograd's way: derivatives None until run
    ran = []
    own._backward = lambda: ran.append("own")
    top = own * 5.0
    order = interior_order(top)
    top.grad = 1.0
    walk = reversed(order)
    assert backward_pass(walk) is own
    assert own.grad == 5.0 and x.grad == 0.0 and ran == []  # nothing of it added
    assert backward_pass(walk) is None  # the same walk goes on after it (nothing left here)


def test_backward_pass_does_not_hide_a_type_error_of_another_kind():
    x = Value(1.0)
    y = x * 2.0
    y.grad = "not a number"  # type: ignore[assignment]
    with pytest.raises(TypeError):
        backward_pass([y])


def test_a_single_edge_is_passed_by_the_same_accumulation():
    cell = GradCell(0.5)
    pass_edge(cell, 3.0, 0.25)
    assert cell.grad == 0.5 + 3.0 * 0.25


def _code_without_strings_and_comments(source: str) -> str:
    kept = []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in (tokenize.NEWLINE, tokenize.NL):
            kept.append("\n")
        elif token.type not in (tokenize.STRING, tokenize.COMMENT):
            kept.append(token.string)
    return " ".join(kept)


def test_backwards_accumulation_is_written_in_one_place_in_autograd_and_nn():
    # The check: the accumulation `input.grad += ...` lives in graph.backward_pass
    # only; Value.backward, custom backward, the steps and nn's δ call it.
    root = pathlib.Path(__file__).resolve().parent.parent
    found = {}
    for package in ("autograd", "nn"):
        for path in sorted((root / package).rglob("*.py")):
            code = _code_without_strings_and_comments(path.read_text(encoding="utf-8"))
            count = len(re.findall(r"\. grad \+=[^\n]*\*", code))  # (the initial gradient is no product)
            if count:
                found[path.relative_to(root).as_posix()] = count
    assert found == {"autograd/graph.py": 2}  # a node's first input, then its second
