"""The Stepper in a real JupyterLab: it steps in the browser, with no message to the kernel.

JupyterLab runs on 127.0.0.1 (a free port, a token, a temporary folder) and
headless Chromium opens a notebook whose one cell shows a Stepper. After the
cell has run, clicking the widget's Next button must change the frame shown
and send nothing on the kernel's websocket; after the kernel is shut down,
the widget still steps.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from support import find_chromium

pytestmark = [pytest.mark.browser, pytest.mark.notebooks, pytest.mark.widgets]

LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--disable-sync", "--no-first-run"]
CELL = """from autograd import Stepper, Value
x = Value(2.0, label="x"); w = Value(-3.0, label="w"); b = Value(1.0, label="b")
y = (x * w + b).tanh(); y.label = "y"
Stepper(y, follow=w)"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def jupyterlab(tmp_path):
    """A JupyterLab server on loopback, stopped (with its kernels) at the end."""
    port, token = free_port(), secrets.token_hex(16)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CELL)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, tmp_path / "stepper.ipynb")
    environment = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
                   "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "PYTHONPATH": str(Path.cwd())}
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", "--ServerApp.open_browser=False", f"--notebook-dir={tmp_path}",
         "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        cwd=tmp_path, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as answer:
                json.load(answer)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("JupyterLab did not start on 127.0.0.1 within 90 s")
            time.sleep(0.5)
    yield base, token, tmp_path
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()


def kernel_is_idle(base: str, token: str) -> bool:
    """Whether the server has a notebook session whose kernel is started and idle."""
    with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=10) as answer:
        sessions = json.load(answer)
    return any(session.get("kernel", {}).get("execution_state") == "idle" for session in sessions)


def test_the_widget_steps_in_the_browser_without_the_kernel(jupyterlab):
    from playwright.sync_api import sync_playwright

    base, token, _folder = jupyterlab
    sent: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")

        def watch(socket_) -> None:
            if "/channels" in socket_.url:  # the kernel's websocket
                # JupyterLab 4 speaks the binary v1 protocol: its frames are bytes holding JSON headers.
                socket_.on("framesent", lambda frame: sent.append(
                    frame if isinstance(frame, str) else bytes(frame).decode("utf-8", "replace")))

        page.on("websocket", watch)
        page.goto(f"{base}/lab/tree/stepper.ipynb?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
        # The kernel is up when the server lists its session's kernel as idle (the page's own indicator
        # says idle before the kernel has started).
        deadline = time.monotonic() + 180
        while not kernel_is_idle(base, token):
            if time.monotonic() > deadline:
                pytest.fail("the notebook's kernel did not start within 180 s")
            page.wait_for_timeout(500)
        page.wait_for_timeout(1000)  # the page connects to it
        page.locator(".jp-Notebook .jp-Cell .cm-content").first.click()  # edit mode: Shift+Enter runs the cell
        page.keyboard.press("Shift+Enter")
        output = page.locator(".jp-OutputArea-output").first
        try:
            output.wait_for(timeout=120_000)
        except Exception:
            page.screenshot(path=str(jupyterlab[2] / "lab.png"))
            pytest.fail(f"the cell did not run; the page is in {jupyterlab[2] / 'lab.png'}")
        stepper = page.locator(".jp-OutputArea .tg-stepper").first
        try:
            stepper.wait_for(timeout=60_000)
        except Exception:
            pytest.fail(f"the cell's output is not a stepper: {output.inner_text()[:500]!r}")
        counter = stepper.locator(".tg-counter")
        page.wait_for_timeout(1500)  # the widget's own comm messages (opening, its state) are done
        first = counter.inner_text()

        assert any("execute_request" in frame for frame in sent), "the kernel's websocket was not watched"
        before = len(sent)
        next_button = stepper.locator("button.tg-nav").nth(1)
        for _ in range(3):
            next_button.click()
        page.wait_for_timeout(1500)
        assert counter.inner_text() != first, "Next did not change the frame"
        stepped = [frame for frame in sent[before:] if "comm_msg" in frame or "execute_request" in frame]
        assert stepped == [], f"stepping sent kernel messages: {stepped[:3]}"

        # Print handout prints the sheets alone (a frame with anywidget's copy of the style), not the notebook.
        page.evaluate("() => { window.printedWholePage = 0; window.print = () => { window.printedWholePage += 1; }; }")
        stepper.locator(".tg-print-buttons button").first.click()
        page.wait_for_timeout(500)
        assert page.evaluate("window.printedWholePage") == 0
        sheets = stepper.locator("iframe.tg-print-frame").element_handle().content_frame()
        assert sheets.locator("section.tg-sheet").count() == stepper.locator(".tg-handout section.tg-sheet").count() >= 2
        assert "tracegrad's stepper" in sheets.text_content("head style")

        # The kernel stops; the widget keeps stepping in the browser.
        with urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=10) as answer:
            sessions = json.load(answer)
        for session in sessions:
            request = urllib.request.Request(f"{base}/api/kernels/{session['kernel']['id']}?token={token}",
                                             method="DELETE")
            urllib.request.urlopen(request, timeout=10).close()
        page.wait_for_timeout(1000)
        shown = counter.inner_text()
        next_button.click()
        page.wait_for_timeout(500)
        assert counter.inner_text() != shown, "after the kernel stopped, Next no longer steps"
        browser.close()
