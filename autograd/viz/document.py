"""The stepper's whole state, computed once in Python as one JSON document.

``stepper_document(timeline, scene, svg)`` turns a :class:`Timeline` (what
each frame computes) and a drawing (one Graphviz layout of the graph) into
plain data: for every frame its kind, headline, arithmetic, sentence and
the followed parameter's running sum (``Timeline.text`` is these joined);
which drawn elements are current,
read or receiving gradient, and which edges carry it; and for every drawn
element, edge and number the frames at which its look or its text changes,
with the text already written in the timeline's language (``?`` pending,
``(partial)`` while uses remain). The one front end
(``autograd/viz/front/stepper.js``) only looks these up: the page, the
Jupyter widget and the static fallback show exactly the same frames, and
nothing about a frame is computed twice.

Texts in the drawing are found by position, not by colour: every number a
node shows is one of its label's last rows (``data``, ``grad``), so each is
addressed as "the k-th ``<text>`` from the end of element ``n5``".
"""

from __future__ import annotations

import bisect
import json
from typing import Any, Callable, Optional

from ..i18n import Catalogue, language
from ..validation import instance
from ..value import Value
from .draw import DrawOptions, Element, Scene, build_scene
from .palette import legend
from .text import number
from .dot import render_svg
from .narrate import backward_sentence, forward_sentence
from .network import NetworkPicture, network_document
from .timeline import BEFORE_BACKWARD, PENDING, Timeline, frame_title

_catalogue = Catalogue("views")
_ = _catalogue.gettext

# The states an element or edge goes through (the front end's CSS classes).
PENDING_STATE, PARTIAL_STATE, DONE_STATE = "pending", "partial", "done"
# Relative tolerance of the quiz: a hand answer from the shown (4-digit) numbers passes.
QUIZ_TOLERANCE = 0.005

# draw's options that the stepper and the HTML page set themselves.
SET_BY_THE_STEPPER = ("show_grads", "highlight", "check_grads")

# Nodes a picture lays out whole; past this, each frame shows its neighbourhood (laid out alone).
WHOLE_GRAPH_BUDGET = 3000
SHIPPED_FRAMES = 40  # frames of backward a page of a too-big graph carries, besides the followed ones (one dot run each)

Changes = list[list[Any]]  # [[frame, value], ...]: the value from that frame on


def lookup(changes: Changes, frame: int) -> Any:
    """The value in force at ``frame`` in a list of ``[frame, value]`` change points (None before the first)."""
    position = bisect.bisect_right([change[0] for change in changes], frame) - 1
    return changes[position][1] if position >= 0 else None


def _changes(values: Callable[[int], Any], frames: list[int]) -> Changes:
    """The change points of a per-frame value, probed at ``frames`` (every frame where it may change)."""
    found: Changes = []
    for frame in sorted(set(frames)):
        value = values(frame)
        if not found or found[-1][1] != value:
            found.append([frame, value])
    return found


def _state(first: int, final: int, index: int) -> str:
    return DONE_STATE if final <= index else PARTIAL_STATE if first <= index else PENDING_STATE


class _Builder:
    """Builds the document for one timeline over one scene."""

    def __init__(self, timeline: Timeline, scene: Optional[Scene], frames: Optional[list[int]] = None) -> None:
        self.timeline = timeline
        self.wanted = frames
        self.scene = scene
        self.start = timeline.backward_start
        self.count = max(len(timeline), 1)
        self.element_ids = {element.id for element in scene.elements} if scene is not None else set()

    def backward_frame(self, step: int) -> int:
        """The frame of backward step ``step`` (-1, the initial gradient, is shown from backward's first frame)."""
        return self.start + max(step, 0)

    # --- what each element and edge looks like, frame by frame ---

    def element_span(self, element: Element) -> tuple[int, int]:
        """The first backward step touching the element and the step after which it is final."""
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

    def states(self, computed: int, span: tuple[int, int]) -> Changes:
        """An element's (or edge's) state from frame to frame: forward by ``computed``, backward by ``span``."""
        timeline = self.timeline
        first, final = span

        def at(frame: int) -> str:
            if frame < self.start:
                return DONE_STATE if computed <= frame else PENDING_STATE
            return _state(first, final, timeline.backward_index(frame))

        probes = [0, max(computed, 0), self.start, self.backward_frame(first), self.backward_frame(final)]
        return _changes(at, [p for p in probes if p < self.count])

    def elements(self) -> list[dict[str, Any]]:
        timeline, scene = self.timeline, self.scene
        if scene is None:  # a document without a drawing has no elements
            return []
        names = timeline.snapshot.names
        computed_at = timeline.computed_at
        found = []
        for element in scene.elements:
            computed = max((computed_at.get(id(node), -1) for node in element.members), default=-1)
            member = element.members[0]
            found.append({
                "id": element.id,
                "kind": element.kind,
                "name": names(member) if element.kind != "group" else element.id,
                "node": timeline.snapshot.ids[id(member)],
                "states": self.states(computed, self.element_span(element)),
                "texts": self.texts(element),
            })
        return found

    def edges(self) -> list[dict[str, Any]]:
        timeline = self.timeline
        computed_at = timeline.computed_at
        found: list[dict[str, Any]] = []
        if self.scene is None:  # nor edges
            return found
        for edge_id, consumers in self.scene.edge_consumers.items():
            steps = [timeline.step_of[id(node)] for node in consumers]
            computed = [computed_at.get(id(node), -1) for node in consumers]
            first_computed, last_computed = min(computed), max(computed)

            def at(frame: int, span: tuple[int, int] = (min(steps), max(steps)),
                   computed_span: tuple[int, int] = (first_computed, last_computed)) -> str:
                if frame < self.start:
                    return _state(computed_span[0], computed_span[1], frame)
                return _state(span[0], span[1], timeline.backward_index(frame))

            probes = [0, max(first_computed, 0), max(last_computed, 0), self.start,
                      self.backward_frame(min(steps)), self.backward_frame(max(steps))]
            found.append({"id": edge_id, "states": _changes(at, [p for p in probes if p < self.count])})
        return found

    # --- the numbers in the drawing ---

    def texts(self, element: Element) -> list[dict[str, Any]]:
        """The element's changing texts: ``{"role", "node", "fromEnd", "changes"}``, addressed from its end.

        A value's label ends with data, grad, then rows that never change (δ,
        a check mark); a collapsed box ends with one row per output: its
        name, data, grad.
        """
        if element.kind == "value":
            node = element.members[0]
            trailing = element.trailing
            rows: list[tuple[str, Value, int]] = []
            if element.grad_nodes:
                rows.append(("grad", node, trailing + 1))
                rows.append(("data", node, trailing + 2))
            else:
                rows.append(("data", node, trailing + 1))
        elif element.kind == "group":
            rows = []
            outputs = element.data_nodes
            for position, node in enumerate(outputs):
                after = len(outputs) - position - 1  # output rows below this one
                if element.grad_nodes:
                    rows.append(("grad", node, 3 * after + 1))
                    rows.append(("data", node, 3 * after + 2))
                else:
                    rows.append(("data", node, 3 * after + 1))
        else:
            return []
        ids = self.timeline.snapshot.ids
        return [{"role": role, "node": ids[id(node)], "fromEnd": from_end,
                 "changes": self.grad_changes(node) if role == "grad" else self.data_changes(node)}
                for role, node, from_end in rows]

    def data_changes(self, node: Value) -> Changes:
        timeline = self.timeline
        word = self.words["data"]
        probes = [0, max(timeline.computed_at.get(id(node), -1), 0)]
        if timeline.update is not None:
            probes.append(len(timeline) - 1)
        return _changes(lambda frame: word.format(value=timeline.data_text(node, frame)), probes)

    def grad_changes(self, node: Value) -> Changes:
        timeline = self.timeline
        word = self.words["grad"]
        steps = timeline.change_steps.get(id(node), [])
        probes = [0, self.start] + [self.backward_frame(step) for step in steps]

        def at(frame: int) -> str:
            index = timeline.backward_index(frame)
            return word.format(value=PENDING if index == BEFORE_BACKWARD else timeline.grad_text(node, index))

        return _changes(at, [p for p in probes if p < self.count])

    # --- the frames ---

    def frames(self) -> list[Optional[dict[str, Any]]]:
        timeline, scene = self.timeline, self.scene
        if scene is None:  # no drawing: each frame comes with its own (local_view)
            return [None] * self.count
        ids = timeline.snapshot.ids
        names = timeline.snapshot.names
        forward_edges: dict[int, list[str]] = {}
        backward_edges: dict[int, list[str]] = {}
        for edge_id, consumers in scene.edge_consumers.items():
            for node in consumers:
                forward_edges.setdefault(timeline.computed_at.get(id(node), -1), []).append(edge_id)
                backward_edges.setdefault(timeline.step_of[id(node)], []).append(edge_id)

        def shown(nodes: list[Value], table: dict[int, str]) -> list[str]:
            found = []
            for node in nodes:
                element = table.get(id(node))
                if element in self.element_ids and element not in found:
                    found.append(element)
            return found

        follow = timeline.follow
        frames: list[Optional[dict[str, Any]]] = [None] * self.count
        for frame in (range(self.count) if self.wanted is None else self.wanted):
            kind = timeline.kind(frame)
            node = timeline.frame_node(frame)
            entry: dict[str, Any] = {"kind": kind, "title": frame_title(timeline, frame), "node": ids[id(node)]}
            arithmetic = timeline.text(frame)  # its headline, arithmetic, sentence and follow line, split below
            sentence = ""
            current = reading = receiving = []
            edges: list[str] = []
            if kind == "forward":
                forward_step = timeline.forward[frame]
                sentence = (forward_step.explanation if forward_step.lang == timeline.lang
                            else forward_sentence(forward_step, names))
                current = shown([node], scene.value_element) + shown([node], scene.op_element)
                reading = shown([x for x in node.inputs if not x.is_constant], scene.value_element)
                edges = forward_edges.get(forward_step.index, [])
            elif kind == "backward" and timeline.steps:
                step = timeline.steps[timeline.backward_index(frame)]
                sentence = step.explanation if step.lang == timeline.lang else backward_sentence(step, names)
                current = shown([node], scene.value_element) + shown([node], scene.op_element)
                # A constant (the 2 of x * 2) gets a gradient too, but nothing learns from it.
                receiving = shown([c.input for c in step.contributions if not c.input.is_constant],
                                  scene.value_element)
                edges = backward_edges.get(step.index, [])
                entry["quiz"] = self.quiz(step)
            elif kind == "update" and timeline.update is not None:
                receiving = shown(list(timeline.update.parameters), scene.value_element)
                entry["updated"] = receiving
                sentence = arithmetic.rsplit("\n", 1)[-1].strip()  # the loss before and after: what the step did
            follow_line = timeline.follow_text(frame)
            headline, *body = arithmetic.split("\n")
            body = [line for line in body if line.strip() not in (sentence.strip(), follow_line.strip())]
            entry.update({
                "headline": headline, "arithmetic": "\n".join(body), "sentence": sentence, "follow": follow_line,
                "current": current, "reading": reading, "receiving": receiving, "edges": edges,
            })
            if follow is not None:
                entry["followHere"] = frame in timeline.follow_frames
            frames[frame] = entry
        return frames

    def quiz(self, step: Any) -> Optional[dict[str, Any]]:
        """The question a backward step can ask before its numbers show: the gradient one input gets."""
        timeline = self.timeline
        names = timeline.snapshot.names
        contributions = [c for c in step.contributions if not c.input.is_constant]
        if not contributions:
            return None
        chosen = contributions[0]
        if timeline.follow is not None:
            chosen = next((c for c in contributions if c.input is timeline.follow), chosen)
        # A value used twice by one op (c * c) receives both products in this step.
        answer = sum(c.product for c in contributions if c.input is chosen.input)
        return {"node": timeline.snapshot.ids[id(chosen.input)], "name": names(chosen.input),
                "answer": answer, "shown": number(answer)}

    def follow(self) -> Optional[dict[str, Any]]:
        timeline = self.timeline
        follow = timeline.follow
        if follow is None:
            return None
        names = timeline.snapshot.names
        return {
            "node": timeline.snapshot.ids[id(follow)],
            # A value's element is its node's id in every drawing (the whole graph or a neighbourhood).
            "element": timeline.snapshot.ids[id(follow)],
            "name": names(follow),
            "frames": timeline.follow_frames,
            "sums": [number(value) for value in timeline.follow_sums],
            "added": [number(value) for value in timeline.follow_added],
            "rows": [self.row_label(frame) for frame in timeline.follow_frames],
        }

    def row_label(self, frame: int) -> str:
        """The batch row a followed contribution comes from (``""`` outside a batch)."""
        node = self.timeline.frame_node(frame)
        scope = node.scope
        return str(scope.row) if scope is not None and scope.row is not None else ""

    def build(self, svg: Optional[str]) -> dict[str, Any]:
        """The document; with ``svg`` None, one without a drawing (the frames' views come one by one)."""
        timeline = self.timeline
        with language(timeline.lang):
            self.words = {"grad": _("grad {value}"), "data": _("data {value}")}
            document: dict[str, Any] = {
                "version": 1,
                "lang": timeline.lang,
                "count": self.count,
                "backwardStart": self.start,
                "svg": _svg_element(svg) if svg is not None else None,
                "elements": self.elements() if svg is not None else [],
                "edges": self.edges() if svg is not None else [],
                "frames": self.frames(),
                "follow": self.follow(),
                "words": interface_words(),
                "textWords": self.words,
                "legend": legend(),
            }
        return document


def neighbourhood(timeline: Timeline, index: int) -> set[int]:
    """The nodes a frame's local view draws: its node, its inputs, its consumers and their other inputs."""
    snapshot = timeline.snapshot
    node = timeline.frame_node(index)
    chosen = {id(node)} | {id(x) for x in node.inputs}
    for consumer in snapshot.consumers.get(id(node), []):
        chosen.add(id(consumer))
        chosen.update(id(x) for x in consumer.inputs)
    if timeline.follow is not None and index in timeline.follow_frames:
        chosen.add(id(timeline.follow))
    if timeline.kind(index) == "update" and timeline.update is not None:
        chosen.update(id(p) for p in timeline.update.parameters[:12])
    return chosen


def local_view(timeline: Timeline, draw_options: DrawOptions, index: int) -> dict[str, Any]:
    """Frame ``index`` with its own small drawing: ``{"frame": entry, "view": {"svg", "elements", "edges"}}``."""
    options = dict(draw_options)
    options.pop("collapse", None)  # a neighbourhood is small already
    near = neighbourhood(timeline, index)
    scene = build_scene(timeline.snapshot, grads=timeline.grads_at(timeline.backward_index(index)), only=near,
                        grad_texts=timeline.widest_grad_texts(near), lang=timeline.lang, **options)
    document = stepper_document(timeline, scene, render_svg(scene.graph), frames=[index])
    return {"frame": document["frames"][index],
            "view": {key: document[key] for key in ("svg", "elements", "edges")}}


def local_document(timeline: Timeline, draw_options: DrawOptions, shipped: list[int],
                   network: Optional[NetworkPicture] = None) -> dict[str, Any]:
    """The document of a graph too big to lay out whole: each shipped frame carries its own neighbourhood.

    The other frames are null: the Jupyter widget asks its kernel for them
    (``local_view``); a page says they are not in it.
    """
    wanted = sorted({frame for frame in shipped if 0 <= frame < max(len(timeline), 1)})
    document = _Builder(timeline, None, []).build(None)
    document["local"] = True
    document["views"] = {}
    for frame in wanted:
        found = local_view(timeline, draw_options, frame)
        document["frames"][frame] = found["frame"]
        document["views"][str(frame)] = found["view"]
    if network is not None:
        document["network"] = network_document(network, timeline.snapshot)
    return document


def shipped_frames(timeline: Timeline, limit: int = SHIPPED_FRAMES) -> list[int]:
    """The frames a page of a too-big graph carries: the end of forward, each followed step, the update, then backward's first."""
    frames: list[int] = []
    if timeline.backward_start:
        frames.append(timeline.backward_start - 1)
    frames.extend(timeline.follow_frames)
    if timeline.update is not None:
        frames.append(len(timeline) - 1)
    start = timeline.backward_start
    frames.extend(range(start, min(start + limit, len(timeline))))
    return sorted(set(frames))[: limit + len(timeline.follow_frames) + 2]


def refuse_options_set_by_the_stepper(draw_options: DrawOptions, caller: str) -> None:
    """A TypeError if ``draw_options`` holds an option that the stepper sets for each frame."""
    for option in SET_BY_THE_STEPPER:
        if option in draw_options:
            raise TypeError(f"{caller} sets {option} itself")


def timeline_document(timeline: Timeline, draw_options: DrawOptions,
                      network: Optional[NetworkPicture] = None) -> dict[str, Any]:
    """The front end's document for ``timeline``: the graph laid out once by ``dot``, every frame's state.

    ``network`` (the caller's picture of the model, ``nn.network_picture``)
    adds the article's view of the network beside the scalar graph.
    """
    if network is not None:
        instance(network, "network", NetworkPicture)
    scene = build_scene(timeline.snapshot, grads=timeline.final_grads, grad_texts=timeline.widest_grad_texts(),
                        lang=timeline.lang, **draw_options)
    document = stepper_document(timeline, scene, render_svg(scene.graph))
    if network is not None:
        document["network"] = network_document(network, timeline.snapshot)
    return document


def stepper_document(timeline: Timeline, scene: Scene, svg: str,
                     frames: Optional[list[int]] = None) -> dict[str, Any]:
    """The stepper's whole state over ``scene`` (drawn from ``timeline``'s snapshot) as plain, JSON-ready data.

    ``frames`` limits the per-frame entries to those frames (the others are
    None): a neighbourhood drawn for one frame needs only that one.
    """
    return _Builder(timeline, scene, frames).build(svg)


def _svg_element(svg: str) -> str:
    """Graphviz's SVG from its ``<svg`` on (the XML prolog and doctype cannot sit inside HTML)."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def interface_words() -> dict[str, str]:
    """The front end's buttons, hints and headings, in the current language."""
    return {
        "prev": _("◀ Prev"), "next": _("Next ▶"), "previous_step": _("previous step"), "next_step": _("next step"),
        "step": _("step"), "zoom_in": _("zoom in"), "zoom_out": _("zoom out"), "whole": _("whole graph"),
        "whole_title": _("show the whole graph (small text); the next step zooms back in"),
        "slides": _("Slides"), "slides_title": _("slide mode: large type, the followed parameter pinned (S)"),
        "quiz": _("Quiz"), "quiz_title": _("quiz mode: type each gradient before it is shown (Q)"),
        "print": _("Print handout"), "print_fill": _("Print fill-in"), "print_key": _("Print answer key"),
        "check": _("Check"), "reveal": _("Reveal"), "right": _("Right: {answer}."),
        "wrong": _("Not yet: {given} is not it. Try again, or press Reveal."), "your_answer": _("your answer"),
        "following": _("Following {name}"), "contribution": _("contribution"), "row": _("row"),
        "row_n": _("row {row}"),
        "running_sum": _("running sum"), "sum_of_count": _("{sum} ({done}/{count})"), "added": _("adds"),
        "answer_key": _("Answer key"),
        "question": _("question"), "answer": _("answer"),
        "quiz_prompt": _("What does {name} receive from this step (local derivative × upstream)?"), "network": _("The network"),
        "keys": _("Keys: ← → step, Home/End first/last, [ ] the followed parameter's steps, S slides, Q quiz"),
        "blank": "______",
        "loading": _("Laying this step out…"),
        "not_shipped": _("This step's drawing is not in this page: the graph is too big to carry every step. "
                         "Step to a followed step, or open the stepper in Jupyter."),
    }


def document_json(document: dict[str, Any]) -> str:
    """The document as JSON safe inside ``<script>``: ``< > &`` as ``\\u`` escapes, so no label ends the element."""
    return (json.dumps(document, ensure_ascii=False, separators=(",", ":"))
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))
