"""Snapshot: one walk of a graph, shared by every view; each picture walks the graph once."""

import re

import pytest

import autograd.graph
from autograd import (
    Stepper, Value, backward_steps, chain_rule, draw, explain, export_html, html_page, node_ids,
    topological_order,
)
from autograd.viz.display import mimebundle
from graphs import neuron, scoped_mlp
from autograd.viz.snapshot import Snapshot


@pytest.fixture
def walks(monkeypatch):
    """The roots that ``autograd.graph.topological_order`` walks from, in order, while the test runs."""
    walked: list[Value] = []
    real = autograd.graph.topological_order

    def counting(root):
        walked.append(root)
        return real(root)

    monkeypatch.setattr(autograd.graph, "topological_order", counting)
    return walked


def by_label(root):
    return {node.label: node for node in topological_order(root) if node.label}


# --- what a snapshot holds ---

def test_a_snapshot_holds_the_order_ids_and_names_of_its_graph():
    y = neuron()
    snapshot = Snapshot(y)
    assert snapshot.root is y and len(snapshot) == 6
    assert snapshot.order == topological_order(y)
    assert snapshot.ids == node_ids(y)  # the engine's ids, the same on every run
    named = by_label(y)
    assert snapshot.ids[id(named["x"])] == "n0" and snapshot.ids[id(y)] == "n5"
    product = named["n"].inputs[0]
    assert [snapshot.names(node) for node in (named["w"], product, y)] == ["w", "x·w", "y"]
    assert snapshot.names is snapshot.names and snapshot.names(product) == "x·w"
    assert repr(snapshot) == "Snapshot(6 nodes, root 'y')"


def test_consumers_list_every_use_in_order():
    a = Value(3.0, label="a")
    square = a * a
    total = square + a
    consumers = Snapshot(total).consumers
    assert consumers[id(a)] == [square, square, total]  # a * a uses a twice
    assert consumers[id(square)] == [total]
    assert id(total) not in consumers


def test_steps_are_computed_once_on_first_use(monkeypatch):
    import autograd.viz.steps as steps_module

    calls = []
    real = steps_module.numbers_only_steps

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(steps_module, "numbers_only_steps", counting)
    snapshot = Snapshot(neuron())
    assert calls == []
    steps = snapshot.steps
    assert snapshot.steps is steps and len(calls) == 1
    assert [step.node for step in steps] == [step.node for step in steps_module.backward_steps(snapshot.root)]


def test_the_steps_are_those_of_a_fresh_pass_whatever_the_grads():
    loss = scoped_mlp((2, 3, 1))
    fresh = Snapshot(loss).steps
    loss.backward()
    loss.backward()  # leaves now hold twice their gradient
    again = Snapshot(loss).steps
    assert [(s.upstream, [c.grad_after for c in s.contributions]) for s in fresh] == \
           [(s.upstream, [c.grad_after for c in s.contributions]) for s in again]


def test_snapshot_of_returns_a_snapshot_as_is_and_refuses_anything_else():
    snapshot = Snapshot(neuron())
    assert Snapshot.of(snapshot) is snapshot
    assert Snapshot.of(snapshot.root).order == snapshot.order
    with pytest.raises(TypeError, match="root must be Value, got float"):
        Snapshot(1.0)
    with pytest.raises(TypeError, match="loss must be Value or Snapshot, got str"):
        Snapshot.of("y", "loss")
    for view in (draw, backward_steps, html_page, Stepper):
        with pytest.raises(TypeError, match="Value or Snapshot"):
            view([neuron()])


# --- one walk per picture ---

def test_exporting_a_page_walks_the_graph_once(walks, tmp_path):
    loss = scoped_mlp((2, 3, 1))
    page = html_page(loss, collapse="neurons")
    assert walks == [loss]
    walks.clear()
    export_html(loss, tmp_path / "page.html", collapse="neurons")
    assert walks == [loss]
    assert (tmp_path / "page.html").read_text(encoding="utf-8") == page


def test_each_view_walks_the_graph_once(walks):
    loss = scoped_mlp((2, 3, 1))
    loss.backward()
    weight = by_label(loss)["L1.N1.w1"]
    views = {
        "draw": lambda: draw(loss, check_grads=True, collapse="L1.N2", edge_labels="rules"),
        "backward_steps": lambda: backward_steps(loss),
        "explain": lambda: explain(loss, weight),
        "chain_rule": lambda: chain_rule(loss, weight),
        "mimebundle": lambda: mimebundle(loss),
    }
    for name, view in views.items():
        walks.clear()
        view()
        assert walks == [loss], name


@pytest.mark.parametrize("view", ["graph", "local"])
def test_a_stepper_walks_the_graph_once_for_all_its_frames(walks, view):
    loss = scoped_mlp((2, 3, 1))
    stepper = Stepper(loss, view=view)
    for index in (0, 5, 11, len(stepper) - 1):
        stepper.frame_svg(index)
        stepper.frame_text(index)
    assert walks == [loss]


def test_views_given_a_snapshot_do_not_walk_again_and_draw_the_same(walks, tmp_path):
    loss = scoped_mlp((2, 3, 1))
    loss.backward()
    weight = by_label(loss)["L1.N2.w2"]
    expected = {
        "dot": draw(loss, collapse="layers").source,
        "page": html_page(loss, title="a page"),
        "explain": explain(loss, weight, max_paths=2),
        "frame": Stepper(loss, view="local").frame_svg(3),
    }
    snapshot = Snapshot(loss)
    walks.clear()
    assert draw(snapshot, collapse="layers").source == expected["dot"]
    assert html_page(snapshot, title="a page") == expected["page"]
    assert explain(snapshot, weight, max_paths=2) == expected["explain"]
    assert Stepper(snapshot, view="local").frame_svg(3) == expected["frame"]
    assert [step.node for step in backward_steps(snapshot)] == [step.node for step in snapshot.steps]
    assert walks == []


def test_the_engine_ids_and_the_views_ids_agree():
    loss = scoped_mlp((2, 2, 1), samples=2)
    assert node_ids(loss) == Snapshot(loss).ids


# --- names a student recognises ---

def test_an_unlabelled_node_is_named_by_its_formula_never_op_and_number():
    x1, w1, x2, w2, b = (Value(v, label=name) for v, name in
                         ((2.0, "x1"), (3.0, "w1"), (1.0, "x2"), (-1.0, "w2"), (0.5, "b")))
    z = w1 * x1 + w2 * x2 + b
    a = z.relu()
    e = a - 3.0
    loss = e ** 2 / 2.0
    names = Snapshot(loss).names
    assert names(w1 * x1) != names(z)
    assert [names(node) for node in (z.inputs[0].inputs[0], z.inputs[0], z, a, e)] == [
        "w1·x1", "w1·x1 + w2·x2", "w1·x1 + w2·x2 + b", "relu(w1·x1 + w2·x2 + b)", "relu(w1·x1 + w2·x2 + b) - 3"]
    assert names(loss) == "(relu(w1·x1 + w2·x2 + b) - 3)²/2"  # a square as the articles write it
    longer = (loss * 4.0).exp()
    assert Snapshot(longer).names(longer) == "exp(…·4)"  # a long formula shows its long inputs as …
    z.label = "z"  # a label always wins, and the formulas above it use it
    names = Snapshot(loss).names
    assert [names(node) for node in (z, a, e, loss)] == ["z", "relu(z)", "relu(z) - 3", "(relu(z) - 3)²/2"]
    assert names(Value(1.0) * 2.0).startswith("v")  # an unlabelled variable leaf is v<k>


def test_a_node_built_for_a_row_shows_it_and_a_constant_stays_a_number():
    from autograd.modes import row

    w = Value(1.5, label="w")
    with row(3):
        x = Value(2.0, label="x")
        z = x * w + 1.0
    names = Snapshot(z).names
    assert names(x) == "x [row 3]" and names(w) == "w"
    assert names(z) == "x·w + 1 [row 3]"  # the row once, not once per input
    assert names(z.inputs[1]) == "1"
    assert backward_steps(z)[0].text().splitlines()[0] == "Step 1: x·w + 1 [row 3] = 3 + 1 = 4"


def test_a_long_chain_is_named_without_recursion_and_with_bounded_names():
    x = Value(0.5, label="x")
    node = x
    for _ in range(50_000):
        node = node * 1.0 + 0.0
    names = Snapshot(node).names
    assert len(names(node)) <= 40 and "#" not in names(node)


def test_no_fallback_name_in_the_drawing_of_nn_networks_and_data_sets():
    import nn
    from nn.data import icecream
    from nn.models import icecream_network

    X, y = icecream()
    model = icecream_network(output_bias=0.0)
    losses = [nn.losses.mse_loss([model(x) for x in X], y)]
    mlp = nn.MLP(2, [3, 2], seed=1)
    losses.append(nn.losses.cross_entropy([mlp(x) for x in X[:3]], [0, 1, 0]))
    scorer = nn.MLP(2, [2, 1], seed=2)
    losses.append(nn.losses.hinge_loss([scorer(x) for x in X[:2]], [1, -1]))
    for loss in losses:
        snapshot = Snapshot(loss)
        names = [snapshot.names(node) for node in snapshot.order]
        assert not any(re.search(r"[a-z_]+#\d+", name) for name in names), names
        texts = " ".join(backward_steps(snapshot)[index].text(snapshot.names) for index in range(3))
        assert not re.search(r"[a-z_]+#\d+", texts)
        svg = draw(snapshot, collapse=(), hide_constants=True).pipe(format="svg", encoding="utf-8")
        assert not re.search(r"[a-z_]+#\d+", svg)


def test_the_second_accessors_of_ids_and_names_are_deprecated_and_say_the_same():
    y = neuron()
    snapshot = Snapshot(y)
    with pytest.warns(DeprecationWarning, match=r"snapshot\.ids\[id\(node\)\]"):
        assert snapshot.id_of(y) == snapshot.ids[id(y)] == f"n{len(snapshot) - 1}"
    with pytest.warns(DeprecationWarning, match=r"snapshot\.names\(node\)"):
        assert snapshot.name(y) == snapshot.names(y) == "y"
