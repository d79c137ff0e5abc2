"""The Jupyter Stepper: an anywidget running the page's own front end, and a static fallback that steps.

``Stepper`` is an ``anywidget.AnyWidget`` whose module is the very file the
page inlines (``autograd/viz/front/stepper.js``); Python moves it through
the ``frame`` trait; its display carries the widget, a ``text/html``
rendering of the same front end and text. A notebook that shows a Stepper,
executed in a kernel, saved without widget state and converted by nbconvert,
still steps in Chromium with the network blocked.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from autograd import html_page, topological_order
from autograd.viz import frontend
from graphs import neuron, scoped_mlp
from autograd.viz.stepper import Stepper
from support import page_document, pdf_pages

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.widgets
def test_the_stepper_is_an_anywidget_running_the_pages_own_script():
    import anywidget

    stepper = Stepper(neuron())
    assert isinstance(stepper, anywidget.AnyWidget)
    front = Path(frontend.__file__).with_name("front") / "stepper.js"
    assert Stepper._esm == stepper._esm == frontend.script() == front.read_text(encoding="utf-8")
    assert "export default" in stepper._esm and "export function mount" in stepper._esm
    # The page inlines the same module (escaped for <script>) and the same style sheet.
    page = html_page(neuron())
    assert frontend._script_text(frontend.script()) in page
    assert stepper._css == frontend.style("en") and frontend._script_text(frontend.style("en")) in page
    assert stepper.widget is stepper  # the old entry point still gives the widget


@pytest.mark.widgets
def test_the_display_carries_the_widget_a_stepping_html_fallback_and_text():
    stepper = Stepper(neuron(), lang="zh")
    bundle = stepper._repr_mimebundle_()
    data = bundle[0] if isinstance(bundle, tuple) else bundle
    assert {WIDGET_VIEW, "text/html", "text/plain"} <= set(data)
    assert data[WIDGET_VIEW]["model_id"] == stepper.model_id
    html_text = data["text/html"]
    assert 'class="tg-stepper"' in html_text and 'type="module"' in html_text
    assert frontend._script_text(frontend.script()) in html_text and "VBox(" not in html_text
    assert data["text/plain"].startswith("Stepper（前向传播 3 步，反向传播 3 步")
    assert stepper.frame_text(0) in data["text/plain"]
    assert page_document(html_text) == json.loads(stepper.document_text)  # one document, shown two ways


@pytest.mark.widgets
def test_moving_in_python_moves_the_frame_trait():
    loss = scoped_mlp((2, 2, 1), samples=2)
    bias = next(node for node in topological_order(loss) if node.label == "L2.N1.b")
    stepper = Stepper(loss, follow=bias, lr=0.1)
    stepper.widget
    seen = []
    stepper.observe(lambda change: seen.append(change["new"]), names="frame")
    assert stepper.frame == 0
    stepper.next()
    assert stepper.frame == stepper.index == 1
    stepper.go(7)
    assert stepper.frame == 7
    stepper.prev()
    assert stepper.frame == 6
    stepper.next_followed()
    assert stepper.frame == stepper.follow_frames[0]
    stepper.index = 10_000  # clamped to the last frame, the update
    assert stepper.frame == len(stepper) - 1
    assert seen == [1, 7, 6, stepper.follow_frames[0], len(stepper) - 1]
    assert "frame" in stepper.keys and "document_text" in stepper.keys


# --- a saved notebook, converted by nbconvert, in Chromium with the network blocked ---

NOTEBOOK_CELLS = [
    # The kernel runs in a temporary folder: the shared example graphs are found from here.
    f"import sys\nsys.path.insert(0, {str(Path(__file__).resolve().parent)!r})\n"
    "from autograd import Stepper\nfrom graphs import neuron",
    "Stepper(neuron())",
]


@pytest.fixture(scope="module")
def converted_notebook(tmp_path_factory):
    """A notebook showing a Stepper, executed in this environment's kernel, saved and converted to HTML."""
    import nbclient
    import nbformat
    from nbconvert import HTMLExporter

    folder = tmp_path_factory.mktemp("saved-notebook")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter")] + ([previous] if previous else []))
    try:
        client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=False,
                                         resources={"metadata": {"path": str(folder)}})
        client.execute()
    finally:
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous
    saved = folder / "stepper.ipynb"
    nbformat.write(notebook, str(saved))
    reread = nbformat.read(str(saved), as_version=4)
    assert "widgets" not in reread.metadata  # no widget state: only the outputs
    body, _ = HTMLExporter().from_notebook_node(reread)
    page = folder / "stepper.html"
    page.write_text(body, encoding="utf-8")
    return reread, body, page


@pytest.mark.notebooks
@pytest.mark.widgets
def test_a_saved_notebook_keeps_the_steppers_outputs(converted_notebook):
    notebook, body, _ = converted_notebook
    output = notebook.cells[1].outputs[0]
    assert {WIDGET_VIEW, "text/html", "text/plain"} <= set(output["data"])
    assert "VBox(" not in body and "HBox(" not in body
    assert body.count('class="tg-stepper"') == 1


def open_offline(browser, page_path):
    """nbconvert's page in a fresh context with the network off, once its stepper is mounted.

    Returns (context, page, blocked requests, page errors).
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    page = context.new_page()
    blocked: list[str] = []
    errors: list[str] = []

    def block(route):
        if route.request.url.startswith("file:"):
            route.continue_()
        else:  # require.js, MathJax, the widget manager from a CDN: the network is off
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(page_path.as_uri())
    page.wait_for_function("() => { const r = document.querySelector('.tg-stepper');"
                           " return r && r.tracegrad && r.tracegrad.count > 0; }")
    return context, page, blocked, errors


@pytest.mark.notebooks
@pytest.mark.widgets
@pytest.mark.browser
def test_nbconvert_html_shows_a_stepper_that_steps_offline(converted_notebook, browser):
    context, page, _, errors = open_offline(browser, converted_notebook[2])
    try:
        root = page.locator(".tg-stepper")
        assert root.count() == 1 and root.is_visible()
        counter = root.locator(".tg-counter")
        first = counter.inner_text()
        assert first.startswith("Forward 1 of 3")
        root.focus()
        page.keyboard.press("ArrowRight")
        assert counter.inner_text().startswith("Forward 2 of 3") and counter.inner_text() != first
        assert page.evaluate("document.querySelector('.tg-stepper').tracegrad.index") == 1
        root.locator("button.tg-nav").nth(1).click()  # Next ▶
        assert counter.inner_text().startswith("Forward 3 of 3")
        assert page.locator(".tg-view svg [data-current]").count() == 1
        assert "VBox(" not in page.inner_text("body")
        assert not [error for error in errors if "tg-" in error or "mount" in error], errors
    finally:
        context.close()


@pytest.mark.notebooks
@pytest.mark.widgets
@pytest.mark.browser
def test_printing_from_a_notebook_prints_the_handout_alone(converted_notebook, browser, tmp_path):
    # window.print() would print every cell around the stepper: the sheets go to a frame of their own.
    context, page, _, errors = open_offline(browser, converted_notebook[2])
    try:
        page.evaluate("() => { window.printedWholePage = 0; window.print = () => { window.printedWholePage += 1; }; }")
        root = page.locator(".tg-stepper")
        root.locator(".tg-print-buttons button").first.click()  # Print handout
        assert page.evaluate("window.printedWholePage") == 0
        frames = root.locator("iframe.tg-print-frame")
        assert frames.count() == 1
        sheets = frames.element_handle().content_frame()
        html = sheets.content()
        count = html.count('class="tg-sheet"')
        assert count == page.evaluate("document.querySelector('.tg-stepper .tg-handout').children.length") > 2
        assert "from autograd import Stepper" in page.inner_text("body")
        assert sheets.text_content("body").count("Forward") >= 1  # the sheets' titles, hidden on screen
        assert "from autograd import Stepper" not in sheets.text_content("body")  # no notebook cell in it
        assert sheets.evaluate("getComputedStyle(document.querySelector('.tg-stepper')).getPropertyValue("
                               "'--tg-font')").strip()
        # Printed, the frame gives one A4 page per sheet, each with its graph.
        printer = context.new_page()
        printer.set_content(html)
        printer.emulate_media(media="print")
        pdf = tmp_path / "handout.pdf"
        printer.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
        assert pdf_pages(pdf.read_bytes()) == count
        assert printer.locator("svg.tg-sheet-graph").count() == count
        # A second print replaces the frame rather than adding one.
        root.locator(".tg-print-buttons button").nth(1).click()  # Print fill-in
        assert frames.count() == 1 and "______" in frames.element_handle().content_frame().text_content("body")
        assert errors == []
    finally:
        context.close()
