"""The Chinese notebooks' prose reads as Chinese: no stray spaces, full-width punctuation, no Python.

A line break inside a Markdown paragraph renders as a space, which between two
Chinese characters is a visible gap: a Chinese paragraph is one line in
``notebooks/zh/*.md``. Inside a Chinese sentence the punctuation is full-width
(，；：（）！？); formulas (``$...$``), code (`` `...` ``) and numbers keep their
ASCII ("压缩到 (0, 1)", "$f(x)$"). Prose says things in words or maths, never in
Python (``**``, ``1 if a > 0 else 0``, ``==``). The texts are read from the
MyST files (the .ipynb twins are checked equal by tests/test_notebooks.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ZH_DIR = Path(__file__).resolve().parent.parent / "notebooks" / "zh"
NOTEBOOKS = sorted(ZH_DIR.glob("[0-9][0-9]_*.md"))
CJK = "\u3000-\u9fff\uff00-\uffef"
CJK_CHAR = re.compile(f"[{CJK}]")


def is_cjk(character: str) -> bool:
    return bool(CJK_CHAR.fullmatch(character))


def markdown_cells(path: Path) -> list[str]:
    """The Markdown cells of a MyST notebook, in order (code cells and the header left out)."""
    import jupytext

    return [cell.source for cell in jupytext.read(path).cells if cell.cell_type == "markdown"]


def paragraph_lines(source: str) -> list[tuple[str, str]]:
    """Each pair of consecutive lines inside one Markdown paragraph (display maths and fences apart)."""
    pairs, previous, in_block = [], "", False
    for line in source.split("\n"):
        stripped = line.strip()
        if stripped.startswith(("$$", "```")):
            in_block = not in_block if stripped in ("$$", "```") or not stripped.endswith("$$") else in_block
            previous = ""
            continue
        if in_block or not stripped or stripped.startswith(("#", "|", ">")):
            previous = ""
            continue
        if previous and not re.match(r"\s*([*\-]|\d+\.)\s", line):
            pairs.append((previous, line))
        previous = line
    return pairs


def prose(source: str) -> str:
    """The sentences of a Markdown cell with formulas, code, links' targets and HTML left out."""
    text = re.sub(r"\$\$.*?\$\$", " ", source, flags=re.S)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"`[^`]*`", " CODE ", text)
    text = re.sub(r"\$[^$]*\$", " MATH ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return re.sub(r"<[^>]+>", " ", text)


def half_width_in_chinese(text: str) -> list[str]:
    """Half-width ; , : ! ? touching a Chinese character, and ( ) around Chinese words."""
    found = []
    for match in re.finditer(r"[;,:!?]", text):
        before = text[:match.start()].rstrip()[-1:]
        after = text[match.end():].lstrip()[:1]
        if (before and is_cjk(before)) or (after and is_cjk(after)):
            found.append(text[max(0, match.start() - 12):match.end() + 12])
    for match in re.finditer(r"\(([^()]*)\)", text):
        if CJK_CHAR.search(match.group(1)):
            found.append(match.group(0)[:40])
    return found


PYTHON = re.compile(r"\*\*\s*[\w(]|\bif\b.+\belse\b|==|\blambda\b|\bdef\b|\bNone\b")


def python_in(text: str) -> list[str]:
    """Python syntax left in prose (``a**2``, ``1 if a > 0 else 0``); Markdown's **bold** is not Python."""
    without_bold = re.sub(r"\*\*[^*\n]+?\*\*", " ", text)
    return [match.group(0) for match in PYTHON.finditer(without_bold)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_no_line_break_between_two_chinese_characters_in_a_paragraph(path):
    broken = [f"{a.strip()[-15:]}⏎{b.strip()[:15]}" for cell in markdown_cells(path)
              for a, b in paragraph_lines(cell) if a.strip() and is_cjk(a.strip()[-1]) and is_cjk(b.strip()[0])]
    assert not broken, f"{path.stem}: a paragraph wrapped inside a sentence renders a stray space: {broken[:5]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_chinese_sentences_use_full_width_punctuation(path):
    found = [hit for cell in markdown_cells(path) for hit in half_width_in_chinese(prose(cell))]
    assert not found, f"{path.stem}: half-width punctuation in a Chinese sentence: {found[:6]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_chinese_prose_has_no_python(path):
    found = [hit for cell in markdown_cells(path) for hit in python_in(prose(cell))]
    assert not found, f"{path.stem}: Python in prose (write it in words or maths): {found[:6]}"


def test_the_checks_catch_what_they_promise():
    assert paragraph_lines("一二\n三四") == [("一二", "三四")]
    assert paragraph_lines("$$\na\nb\n$$") == [] and paragraph_lines("* 一\n* 二") == []
    assert half_width_in_chinese("所以 x 变大; 然后") and half_width_in_chinese("它(也就是 b)变小")
    assert half_width_in_chinese("第一,第二") and not half_width_in_chinese("压缩到 (0, 1)，区间")
    assert not half_width_in_chinese(prose("看 `f(a, b)` 和 $g(x, y)$：它们"))
    assert python_in("导数是 1 if a > 0 else 0") and python_in("也就是 2*a**1")
    assert not python_in("**梯度下降**是 **9 个参数**")
