"""The glossary handout: a printable 中英术语表 (HTML for A4, and Markdown) made from the one glossary file.

``autograd/locale/glossary.tsv`` holds the articles' terms, one per line,
English<TAB>Chinese, then optionally<TAB>the variants not to use, separated by
``|``; the catalogues' Chinese uses them (tests/test_i18n.py).
:func:`handout_html` and :func:`handout_markdown` print exactly those words,
in the file's order, the variants struck through; ``tracegrad glossary --out DIR``
writes both.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import NamedTuple, Sequence

from autograd.i18n import LOCALE_DIR
from autograd.validation import path_like
from autograd.viz.frontend import FONTS

#: The one glossary file.
GLOSSARY = LOCALE_DIR / "glossary.tsv"
#: What :func:`handout_files` renders, by name.
HANDOUT_FILES = ("glossary.html", "glossary.md")
TITLE = "中英术语表 · Chinese–English glossary"
SUBTITLE = "tracegrad：反向传播教学用语 · the words of the backpropagation articles"
#: The heading of the variants' column (Markdown), and their label under the term (HTML):
#: words a teacher should not use for the term.
AVOID = "不用 · not"
AVOID_BEFORE = "不用："


class Term(NamedTuple):
    """One line of the glossary: the English term, its one Chinese term, and Chinese variants not to use."""

    english: str
    chinese: str
    avoid: tuple[str, ...] = ()


def read_glossary(path: str | os.PathLike[str] = GLOSSARY) -> list[Term]:
    """The glossary's terms in the file's order; '#' lines and blank lines are skipped."""
    text = Path(path_like(path, "path")).read_text(encoding="utf-8")
    terms = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) not in (2, 3) or not all(cell.strip() for cell in cells):
            raise ValueError(f"{path}, line {number}: expected English<TAB>Chinese[<TAB>variants|...], "
                             f"got {line!r}")
        avoid = tuple(variant.strip() for variant in cells[2].split("|")) if len(cells) == 3 else ()
        terms.append(Term(cells[0].strip(), cells[1].strip(), avoid))
    return terms


def handout_markdown(terms: Sequence[Term] | None = None) -> str:
    """The glossary as a Markdown table: | # | English | 中文 | 不用 (variants struck through) |."""
    terms = read_glossary() if terms is None else [Term(*term) for term in terms]
    lines = [f"# {TITLE}", "", SUBTITLE, "", f"| # | English | 中文 | {AVOID} |", "|--:|:--|:--|:--|"]
    for number, term in enumerate(terms, start=1):
        avoid = "、".join(f"~~{_cell(variant)}~~" for variant in term.avoid)
        lines.append(f"| {number} | {_cell(term.english)} | {_cell(term.chinese)} | {avoid} |")
    lines += ["", f"{len(terms)} terms, from `autograd/locale/glossary.tsv`.", ""]
    return "\n".join(lines)


def _cell(text: str) -> str:
    """Text safe in a Markdown table cell (a '|' would end it, '~' and '*' would format it)."""
    for special in ("\\", "|", "~", "*", "_", "`"):
        text = text.replace(special, "\\" + special)
    return text


# A4 portrait; a family with CJK glyphs first (the stepper page's Chinese font stack), so that
# neither column falls back to boxes; the header row repeats on every printed page.
_STYLE = """
@page { size: A4; margin: 14mm 16mm; }
html { font-family: %(font)s; color: #1a1a1a; background: #fff; }
body { margin: 0 auto; max-width: 178mm; }
h1 { font-size: 20pt; margin: 0 0 2mm; }
p.subtitle { font-size: 10.5pt; margin: 0 0 6mm; color: #444; }
div.halves { display: flex; gap: 8mm; align-items: flex-start; }
table { width: 100%%; border-collapse: collapse; font-size: 11.5pt; }
thead { display: table-header-group; }
th, td { border-bottom: 0.3mm solid #bbb; padding: 0.9mm 2.2mm; line-height: 1.2; text-align: left; vertical-align: baseline; }
th { border-bottom: 0.5mm solid #333; font-size: 10.5pt; }
td.number { color: #777; width: 8mm; text-align: right; font-size: 9.5pt; }
td.zh { font-size: 12.5pt; }
td.zh .term { white-space: nowrap; }
td.zh .avoid { display: block; font-size: 8.5pt; color: #666; }
td.zh .avoid s { text-decoration-thickness: 0.2mm; }
div.halves table { font-size: 10.5pt; }
div.halves th, div.halves td { padding: 0.7mm 1.6mm; }
div.halves td.zh { font-size: 11.5pt; }
tr { break-inside: avoid; page-break-inside: avoid; }
p.source { font-size: 9pt; color: #666; margin-top: 5mm; }
"""


#: Up to this many terms fit one A4 page in one table; more are printed as two tables side by side.
ONE_TABLE = 30


def handout_html(terms: Sequence[Term] | None = None) -> str:
    """The glossary as one self-contained printable page (A4): # · English · 中文 · variants struck through."""
    terms = read_glossary() if terms is None else [Term(*term) for term in terms]
    numbered = list(enumerate(terms, start=1))
    if len(numbered) <= ONE_TABLE:
        tables = _table(numbered)
    else:  # two halves side by side, of about equal height: a longer glossary still fits one sheet
        half = _halfway(numbered)
        tables = f'<div class="halves">\n{_table(numbered[:half])}\n{_table(numbered[half:])}\n</div>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{html.escape(TITLE)}</title>
<style>{_STYLE % {"font": FONTS["zh"]}}</style>
</head>
<body>
<h1>{html.escape(TITLE)}</h1>
<p class="subtitle">{html.escape(SUBTITLE)}</p>
{tables}
<p class="source">{len(terms)} terms · 共 {len(terms)} 条 · autograd/locale/glossary.tsv</p>
</body>
</html>
"""


def _halfway(numbered: list[tuple[int, Term]]) -> int:
    """Where to split the rows so that both halves print about equally tall (variants take a second line)."""
    heights = [1.0 + (0.8 if term.avoid else 0.0) + (0.6 if len(term.english) > 18 else 0.0) for _, term in numbered]
    total, running = sum(heights), 0.0
    for index, height in enumerate(heights):
        running += height
        if running >= total / 2:
            return index + 1
    return len(numbered)


def _table(numbered: list[tuple[int, Term]]) -> str:
    """Rows of # · English · 中文, the variants not to use struck through under the Chinese term."""
    rows = "\n".join(
        f'<tr><td class="number">{number}</td><td class="en" lang="en">{html.escape(term.english)}</td>'
        f'<td class="zh" lang="zh-CN"><span class="term">{html.escape(term.chinese)}</span>'
        + (f'<span class="avoid">{html.escape(AVOID_BEFORE)}'
           + "、".join(f"<s>{html.escape(variant)}</s>" for variant in term.avoid) + "</span>" if term.avoid else "")
        + "</td></tr>"
        for number, term in numbered)
    return ('<table>\n<thead><tr><th>#</th><th lang="en">English</th><th lang="zh-CN">中文</th></tr></thead>\n'
            f"<tbody>\n{rows}\n</tbody>\n</table>")


def handout_files(out: str | os.PathLike[str]) -> dict[Path, str]:
    """``glossary.html`` and ``glossary.md`` in ``out``, rendered (nothing is written here)."""
    out = Path(path_like(out, "out"))
    terms = read_glossary()
    return {out / "glossary.html": handout_html(terms), out / "glossary.md": handout_markdown(terms)}
