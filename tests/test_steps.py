"""backward_steps: the engine's order and arithmetic, replayed exactly."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import BackwardStep, Value, backward_steps, topological_order
from autograd.viz.examples import neuron, random_graph, scoped_mlp
from autograd.viz.snapshot import Snapshot
from autograd.viz.steps import replay


def same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def final_grads(steps, loss):
    grads = {id(loss): 1.0}
    for step in steps:
        for contribution in step.contributions:
            grads[id(contribution.input)] = contribution.grad_after
    return grads


def test_steps_follow_the_engine_order():
    loss = scoped_mlp((2, 3, 1))
    steps = backward_steps(loss)
    expected = [node for node in reversed(topological_order(loss)) if not node.is_leaf]
    assert [step.node for step in steps] == expected
    assert [step.index for step in steps] == list(range(len(expected)))
    assert all(isinstance(step, BackwardStep) for step in steps)


def test_neuron_steps_by_hand():
    y = neuron()
    n = y.inputs[0]
    xw, b = n.inputs
    steps = backward_steps(y)
    assert [step.node for step in steps] == [y, n, xw]
    first = steps[0]
    assert first.upstream == 1.0 and first.op_name == "tanh"
    (only,) = first.contributions
    assert only.input is n
    assert only.local_grad == y.local_grads[0]  # the number the engine multiplies
    assert only.local_grad == pytest.approx(1.0 - math.tanh(n.data) ** 2, rel=1e-12)
    assert only.rule == "d(tanh(a))/da = 1 - tanh(a)**2"
    assert only.product == only.local_grad * 1.0
    assert (only.grad_before, only.grad_after) == (0.0, only.product)
    mul = steps[2]
    assert [c.rule for c in mul.contributions] == ["d(a*b)/da = b", "d(a*b)/db = a"]
    assert [c.local_grad for c in mul.contributions] == [-3.0, 2.0]


def test_reuse_shows_accumulation_before_and_after():
    a = Value(3.0, label="a")
    b = a * a
    (step,) = backward_steps(b)
    first, second = step.contributions
    assert (first.grad_before, first.grad_after) == (0.0, 3.0)
    assert (second.grad_before, second.grad_after) == (3.0, 6.0)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 30))
def test_replaying_steps_gives_exactly_the_gradients_of_backward(seed, size):
    loss, _ = random_graph(seed, size)
    steps = backward_steps(loss)  # before backward: must not depend on it
    loss.backward()
    replayed = final_grads(steps, loss)
    recomputed = replay(steps)
    for node in topological_order(loss):
        assert same(replayed[id(node)], node.grad), node
        if id(node) in recomputed:
            assert same(recomputed[id(node)], node.grad)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 25))
def test_apply_does_what_backward_does_including_leaf_accumulation(seed, size):
    loss, _ = random_graph(seed, size)
    twin, _ = random_graph(seed, size)
    loss.backward()
    loss.backward(2.0)
    backward_steps(twin, apply=True)
    steps = backward_steps(twin, 2.0, apply=True)
    for node, twin_node in zip(topological_order(loss), topological_order(twin)):
        assert same(node.grad, twin_node.grad)
    assert steps[0].upstream == 2.0


def test_default_leaves_every_grad_untouched():
    loss = scoped_mlp((2, 3, 1))
    before = [node.grad for node in topological_order(loss)]
    steps = backward_steps(loss)
    assert [node.grad for node in topological_order(loss)] == before
    loss.backward()
    again = backward_steps(loss)  # a fresh pass: same numbers after backward ran
    assert [(s.upstream, [c.grad_after for c in s.contributions]) for s in steps] == \
           [(s.upstream, [c.grad_after for c in s.contributions]) for s in again]


def test_step_text_shows_the_arithmetic():
    y = neuron()
    text = backward_steps(y)[2].text(total=3)
    assert text.splitlines()[0] == "Step 3 of 3: mul#2 = x * w = -6"
    assert "upstream ∂y/∂mul#2 = 0.501" in text
    assert "local ∂mul#2/∂x = -3   [mul: d(a*b)/da = b]" in text
    assert "(-3) × 0.501 = -1.503;  x.grad 0 + (-1.503) = -1.503" in text


def test_a_leaf_loss_has_no_steps_and_a_long_chain_works():
    assert backward_steps(Value(2.0)) == []
    x = Value(1.0)
    node = x
    for _ in range(20_000):
        node = node * 1.0
    steps = backward_steps(node)
    assert len(steps) == 20_000
    assert steps[-1].contributions[0].grad_after == 1.0


def test_rejects_non_values_and_a_gradient_that_is_no_number():
    with pytest.raises(TypeError, match="loss must be Value or Snapshot, got float"):
        backward_steps(1.0)
    with pytest.raises(TypeError, match="gradient must be a real number, got str"):
        backward_steps(neuron(), "1")
    with pytest.raises(TypeError, match="gradient must be a real number, got bool"):
        backward_steps(neuron(), True)
    with pytest.raises(ValueError, match="gradient is too large for a float"):
        backward_steps(neuron(), 10 ** 400)


def test_the_steps_of_a_snapshot_are_the_steps_of_its_root():
    loss = scoped_mlp((2, 3, 1))
    snapshot = Snapshot(loss)
    assert backward_steps(snapshot, 2.0) == backward_steps(loss, 2.0)
    assert backward_steps(snapshot) == snapshot.steps
    first = snapshot.steps[0].text(snapshot.names, len(snapshot.steps))
    assert first == backward_steps(loss)[0].text(total=len(snapshot.steps))
    assert "(the initial gradient of backward)" in first


def compound_labels(labels=("a+b", "-x", "f(x)")):
    """y = s * c with s labelled by each compound label in turn; the steps of each."""
    for label in labels:
        a, b, c = Value(2.0, label="a"), Value(1.0, label="b"), Value(3.0, label="c")
        s = a + b
        s.label = label
        y = s * c
        y.label = "y"
        yield label, backward_steps(y)


@pytest.mark.parametrize("label, steps", list(compound_labels()))
def test_compound_names_are_bracketed_as_operands_and_before_grad(label, steps):
    text = steps[0].text()
    assert text.splitlines()[0] == f"Step 1: y = ({label}) * c = 9"  # not "a+b * c"
    assert f"({label}).grad 0 + 3 = 3" in text
    assert f"local ∂y/∂({label}) = 3" in text  # the ∂ text wraps the same way
    assert steps[1].text().splitlines()[0] == f"Step 2: {label} = a + b = 3"


def test_a_name_alone_as_a_functions_argument_stays_bare():
    x = Value(0.5, label="x")
    s = x + 1.0
    s.label = "x+1"
    y = s.tanh() ** 2
    y.label = "y"
    first, second = backward_steps(y)[:2]
    assert first.text().splitlines()[0].startswith("Step 1: y = tanh#")
    assert second.text().splitlines()[0].startswith("Step 2: tanh#")
    assert " = tanh(x+1) = " in second.text().splitlines()[0]
    negated = -s
    negated.label = "n"
    assert backward_steps(negated)[0].text().splitlines()[0] == "Step 1: n = -(x+1) = -1.5"


@pytest.mark.parametrize("label", ["", " ", "  \t", "\n"])
def test_a_whitespace_label_is_no_label(label):
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    product = x * w
    product.label = label
    y = product + 1.0
    y.label = "y"
    text = backward_steps(y)[0].text()
    assert text.splitlines()[0] == "Step 1: y = mul#2 + 1 = 7"
    assert "mul#2.grad 0 + 1 = 1" in text


def test_a_constant_is_named_by_its_number_and_gets_no_grad_line():
    x = Value(2.0, label="x")
    total = x * 3.0
    mean = total / 1.0
    mean.label = "mean"
    steps = backward_steps(mean)
    text = steps[0].text()
    assert text.splitlines()[0] == "Step 1: mean = mul#2 / 1 = 6"
    assert "→ 1 (a constant): local ∂mean/∂1 = -6" in text
    assert "(-6) × 1 = -6;  1 is a constant: nothing to update" in text
    assert "1.grad" not in text and "3.grad" not in steps[1].text()
    assert "x.grad 0 + 3 = 3" in steps[1].text()  # a variable still shows its accumulation
    # The data is unchanged: the constant's contribution is recorded and replays as backward.
    constant = mean.inputs[1]
    assert constant.is_constant
    assert steps[0].contributions[1].input is constant and steps[0].contributions[1].grad_after == -6.0
    mean.backward()
    assert replay(steps)[id(constant)] == constant.grad == -6.0
