"""A Value in Jupyter: its graph as SVG, or text with an install hint when `dot` is missing."""

import os
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET

import graphviz
import pytest

from autograd import Stepper, Value, draw, html_page, topological_order
from autograd.viz import display
from autograd.viz.display import INSTALL_HINT, mimebundle
from autograd.viz.dot import DotFailed, render_svg
from graphs import micrograd_demo_loss, neuron, scoped_mlp


def test_a_value_displays_as_the_svg_of_its_graph():
    y = neuron()
    bundle = y._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml", "text/plain"}
    assert bundle["text/plain"] == repr(y)
    root = ET.fromstring(bundle["image/svg+xml"])
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "tanh" in texts and "grad 1.002" in texts


def test_without_dot_it_falls_back_to_text_with_one_install_line(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no `dot` anywhere
    with pytest.raises(graphviz.ExecutableNotFound):
        graphviz.Digraph().pipe(format="svg")
    y = neuron()
    bundle = mimebundle(y)
    assert set(bundle) == {"text/plain"}
    lines = bundle["text/plain"].splitlines()
    assert lines == [repr(y), INSTALL_HINT]
    assert "install Graphviz" in lines[1] and "apt-get install graphviz" in lines[1]


def fake_dot(tmp_path, monkeypatch, script: str) -> None:
    """A `dot` on the PATH that runs ``script`` (a shell script body) instead of Graphviz."""
    folder = tmp_path / "bin"
    folder.mkdir()
    program = folder / "dot"
    program.write_text("#!/bin/sh\n" + script + "\n")
    program.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


def within(seconds: float, function, *args):
    """``function(*args)`` run in a thread the harness waits for at most ``seconds`` (it fails past that)."""
    result: list = []
    raised: list = []

    def run() -> None:
        try:
            result.append(function(*args))
        except Exception as error:  # handed to the test's thread below
            raised.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"{function.__name__} did not return within {seconds} s"
    if raised:
        raise raised[0]
    return result[0]


@pytest.mark.widgets  # the Stepper's repr reaches dot only with ipywidgets installed
def test_a_broken_dot_shows_text_with_its_message(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, 'echo "Error: syntax error in line 1" >&2; exit 1')
    y = neuron()
    bundle = within(30, mimebundle, y)
    assert set(bundle) == {"text/plain"}
    assert bundle["text/plain"].splitlines() == [
        repr(y), "(Graphviz's `dot` failed (Error: syntax error in line 1), so the graph is not drawn.)"]
    shown = within(30, lambda: Stepper(y)._repr_mimebundle_())  # the Stepper shows its frame's text
    assert set(shown) == {"text/plain"} and "Forward 1 of 3" in shown["text/plain"]
    assert "`dot` failed" in shown["text/plain"]


def test_a_slow_dot_is_stopped_at_its_time_limit(tmp_path, monkeypatch):
    fake_dot(tmp_path, monkeypatch, "sleep 60")
    monkeypatch.setattr(display, "DISPLAY_TIMEOUT", 0.5)
    bundle = within(30, mimebundle, neuron())
    assert set(bundle) == {"text/plain"} and "took longer than 0.5 s" in bundle["text/plain"]
    with pytest.raises(DotFailed, match="took longer than 0.2 s"):
        within(30, render_svg, draw(neuron()), 0.2)


@pytest.mark.widgets  # the Stepper's repr reaches dot only with ipywidgets installed
def test_without_dot_the_stepper_shows_text_too(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    shown = Stepper(neuron())._repr_mimebundle_()
    assert set(shown) == {"text/plain"} and "`dot` program was not found" in shown["text/plain"]
    with pytest.raises(DotFailed, match="install Graphviz"):
        html_page(neuron())


def test_micrograds_65k_node_demo_loss_displays_as_a_summary_from_one_walk(monkeypatch):
    loss = micrograd_demo_loss()
    walks = []
    snapshot = display.Snapshot

    def counted(*args, **kwargs):
        walks.append(args)
        return snapshot(*args, **kwargs)

    def refused(*args, **kwargs):
        raise AssertionError("a graph past the summary limit is never drawn nor laid out")

    # The work done, not the time it takes: one walk of the graph, no drawing, no `dot` run.
    monkeypatch.setattr(display, "Snapshot", counted)
    monkeypatch.setattr(display, "draw", refused)
    monkeypatch.setattr(display, "render_svg", refused)
    bundle = mimebundle(loss)
    assert len(walks) == 1
    assert set(bundle) == {"text/plain"}
    note = bundle["text/plain"].splitlines()[1]
    nodes = len(topological_order(loss))
    assert nodes > 60_000 and f"a graph of {nodes:,} nodes, too big to draw inline" in note
    # micrograd's graph has no scopes: nothing to fold by, the hint says so.
    assert "autograd.draw(value, hide_constants=True)" in note and "autograd.Stepper(value)" in note
    # A graph whose scopes name their kinds is told to fold the outermost kind.
    scoped = display.summary(display.Snapshot(scoped_mlp((2, 3, 1))))
    assert 'autograd.draw(value, collapse="layers", hide_constants=True)' in scoped


def test_include_and_exclude_choose_the_mime_types():
    y = neuron()
    assert set(mimebundle(y, include={"text/plain"})) == {"text/plain"}
    assert set(mimebundle(y, exclude={"image/svg+xml"})) == {"text/plain"}
    assert set(mimebundle(y, include={"image/svg+xml"})) == {"image/svg+xml"}


def test_big_graphs_are_collapsed_or_summarised():
    loss = scoped_mlp((2, 16, 16, 1), samples=2)
    svg = mimebundle(loss)["image/svg+xml"]
    root = ET.fromstring(svg)
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if "group" in (g.get("class") or "").split()]
    assert len(groups) == 33  # one box per neuron
    chain = Value(1.0)
    for _ in range(500):
        chain = chain * 1.0
    bundle = mimebundle(chain)
    assert set(bundle) == {"text/plain"} and "too big to draw inline" in bundle["text/plain"]


def test_importing_autograd_loads_neither_graphviz_nor_ipywidgets():
    program = (
        "import sys, autograd; from autograd import Value; y = Value(1.0) * 2; y.backward(); "
        "print('graphviz' in sys.modules, 'ipywidgets' in sys.modules, 'autograd.viz' in sys.modules); "
        "dir(autograd); print('autograd.viz' in sys.modules); "
        "autograd.draw; autograd.explain(y, y); autograd.backward_steps(y); "
        "print('graphviz' in sys.modules, 'ipywidgets' in sys.modules); "
        "autograd.draw(y); print('graphviz' in sys.modules, 'ipywidgets' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False", "False", "False", "False", "True", "False"]


VIEW_NAMES = ["draw", "backward_steps", "BackwardStep", "Contribution", "explain", "chain_rule",
              "Stepper", "export_html", "html_page"]


def test_the_views_are_in_dir_and_all_before_they_load():
    program = (
        "import sys, autograd; names = dir(autograd); "
        f"print(all(name in names and name in autograd.__all__ for name in {VIEW_NAMES!r}), "
        "'autograd.viz' in sys.modules, names == sorted(names), 'Value' in names, 'validation' in names)"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["True", "False", "True", "True", "True"]


def test_every_name_in_dir_and_all_resolves():
    import autograd

    for name in autograd.__all__:
        assert name in dir(autograd) and getattr(autograd, name) is not None, name
    assert autograd.html_page.__module__ == "autograd.viz.html"
    assert autograd.Stepper.__module__ == "autograd.viz.stepper"
    with pytest.raises(AttributeError, match="no attribute 'drawing'"):
        autograd.drawing  # noqa: B018
    assert "drawing" not in dir(autograd)


def test_public_names_stay_functions_after_their_modules_load():
    import autograd
    from autograd import Stepper, backward_steps, draw, explain, export_html  # noqa: F401
    import autograd.viz.stepper  # noqa: F401  (imports the drawing module too)

    assert callable(autograd.draw) and autograd.draw.__name__ == "draw"
    assert callable(autograd.explain) and autograd.explain.__name__ == "explain"
