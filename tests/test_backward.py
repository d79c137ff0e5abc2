"""Backward: deep chains, shared nodes, accumulation, the initial gradient, random graphs against PyTorch.

Only the random graphs need PyTorch (marked ``torch``, imported inside).
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, detect_anomaly, topological_order
from autograd.graph import gradients
from support import assert_floats_match


# --- depth ---

def test_a_million_op_chain_backpropagates_with_the_right_gradient():
    x = Value(0.25)
    v = x
    expected = 0.25
    for _ in range(500_000):  # 1,000,000 ops: d/dx of each pair is -1
        v = v * -1.0
        v = v + 0.5
        expected = expected * -1.0 + 0.5
    v.backward()  # an explicit stack: no RecursionError
    assert v.data == expected
    assert x.grad == 1.0  # (-1) ** 500000
    del v  # freeing a million-deep chain must not crash either


def test_a_deep_chain_of_unary_ops_backpropagates():
    x = Value(0.5)
    v = x
    for _ in range(100_000):
        v = v.tanh() + 0.1 if v.data < 0 else (-v).relu() - 0.2
    v.backward()
    assert math.isfinite(x.grad)


# --- shared nodes accumulate ---

def test_x_times_x_accumulates_both_uses():
    x = Value(3.0)
    y = x * x
    y.backward()
    assert x.grad == 6.0
    assert y.inputs == (x, x)


def test_a_plus_a_accumulates_both_uses():
    a = Value(-1.5)
    (a + a).backward()
    assert a.grad == 2.0


def test_diamond_accumulates_along_both_paths():
    a = Value(1.5)
    left, right = a * 2.0, a * 3.0
    d = left * right  # 6 a**2
    d.backward()
    assert a.grad == 12.0 * 1.5
    assert left.grad == right.data and right.grad == left.data


def test_reused_node_accumulates_instead_of_overwriting():
    # Early tinygrad's first backward assigned `grad = ...` instead of adding:
    # a node used twice kept only its last use. Both uses must count.
    x = Value(2.0)
    h = x * 3.0
    y = h * h + h  # dy/dh = 2h + 1, dy/dx = 3 * (2h + 1)
    y.backward()
    assert h.grad == 2 * 6.0 + 1
    assert x.grad == 3 * (2 * 6.0 + 1)


def test_a_node_with_many_consumers_gets_all_contributions():
    x = Value(0.5)
    total = sum((x * float(k) for k in range(1, 11)), Value(0.0))
    total.backward()
    assert x.grad == sum(range(1, 11))


# --- accumulation across calls, the initial gradient ---

def test_leaf_gradients_accumulate_across_backward_calls():
    x = Value(2.0)
    y = x * 5.0
    y.backward()
    y.backward()
    assert x.grad == 10.0
    x.grad = 0.0  # zeroed by hand, as an optimiser's zero_grad does
    y.backward()
    assert x.grad == 5.0


def test_interior_nodes_hold_the_latest_calls_gradient():
    x = Value(2.0)
    z = x * 3.0
    y = z * 4.0
    y.backward()
    y.backward()
    assert z.grad == 4.0  # not 8: interior gradients are reset by each call
    assert y.grad == 1.0
    assert x.grad == 24.0  # the leaf accumulated twice
    z.backward()  # backward from an interior node: its initial gradient, then its inputs
    assert z.grad == 1.0 and x.grad == 27.0


def test_the_initial_gradient_is_one_or_the_number_given():
    x = Value(2.0)
    y = x.tanh()
    y.backward(2.5)
    assert math.isclose(x.grad, 2.5 * (1 - math.tanh(2.0) ** 2), rel_tol=1e-14)
    assert y.grad == 2.5
    x.grad = 0.0
    y.backward(np.float64(-1.0))
    assert y.grad == -1.0 and x.grad < 0.0
    x.grad = 0.0
    y.backward(3)
    assert y.grad == 3.0


def test_backward_of_a_leaf_adds_the_initial_gradient_to_it():
    x = Value(4.0)
    x.backward()
    x.backward(2.0)
    assert x.grad == 3.0


def test_backward_after_an_interrupted_backward_is_correct():
    x = Value(0.0)
    y = x.sqrt()  # d sqrt / dx at 0 is inf: anomaly mode stops backward midway
    s = y * 2.0 + x
    with pytest.raises(FloatingPointError), detect_anomaly():
        s.backward()
    x.grad = 0.0
    w = Value(9.0)
    t = w.sqrt() * 2.0 + w * 1.0
    t.backward()
    assert w.grad == 2.0 * (0.5 / 3.0) + 1.0
    s2 = y * 0.0 + x * 3.0  # reuses y, whose grad the interrupted call left
    s2.backward()
    assert s2.grad == 1.0 and y.grad == 0.0 and math.isnan(x.grad)  # 0 * inf = nan, as IEEE


def test_backward_leaves_untouched_what_the_root_does_not_depend_on():
    x, unrelated = Value(1.0), Value(2.0)
    other = unrelated * 3.0
    other.backward()
    y = x * 2.0
    y.backward()
    assert unrelated.grad == 3.0 and other.grad == 1.0


def test_backward_replays_reverse_topological_order_bit_for_bit():
    # Float addition is not associative: the order in which the contributions
    # of x's seven uses are added shows in the last bits. backward must add
    # them in reverse topological order, the order the steps display.
    x = Value(0.1)
    uses = [x * c for c in (0.3, 1e16, 0.7, -1e16, 1.1, 3.3, 1e-3)]
    root = uses[0]
    for u in uses[1:]:
        root = root + u.tanh() * u
    root.backward()
    assert x.grad == replayed_gradients(root)[id(x)]


def replayed_gradients(root: Value) -> dict[int, float]:
    """backward's loop written out over topological_order, on fresh gradients."""
    order = topological_order(root)
    grads = {id(node): 0.0 for node in order}
    grads[id(root)] = 1.0
    for node in reversed(order):
        for node_input, local_grad in zip(node.inputs, node.local_grads):
            grads[id(node_input)] += local_grad * grads[id(node)]
    return grads


# --- random expression graphs built from every op, against PyTorch ---

def _leaky(slope):
    def theirs(tensor):
        import torch.nn.functional

        return torch.nn.functional.leaky_relu(tensor, slope)

    return lambda v: v.leaky_relu(slope), theirs


# name -> (ours, PyTorch's, valid(x), result bit-identical in both libraries)
UNARY = {
    "neg": (lambda v: -v, lambda t: -t, lambda x: True, True),
    "exp": (lambda v: v.exp(), lambda t: t.exp(), lambda x: x < 10, False),
    "log": (lambda v: v.log(), lambda t: t.log(), lambda x: x > 0.1, False),
    "sqrt": (lambda v: v.sqrt(), lambda t: t.sqrt(), lambda x: x > 0.1, True),
    "abs": (abs, abs, None, True),
    "tanh": (lambda v: v.tanh(), lambda t: t.tanh(), lambda x: True, False),
    "sigmoid": (lambda v: v.sigmoid(), lambda t: t.sigmoid(), lambda x: True, False),
    "relu": (lambda v: v.relu(), lambda t: t.relu(), None, True),
    "leaky_relu": (*_leaky(0.01), None, True),
    "leaky_relu_0.2": (*_leaky(0.2), None, True),
    "square": (lambda v: v ** 2, lambda t: t ** 2, lambda x: True, False),
    "cube": (lambda v: v ** 3, lambda t: t ** 3, lambda x: True, False),
    "reciprocal": (lambda v: v ** -1, lambda t: t ** -1, lambda x: abs(x) > 0.1, False),
    "pow_1.5": (lambda v: v ** 1.5, lambda t: t ** 1.5, lambda x: x > 0.1, False),
    "pow_half": (lambda v: v ** 0.5, lambda t: t ** 0.5, lambda x: x > 0.1, False),
    "pow_0": (lambda v: v ** 0, lambda t: t ** 0, lambda x: True, True),
    "2**v": (lambda v: 2 ** v, lambda t: 2 ** t, lambda x: abs(x) < 20, False),
    "c+v": (lambda v: 1.5 + v, lambda t: 1.5 + t, lambda x: True, True),
    "v+c": (lambda v: v + -0.5, lambda t: t + -0.5, lambda x: True, True),
    "c-v": (lambda v: 0.5 - v, lambda t: 0.5 - t, lambda x: True, True),
    "v-c": (lambda v: v - 2, lambda t: t - 2, lambda x: True, True),
    "c*v": (lambda v: -1.5 * v, lambda t: -1.5 * t, lambda x: True, True),
    "v*c": (lambda v: v * 0.3, lambda t: t * 0.3, lambda x: True, True),
    "c/v": (lambda v: 2.0 / v, lambda t: 2.0 / t, lambda x: abs(x) > 0.1, True),
    "v/c": (lambda v: v / 3.0, lambda t: t / 3.0, lambda x: True, True),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda x, y: True, True),
    "sub": (lambda a, b: a - b, lambda x, y: True, True),
    "mul": (lambda a, b: a * b, lambda x, y: True, True),
    "div": (lambda a, b: a / b, lambda x, y: abs(y) > 0.1, True),
    "pow": (lambda a, b: a ** b, lambda x, y: x > 0.1 and abs(y) < 4, False),
}
KINK_FREE_MARGIN = 1e-6  # away from a kink, rounding differences cannot cross it
LIMIT = 1e6


@st.composite
def expression_programs(draw):
    """Leaves and steps ``(op, i, j)`` that build a DAG, each step reusing any earlier node.

    Steps are drawn only where the op is defined and its result stays
    within ``LIMIT``; a kink op is applied at exactly 0 only to a node whose
    value is bit-identical in both libraries (made by correctly rounded
    ops), so both libraries see the same side of the kink.
    """
    leaves = draw(st.lists(st.one_of(st.just(0.0), st.floats(-3.0, 3.0)), min_size=1, max_size=4))
    values = list(leaves)
    exact = [True] * len(leaves)
    steps = []
    for _ in range(draw(st.integers(1, 30))):
        name = draw(st.sampled_from(sorted(UNARY) + sorted(BINARY)))
        i = draw(st.integers(0, len(values) - 1))
        x = values[i]
        if name in UNARY:
            ours, _, valid, bit_identical = UNARY[name]
            j = i
            if valid is None:  # a kink at 0
                valid_here = (x == 0.0 and exact[i]) or abs(x) > KINK_FREE_MARGIN
            else:
                valid_here = valid(x)
            if not valid_here:
                continue
            result = ours(Value(x)).data
            identical = bit_identical and exact[i]
        else:
            ours, valid, bit_identical = BINARY[name]
            j = draw(st.integers(0, len(values) - 1))
            if not valid(x, values[j]):
                continue
            result = ours(Value(x), Value(values[j])).data
            identical = bit_identical and exact[i] and exact[j]
        if not (math.isfinite(result) and abs(result) <= LIMIT):
            continue
        steps.append((name, i, j))
        values.append(result)
        exact.append(identical)
    assume(steps)
    return leaves, steps


def build(leaves, steps, torch_side):
    """The program's nodes, in one library or the other."""
    if torch_side:
        import torch

        nodes = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in leaves]
    else:
        nodes = [Value(x) for x in leaves]
    for name, i, j in steps:
        if name in UNARY:
            ours, theirs, _, _ = UNARY[name]
            nodes.append((theirs if torch_side else ours)(nodes[i]))
        else:
            nodes.append(BINARY[name][0](nodes[i], nodes[j]))
    return nodes


@pytest.mark.torch
@settings(max_examples=400, deadline=None)
@given(program=expression_programs())
def test_random_expression_graphs_match_pytorch(program):
    leaves, steps = program
    ours = build(leaves, steps, torch_side=False)
    theirs = build(leaves, steps, torch_side=True)
    root, reference = ours[-1], theirs[-1]
    root.backward()
    reference.backward()
    # Relative 1e-9 with an absolute floor scaled to the graph: exp, log,
    # tanh, pow differ in the last bit between the libraries, and sums of
    # such terms may cancel.
    value_scale = max(1.0, *(abs(node.data) for node in ours))
    assert_floats_match(root.data, reference.item(), "root value", rel=1e-9, abs_=1e-12 * value_scale)
    # (PyTorch leaves the gradient of a leaf the root does not depend on None)
    reference_grads = [0.0 if t.grad is None else t.grad.item() for t in theirs[: len(leaves)]]
    grad_scale = max(1.0, *(abs(g) for g in reference_grads))
    for index, (leaf, reference_grad) in enumerate(zip(ours, reference_grads)):
        assert_floats_match(leaf.grad, reference_grad, f"gradient of leaf {index}",
                            rel=1e-9, abs_=1e-12 * grad_scale * value_scale)
    # and backward accumulated in exactly the order the steps display
    replayed = replayed_gradients(root)
    for leaf in ours[: len(leaves)]:
        assert leaf.grad == replayed.get(id(leaf), 0.0)


# --- the compiled program accumulates in the core's order ---

@st.composite
def reused_graphs(draw):
    """A random DAG whose nodes are used many times (sums of 3+ contributions show the order in the bits)."""
    leaves = [Value(draw(st.sampled_from([0.1, 0.3, -0.7, 1e16, -1e16, 1.1, 3.3])), label=f"x{k}")
              for k in range(draw(st.integers(1, 3)))]
    nodes = list(leaves)
    for _ in range(draw(st.integers(1, 30))):
        a = nodes[draw(st.integers(0, len(nodes) - 1))]
        b = nodes[draw(st.integers(0, len(nodes) - 1))]
        kind = draw(st.sampled_from(["+", "*", "-", "tanh", "scale"]))
        nodes.append({"+": lambda: a + b, "*": lambda: a * b, "-": lambda: a - b,
                      "tanh": lambda: a.tanh(), "scale": lambda: a * 0.7}[kind]())
    root = nodes[-1]
    for node in nodes[len(leaves):-1]:
        root = root + node  # every node used once more, by the root's chain
    return root, leaves


def _bits(x: float) -> bytes:
    return b"nan" if math.isnan(x) else struct.pack("<d", x)


@settings(max_examples=60, deadline=None)
@given(graph=reused_graphs())
def test_the_compiled_program_accumulates_in_the_order_of_the_core_pass(graph):
    # autograd.compile emits straight-line code; its sums must add the
    # contributions in backward_pass's order, or the last bits differ.
    root, leaves = graph
    program = autograd.compile(root, wrt=leaves)
    value, compiled = program()
    core = gradients(topological_order(root))
    assert _bits(value) == _bits(root.data)
    assert [_bits(grad) for grad in compiled] == [_bits(core.get(leaf, 0.0)) for leaf in leaves]


def test_the_compiled_program_and_the_core_pass_agree_where_the_order_shows():
    x = Value(0.1, label="x")
    uses = [x * c for c in (0.3, 1e16, 0.7, -1e16, 1.1, 3.3, 1e-3)]
    root = uses[0]
    for u in uses[1:]:
        root = root + u.tanh() * u
    (compiled,) = autograd.compile(root, wrt=[x])()[1]
    order = topological_order(root)
    core_grads = gradients(order)
    core = core_grads[x]
    reordered = 0.0  # the same contributions summed first use first: other bits
    for node in order:
        for node_input, local_grad in zip(node.inputs, node.local_grads):
            if node_input is x:
                reordered += local_grad * core_grads[node]
    assert compiled == core
    assert reordered != core  # the order shows in this graph: the check above could fail
