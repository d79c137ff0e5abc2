"""The Stepper driven from Python: frames, texts, follow, the update (the browser side: test_stepper_browser)."""

import json
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from autograd import BackwardStep, Stepper, Value, topological_order
from graphs import neuron, scoped_mlp
from autograd.viz.snapshot import Snapshot
from autograd.viz.steps import replay
from autograd.viz.text import factor, number

SVG = "{http://www.w3.org/2000/svg}"


def classes_by_id(svg: str) -> dict[str, set[str]]:
    root = ET.fromstring(svg)
    return {g.get("id"): set((g.get("class") or "").split()) for g in root.iter(f"{SVG}g") if g.get("id")}


def shown_texts(stepper: Stepper, svg: str, role: str) -> dict[str, str]:
    """Element id -> the text of its ``role`` (data, grad) row, found where the document says it is."""
    root = ET.fromstring(svg)
    groups = {group.get("id"): group for group in root.iter(f"{SVG}g") if group.get("id")}
    found = {}
    for element in stepper.document["elements"]:
        group = groups.get(element["id"])
        for text in element["texts"]:
            if text["role"] == role and group is not None:
                texts = list(group.iter(f"{SVG}text"))
                found[element["id"]] = "".join(texts[-text["fromEnd"]].itertext())
    return found


def grad_texts(stepper: Stepper, svg: str) -> dict[str, str]:
    return shown_texts(stepper, svg, "grad")


def data_texts(stepper: Stepper, svg: str) -> dict[str, str]:
    return shown_texts(stepper, svg, "data")


@pytest.mark.widgets
def test_the_widget_steps_from_python_and_its_frame_follows():
    y = neuron()
    stepper = Stepper(y, forward=False)
    stepper.widget  # the document is made and synced
    assert stepper.index == stepper.frame == 0 and len(stepper) == 3
    assert "Step 1 of 3: y = tanh(n)" in stepper.frame_text()
    first_figure = stepper.frame_svg()
    stepper.next()
    assert stepper.index == stepper.frame == 1
    assert stepper.frame_svg() != first_figure
    assert "Step 2 of 3: n = x·w + b" in stepper.frame_text()
    assert stepper.frame_title() == "Backward 2 of 3: n"
    stepper.go(2)
    assert stepper.index == stepper.frame == 2
    assert "Step 3 of 3: x·w = x * w = 2 * (-3) = -6" in stepper.frame_text()
    stepper.next()  # past the end: stays
    assert stepper.index == stepper.frame == 2
    stepper.prev()
    assert stepper.index == stepper.frame == 1
    assert json.loads(stepper.document_text)["count"] == 3


def test_frames_highlight_the_current_node_and_show_grads_as_they_stand():
    y = neuron()
    ids = {node.label or "mul": f"n{i}" for i, node in enumerate(topological_order(y))}
    stepper = Stepper(y, forward=False)
    frame = classes_by_id(stepper.frame_svg(0))
    assert "tg-current" in frame[ids["y"]] and "tg-current" in frame[ids["y"] + "_op"]
    assert "tg-receiving" in frame[ids["n"]]
    assert "tg-pending" in frame[ids["x"]] and "tg-pending" in frame[ids["w"]]
    grads = grad_texts(stepper, stepper.frame_svg(0))
    assert grads[ids["x"]] == "grad ?" and grads[ids["n"]] == "grad 0.501"  # not computed yet; final

    stepper.next()
    stepper.next()
    last = stepper.frame_svg()
    frame = classes_by_id(last)
    assert "tg-current" in frame[ids["mul"]] and "tg-current" not in frame[ids["y"]]
    assert "tg-done" in frame[ids["y"]]
    assert {"tg-done", "tg-receiving"} <= frame[ids["x"]]
    grads = grad_texts(stepper, last)
    assert grads[ids["x"]] == "grad -1.503" and grads[ids["w"]] == "grad 1.002"
    assert stepper.frame_text() == stepper.steps[2].text(total=3)


def test_partial_state_while_a_reused_value_accumulates():
    a = Value(3.0, label="a")
    b = a * 2.0
    c = b + a
    stepper = Stepper(c, forward=False)
    frame = classes_by_id(stepper.frame_svg(0))
    assert "tg-partial" in frame["n0"]  # a received from c; b's use is still to come
    assert grad_texts(stepper, stepper.frame_svg(0))["n0"] == "grad 1 (partial)"
    assert "a.grad 0 + 1 = 1  (partial: 1 more use to come)" in stepper.frame_text(0)
    assert "a.grad 1 + 2 = 3  (final)" in stepper.frame_text(1)
    assert "tg-done" in classes_by_id(stepper.frame_svg(1))["n0"]
    assert grad_texts(stepper, stepper.frame_svg(1))["n0"] == "grad 3"


@pytest.mark.widgets
def test_the_stepper_leaves_the_graph_alone():
    y = neuron()
    before = [node.grad for node in topological_order(y)]
    stepper = Stepper(y)
    stepper.widget
    stepper.go(2)
    assert [node.grad for node in topological_order(y)] == before


def test_a_big_stepper_opens_at_once_and_lays_out_only_the_frames_shown(monkeypatch):
    from autograd.viz import document as document_module

    loss = scoped_mlp((2, 16, 16, 1), samples=2)
    calls = []
    real_render = document_module.render_svg

    def counting_render(graph, *args, **kwargs):
        calls.append(len(graph.body))
        return real_render(graph, *args, **kwargs)

    monkeypatch.setattr(document_module, "render_svg", counting_render)
    texts = []
    real_text = BackwardStep.text

    def counting_text(self, *args, **kwargs):
        texts.append(self.index)
        return real_text(self, *args, **kwargs)

    monkeypatch.setattr(BackwardStep, "text", counting_text)
    stepper = Stepper(loss, forward=False, view="local")
    assert calls == [] and texts == []  # nothing is drawn or written before it is shown
    assert len(stepper) > 1000
    svg = stepper.frame_svg(699)
    assert len(calls) == 1 and calls[0] < 200  # one small neighbourhood, not the whole graph
    frame = classes_by_id(svg)
    node = stepper.steps[699].node
    node_id = stepper.snapshot.ids[id(node)]
    assert "tg-current" in frame[node_id]
    for node_input in node.inputs:
        assert "tg-receiving" in frame[stepper.snapshot.ids[id(node_input)]]
    stepper.frame_svg(0)
    stepper.frame_svg(699)  # both frames are cached: no new layout
    assert len(calls) == 2
    assert stepper.frame_text(699) == stepper.steps[699].text(stepper.snapshot.names, len(stepper.steps))


@pytest.mark.widgets
def test_leaf_loss_and_bad_arguments():
    stepper = Stepper(Value(2.0, label="v"))
    assert len(stepper) == 0
    stepper.widget
    assert stepper.frame_text() == "v is a leaf: backward has no steps; its grad is the initial gradient, 1."
    ET.fromstring(stepper.frame_svg())
    with pytest.raises(ValueError, match="view must be one of auto, graph, local; got 'everything'"):
        Stepper(neuron(), view="everything")
    with pytest.raises(TypeError, match="view must be a str"):
        Stepper(neuron(), view=1)
    with pytest.raises(TypeError, match="Stepper sets highlight itself"):
        Stepper(neuron(), highlight=())
    with pytest.raises(TypeError, match="loss must be Value or Snapshot, got float"):
        Stepper(1.0)
    assert "Stepper(3 forward and 3 backward steps" in repr(Stepper(neuron()))


def test_without_anywidget_the_widget_names_the_extra_to_install():
    # The widget's base class is chosen when the module is imported: a fresh interpreter without anywidget.
    program = """
import sys
sys.modules["anywidget"] = None  # import anywidget now fails
from autograd import Stepper
from graphs import neuron
stepper = Stepper(neuron())
assert "Forward 1 of 3" in stepper.frame_text() and stepper.frame_svg().startswith("<svg")  # no widget needed
try:
    stepper.widget
except ImportError as error:
    assert "pip install tracegrad[notebook]" in str(error), error
else:
    raise AssertionError("no ImportError")
shown = stepper._repr_mimebundle_()  # text naming the extra, and the page's stepper that needs no kernel
assert set(shown) == {"text/plain", "text/html"}, set(shown)
assert "pip install tracegrad[notebook]" in shown["text/plain"] and "Forward 1 of 3" in shown["text/plain"]
assert 'class="tg-stepper"' in shown["text/html"]
print("ok")
"""
    tests = str(Path(__file__).resolve().parent)  # where graphs.py is
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120,
                            env={**os.environ, "PYTHONPATH": tests})
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr


def test_a_stepper_over_a_snapshot_shows_the_same_frames():
    loss = scoped_mlp((2, 2, 1))
    snapshot = Snapshot(loss)
    by_value, by_snapshot = Stepper(loss), Stepper(snapshot)
    assert by_snapshot.snapshot is snapshot and by_snapshot.loss is loss
    for index in (0, 4, len(by_value) - 1):
        assert by_snapshot.frame_svg(index) == by_value.frame_svg(index)
        assert by_snapshot.frame_text(index) == by_value.frame_text(index)


def test_collapsed_neurons_light_up_as_their_steps_run():
    loss = scoped_mlp((2, 3, 1))
    stepper = Stepper(loss, view="graph", collapse="neurons", forward=False)
    document = stepper.document
    boxes = {element["id"] for element in document["elements"] if element["kind"] == "group"}
    assert len(boxes) == 4
    lit = set()
    for index, frame in enumerate(document["frames"]):
        inside = [element for element in frame["current"] if element in boxes]
        for element in inside:
            assert "tg-current" in classes_by_id(stepper.frame_svg(index))[element]
        lit.update(inside)
    assert lit == boxes  # every neuron box is current at some step
    assert "(the initial gradient of backward)" in stepper.frame_text(0)


def test_a_constant_is_a_number_no_step_takes_a_derivative_by_and_no_frame_outlines():
    x = Value(2.0, label="x")
    total = x * 3.0
    mean = total / 1.0
    mean.label = "mean"
    stepper = Stepper(mean, forward=False)
    steps = stepper.steps
    assert steps[0].text().splitlines()[0] == "Step 1: mean = x·3 / 1 = 6 / 1 = 6"
    for text in (stepper.frame_text(0), stepper.frame_text(1)):
        assert "∂mean/∂1" not in text and "∂(x·3)/∂3" not in text  # no derivative by a constant
        assert "1.grad" not in text and "3.grad" not in text
    assert "x.grad 0 + 3 = 3  (final)" in stepper.frame_text(1)  # a variable still shows its accumulation
    # The data is unchanged: the constant's contribution is recorded and replays as backward.
    one, three = mean.inputs[1], total.inputs[1]
    assert one.is_constant and three.is_constant
    assert steps[0].contributions[1].input is one and steps[0].contributions[1].grad_after == -6.0
    mean.backward()
    assert replay(steps)[id(one)] == one.grad == -6.0
    ids = stepper.snapshot.ids
    first = classes_by_id(stepper.frame_svg(0))
    assert "tg-receiving" in first[ids[id(total)]]
    assert "tg-receiving" not in first[ids[id(one)]]  # the 1 of "/ 1" is drawn, but plain
    second = classes_by_id(stepper.frame_svg(1))
    assert "tg-receiving" in second[ids[id(x)]] and "tg-receiving" not in second[ids[id(three)]]
    frames = stepper.document["frames"]
    assert [frame["receiving"] for frame in frames] == [[ids[id(total)]], [ids[id(x)]]]  # the HTML page too


def test_forward_frames_come_first_then_backward_takes_over():
    y = neuron()
    ids = {node.label or "mul": f"n{i}" for i, node in enumerate(topological_order(y))}
    stepper = Stepper(y)
    assert len(stepper) == 6 and stepper.timeline.backward_start == 3
    first = stepper.frame_svg(0)
    states = classes_by_id(first)
    assert "tg-current" in states[ids["mul"]] and {"tg-reading"} <= states[ids["x"]]  # forward reads x
    assert "tg-pending" in states[ids["n"]] and "tg-pending" in states[ids["y"]]
    assert data_texts(stepper, first)[ids["n"]] == "data ?" and data_texts(stepper, first)[ids["x"]] == "data 2"
    assert set(grad_texts(stepper, first).values()) == {"grad ?"}  # no gradient exists during forward
    assert stepper.frame_text(0).startswith("Forward 1 of 3: x·w = x * w = 2 * (-3) = -6")
    assert "Forward is done: y = 0.7064. Next, backward." in stepper.frame_text(2)
    assert data_texts(stepper, stepper.frame_svg(2))[ids["y"]] == "data 0.7064"
    assert stepper.frame_text(3) == stepper.steps[0].text(stepper.snapshot.names, 3)
    assert grad_texts(stepper, stepper.frame_svg(3))[ids["y"]] == "grad 1"
    assert stepper.frame_title(4) == "Backward 2 of 3: n"


def test_follow_jumps_between_the_contributions_and_they_sum_to_the_gradient():
    loss = scoped_mlp((2, 3, 1), samples=4)
    bias = next(node for node in topological_order(loss) if node.label == "L2.N1.b")
    stepper = Stepper(loss, follow=bias)
    frames = stepper.follow_frames
    assert len(frames) == 4  # one use of the output bias per sample
    visited = []
    while True:
        before = stepper.index
        stepper.next_followed()
        if stepper.index == before:
            break
        visited.append(stepper.index)
    assert visited == frames
    added = []
    for frame in frames:
        step = stepper.steps[frame - stepper.timeline.backward_start]
        added += [c.product for c in step.contributions if c.input is bias]
    assert len(added) == 4
    loss.backward()
    assert sum(added) == pytest.approx(bias.grad, rel=1e-12)  # the followed contributions are the gradient
    last = stepper.frame_text(frames[-1]).splitlines()[-1]
    assert last.startswith("Following L2.N1.b: this step adds the last of its 4 contributions")
    assert last.endswith(f"the total L2.N1.b.grad = ∂loss/∂L2.N1.b = {number(bias.grad)}.")
    assert "contribution 2 of 4" in stepper.frame_text(frames[1])
    stepper.prev_followed()
    assert stepper.index == frames[-2]
    with pytest.raises(TypeError, match="follow must be Value"):
        Stepper(loss, follow="b")
    with pytest.raises(ValueError, match="not in the loss's graph"):
        Stepper(loss, follow=Value(1.0))


def test_the_update_frame_is_one_sgd_step_and_leaves_the_graph_alone():
    loss = scoped_mlp((2, 3, 1), samples=2)
    before = {id(node): (node.data, node.grad) for node in topological_order(loss)}
    stepper = Stepper(loss, lr=0.1)
    update = stepper.timeline.update
    assert stepper.frame_title(len(stepper) - 1) == "The update: p ← p − lr·grad"
    assert {id(node): (node.data, node.grad) for node in topological_order(loss)} == before
    parameters = [node for node in topological_order(loss) if node.label.startswith("L")]
    assert [p.label for p in update.parameters] == [p.label for p in parameters]  # not the inputs x1.1 ...
    loss.backward()
    for parameter, grad, new in zip(update.parameters, update.grads, update.new_values):
        assert grad == parameter.grad and new == parameter.data - 0.1 * parameter.grad
    # The loss after the update: the same graph built again with the updated parameters.
    assert update.loss_after == pytest.approx(evaluate_afresh(loss, dict(zip(map(id, parameters), update.new_values))))
    x, w, b = Value(2.0, label="x"), Value(-1.5, label="w"), Value(0.25, label="b")
    small = (w * x + b - 1.0) ** 2
    small_update = Stepper(small, lr=0.1).timeline.update
    assert [p.label for p in small_update.parameters] == ["w", "x", "b"]  # labelled leaves, no scopes
    small.backward()
    new = {p.label: p.data - 0.1 * p.grad for p in (x, w, b)}
    assert small_update.new_values == (new["w"], new["x"], new["b"])
    assert small_update.loss_after == (new["w"] * new["x"] + new["b"] - 1.0) ** 2  # by hand, with floats
    text = stepper.frame_text(len(stepper) - 1)
    first = update.parameters[0]
    assert (f"  {first.label} ← {number(first.data)} − 0.1 × {factor(first.grad)} = "
            f"{number(first.data - 0.1 * first.grad)}") in text
    assert f"after: {number(update.loss_after)}" in text
    assert data_texts(stepper, stepper.frame_svg(len(stepper) - 1))[stepper.snapshot.ids[id(loss)]] == (
        f"data {number(update.loss_after)}")
    chosen = Stepper(loss, lr=0.5, params=[first]).timeline.update
    assert chosen.parameters == (first,) and chosen.new_values == (first.data - 0.5 * first.grad,)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got 0.0"):
        Stepper(loss, lr=0.0)


def evaluate_afresh(loss: Value, leaves: dict[int, float]) -> float:
    """The loss's value computed afresh with some leaves replaced (an independent forward pass)."""
    values = {}
    for node in topological_order(loss):
        if node.is_leaf:
            values[id(node)] = leaves.get(id(node), node.data)
        else:
            values[id(node)] = node.op.compute(*(values[id(x)] for x in node.inputs))[0]
    return values[id(loss)]


def test_following_the_ice_cream_output_bias_through_its_ten_rows():
    from nn.data import icecream
    from nn.losses import mse_loss
    from nn.models import icecream_network

    X, y = icecream()
    model = icecream_network(output_bias=0.0)
    loss = mse_loss(model.forward_batch(X), y)
    bias = dict(model.named_parameters())["L2.N1.b"]
    stepper = Stepper(loss, follow=bias, lr=0.1, params=[bias])
    start = stepper.timeline.backward_start
    contributions = [c.product for frame in stepper.follow_frames
                     for c in stepper.steps[frame - start].contributions if c.input is bias]
    assert len(contributions) == 10  # one per row of the article's table
    assert math.isclose(stepper.timeline.follow_sums[-1], sum(contributions), rel_tol=1e-12)
    loss.backward()
    assert stepper.timeline.follow_sums[-1] == bias.grad
    update = stepper.timeline.update
    assert update.parameters == (bias,) and update.new_values == (0.0 - 0.1 * bias.grad,)
    rows = {row for frame in stepper.follow_frames for row in re.findall(r"\[row (\d+)\]", stepper.frame_text(frame))}
    assert rows == {str(k) for k in range(1, 11)}
    assert "#" not in "".join(stepper.frame_text(index) for index in range(len(stepper)))


@pytest.mark.widgets
def test_the_follow_jumps_move_the_widget_between_the_contributions():
    loss = scoped_mlp((2, 2, 1), samples=3)
    bias = next(node for node in topological_order(loss) if node.label == "L2.N1.b")
    stepper = Stepper(loss, follow=bias)
    stepper.widget
    for frame in stepper.follow_frames:
        stepper.next_followed()
        assert stepper.index == stepper.frame == frame
        assert "Following L2.N1.b: this step adds" in stepper.frame_text()
    stepper.prev_followed()
    assert stepper.index == stepper.frame == stepper.follow_frames[-2]
    assert stepper.document["follow"]["frames"] == stepper.follow_frames  # the browser's [ ] jump to the same
