"""``Stepper(loss)``: step through backward in Jupyter, one node at a time.

Prev / Next buttons and a slider move through the steps of backward (see
``backward_steps``). Each frame draws the graph with the current node
highlighted in orange, the inputs it passes gradient to in blue (not
constants such as the 2 of ``x * 2``: nothing updates them), nodes whose
gradient is final showing it, nodes not yet reached faded, and the step's
arithmetic underneath.

Frames are made when shown, never in advance. A small graph is laid out
once and each frame restyles that one SVG; a large graph (more than
``LOCAL_VIEW_ABOVE`` nodes) shows, per frame, the neighbourhood of the
current node (its inputs, its consumers and their other inputs), laid out
in a few milliseconds, so a stepper over thousands of nodes opens at once.

Everything can be driven from Python without a browser: ``next()``,
``prev()``, ``index``, ``frame_svg()``, ``frame_text()``; the widgets are
``prev_button``, ``next_button`` and ``slider``.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Union

from ..validation import choice
from ..value import Value
from .draw import DrawOptions, build_scene
from .frames import Frames
from .optional import import_ipywidgets
from .palette import PANEL, legend_html
from .snapshot import Snapshot
from .timeline import Timeline

if TYPE_CHECKING:
    import ipywidgets
    from typing_extensions import Unpack

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
    """

    def __init__(
        self, loss: Union[Value, Snapshot], *, view: str = "auto", **draw_options: Unpack[DrawOptions]
    ) -> None:
        snapshot = Snapshot.of(loss, "loss")
        choice(view, "view", VIEWS)
        refuse_options_set_by_the_stepper(draw_options, "Stepper")
        self.snapshot = snapshot
        self.loss = snapshot.root
        self.timeline = Timeline(snapshot)
        self.steps = self.timeline.steps
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
        return len(self.steps)

    @property
    def index(self) -> int:
        """The current step, from 0."""
        return self._index

    @index.setter
    def index(self, value: int) -> None:
        self.go(value)

    def go(self, index: int) -> None:
        """Show step ``index`` (clamped to the steps there are)."""
        last = max(len(self.steps) - 1, 0)
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

    def frame_text(self, index: int | None = None) -> str:
        """The arithmetic of a step (the current one by default)."""
        return self.timeline.text(self._index if index is None else index)

    def frame_svg(self, index: int | None = None) -> str:
        """The drawing of a step (the current one by default), as SVG text."""
        index = self._index if index is None else index
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
            scene = build_scene(self.snapshot, grads=self.timeline.final_grads, **self.draw_options)
            self._whole = Frames(self.timeline, scene, scene.graph.pipe(format="svg", encoding="utf-8"))
        return self._whole

    def _neighbourhood(self, index: int) -> set[int]:
        if not self.steps:
            return {id(self.loss)}
        node = self.steps[index].node
        chosen = {id(node)} | {id(x) for x in node.inputs}
        for consumer in self.snapshot.consumers.get(id(node), []):
            chosen.add(id(consumer))
            chosen.update(id(x) for x in consumer.inputs)
        return chosen

    def _local_frame(self, index: int) -> str:
        options = dict(self.draw_options)
        options.pop("collapse", None)  # a neighbourhood is small already
        scene = build_scene(
            self.snapshot, grads=self.timeline.grads_at(index), only=self._neighbourhood(index), **options
        )
        frames = Frames(self.timeline, scene, scene.graph.pipe(format="svg", encoding="utf-8"))
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

        count = max(len(self.steps), 1)
        self.prev_button = widgets.Button(description="◀ Prev", tooltip="previous step",
                                          layout=widgets.Layout(width="90px"))
        self.next_button = widgets.Button(description="Next ▶", tooltip="next step",
                                          layout=widgets.Layout(width="90px"))
        self.slider = widgets.IntSlider(value=self._index + 1, min=1, max=count, description="step",
                                        continuous_update=True, layout=widgets.Layout(width="420px"))
        self.counter = widgets.HTML()
        self.figure = widgets.HTML(layout=widgets.Layout(overflow="auto", max_height="640px"))
        self.arithmetic = widgets.HTML()
        self.prev_button.on_click(lambda _button: self.prev())
        self.next_button.on_click(lambda _button: self.next())
        self.slider.observe(self._on_slider, names="value")
        controls = widgets.HBox([self.prev_button, self.next_button, self.slider, self.counter])
        self._widget = widgets.VBox([controls, widgets.HTML(legend_html()), self.figure, self.arithmetic])
        self._refresh()

    def _on_slider(self, change: dict[str, Any]) -> None:
        self._index = int(change["new"]) - 1
        self._refresh()

    def _refresh(self) -> None:
        if self._widget is None or self._shown == self._index:
            return
        self._shown = self._index
        count = len(self.steps)
        names = self.snapshot.names
        name = names(self.steps[self._index].node) if self.steps else names(self.loss)
        self.counter.value = (
            f"<b>step {self._index + 1} of {count}</b>: {html.escape(name)}" if count else "no steps"
        )
        self.figure.value = f'<div style="line-height:0">{self.frame_svg()}</div>'
        self.arithmetic.value = (
            f'<pre style="font-size:13px;line-height:1.35;background:{PANEL};padding:8px;'
            f'border-radius:6px;margin:4px 0">{html.escape(self.frame_text())}</pre>'
        )
        self.prev_button.disabled = self._index == 0
        self.next_button.disabled = self._index >= count - 1

    def _repr_mimebundle_(self, **kwargs: Any) -> object:
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"Stepper({len(self.steps)} steps, at step {self._index + 1}, view={self.view!r})"
