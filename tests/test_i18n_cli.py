"""The command line in Chinese: help, argparse's own words, errors, printed output and plots.

A Chinese-reading student meets no English sentence: ``--lang zh`` or the
locale (``LANG=zh_CN.UTF-8``) chooses Chinese; numbers, formulas, names and
option names stay as they are; the plots draw Chinese with a CJK font (no
missing-glyph boxes). English stays the default and is unchanged
(tests/test_cli.py).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import unicodedata
import warnings
from pathlib import Path

import pytest

from nn import ACTIVATIONS, LOSSES
from nn.app.cli import main
from nn.app.cli.common import language_asked, wrap
from nn.app.cli.train import DATASETS, OPTIMIZERS
from nn.app.expression import FUNCTIONS

COMMANDS = ["draw", "trace", "train", "demo", "glossary", "course"]
LOCALE_VARIABLES = ("TRACEGRAD_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


def tracegrad(*args: str, cwd: Path, lang_env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess:
    """``python -m nn.app.cli ARGS`` in ``cwd``, with no locale but ``lang_env``; warnings always shown."""
    env = {key: value for key, value in os.environ.items() if key not in LOCALE_VARIABLES}
    env.update(PYTHONIOENCODING="utf-8", COLUMNS="100", PYTHONWARNINGS="always", **(lang_env or {}))
    return subprocess.run([sys.executable, "-m", "nn.app.cli", *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout, env=env)


# --- what counts as an English sentence ----------------------------------------------------

#: Identifiers a help text may name: commands, datasets, functions, losses, activations, optimisers.
#: And the name of draw's and trace's positional argument, ``expression``, as argparse shows it.
IDENTIFIERS = {*COMMANDS, *DATASETS, *FUNCTIONS, *LOSSES, *ACTIVATIONS, *OPTIMIZERS, "tracegrad", "expression"}
#: Words of formulas and code the story prints as they are: mean((预测 - 销量)^2), b - 0.1*grad.
FORMULA_WORDS = {"mean", "grad"}
#: Names that Chinese text writes in Latin letters too: programs, projects, a shell.
PROPER_NAMES = {"Graphviz", "micrograd", "Debian", "Ubuntu", "shell", "Python", "Unicode", "string"}


def english_words(text: str) -> list[str]:
    """The ASCII words of 4+ letters in ``text`` that are not code, options, metavars or names.

    Left out: the usage block (option names and metavars only), example
    command lines, quoted code ('tanh(x*w + b)', `dot`), choices ({en,zh}),
    options (--follow, -o), paths (./tracegrad-demo), words with a digit, dot, underscore, '=' or '/'
    (16,16, autograd.compile, L2.N1.b, zh_CN.UTF-8), acronyms and metavars
    (NAME, FILE, MLP, ReLU), and the identifiers and names above.
    """
    kept: list[str] = []
    in_usage = False
    for line in text.splitlines():
        if line.startswith(("用法：", "usage:")):
            in_usage = True
        elif not line.strip():
            in_usage = False
        if in_usage or line.lstrip().startswith("tracegrad "):
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`|\{[^}]*\}", " ", text)
    words = []
    for token in re.findall(r"[-./]*[A-Za-z][A-Za-z0-9_.=/,'-]*", text):
        token = token.rstrip(".,'")
        if token.startswith(("-", ".", "/")) or re.search(r"[0-9_./=]", token):
            continue
        if sum(character.isupper() for character in token) >= 2 or token.isupper():
            continue
        if token in IDENTIFIERS | PROPER_NAMES | FORMULA_WORDS or len(token) < 4:
            continue
        words.append(token)
    return words


def test_the_check_finds_english_and_passes_code():
    assert english_words("显示本帮助信息并退出") == []
    assert english_words("show this help message and exit") == ["show", "this", "help", "message", "exit"]
    assert english_words("  --lr RATE   学习率，例如 'tanh(x*w + b)'，见 autograd.compile、MLP、ReLU、L2.N1.b") == []
    assert english_words("用法：tracegrad trace [-h] [--follow NAME]\n     expression\n\n中文") == []


def columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(character) in "WF" else 1 for character in line)


# --- help ------------------------------------------------------------------------------------


def check_chinese_help(result: subprocess.CompletedProcess, command: list[str]) -> None:
    """The help of ``tracegrad COMMAND`` in Chinese: argparse's words too, no English sentence, 100 columns."""
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"用法：tracegrad {' '.join(command)}".rstrip())
    assert "选项:" in result.stdout and "显示本帮助信息并退出" in result.stdout
    assert ("位置参数:" in result.stdout) == (command not in (["demo"], ["glossary"], ["course"]))
    assert english_words(result.stdout) == []
    # Chinese wrapped by its width: a Chinese character takes two columns.
    assert max(columns(line) for line in result.stdout.splitlines()) <= 100
    assert result.stderr == ""


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_every_help_in_chinese_has_no_english_sentence(tmp_path, command):
    check_chinese_help(tracegrad(*command, "--help", "--lang", "zh", cwd=tmp_path), command)


def test_the_help_names_the_articles_terms(tmp_path):
    trace = tracegrad("trace", "--help", "--lang", "zh", cwd=tmp_path).stdout
    assert "前向传播" in trace and "反向传播" in trace and "局部导数" in trace and "梯度" in trace
    train = tracegrad("train", "--help", "--lang", "zh", cwd=tmp_path).stdout
    assert "学习率" in train and "小批量" in train and "权重" in train and "隐藏层" in train


@pytest.mark.parametrize("variable", ["LANG", "LC_ALL", "TRACEGRAD_LANG"])
def test_the_locale_chooses_chinese_without_lang(tmp_path, variable):
    result = tracegrad("--help", cwd=tmp_path, lang_env={variable: "zh_CN.UTF-8"})
    assert result.returncode == 0
    assert result.stdout.startswith("用法：tracegrad")
    assert "一个节点一个节点地看反向传播如何发生。" in result.stdout
    assert "当前为 zh" in result.stdout


def test_lang_wins_over_the_locale_and_english_is_the_default(tmp_path):
    english = tracegrad("draw", "--help", cwd=tmp_path).stdout
    assert english.startswith("usage: tracegrad draw")
    assert "show this help message and exit" in english
    assert tracegrad("draw", "--help", "--lang", "en", cwd=tmp_path,
                     lang_env={"LANG": "zh_CN.UTF-8"}).stdout == english
    assert tracegrad("--lang", "zh", "draw", "--help", cwd=tmp_path).stdout.startswith("用法：")
    assert tracegrad("draw", "--help", cwd=tmp_path,
                     lang_env={"LANG": "zh_CN.UTF-8", "TRACEGRAD_LANG": "en"}).stdout == english


@pytest.mark.parametrize("argv, asked", [
    (["--lang", "zh", "draw"], "zh"), (["draw", "x", "--lang=zh"], "zh"), (["draw", "--la", "zh"], "zh"),
    (["draw", "--lang", "fr"], None), (["draw", "--", "--lang", "zh"], None), (["draw", "--lr", "zh"], None),
    (["--lang", "zh", "trace", "--lang", "en"], "en"), ([], None),
])
def test_the_language_is_read_before_parsing(argv, asked):
    assert language_asked(argv) == asked


def test_chinese_is_wrapped_by_width_never_inside_a_latin_word():
    text = "逐个节点打印一个表达式的前向传播，--follow NAME 只保留给 NAME 的梯度做贡献的步骤。" * 3
    lines = wrap(text, 40).splitlines()
    assert all(columns(line) <= 40 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert not any(line.startswith(("，", "。")) for line in lines)
    assert all("--follow" in line for line in lines if "follow" in line)


# --- errors ----------------------------------------------------------------------------------


#: Bad usage and the Chinese it is told in (tests/test_languages_py310.py runs them on Python 3.10 too).
CHINESE_ERRORS = [
    ([], "缺少以下必需的参数：COMMAND"),
    (["frobnicate"], "无效的选择：'frobnicate'"),
    (["draw"], "缺少以下必需的参数：expression"),
    (["draw", "x", "--set", "x=2", "--bogus"], "无法识别的参数：--bogus"),
    (["draw", "x", "--set"], "至少需要一个参数值"),
    (["draw", "x", "--set", "x=two"], "x：'two' 不是数字"),
    (["draw", "x", "--set", "x=1", "y=2"], "表达式里没有用到"),
    (["draw", "x*", "--set", "x=1"], "语法错误，位于第 3 列"),
    (["draw", "foo(x)", "--set", "x=1"], "未知函数 'foo'"),
    (["draw", "x", "--set", "x=1", "-o", "graph.pdf"], "文件名必须以 .svg 或 .png 或 .dot 结尾"),
    (["trace", "x", "--set", "x=1", "--lr", "0"], "参数 --lr：学习率必须是 (0, 10] 内的有限数，实际是 0"),
    (["trace", "x*y", "--set", "x=1", "y=2", "--wrt", "z"], "--wrt z：表达式里没有这个名字"),
    (["train", "xor", "--samples", "2"], "参数 --samples：请给出 4 到 10000 之间的整数，实际是 2"),
    (["train", "xor", "--batch-size", "-3"], "请给出 0 或更大的整数（0 表示整个数据集），实际是 -3"),
    (["train", "xor", "--hidden", "256,256,256,256,256,256"], "这个网络有 329,985 个参数"),
    (["train", "icecream", "--loss", "hinge"], "回归数据集"),
    (["train", "xor", "--momentum", "0.9"], "--momentum（动量）只适用于 --optimizer sgd"),
]


def check_chinese_error(result: subprocess.CompletedProcess, message: str) -> None:
    """Exit 2, nothing on stdout, ``message`` on stderr, and no English word of argparse's or ours."""
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert message in result.stderr
    assert "：错误：" in result.stderr and "error" not in result.stderr
    assert re.search(r"\b(invalid|argument|required|expected|unrecognized|must|not)\b", result.stderr) is None


@pytest.mark.parametrize("args, message", CHINESE_ERRORS)
def test_errors_are_chinese_with_exit_2(tmp_path, args, message):
    check_chinese_error(tracegrad(*args, "--lang", "zh", cwd=tmp_path), message)


def test_an_error_under_the_chinese_locale_is_chinese(tmp_path):
    result = tracegrad("train", "mnist", cwd=tmp_path, lang_env={"LANG": "zh_CN.UTF-8"})
    assert result.returncode == 2
    assert result.stderr.startswith("用法：tracegrad train")
    assert "tracegrad train：错误：参数 DATASET：无效的选择：'mnist'" in result.stderr


def test_main_lends_argparse_its_words_only_while_it_runs(capsys):
    words = (argparse._, argparse.ngettext)  # type: ignore[attr-defined]
    assert main(["--lang", "zh", "draw"]) == 2
    assert "缺少以下必需的参数" in capsys.readouterr().err
    assert (argparse._, argparse.ngettext) == words  # type: ignore[attr-defined]
    assert main(["--lang", "en", "draw"]) == 2
    assert "the following arguments are required: expression" in capsys.readouterr().err


# --- printed output --------------------------------------------------------------------------


def test_trace_prints_chinese_and_keeps_numbers_and_formulas(tmp_path):
    result = tracegrad("trace", "(w*x + b - y)**2", "--set", "w=0.5", "x=2", "b=0", "y=3",
                       "--follow", "b", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("out = (w*x + b - y)**2 = 4\n  dout/dw  = -8\n")  # formulas and numbers as they are
    assert "前向传播，一次一个节点（共 4 步）：" in out
    assert "反向传播，只显示给 b 的梯度做贡献的步骤（4 步中的 1 步；去掉 --follow 可看到每一步）：" in out
    assert out.rstrip().endswith("（加上 -o steps.html 即可写出单步页面）")
    for english in ("one node at a time", "leave out --follow", "(add -o"):
        assert english not in out


def test_draw_prints_chinese(tmp_path):
    result = tracegrad("draw", "x*y", "--set", "x=2", "y=3", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["out = x*y = 6", "  dout/dx  = 3", "  dout/dy  = 2",
                                          "（加上 -o graph.svg 即可画出计算图）"]


def test_demo_tells_the_story_in_chinese(tmp_path):
    result = tracegrad("demo", "--lang", "zh", "--out", "walk", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    story = result.stdout
    # The article's numbers, as in English; the words in Chinese, with the articles' terms.
    assert "   MSE = mean((r̂ - r)^2) = 0.08650" in story and "r̂：网络对它的预测值" in story
    assert "   b = 0.1   MSE = 0.03798" in story
    assert "b = 0.3 时最低" in story
    assert "引擎的反向传播给出 L2.N1.b.grad = -0.585200" in story
    for term in ("偏置", "权重", "参数", "梯度下降", "链式法则", "前向传播", "暴力搜索"):
        assert term in story, term
    assert "周二" in story and "Tue" not in story
    assert "已写出 6 个文件到 walk/：" in story and "下一步：在浏览器中打开" in story
    assert (tmp_path / "walk" / "walkthrough.txt").read_text(encoding="utf-8") in story + "\n"
    assert english_words(story) == []
    # the plots' Chinese is drawn: matplotlib never fell back to boxes
    assert "missing from font" not in result.stderr and "Glyph" not in result.stderr


def test_train_prints_chinese(tmp_path):
    result = tracegrad("train", "xor", "--epochs", "3", "-q", "--lang", "zh", "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("xor：100 个样本；MLP 2-8-1（33 个参数），tanh，bce_with_logits 损失，adam lr 0.05，3 轮，全批量\n")
    assert "训练用时" in out and "训练后的损失为" in out and "已写出 5 个文件到 run/：" in out
    assert english_words(out) == []
    assert "missing from font" not in result.stderr


# --- plots -----------------------------------------------------------------------------------


def _title_pixels(png: bytes):
    """The top strip of a rendered figure, where the title is, as an array."""
    import io

    import matplotlib.image

    pixels = matplotlib.image.imread(io.BytesIO(png))
    return pixels[: pixels.shape[0] // 8]


def _render_with_chinese_title(family: list[str] | None) -> tuple[bytes, list[str]]:
    """A loss curve titled in Chinese, rendered with ``family`` (None: the language's fonts)."""
    from autograd.i18n import language
    from nn.app import plots

    with warnings.catch_warnings(record=True) as caught, language("zh"):
        warnings.simplefilter("always")
        if family is None:
            figure = plots.loss_curve([1.0, 0.5, 0.25], title="每轮的损失：均方误差")
            png = plots.png_bytes(figure)
        else:
            import matplotlib

            with matplotlib.rc_context({"font.family": family}):
                figure = plots.new_axes.__wrapped__()[0]  # no language font: the one given
                axes = figure.axes[0]
                axes.plot([1, 2, 3], [1.0, 0.5, 0.25])
                axes.set_title("每轮的损失：均方误差")
                axes.set_xlabel("轮次")
                png = plots.png_bytes.__wrapped__(figure)
    return png, [str(warning.message) for warning in caught]


def test_chinese_plots_use_a_cjk_font_and_miss_no_glyph():
    from nn.app import plots

    font = plots.cjk_font()
    assert font is not None, "no CJK font: run scripts/setup.sh (fonts-noto-cjk)"
    assert plots.font_family("zh") == ["DejaVu Sans", font]
    assert plots.font_family("en") is None
    with_cjk, warned = _render_with_chinese_title(None)
    assert not [message for message in warned if "missing from font" in message], warned
    # The same figure where the CJK font is missing: matplotlib warns and draws boxes instead.
    without_cjk, warned_without = _render_with_chinese_title(["DejaVu Sans"])
    assert any("missing from font" in message for message in warned_without)
    with_font, boxes = _title_pixels(with_cjk), _title_pixels(without_cjk)
    assert with_font.shape == boxes.shape
    assert abs(with_font - boxes).sum() > 50  # the title's glyphs differ from the boxes
    ink = (with_font[..., :3] < 0.5).any(axis=-1).sum()
    assert ink > 100  # the title is drawn


def test_the_png_the_cli_writes_draws_its_chinese(tmp_path, monkeypatch, capsys):
    """``tracegrad train --lang zh``'s loss.png against the same run with no CJK font."""
    from nn.app import plots

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert main(["train", "xor", "--epochs", "3", "-q", "--lang", "zh", "--out", str(tmp_path / "cjk")]) == 0
    assert not [w for w in caught if "missing from font" in str(w.message)]
    monkeypatch.setattr(plots, "CJK_FONTS", ())  # as on a machine without the font
    with warnings.catch_warnings(record=True) as caught_without:
        warnings.simplefilter("always")
        assert main(["train", "xor", "--epochs", "3", "-q", "--lang", "zh", "--out", str(tmp_path / "tofu")]) == 0
    assert any("missing from font" in str(w.message) for w in caught_without)
    capsys.readouterr()
    for name in ("loss.png", "boundary.png"):
        drawn = _title_pixels((tmp_path / "cjk" / name).read_bytes())
        boxes = _title_pixels((tmp_path / "tofu" / name).read_bytes())
        assert drawn.shape == boxes.shape and abs(drawn - boxes).sum() > 50, name


def test_plots_speak_the_current_language():
    from autograd.i18n import language
    from nn.app import plots

    with language("zh"):
        figure = plots.predictions_vs_targets([1.0, 2.0], [1.1, 1.9])
    axes = figure.axes[0]
    assert (axes.get_title(), axes.get_xlabel(), axes.get_ylabel()) == ("预测值", "目标值", "预测值")
    assert [text.get_text() for text in axes.get_legend().get_texts()] == ["完美拟合"]
    assert plots.cjk_font() in axes.title.get_fontfamily()
    with language("en"):
        figure = plots.loss_curve([1.0, 0.5])
    assert (figure.axes[0].get_title(), figure.axes[0].get_xlabel()) == ("Training loss", "epoch")


def test_pages_are_given_the_language_when_the_views_take_it():
    from autograd.i18n import language
    from nn.app._language import with_language

    def page(loss: float, *, title: str = "", lang: str | None = None) -> tuple:
        return loss, title, lang

    def old_page(loss: float, *, title: str = "") -> tuple:
        return loss, title

    with language("zh"):
        assert with_language(page, 1.0, title="t") == (1.0, "t", "zh")
        assert with_language(page, 1.0, lang="en") == (1.0, "", "en")  # an explicit choice stays
        assert with_language(old_page, 1.0) == (1.0, "")  # a view without lang= is called as before
