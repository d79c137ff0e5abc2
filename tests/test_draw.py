"""Drawing graphs: escaping, determinism, edges per use, constants, checks, clusters and collapsing."""

import os
import pathlib
import re
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, draw, scope, topological_order
from autograd.viz.draw import build_scene
from graphs import neuron, scoped_mlp
from autograd.viz.palette import HIGHLIGHT
from autograd.viz.snapshot import Snapshot
from autograd.viz.explain import explain
from autograd.viz.steps import backward_steps
from autograd.viz.text import number, printable

SVG = "{http://www.w3.org/2000/svg}"


def svg_of(graph) -> str:
    return graph.pipe(format="svg", encoding="utf-8")


def svg_texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # raises if the SVG is not well-formed XML
    return ["".join(text.itertext()) for text in root.iter(f"{SVG}text")]


def svg_groups(svg: str, kind: str) -> list[ET.Element]:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if kind in (g.get("class") or "").split()]


HOSTILE = [
    'a|b{c}<d>"e"\\f&g',
    "权重",
    "偏置 b\n第二行",
    "\\N\\G\\E\\T\\H\\L\\l\\n",
    "]]> <!-- --> &amp; &#92;",
    "{|}<>\"'",
    "tab\there",
]


def hostile_graph(labels):
    values = [Value(float(index + 1), label=label) for index, label in enumerate(labels)]
    total = values[0]
    for value in values[1:]:
        total = total * value + 1.0
    total.label = labels[-1]
    total.backward()
    return total


def test_hostile_labels_give_valid_svg_showing_each_label():
    graph = draw(hostile_graph(HOSTILE), edge_labels="rules", check_grads=True)
    texts = svg_texts(svg_of(graph))
    for label in HOSTILE:
        for line in printable(label).split("\n"):
            assert line in texts, (line, texts)


def test_cjk_label_is_drawn_with_a_cjk_font():
    svg = svg_of(draw(hostile_graph(["权重", "偏置"])))
    root = ET.fromstring(svg)
    fonts = {text.get("font-family") for text in root.iter(f"{SVG}text") if "权重" in "".join(text.itertext())}
    assert fonts == {"Noto Sans CJK SC"}


def test_control_characters_and_lone_surrogates_still_give_valid_svg():
    label = "x\x00\x01\x1by\ud800z\ufffe"
    texts = svg_texts(svg_of(draw(hostile_graph([label, "ok"]))))
    assert printable(label) in texts
    assert "\\x00" in printable(label)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Zs")) | st.sampled_from('|{}<>"\\& \n权重'),
                        min_size=1, max_size=12), min_size=1, max_size=3))
def test_any_label_shows_as_given(labels):
    texts = svg_texts(svg_of(draw(hostile_graph(labels))))
    joined = "\n".join(" ".join(text.split()) for text in texts)
    for label in labels:
        for line in printable(label).split("\n"):
            if line.strip():
                assert " ".join(line.split()) in joined, (line, texts)


def build_twice(builder):
    first = builder()
    second = builder()
    return first, second


@pytest.mark.parametrize("options", [{}, {"edge_labels": "rules", "hide_constants": True},
                                     {"collapse": "neurons"}, {"collapse": ["L1"], "rankdir": "TB"}])
def test_same_program_gives_the_same_dot(options):
    def build():
        loss = scoped_mlp((2, 3, 2, 1))
        backward_steps(loss, apply=True)
        return draw(loss, **options).source

    first, second = build_twice(build)
    assert first == second
    assert "0x" not in first  # no memory addresses leak into ids


def test_dot_is_the_same_across_processes_and_hash_seeds():
    program = textwrap.dedent("""
        from graphs import scoped_mlp
        from autograd import draw
        loss = scoped_mlp((3, 2, 1)); loss.backward()
        print(draw(loss, collapse=["L1.N2", "L2"], edge_labels=True).source)
    """)
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed, PYTHONPATH=str(pathlib.Path(__file__).resolve().parent))  # finds graphs.py
        result = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_node_ids_are_autograd_node_ids():
    y = neuron()
    source = draw(y).source
    for node in topological_order(y):
        node_id = autograd.node_ids(y)[id(node)]
        assert re.search(rf"^\s*{node_id} \[", source, flags=re.M)


def test_value_nodes_show_label_data_and_grad_and_ops_their_symbol():
    y = neuron()
    texts = svg_texts(svg_of(draw(y)))
    for expected in ["x", "data 2", "grad -1.503", "w", "grad 1.002", "tanh", "*", "+", "y", "grad 1"]:
        assert expected in texts
    texts = svg_texts(svg_of(draw(y, show_grads=False)))
    assert not any(text.startswith("grad") for text in texts)


def test_a_value_used_twice_has_two_edges_each_with_its_local_derivative():
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    b.backward()
    svg = svg_of(draw(b, edge_labels=True))
    edges = svg_groups(svg, "edge")
    into_op = [edge for edge in edges if "in" in edge.get("class").split()]
    assert len(into_op) == 2
    labels = ["".join(t.itertext()) for edge in into_op for t in edge.iter(f"{SVG}text")]
    assert labels == ["∂b/∂a = 3", "∂b/∂a = 3"]
    assert "grad 6" in svg_texts(svg)


def test_edge_labels_with_rules_read_the_op_table():
    y = neuron()
    texts = svg_texts(svg_of(draw(y, edge_labels="rules")))
    assert "d tanh(u)/du = 1 − tanh(u)²" in texts
    assert "d(u·v)/dv = u" in texts


def test_hide_constants_folds_numbers_into_the_op():
    x = Value(1.5, label="x")
    y = 2.0 - x * 3.0
    y.label = "y"
    shown = svg_groups(svg_of(draw(y)), "constant")
    assert len(shown) == 2
    svg = svg_of(draw(y, hide_constants=True))
    assert svg_groups(svg, "constant") == []
    texts = svg_texts(svg)
    assert "· * 3" in texts and "2 - ·" in texts


def test_check_grads_marks_right_and_wrong_leaf_gradients():
    y = neuron()
    svg = svg_of(draw(y, check_grads=True))
    assert sum(text.startswith("✓ numeric") for text in svg_texts(svg)) == 3
    w = next(node for node in topological_order(y) if node.label == "w")
    w.grad += 0.5  # as if backward had been run twice on part of the graph
    texts = svg_texts(svg_of(draw(y, check_grads=True)))
    assert sum(text.startswith("✓ numeric") for text in texts) == 2
    assert "✗ numeric 1.002" in texts


def test_highlight_marks_the_given_nodes():
    y = neuron()
    w = next(node for node in topological_order(y) if node.label == "w")
    scene = build_scene(y, highlight=[w])
    body = "\n".join(scene.graph.body)
    line = next(line for line in scene.graph.body if line.strip().startswith(scene.snapshot.ids[id(w)] + " "))
    assert HIGHLIGHT in line
    assert body.count(f'color="{HIGHLIGHT}"') == 1
    assert draw(y, highlight=w).source == scene.graph.source


def test_bad_options_are_rejected_with_a_clear_message():
    y = neuron()
    with pytest.raises(ValueError, match="rankdir must be one of LR, RL, TB, BT; got 'sideways'"):
        draw(y, rankdir="sideways")
    with pytest.raises(ValueError, match="no scope 'L9'"):
        draw(scoped_mlp(), collapse="L9")
    with pytest.raises(TypeError, match="root must be Value or Snapshot, got float"):
        draw(3.0)


@pytest.mark.parametrize("options, error, message", [
    ({"rankdir": 1}, TypeError, "rankdir must be a str"),
    ({"edge_labels": "rule"}, ValueError, "edge_labels must be one of rules; got 'rule'"),
    ({"edge_labels": 1.0}, TypeError, "edge_labels must be a bool or 'rules', got float"),
    ({"show_grads": "yes"}, TypeError, "show_grads must be bool, got str"),
    ({"hide_constants": None}, TypeError, "hide_constants must be bool, got NoneType"),
    ({"check_grads": 1}, TypeError, "check_grads must be bool, got int"),
    ({"group_scopes": 0}, TypeError, "group_scopes must be bool, got int"),
    ({"highlight": [1.0]}, TypeError, "highlight[0] must be Value, got float"),
    ({"collapse": [3]}, TypeError, "collapse takes scope names or path tuples, got 3"),
    ({"collapse": 3}, TypeError, "collapse must be a scope name or a collection of them, got int"),
    ({"highlight": 3}, TypeError, "highlight must be a Value or Values, got int"),
])
def test_a_wrong_type_is_a_type_error_and_a_bad_value_a_value_error(options, error, message):
    with pytest.raises(error, match=re.escape(message)):
        draw(neuron(), **options)


def test_drawing_a_snapshot_draws_the_same_graph():
    loss = scoped_mlp((2, 3, 1))
    backward_steps(loss, apply=True)
    snapshot = Snapshot(loss)
    for options in ({}, {"collapse": "neurons", "edge_labels": "rules"}, {"check_grads": True}):
        assert draw(snapshot, **options).source == draw(loss, **options).source
    scene = build_scene(snapshot)
    assert scene.snapshot is snapshot and scene.snapshot.ids == autograd.node_ids(loss)


def test_without_the_graphviz_package_drawing_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    with pytest.raises(ImportError, match=re.escape("pip install graphviz")):
        draw(neuron())


# --- scopes: clusters and collapsing ---

def cluster_members(source: str) -> dict[str, set[str]]:
    """For each cluster of a DOT text: its label and the node ids declared in it (nested included)."""
    members: dict[str, set[str]] = {}
    stack: list[str] = []
    for line in source.splitlines():
        stripped = line.strip()
        if stripped.startswith("subgraph cluster"):
            stack.append("?")
            continue
        if stripped.startswith("label=<<B>") or " label=<<B>" in stripped and stack and stack[-1] == "?":
            match = re.search(r"label=<<B>(.*?)</B>>", stripped)
            if match and stack and stack[-1] == "?":
                stack[-1] = match.group(1)
                members[stack[-1]] = set()
        if stripped == "}" and stack:
            stack.pop()
            continue
        node = re.match(r"(n\d+(?:_op)?|g\d+) \[", stripped)
        if node:
            for name in stack:
                members[name].add(node.group(1))
    return members


def by_label(root: Value) -> dict[str, Value]:
    return {node.label: node for node in topological_order(root) if node.label}


def test_scopes_become_nested_clusters_and_shared_inputs_stay_outside():
    loss = scoped_mlp((2, 3, 1))
    backward_steps(loss, apply=True)
    scene = build_scene(loss)
    members = cluster_members(scene.graph.source)
    assert set(members) == {"L1", "L1.N1", "L1.N2", "L1.N3", "L2", "L2.N1"}
    named = by_label(loss)
    for neuron_name in ["L1.N1", "L1.N2", "L1.N3", "L2.N1"]:
        for parameter in ["w1", "w2", "b"]:
            assert scene.snapshot.ids[id(named[f"{neuron_name}.{parameter}"])] in members[neuron_name]
        assert members[neuron_name] <= members[neuron_name.split(".")[0]]
    for shared in ["x1", "x2", "loss"]:
        assert not any(scene.snapshot.ids[id(named[shared])] in ids for ids in members.values())
    assert len(svg_groups(svg_of(scene.graph), "cluster")) == 6
    assert "subgraph" not in draw(loss, group_scopes=False).source


def test_collapsing_neurons_gives_one_box_per_neuron():
    loss = scoped_mlp((2, 3, 1))
    backward_steps(loss, apply=True)
    svg = svg_of(draw(loss, collapse="neurons"))
    assert len(svg_groups(svg, "group")) == 4
    # Outside the neurons: x1, x2, the target 1, loss - 1 and the loss; two ops.
    assert len(svg_groups(svg, "value")) + len(svg_groups(svg, "constant")) == 5
    assert len(svg_groups(svg, "op")) == 2
    texts = svg_texts(svg)
    assert "L1.N2" in texts and "2 inputs · 3 parameters · 5 ops" in texts
    # Each L1 neuron feeds L2.N1: three edges into its box, plus x1 and x2 into each L1 box.
    assert len(svg_groups(svg, "edge")) == 2 * 3 + 3 + 1 + 2 + 2


def test_collapsing_layers_and_single_neurons():
    loss = scoped_mlp((2, 3, 1))
    backward_steps(loss, apply=True)
    layers = svg_of(draw(loss, collapse="layers", hide_constants=True))
    assert len(svg_groups(layers, "group")) == 2
    assert "×3" in svg_texts(layers)  # x1 feeds the three neurons of L1: one edge, marked
    one = svg_of(draw(loss, collapse="L1.N2"))
    assert len(svg_groups(one, "group")) == 1
    full = svg_of(draw(loss))
    # The folded neuron's 3 parameters and 5 op results (each value with its op) are gone.
    assert len(svg_groups(full, "node")) - len(svg_groups(one, "node")) == 3 + 5 * 2 - 1
    assert draw(loss, collapse=[("L1", "N2")]).source == draw(loss, collapse=["L1.N2"]).source


def test_collapsed_box_shows_outputs_with_data_and_grad():
    loss = scoped_mlp((2, 3, 1))
    backward_steps(loss, apply=True)
    scene = build_scene(loss, collapse="layers")
    group = next(element for element in scene.elements if element.kind == "group" and len(element.grad_nodes) == 3)
    texts = svg_texts(svg_of(scene.graph))
    for output in group.grad_nodes:
        assert f"out {scene.snapshot.names(output)}" in texts
        assert f"grad {number(output.grad)}" in texts


def test_collapse_with_a_hand_built_scope():
    x = Value(1.0, label="x")
    with scope("block"):
        inner = (x * 2.0).tanh()
    y = inner + x
    y.backward()
    svg = svg_of(draw(y, collapse="block"))
    assert len(svg_groups(svg, "group")) == 1
    assert "block" in svg_texts(svg)


def make_nn_mlp():
    import nn

    model = nn.MLP(2, [3, 1])
    output = model([Value(0.5, label="x1"), Value(-1.5, label="x2")])
    if isinstance(output, (list, tuple)):
        output = output[0]
    loss = (output - 1.0) ** 2
    loss.backward()
    return loss


def test_nn_mlp_draws_one_cluster_per_neuron_and_collapses():
    loss = make_nn_mlp()
    members = cluster_members(draw(loss).source)
    neurons = sorted(name for name in members if re.fullmatch(r"L\d+\.N\d+", name))
    assert neurons == ["L1.N1", "L1.N2", "L1.N3", "L2.N1"]
    # nn makes parameters outside the scopes; each is drawn in the neuron that uses it.
    scene = build_scene(loss)
    named = by_label(loss)
    for neuron_name in neurons:
        for parameter in ["w1", "b"]:
            assert scene.snapshot.ids[id(named[f"{neuron_name}.{parameter}"])] in members[neuron_name]
    for shared in ["x1", "x2"]:
        assert not any(scene.snapshot.ids[id(named[shared])] in ids for ids in members.values())
    collapsed = svg_of(draw(loss, collapse="neurons"))
    assert len(svg_groups(collapsed, "group")) == 4
    texts = svg_texts(collapsed)
    assert texts.count("2 inputs · 3 parameters · 5 ops") == 3  # L1's neurons: w1, w2, b folded in
    assert texts.count("3 inputs · 4 parameters · 6 ops") == 1  # L2.N1, linear
    assert len(svg_groups(svg_of(draw(loss, collapse="layers")), "group")) == 2


@pytest.mark.parametrize("label", ["", " ", "   ", "\t", "\n "])
def test_a_whitespace_label_is_no_label_in_drawings_steps_and_explanations(label):
    x, w = Value(2.0, label="x"), Value(3.0, label="w")
    product = x * w
    product.label = label
    y = product + 1.0
    y.label = "y"
    texts = svg_texts(svg_of(draw(y, edge_labels=True)))
    assert "x·w" in texts  # named by its formula, in its box
    assert "∂y/∂(x·w) = 1" in texts  # and on the edges
    assert "∂(x·w)/∂x = 3" in texts
    step = backward_steps(y)[0].text()
    assert step.splitlines()[0] == "Step 1: y = x·w + 1 = 6 + 1 = 7"
    assert "(x·w).grad 0 + 1 = 1" in step
    y.backward()
    assert "path 1: y ← x·w ← x" in explain(y, x)


def test_a_folded_negative_constant_is_bracketed_in_its_op():
    x = Value(1.5, label="x")
    y = x * -3.0
    y.label = "y"
    assert "· * (-3)" in svg_texts(svg_of(draw(y, hide_constants=True)))


@pytest.mark.parametrize("label", ["]", "[", "[]", "]]>", "a]"])
def test_square_brackets_alone_in_a_label_render(label):
    # Graphviz 2.43 rejects an HTML cell whose whole text is "]" (found by hypothesis).
    texts = svg_texts(svg_of(draw(Value(1.0, label=label) * 2)))
    assert label in texts


def test_deltas_badge_the_nodes_the_caller_names_with_their_gradient():
    x, w, b = Value(2.0, label="x"), Value(-0.5, label="w"), Value(0.25, label="b")
    z = w * x + b
    z.label = "z"
    with scope("L1"), scope("N1"):
        scoped = z * 3.0
    scoped.label = "L1.N1.z"
    loss = (scoped.relu() - 1.0) ** 2
    loss.label = "L"
    loss.backward()
    plain = svg_texts(svg_of(draw(loss)))
    assert not any(text.startswith("δ") for text in plain)  # off by default
    # The views do not guess a weighted sum from its name: the caller lists the nodes.
    texts = svg_texts(svg_of(draw(loss, deltas=[z, scoped])))
    badges = [text for text in texts if text.startswith("δ")]
    assert badges == [f"δ = ∂L/∂z = {number(z.grad)}", f"δ = ∂L/∂L1.N1.z = {number(scoped.grad)}"]
    assert [text for text in svg_texts(svg_of(draw(loss, deltas=z))) if text.startswith("δ")] == badges[:1]
    with pytest.raises(TypeError, match=r"deltas\[0\] must be .*Value"):
        draw(loss, deltas=["z"])
    with pytest.raises(ValueError, match=r"deltas\[0\] .* is not a node of the drawn graph"):
        draw(loss, deltas=[Value(1.0)])
    with pytest.raises(TypeError, match="show_deltas is gone: pass deltas="):
        draw(loss, show_deltas=True)
    with pytest.raises(TypeError, match="unexpected keyword argument 'show_delta'"):
        build_scene(loss, show_delta=True)


def test_collapse_folds_scopes_by_the_kind_their_maker_named_not_by_depth():
    # The views know no networks: a kind is whatever autograd.scope was told.
    x = Value(1.0, label="x")
    total = x
    for block in (1, 2):
        with scope(f"B{block}", "block"):
            for unit in (1, 2):
                with scope(f"U{unit}", "unit"):
                    total = (total * 0.5).tanh()
    total.label = "out"
    units = svg_groups(svg_of(draw(total, collapse="units")), "group")
    blocks = svg_groups(svg_of(draw(total, collapse="block")), "group")
    assert (len(units), len(blocks)) == (4, 2)
    with pytest.raises(ValueError, match=r"no scope 'neurons' in this graph .*kinds: blocks, units"):
        draw(total, collapse="neurons")
    with scope("plain"):
        unnamed = Value(2.0) * 3.0
    with pytest.raises(ValueError, match=r"kinds: none"):
        draw(unnamed, collapse="layers")
    assert len(svg_groups(svg_of(draw(unnamed, collapse="plain")), "group")) == 1
