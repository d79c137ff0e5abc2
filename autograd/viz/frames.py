"""Frames of the stepper: one laid-out SVG, restyled for each frame.

Graphviz lays the graph out once. Each frame is then the same SVG with a
state class on every node and edge, and the data and gradients as they stand
at that frame, so showing a frame costs a string join, not a layout. The HTML
page does the same in JavaScript from the data ``page_data`` returns; both
compute states with the same rules. The frames are the timeline's: forward
steps, then backward steps, then (given a learning rate) the update.

* forward: a value is ``tg-pending`` (data ``?``) until its step computes
  it; the current node is ``tg-current``, the inputs it reads
  ``tg-receiving``, its edges ``tg-active``; every grad is ``?``;
* backward: a value is ``tg-pending`` (grad ``?``) until a step adds to its
  grad, ``tg-partial`` (grad marked ``(partial)``) while uses remain,
  ``tg-done`` once its grad is final; the node of the current step (value
  and op) is ``tg-current``, the inputs it passes gradient to are
  ``tg-receiving`` (constants excepted: nothing learns from their
  gradient), its edges are ``tg-active``;
* the update: every value ``tg-done``, showing its data after the update.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

from ..i18n import Catalogue, language
from ..value import Value
from .draw import Element, Scene
from .palette import DATA_COLOR, FILL, GRAD_COLOR, HIGHLIGHT, RECEIVING
from .text import number
from .timeline import Timeline

_ = Catalogue("views").gettext

# The look of each state: pending greyed, current orange, receiving blue.
CSS = f"""
.tg-pending {{ opacity: 0.32; }}
.tg-partial text.tg-grad {{ font-style: italic; }}
g.node.tg-partial > path, g.node.tg-partial > polygon {{ stroke-dasharray: 5 3; }}
g.node.tg-receiving > path, g.node.tg-receiving > polygon, g.node.tg-receiving > ellipse {{
  stroke: {RECEIVING}; stroke-width: 3px; }}
g.node.tg-receiving text.tg-grad {{ font-weight: bold; }}
g.node.tg-current {{ opacity: 1; }}
g.node.tg-current > path, g.node.tg-current > polygon, g.node.tg-current > ellipse {{
  stroke: {HIGHLIGHT}; stroke-width: 4px; fill: {FILL["highlight"]}; }}
g.edge.tg-pending {{ opacity: 0.25; }}
g.edge.tg-active > path {{ stroke: {HIGHLIGHT}; stroke-width: 2.5px; }}
g.edge.tg-active > polygon {{ stroke: {HIGHLIGHT}; fill: {HIGHLIGHT}; }}
g.edge.tg-active text {{ fill: {HIGHLIGHT}; }}
"""

# A slot of the SVG template: ("class", element id, its base classes), ("grad", node, "") or ("data", node, "").
Slot = tuple[str, Union[str, Value], str]

_GROUP = re.compile(r'<g id="([^"]+)" class="([^"]+)">')
# A node's "grad 0.5" / "data 2" text (in the drawing's language: "梯度 0.5"): the word, then the number.
_GRAD_TEXT = re.compile(r'(<text)([^>]*fill="' + re.escape(GRAD_COLOR) + r'"[^>]*>)([^<\s]+ )([^<]*)(</text>)')
_DATA_TEXT = re.compile(r'(<text)([^>]*fill="' + re.escape(DATA_COLOR) + r'"[^>]*>)([^<\s]+ )([^<]*)(</text>)')
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([\d.\s-]+)"')
_TRANSLATE = re.compile(r'class="graph" transform="scale\(([\d.]+) [\d.]+\) rotate\(0\) translate\(([-\d.]+) ([-\d.]+)\)"')
_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?")


@dataclass(frozen=True)
class Box:
    """A node's bounding box in the SVG's viewBox coordinates."""

    x0: float
    y0: float
    x1: float
    y1: float


class Frames:
    """The steps of one timeline drawn on one scene's SVG."""

    def __init__(self, timeline: Timeline, scene: Scene, svg: str) -> None:
        self.timeline = timeline
        self.scene = scene
        svg = clean_svg(svg)
        self._pieces, self._slots, self.boxes = _template(svg, scene)
        size = _SIZE.search(svg)
        self.size = (float(size.group(1)), float(size.group(2))) if size else (0.0, 0.0)
        element_ids = {element.id for element in scene.elements}
        # Per element: the first step touching it and the step after which it is final.
        self.first: dict[str, int] = {}
        self.final: dict[str, int] = {}
        for element in scene.elements:
            self.first[element.id], self.final[element.id] = self._span(element)
        # Per edge: the steps of its consumers.
        self.edge_span: dict[str, tuple[int, int]] = {}
        step_edges: dict[int, list[str]] = {}
        for edge_id, consumers in scene.edge_consumers.items():
            steps = [timeline.step_of[id(node)] for node in consumers]
            self.edge_span[edge_id] = (min(steps), max(steps))
            for step in steps:
                step_edges.setdefault(step, []).append(edge_id)
        # Forward: per element the step that computes it (-1: a leaf, there from the start);
        # per edge the forward steps of its consumers.
        computed_at = timeline.computed_at
        self.computed: dict[str, int] = {}
        for element in scene.elements:
            self.computed[element.id] = max((computed_at.get(id(node), -1) for node in element.members), default=-1)
        self.edge_computed: dict[str, tuple[int, int]] = {}
        forward_edges: dict[int, list[str]] = {}
        for edge_id, consumers in scene.edge_consumers.items():
            steps = [computed_at.get(id(node), -1) for node in consumers]
            self.edge_computed[edge_id] = (min(steps), max(steps))
            for step in steps:
                forward_edges.setdefault(step, []).append(edge_id)
        # Per frame: the elements that are current and receiving (or read), the active edges.
        self.current: list[list[str]] = []
        self.receiving: list[list[str]] = []
        self.active: list[list[str]] = []
        for forward_step in timeline.forward:
            node = forward_step.node
            current = [scene.value_element.get(id(node)), scene.op_element.get(id(node))]
            self.current.append(sorted({c for c in current if c in element_ids}))
            read = {scene.value_element.get(id(x)) for x in node.inputs if not x.is_constant}
            self.receiving.append(sorted(r for r in read if r in element_ids and r not in current))
            self.active.append(forward_edges.get(forward_step.index, []))
        for step in timeline.steps:
            node = step.node
            current = [scene.value_element.get(id(node)), scene.op_element.get(id(node))]
            self.current.append(sorted({c for c in current if c in element_ids}))
            # A constant (the 2 of x * 2) gets a gradient too, but nothing learns from it:
            # outlining it as receiving would only distract.
            receiving = {scene.value_element.get(id(c.input)) for c in step.contributions
                         if not c.input.is_constant}
            self.receiving.append(sorted(r for r in receiving if r in element_ids))
            self.active.append(step_edges.get(step.index, []))
        if timeline.update is not None:  # the parameters light up as they are updated
            updated = {scene.value_element.get(id(p)) for p in timeline.update.parameters}
            self.current.append([])
            self.receiving.append(sorted(u for u in updated if u in element_ids))
            self.active.append([])

    def _span(self, element: Element) -> tuple[int, int]:
        timeline = self.timeline
        if element.kind == "op":
            step = timeline.step_of[id(element.members[0])]
            return step, step
        tracked = element.grad_nodes or element.members
        first = min(timeline.first_at(node) for node in tracked)
        final = max(timeline.final_at(node) for node in tracked)
        if element.kind == "group":
            inner = [timeline.step_of[id(node)] for node in element.members if id(node) in timeline.step_of]
            if inner:
                final = max(final, max(inner))
        return first, final

    def __len__(self) -> int:
        return len(self.timeline)

    def classes(self, frame: int) -> dict[str, str]:
        """The state classes of every element and edge at frame ``frame``."""
        states: dict[str, str] = {}
        timeline = self.timeline
        if timeline.kind(frame) == "forward":
            for element_id, computed in self.computed.items():
                states[element_id] = "tg-done" if computed <= frame else "tg-pending"
            for edge_id, (first, last) in self.edge_computed.items():
                states[edge_id] = "tg-done" if last <= frame else "tg-partial" if first <= frame else "tg-pending"
        else:
            index = timeline.backward_index(frame)
            for element_id, first in self.first.items():
                final = self.final[element_id]
                states[element_id] = "tg-done" if final <= index else "tg-partial" if first <= index else "tg-pending"
            for edge_id, (first, last) in self.edge_span.items():
                states[edge_id] = "tg-done" if last <= index else "tg-partial" if first <= index else "tg-pending"
        if 0 <= frame < len(self.current):
            for element_id in self.receiving[frame]:
                states[element_id] += " tg-receiving"
            for element_id in self.current[frame]:
                states[element_id] += " tg-current"
            for edge_id in self.active[frame]:
                states[edge_id] += " tg-active"
        return states

    def svg(self, index: int, window: tuple[float, float] | None = None) -> str:
        """The frame of step ``index``: styled classes and the gradients after that step.

        With ``window=(width, height)`` in points, the view is cropped to that
        size around the current node (for graphs too big to read whole).
        """
        states = self.classes(index)
        timeline = self.timeline
        backward_index = timeline.backward_index(index)
        parts = []
        for piece, (kind, key, base) in zip(self._pieces, self._slots + [("", "", "")]):
            parts.append(piece)
            if kind == "class":
                parts.append(f"{base} {states.get(key, '')}".rstrip())
            elif kind == "grad":
                assert isinstance(key, Value)
                parts.append(timeline.grad_text(key, backward_index))
            elif kind == "data":
                assert isinstance(key, Value)
                parts.append(timeline.data_text(key, index))
        text = "".join(parts)
        if window is not None and self.current and 0 <= index < len(self.current):
            text = self._crop(text, index, window)
        return text

    def _crop(self, text: str, index: int, window: tuple[float, float]) -> str:
        boxes = [self.boxes[e] for e in self.current[index] + self.receiving[index] if e in self.boxes]
        if not boxes:
            return text
        width, height = window
        if width >= self.size[0] and height >= self.size[1]:
            return text
        center_x = (min(b.x0 for b in boxes) + max(b.x1 for b in boxes)) / 2
        center_y = (min(b.y0 for b in boxes) + max(b.y1 for b in boxes)) / 2
        width, height = min(width, self.size[0]), min(height, self.size[1])
        x = min(max(center_x - width / 2, 0.0), self.size[0] - width)
        y = min(max(center_y - height / 2, 0.0), self.size[1] - height)
        return _SIZE.sub(
            f'<svg width="{width:.0f}pt" height="{height:.0f}pt" viewBox="{x:.2f} {y:.2f} {width:.2f} {height:.2f}"',
            text, count=1,
        )

    def page_data(self) -> dict[str, object]:
        """What the HTML page needs to compute every frame in the browser."""
        timeline = self.timeline
        grad_slots = [key for kind, key, _ in self._slots if kind == "grad"]
        data_slots = [key for kind, key, _ in self._slots if kind == "data"]
        changes = []
        for node in grad_slots:
            steps = timeline.change_steps.get(id(node), [])
            grads = timeline.change_grads.get(id(node), [])
            changes.append([[step, number(grad)] for step, grad in zip(steps, grads)])
        update = timeline.update
        data = [[timeline.computed_at.get(id(node), -1), number(node.data),
                 number(update.values_after[id(node)]) if update is not None else None] for node in data_slots]
        count = max(len(timeline), 1)
        return {
            "elements": {key: [self.first[key], self.final[key]] for key in self.first},
            "edges": {key: list(span) for key, span in self.edge_span.items()},
            "computed": self.computed,
            "edgesComputed": {key: list(span) for key, span in self.edge_computed.items()},
            "backwardStart": timeline.backward_start,
            "backwardCount": len(timeline.steps),
            "hasUpdate": update is not None,
            "current": self.current,
            "receiving": self.receiving,
            "active": self.active,
            "grads": changes,
            "data": data,
            "follow": timeline.follow_frames,
            "texts": [timeline.text(index) for index in range(count)],
            "words": self.words(),
        }

    def words(self) -> dict[str, str]:
        """The page's templates for a node's texts, in the timeline's language (``{value}`` filled in)."""
        with language(self.timeline.lang):
            return {"grad": _("grad {value}"), "data": _("data {value}"), "partial": _("{value} (partial)")}


def _template(svg: str, scene: Scene) -> tuple[list[str], list[Slot], dict[str, Box]]:
    """Split the SVG into static pieces and slots: each node's class, each grad text."""
    grad_nodes = {element.id: element.grad_nodes for element in scene.elements}
    data_nodes = {element.id: element.data_nodes for element in scene.elements}
    known = set(grad_nodes) | set(scene.edge_consumers)
    translate = _TRANSLATE.search(svg)
    scale, shift_x, shift_y = (
        (float(translate.group(1)), float(translate.group(2)), float(translate.group(3))) if translate else (1.0, 0.0, 0.0)
    )
    pieces: list[str] = []
    slots: list[Slot] = []
    boxes: dict[str, Box] = {}
    position = 0
    for match in _GROUP.finditer(svg):
        element_id, classes = match.group(1), match.group(2)
        if element_id not in known:
            continue
        # The class value becomes a slot.
        pieces.append(svg[position: match.start(2)])
        slots.append(("class", element_id, classes))
        position = match.end(2)
        end = svg.find("</g>", match.end())
        body = svg[match.end(): end]
        if element_id in grad_nodes:
            boxes[element_id] = _box(body, scale, shift_x, shift_y)
            # The data and grad texts in document order, each matched to its node.
            found = sorted(
                [(m.start(), "data", m) for m in _DATA_TEXT.finditer(body)]
                + [(m.start(), "grad", m) for m in _GRAD_TEXT.finditer(body)], key=lambda entry: entry[0])
            queues = {"grad": iter(grad_nodes[element_id]), "data": iter(data_nodes[element_id])}
            for _start, kind, text_match in found:
                node = next(queues[kind], None)
                if node is None:
                    continue
                pieces.append(svg[position: match.end() + text_match.start(2)] + f' class="tg-{kind}"'
                              + text_match.group(2) + text_match.group(3))
                slots.append((kind, node, ""))
                position = match.end() + text_match.end(4)
    pieces.append(svg[position:])
    opening = _SVG_OPEN.search(pieces[0])
    if opening is not None:  # the state styles travel with the SVG
        pieces[0] = pieces[0][: opening.end()] + f"\n<style>{CSS}</style>" + pieces[0][opening.end():]
    return pieces, slots, boxes


def clean_svg(svg: str) -> str:
    """Graphviz's SVG without the XML prolog, comments and titles, ready to inline in HTML."""
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    svg = re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)
    return re.sub(r"<title>[^<]*</title>\n?", "", svg)


def _box(body: str, scale: float, shift_x: float, shift_y: float) -> Box:
    xs: list[float] = []
    ys: list[float] = []
    for attribute in re.finditer(r' (?:points|d)="([^"]*)"', body):
        numbers = [float(n) for n in _NUMBERS.findall(attribute.group(1))]
        xs.extend(numbers[0::2])
        ys.extend(numbers[1::2])
    for ellipse in re.finditer(r'<ellipse[^>]*cx="([-\d.]+)" cy="([-\d.]+)" rx="([\d.]+)" ry="([\d.]+)"', body):
        cx, cy, rx, ry = (float(v) for v in ellipse.groups())
        xs += [cx - rx, cx + rx]
        ys += [cy - ry, cy + ry]
    if not xs:
        return Box(0.0, 0.0, 0.0, 0.0)
    return Box(
        (min(xs) + shift_x) * scale, (min(ys) + shift_y) * scale,
        (max(xs) + shift_x) * scale, (max(ys) + shift_y) * scale,
    )
