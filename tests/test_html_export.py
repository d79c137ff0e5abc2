"""export_html and html_page: one self-contained page, stepped in a real headless Chromium.

The browser tests (marked ``browser``) find Chromium on the PATH (chromium,
chromium-browser or google-chrome) or at ``$TRACEGRAD_CHROMIUM``; without it
they fail, saying so: they are never skipped.
"""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from autograd import export_html, html_page, topological_order
from graphs import neuron, scoped_mlp
from autograd.viz.stepper import paint_svg
from autograd.viz.timeline import Timeline
from support import page_document

SVG = "{http://www.w3.org/2000/svg}"


def test_page_is_one_self_contained_file(tmp_path):
    loss = scoped_mlp((2, 3, 1))
    path = export_html(loss, tmp_path / "mlp.html")
    assert path == tmp_path / "mlp.html"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.html"]  # no temporary file left
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    # Nothing is fetched: no external scripts, styles, images or links.
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\(", text)
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", text))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}
    data = page_document(text)
    assert data["svg"].startswith("<svg") and data["svg"].count("<svg") == 1  # one drawing for every frame
    # 23 forward steps, then 23 backward steps
    assert data["count"] == len(data["frames"]) == 46 and data["backwardStart"] == 23
    assert all(loss.grad == 0.0 for loss in topological_order(loss))  # nothing was changed


def test_page_size_grows_with_the_graph_not_with_the_steps(tmp_path):
    loss = scoped_mlp((2, 8, 8, 1), samples=2)
    size = export_html(loss, tmp_path / "big.html").stat().st_size
    nodes = len(topological_order(loss))
    # One SVG plus the change points and texts of a forward and a backward step per node: about 5 kB per node.
    assert size < 6_000 * nodes
    small = scoped_mlp((2, 3, 1))
    small_size = export_html(small, tmp_path / "small.html").stat().st_size
    assert size / nodes < 1.5 * small_size / len(topological_order(small))  # per node, not per node × step




def current_ids(page) -> list[str]:
    return page.eval_on_selector_all(".tg-view svg g.tg-current", "nodes => nodes.map(n => n.id)")


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
    first_text = page.inner_text(".tg-headline")
    assert first_text == timeline.text(0).splitlines()[0] and first_text.startswith("Forward 1 of 23")

    page.keyboard.press("ArrowRight")
    second = timeline.snapshot.ids[id(timeline.forward[1].node)]
    assert second in current_ids(page) and first_id not in current_ids(page)
    assert page.inner_text(".tg-headline") == timeline.text(1).splitlines()[0] != first_text
    assert page.inner_text(".tg-counter").startswith("Forward 2 of 23")

    page.keyboard.press("ArrowLeft")
    assert first_id in current_ids(page)
    assert page.inner_text(".tg-headline") == first_text

    # Move the slider as a user does: set it and fire its input event.
    page.eval_on_selector(".tg-controls input[type=range]", f"s => {{ s.value = '{start + 15}'; s.dispatchEvent(new Event('input')); }}")
    fifteenth = timeline.snapshot.ids[id(timeline.steps[14].node)]
    assert fifteenth in current_ids(page)
    assert page.inner_text(".tg-headline") == timeline.text(start + 14).splitlines()[0]

    # Arrow keys on the focused slider move one step, not two.
    page.focus(".tg-controls input[type=range]")
    page.keyboard.press("ArrowRight")
    assert page.eval_on_selector(".tg-controls input[type=range]", "s => s.value") == str(start + 16)
    assert timeline.snapshot.ids[id(timeline.steps[15].node)] in current_ids(page)

    page.locator("button.tg-nav").nth(1).click()  # Next ▶
    page.locator("button.tg-nav").nth(0).click()  # ◀ Prev
    page.locator("button.tg-nav").nth(0).click()
    assert page.inner_text(".tg-counter").startswith("Backward 15 of 23")
    assert errors == []
    assert all(url.startswith("file:") for url in requests)


@pytest.mark.browser
def test_browser_frames_match_the_python_stepper(tmp_path, browser):
    loss = scoped_mlp((2, 2, 1), samples=2)
    bias = next(node for node in topological_order(loss) if node.label == "L2.N1.b")
    text = html_page(loss, follow=bias, lr=0.1)
    path = tmp_path / "small.html"
    path.write_text(text, encoding="utf-8")
    document = page_document(text)
    timeline = Timeline(loss, follow=bias, lr=0.1)
    page = browser.new_page()
    page.goto(path.as_uri())
    start = timeline.backward_start
    for index in [0, 3, start - 1, start, start + 3, start + 7, len(timeline) - 2, len(timeline) - 1]:
        page.evaluate(f"window.tracegrad.show({index})")
        in_browser = page.evaluate(
            "() => Object.fromEntries([...document.querySelectorAll('.tg-view svg g[data-node]')]"
            ".map(g => [g.id, [(g.getAttribute('class') || '').split(/\\s+/).filter(c => c.startsWith('tg-')).sort(),"
            " [...g.querySelectorAll('text')].map(t => t.textContent)]]))"
        )
        # Python's painting of the same frame (Stepper.frame_svg): the same classes and texts.
        painted = ET.fromstring(paint_svg(document, index))
        drawn = {element["id"] for element in document["elements"]}
        for group in painted.iter(f"{SVG}g"):
            if group.get("id") in drawn:
                classes = sorted(c for c in (group.get("class") or "").split() if c.startswith("tg-"))
                texts = ["".join(t.itertext()) for t in group.iter(f"{SVG}text")]
                assert in_browser[group.get("id")] == [classes, texts], (index, group.get("id"))
        assert page.inner_text(".tg-counter") == document["frames"][index]["title"]
        assert page.inner_text(".tg-headline") == timeline.text(index).splitlines()[0]
    # The follow buttons jump between exactly the steps that add to the bias's grad.
    page.evaluate("window.tracegrad.show(0)")
    visited = []
    for _ in timeline.follow_frames:
        page.locator("button.tg-follow-nav").nth(1).click()
        visited.append(page.evaluate("window.tracegrad.index"))
    assert visited == timeline.follow_frames and len(visited) == 2  # the bias's use in each sample
    assert page.locator("button.tg-follow-nav").nth(1).is_disabled()
    page.keyboard.press("[")
    assert page.evaluate("window.tracegrad.index") == timeline.follow_frames[-2]


@pytest.mark.browser
def test_screenshot_of_the_page_is_not_blank(tmp_path, browser):
    path = export_html(neuron(), tmp_path / "neuron.html")
    page = browser.new_page(viewport={"width": 1000, "height": 600})
    page.goto(path.as_uri())
    page.keyboard.press("End")
    assert page.inner_text(".tg-counter").startswith("Backward 3 of 3")
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
    from autograd.viz.palette import HIGHLIGHT, RECEIVING, legend

    page = html_page(neuron())
    assert page_document(page)["legend"] == [list(entry) for entry in legend()]
    assert f"--tg-highlight: {HIGHLIGHT}" in page and f"--tg-receiving: {RECEIVING}" in page


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
