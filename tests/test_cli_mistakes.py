"""The command line's errors in the student's words (issue 16, item 5), in English and Chinese.

A Chinese input method types full-width characters (``＊``, ``（``, ``，``):
each is named, with the key to type instead. Two operands side by side lack a
``*`` (Python's own guess is a comma); a misspelled function gets "did you
mean"; ``-o`` into a folder that does not exist is refused with the path
named and no folder made. Each hint is checked to be right: the expression
written as the hint says parses.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from nn.app.cli import main
from nn.app.expression import ExpressionError, parse, parse_assignments


@pytest.fixture
def english(monkeypatch):
    monkeypatch.setenv("TRACEGRAD_LANG", "en")


def refused(capsys, *args: str) -> str:
    """Run ``tracegrad ARGS`` in this process: it must fail with exit 2 and print nothing on stdout."""
    assert main(list(args)) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err


FULL_WIDTH = [  # (expression, the character, its code, what to type, its column)
    ("x＊w", "＊", "U+FF0A", "*", 2),
    ("tanh（x）", "（", "U+FF08", "(", 5),
    ("tanh(x）", "）", "U+FF09", ")", 7),
    ("leaky_relu(x，0.1)", "，", "U+FF0C", ",", 13),
    ("x＋w", "＋", "U+FF0B", "+", 2),
    ("x－w", "－", "U+FF0D", "-", 2),
    ("x／w", "／", "U+FF0F", "/", 2),
    ("ｗ*x", "ｗ", "U+FF57", "w", 1),  # full-width letters
    ("x*２", "２", "U+FF12", "2", 3),  # and digits
]


@pytest.mark.parametrize("source, character, code, ascii, column", FULL_WIDTH)
def test_a_full_width_character_is_named_with_the_key_to_type(source, character, code, ascii, column):
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.message == (f"this is the full-width character {character} ({code}): "
                                    f"switch your keyboard to English input and type {ascii}")
    assert caught.value.column == column
    assert source.replace(character, ascii) != source
    # The advice works: every full-width key typed in English, the expression parses.
    parse("".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else c for c in source))


@pytest.mark.parametrize("source, character, code, ascii, column", FULL_WIDTH[:3])
def test_full_width_characters_on_the_command_line_in_both_languages(capsys, english, source, character, code,
                                                                     ascii, column):
    err = refused(capsys, "draw", source, "--set", "x=1", "w=2")
    assert (f"error: this is the full-width character {character} ({code}): switch your keyboard to English "
            f"input and type {ascii} at column {column}") in err
    err = refused(capsys, "trace", source, "--set", "x=1", "w=2", "--lang", "zh")
    assert f"错误：这是全角字符 {character}（{code}），请切换到英文输入法，输入 {ascii}，位于第 {column} 列" in err


def test_the_full_width_equals_sign_in_set(capsys, english):
    err = refused(capsys, "draw", "x*2", "--set", "x＝1")
    assert ("--set: x＝1: this is the full-width character ＝ (U+FF1D): switch your keyboard to English input "
            "and type =") in err
    assert "全角字符 ＝（U+FF1D），请切换到英文输入法，输入 =" in refused(capsys, "draw", "x*2", "--set", "x＝1",
                                                                "--lang", "zh")
    with pytest.raises(ValueError, match="full-width character ｘ"):
        parse_assignments(["ｘ=1"])


def test_an_ideographic_space_and_look_alike_operators():
    with pytest.raises(ExpressionError, match=r"full-width character '\u3000' \(U\+3000\).*type a space"):
        parse("x\u3000+ 1")
    with pytest.raises(ExpressionError, match=r"× \(U\+00D7\) is not an operator of the language: type \*"):
        parse("x × w")
    parse("x + 权重")  # Chinese names stay welcome


MISSING = [  # (expression, left operand, right operand, column of the right one, the fix)
    ("tanh(x w + b)", "x", "w", 8, "tanh(x*w + b)"),
    ("x w", "x", "w", 3, "x*w"),
    ("2x + 1", "2", "x", 2, "2*x + 1"),
    ("(a+b)(c+d)", "(a+b)", "(c+d)", 6, "(a+b)*(c+d)"),
    ("2 (x)", "2", "(x)", 3, "2*(x)"),
]


@pytest.mark.parametrize("source, left, right, column, fixed", MISSING)
def test_two_operands_side_by_side_lack_a_star_not_a_comma(source, left, right, column, fixed):
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    assert caught.value.message == f"a * is probably missing between {left} and {right} (write {left}*{right})"
    assert "comma" not in str(caught.value)
    assert caught.value.column == column
    parse(fixed)


def test_a_missing_star_on_the_command_line_in_both_languages(capsys, english):
    err = refused(capsys, "draw", "tanh(x w + b)", "--set", "x=1", "w=2", "b=0")
    assert "a * is probably missing between x and w (write x*w) at column 8" in err and "comma" not in err
    err = refused(capsys, "draw", "tanh(x w + b)", "--lang", "zh")
    assert "x 和 w 之间可能少了一个 *（应写成 x*w），位于第 8 列" in err and "逗号" not in err


def test_a_function_name_without_parentheses():
    with pytest.raises(ExpressionError, match=r"'tanh' is a function: call it, as in tanh\(x\)"):
        parse("tanh x")


@pytest.mark.parametrize("typed, meant", [("tnah", "tanh"), ("sigmod", "sigmoid"), ("Relu", "relu"),
                                          ("ecp", "exp"), ("sqr", "sqrt")])
def test_a_misspelled_function_gets_did_you_mean(typed, meant):
    with pytest.raises(ExpressionError) as caught:
        parse(f"{typed}(x)")
    assert caught.value.message == f"unknown function {typed!r}: did you mean {meant}?"
    assert caught.value.column == 1


def test_did_you_mean_on_the_command_line_in_both_languages(capsys, english):
    assert "unknown function 'tnah': did you mean tanh? at column 1" in refused(capsys, "draw", "tnah(x)")
    assert "未知函数 'tnah'：是不是想写 tanh？，位于第 1 列" in refused(capsys, "draw", "tnah(x)", "--lang", "zh")


def test_an_unknown_name_called_like_a_function_lists_the_functions_and_the_star():
    with pytest.raises(ExpressionError) as caught:
        parse("x (w + b)")
    assert caught.value.message == ("unknown function 'x'; known: exp, log, sqrt, abs, tanh, sigmoid, relu, "
                                    "leaky_relu. If x is a name, a * is probably missing (write x*(...))")


@pytest.mark.parametrize("command, args, name", [
    ("draw", ["x*2", "--set", "x=1"], "n.svg"),
    ("trace", ["x*2", "--set", "x=1"], "steps.html"),
])
def test_output_into_a_missing_folder_is_refused_and_no_folder_made(tmp_path, monkeypatch, capsys, english,
                                                                   command, args, name):
    monkeypatch.chdir(tmp_path)
    target = f"nonexistent/dir/{name}"
    err = refused(capsys, command, *args, "-o", target)
    assert (f"-o {target}: the folder nonexistent/dir does not exist; create it first (mkdir -p nonexistent/dir) "
            "or write into a folder that exists (nothing was done)") in err
    err = refused(capsys, command, *args, "-o", target, "--lang", "zh")
    assert f"-o {target}：文件夹 nonexistent/dir 不存在；请先创建它（mkdir -p nonexistent/dir）" in err
    assert list(tmp_path.iterdir()) == []  # no folder was made
    (tmp_path / "nonexistent/dir").mkdir(parents=True)  # once it exists, the same command writes there
    assert main([command, *args, "-o", target]) == 0
    assert (tmp_path / target).is_file()


def test_an_absolute_missing_folder_from_a_fresh_process(tmp_path):
    target = tmp_path / "nonexistent" / "dir" / "n.svg"
    env = dict(os.environ, TRACEGRAD_LANG="en", PYTHONIOENCODING="utf-8")
    result = subprocess.run([sys.executable, "-m", "nn.app.cli", "draw", "x*2", "--set", "x=1", "-o", str(target)],
                            cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    assert f"the folder {target.parent} does not exist" in result.stderr
    assert not (tmp_path / "nonexistent").exists()
