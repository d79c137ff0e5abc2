"""export_html and html_page: one self-contained page, stepped in a real headless Chromium.

The browser tests (marked ``browser``) find Chromium on the PATH (chromium,
chromium-browser or google-chrome) or at ``$TRACEGRAD_CHROMIUM``; without it
they fail, saying so: they are never skipped.
"""

import json
import os
import re
import shutil

import pytest

from autograd import export_html, html_page, topological_order
from autograd.viz.draw import build_scene
from autograd.viz.examples import neuron, scoped_mlp
from autograd.viz.frames import Frames
from autograd.viz.timeline import Timeline

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def find_chromium() -> str:
    """The Chromium to drive: ``$TRACEGRAD_CHROMIUM``, else the first of CHROMIUM_NAMES on the PATH."""
    chosen = os.environ.get("TRACEGRAD_CHROMIUM")
    if chosen:
        if not (os.path.isfile(chosen) and os.access(chosen, os.X_OK)):
            pytest.fail(f"TRACEGRAD_CHROMIUM={chosen!r} is not an executable file")
        return chosen
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(
        f"no Chromium found: none of {', '.join(CHROMIUM_NAMES)} is on the PATH and TRACEGRAD_CHROMIUM "
        "is not set. Install it (scripts/setup.sh does) or set TRACEGRAD_CHROMIUM to its path; "
        "`pytest -m 'not browser'` runs the other tests."
    )


def page_data(text: str) -> dict:
    match = re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', text, flags=re.S)
    return json.loads(match.group(1))


def test_page_is_one_self_contained_file(tmp_path):
    loss = scoped_mlp((2, 3, 1))
    path = export_html(loss, tmp_path / "mlp.html")
    assert path == tmp_path / "mlp.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.html"]  # no temporary file left
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 1
    # Nothing is fetched: no external scripts, styles, images or links.
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", text)
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    data = page_data(text)
    # 23 forward steps, then 23 backward steps
    assert len(data["texts"]) == len(data["current"]) == 46 and data["backwardStart"] == 23
    assert all(loss.grad == 0.0 for loss in topological_order(loss))  # nothing was changed


@pytest.mark.browser
def test_labels_cannot_break_out_of_the_page(tmp_path, browser):
    from autograd import Value

    x = Value(1.0, label="</script><script>alert(1)</script>")
    y = x * 2.0
    y.label = "<!-- ]]> & </pre>"
    path = export_html(y, tmp_path / "hostile.html")
    text = path.read_text(encoding="utf-8")
    assert text.count("<script") == 2 and text.count("</script>") == 2
    assert "</pre>" not in text.split('<pre id="tg-arithmetic">')[1].split("</pre>")[0]
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.as_uri())
    assert dialogs == []
    assert page.inner_text("#tg-counter") == "Forward 1 of 1: <!-- ]]> & </pre>"
    page.keyboard.press("End")
    assert page.inner_text("#tg-counter") == "Backward 1 of 1: <!-- ]]> & </pre>"
    assert "</script><script>alert(1)</script>" in page.inner_text("#tg-arithmetic")


def test_page_size_grows_with_the_graph_not_with_the_steps(tmp_path):
    loss = scoped_mlp((2, 8, 8, 1), samples=2)
    size = export_html(loss, tmp_path / "big.html").stat().st_size
    nodes = len(topological_order(loss))
    # One SVG plus the text of a forward and a backward step per node: about 3 kB per node.
    assert size < 4_000 * nodes


@pytest.fixture(scope="module")
def browser():
    from playwright import sync_api

    executable = find_chromium()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def current_ids(page) -> list[str]:
    return page.eval_on_selector_all("svg g.tg-current", "nodes => nodes.map(n => n.id)")


@pytest.mark.browser
def test_browser_steps_with_slider_and_arrow_keys(tmp_path, browser):
    loss = scoped_mlp((2, 3, 1))
    path = export_html(loss, tmp_path / "mlp.html")
    timeline = Timeline(loss)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())

    loss_id = timeline.snapshot.ids[id(loss)]
    start = timeline.backward_start
    first_id = timeline.snapshot.ids[id(timeline.forward[0].node)]
    assert sorted(current_ids(page)) == [first_id, f"{first_id}_op"]  # forward comes first
    first_text = page.inner_text("#tg-arithmetic")
    assert first_text == timeline.text(0) and first_text.startswith("Forward 1 of 23")

    page.keyboard.press("ArrowRight")
    second = timeline.snapshot.ids[id(timeline.forward[1].node)]
    assert second in current_ids(page) and first_id not in current_ids(page)
    assert page.inner_text("#tg-arithmetic") == timeline.text(1) != first_text
    assert page.inner_text("#tg-counter").startswith("Forward 2 of 23")

    page.keyboard.press("ArrowLeft")
    assert first_id in current_ids(page)
    assert page.inner_text("#tg-arithmetic") == first_text

    # Move the slider as a user does: set it and fire its input event.
    page.eval_on_selector("#tg-slider", f"s => {{ s.value = '{start + 15}'; s.dispatchEvent(new Event('input')); }}")
    fifteenth = timeline.snapshot.ids[id(timeline.steps[14].node)]
    assert fifteenth in current_ids(page)
    assert page.inner_text("#tg-arithmetic") == timeline.text(start + 14)

    # Arrow keys on the focused slider move one step, not two.
    page.focus("#tg-slider")
    page.keyboard.press("ArrowRight")
    assert page.eval_on_selector("#tg-slider", "s => s.value") == str(start + 16)
    assert timeline.snapshot.ids[id(timeline.steps[15].node)] in current_ids(page)

    page.click("#tg-next")
    page.click("#tg-prev")
    page.click("#tg-prev")
    assert page.inner_text("#tg-counter").startswith("Backward 15 of 23")
    assert errors == []
    assert all(url.startswith("file:") for url in requests)


@pytest.mark.browser
def test_browser_frames_match_the_python_stepper(tmp_path, browser):
    loss = scoped_mlp((2, 2, 1), samples=2)
    bias = next(node for node in topological_order(loss) if node.label == "L2.N1.b")
    path = export_html(loss, tmp_path / "small.html", follow=bias, lr=0.1)
    timeline = Timeline(loss, follow=bias, lr=0.1)
    scene = build_scene(loss, grads=timeline.final_grads)
    frames = Frames(timeline, scene, scene.graph.pipe(format="svg", encoding="utf-8"))
    page = browser.new_page()
    page.goto(path.as_uri())
    start = timeline.backward_start
    for index in [0, 3, start - 1, start, start + 3, start + 7, len(timeline) - 2, len(timeline) - 1]:
        page.evaluate(f"window.tracegrad.show({index})")
        in_browser = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('svg g[id]')]"
            ".map(g => [g.id, (g.getAttribute('class') || '').split(/\\s+/).filter(c => c.startsWith('tg-')).sort()]))"
        )
        for element_id, classes in frames.classes(index).items():
            assert in_browser[element_id] == sorted(classes.split()), (index, element_id)
        shown = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('svg g.value')]"
            ".map(g => [g.id, [g.querySelector('text.tg-data').textContent,"
            " g.querySelector('text.tg-grad').textContent]]))"
        )
        backward_index = timeline.backward_index(index)
        for node in timeline.snapshot.order:
            node_id = timeline.snapshot.ids[id(node)]
            if node_id in shown:
                assert shown[node_id] == [f"data {timeline.data_text(node, index)}",
                                          f"grad {timeline.grad_text(node, backward_index)}"], (index, node_id)
        assert page.inner_text("#tg-arithmetic") == timeline.text(index)
    # The follow buttons jump between exactly the steps that add to the bias's grad.
    page.evaluate("window.tracegrad.show(0)")
    visited = []
    for _ in timeline.follow_frames:
        page.click("#tg-next-followed")
        visited.append(page.evaluate("window.tracegrad.index"))
    assert visited == timeline.follow_frames and len(visited) == 2  # the bias's use in each sample
    assert page.is_disabled("#tg-next-followed")
    page.keyboard.press("[")
    assert page.evaluate("window.tracegrad.index") == timeline.follow_frames[-2]


@pytest.mark.browser
def test_screenshot_of_the_page_is_not_blank(tmp_path, browser):
    path = export_html(neuron(), tmp_path / "neuron.html")
    page = browser.new_page(viewport={"width": 1000, "height": 600})
    page.goto(path.as_uri())
    page.keyboard.press("End")
    assert page.inner_text("#tg-counter").startswith("Backward 3 of 3")
    shot = page.screenshot()
    assert len(shot) > 10_000


def test_export_refuses_non_values_and_options_it_sets(tmp_path):
    with pytest.raises(TypeError, match="loss must be Value or Snapshot, got float"):
        export_html(1.0, tmp_path / "x.html")
    with pytest.raises(TypeError, match="export_html sets highlight itself"):
        export_html(neuron(), tmp_path / "x.html", highlight=())
    with pytest.raises(TypeError, match="title must be str, got int"):
        html_page(neuron(), title=3)
    with pytest.raises(ValueError, match="rankdir"):
        html_page(neuron(), rankdir="up")
    assert not (tmp_path / "x.html").exists()


def test_html_page_is_the_page_that_export_html_writes(tmp_path):
    loss = scoped_mlp((2, 2, 1))
    page = html_page(loss, title="Two neurons <and> a loss", collapse="layers")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<title>Two neurons &lt;and&gt; a loss</title>" in page
    path = export_html(loss, tmp_path / "page.html", title="Two neurons <and> a loss", collapse="layers")
    assert path.read_text(encoding="utf-8") == page
    assert html_page(loss).count("<title>Forward and backward through loss, step by step</title>") == 1


def test_a_failed_export_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "page.html"
    path.write_text("the old page", encoding="utf-8")
    with pytest.raises(ValueError, match="no scope 'L7'"):
        export_html(scoped_mlp(), path, collapse="L7")
    assert path.read_text(encoding="utf-8") == "the old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["page.html"]


def test_the_page_shows_the_legend_once_with_the_palette_colours():
    from autograd.viz.palette import HIGHLIGHT, RECEIVING, legend_html

    page = html_page(neuron())
    assert page.count(legend_html()) == 1 and page.count('class="legend"') == 1
    assert f"border:3px solid {HIGHLIGHT}" in legend_html() and f"border:3px solid {RECEIVING}" in legend_html()


@pytest.mark.browser
def test_browser_steps_through_collapsed_neurons(tmp_path, browser):
    loss = scoped_mlp((2, 3, 1))
    path = export_html(loss, tmp_path / "collapsed.html", collapse="neurons", hide_constants=True)
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    seen = set()
    for _ in range(len(Timeline(loss))):
        seen.update(current_ids(page))
        page.keyboard.press("ArrowRight")
    assert {"g0", "g1", "g2", "g3"} <= seen  # every neuron box was current at some step
    assert errors == []
