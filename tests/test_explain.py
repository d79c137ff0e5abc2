"""explain: the chain rule as a sum over paths, equal to the gradient."""

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd.viz.explain as explain_module
from autograd import Value, chain_rule, explain, topological_order
from graphs import neuron, random_graph, scoped_mlp
from autograd.viz.snapshot import Snapshot


def by_label(root):
    return {node.label: node for node in topological_order(root) if node.label}


def test_neuron_derivation_names_every_factor_and_equals_the_grad():
    y = neuron()
    text = explain(y, wrt=by_label(y)["w"])
    lines = text.splitlines()
    assert "path 1: y ← n ← x·w ← w" in lines
    assert "        ∂y/∂w = ∂y/∂n · ∂n/∂(x·w) · ∂(x·w)/∂w" in lines
    assert "              = 0.501 · 1 · 2" in lines
    assert "which is w.grad = 1.002, as backward() computed it." in lines
    assert any("tanh: d tanh(u)/du = 1 − tanh(u)²" in line for line in lines)


def test_a_value_used_twice_opens_two_paths():
    a = Value(3.0, label="a")
    z = a * a + a
    z.label = "z"
    z.backward()
    rule = chain_rule(z, a)
    assert rule.path_count == 3
    assert [path.product for path in rule.paths] == [3.0, 3.0, 1.0]
    text = explain(z, a)
    assert "∂(a·a)/∂(a₁) · " not in text  # the subscript names the use without parentheses
    assert "∂z/∂(a·a) · ∂(a·a)/∂a₁" in text and "∂z/∂(a·a) · ∂(a·a)/∂a₂" in text
    assert "∂z/∂a = 3 + 3 + 1" in text and "      = 7" in text


@settings(max_examples=120, deadline=None)
@given(st.integers(0, 10**9), st.integers(1, 25))
def test_paths_sum_to_the_gradient_on_random_graphs(seed, size):
    loss, leaves = random_graph(seed, size)
    loss.backward()
    for leaf in leaves:
        rule = chain_rule(loss, leaf, max_paths=10**9)
        assert len(rule.paths) == rule.path_count
        magnitude = math.fsum(abs(path.product) for path in rule.paths)
        if not math.isfinite(magnitude):
            continue
        assert abs(rule.shown_sum - leaf.grad) <= 1e-9 * magnitude + 1e-12
        assert rule.gradient == leaf.grad


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**9), st.integers(5, 25), st.integers(1, 4))
def test_capped_paths_are_the_largest_and_the_rest_completes_the_sum(seed, size, cap):
    loss, leaves = random_graph(seed, size)
    loss.backward()
    for leaf in leaves:
        everything = chain_rule(loss, leaf, max_paths=10**9)
        capped = chain_rule(loss, leaf, max_paths=cap)
        assert capped.path_count == everything.path_count
        if everything.path_count <= cap:
            assert capped.paths == everything.paths
            continue
        assert len(capped.paths) == cap
        largest = sorted((abs(p.product) for p in everything.paths), reverse=True)[:cap]
        if all(math.isfinite(x) for x in largest):
            assert [abs(p.product) for p in capped.paths] == pytest.approx(largest, rel=1e-12)
        assert capped.shown_sum + capped.rest == pytest.approx(leaf.grad, rel=1e-9, abs=1e-12)


def test_path_cap_message_in_a_big_graph():
    loss = scoped_mlp((2, 4, 4, 1), samples=3)
    loss.backward()
    weight = by_label(loss)["L1.N1.w1"]
    text = explain(loss, weight, max_paths=3)
    assert "12 paths lead from loss to L1.N1.w1" in text
    assert "Showing the 3 paths that contribute most; the other 9 are summed at the end." in text
    assert "(the other 9 paths)" in text
    assert text.count("\npath ") == 3


def test_paths_are_counted_without_being_listed(monkeypatch):
    x = Value(1.0, label="x")
    node = x
    for _ in range(200):  # each x + x doubles the paths: 2**200 of them
        node = node + node
    node.label = "y"

    def never(*args):
        raise AssertionError("all 2**200 paths were about to be listed")

    edges_made = []

    class CountedEdge(explain_module.PathEdge):
        def __init__(self, *args):
            edges_made.append(args)
            super().__init__(*args)

    monkeypatch.setattr(explain_module, "_all_paths", never)
    monkeypatch.setattr(explain_module, "PathEdge", CountedEdge)
    text = explain(node, x, max_paths=5)
    # One edge per use of an input (400 in the graph), not one per path.
    assert 0 < len(edges_made) <= 400
    assert f"{2 ** 200:,} paths lead from y to x" in text
    assert chain_rule(node, x, max_paths=5).path_count == 2 ** 200


def test_special_cases():
    y = neuron()
    assert explain(y, y) == (
        "∂y/∂y = 1: the loss's derivative with respect to itself, the initial gradient of backward."
    )
    stranger = Value(1.0, label="s")
    assert "does not depend on s" in explain(y, stranger)
    fresh_x = Value(2.0, label="x")
    fresh = fresh_x * 3.0
    fresh.label = "f"
    assert "holds 0 until backward() is called" in explain(fresh, fresh_x)
    with pytest.raises(ValueError, match="max_paths must be an int >= 1, got 0"):
        explain(y, y, max_paths=0)
    with pytest.raises(TypeError, match="max_paths must be an int, got float"):
        explain(y, y, max_paths=2.0)
    with pytest.raises(TypeError, match="wrt must be Value, got float"):
        explain(y, 1.0)
    with pytest.raises(TypeError, match="loss must be Value or Snapshot, got float"):
        chain_rule(1.0, y)


def test_explaining_from_a_snapshot_reads_its_steps():
    loss = scoped_mlp((2, 3, 1))
    loss.backward()
    snapshot = Snapshot(loss)
    weight = by_label(loss)["L1.N3.w2"]
    assert explain(snapshot, weight) == explain(loss, weight)
    rule = chain_rule(snapshot, weight)
    assert rule.loss is loss and rule.gradient == weight.grad


def test_unlabelled_nodes_get_readable_names():
    a, b = Value(2.0), Value(5.0)
    c = (a * b).exp()
    c.backward()
    text = explain(c, a)
    assert "path 1: exp(v0·v1) ← v0·v1 ← v0" in text  # formulas, and unlabelled leaves as v<k>
    assert "#" not in text


@pytest.mark.parametrize("label", ["a+b", "-x", "x y"])
def test_a_compound_name_is_bracketed_before_grad(label):
    x = Value(2.0, label="x")
    s = x * 3.0
    s.label = label
    y = s * x
    y.label = "y"
    y.backward()
    text = explain(y, s)
    assert f"which is ({label}).grad = 2, as backward() computed it." in text
    assert f"∂y/∂({label}) = 2" in text


def test_explaining_a_chain_twice_as_long_reads_its_nodes_about_twice_as_often(monkeypatch):
    """Linear work, counted rather than timed: how often explain reads a node's inputs."""
    reads = [0]
    inputs = Value.inputs

    def counted(node):
        reads[0] += 1
        return inputs.fget(node)

    def work(length: int) -> int:
        x = Value(1.0, label="x")
        node = x
        for _ in range(length):
            node = node * 1.0 + 0.0
        node.label = "L"
        node.backward()
        reads[0] = 0
        monkeypatch.setattr(Value, "inputs", property(counted))
        explain(node, x)
        monkeypatch.undo()
        return reads[0]

    short, long = work(2_000), work(4_000)
    assert 1.8 < long / short < 2.2, (short, long)


def test_a_100k_op_chain_is_explained_with_bounded_text():
    # A subprocess with a generous timeout, only so that a hang fails: the work is counted above.
    script = (
        "from autograd import Value, explain\n"
        "x = Value(1.0, label='x')\n"
        "node = x\n"
        "for _ in range(100_000):\n"
        "    node = node * 1.0 + 0.0\n"
        "node.label = 'L'\n"
        "node.backward()\n"
        "text = explain(node, x)\n"
        "print(len(text))\n"
        "print(text)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=900, check=True)
    size, text = done.stdout.split("\n", 1)
    assert int(size) < 10_000  # not 4.4 MB: the middle of the path is counted, not written
    assert "… (199,988 more nodes) …" in text and "… (199,988 more factors) …" in text
    assert "∂L/∂x = 1" in text and "which is x.grad = 1, as backward() computed it." in text
