"""backward_steps: the engine's order and arithmetic, replayed exactly."""

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import BackwardStep, Value, backward_steps, topological_order
from graphs import neuron, random_graph, scoped_mlp
from autograd.viz.snapshot import Snapshot
from autograd.viz.steps import forward_steps, replay


CHINESE_TEXT = re.compile(r"[\u4e00-\u9fff]")


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
    assert only.rule == "d tanh(u)/du = 1 − tanh(u)²"
    assert only.product == only.local_grad * 1.0
    assert (only.grad_before, only.grad_after) == (0.0, only.product)
    mul = steps[2]
    assert [c.rule for c in mul.contributions] == ["d(u·v)/du = v", "d(u·v)/dv = u"]
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
    assert text.splitlines()[0] == "Step 3 of 3: x·w = x * w = 2 * (-3) = -6"  # named by its formula
    assert "upstream ∂y/∂(x·w) = 0.501" in text
    assert "local ∂(x·w)/∂x = -3   [mul: d(u·v)/du = v]" in text
    assert "(-3) × 0.501 = -1.503;  x.grad 0 + (-1.503) = -1.503  (final)" in text
    assert text.splitlines()[-1] == (
        "  A product sends each factor the gradient times the other factor: "
        "x gets 0.501 × w = 0.501 × (-3) = -1.503; w gets 0.501 × x = 0.501 × 2 = 1.002.")


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


def compound_labels(labels=("a+b", "-x", "x y")):
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
    assert text.splitlines()[0] == f"Step 1: y = ({label}) * c = 3 * 3 = 9"  # not "a+b * c"
    assert f"({label}).grad 0 + 3 = 3" in text
    assert f"local ∂y/∂({label}) = 3" in text  # the ∂ text wraps the same way
    assert steps[1].text().splitlines()[0] == f"Step 2: {label} = a + b = 2 + 1 = 3"


def test_a_call_and_a_product_stay_bare_where_they_read_right():
    ((_, steps),) = compound_labels(("f(x)",))
    assert steps[0].text().splitlines()[0] == "Step 1: y = f(x) * c = 3 * 3 = 9"
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    y = x * w + 1.0
    y.label = "y"
    first = backward_steps(y)[0].text()
    assert first.splitlines()[0] == "Step 1: y = x·w + 1 = 6 + 1 = 7"  # a product needs no brackets in a sum
    assert "(x·w).grad 0 + 1 = 1" in first and "∂y/∂(x·w)" in first  # but does before .grad and in ∂


def test_a_name_alone_as_a_functions_argument_stays_bare():
    x = Value(0.5, label="x")
    s = x + 1.0
    s.label = "x+1"
    y = s.tanh() ** 2
    y.label = "y"
    first, second = backward_steps(y)[:2]
    assert first.text().splitlines()[0] == "Step 1: y = tanh(x+1)**2 = 0.9051**2 = 0.8193"
    assert second.text().splitlines()[0] == "Step 2: tanh(x+1) = tanh(1.5) = 0.9051"
    negated = -s
    negated.label = "n"
    assert backward_steps(negated)[0].text().splitlines()[0] == "Step 1: n = -(x+1) = -1.5"


def test_explanations_are_generated_for_every_op():
    x = Value(0.7, label="x")
    for node in [x + 1.0, x - 1.0, x * 2.0, x / 2.0, -x, x ** 2, x.exp(), x.log(), x.sqrt(), abs(x), x.tanh(),
                 x.sigmoid(), x.relu(), (-x).relu(), x.leaky_relu(0.1), (-x).leaky_relu(0.1), x ** Value(2.0),
                 x * x]:
        node.label = "out"
        steps, forward = backward_steps(node), forward_steps(node)
        for step in steps + forward:
            assert step.explanation.endswith(".") and step.explanation.count(". ") == 0, step.explanation
            assert step.explanation in step.text(Snapshot(node).names)
        assert "#" not in steps[-1].explanation + forward[-1].explanation
    off = (x - 1.0)
    off.label = "z"
    dead = off.relu()
    dead.label = "a"
    assert backward_steps(dead)[0].explanation == (
        "Backward starts at a with the initial gradient 1; ReLU is off here (z = -0.3 ≤ 0): "
        "its local derivative is 0, so nothing flows back to z.")
    assert forward_steps(dead)[-1].explanation == (
        "ReLU is off: z = -0.3 ≤ 0, so a = 0 and its local derivative is 0 (no gradient will pass here).")


def test_forward_steps_walk_the_graph_in_topological_order():
    loss = scoped_mlp((2, 3, 1))
    steps = forward_steps(loss)
    assert [step.node for step in steps] == [node for node in topological_order(loss) if not node.is_leaf]
    assert [step.index for step in steps] == list(range(len(steps)))
    for step in steps:
        assert step.input_values == tuple(x.data for x in step.node.inputs) and step.result == step.node.data
        assert step.local_grads == step.node.local_grads
        assert step.rules == step.node.op.rules and step.op_name == step.node.op.name
    y = neuron()
    first = forward_steps(y)[0]
    assert first.text(Snapshot(y).names, 3).splitlines() == [
        "Forward 1 of 3: x·w = x * w = 2 * (-3) = -6",
        "  records ∂(x·w)/∂x = -3   [d(u·v)/du = v]",
        "  records ∂(x·w)/∂w = 2   [d(u·v)/dv = u]",
        "  x·w multiplies its inputs and records ∂(x·w)/∂x = -3 and ∂(x·w)/∂w = 2 for backward to multiply by.",
    ]
    assert forward_steps(Value(1.0)) == []
    with pytest.raises(TypeError, match="root must be Value or Snapshot, got int"):
        forward_steps(3)


# --- steps are plain data, their texts written by the function that makes them ---

def test_a_step_is_frozen_and_holds_its_texts_in_the_language_it_was_made_in():
    import dataclasses

    y = neuron()
    english, chinese = backward_steps(y, lang="en"), backward_steps(y, lang="zh")
    step = english[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.explanation = "changed"  # type: ignore[misc]
    assert not hasattr(step, "__dict__") or "_explanation" not in vars(step)  # no cache set aside
    assert step.lang == "en" and chinese[0].lang == "zh"
    assert step.explanation and step.text().endswith(step.explanation)
    assert chinese[0].text().endswith(chinese[0].explanation) and chinese[0].explanation != step.explanation
    # Written once: the text needs no snapshot (no graph walk) to be read.
    calls = []
    original = Snapshot.__init__

    def counting(self, *args, **kwargs):
        calls.append(1)
        original(self, *args, **kwargs)

    try:
        Snapshot.__init__ = counting  # type: ignore[method-assign]
        texts = [s.text(total=len(english)) for s in english] + [str(s) for s in chinese]
    finally:
        Snapshot.__init__ = original  # type: ignore[method-assign]
    assert calls == [] and texts[0].startswith("Step 1 of 3: y")
    # The same text as writing it again from the snapshot's names.
    snapshot = Snapshot(y)
    assert [s.text(total=3) for s in english] == [s.text(snapshot.names, 3, "en") for s in english]


def test_a_forward_steps_explanation_is_part_of_the_step_when_it_is_made():
    y = neuron()
    forward = forward_steps(y, lang="en")
    assert all(step.explanation and step.text().endswith(step.explanation) for step in forward)
    assert forward == forward_steps(y, lang="en")  # the same numbers, the same step
    with pytest.raises(TypeError, match="names"):
        forward[0].text(lang="zh")  # another language needs the snapshot's names...
    assert CHINESE_TEXT.search(forward[0].text(Snapshot(y).names, lang="zh"))  # ...given, it is written again


def test_a_snapshots_steps_hold_numbers_only_and_equal_the_written_ones():
    y = neuron()
    snapshot = Snapshot(y)
    assert snapshot.steps == backward_steps(snapshot)  # texts are not compared: the numbers are the same
    assert all(step.explanation == "" and step.lang == "" for step in snapshot.steps)
    written = snapshot.steps[0].text(snapshot.names, 3)
    assert written == backward_steps(snapshot, lang="en")[0].text(total=3)
    with pytest.warns(DeprecationWarning, match="without names"):
        assert snapshot.steps[0].text(total=3) == written
