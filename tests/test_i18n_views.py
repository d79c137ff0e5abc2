"""The views in Chinese: explain, the steps, the Stepper, the HTML page and draw with ``lang="zh"``.

What a Chinese-reading student sees must be Chinese: every generated
sentence, label, button and hint, with numbers, formulas, op rule texts
(``d(u·v)/du = v``) and the user's labels left as they are. "No English
sentence" is checked as: once the user's labels, the op rules and a few names
of code (``backward()``, ``ReLU``, ``Stepper``) are taken out, no two English
words follow each other. English stays the default, and the language a step
was made in stays with it.
"""

from __future__ import annotations

import html as html_module
import json
import re
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from autograd import Stepper, Value, draw, explain, export_html, html_page, topological_order
from autograd.i18n import language
from autograd.ops import OPS
from autograd.viz.draw import build_scene
from autograd.viz.dot import render_svg
from graphs import neuron, scoped_mlp
from autograd.viz.palette import legend
from support import page_document, platform_fonts
from autograd.viz.snapshot import Snapshot
from autograd.viz.steps import backward_steps, forward_steps
from autograd.viz.timeline import Timeline

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Two English words in a row ("the gradient", "Next step"); a formula's names (L1.N1.w1, tanh(a)) are not words.
ENGLISH_RUN = re.compile(r"(?<![\w.])[A-Za-z][a-z]+(?:[ ,;:'-]+[A-Za-z][a-z]+)+(?![\w(.])")
# Names of code a Chinese text may use as they are.
CODE_NAMES = ("Leaky ReLU", "backward()", "params=[...]", "hide_constants", "collapse")
SVG = "{http://www.w3.org/2000/svg}"


def rule_texts() -> list[str]:
    return sorted({rule for op in OPS.values() for rule in op.rules}, key=len, reverse=True)


def english_runs(text: str, labels: list[str] = ()) -> list[str]:
    """The runs of English words left in ``text`` once labels, op rules and code names are taken out."""
    for known in [*sorted(labels, key=len, reverse=True), *rule_texts(), *CODE_NAMES]:
        if known:
            text = text.replace(known, " ")
    return ENGLISH_RUN.findall(text)


def assert_chinese(text: str, labels: list[str] = ()) -> None:
    assert CHINESE.search(text), text
    runs = english_runs(text, labels)
    assert not runs, f"English in the Chinese text: {runs}\n{text}"


def labels_of(root: Value) -> list[str]:
    return [node.label for node in topological_order(root) if node.label]


def relu_graph() -> Value:
    """A graph with every kind of sentence: ReLU off and on, a sum, a product, a difference, a power, a reuse."""
    x, w, b = Value(1.5, label="x"), Value(-0.8, label="w"), Value(0.2, label="b")
    z = x * w + b
    z.label = "z"
    a = z.relu()
    a.label = "a"
    on = (x * 2.0 - b).relu()
    loss = (a + on - 1.0) ** 2 + (x * x).tanh() + (w / 2.0).sigmoid() + (-b).exp()
    loss.label = "L"
    return loss


# --- the check itself ---

def test_the_english_check_finds_english_and_leaves_formulas_alone():
    assert english_runs("反向传播从 L 开始，初始梯度为 1") == []
    assert english_runs("记下 ∂(x·w)/∂x = -3   [d(u·v)/du = v]") == []
    assert english_runs("L1.N1.w1·x1 + tanh(L1.N1.b) = 0.5；sigmoid 函数") == []
    assert english_runs("反向传播 the initial gradient 1") == ["the initial gradient"]
    assert english_runs("跟踪 loss value：1", labels=["loss value"]) == []
    assert english_runs("Next ▶") == [] and english_runs("Next step") == ["Next step"]


# --- explain and the steps ---

def test_explain_in_chinese():
    loss = scoped_mlp((2, 3, 1))
    weight = next(n for n in topological_order(loss) if n.label == "L1.N2.w1")
    text = explain(loss, weight, lang="zh")
    assert text.startswith("用链式法则求 ∂loss/∂L1.N2.w1：")
    assert "局部导数" in text and "d(u·v)/du = v" in text  # the rule text as the op table writes it
    assert_chinese(text, labels_of(loss))
    x = Value(2.0, label="x")
    y = x * x + x
    y.label = "y"
    reused = explain(y, x, lang="zh")  # three paths, a subscript note
    assert "3 条路径" in reused and "下标" in reused
    assert_chinese(reused, ["x", "y"])
    assert_chinese(explain(y, y, lang="zh"), ["y"])
    assert_chinese(explain(y, Value(1.0, label="c"), lang="zh"), ["x", "y", "c"])


def test_explain_in_chinese_lines_up_in_columns():
    """Chinese characters take two columns: the path's formula lines still line up under the first."""
    y = neuron()
    x = next(n for n in topological_order(y) if n.label == "x")
    lines = explain(y, x, lang="zh").splitlines()
    path = next(index for index, line in enumerate(lines) if line.startswith("路径 1："))
    formula, numbers = lines[path + 1], lines[path + 2]
    assert formula.index("∂y/∂x") == 8  # under "路径 1：", 8 columns wide
    assert numbers.index("=") == formula.index("=")


def test_backward_and_forward_steps_in_chinese():
    loss = relu_graph()
    labels = labels_of(loss)
    names = Snapshot(loss).names
    backward = backward_steps(loss, lang="zh")
    forward = forward_steps(loss, lang="zh")
    sentences = {step.explanation for step in backward} | {step.explanation for step in forward}
    assert any("ReLU 在这里是关闭的" in s for s in sentences) and any("ReLU 在这里是打开的" in s for s in sentences)
    for step in backward:
        assert_chinese(step.text(names, len(backward)), labels)
        assert_chinese(str(step), labels)
    for step in forward:
        assert_chinese(step.text(names, len(forward)), labels)
    assert backward[0].text().startswith("反向传播第 1 步：L = ")
    assert "（反向传播的初始梯度）" in backward[0].text()


def test_a_batch_row_is_named_in_chinese():
    from autograd.modes import row

    with row(3):
        x = Value(2.0, label="x")
        z = x * 3.0 + 1.0
    with language("zh"):
        snapshot = Snapshot(z)
        assert snapshot.names(x) == "x [第 3 行]"
        assert backward_steps(z)[0].text().splitlines()[0] == "反向传播第 1 步：x·3 + 1 [第 3 行] = 6 + 1 = 7"
    with language("en"):
        assert snapshot.names(x) == "x [row 3]"  # one snapshot, both languages: names follow the language
    assert "&#91;第 3 行&#93;" in draw(z, lang="zh").source


def test_steps_keep_the_language_they_were_made_in(monkeypatch):
    monkeypatch.delenv("TRACEGRAD_LANG", raising=False)
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    loss = relu_graph()
    chinese = backward_steps(loss, lang="zh")
    english = backward_steps(loss)
    assert chinese[0].lang == "zh" and english[0].lang == "en"
    # The explanation is made when first read: still in the language of the steps, not of the reader.
    with language("en"):
        assert CHINESE.search(chinese[0].explanation) and CHINESE.search(chinese[1].text())
    with language("zh"):
        assert not CHINESE.search(english[0].explanation) and not CHINESE.search(english[1].text())
    # A view that writes in another language asks for it.
    assert not CHINESE.search(chinese[1].text(lang="en"))
    assert CHINESE.search(english[1].text(lang="zh"))
    made = forward_steps(loss, lang="zh")
    with language("en"):
        assert made[0].lang == "zh" and CHINESE.search(made[0].text(Snapshot(loss).names))


def test_the_locale_chooses_chinese_when_no_lang_is_given(monkeypatch):
    monkeypatch.delenv("TRACEGRAD_LANG", raising=False)
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    y = neuron()
    x = next(n for n in topological_order(y) if n.label == "x")
    assert_chinese(explain(y, x), ["x", "y", "n", "w", "b"])
    assert backward_steps(y)[0].lang == "zh"
    assert Stepper(y).lang == "zh"
    assert not CHINESE.search(explain(y, x, lang="en"))  # an argument wins over the locale


def test_english_is_unchanged_by_default():
    y = neuron()
    x = next(n for n in topological_order(y) if n.label == "x")
    with language("en"):
        assert explain(y, x).startswith("∂y/∂x by the chain rule: one path leads from y to x;")
        assert backward_steps(y)[0].text().startswith("Step 1: y = tanh(n)")
        assert not CHINESE.search(html_page(y))


# --- the Stepper, its timeline and the update ---

def test_stepper_frames_in_chinese():
    loss = scoped_mlp((2, 3, 1))
    labels = labels_of(loss)
    bias = next(n for n in topological_order(loss) if n.label == "L2.N1.b")
    stepper = Stepper(loss, follow=bias, lr=0.1, lang="zh")
    assert stepper.frame_title(0).startswith("前向传播第 1/")
    texts = [stepper.frame_text(index) for index in range(len(stepper))]
    for index, text in enumerate(texts):
        assert_chinese(text, labels)
        assert_chinese(stepper.frame_title(index), labels)
    assert "前向传播完成" in texts[stepper.timeline.backward_start - 1]
    assert any(text.startswith("反向传播第") and "跟踪 L2.N1.b" in text for text in texts)
    assert texts[-1].startswith("更新（梯度下降，学习率 lr = 0.1）") and "更新前的损失" in texts[-1]
    assert stepper.frame_title(len(stepper) - 1) == "更新：p ← p − lr·grad"
    assert_chinese(repr(stepper), labels)


def test_stepper_drawings_in_chinese():
    loss = scoped_mlp((2, 2, 1))
    stepper = Stepper(loss, lang="zh")
    start = stepper.timeline.backward_start
    svg = stepper.frame_svg(start + 1)
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    grads = [t for t in texts if t.startswith("梯度 ")]
    assert grads and any(t.startswith("值 ") for t in texts)
    assert any(t.endswith("（部分和）") for t in grads) or any(t == "梯度 ?" for t in grads)
    assert not any(t.startswith(("grad ", "data ")) for t in texts)
    local = Stepper(loss, lang="zh", view="local")
    assert "梯度 " in local.frame_svg(start)


def test_update_with_no_parameters_and_a_leaf_loss_in_chinese():
    x = Value(2.0)
    y = x * x
    stepper = Stepper(y, lr=0.1, params=[], lang="zh")
    assert "没有参数" in stepper.frame_text(len(stepper) - 1)
    leaf = Stepper(Value(1.0, label="L"), lang="zh")
    assert_chinese(leaf.frame_text(), ["L"])
    assert leaf.frame_title() == "没有步骤：损失本身就是叶子节点"


@pytest.mark.widgets
def test_stepper_widget_in_chinese():
    loss = neuron()
    bias = next(n for n in topological_order(loss) if n.label == "b")
    stepper = Stepper(loss, follow=bias, lang="zh")
    stepper.widget
    words = json.loads(stepper.document_text)["words"]
    assert words["prev"] == "◀ 上一步" and words["next"] == "下一步 ▶"
    assert stepper.frame_title(0).startswith("前向传播第 1/")
    assert any("当前节点" in text for _, text in stepper.document["legend"])
    assert words["sum_of_count"] == "{sum}（{done}/{count}）"  # full-width brackets around a count in Chinese
    for key, text in words.items():
        if key not in ("blank", "sum_of_count"):
            assert_chinese(text.replace("{name}", "b").replace("{answer}", "1").replace("{given}", "1"), ["b"])


# --- the HTML page ---

class _PageText(HTMLParser):
    """The text a reader sees (outside scripts, styles and the drawing) and the titles of controls."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg"):
            self.skip += 1
        for name, value in attrs:
            if name in ("title", "aria-label") and value:
                self.texts.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip and data.strip():
            self.texts.append(data.strip())


def test_the_page_in_chinese():
    loss = scoped_mlp((2, 3, 1))
    labels = labels_of(loss)
    bias = next(n for n in topological_order(loss) if n.label == "L2.N1.b")
    page = html_page(loss, follow=bias, lr=0.1, lang="zh")
    assert '<html lang="zh-CN">' in page
    assert '"Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC",' in page
    assert '"Microsoft YaHei", "PingFang SC", "SimHei", "Heiti SC", sans-serif' in page
    assert "<title>一步一步走过 loss 的前向传播与反向传播</title>" in page
    data = page_document(page)
    for frame in data["frames"]:
        for key in ("title", "headline", "arithmetic", "sentence", "follow"):
            if frame[key]:
                assert_chinese(frame[key], labels)
    assert data["words"]["sum_of_count"] == "{sum}（{done}/{count}）"
    for key, text in data["words"].items():
        if key not in ("blank", "sum_of_count"):  # a count in brackets: no word to translate
            assert_chinese(text.replace("{name}", "b"), labels + ["b"])
    assert data["textWords"] == {"grad": "梯度 {value}", "data": "值 {value}"}
    svg_texts = [value for element in data["elements"] for text in element["texts"] for _, value in text["changes"]]
    assert svg_texts and all(t.startswith(("梯度 ", "值 ")) for t in svg_texts)
    assert any(t.endswith("（部分和）") for t in svg_texts)


def test_the_english_page_keeps_its_language_and_fonts():
    page = html_page(neuron(), lang="en")
    assert '<html lang="en">' in page and '--tg-font: "Noto Sans", "Noto Sans CJK SC"' in page
    assert page_document(page)["textWords"] == {"grad": "grad {value}", "data": "data {value}"}


def test_export_html_takes_lang(tmp_path):
    path = export_html(neuron(), tmp_path / "page.html", lang="zh")
    assert '<html lang="zh-CN">' in path.read_text(encoding="utf-8")


# --- draw ---

def test_draw_in_chinese():
    loss = scoped_mlp((2, 3, 1))
    loss.backward()
    labels = labels_of(loss)
    weighted_sums = [node for node in topological_order(loss) if node.label.endswith("z")]
    graph = draw(loss, lang="zh", collapse="L1", check_grads=True, deltas=weighted_sums)
    assert 'fontname="Noto Sans CJK SC"' in graph.source
    svg = render_svg(graph)
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert any(t.startswith("梯度 ") for t in texts) and any(t.startswith("值 ") for t in texts)
    assert any("个输入" in t and "个参数" in t and "个运算" in t for t in texts)
    assert any(t.startswith("输出 ") for t in texts) and any(t.startswith("✓ 数值 ") for t in texts)
    for text in texts:
        assert not english_runs(text, labels), text
    english = draw(loss, lang="en", collapse="L1")
    assert "grad " in english.source and "梯度" not in english.source


def test_the_legend_in_both_languages():
    with language("zh"):
        chinese = " ".join(text for _, text in legend())
    with language("en"):
        english = " ".join(text for _, text in legend())
    assert "当前节点" in chinese and "梯度是部分和" in chinese and not english_runs(chinese)
    assert "current node" in english
    assert page_document(html_page(neuron(), lang="zh"))["legend"] == [list(entry) for entry in legend_in("zh")]


def legend_in(lang: str) -> list:
    with language(lang):
        return legend()


def test_a_painted_frame_shows_the_chinese_words():
    stepper = Stepper(neuron(), lang="zh", view="graph")
    root = ET.fromstring(stepper.frame_svg(0))
    groups = {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}
    x = next(e for e in stepper.document["elements"] if e["name"] == "x")
    texts = ["".join(t.itertext()) for t in groups[x["id"]].iter(f"{SVG}text")]
    assert texts[-1] == "梯度 ?" and texts[-2] == "值 2"


@pytest.mark.widgets  # the Stepper's repr reaches dot only with ipywidgets installed
def test_dot_failures_in_chinese(tmp_path, monkeypatch):
    from autograd.viz.display import mimebundle
    from autograd.viz.dot import DotFailed

    monkeypatch.setenv("PATH", str(tmp_path))  # no dot anywhere
    with language("zh"):
        with pytest.raises(DotFailed, match="没有找到 Graphviz 的 `dot` 程序") as failure:
            render_svg(draw(neuron()))
        assert failure.value.reason == "missing"
        shown = mimebundle(neuron())["text/plain"].splitlines()[-1]
        assert shown.startswith("（没有找到 Graphviz") and not english_runs(re.sub(r"`[^`]*`", " ", shown))
    stepper_text = Stepper(neuron(), lang="zh")._repr_mimebundle_()["text/plain"]
    assert "没有找到 Graphviz" in stepper_text


def test_the_display_summary_in_chinese():
    from autograd.viz.display import summary

    with language("zh"):
        text = summary(Snapshot(scoped_mlp((2, 3, 1))))
    assert text.startswith("（这个计算图有") and "个节点" in text
    code = re.sub(r"autograd\.\w+\([^)]*\)(\.render\([^)]*\))?", " ", text)
    assert not english_runs(code, ["nn"])


# --- the drawing's order ---

def neuron_rows(svg: str, kind: str) -> dict[str, list[int]]:
    """Per layer, its neurons' numbers from top to bottom, read from the laid-out SVG."""
    found = {}
    pattern = rf'<g id="\w+" class="{kind}">.*?<text[^>]*y="([-\d.]+)"[^>]*>(L\d)\.N(\d+)</text>'
    for match in re.finditer(pattern, svg, flags=re.S):
        found.setdefault(match.group(2), []).append((float(match.group(1)), int(match.group(3))))
    return {layer: [n for _, n in sorted(rows)] for layer, rows in found.items()}


@pytest.mark.parametrize("sizes", [(2, 16, 16, 1), (2, 8, 8, 1), (3, 5, 3, 1)])
def test_collapsed_neurons_are_drawn_in_order(sizes):
    """Graphviz rotated L1.N9..N16 above L1.N1..N8 (every rotation crosses as many edges)."""
    loss = scoped_mlp(sizes)
    svg = render_svg(draw(loss, collapse="neurons"))
    rows = neuron_rows(svg, "node group")
    assert rows["L1"] == list(range(1, sizes[1] + 1)) and rows["L2"] == list(range(1, sizes[2] + 1))


def test_chinese_drawing_renders_with_a_cjk_font(tmp_path):
    """dot finds a font with CJK glyphs for the Chinese words (no missing-glyph boxes in its PNG)."""
    graph = draw(neuron(), lang="zh")
    done = subprocess.run(["dot", "-Tpng", "-v", "-o", str(tmp_path / "zh.png")], input=graph.source.encode(),
                          capture_output=True, timeout=60)
    assert done.returncode == 0
    log = done.stderr.decode("utf-8", "replace")
    assert re.search(r'fontname: "Noto Sans CJK SC" resolved to: .*CJK', log), log[-2000:]
    assert (tmp_path / "zh.png").stat().st_size > 5_000


# --- the Chinese page in a real browser ---



@pytest.mark.browser
def test_the_chinese_page_steps_in_chromium_without_tofu(tmp_path, browser):
    loss = scoped_mlp((2, 3, 1))
    bias = next(n for n in topological_order(loss) if n.label == "L2.N1.b")
    path = export_html(loss, tmp_path / "zh.html", follow=bias, lr=0.1, lang="zh")
    timeline = Timeline(loss, follow=bias, lr=0.1, lang="zh")
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert page.inner_text(".tg-title") == "一步一步走过 loss 的前向传播与反向传播"
    assert page.inner_text(".tg-counter").startswith("前向传播第 1/")
    first = page.inner_text(".tg-explanation")
    assert timeline.text(0).splitlines()[0] in first and CHINESE.search(first)
    assert page.locator("button.tg-nav").nth(1).inner_text() == "下一步 ▶"

    # Stepping: click next, the frame changes (text, counter, the current node).
    before = page.eval_on_selector_all(".tg-view svg g.tg-current", "nodes => nodes.map(n => n.id)")
    page.locator("button.tg-nav").nth(1).click()
    assert timeline.text(1).splitlines()[0] in page.inner_text(".tg-explanation") != first
    assert page.inner_text(".tg-counter").startswith("前向传播第 2/")
    assert page.eval_on_selector_all(".tg-view svg g.tg-current", "nodes => nodes.map(n => n.id)") != before
    page.evaluate(f"window.tracegrad.show({timeline.backward_start + 2})")
    assert page.inner_text(".tg-counter").startswith("反向传播第 3/")
    grads = [text for text in page.eval_on_selector_all(".tg-view svg g[data-node] text",
                                                        "nodes => nodes.map(n => n.textContent)")
             if text.startswith(("梯度", "grad"))]
    assert grads and all(text.startswith("梯度 ") for text in grads)
    assert any(text.endswith("（部分和）") for text in grads) or "梯度 ?" in grads
    page.keyboard.press("End")
    assert page.inner_text(".tg-counter") == "更新：p ← p − lr·grad"
    assert page.inner_text(".tg-headline").startswith("更新（梯度下降")

    # No tofu: the Chinese text of the page and of the drawing is drawn with a CJK font,
    # every glyph of it found there (not left to a last-resort box).
    cjk = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC")
    for selector in (".tg-title", "p.tg-keys", ".tg-headline", "button.tg-nav", ".tg-legend span",
                     ".tg-view svg g[data-node] text"):
        fonts = platform_fonts(page, selector)
        assert any(name in cjk or "CJK" in name for name in fonts), (selector, fonts)
    # And a Chinese glyph in the page's font is not the missing-glyph box: drawn, they differ.
    differs = page.evaluate("""() => {
      const font = "16px " + getComputedStyle(document.body).fontFamily;
      const draw = (text) => {
        const canvas = document.createElement("canvas"); canvas.width = 40; canvas.height = 24;
        const context = canvas.getContext("2d"); context.font = font; context.fillText(text, 2, 18);
        return Array.from(context.getImageData(0, 0, 40, 24).data).join(",");
      };
      return [draw("梯") !== draw("\\u{10FFFD}"), draw("梯") !== draw("度")];
    }""")
    assert differs == [True, True]
    shot = tmp_path / "zh-page.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 20_000
    assert errors == []
