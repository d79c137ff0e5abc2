"""Parameters are named, data never moves (issue 16, item 1): the update changes exactly ``params``.

The API (``Stepper``, ``Timeline``, ``html_page``/``export_html``) takes
``params=``; ``parameters=`` still works, deprecated. For a bare expression
the command line's ``trace --lr`` needs ``--params`` and refuses without it
(exit 2, saying how, in English and Chinese). The update frame and the printed
update list exactly the parameters updated and say how many others keep their
values. Expected numbers are computed here with plain floats, independently
of the engine.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from autograd import Stepper, Value, export_html, html_page
from autograd.viz.timeline import Timeline
from nn.app.cli import main
from support import page_document

LR = 0.1
VALUES = {"x": 2.0, "w": 0.5, "b": 0.1, "y": 1.0}  # the issue's example: (relu(w*x + b) - y)**2


def floats_loss(x: float, w: float, b: float, y: float) -> float:
    """The issue's loss with plain floats: the independent reference."""
    return (max(w * x + b, 0.0) - y) ** 2


def central_difference(name: str, h: float = 1e-6) -> float:
    """d loss / d name by central differences at VALUES."""
    up, down = dict(VALUES), dict(VALUES)
    up[name] += h
    down[name] -= h
    return (floats_loss(**up) - floats_loss(**down)) / (2 * h)


def issue_loss() -> tuple[Value, dict[str, Value]]:
    leaves = {name: Value(value, label=name) for name, value in VALUES.items()}
    loss = ((leaves["w"] * leaves["x"] + leaves["b"]).relu() - leaves["y"]) ** 2
    return loss, leaves


def update_text(stepper: Stepper) -> str:
    return stepper.frame_text(len(stepper) - 1)


# --- the API ----------------------------------------------------------------------------


def test_only_the_named_params_move_and_the_data_stay():
    loss, leaves = issue_loss()
    stepper = Stepper(loss, lr=LR, params=[leaves["w"], leaves["b"]])
    update = stepper.timeline.update
    assert update.params == update.parameters == (leaves["w"], leaves["b"])
    for name, new in zip(("w", "b"), update.new_values):
        assert math.isclose(new, VALUES[name] - LR * central_difference(name), rel_tol=1e-8)
    for name in ("x", "y"):  # the input and the target keep their values
        assert update.values_after[id(leaves[name])] == VALUES[name]
    moved = dict(VALUES, w=update.new_values[0], b=update.new_values[1])
    assert math.isclose(update.loss_after, floats_loss(**moved), rel_tol=1e-9, abs_tol=1e-15)
    assert [leaf.data for leaf in leaves.values()] == list(VALUES.values())  # the user's graph untouched


@pytest.mark.parametrize("lang, summary", [
    ("en", "  updated: w, b only (the other 2 leaves keep their values: x, y)"),
    ("zh", "  只更新 w、b（其余 2 个叶子节点不变：x、y）"),
])
def test_the_update_frame_lists_exactly_the_params_and_counts_the_others(lang, summary):
    loss, leaves = issue_loss()
    text = update_text(Stepper(loss, lr=LR, params=[leaves["w"], leaves["b"]], lang=lang))
    lines = text.splitlines()
    assert lines[1] == summary
    assert [line.split(" ←")[0].strip() for line in lines if "←" in line and "lr" not in line] == ["w", "b"]


def icecream():
    from nn.app.demo import OUTPUT_BIAS, icecream_model, mse, parameter

    model = icecream_model(**{OUTPUT_BIAS: 0.0})
    loss = mse(model)
    return model, loss, parameter(model, OUTPUT_BIAS)


@pytest.mark.parametrize("lang, only_bias, every_parameter", [
    ("en", "  updated: L2.N1.b only (the other 8 parameters keep their values)", "  updated: all 9 parameters"),
    ("zh", "  只更新 L2.N1.b（其余 8 个参数不变）", "  更新全部 9 个参数"),
])
def test_an_nn_graph_counts_the_models_other_parameters(lang, only_bias, every_parameter):
    model, loss, bias = icecream()
    stepper = Stepper(loss, lr=LR, params=[bias], lang=lang)
    lines = update_text(stepper).splitlines()
    assert lines[1] == only_bias
    assert sum("←" in line for line in lines[2:]) == 1
    # The caller passes the model's parameters: all nine move, none of the ten rows' inputs or targets.
    everything = Stepper(loss, lr=LR, params=model.parameters(), lang=lang)
    lines = update_text(everything).splitlines()
    assert lines[1] == every_parameter
    assert set(everything.timeline.update.params) == set(model.parameters())
    assert sum("←" in line for line in lines[2:]) == 9 and "[" not in "".join(lines[2:])  # no "[row k]"
    default = Stepper(loss, lr=LR).timeline.update  # the views' own default finds the same nine
    assert {id(p) for p in default.params} == {id(p) for p in model.parameters()}


def test_html_page_export_html_and_timeline_take_params(tmp_path):
    loss, leaves = issue_loss()
    chosen = [leaves["w"], leaves["b"]]
    page = html_page(loss, lr=LR, params=chosen)
    frame = page_document(page)["frames"][-1]
    names = {element["id"]: element["name"] for element in page_document(page)["elements"]}
    assert frame["kind"] == "update" and [names[i] for i in frame["updated"]] == ["w", "b"]
    assert "updated: w, b only (the other 2 leaves keep their values: x, y)" in frame["arithmetic"]
    written = export_html(loss, tmp_path / "p.html", lr=LR, params=chosen, lang="zh")
    zh_frame = page_document(written.read_text(encoding="utf-8"))["frames"][-1]
    assert "只更新 w、b（其余 2 个叶子节点不变：x、y）" in zh_frame["arithmetic"]
    assert Timeline(loss, lr=LR, params=chosen).update.params == tuple(chosen)


def test_parameters_is_a_deprecated_alias_of_params():
    loss, leaves = issue_loss()
    with pytest.warns(DeprecationWarning, match="parameters= is renamed params="):
        old = Stepper(loss, lr=LR, parameters=[leaves["b"]]).timeline.update
    assert old.params == (leaves["b"],)
    with pytest.warns(DeprecationWarning):
        assert "(the other 3 leaves" in page_document(html_page(loss, lr=LR, parameters=[leaves["b"]]))[
            "frames"][-1]["arithmetic"]
    with pytest.warns(DeprecationWarning):
        assert Timeline(loss, lr=LR, parameters=[leaves["b"]]).update.params == (leaves["b"],)
    with pytest.raises(TypeError, match="give params= only"):
        Stepper(loss, lr=LR, params=[leaves["b"]], parameters=[leaves["w"]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new name warns about nothing
        Stepper(loss, lr=LR, params=[leaves["b"]])


def test_data_constants_and_computed_nodes_are_never_updated():
    loss, leaves = issue_loss()
    scaled = loss * 3.0
    constant = next(node for node in Stepper(scaled).snapshot.order if node.is_constant)
    with pytest.raises(ValueError, match="is a constant; constants are never updated"):
        Stepper(scaled, lr=LR, params=[constant])
    with pytest.raises(ValueError, match="only leaves are updated"):
        Stepper(loss, lr=LR, params=[loss.inputs[0]])
    with pytest.raises(ValueError, match="is not in the loss's graph"):
        Stepper(loss, lr=LR, params=[Value(1.0, label="stranger")])
    with pytest.raises(ValueError, match="w is given twice"):
        Stepper(loss, lr=LR, params=[leaves["w"], leaves["w"]])
    with pytest.raises(TypeError, match="each of params must be Value"):
        Stepper(loss, lr=LR, params=[0.5])
    # A row of a batch is data: refused even when named.
    _model, batch_loss, _bias = icecream()
    row_leaf = next(node for node in Stepper(batch_loss).snapshot.order
                    if node.is_leaf and isinstance(getattr(node, "row", None), int))
    with pytest.raises(ValueError, match=r"belongs to batch row \d+: it is data, never updated"):
        Stepper(batch_loss, lr=LR, params=[row_leaf])


def test_no_params_says_how_to_name_them():
    loss, _leaves = issue_loss()
    assert "pass params=[...]" in update_text(Stepper(loss, lr=LR, params=[]))
    assert "传入 params=[...]" in update_text(Stepper(loss, lr=LR, params=[], lang="zh"))


# --- the command line ---------------------------------------------------------------------

EXPRESSION = "(relu(w*x + b) - y)**2"
SET = ["--set", "x=2", "w=0.5", "b=0.1", "y=1"]


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("TRACEGRAD_LANG", "en")


@pytest.mark.parametrize("lang, message", [
    ("en", "--lr needs --params: name the parameters gradient descent may change, e.g. --lr 0.1 --params w b "
           "(the expression's names: w, x, b, y); inputs and targets are data and never change"),
    ("zh", "--lr 需要 --params：请写出梯度下降可以改变的参数，例如 --lr 0.1 --params w b"
           "（表达式里的名字：w, x, b, y）；输入和目标值是数据，从不改变"),
])
def test_trace_lr_without_params_is_refused_saying_how(tmp_path, lang, message):
    env = dict(os.environ, TRACEGRAD_LANG="en", PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, "-m", "nn.app.cli", "trace", EXPRESSION, *SET, "--lr", "0.1",
                             "-o", "steps.html", "--lang", lang],
                            cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
    assert result.returncode == 2
    assert message in result.stderr and result.stdout == ""
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_trace_with_params_moves_exactly_those(tmp_path, english, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["trace", EXPRESSION, *SET, "--lr", "0.1", "--params", "w", "b", "-o", "steps.html"]) == 0
    out = capsys.readouterr().out
    update = out[out.index("The update (gradient descent, lr = 0.1)"):]
    assert "  updated: w, b only (the other 2 leaves keep their values: x, y)" in update
    new_w, new_b = (VALUES[n] - LR * central_difference(n) for n in ("w", "b"))
    assert f"w ← 0.5 − 0.1 × 0.4 = {new_w:.4g}" in update and f"b ← 0.1 − 0.1 × 0.2 = {new_b:.4g}" in update
    assert "x ←" not in out and "y ←" not in out  # the data never move (the issue's x ← 1.99, y ← 1.02)
    document = page_document((tmp_path / "steps.html").read_text(encoding="utf-8"))
    names = {element["id"]: element["name"] for element in document["elements"]}
    assert [names[i] for i in document["frames"][-1]["updated"]] == ["w", "b"]


def test_trace_params_in_chinese_and_one_param(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["trace", EXPRESSION, *SET, "--lr", "0.1", "--params", "b", "--lang", "zh"]) == 0
    out = capsys.readouterr().out
    assert "  只更新 b（其余 3 个叶子节点不变：w、x、y）" in out
    assert "b ← 0.1 − 0.1 × 0.2 = 0.08" in out and "w ←" not in out


@pytest.mark.parametrize("args, message", [
    (["--params", "w"], "--params w: only --lr RATE updates parameters; add --lr, e.g. --lr 0.1"),
    (["--lr", "0.1", "--params", "w", "z"], "--params z: not a name of the expression (its names: w, x, b, y)"),
])
def test_trace_params_mistakes_are_usage_errors(tmp_path, english, capsys, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["trace", EXPRESSION, *SET, *args]) == 2
    captured = capsys.readouterr()
    assert message in captured.err and captured.out == ""


def test_trace_params_mistakes_in_chinese(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["trace", EXPRESSION, *SET, "--params", "w", "--lang", "zh"]) == 2
    assert "--params w：只有 --lr RATE 才会更新参数；请加上 --lr，例如 --lr 0.1" in capsys.readouterr().err


def test_trace_help_explains_params(english, capsys):
    assert main(["trace", "--help"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "--params NAME [NAME ...]" in out and "the parameters that --lr updates" in out
    assert "(needs --params)" in out
