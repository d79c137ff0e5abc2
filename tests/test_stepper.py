"""The Jupyter Stepper, driven headless through its own controls."""

import re
import sys
import xml.etree.ElementTree as ET

import pytest

from autograd import BackwardStep, Stepper, Value, topological_order
from autograd.viz.examples import neuron, scoped_mlp
from autograd.viz.snapshot import Snapshot

SVG = "{http://www.w3.org/2000/svg}"


def classes_by_id(svg: str) -> dict[str, set[str]]:
    root = ET.fromstring(svg)
    return {g.get("id"): set((g.get("class") or "").split()) for g in root.iter(f"{SVG}g") if g.get("id")}


def grad_texts(svg: str) -> dict[str, str]:
    """Node id -> the text of its gradient cell."""
    root = ET.fromstring(svg)
    found = {}
    for group in root.iter(f"{SVG}g"):
        for text in group.iter(f"{SVG}text"):
            if "tg-grad" in (text.get("class") or ""):
                found[group.get("id")] = "".join(text.itertext())
    return found


@pytest.mark.widgets
def test_the_widget_steps_when_its_controls_are_used():
    y = neuron()
    stepper = Stepper(y)
    stepper.widget  # builds the controls and the first frame
    assert stepper.index == 0 and stepper.slider.value == 1 and stepper.slider.max == 3
    assert stepper.prev_button.disabled and not stepper.next_button.disabled
    first_figure, first_text = stepper.figure.value, stepper.arithmetic.value
    assert "Step 1 of 3: y = tanh(n)" in first_text

    stepper.next_button.click()
    assert stepper.index == 1
    assert stepper.figure.value != first_figure
    assert "Step 2 of 3: n = mul#2 + b" in stepper.arithmetic.value
    assert "step 2 of 3</b>: n" in stepper.counter.value

    stepper.slider.value = 3
    assert stepper.index == 2 and stepper.next_button.disabled
    assert "Step 3 of 3: mul#2 = x * w" in stepper.arithmetic.value
    stepper.next_button.click()  # past the end: stays
    assert stepper.index == 2
    stepper.prev_button.click()
    assert stepper.index == 1 and stepper.slider.value == 2


def test_frames_highlight_the_current_node_and_show_grads_as_they_stand():
    y = neuron()
    ids = {node.label or "mul": f"n{i}" for i, node in enumerate(topological_order(y))}
    stepper = Stepper(y)
    frame = classes_by_id(stepper.frame_svg(0))
    assert "tg-current" in frame[ids["y"]] and "tg-current" in frame[ids["y"] + "_op"]
    assert "tg-receiving" in frame[ids["n"]]
    assert "tg-pending" in frame[ids["x"]] and "tg-pending" in frame[ids["w"]]
    grads = grad_texts(stepper.frame_svg(0))
    assert grads[ids["x"]] == "grad 0" and grads[ids["n"]] == "grad 0.501"

    stepper.next()
    stepper.next()
    last = stepper.frame_svg()
    frame = classes_by_id(last)
    assert "tg-current" in frame[ids["mul"]] and "tg-current" not in frame[ids["y"]]
    assert "tg-done" in frame[ids["y"]]
    assert {"tg-done", "tg-receiving"} <= frame[ids["x"]]
    grads = grad_texts(last)
    assert grads[ids["x"]] == "grad -1.503" and grads[ids["w"]] == "grad 1.002"
    assert stepper.frame_text() == stepper.steps[2].text(total=3)


def test_partial_state_while_a_reused_value_accumulates():
    a = Value(3.0, label="a")
    b = a * 2.0
    c = b + a
    stepper = Stepper(c)
    frame = classes_by_id(stepper.frame_svg(0))
    assert "tg-partial" in frame["n0"]  # a received from c; b's use is still to come
    assert grad_texts(stepper.frame_svg(0))["n0"] == "grad 1"
    assert "tg-done" in classes_by_id(stepper.frame_svg(1))["n0"]
    assert grad_texts(stepper.frame_svg(1))["n0"] == "grad 3"


@pytest.mark.widgets
def test_the_stepper_leaves_the_graph_alone():
    y = neuron()
    before = [node.grad for node in topological_order(y)]
    stepper = Stepper(y)
    stepper.widget
    stepper.go(2)
    assert [node.grad for node in topological_order(y)] == before


@pytest.mark.widgets
def test_a_big_stepper_opens_at_once_and_makes_frames_lazily(monkeypatch):
    import graphviz

    loss = scoped_mlp((2, 16, 16, 1), samples=2)
    calls = []
    real_pipe = graphviz.Digraph.pipe

    def counting_pipe(self, *args, **kwargs):
        calls.append(len(self.body))
        return real_pipe(self, *args, **kwargs)

    monkeypatch.setattr(graphviz.Digraph, "pipe", counting_pipe)
    texts = []
    real_text = BackwardStep.text

    def counting_text(self, *args, **kwargs):
        texts.append(self.index)
        return real_text(self, *args, **kwargs)

    monkeypatch.setattr(BackwardStep, "text", counting_text)
    stepper = Stepper(loss)
    assert calls == [] and texts == []  # nothing is drawn or written before it is shown
    stepper.widget
    assert stepper.view == "local" and len(stepper) > 1000
    assert len(calls) == 1 and calls[0] < 200  # one small frame, not the whole graph
    assert texts == [0]  # the arithmetic of the step shown, not of every step
    stepper.slider.value = 700
    assert len(calls) == 2 and texts == [0, 699]
    frame = classes_by_id(stepper.frame_svg())
    node = stepper.steps[699].node
    node_id = stepper.snapshot.ids[id(node)]
    assert "tg-current" in frame[node_id]
    for node_input in node.inputs:
        assert "tg-receiving" in frame[stepper.snapshot.ids[id(node_input)]]
    stepper.slider.value = 1
    stepper.slider.value = 700  # both frames are cached: no new layout
    assert len(calls) == 2
    assert len(stepper.steps) > 1000 and len(set(texts)) == 2


def test_whole_graph_view_of_a_bigger_graph_is_cropped_around_the_current_node():
    loss = scoped_mlp((2, 8, 1))
    stepper = Stepper(loss, view="graph")
    size = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', stepper.frame_svg(40))
    assert float(size.group(1)) <= 980 and float(size.group(2)) <= 560
    assert 'viewBox="0.00 0.00' not in stepper.frame_svg(40)


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
    assert "Stepper(3 steps" in repr(Stepper(neuron()))


def test_without_ipywidgets_the_widget_names_the_extra_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import ipywidgets now fails
    stepper = Stepper(neuron())
    assert "Step 1 of 3" in stepper.frame_text() and stepper.frame_svg().startswith("<svg")  # no widget needed
    with pytest.raises(ImportError, match=re.escape("pip install tracegrad[notebook]")):
        stepper.widget  # noqa: B018


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
    stepper = Stepper(loss, view="graph", collapse="neurons")
    scene = stepper._whole_frames().scene
    boxes = {element.id: element for element in scene.elements if element.kind == "group"}
    assert len(boxes) == 4
    for index, step in enumerate(stepper.steps):
        element_id = scene.value_element[id(step.node)]
        if element_id in boxes:
            assert "tg-current" in classes_by_id(stepper.frame_svg(index))[element_id]
            break
    else:
        pytest.fail("no step inside a neuron")
    assert "(the initial gradient of backward)" in stepper.frame_text(0)


def test_constants_are_not_outlined_as_receiving_gradient():
    x = Value(2.0, label="x")
    total = x * 3.0
    mean = total / 1.0
    mean.label = "mean"
    stepper = Stepper(mean)
    ids = stepper.snapshot.ids
    one, three = mean.inputs[1], total.inputs[1]
    assert one.is_constant and three.is_constant
    first = classes_by_id(stepper.frame_svg(0))
    assert "tg-receiving" in first[ids[id(total)]]
    assert "tg-receiving" not in first[ids[id(one)]]  # the 1 of "/ 1" is drawn, but plain
    second = classes_by_id(stepper.frame_svg(1))
    assert "tg-receiving" in second[ids[id(x)]] and "tg-receiving" not in second[ids[id(three)]]
    assert "1 is a constant: nothing to update" in stepper.frame_text(0)
    assert "1.grad" not in stepper.frame_text(0)
    frames = stepper._whole_frames()
    assert frames.page_data()["receiving"] == [[ids[id(total)]], [ids[id(x)]]]  # the HTML page too
