"""The stepper's document (autograd/viz/document.py) against references computed here, frame by frame.

The document is the one place a frame's state is computed: which node is
current, which receive gradient, every number shown (``?`` pending,
``(partial)`` while uses remain), the followed parameter's running sum, the
quiz's answers and the update. Each is checked against a replay written in
this file from ``forward_steps`` and ``backward_steps`` (the engine's own
records), the engine's ``backward()`` and an afresh forward pass, for the
neuron, the ice-cream loss over its ten rows, and a graph of more than
2,000 nodes.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Optional

import pytest

from autograd import Stepper, Value, backward_steps, forward_steps, html_page, topological_order
from autograd.viz.document import document_json, timeline_document
from graphs import neuron, scoped_mlp
from autograd.viz.timeline import Timeline
from support import page_document, shown_number, value_at

SVG = "{http://www.w3.org/2000/svg}"


# --- the reference: a replay of the engine's records, written independently of the views ---


@dataclass
class Reference:
    """What every frame must show, from forward_steps/backward_steps and nothing of the stepper."""

    loss: Value
    follow: Optional[Value] = None
    lr: Optional[float] = None
    parameters: tuple = ()
    forward: bool = True
    ids: dict = field(init=False)
    nodes: dict = field(init=False)

    def __post_init__(self) -> None:
        order = topological_order(self.loss)
        self.ids = {id(node): f"n{index}" for index, node in enumerate(order)}
        self.nodes = {f"n{index}": node for index, node in enumerate(order)}
        self.forward_steps = forward_steps(self.loss) if self.forward else []
        self.steps = backward_steps(self.loss)
        self.start = len(self.forward_steps)
        self.count = self.start + len(self.steps) + (self.lr is not None)
        self.update_frame = self.count - 1 if self.lr is not None else None
        self.computed_at = {id(step.node): step.index for step in self.forward_steps}
        # Every change of every node's gradient: (step, gradient after it), accumulated here.
        running: dict[int, float] = {id(self.loss): 1.0}
        self.grad_changes: dict[int, list[tuple[int, float]]] = {id(self.loss): [(-1, 1.0)]}
        for step in self.steps:
            for contribution in step.contributions:
                key = id(contribution.input)
                running[key] = running.get(key, 0.0) + contribution.local_grad * step.upstream
                changes = self.grad_changes.setdefault(key, [])
                if changes and changes[-1][0] == step.index:
                    changes[-1] = (step.index, running[key])  # a + a: two uses in one step
                else:
                    changes.append((step.index, running[key]))
        self.final = running
        self.after: dict[int, float] = {}
        if self.lr is not None:
            new = {id(p): p.data - self.lr * self.final.get(id(p), 0.0) for p in self.parameters}
            self.after = evaluate_afresh(self.loss, new)

    def backward_index(self, frame: int) -> Optional[int]:
        if frame < self.start:
            return None
        return min(frame - self.start, len(self.steps) - 1)

    def grad_text(self, node: Value, frame: int) -> str:
        """The grad a frame shows: ``?`` before anything reached it, ``(partial)`` until its last contribution."""
        index = self.backward_index(frame)
        changes = self.grad_changes.get(id(node), [])
        done = [value for step, value in changes if index is not None and step <= index]
        if not done:
            return "grad ?"
        later = any(step > index for step, _ in changes)
        return f"grad {shown_number(done[-1])}" + (" (partial)" if later else "")

    def data_text(self, node: Value, frame: int) -> str:
        if frame == self.update_frame:
            return f"data {shown_number(self.after[id(node)])}"
        if self.computed_at.get(id(node), -1) > frame:
            return "data ?"
        return f"data {shown_number(node.data)}"

    def text_changes(self, role: str, node: Value) -> list:
        """The same texts as change points (the form the document keeps), made from the events directly."""
        points: list = [[0, f"{role} ?" if role == "grad" else None]]
        if role == "grad":
            for step, value in self.grad_changes.get(id(node), []):
                points.append([self.start + max(step, 0), None])
        else:
            points[0][1] = "data ?" if self.computed_at.get(id(node), -1) > 0 else f"data {shown_number(node.data)}"
            if id(node) in self.computed_at:
                points.append([self.computed_at[id(node)], f"data {shown_number(node.data)}"])
            if self.update_frame is not None:
                points.append([self.update_frame, f"data {shown_number(self.after[id(node)])}"])
        if role == "grad":  # each change point's text, written as a frame at that point shows it
            points = [[0, "grad ?"]] + [[at, self.grad_text(node, at)] for at, _ in points[1:]]
        return compress(points)


def compress(points: list) -> list:
    """Change points with the last word at each frame and no repeats: one form per frame-by-frame sequence."""
    by_frame: dict[int, object] = {}
    for at, value in points:
        by_frame[at] = value
    found: list = []
    for at in sorted(by_frame):
        if not found or found[-1][1] != by_frame[at]:
            found.append([at, by_frame[at]])
    return found


def evaluate_afresh(loss: Value, leaves: dict[int, float]) -> dict[int, float]:
    """Every node's value computed afresh with some leaves replaced (an independent forward pass)."""
    values: dict[int, float] = {}
    for node in topological_order(loss):
        if not node.inputs:
            values[id(node)] = leaves.get(id(node), node.data)
        else:
            values[id(node)] = node.op.compute(*(values[id(x)] for x in node.inputs))[0]
    return values


# --- the checks ---


def value_elements(doc: dict) -> dict[str, str]:
    """Node id -> the id of the element drawing it as a value box."""
    return {element["node"]: element["id"] for element in doc["elements"] if element["kind"] == "value"}


def check_texts(doc: dict, ref: Reference, every_frame: bool) -> None:
    """Every number in the drawing, at every frame, is the reference's."""
    seen = set()
    for element in doc["elements"]:
        for text in element["texts"]:
            node = ref.nodes[text["node"]]
            seen.add((text["role"], text["node"]))
            changes = text["changes"]
            assert changes and changes[0][0] == 0, (element["id"], changes)  # in force from the first frame
            assert compress(changes) == ref.text_changes(text["role"], node), (element["id"], text["role"])
            if every_frame:
                for frame in range(doc["count"]):
                    expected = ref.grad_text(node, frame) if text["role"] == "grad" else ref.data_text(node, frame)
                    assert value_at(changes, frame) == expected, (frame, element["id"], text["role"])
    drawn = {element["node"] for element in doc["elements"] if element["kind"] == "value"}
    assert {node for role, node in seen if role == "grad"} == drawn
    assert {node for role, node in seen if role == "data"} == drawn
    variables = {ref.ids[id(node)] for node in ref.nodes.values() if not node.is_constant}
    assert variables <= drawn, sorted(variables - drawn)[:5]  # every variable shows its numbers


def check_frames(doc: dict, ref: Reference) -> None:
    """Each frame's kind, node, current, read and receiving elements, quiz and follow line."""
    elements = value_elements(doc)
    ops = {element["node"]: element["id"] for element in doc["elements"] if element["kind"] == "op"}
    assert doc["count"] == ref.count == len(doc["frames"]) and doc["backwardStart"] == ref.start
    follow_frames, follow_sums, running = [], [], 0.0
    for frame, entry in enumerate(doc["frames"]):
        if frame < ref.start:
            step = ref.forward_steps[frame]
            node_id = ref.ids[id(step.node)]
            assert entry["kind"] == "forward"
            assert entry["current"][0] == elements[node_id] and set(entry["current"]) <= {elements[node_id],
                                                                                          ops.get(node_id)}
            assert entry["reading"] == unique(elements[ref.ids[id(x)]] for x in step.node.inputs
                                              if not x.is_constant)
            assert entry["receiving"] == [] and "quiz" not in entry
        elif frame != ref.update_frame:
            step = ref.steps[frame - ref.start]
            node_id = ref.ids[id(step.node)]
            assert entry["kind"] == "backward"
            assert entry["current"][0] == elements[node_id]
            assert set(entry["current"]) <= {elements[node_id], ops.get(node_id)}
            variables = [c for c in step.contributions if not c.input.is_constant]
            assert entry["receiving"] == unique(elements[ref.ids[id(c.input)]] for c in variables)
            # Every line of backward_steps' own text of the step is on the frame.
            assert set(lines_of(step.text(total=len(ref.steps)))) <= set(frame_lines(entry)), frame
            quiz = entry.get("quiz")
            if variables:
                asked = ref.nodes[quiz["node"]]
                askable = [c.input for c in variables]
                assert any(asked is x for x in askable), frame
                if ref.follow is not None and any(ref.follow is x for x in askable):
                    assert asked is ref.follow  # a followed parameter is the one asked about
                # What the asked node receives from this step: local derivative × upstream, all its uses.
                received = sum(c.local_grad * step.upstream for c in step.contributions if c.input is asked)
                assert quiz["answer"] == pytest.approx(received, rel=1e-12, abs=1e-300), frame
                assert quiz["shown"] == shown_number(quiz["answer"])
            else:
                assert quiz is None
            added = [c.local_grad * step.upstream for c in step.contributions if c.input is ref.follow]
            if added:
                running += sum(added)
                follow_frames.append(frame)
                follow_sums.append(shown_number(running))
            if ref.follow is not None:
                assert entry["followHere"] == bool(added)
                if follow_sums:
                    assert shown_number(running) in entry["follow"], frame
        else:
            assert entry["kind"] == "update" and entry["node"] == ref.ids[id(ref.loss)]
            assert entry["updated"] == [elements[ref.ids[id(p)]] for p in ref.parameters]
            assert entry["current"] in ([], [elements[ref.ids[id(ref.loss)]]])
            for parameter in ref.parameters:
                line = (f"{ref.nodes[ref.ids[id(parameter)]].label} ← {shown_number(parameter.data)} − "
                        f"{ref.lr:g} × ")
                assert line in "\n".join(frame_lines(entry))
        assert entry["node"] == (ref.ids[id(ref.loss)] if frame == ref.update_frame else node_id)
    if ref.follow is None:
        assert doc["follow"] is None
    else:
        follow = doc["follow"]
        assert follow["node"] == ref.ids[id(ref.follow)] and follow["element"] == elements[follow["node"]]
        assert follow["frames"] == follow_frames and follow["sums"] == follow_sums
        assert follow_sums[-1] == shown_number(ref.final[id(ref.follow)])


def frame_lines(entry: dict) -> list[str]:
    """The lines a frame shows under the drawing: its headline, arithmetic, sentence and follow line."""
    return lines_of("\n".join(entry[key] for key in ("headline", "arithmetic", "sentence", "follow")))


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def check_frame_texts(stepper: Stepper, doc: dict) -> None:
    """Stepper.frame_text(i) says what the document's frame i shows, line for line (the same timeline)."""
    for frame in range(len(stepper)):
        assert sorted(lines_of(stepper.frame_text(frame))) == sorted(frame_lines(doc["frames"][frame])), frame
        assert stepper.frame_title(frame) == doc["frames"][frame]["title"]


def unique(items) -> list:
    found = []
    for item in items:
        if item not in found:
            found.append(item)
    return found


def check_painted(stepper: Stepper, doc: dict, ref: Reference, frames) -> None:
    """Stepper.frame_svg paints the document's frame: data-node on every element, data-current, the texts."""
    elements = {element["id"]: element for element in doc["elements"]}
    for frame in frames:
        root = ET.fromstring(stepper.frame_svg(frame))
        groups = {group.get("id"): group for group in root.iter(f"{SVG}g") if group.get("data-node")}
        assert groups, frame
        current = [group_id for group_id, group in groups.items() if group.get("data-current") is not None]
        expected_current = doc["frames"][frame]["current"][:1]
        assert current == expected_current, frame
        for group_id, group in groups.items():
            assert group.get("data-node") == group_id
            element = elements.get(group_id)
            if element is None:
                continue  # an edge
            assert group.get("data-name") == element["name"]
            texts = list(group.iter(f"{SVG}text"))
            for text in element["texts"]:
                node = ref.nodes[text["node"]]
                expected = ref.grad_text(node, frame) if text["role"] == "grad" else ref.data_text(node, frame)
                assert "".join(texts[-text["fromEnd"]].itertext()) == expected, (frame, group_id, text["role"])


# --- the neuron ---


@pytest.mark.parametrize("forward", [True, False])
def test_the_neurons_document_is_the_replay_of_its_steps(forward):
    y = neuron()
    ref = Reference(y, forward=forward)
    stepper = Stepper(y, forward=forward, view="graph")
    doc = stepper.document
    check_texts(doc, ref, every_frame=True)
    check_frames(doc, ref)
    check_frame_texts(stepper, doc)
    check_painted(stepper, doc, ref, range(len(stepper)))
    # The final frame's gradients are the engine's.
    assert [value_at(t["changes"], doc["count"] - 1) for e in doc["elements"] for t in e["texts"]
            if t["role"] == "grad" and ref.nodes[t["node"]].label in ("x", "w")] == ["grad -1.503", "grad 1.002"]


def test_a_reused_value_is_partial_until_its_last_use_and_the_quiz_asks_what_both_uses_give():
    a = Value(3.0, label="a")
    b = a * 2.0
    b.label = "b"
    c = b + a
    c.label = "c"
    square = c * c  # one step, two uses of c: c receives 2·c·upstream from it
    square.label = "L"
    ref = Reference(square, lr=0.1, parameters=(a,))
    stepper = Stepper(square, lr=0.1, params=[a], view="graph")
    doc = stepper.document
    check_texts(doc, ref, every_frame=True)
    a_grads = [value_at(t["changes"], frame) for frame in range(ref.start, ref.count - 1)
               for e in doc["elements"] for t in e["texts"] if t["role"] == "grad" and t["node"] == ref.ids[id(a)]]
    assert a_grads == ["grad ?", "grad 18 (partial)", "grad 54"]  # from c, then from b: 18 + 2·18
    check_painted(stepper, doc, ref, range(len(stepper)))
    # L = c*c: c receives 2·c·upstream = 18 from the step; its two uses are one answer.
    quiz = doc["frames"][ref.start]["quiz"]
    assert quiz["node"] == ref.ids[id(c)] and quiz["answer"] == 18.0, quiz
    check_frames(doc, ref)


# --- the ice-cream loss, as the demo's page shows it ---


@pytest.fixture(scope="module")
def icecream():
    from nn.app.demo import BIAS_LR, OUTPUT_BIAS, icecream_model, mse, parameter

    model = icecream_model(**{OUTPUT_BIAS: 0.0})
    loss = mse(model)
    loss.backward()
    bias = parameter(model, OUTPUT_BIAS)
    return loss, bias, BIAS_LR


def test_the_icecream_page_document_is_the_replay_over_ten_rows(icecream):
    loss, bias, lr = icecream
    page = html_page(loss, follow=bias, lr=lr, params=[bias], title="ice cream")
    doc = page_document(page)
    ref = Reference(loss, follow=bias, lr=lr, parameters=(bias,))
    check_texts(doc, ref, every_frame=True)
    check_frames(doc, ref)
    assert len(doc["follow"]["frames"]) == 10 and sorted(doc["follow"]["rows"], key=int) == [
        str(k) for k in range(1, 11)]
    # The engine's gradient is the followed sum, and the update moves the bias against it.
    assert doc["follow"]["sums"][-1] == shown_number(bias.grad)
    bias_id = ref.ids[id(bias)]
    bias_data = next(t for e in doc["elements"] for t in e["texts"] if t["node"] == bias_id and t["role"] == "data")
    assert value_at(bias_data["changes"], doc["count"] - 2) == "data 0"
    assert value_at(bias_data["changes"], doc["count"] - 1) == f"data {shown_number(0.0 - lr * bias.grad)}"
    loss_data = next(t for e in doc["elements"] for t in e["texts"] if t["node"] == ref.ids[id(loss)]
                     and t["role"] == "data")
    assert value_at(loss_data["changes"], doc["count"] - 1) == f"data {shown_number(ref.after[id(loss)])}"
    # The Jupyter Stepper's document is the page's: one timeline, nothing computed twice.
    stepper = Stepper(loss, follow=bias, lr=lr, params=[bias], view="graph")
    assert json.loads(document_json(stepper.document)) == doc
    check_frame_texts(stepper, doc)
    chosen = [0, ref.start - 1, ref.start, *doc["follow"]["frames"], ref.count - 1]
    check_painted(stepper, doc, ref, chosen)


# --- a graph of more than 2,000 nodes ---


def test_a_2000_node_document_is_the_replay_of_its_steps():
    loss = scoped_mlp((2, 16, 16, 1), samples=3)
    bias = next(node for node in topological_order(loss) if node.label == "L3.N1.b")
    ref = Reference(loss, follow=bias, lr=0.05, parameters=(bias,))
    assert len(ref.nodes) > 2000
    timeline = Timeline(loss, follow=bias, lr=0.05, params=[bias])
    doc = timeline_document(timeline, {})
    check_texts(doc, ref, every_frame=False)  # change points against change points: every frame, in one form
    check_frames(doc, ref)
    assert len(doc["follow"]["frames"]) == 3
    # The neighbourhood view: frame_svg draws the current node's surroundings, painted from the same states.
    from autograd.viz.stepper import LOCAL_VIEW_ABOVE

    chosen = Stepper(loss, follow=bias, lr=0.05, params=[bias]).view
    assert chosen == ("local" if len(ref.nodes) > LOCAL_VIEW_ABOVE else "graph")
    stepper = Stepper(loss, follow=bias, lr=0.05, params=[bias], view="local")
    for frame in (ref.start - 1, ref.start + 700, doc["follow"]["frames"][1]):
        assert sorted(lines_of(stepper.frame_text(frame))) == sorted(frame_lines(doc["frames"][frame]))
        root = ET.fromstring(stepper.frame_svg(frame))
        groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("data-node")}
        current = [gid for gid, g in groups.items() if g.get("data-current") is not None]
        assert current == doc["frames"][frame]["current"][:1]
        elements = {e["id"]: e for e in doc["elements"]}
        for gid, group in groups.items():
            if gid in elements and elements[gid]["kind"] == "value":
                texts = ["".join(t.itertext()) for t in group.iter(f"{SVG}text")]
                node = ref.nodes[elements[gid]["node"]]
                assert texts[-1] == ref.grad_text(node, frame) and texts[-2] == ref.data_text(node, frame), gid


# --- the document inside a page ---

HOSTILE = "</script><script>alert(1)</script><!-- \u2028\u2029 & ]]>"


def test_the_document_json_is_safe_inside_a_script_element():
    x = Value(1.5, label=HOSTILE)
    y = x * 2.0
    y.label = "<!--y-->"
    doc = Stepper(y, view="graph").document
    text = document_json(doc)
    for bad in ("<", ">", "\u2028", "\u2029"):
        assert bad not in text
    assert json.loads(text) == doc
    assert HOSTILE in {element["name"] for element in doc["elements"]}
    page = html_page(y, title=HOSTILE)
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the document's and the module's
    assert "<!--" not in page and "\u2028" not in page.split("</head>")[1]
    assert page_document(page) == json.loads(text)
    assert "</script><script>" not in page
