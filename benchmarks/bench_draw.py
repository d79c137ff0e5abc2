"""Benchmark: drawing and stepping a ~2,000-node graph must stay interactive.

The graph is the squared-error loss of an MLP(2, [16, 16, 1]) with tanh over
three samples (``nn.MLP`` when it is importable, else the same network built
by hand in nn's scopes): about 2,270 nodes, 1,300 backward steps.

Measured, each as the median of several runs:

* open the Stepper: ``Stepper(loss)`` plus its first frame;
* show a frame: moving the slider to a step not shown before;
* the same two with the whole graph laid out once (``view="graph"``);
* build the ``graphviz.Digraph`` (Python side only);
* render the whole graph to SVG with ``dot``, and with neurons collapsed
  (in English and in Chinese);
* ``html_page`` (the HTML page, layout included) and the page's size;
* the snapshot: one walk of the graph, shared by every view;
* ``forward_steps`` with their sentences (in English and in Chinese), and ``explain`` over a 100,000-op
  chain (linear in the graph, its text bounded);
* the Jupyter display of micrograd's ~65k-node demo loss (a text summary,
  past the display budget; no ``dot`` run).

Run: ``.venv/bin/python benchmarks/bench_draw.py [--repeats 5]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the shared example graphs

from autograd import Stepper, Value, draw, explain, html_page  # noqa: E402
from autograd.viz.document import document_json  # noqa: E402
from autograd.viz.display import mimebundle  # noqa: E402
from autograd.viz.steps import forward_steps  # noqa: E402
from graphs import micrograd_demo_loss, scoped_mlp  # noqa: E402
from autograd.viz.snapshot import Snapshot  # noqa: E402


def build_loss() -> tuple[Value, str]:
    try:
        from nn import MLP
    except ImportError:
        return scoped_mlp((2, 16, 16, 1), samples=3), "hand-built MLP(2, [16, 16, 1]) in nn's scopes"
    model = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    samples = [([0.5, -1.0], 1.0), ([1.0, 2.0], -1.0), ([-1.5, 0.3], 1.0)]
    loss = Value(0.0)
    for inputs, target in samples:
        loss = loss + (model(inputs) - target) ** 2
    return loss, "nn.MLP(2, [16, 16, 1], tanh)"


def median_seconds(action: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    repeats = args.repeats
    loss, what = build_loss()
    nodes = len(Snapshot(loss))
    print(f"graph: {what}, 3 samples: {nodes:,} nodes")

    def open_stepper(view: str = "auto") -> Stepper:
        stepper = Stepper(loss, view=view)
        stepper.frame_svg()  # the first frame
        return stepper

    stepper = open_stepper()
    print(f"stepper: {len(stepper):,} frames (forward, then backward), view {stepper.view!r}")
    rows = []
    rows.append(("open the Stepper (local view)", median_seconds(open_stepper, repeats)))
    rng = random.Random(0)
    unseen = iter(rng.sample(range(1, len(stepper)), len(stepper) - 1))
    rows.append(("show a new frame (local view)",
                 median_seconds(lambda: (stepper.go(next(unseen)), stepper.frame_svg()), repeats * 4)))
    rows.append(("show a cached frame (local view)",
                 median_seconds(lambda: (stepper.prev(), stepper.next(), stepper.frame_svg()), repeats * 4)))

    whole = [None]

    def open_whole() -> None:
        whole[0] = open_stepper("graph")

    rows.append(("open the Stepper (whole graph: one dot layout, the document)",
                 median_seconds(open_whole, max(repeats // 2, 1))))
    whole_stepper = whole[0]
    print(f"the stepper's document: {len(document_json(whole_stepper.document).encode()) / 1e6:.1f} MB of JSON")
    steps = iter(rng.sample(range(1, len(whole_stepper)), len(whole_stepper) - 1))
    rows.append(("frame_svg (whole graph, the document's frame painted)",
                 median_seconds(lambda: whole_stepper.frame_svg(next(steps)), repeats * 4)))

    rows.append(("build the graphviz.Digraph (Python only)", median_seconds(lambda: draw(loss), repeats)))
    svg_size = [0]

    def render(**options: object) -> None:
        svg_size[0] = len(draw(loss, **options).pipe(format="svg"))

    rows.append(("render the whole graph to SVG (dot)", median_seconds(render, max(repeats // 2, 1))))
    whole_svg = svg_size[0]
    rows.append(("render with neurons collapsed (dot)",
                 median_seconds(lambda: render(collapse="neurons", hide_constants=True), repeats)))
    rows.append(("the same, in Chinese (CJK font)",
                 median_seconds(lambda: render(collapse="neurons", hide_constants=True, lang="zh"), repeats)))
    page = [""]

    def make_page() -> None:
        page[0] = html_page(loss)

    rows.append(("html_page (layout included)", median_seconds(make_page, max(repeats // 2, 1))))
    page_size = len(page[0].encode("utf-8"))
    rows.append(("take a snapshot (one walk of the graph)", median_seconds(lambda: Snapshot(loss), repeats * 4)))

    rows.append(("forward_steps with their sentences", median_seconds(lambda: forward_steps(loss), repeats)))
    rows.append(("forward_steps with their sentences, in Chinese",
                 median_seconds(lambda: forward_steps(loss, lang="zh"), repeats)))
    chain_start = Value(1.0, label="x")
    chain = chain_start
    for _ in range(50_000):
        chain = chain * 1.0 + 0.0
    chain.backward()
    explained = [""]

    def explain_chain() -> None:
        explained[0] = explain(chain, chain_start)

    rows.append(("explain a 100,000-op chain", median_seconds(explain_chain, max(repeats // 2, 1))))
    demo = micrograd_demo_loss()
    rows.append((f"display micrograd's demo loss ({len(Snapshot(demo)):,} nodes)",
                 median_seconds(lambda: mimebundle(demo), max(repeats // 2, 1))))

    width = max(len(name) for name, _ in rows)
    print(f"{'median of runs':<{width}}  seconds")
    for name, seconds in rows:
        print(f"{name:<{width}}  {seconds:8.3f}")
    print(f"whole-graph SVG: {whole_svg / 1e6:.1f} MB; HTML page: {page_size / 1e6:.1f} MB; "
          f"explain of the chain: {len(explained[0]):,} characters")


if __name__ == "__main__":
    main()
