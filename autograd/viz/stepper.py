"""``Stepper(loss)``: step through forward, then backward, in Jupyter, one node at a time.

Prev / Next buttons and a slider move through the frames: the steps of
forward (``forward_steps``: each node computed from its inputs, its local
derivatives recorded), then the steps of backward (``backward_steps``).
Each frame draws the graph with the current node highlighted in orange, the
inputs it reads (forward) or passes gradient to (backward) in blue (not
constants such as the 2 of ``x * 2``: nothing updates them), values not
computed yet as ``?``, gradients marked partial until final, and the step's
arithmetic and one sentence of explanation underneath.

``follow=b`` adds buttons that jump between exactly the backward steps that
add to ``b.grad``, each frame showing the running sum, the last the total.
``lr=0.1`` adds a last frame: every parameter's ``p ← p − lr·grad`` and the
loss after the update (the user's graph is not changed).

Frames are made when shown, never in advance. A small graph is laid out
once and each frame restyles that one SVG; a large graph (more than
``LOCAL_VIEW_ABOVE`` nodes) shows, per frame, the neighbourhood of the
current node (its inputs, its consumers and their other inputs), laid out
in a few milliseconds, so a stepper over thousands of nodes opens at once.

Everything can be driven from Python without a browser: ``next()``,
``prev()``, ``next_followed()``, ``prev_followed()``, ``index``,
``frame_svg()``, ``frame_text()``; the widgets are ``prev_button``,
``next_button`` and ``slider``. Without Graphviz's ``dot`` (or when it
fails or runs past its time limit), the widget and the Jupyter display show
the text of each frame.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Iterable, Union

from ..i18n import Catalogue, language
from ..validation import choice
from ..value import Value
from .draw import DrawOptions, build_scene
from .dot import DotFailed, render_svg
from .frames import Frames
from .optional import IPYWIDGETS_HINT, import_ipywidgets
from .palette import PANEL, legend_html
from .snapshot import Snapshot
from .text import grad_of
from .timeline import Timeline

if TYPE_CHECKING:
    import ipywidgets
    from typing_extensions import Unpack

_ = Catalogue("views").gettext

LOCAL_VIEW_ABOVE = 300  # nodes; past this, frames show the current node's neighbourhood
CACHED_FRAMES = 64
WINDOW = (980.0, 560.0)  # points: a larger whole-graph frame is cropped around the current node
VIEWS = ("auto", "graph", "local")
# draw's options that the stepper and the HTML page set themselves.
SET_BY_THE_STEPPER = ("show_grads", "highlight", "check_grads")


def refuse_options_set_by_the_stepper(draw_options: DrawOptions, caller: str) -> None:
    """A TypeError if ``draw_options`` holds an option that the stepper sets for each frame."""
    for option in SET_BY_THE_STEPPER:
        if option in draw_options:
            raise TypeError(f"{caller} sets {option} itself")


class Stepper:
    """A Jupyter widget stepping through ``loss.backward()`` node by node.

    ``view`` is ``"graph"`` (the whole graph, laid out once), ``"local"``
    (the current node's neighbourhood, laid out per frame) or ``"auto"``
    (whole graph up to ``LOCAL_VIEW_ABOVE`` nodes). Other keyword arguments
    go to ``draw`` (``group_scopes``, ``hide_constants``, ``rankdir``...).
    The gradients shown are those of a fresh backward pass; the graph's own
    ``grad`` values are left untouched. ``loss`` may be a ``Snapshot`` of
    the loss's graph: every frame is drawn from that one walk of the graph.
    ``lang`` (``"en"``, ``"zh"``; None: the current language) is the
    language of every word the widget shows, its drawings' included.
    """

    def __init__(
        self, loss: Union[Value, Snapshot], *, view: str = "auto", follow: Value | None = None,
        lr: float | None = None, parameters: Iterable[Value] | None = None, forward: bool = True,
        lang: str | None = None, **draw_options: Unpack[DrawOptions]
    ) -> None:
        snapshot = Snapshot.of(loss, "loss")
        with language(lang) as chosen:
            self.lang = chosen
        choice(view, "view", VIEWS)
        refuse_options_set_by_the_stepper(draw_options, "Stepper")
        self.snapshot = snapshot
        self.loss = snapshot.root
        self.timeline = Timeline(snapshot, follow=follow, lr=lr, parameters=parameters, forward=forward,
                                 lang=self.lang)
        self.steps = self.timeline.steps
        self.forward_steps = self.timeline.forward
        self.follow_frames = self.timeline.follow_frames
        self.draw_options = draw_options
        if view == "auto":
            view = "local" if len(snapshot.order) > LOCAL_VIEW_ABOVE else "graph"
        self.view = view
        self._index = 0
        self._whole: Frames | None = None
        self._cache: OrderedDict[int, str] = OrderedDict()
        self._widget: ipywidgets.VBox | None = None
        self._shown = -1

    # --- driving it from Python ---

    def __len__(self) -> int:
        """The number of frames: forward steps, backward steps, and the update if ``lr`` was given."""
        return len(self.timeline)

    @property
    def index(self) -> int:
        """The current step, from 0."""
        return self._index

    @index.setter
    def index(self, value: int) -> None:
        self.go(value)

    def go(self, index: int) -> None:
        """Show step ``index`` (clamped to the steps there are)."""
        last = max(len(self.timeline) - 1, 0)
        self._index = min(max(int(index), 0), last)
        if self._widget is not None:
            if self.slider.value != self._index + 1:
                self.slider.value = self._index + 1  # its observer refreshes the frame
            else:
                self._refresh()

    def next(self) -> None:
        """One step further through backward."""
        self.go(self._index + 1)

    def prev(self) -> None:
        """One step back."""
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

    def frame_svg(self, index: int | None = None) -> str:
        """The drawing of a step (the current one by default), as SVG text."""
        with language(self.lang):  # a DotFailed message too
            return self._frame_svg(self._index if index is None else index)

    def _frame_svg(self, index: int) -> str:
        if self.view == "graph":
            frames = self._whole_frames()
            return frames.svg(index, window=WINDOW)
        cached = self._cache.get(index)
        if cached is None:
            cached = self._local_frame(index)
            self._cache[index] = cached
            while len(self._cache) > CACHED_FRAMES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(index)
        return cached

    # --- making frames ---

    def _whole_frames(self) -> Frames:
        if self._whole is None:
            scene = build_scene(self.snapshot, grads=self.timeline.final_grads, lang=self.lang, **self.draw_options)
            self._whole = Frames(self.timeline, scene, render_svg(scene.graph))
        return self._whole

    def _neighbourhood(self, index: int) -> set[int]:
        if not self.steps:
            return {id(self.loss)}
        node = self.timeline.frame_node(index)
        chosen = {id(node)} | {id(x) for x in node.inputs}
        for consumer in self.snapshot.consumers.get(id(node), []):
            chosen.add(id(consumer))
            chosen.update(id(x) for x in consumer.inputs)
        return chosen

    def _local_frame(self, index: int) -> str:
        options = dict(self.draw_options)
        options.pop("collapse", None)  # a neighbourhood is small already
        backward_index = self.timeline.backward_index(index)
        scene = build_scene(
            self.snapshot, grads=self.timeline.grads_at(backward_index), only=self._neighbourhood(index),
            lang=self.lang, **options
        )
        frames = Frames(self.timeline, scene, render_svg(scene.graph))
        return frames.svg(index)

    # --- the widget ---

    @property
    def widget(self) -> ipywidgets.VBox:
        """The ipywidgets box (built on first use)."""
        if self._widget is None:
            self._build_widget()
        return self._widget

    def _build_widget(self) -> None:
        widgets = import_ipywidgets()
        with language(self.lang):
            self._build_widget_in(widgets)

    def _build_widget_in(self, widgets: Any) -> None:
        count = max(len(self.timeline), 1)
        self.prev_button = widgets.Button(description=_("◀ Prev"), tooltip=_("previous step"),
                                          layout=widgets.Layout(width="90px"))
        self.next_button = widgets.Button(description=_("Next ▶"), tooltip=_("next step"),
                                          layout=widgets.Layout(width="90px"))
        self.slider = widgets.IntSlider(value=self._index + 1, min=1, max=count, description=_("step"),
                                        continuous_update=True, layout=widgets.Layout(width="420px"))
        self.counter = widgets.HTML()
        self.figure = widgets.HTML(layout=widgets.Layout(overflow="auto", max_height="640px"))
        self.arithmetic = widgets.HTML()
        self.prev_button.on_click(lambda _button: self.prev())
        self.next_button.on_click(lambda _button: self.next())
        self.slider.observe(self._on_slider, names="value")
        buttons = [self.prev_button, self.next_button]
        if self.timeline.follow is not None:
            name = self.snapshot.names(self.timeline.follow)
            self.prev_followed_button = widgets.Button(
                description=f"◀ {name}", tooltip=_("previous step adding to {grad}").format(grad=grad_of(name)))
            self.next_followed_button = widgets.Button(
                description=f"{name} ▶", tooltip=_("next step adding to {grad}").format(grad=grad_of(name)))
            self.prev_followed_button.on_click(lambda _button: self.prev_followed())
            self.next_followed_button.on_click(lambda _button: self.next_followed())
            buttons += [self.prev_followed_button, self.next_followed_button]
        controls = widgets.HBox([*buttons, self.slider, self.counter])
        self._widget = widgets.VBox([controls, widgets.HTML(legend_html()), self.figure, self.arithmetic])
        self._refresh()

    def _on_slider(self, change: dict[str, Any]) -> None:
        self._index = int(change["new"]) - 1
        self._refresh()

    def _refresh(self) -> None:
        if self._widget is None or self._shown == self._index:
            return
        with language(self.lang):
            self._refresh_in()

    def _refresh_in(self) -> None:
        self._shown = self._index
        count = len(self.timeline)
        self.counter.value = f"<b>{html.escape(self.frame_title())}</b>" if self.steps else _("no steps")
        try:
            self.figure.value = f'<div style="line-height:0">{self.frame_svg()}</div>'
        except DotFailed as error:
            self.figure.value = f"<p><i>{html.escape(str(error))}</i></p>"
        self.arithmetic.value = (
            f'<pre style="font-size:13px;line-height:1.35;background:{PANEL};padding:8px;'
            f'border-radius:6px;margin:4px 0">{html.escape(self.frame_text())}</pre>'
        )
        self.prev_button.disabled = self._index == 0
        self.next_button.disabled = self._index >= count - 1

    def frame_title(self, index: int | None = None) -> str:
        """``Forward 3 of 8: w1·x1``, ``Backward 2 of 8: z``, ``The update``: what a frame shows."""
        return frame_title(self.timeline, self._index if index is None else index)

    def _repr_mimebundle_(self, **kwargs: Any) -> object:
        """The widget; text (the current frame's) when ipywidgets or ``dot`` is missing, broken or too slow."""
        try:
            widget = self.widget
            if self.view == "graph":
                with language(self.lang):
                    self._whole_frames()  # a dot failure shows here, not half-way through the widget
        except ImportError:
            with language(self.lang):
                note = _("(the Jupyter Stepper needs ipywidgets: {hint})").format(hint=IPYWIDGETS_HINT)
            return {"text/plain": f"{self!r}\n{self.frame_text()}\n{note}"}
        except DotFailed as error:
            return {"text/plain": f"{self!r}\n{self.frame_text()}\n({error})"}
        return widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        with language(self.lang):
            return _("Stepper({forward} forward and {backward} backward steps, at frame {frame} of {count}, "
                     "view={view})").format(forward=len(self.forward_steps), backward=len(self.steps),
                                            frame=self._index + 1, count=len(self.timeline), view=repr(self.view))


def frame_title(timeline: Timeline, frame: int) -> str:
    """What a frame shows, in a few words (the stepper's and the page's counter), in the timeline's language."""
    with language(timeline.lang):
        names = timeline.snapshot.names
        kind = timeline.kind(frame)
        if kind == "forward":
            return _("Forward {index} of {total}: {node}").format(
                index=frame + 1, total=len(timeline.forward), node=names(timeline.forward[frame].node))
        if kind == "update":
            return _("The update: p ← p − lr·grad")
        if not timeline.steps:
            return _("No steps: the loss is a leaf")
        index = timeline.backward_index(frame)
        return _("Backward {index} of {total}: {node}").format(
            index=index + 1, total=len(timeline.steps), node=names(timeline.steps[index].node))
