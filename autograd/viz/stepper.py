"""``Stepper(loss)``: step through forward, then backward, in Jupyter, one node at a time.

The stepper is data plus one front end. Python computes the whole timeline
once (``autograd.viz.document``: the graph laid out by Graphviz, every
frame's state, values, gradients and sentences in the chosen language);
the front end (``front/stepper.js``) draws it, the same module as the
self-contained page's. In Jupyter, ``Stepper`` is an anywidget: stepping
runs in the browser with no kernel round trip and keeps working after the
kernel stops; a saved notebook, nbconvert's HTML or a built site shows the
same stepper through its ``text/html`` fallback.

Each frame draws the graph with the current node in orange, the inputs it
reads (forward) or passes gradient to (backward) in blue (not constants
such as the 2 of ``x * 2``: nothing updates them), values not computed yet
as ``?``, gradients marked partial until final, and the step's arithmetic
and one sentence of explanation beside it. A camera keeps the current node
(and, when it receives, the followed parameter) on screen at a readable
size. ``follow=b`` adds buttons that jump between exactly the backward
steps that add to ``b.grad`` and a table of its contributions; ``lr=0.1``
adds a last frame: ``p ← p − lr·grad`` for exactly the leaves in ``params=``
(default: the labelled leaves that are no constant and belong to no batch
row; data never moves), how many others keep their values, and the loss after
the update (the user's graph is not changed); ``network=`` (from
``nn.network_picture``) adds the article's picture of the network.

Everything can be driven from Python without a browser: ``next()``,
``prev()``, ``next_followed()``, ``prev_followed()``, ``index``,
``frame_svg()``, ``frame_text()``; moving in Python moves the widget, never
the other way round (a click sends nothing to the kernel). A graph of more
than ``LOCAL_VIEW_ABOVE`` nodes (too big for one readable layout) is drawn
frame by frame as the current node's neighbourhood: the widget asks its
kernel for each new frame, a page or a saved notebook carries the frames
``shipped_frames`` picks. Without Graphviz's ``dot`` (or when it fails or
runs past its time limit), the Jupyter display shows the text of each frame.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable, Union

from ..i18n import Catalogue, language
from ..validation import choice
from ..value import Value
from . import frontend
from .document import (
    WHOLE_GRAPH_BUDGET, document_json, local_document, local_view, lookup, refuse_options_set_by_the_stepper,
    shipped_frames, timeline_document,
)
from .dot import DotFailed
from .inline import SVG_NAMESPACE
from .draw import DrawOptions
from .network import NetworkPicture
from .optional import IPYWIDGETS_HINT, import_anywidget
from .snapshot import Snapshot
from .timeline import Timeline, frame_title
from .update import chosen_params

if TYPE_CHECKING:
    from typing_extensions import Unpack

_ = Catalogue("views").gettext

LOCAL_VIEW_ABOVE = WHOLE_GRAPH_BUDGET  # nodes; past this, each frame draws the current node's neighbourhood
CACHED_FRAMES = 64
VIEWS = ("auto", "graph", "local")


class StepperCore:
    """Stepping through ``loss``'s forward and backward passes, frame by frame, from Python.

    ``view`` is ``"graph"`` (the whole graph, laid out once), ``"local"``
    (``frame_svg`` draws the current node's neighbourhood, laid out per frame)
    or ``"auto"`` (whole graph up to ``LOCAL_VIEW_ABOVE`` nodes). Other keyword
    arguments go to ``draw`` (``group_scopes``, ``hide_constants``,
    ``rankdir``...). The gradients shown are those of a fresh backward pass;
    the graph's own ``grad`` values are left untouched. ``loss`` may be a
    ``Snapshot`` of the loss's graph. ``lang`` (``"en"``, ``"zh"``; None: the
    current language) is the language of every word the stepper shows.
    """

    def _setup(
        self, loss: Union[Value, Snapshot], view: str, follow: Value | None, lr: float | None,
        params: Iterable[Value] | None, forward: bool, lang: str | None, draw_options: DrawOptions,
        network: NetworkPicture | None = None,
    ) -> None:
        snapshot = Snapshot.of(loss, "loss")
        with language(lang) as chosen:
            self.lang = chosen
        choice(view, "view", VIEWS)
        refuse_options_set_by_the_stepper(draw_options, "Stepper")
        self.snapshot = snapshot
        self.loss = snapshot.root
        self.timeline = Timeline(snapshot, follow=follow, lr=lr, params=params, forward=forward,
                                 lang=self.lang)
        self.steps = self.timeline.steps
        self.forward_steps = self.timeline.forward
        self.follow_frames = self.timeline.follow_frames
        self.draw_options = draw_options
        self.network = network
        if view == "auto":
            view = "local" if len(snapshot.order) > LOCAL_VIEW_ABOVE else "graph"
        self.view = view
        self._index = 0
        self._document: dict[str, Any] | None = None
        self._cache: OrderedDict[int, str] = OrderedDict()

    # --- driving it from Python ---

    def __len__(self) -> int:
        """The number of frames: forward steps, backward steps, and the update if ``lr`` was given."""
        return len(self.timeline)

    @property
    def index(self) -> int:
        """The current frame, from 0."""
        return self._index

    @index.setter
    def index(self, value: int) -> None:
        self.go(value)

    def go(self, index: int) -> None:
        """Show frame ``index`` (clamped to the frames there are)."""
        last = max(len(self.timeline) - 1, 0)
        self._index = min(max(int(index), 0), last)
        self._shown(self._index)

    def _shown(self, index: int) -> None:
        """Tells the front end (the widget) which frame Python moved to."""

    def next(self) -> None:
        """One frame further."""
        self.go(self._index + 1)

    def prev(self) -> None:
        """One frame back."""
        self.go(self._index - 1)

    def next_followed(self) -> None:
        """Jump to the next step that adds to the followed node's grad (``follow=``)."""
        later = [frame for frame in self.follow_frames if frame > self._index]
        if later:
            self.go(later[0])

    def prev_followed(self) -> None:
        """Jump back to the previous step that adds to the followed node's grad."""
        earlier = [frame for frame in self.follow_frames if frame < self._index]
        if earlier:
            self.go(earlier[-1])

    def frame_text(self, index: int | None = None) -> str:
        """The arithmetic and explanation of a frame (the current one by default)."""
        return self.timeline.text(self._index if index is None else index)

    def frame_title(self, index: int | None = None) -> str:
        """``Forward 3 of 8: w1·x1``, ``Backward 2 of 8: z``, ``The update``: what a frame shows."""
        return frame_title(self.timeline, self._index if index is None else index)

    @property
    def document(self) -> dict[str, Any]:
        """The front end's document: the whole graph laid out once, every frame's state (made on first use)."""
        if self._document is None:
            with language(self.lang):
                if self.view == "graph":
                    self._document = timeline_document(self.timeline, self.draw_options, self.network)
                else:
                    self._document = local_document(self.timeline, self.draw_options, shipped_frames(self.timeline),
                                                    self.network)
        return self._document

    def frame_svg(self, index: int | None = None) -> str:
        """The drawing of a frame (the current one by default), as SVG text."""
        with language(self.lang):  # a DotFailed message too
            return self._frame_svg(self._index if index is None else index)

    def _frame_svg(self, index: int) -> str:
        if self.view == "graph":
            return paint_svg(self.document, index)
        cached = self._cache.get(index)
        if cached is None:
            cached = self._local_frame(index)
            self._cache[index] = cached
            while len(self._cache) > CACHED_FRAMES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return cached

    def _local_frame(self, index: int) -> str:
        """The current node's neighbourhood, laid out alone and painted from a document of its own."""
        found = local_view(self.timeline, self.draw_options, index)
        return paint_svg({**found["view"], "frames": {index: found["frame"]}}, index)

    def static_html(self) -> str:
        """The stepper as an HTML fragment that steps with no kernel (a saved notebook's or a site's view)."""
        return frontend.embed(self.document, title="")

    def text_bundle(self, note: str = "") -> dict[str, str]:
        """The current frame as text, for displays that cannot draw."""
        return {"text/plain": f"{self!r}\n{self.frame_text()}" + (f"\n{note}" if note else "")}

    def __repr__(self) -> str:
        with language(self.lang):
            return _("Stepper({forward} forward and {backward} backward steps, at frame {frame} of {count}, "
                     "view={view})").format(forward=len(self.forward_steps), backward=len(self.steps),
                                            frame=self._index + 1, count=len(self.timeline), view=repr(self.view))


def paint_svg(document: dict[str, Any], index: int) -> str:
    """The document's drawing as frame ``index`` shows it: each element's state class and texts, looked up.

    The front end does the same in the browser (``Painter.paint``); both
    read the states from the document, nothing is decided here.
    """
    root = ET.fromstring(document["svg"])
    namespace = f"{{{SVG_NAMESPACE}}}"
    groups = {group.get("id"): group for group in root.iter(f"{namespace}g") if group.get("id")}
    frame = document["frames"][index]
    flags: dict[str, list[str]] = {}
    for key, flag in (("reading", "tg-reading"), ("receiving", "tg-receiving"), ("updated", "tg-updated"),
                      ("edges", "tg-active"), ("current", "tg-current")):
        for element_id in frame.get(key) or []:
            flags.setdefault(element_id, []).append(flag)
    for entry in (*document["elements"], *document["edges"]):
        group = groups.get(entry["id"])
        if group is None:
            continue
        classes = [group.get("class", ""), f"tg-{lookup(entry['states'], index)}", *flags.get(entry["id"], [])]
        group.set("class", " ".join(c for c in classes if c))
        group.set("data-node", entry["id"])
        if "name" in entry:
            group.set("data-name", entry["name"])
        texts = list(group.iter(f"{namespace}text"))
        for text in entry.get("texts", []):
            if text["fromEnd"] <= len(texts):
                texts[-text["fromEnd"]].text = lookup(text["changes"], index)
    if frame["current"] and frame["current"][0] in groups:  # the value node the frame is about
        groups[frame["current"][0]].set("data-current", "")
    return ET.tostring(root, encoding="unicode")


def _widget_base() -> type:
    """anywidget's AnyWidget when it is installed (the ``notebook`` extra), else a plain object."""
    try:
        return import_anywidget().AnyWidget
    except ImportError:
        return object


_Base: Any = _widget_base()


class Stepper(StepperCore, _Base):
    """A Jupyter widget stepping through ``loss``'s forward and backward passes node by node (see ``StepperCore``).

    With anywidget installed this is an ``anywidget.AnyWidget`` running the
    front end in the browser; without it, everything but the widget works
    (text, ``frame_svg``, ``static_html``).
    """

    if _Base is not object:
        import traitlets as _traitlets

        _esm = frontend.script()
        frame = _traitlets.Int(0).tag(sync=True)
        document_text = _traitlets.Unicode("").tag(sync=True)
        title = _traitlets.Unicode("").tag(sync=True)
        del _traitlets

    def __init__(
        self, loss: Union[Value, Snapshot], *, view: str = "auto", follow: Value | None = None,
        lr: float | None = None, params: Iterable[Value] | None = None, forward: bool = True,
        lang: str | None = None, network: NetworkPicture | None = None, parameters: Iterable[Value] | None = None,
        **draw_options: Unpack[DrawOptions]
    ) -> None:
        params = chosen_params(params, parameters, "Stepper")  # parameters=: the old name, deprecated
        self._setup(loss, view, follow, lr, params, forward, lang, draw_options, network)
        if _Base is not object:
            self._css = frontend.style(self.lang)  # read by AnyWidget.__init__
            super().__init__()

    def _shown(self, index: int) -> None:
        if _Base is not object and self.document_text:
            self.frame = index

    @property
    def widget(self) -> "Stepper":
        """The widget itself, its document made (kept for code written for the old ipywidgets stepper)."""
        self._prepare_widget()
        return self

    def _prepare_widget(self) -> None:
        if _Base is object:
            import_anywidget()  # raises, naming the extra to install
        if not self.document_text:
            self.document_text = document_json(self.document)
            self.frame = self._index
            self.on_msg(self._on_message)

    def _on_message(self, _widget: object, content: Any, _buffers: object) -> None:
        """The front end asks for a frame of a too-big graph: its neighbourhood, laid out now."""
        if not isinstance(content, dict) or content.get("type") != "frame":
            return
        index = content.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < max(len(self.timeline), 1):
            return
        with language(self.lang):
            try:
                found = local_view(self.timeline, self.draw_options, index)
            except DotFailed as error:
                found = {"frame": None, "view": None, "error": str(error)}
        self.send({"type": "frame", "index": index, "payload": document_json(found)})

    def _repr_mimebundle_(self, **kwargs: Any) -> object:
        """The widget, with a ``text/html`` fallback that steps without a kernel; text when it cannot draw."""
        try:
            with language(self.lang):
                self._prepare_widget()
        except ImportError:
            with language(self.lang):
                note = _("(the Jupyter Stepper needs anywidget: {hint})").format(hint=IPYWIDGETS_HINT)
            bundle = self.text_bundle(note)
            try:
                bundle["text/html"] = self.static_html()
            except DotFailed:
                pass
            return bundle
        except DotFailed as error:
            return self.text_bundle(f"({error})")
        data = super()._repr_mimebundle_(**kwargs)
        if isinstance(data, tuple):
            data, metadata = data
        else:
            metadata = None
        data = dict(data or {})
        data["text/html"] = self.static_html()
        data["text/plain"] = self.text_bundle()["text/plain"]
        return (data, metadata) if metadata is not None else data
