"""Graphs shown inline in a notebook keep their text at least 9 px on screen at a 960-px output.

Jupyter scales an ``image/svg+xml`` output to the output's width (``max-width: 100%``), so the
text of an SVG ``W`` px wide shows at ``font-size × 4/3 × min(1, 960 / W)`` px (Graphviz sizes
are in points). A ``text/html`` output (which notebooks prefer) that puts the SVG in a box
scrolling sideways, with ``max-width: none`` on the SVG, shows it at the width it says.

The reading of a bundle below is written from the SVG's own attributes (ElementTree, the
viewBox, every ``<text>``'s font-size), apart from ``autograd.viz.inline``'s arithmetic. The
notebooks' drawings are re-created here with the notebooks' own code (each test checks that
its notebook still contains that drawing call); one test (marked ``notebooks``) runs the four
notebooks in both languages up to their last drawing and reads the outputs Jupyter got; one
(marked ``browser``) lays an output out in Chromium at 960 px and measures the text there.
"""

from __future__ import annotations

import html.parser
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import graphviz
import pytest

from autograd import Value, draw
from autograd.viz.display import mimebundle
from graphs import neuron, scoped_mlp
from nn import MLP, data, icecream_network, l2_penalty, mse_loss, tower_network, weighted_sums
from nn.app import demo

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SVG = "{http://www.w3.org/2000/svg}"
OUTPUT_WIDTH = 960
READABLE = 9.0


class _HtmlSvg(html.parser.HTMLParser):
    """The style of the element around the first <svg> of an HTML fragment, and that <svg>'s own."""

    def __init__(self) -> None:
        super().__init__()
        self.parent_style: str | None = None
        self.svg_style: str | None = None
        self._last_style = ""

    def handle_starttag(self, tag, attrs):
        style = dict(attrs).get("style") or ""
        if tag == "svg" and self.svg_style is None:
            self.parent_style, self.svg_style = self._last_style, style
        elif self.svg_style is None:
            self._last_style = style


def _length_px(text: str) -> float:
    if text.endswith("pt"):
        return float(text[:-2]) * 4 / 3
    return float(text[:-2] if text.endswith("px") else text)


def _svg_numbers(svg: str) -> tuple[float, float]:
    """(width in px, smallest text in px at that width), read with ElementTree."""
    root = ET.fromstring(svg[svg.index("<svg"):svg.rindex("</svg>") + len("</svg>")])
    width = _length_px(root.get("width"))
    view_width = float(root.get("viewBox").replace(",", " ").split()[2])
    px_per_unit = width / view_width
    sizes = [float(text.get("font-size")) for text in root.iter(f"{SVG}text")]
    assert sizes, "a drawing without text"
    return width, min(sizes) * px_per_unit


def displayed_text_px(bundle: dict[str, str]) -> float:
    """The smallest text of the graph a notebook shows for ``bundle``, in px at a 960-px output."""
    if "text/html" in bundle and "<svg" in bundle["text/html"]:
        fragment = bundle["text/html"]
        styles = _HtmlSvg()
        styles.feed(fragment)
        box, svg = ((style or "").replace(" ", "") for style in (styles.parent_style, styles.svg_style))
        # Unless the SVG escapes Jupyter's max-width: 100% and its box scrolls, it shrinks like an image.
        if "max-width:none" in svg and "overflow-x:auto" in box:
            return _svg_numbers(fragment)[1]
        width, text = _svg_numbers(fragment)
        return text * min(1.0, OUTPUT_WIDTH / width)
    width, text = _svg_numbers(bundle["image/svg+xml"])
    return text * min(1.0, OUTPUT_WIDTH / width)


def _notebook_has(stem: str, call: str) -> None:
    for folder in (NOTEBOOKS, NOTEBOOKS / "zh"):
        source = (folder / f"{stem}.md").read_text(encoding="utf-8")
        expected = call if folder == NOTEBOOKS else call[:-1] + ', lang="zh")'
        assert expected in source, f"{folder.name}/{stem}.md no longer draws {expected}"


# --- the notebooks' drawings, re-created with their code -------------------------------------------


def icecream_row_loss() -> tuple[Value, Value]:
    X, y = data.icecream()
    model0_row = demo.icecream_model(**{"L2.N1.b": 0.0})
    bias = demo.parameter(model0_row, "L2.N1.b")
    loss_row = mse_loss(model0_row(X[0]), y[0]); loss_row.label = "loss (row 1)"
    loss_row.backward()
    return loss_row, bias


def icecream_batch_loss() -> tuple[Value, Value]:
    X, y = data.icecream()
    model0 = demo.icecream_model(**{"L2.N1.b": 0.0})
    bias = demo.parameter(model0, "L2.N1.b")
    loss = mse_loss(model0.forward_batch(X), y); loss.label = "L"
    loss.backward()
    return loss, bias


def icecream_first_row() -> Value:
    X, y = data.icecream()
    row_loss = mse_loss(icecream_network()(X[0]), y[0])
    row_loss.backward()
    return row_loss


def penalised_tiny_model() -> Value:
    tiny = MLP(1, [2, 1], activation="tanh", seed=3)
    for neuron_, bias in zip(tiny.layers[0].neurons + tiny.layers[1].neurons, (0.5, -0.3, 0.2)):
        neuron_.b.data = bias
    data_loss = mse_loss(tiny([0.5]), 1.0); data_loss.label = "data loss"
    penalty = l2_penalty(tiny, 0.1); penalty.label = "L2 penalty"
    total_loss = data_loss + penalty; total_loss.label = "loss"
    total_loss.backward()
    return total_loss


def tower_inside() -> Value:
    inside = tower_network()([0.2, 0.3])
    inside.backward()
    return inside


def deltas_loss() -> tuple[Value, list[Value]]:
    """Notebook 10's loss and its neurons' weighted sums (the nodes that wear δ)."""
    model = MLP(2, [3, 2, 1], activation="tanh", seed=1)
    loss = mse_loss(model([0.5, -1.2]), 0.8)
    loss.backward()
    return loss, weighted_sums(loss, model)


def _drawings():
    """(notebook, the drawing call as the notebook writes it, a function that draws it in a language)."""
    return [
        ("05_icecream", "draw(row_loss)", lambda lang: draw(icecream_first_row(), lang=lang)),
        ("05_icecream", 'draw(loss_row, highlight=[bias], edge_labels=True, collapse="L1", rankdir="TB")',
         lambda lang: (lambda loss, bias: draw(loss, highlight=[bias], edge_labels=True, collapse="L1",
                                                rankdir="TB", lang=lang))(*icecream_row_loss())),
        ("05_icecream", 'draw(loss, collapse="neurons", highlight=[bias])',
         lambda lang: (lambda loss, bias: draw(loss, collapse="neurons", highlight=[bias], lang=lang))(
             *icecream_batch_loss())),
        ("07_overfitting_regularisation", 'draw(total_loss, collapse="neurons", rankdir="TB")',
         lambda lang: draw(penalised_tiny_model(), collapse="neurons", rankdir="TB", lang=lang)),
        ("08_universal_approximation", "draw(inside)", lambda lang: draw(tower_inside(), lang=lang)),
        ("10_deltas", 'draw(loss, deltas=nn.weighted_sums(loss, model), group_scopes=False, rankdir="TB")',
         lambda lang: (lambda loss, sums: draw(loss, deltas=sums, group_scopes=False, rankdir="TB", lang=lang))(
             *deltas_loss())),
    ]


DRAWINGS = _drawings()


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("stem, call, make", DRAWINGS, ids=[f"{stem}:{call[:40]}" for stem, call, _ in DRAWINGS])
def test_every_notebook_graph_reads_at_9px_or_more_at_960px(stem, call, make, lang):
    _notebook_has(stem, call)
    graph = make(lang)
    bundle = graph._repr_mimebundle_()
    assert displayed_text_px(bundle) >= READABLE
    # The same drawing shown by graphviz itself (what the notebooks showed before) is the reference
    # this is measured against: it is too wide to read for every drawing scrolled here.
    plain = {"image/svg+xml": graphviz.Digraph.pipe(graph, format="svg", encoding="utf-8")}
    if "text/html" in bundle:
        assert displayed_text_px(plain) < READABLE


def test_the_graphs_the_notebooks_had_to_fold_now_fit_without_scrolling():
    """05's one-row chain, 07's penalty and 10's deltas fit a 960-px output; 05's ten rows and 08's tower scroll."""
    fitting = [call for stem, call, make in DRAWINGS if "text/html" not in make("en")._repr_mimebundle_()]
    assert fitting == [DRAWINGS[1][1], DRAWINGS[3][1]]
    # 10's deltas: 1,140 px at 10 px text, one short scroll; the neuron boxes made it 2,800 px.
    deltas = DRAWINGS[5][2]("en")._repr_mimebundle_()
    assert _svg_numbers(deltas["text/html"])[0] < 1.25 * OUTPUT_WIDTH


# --- the mechanism ---------------------------------------------------------------------------------


def test_a_small_drawing_is_graphvizs_own_svg_and_a_wide_one_scrolls_at_a_readable_size():
    small = draw(neuron())
    assert isinstance(small, graphviz.Digraph)
    assert small._repr_mimebundle_() == {"image/svg+xml": small.pipe(format="svg", encoding="utf-8")}
    wide = draw(scoped_mlp((2, 4, 1), samples=1))
    bundle = wide._repr_mimebundle_()
    assert set(bundle) == {"text/html", "image/svg+xml"}
    natural_width, natural_text = _svg_numbers(wide.pipe(format="svg", encoding="utf-8"))
    shown_width, shown_text = _svg_numbers(bundle["text/html"])
    assert natural_text * OUTPUT_WIDTH / natural_width < READABLE  # graphviz's display: about 3.7 px
    assert shown_text == pytest.approx(10.0, rel=0.01) and shown_width > OUTPUT_WIDTH
    assert displayed_text_px(bundle) >= READABLE
    # The image alternative is the same sized drawing, for front ends that only show images.
    assert _svg_numbers(bundle["image/svg+xml"]) == pytest.approx((shown_width, shown_text))


def test_the_svg_is_read_as_xml_hostile_labels_and_all():
    # Measured and resized through its XML tree: a label that looks like an attribute is text, not a size.
    from autograd.viz.inline import measure, readable_bundle

    x = Value(2.0, label='width="9999pt" font-size="1" <svg> & ]]>')
    wide = x
    for k in range(12):
        wide = wide + Value(float(k), label=f'font-size="0.1" viewBox="0 0 1 1" {k}')
    svg = draw(wide, rankdir="LR").pipe(format="svg", encoding="utf-8")
    size = measure(svg)
    assert size.smallest_text is not None and size.smallest_text > 5  # no label's text counted as a size
    bundle = readable_bundle(svg)
    for content in bundle.values():
        shown = ET.fromstring(content[content.index("<svg"):content.rindex("</svg>") + 6])  # well-formed
        texts = "".join(shown.itertext())
        assert 'width="9999pt"' in texts and 'font-size="0.1"' in texts
    with pytest.raises(ValueError, match="not well-formed"):
        measure('<svg width="10pt" height="10pt"><g></svg>')
    with pytest.raises(ValueError, match="width is '10em'"):
        measure('<svg width="10em" height="10pt"></svg>')
    with pytest.raises(ValueError, match="no <svg> element"):
        measure("<html></html>")


def test_source_pipe_render_and_copy_are_graphvizs():
    graph = draw(scoped_mlp((2, 3, 1)))
    plain = graphviz.Digraph(name=graph.name, graph_attr=graph.graph_attr, node_attr=graph.node_attr,
                             edge_attr=graph.edge_attr, body=list(graph.body))
    assert graph.source == plain.source
    assert graph.pipe(format="svg") == plain.pipe(format="svg")
    assert isinstance(graph.copy(), type(graph)) and graph.copy().source == graph.source


def test_include_and_exclude_and_other_formats():
    graph = draw(scoped_mlp((2, 4, 1), samples=1))
    assert set(graph._repr_mimebundle_(include=["image/svg+xml"])) == {"image/svg+xml"}
    assert set(graph._repr_mimebundle_(exclude=["text/html"])) == {"image/svg+xml"}
    assert graph._repr_mimebundle_(include=[]) == {}
    assert graph._repr_mimebundle_(include=["image/png"])["image/png"][:4] == b"\x89PNG"
    assert graph._repr_image_svg_xml() == graph._repr_mimebundle_()["image/svg+xml"]


def test_a_big_scoped_mlp_value_displays_folded_and_scrolls_never_shrunk():
    loss = scoped_mlp((2, 16, 16, 1), samples=2)
    bundle = mimebundle(loss)
    assert {"text/html", "image/svg+xml", "text/plain"} <= set(bundle)
    root = ET.fromstring(bundle["image/svg+xml"][bundle["image/svg+xml"].index("<svg"):])
    groups = [g for g in root.iter(f"{SVG}g") if "group" in (g.get("class") or "").split()]
    assert len(groups) == 33  # folded: one box per neuron
    assert displayed_text_px(bundle) >= READABLE
    assert _svg_numbers(bundle["text/html"])[0] > OUTPUT_WIDTH  # it scrolls


def test_a_wide_value_folds_before_it_scrolls():
    """Under the node budget, a scoped graph too wide to read is folded into neurons, then scrolls."""
    loss = scoped_mlp((2, 4, 1), samples=1)
    whole = draw(loss).pipe(format="svg", encoding="utf-8")
    assert displayed_text_px({"image/svg+xml": whole}) < READABLE
    bundle = mimebundle(loss)
    assert displayed_text_px(bundle) >= READABLE
    assert 'class="node group"' in bundle["image/svg+xml"]
    # A Value that fits keeps every node and no scrolling box.
    small = mimebundle(neuron())
    assert "text/html" not in small and 'class="node group"' not in small["image/svg+xml"]


def test_the_reading_detects_a_shrunk_graph():
    """The measurement fails a wide SVG shown as an image, or a scrolling box whose SVG may still shrink."""
    svg = ('<svg width="3000pt" height="100pt" viewBox="0 0 3000 100" xmlns="http://www.w3.org/2000/svg">'
           '<text font-size="9">a</text></svg>')
    assert displayed_text_px({"image/svg+xml": svg}) == pytest.approx(12 * OUTPUT_WIDTH / 4000)
    boxed = f'<div style="overflow-x:auto">{svg}</div>'
    assert displayed_text_px({"text/html": boxed}) < READABLE
    unboxed = "<div>" + svg.replace("<svg", "<svg style=\"max-width:none\"", 1) + "</div>"
    assert displayed_text_px({"text/html": unboxed}) < READABLE


# --- in a browser, laid out as Jupyter lays out outputs --------------------------------------------


@pytest.mark.browser
def test_chromium_shows_a_wide_drawing_at_10px_in_a_960px_output():
    from playwright import sync_api

    from support import CHROMIUM_ARGS, find_chromium

    bundle = DRAWINGS[2][2]("en")._repr_mimebundle_()  # 05's ten rows
    # JupyterLab's rule for SVG in outputs (rendermime's base.css), the cause of the shrinking.
    page_html = ("<style>body{margin:0} .jp-OutputArea-output{width:960px} "
                 ".jp-RenderedHTMLCommon svg{max-width:100%;height:auto}</style>"
                 f"<div class='jp-OutputArea-output jp-RenderedHTMLCommon'>{bundle['text/html']}</div>")
    measure = """() => { const sizes = [...document.querySelectorAll('svg text')].map(t => {
        const m = t.getScreenCTM(); return parseFloat(t.getAttribute('font-size')) * Math.hypot(m.a, m.b); });
        const box = document.querySelector('.tracegrad-graph');
        return {smallest: Math.min(...sizes), box: box.clientWidth, scroll: box.scrollWidth}; }"""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 800})
            page.set_content(page_html)
            shown = page.evaluate(measure)
        finally:
            browser.close()
    assert shown["smallest"] >= 9.99
    assert shown["box"] == OUTPUT_WIDTH and shown["scroll"] > 2 * OUTPUT_WIDTH


# --- the notebooks themselves ----------------------------------------------------------------------

#: The four notebooks and the index of their last drawing cell (in both editions).
LAST_DRAWING = {"05_icecream": 17, "07_overfitting_regularisation": 12, "08_universal_approximation": 7,
                "10_deltas": 9}


def _run_until(stem: str, last: int, workdir: Path) -> list:
    """The outputs of every code cell of notebook ``stem`` (a copy in ``workdir``) up to cell ``last``."""
    import nbclient
    import nbformat

    path = workdir / f"{stem}.ipynb"
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    with client.setup_kernel(cwd=str(path.parent)):
        for index, cell in enumerate(notebook.cells[: last + 1]):
            client.execute_cell(cell, index)
    return [(index, output) for index, cell in enumerate(notebook.cells[: last + 1]) if cell.cell_type == "code"
            for output in cell.outputs]


@pytest.mark.notebooks
def test_every_graph_the_notebooks_show_reads_at_9px_or_more(tmp_path):
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter")] + ([previous] if previous else []))
    try:
        jobs = {}
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            for stem, last in LAST_DRAWING.items():
                for edition in (stem, f"zh/{stem}"):
                    workdir = tmp_path / edition.replace("/", "_") / "notebooks"
                    shutil.copytree(NOTEBOOKS, workdir, ignore=shutil.ignore_patterns("__pycache__"))
                    jobs[edition] = pool.submit(_run_until, edition, last, workdir)
        shown: dict[str, list[float]] = {}
        for edition, job in jobs.items():
            for index, output in job.result():
                bundle = output.get("data", {})
                if "image/svg+xml" in bundle or "<svg" in bundle.get("text/html", ""):
                    shown.setdefault(edition, []).append((index, displayed_text_px(bundle)))
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous
    for edition in jobs:
        drawn = [index for index, _ in shown.get(edition, [])]
        assert LAST_DRAWING[edition.split("/")[-1]] in drawn, f"{edition}: its last drawing showed nothing"
        small = [(index, round(px, 2)) for index, px in shown[edition] if px < READABLE]
        assert not small, f"{edition}: graphs with text under {READABLE} px at {OUTPUT_WIDTH} px: {small}"
