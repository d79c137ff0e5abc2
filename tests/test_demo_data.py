"""``tracegrad demo --data``: the ice-cream walkthrough on a teacher's own rows.

The CSV is written here; its numbers are checked against plain-float
arithmetic done in this file (the least-squares line, the predictions, the
MSE and its slope), and every bad file is refused with its line named.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from nn.app import demo
from support import page_document

# Six rows in the ice-cream article's units; a Chinese input name becomes a leaf's label as it is.
SHOP = "气温,weekday,sales\n18,2,0.43\n21,6,0.86\n24,3,0.83\n26,7,1.62\n29,1,1.10\n31,5,1.25\n"
ROWS = [[18, 2, 0.43], [21, 6, 0.86], [24, 3, 0.83], [26, 7, 1.62], [29, 1, 1.10], [31, 5, 1.25]]


def tracegrad(*args: str, cwd: Path, lang: str = "en") -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="100", TRACEGRAD_LANG=lang)
    return subprocess.run([sys.executable, "-m", "nn.app.cli", *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=300, env=env)


def written(tmp_path: Path, text: str | bytes, name: str = "shop.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    return path


def relu(x: float) -> float:
    return x if x > 0 else 0.0


def by_hand(state: dict[str, float], row: list[float]) -> float:
    """The 2-2-1 ReLU network's prediction in plain floats."""
    hidden = [relu(state[f"L1.N{k}.w1"] * row[0] + state[f"L1.N{k}.w2"] * row[1] + state[f"L1.N{k}.b"])
              for k in (1, 2)]
    return relu(state["L2.N1.w1"] * hidden[0] + state["L2.N1.w2"] * hidden[1] + state["L2.N1.b"])


# --- the story on the teacher's rows ----------------------------------------------------------


def test_demo_tells_the_walkthrough_on_a_csv(tmp_path):
    written(tmp_path, SHOP)
    result = tracegrad("demo", "--data", "shop.csv", "--out", "walk", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "walk"
    expected = ["shop_graph.svg", "shop_stepper.html", "mse_vs_bias.png", "bias_and_weight.png",
                "all_parameters_loss.png", "walkthrough.txt"]
    assert sorted(path.name for path in out.iterdir()) == sorted(expected)
    story = result.stdout
    assert "Your table shop.csv: 气温, weekday -> y = sales, 6 rows." in story
    assert "Network 2 -> 2 ReLU -> 1 ReLU, 9 parameters." in story
    assert "forward the 6 rows" in story and "(2/6)" in story
    # step 1's MSE at b = 0, recomputed here from the printed starting values
    lesson = demo.lesson_from_table(demo.read_table(tmp_path / "shop.csv"), source="shop.csv")
    state = dict(lesson.state, **{demo.OUTPUT_BIAS: 0.0})
    mse0 = sum((by_hand(state, row[:2]) - row[2]) ** 2 for row in ROWS) / len(ROWS)
    assert f"MSE = mean((ŷ - y)^2) = {mse0:.6g}" in story
    # every row is on (z > 0), so MSE(b) is a parabola whose bottom is the mean residual
    bottom = sum(row[2] - by_hand(state, row[:2]) for row in ROWS) / len(ROWS)
    assert f"the exact bottom, where the slope is 0, is b = {bottom:.5f})" in story
    assert (out / "walkthrough.txt").read_text(encoding="utf-8") in story + "\n"
    # the graph and the page: the header's names are the input leaves' labels, one step per row
    assert "气温" in (out / "shop_graph.svg").read_text(encoding="utf-8")
    page = (out / "shop_stepper.html").read_text(encoding="utf-8")
    assert "The loss of shop.csv over its 6 rows at b = 0" in page
    document = page_document(page)
    follow = document["follow"]
    assert follow["name"] == "L2.N1.b" and len(follow["frames"]) == 6  # one contribution per row
    assert sorted(follow["rows"], key=int) == [str(k) for k in range(1, 7)]
    update = "\n".join(document["frames"][-1][key] for key in ("headline", "arithmetic", "sentence"))
    first, second = demo.descend_output_bias(0.0, lr=demo.BIAS_LR, lesson=lesson)[:2]
    assert f"L2.N1.b ← 0 − 0.1 × ({first.grad:.4g}) = {second.bias:.4g}" in update
    for name in ("mse_vs_bias.png", "bias_and_weight.png", "all_parameters_loss.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "next: open walk/shop_stepper.html" in story


def test_demo_tells_it_in_chinese(tmp_path):
    written(tmp_path, SHOP)
    result = tracegrad("demo", "--data", "shop.csv", "--out", "walk", "-q", cwd=tmp_path, lang="zh")
    assert result.returncode == 0, result.stderr
    story = (tmp_path / "walk" / "walkthrough.txt").read_text(encoding="utf-8")
    assert "你的表格 shop.csv：气温, weekday -> y = sales，共 6 行。" in story
    for term in ("偏置", "权重", "参数", "梯度下降", "链式法则", "前向传播", "最小二乘"):
        assert term in story, term
    # no English sentence is left: the only Latin words are names, formulas and the table's own labels
    import re

    words = set(re.findall(r"(?<![\w.'])[A-Za-z]{3,}(?![\w.(])", story)) - {
        "weekday", "sales", "shop", "csv", "ReLU", "MSE", "relu", "grad", "dMSE"}
    assert words <= {"stop"} or not words, sorted(words)
    page = (tmp_path / "walk" / "shop_stepper.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in page and "shop.csv 的 6 行数据在 b = 0 时的损失" in page
    assert "已写出 6 个文件到 walk/：" in result.stdout


def test_the_starting_network_is_the_least_squares_line():
    from nn.data import DataSet

    # y = 2 x1 - x2 + 3 exactly: the line is found, and at the trained bias every prediction is exact
    X = [[1.0, 0.0], [2.0, 1.0], [3.0, 5.0], [0.5, 2.0], [4.0, 4.0]]
    y = [2 * a - b + 3 for a, b in X]
    lesson = demo.lesson_from_table(DataSet(X, y, ("a", "b"), "y", {}), source="line.csv")
    assert lesson.state["L1.N1.w1"] == pytest.approx(2.0, abs=1e-6)  # a 1e-9 ridge keeps the line unique
    assert lesson.state["L1.N1.w2"] == pytest.approx(-1.0, abs=1e-6)
    assert demo.mse_at(lesson=lesson) == pytest.approx(0.0, abs=1e-12)
    for row, target in zip(X, y):
        assert by_hand(dict(lesson.state), row) == pytest.approx(target, abs=1e-6)
    # step 1 forgets the bias: every row stays on, and descent finds the bias again
    steps = demo.descend_output_bias(0.0, lr=demo.BIAS_LR, lesson=lesson)
    assert all(term.relu_slope == 1.0 for term in steps[0].terms)
    assert steps[-1].bias == pytest.approx(lesson.state[demo.OUTPUT_BIAS], abs=1e-3)


def test_step_sizes_suit_the_tables_units():
    from nn.data import DataSet

    # inputs in the thousands: a learning rate fit for the ice-cream table would diverge
    X = [[1000.0 + 37 * k, 5.0 + (k * 7) % 4] for k in range(8)]
    y = [0.002 * a + 0.3 * b + ((k * 5) % 3) * 0.1 for k, (a, b) in enumerate(X)]
    lesson = demo.lesson_from_table(DataSet(X, y, ("area", "rooms"), "price", {}), source="flats.csv")
    path = demo.descend_bias_and_weight((0.0, 0.0), lr=lesson.pair_lr, steps=lesson.pair_steps, lesson=lesson)
    losses = [point[2] for point in path]
    assert all(later <= earlier + 1e-12 for earlier, later in zip(losses, losses[1:]))  # never overshoots
    assert losses[-1] < 0.5 * losses[0]
    _, history = demo.train_all_parameters(epochs=50, lr=lesson.all_lr, lesson=lesson)
    assert all(math.isfinite(value) for value in history.loss) and history.loss[-1] <= history.loss[0]
    too_large = demo.train_all_parameters(epochs=20, lr=10 * lesson.all_lr, lesson=lesson)[1]
    assert too_large.loss[-1] > too_large.loss[0]  # ten times that step kills the ReLUs: the MSE grows
    assert lesson.brute_force[0] == 0.0 and len(lesson.brute_force) == 6


def test_three_inputs_make_a_three_input_network(tmp_path):
    path = written(tmp_path, "x1,x2,x3,t\n1,2,3,4\n2,1,0,3\n0,0,1,1\n3,3,3,7\n")
    lesson = demo.lesson_from_table(demo.read_table(path), source=str(path))
    model = lesson.model()
    assert len(model.parameters()) == 3 * 2 + 2 + 3 and "L1.N1.w3" in lesson.state
    lines: list[str] = []
    demo.walkthrough(lines.append, lesson=lesson)
    assert "5. All 11 parameters at once, from the same start as step 3 (output bias 0)," in lines


def test_without_data_the_story_is_the_ice_cream_articles():
    lesson = demo.icecream_lesson()
    assert lesson.source is None and lesson.table.feature_names == ("temperature", "weekday")
    assert lesson.model().state_dict() == demo.icecream_model().state_dict()
    assert demo.output_files() == dict(zip(("graph", "page", "bias", "surface", "loss", "story"),
                                           demo.OUTPUT_FILES))


# --- files the walkthrough refuses -------------------------------------------------------------

BAD = [
    ("", "bad.csv: the file is empty"),
    ("\n\n", "bad.csv: the file is empty"),
    ("18,2,0.43\n21,6,0.86\n", "bad.csv, line 1: the first line must name the columns"),
    ("sales\n1\n2\n", "bad.csv, line 1: the header names 1 column"),
    ("t,,s\n1,2,3\n4,5,6\n", "bad.csv, line 1: column 2 has no name"),
    ("t,t,s\n1,2,3\n4,5,6\n", "bad.csv, line 1: the column name 't' appears twice"),
    ("t,w,s\n1,2,3\n4,5\n", "bad.csv, line 3: 2 values, but the header names 3 columns"),
    ("t,w,s\n1,2,3\n\n4,5,6,7\n", "bad.csv, line 4: 4 values, but the header names 3 columns"),
    ("t,w,s\n1,2,3\n4,5,6\n7,warm,9\n", "bad.csv, line 4: 'warm' in column w is not a number"),
    ("t,w,s\n1,2,3\n4,nan,6\n", "bad.csv, line 3: 'nan' in column w is not a finite number"),
    ("t,w,s\n1,2,3\n4,5,-inf\n", "bad.csv, line 3: '-inf' in column s is not a finite number"),
    ("t,w,s\n1,2,3\n4,5,1e999\n", "bad.csv, line 3: '1e999' in column s is not a finite number"),
    ("t,w,s\n1,2,3\n", "bad.csv: 1 rows of data; the walkthrough takes 2 to 50"),
    ("t,s\n" + "".join(f"{k},{k}\n" for k in range(51)), "bad.csv, line 52: 51 rows of data"),
    (",".join(f"x{k}" for k in range(12)) + "\n" + "1," * 11 + "1\n",
     "bad.csv, line 1: the header names 11 inputs; the walkthrough takes at most 10"),
    ("t,s\n1,2\n3,4\n".encode("utf-8") + "5,销量\n".encode("gbk"),
     "bad.csv, line 4: not UTF-8 text (byte 0xcf is not UTF-8)"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_bad_tables_are_refused_with_the_line_named(tmp_path, text, message):
    path = written(tmp_path, text, "bad.csv")
    with pytest.raises(demo.TableError) as refused:
        demo.read_table(path)
    assert str(refused.value).replace(str(tmp_path) + os.sep, "").startswith(message), str(refused.value)
    assert isinstance(refused.value, ValueError)


def test_a_good_table_is_read_as_written(tmp_path):
    # Excel's "CSV UTF-8" starts with a byte-order mark; blank lines and spaces around numbers are fine
    path = written(tmp_path, b"\xef\xbb\xbf temp , sales \r\n1, 2.5\r\n\r\n -3 ,4e1\r\n")
    table = demo.read_table(path)
    assert table.feature_names == ("temp",) and table.target_name == "sales"
    assert table.X == [[1.0], [-3.0]] and table.y == [2.5, 40.0]


def test_reading_checks_its_arguments(tmp_path):
    with pytest.raises(TypeError, match="path"):
        demo.read_table(3)
    with pytest.raises(demo.TableError, match="missing.csv: cannot be read"):
        demo.read_table(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="table"):
        demo.lesson_from_table([[1, 2]])
    with pytest.raises(TypeError, match="lesson"):
        demo.bias_gradient(0.0, lesson="shop.csv")


@pytest.mark.parametrize("lang, words", [("en", "bad.csv, line 3: 'warm' in column w is not a number"),
                                         ("zh", "bad.csv，第 3 行：w 列中的 'warm' 不是数字")])
def test_the_command_refuses_a_bad_table_before_writing_anything(tmp_path, lang, words):
    written(tmp_path, "t,w,s\n1,2,3\n4,warm,6\n", "bad.csv")
    result = tracegrad("demo", "--data", "bad.csv", "--out", "walk", cwd=tmp_path, lang=lang)
    assert result.returncode == 2
    assert words in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "walk").exists()
    missing = tracegrad("demo", "--data", "nowhere.csv", cwd=tmp_path, lang=lang)
    assert missing.returncode == 2 and "nowhere.csv" in missing.stderr


# --- the articles' names on the demo's graph and page ----------------------------------------

def _graph_and_page(lang: str, lesson=None) -> tuple[str, str]:
    from autograd.i18n import language

    with language(lang):
        files = demo.run_demo("walk", quiet=True, lesson=lesson)
    by_name = {path.name: content for path, content in files.items()}
    graph = next(content for name, content in by_name.items() if name.endswith("_graph.svg"))
    page = next(content for name, content in by_name.items() if name.endswith("_stepper.html"))
    return graph.decode("utf-8") if isinstance(graph, bytes) else graph, page


@pytest.mark.parametrize("lang, inputs, other", [("en", ("temperature", "weekday"), ("温度", "星期几")),
                                                 ("zh", ("温度", "星期几"), ("temperature", "weekday"))])
def test_the_icecream_graph_and_page_carry_the_articles_names_in_the_pages_language(lang, inputs, other):
    import json
    import re

    graph, page = _graph_and_page(lang)
    document = page_document(page)
    text = json.dumps(document, ensure_ascii=False)
    for name in ("r\u0302", "MSE", "h1", "h2", *inputs):
        assert name in graph and name in text, name
    for name in other:
        assert name not in graph and name not in text, name
    # no label "a" or "ŷ" is left: the hidden activations are h1, h2 and the prediction r̂
    assert not re.search(r">a(?: \[row \d+\])?<", graph) and "ŷ" not in graph
    # the network view: the input circles named in the page's language; each neuron shows z and h1/h2/r̂
    inputs_column, hidden, output = document["network"]["columns"]
    assert tuple(circle["name"] for circle in inputs_column) == inputs
    assert [[label for label, _ in circle["rows"]["1"]] for circle in hidden] == [["z", "h1"], ["z", "h2"]]
    assert [label for label, _ in output[0]["rows"]["1"]] == ["z", "r\u0302"]


def test_a_teachers_table_keeps_its_own_column_names_and_the_common_names(tmp_path):
    written(tmp_path, SHOP)
    lesson = demo.lesson_from_table(demo.read_table(tmp_path / "shop.csv"), source="shop.csv")
    graph, _ = _graph_and_page("zh", lesson)
    for name in ("气温", "weekday", "ŷ", "MSE", "h1", "h2"):  # the teacher's labels are never translated
        assert name in graph, name
    assert "星期几" not in graph and "r\u0302" not in graph


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_story_heads_its_columns_r_and_r_hat_over_their_numbers(lang):
    import re
    import unicodedata

    from autograd.i18n import language

    def columns(text: str) -> int:  # a Chinese character takes two, the hat of r̂ none
        return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
                   for c in text)

    lines: list[str] = []
    with language(lang):
        demo.walkthrough(lines.append)
    head = next(index for index, line in enumerate(lines) if line.rstrip().endswith("r\u0302") and " r " in line)
    header, first = lines[head], lines[head + 1]
    assert columns(header[:header.index(" r ") + 2]) == columns(first[:first.index("0.43") + 4])  # r over the sales
    assert columns(header.rstrip()) == columns(first.rstrip())  # r̂ over the prediction
    assert "mean((r\u0302 - r)^2)" in "\n".join(lines) and not re.search(r"\bd?pred\b", "\n".join(lines))
