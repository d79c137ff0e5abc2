"""Drawing a computation graph with Graphviz: ``draw(root) -> graphviz.Digraph``.

Every value is a rounded box showing its label, ``data`` and ``grad``; every
op is a small node showing the op's symbol, between its inputs and its
result. A value used twice (``a + a``) gets two edges, so gradient
accumulation is visible. Labels go into Graphviz HTML-like labels with every
character escaped, so any text (``| { } < > " \\ &``, newlines, Chinese) shows
as given, and the font has CJK glyphs.

Nodes built inside ``autograd.scope(...)`` (``nn``'s layers and neurons) are
grouped into nested clusters, and a scope can be collapsed into one box
showing its inputs and outputs, which keeps an MLP's graph readable. Node
ids are the snapshot's (``n<k>`` in topological order, as ``autograd.node_ids``
gives them): the same graph always yields the same DOT.

The labels themselves (a value's box, an op's node, a collapsed box's
table, an edge's derivative) are written by ``autograd.viz.labels``. Only
the drawing modules import ``graphviz``, and only when they are used.
"""

from __future__ import annotations

from collections.abc import Iterable
import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, Union

from ..i18n import language
from ..validation import choice, instance
from ..value import Value
from .inline import inline
from .labels import edge_label, group_label, op_label, value_label
from .numeric import LeafCheck, check_leaf_grads
from .optional import import_graphviz
from .palette import BORDER, CLUSTER_FILLS, CONTROL_BORDER, EDGE_COLOR, EDGE_LABEL_COLOR, FILL, HIGHLIGHT, INK, MUTED
from .snapshot import Snapshot
from .text import FONT, html_label_text, number, row_of

if TYPE_CHECKING:
    import graphviz

CollapseSpec = Union[str, Iterable[Union[str, tuple[str, ...]]]]
RANKDIRS = ("LR", "RL", "TB", "BT")


class DrawOptions(TypedDict, total=False):
    """The options of ``draw`` that the stepper and the HTML page pass on (they set the others)."""

    group_scopes: bool
    collapse: CollapseSpec
    hide_constants: bool
    edge_labels: Union[bool, str]
    rankdir: str
    deltas: Iterable[Value] | Value


BIG_GRAPH = 400  # nodes


@dataclass
class Element:
    """One drawn node: a value, an op, a constant or a collapsed group."""

    id: str
    kind: str  # "value", "op", "constant" or "group"
    members: list[Value]  # the values this element stands for
    grad_nodes: list[Value] = field(default_factory=list)  # whose grads it shows, in order
    data_nodes: list[Value] = field(default_factory=list)  # whose data it shows, in order
    trailing: int = 0  # rows of its label under the grad that never change (the δ badge, a check mark)


@dataclass
class Scene:
    """A drawing and what the stepper needs to restyle it frame by frame."""

    graph: "graphviz.Digraph"
    snapshot: Snapshot
    elements: list[Element]
    value_element: dict[int, str]  # id(node) -> element showing its data and grad
    op_element: dict[int, str]  # id(non-leaf node) -> element showing its op
    edge_consumers: dict[str, list[Value]]  # edge id -> the nodes whose steps use it


def draw(
    root: Union[Value, Snapshot],
    *,
    show_grads: bool = True,
    highlight: Iterable[Value] | Value = (),
    group_scopes: bool = True,
    collapse: CollapseSpec = (),
    hide_constants: bool = False,
    edge_labels: bool | str = False,
    check_grads: bool = False,
    rankdir: str = "LR",
    deltas: Iterable[Value] | Value = (),
    lang: str | None = None,
    show_deltas: None = None,
) -> "graphviz.Digraph":
    """The computation graph of ``root`` as a ``graphviz.Digraph`` (render it to SVG).

    - ``show_grads``: show each value's ``grad`` under its ``data``.
    - ``highlight``: values drawn with an orange border.
    - ``group_scopes``: nodes built in ``autograd.scope`` (nn's layers and
      neurons) are drawn inside nested boxes.
    - ``collapse``: scopes folded into one box showing their inputs and
      outputs: dotted names (``"L1.N2"``), path tuples, or a kind of scope,
      singular or plural, as the scopes' maker named it (``nn`` names
      ``"neuron"`` and ``"layer"`` scopes: ``collapse="neurons"``).
    - ``hide_constants``: numbers written into an expression (the 2 of
      ``x * 2``) are shown inside the op node rather than as nodes.
    - ``edge_labels``: each edge shows its local derivative; ``"rules"`` adds
      the op's rule (``d(a*b)/da = b``).
    - ``check_grads``: each leaf's gradient is checked by central differences
      (the root is evaluated again around the leaf) and marked ✓ or ✗.
    - ``rankdir``: ``"LR"`` (left to right), ``"TB"``, ``"RL"`` or ``"BT"``.
    - ``deltas``: the nodes that carry a badge δ = ∂L/∂z, their gradient
      (``z`` and ``L`` as the drawing names them); the caller says which:
      a network's weighted sums are ``nn.weighted_sums(loss, model)``.
    - ``lang``: the language of the words the drawing adds (``data``,
      ``grad``, ``[row k]``, a collapsed box's summary): ``"en"`` or ``"zh"``;
      None, the current language. Labels, numbers and formulas are as given.

    A node is named by its label, else by its formula in its inputs' names
    (``w1·x1``); a node built for row k of a batch shows ``[row k]``.
    ``root`` may be a ``Snapshot`` of the graph, shared with other views.
    Shown in a notebook, a drawing too wide to read at the output's width
    scrolls sideways instead of shrinking (``autograd.viz.inline``).
    """
    return inline(build_scene(
        root,
        show_grads=show_grads,
        highlight=highlight,
        group_scopes=group_scopes,
        collapse=collapse,
        hide_constants=hide_constants,
        edge_labels=edge_labels,
        check_grads=check_grads,
        rankdir=rankdir,
        deltas=deltas,
        lang=lang,
        show_deltas=show_deltas,
    ).graph)


def _draw_defaults() -> dict[str, Any]:
    """``draw``'s options and their defaults, read from its signature (the one place they are written)."""
    return {name: parameter.default for name, parameter in inspect.signature(draw).parameters.items()
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY}


def build_scene(
    root: Union[Value, Snapshot],
    *,
    grads: dict[int, float] | None = None,
    only: set[int] | None = None,
    grad_texts: dict[int, str] | None = None,
    **options: object,
) -> Scene:
    """``draw``'s work, keeping the element ids; ``options`` are ``draw``'s, with its defaults.

    ``grads`` (by ``id(node)``) replaces ``node.grad``; ``only`` (a set of
    ``id(node)``) draws just those nodes and the edges between them, with
    the ids they have in the whole graph. ``grad_texts`` (by ``id(node)``)
    is the text a value's grad cell is laid out for: a stepper gives the
    widest its frames will show, so ``(partial)`` stays inside the box.
    """
    settings = _draw_defaults()
    unknown = sorted(set(options) - set(settings))
    if unknown:
        raise TypeError(f"draw() got an unexpected keyword argument {unknown[0]!r}")
    settings.update(options)
    if settings.pop("show_deltas") is not None:
        # The drawing cannot tell a weighted sum from its name: the caller lists the nodes.
        raise TypeError("show_deltas is gone: pass deltas=[the nodes to badge], "
                        "e.g. deltas=nn.weighted_sums(loss, model) for a network's weighted sums")
    with language(settings.pop("lang")):
        return _build_scene(root, grads, only, settings, grad_texts)


def _build_scene(
    root: Union[Value, Snapshot], grads: dict[int, float] | None, only: set[int] | None, settings: dict[str, Any],
    grad_texts: dict[int, str] | None = None,
) -> Scene:
    # The settings are draw's options, given or defaulted: not checked yet (Any), each is just below.
    show_grads, highlight, group_scopes, collapse, hide_constants, edge_labels, check_grads, rankdir, deltas = (
        settings[name] for name in ("show_grads", "highlight", "group_scopes", "collapse", "hide_constants",
                                    "edge_labels", "check_grads", "rankdir", "deltas"))
    snapshot = Snapshot.of(root)
    for flag, given in (("show_grads", show_grads), ("group_scopes", group_scopes),
                        ("hide_constants", hide_constants), ("check_grads", check_grads)):
        instance(given, flag, bool)
    choice(rankdir, "rankdir", RANKDIRS)
    if not isinstance(edge_labels, bool):
        if not isinstance(edge_labels, str):
            raise TypeError(f"edge_labels must be a bool or 'rules', got {type(edge_labels).__name__}")
        choice(edge_labels, "edge_labels", ("rules",))
    graphviz = import_graphviz()
    order = snapshot.order
    builder = _Builder(
        snapshot, show_grads, _chosen(highlight, "highlight"), group_scopes, hide_constants, edge_labels, grads, only,
    )
    builder.deltas = _chosen(deltas, "deltas", snapshot)
    builder.grad_texts = grad_texts or {}
    builder.fold(_collapsed_paths(order, collapse))
    if check_grads:
        builder.check()
    dot = graphviz.Digraph(
        name="tracegrad",
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "bgcolor": "white",
            "nodesep": "0.22",
            "ranksep": "0.32",
            "pad": "0.15",
        },
        node_attr={"fontname": FONT, "fontsize": "11", "fontcolor": INK, "penwidth": "1.2"},
        edge_attr={"fontname": FONT, "fontsize": "9", "color": EDGE_COLOR, "arrowsize": "0.6"},
    )
    if len(order) > BIG_GRAPH:
        # Past a few hundred nodes, dot spends most of its time perfecting x
        # positions; a bounded network simplex halves the layout time and
        # looks the same.
        dot.graph_attr["nslimit"] = "0.3"
    if builder.groups:
        # Collapsed neurons of one layer are all wired to the same inputs and outputs, so every
        # rotation of N1..N16 crosses as many edges and dot's crossing minimisation happily
        # draws N9..N16 above N1..N8. Stopping it after (almost) no iterations keeps the order
        # the nodes are emitted in, which is the network's; the drawing is small, so it is fast too.
        dot.graph_attr["mclimit"] = "0.01"
    builder.emit(dot)
    return Scene(dot, snapshot, builder.elements, builder.value_element, builder.op_element, builder.edge_consumers)


def _chosen(nodes: Iterable[Value] | Value, what: str, snapshot: Snapshot | None = None) -> set[int]:
    """The ids of the nodes given as ``what`` (a Value or Values); with ``snapshot``, each must be in its graph."""
    if isinstance(nodes, Value):
        nodes = (nodes,)
    if not isinstance(nodes, Iterable) or isinstance(nodes, (str, bytes)):
        raise TypeError(f"{what} must be a Value or Values, got {type(nodes).__name__}")
    chosen = set()
    for position, node in enumerate(nodes):
        instance(node, f"{what}[{position}]", Value)
        if snapshot is not None and id(node) not in snapshot.ids:
            raise ValueError(f"{what}[{position}] ({node!r}) is not a node of the drawn graph")
        chosen.add(id(node))
    return chosen


def _scope_path(node: Value) -> tuple[str, ...]:
    node_scope = node.scope
    return node_scope.path if node_scope is not None else ()


def scope_kinds(order: list[Value]) -> dict[str, int]:
    """The kinds of scope in a graph (``autograd.scope(name, kind)``), each with the depth it is found at."""
    kinds: dict[str, int] = {}
    for node in order:
        node_scope = node.scope
        if node_scope is not None:
            for depth, kind in enumerate(node_scope.kinds, start=1):
                if kind:
                    kinds.setdefault(kind, depth)
    return kinds


def _collapsed_paths(order: list[Value], collapse: CollapseSpec) -> list[tuple[str, ...]]:
    """The scope paths to fold, outermost first.

    ``collapse`` is a name or a collection of names: a dotted scope name
    (``"L1.N2"``), a path tuple inside a collection (``[("L1", "N2")]``), or
    a kind of scope, singular or plural (``"neuron"``, ``"neurons"``): every
    scope of that kind.
    """
    if not isinstance(collapse, (str, Iterable)):
        raise TypeError(f"collapse must be a scope name or a collection of them, got {type(collapse).__name__}")
    items = [collapse] if isinstance(collapse, str) else list(collapse)
    known: set[tuple[str, ...]] = set()
    by_kind: dict[str, set[tuple[str, ...]]] = {}
    for node in order:
        node_scope = node.scope
        if node_scope is None:
            continue
        for depth in range(1, len(node_scope.path) + 1):
            path = node_scope.path[:depth]
            known.add(path)
            kind = node_scope.kinds[depth - 1] if depth <= len(node_scope.kinds) else ""
            if kind:
                by_kind.setdefault(kind, set()).add(path)
    chosen: set[tuple[str, ...]] = set()
    for item in items:
        if isinstance(item, str) and "." not in item:
            named = item if item in by_kind else item[:-1] if item.endswith("s") and item[:-1] in by_kind else None
            if named is not None and (item, ) not in known:
                chosen.update(by_kind[named])
                continue
        if isinstance(item, str):
            path = tuple(item.split("."))
        elif isinstance(item, tuple) and all(isinstance(part, str) for part in item):
            path = item
        else:
            raise TypeError(f"collapse takes scope names or path tuples, got {item!r}")
        if path not in known:
            listed = ", ".join(sorted(".".join(p) for p in known)[:12]) or "none"
            kinds = ", ".join(f"{kind}s" for kind in sorted(by_kind)) or "none"
            raise ValueError(f"collapse: no scope {'.'.join(path)!r} in this graph "
                             f"(scopes: {listed}; kinds: {kinds})")
        chosen.add(path)
    return sorted(chosen, key=lambda path: (len(path), path))


class _Builder:
    """Turns the nodes of one graph into elements, clusters and edges."""

    def __init__(
        self, snapshot: Snapshot, show_grads: bool, highlight: set[int],
        group_scopes: bool, hide_constants: bool, edge_labels: bool | str,
        grads: dict[int, float] | None, only: set[int] | None = None,
    ) -> None:
        self.snapshot = snapshot
        self.root = snapshot.root
        self.order = order = snapshot.order
        self.ids = snapshot.ids
        self.names = snapshot.names
        self.show_grads = show_grads
        self.highlight = highlight
        self.group_scopes = group_scopes
        self.hide_constants = hide_constants
        self.edge_labels = edge_labels
        self.grads = grads
        self.grad_texts: dict[int, str] = {}  # id(node) -> the grad text its cell is laid out for
        self.only = only
        self.group_of: dict[int, int] = {}  # id(node) -> index of its collapsed group
        self.groups: list[tuple[str, ...]] = []
        self.checks: dict[int, LeafCheck] = {}
        self.elements: list[Element] = []
        self.value_element: dict[int, str] = {}
        self.op_element: dict[int, str] = {}
        self.edge_consumers: dict[str, list[Value]] = {}
        self.cluster_count = 0
        self.deltas: set[int] = set()  # id(node) of the nodes wearing a δ badge
        self.consumers = snapshot.consumers
        # Where each node is drawn: its scope; a leaf built outside any scope
        # (nn makes parameters before it runs them in their neuron's scope)
        # goes into the scope of its uses when they all share one.
        self.paths: dict[int, tuple[str, ...]] = {}
        for node in order:
            path = _scope_path(node)
            if not path and node.is_leaf:
                used_in = {_scope_path(consumer) for consumer in self.consumers.get(id(node), ())}
                if len(used_in) == 1:
                    path = used_in.pop()
            self.paths[id(node)] = path

    def grad(self, node: Value) -> float:
        return self.grads[id(node)] if self.grads is not None else node.grad

    def hidden(self, node: Value) -> bool:
        if self.only is not None and id(node) not in self.only:
            return True
        return self.folded(node)

    def folded(self, node: Value) -> bool:
        """Whether a constant is written into its op's node instead of drawn."""
        return self.hide_constants and node.is_constant and node is not self.root

    # --- collapsing and checking ---

    def fold(self, paths: list[tuple[str, ...]]) -> None:
        if not paths:
            return
        index_of: dict[tuple[str, ...], int] = {}
        for node in self.order:
            path = self.paths[id(node)]
            for depth in range(1, len(path) + 1):
                if path[:depth] in paths:  # outermost collapsed scope wins
                    group = index_of.get(path[:depth])
                    if group is None:
                        group = index_of[path[:depth]] = len(self.groups)
                        self.groups.append(path[:depth])
                    self.group_of[id(node)] = group
                    break

    def check(self) -> None:
        leaves = [node for node in self.order if node.is_leaf and not self.hidden(node)
                  and id(node) not in self.group_of]
        analytic = {id(node): self.grad(node) for node in leaves}
        self.checks = check_leaf_grads(self.snapshot, leaves, analytic)

    # --- the graph ---

    def emit(self, dot: "graphviz.Digraph") -> None:
        placed: dict[tuple[str, ...], list[tuple[str, str, dict[str, str]]]] = {}
        cluster_order: list[tuple[str, ...]] = []
        rows: dict[str, int | None] = {}

        def place(cluster: tuple[str, ...], name: str, label: str, attrs: dict[str, str],
                  row: int | None = None) -> None:
            if not self.group_scopes:
                cluster = ()
            if cluster not in placed:
                placed[cluster] = []
                cluster_order.append(cluster)
            placed[cluster].append((name, label, attrs))
            rows[name] = row

        group_members: dict[int, list[Value]] = {}
        for node in self.order:
            group = self.group_of.get(id(node))
            if group is not None:
                group_members.setdefault(group, []).append(node)
        group_ids = {index: f"g{index}" for index in range(len(self.groups))}
        group_outputs: dict[int, list[Value]] = {}
        output_port: dict[int, str] = {}
        group_emitted: set[int] = set()

        for node in self.order:
            key = id(node)
            node_id = self.ids[key]
            group = self.group_of.get(key)
            if group is not None:
                if group in group_emitted:
                    continue
                group_emitted.add(group)
                members = group_members[group]
                member_ids = {id(member) for member in members}
                outputs = [
                    member for member in members
                    if member is self.root
                    or any(id(consumer) not in member_ids for consumer in self.consumers.get(id(member), ()))
                ]
                external = {
                    id(x) for member in members for x in member.inputs
                    if id(x) not in member_ids and not self.hidden(x)
                }
                group_outputs[group] = outputs
                gid = group_ids[group]
                for position, output in enumerate(outputs):
                    output_port[id(output)] = f"{gid}:o{position}:e"
                for member in members:
                    self.value_element[id(member)] = gid
                    if not member.is_leaf:
                        self.op_element[id(member)] = gid
                self.elements.append(Element(gid, "group", members, list(outputs) if self.show_grads else [],
                                             list(outputs)))
                highlighted = any(id(member) in self.highlight for member in members)
                attrs = {
                    "id": gid, "class": "group", "shape": "box", "style": "rounded,filled",
                    "fillcolor": FILL["highlight"] if highlighted else FILL["group"],
                    "color": HIGHLIGHT if highlighted else BORDER["group"],
                    "penwidth": "3" if highlighted else "1.4",
                    "margin": "0.06,0.04",
                }
                label = group_label(self.groups[group], members, outputs, len(external), self.names,
                                    self.grad if self.show_grads else None)
                place(self.groups[group][:-1], gid, label, attrs)
                continue
            if self.hidden(node):
                continue
            cluster = self.paths[key]
            if node.is_constant:
                kind = "constant"
                label = f"<{html_label_text(number(node.data))}>"
                attrs = {"id": node_id, "class": "constant", "shape": "box", "style": "rounded,filled",
                         "fillcolor": FILL["constant"], "color": BORDER["constant"], "fontsize": "10",
                         "fontcolor": MUTED, "margin": "0.04,0.02", "width": "0.3", "height": "0.25"}
                self.elements.append(Element(node_id, kind, [node]))
            else:
                kind = "root" if node is self.root else "leaf" if node.is_leaf else "inner"
                delta = self.names(self.root) if key in self.deltas else None
                label = value_label(node, self.names(node), self.grad(node), self.show_grads, delta,
                                    self.checks.get(key), self.grad_texts.get(key))
                highlighted = key in self.highlight
                attrs = {
                    "id": node_id, "class": f"value {kind}", "shape": "box", "style": "rounded,filled",
                    "fillcolor": FILL["highlight"] if highlighted else FILL[kind],
                    "color": HIGHLIGHT if highlighted else BORDER[kind],
                    "penwidth": "3" if highlighted else "1.6" if kind == "root" else "1.2",
                    "margin": "0.06,0.03",
                }
                trailing = int(key in self.deltas) + int(key in self.checks)
                self.elements.append(Element(node_id, "value", [node], [node] if self.show_grads else [], [node],
                                             trailing))
            self.value_element[key] = node_id
            place(cluster, node_id, label, attrs, row_of(node))
            if not node.is_leaf:
                op_id = f"{node_id}_op"
                op_text = op_label(node, self.folded)
                short = len(op_text) <= 4  # "<+>" or "<**>": a circle fits
                place(cluster, op_id, op_text, row=row_of(node), attrs={
                    "id": op_id, "class": "op", "shape": "circle" if short else "ellipse",
                    "style": "filled", "fillcolor": FILL["op"], "color": BORDER["op"],
                    "fontsize": "14" if short else "10", "width": "0.32", "height": "0.32",
                    "margin": "0.02,0.01", "fixedsize": "false",
                })
                self.op_element[key] = op_id
                self.elements.append(Element(op_id, "op", [node]))

        # Row 1 first, row 10 last, in every cluster: dot keeps the order nodes come in where
        # nothing else decides it, so a batch reads top to bottom as its table does.
        for items in placed.values():
            items.sort(key=lambda item: rows[item[0]] or 0)
        # Clusters, outermost first; root-level nodes (shared inputs) before any cluster.
        for name, label, attrs in placed.get((), []):
            dot.node(name, label, **attrs)
        self.emit_clusters(dot, (), placed, cluster_order)
        self.emit_edges(dot, group_ids, output_port)

    def emit_clusters(
        self, parent: "graphviz.Digraph", prefix: tuple[str, ...],
        placed: dict[tuple[str, ...], list[tuple[str, str, dict[str, str]]]],
        cluster_order: list[tuple[str, ...]],
    ) -> None:
        children: list[tuple[str, ...]] = []
        for path in cluster_order:
            if len(path) > len(prefix) and path[: len(prefix)] == prefix:
                child = path[: len(prefix) + 1]
                if child not in children:
                    children.append(child)
        for child in children:
            self.cluster_count += 1
            name = f"cluster_{self.cluster_count}"
            with parent.subgraph(name=name) as cluster:
                depth = len(child)
                cluster.attr(
                    label=f"<<B>{html_label_text('.'.join(child))}</B>>",
                    style="rounded,filled", fillcolor=CLUSTER_FILLS[(depth - 1) % len(CLUSTER_FILLS)],
                    color=CONTROL_BORDER, fontsize="11", fontcolor=MUTED, labeljust="l", id=name,
                )
                for node_name, label, attrs in placed.get(child, []):
                    cluster.node(node_name, label, **attrs)
                self.emit_clusters(cluster, child, placed, cluster_order)

    def emit_edges(self, dot: "graphviz.Digraph", group_ids: dict[int, str], output_port: dict[int, str]) -> None:
        merged: dict[tuple[str, str], list[Value]] = {}
        merged_order: list[tuple[str, str]] = []
        for node in self.order:
            if node.is_leaf or self.hidden(node):
                continue
            key = id(node)
            node_id = self.ids[key]
            node_group = self.group_of.get(key)
            if node_group is None:
                out_id = f"e_{node_id}_out"
                dot.edge(f"{node_id}_op", node_id, id=out_id, **{"class": "out"})
                self.edge_consumers[out_id] = [node]
            for position, (source, local_grad) in enumerate(zip(node.inputs, node.local_grads)):
                if self.hidden(source):
                    continue
                source_group = self.group_of.get(id(source))
                if node_group is not None and source_group == node_group:
                    continue  # inside one collapsed box
                tail = output_port[id(source)] if source_group is not None else self.ids[id(source)]
                head = group_ids[node_group] if node_group is not None else f"{node_id}_op"
                if source_group is not None or node_group is not None:
                    pair = (tail, head)
                    if pair not in merged:
                        merged[pair] = []
                        merged_order.append(pair)
                    merged[pair].append(node)
                    continue
                edge_id = f"e_{node_id}_{position}"
                attrs = {"id": edge_id, "class": "in"}
                if self.edge_labels:
                    op = node.op
                    assert op is not None  # a node with inputs
                    rule = op.rules[position] if self.edge_labels == "rules" else None
                    attrs["label"] = edge_label(self.names(node), self.names(source), local_grad, rule)
                    attrs["fontcolor"] = EDGE_LABEL_COLOR
                dot.edge(tail, head, **attrs)
                self.edge_consumers[edge_id] = [node]
        for index, (tail, head) in enumerate(merged_order):
            users = merged[(tail, head)]
            edge_id = f"e_m{index}"
            attrs = {"id": edge_id, "class": "in"}
            if len(users) > 1:
                attrs["label"] = f"<×{len(users)}>"
                attrs["fontcolor"] = MUTED
            dot.edge(tail, head, **attrs)
            self.edge_consumers[edge_id] = users
