"""The 中英术语表 handout: generated from the one glossary file, word for word (each term, its
Chinese, the variants not to use), and those words are the ones the Chinese catalogues use wherever
the English term appears."""

from __future__ import annotations

import html.parser
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from autograd import i18n
from nn.app import glossary

LOCALE = i18n.LOCALE_DIR
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def glossary_file() -> list[tuple[str, str, tuple[str, ...]]]:
    """The glossary read here, independently of nn.app.glossary: (English, Chinese, variants not to use)."""
    rows = []
    for line in (LOCALE / "glossary.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            english, chinese, *variants = line.split("\t")
            rows.append((english, chinese, tuple(variants[0].split("|")) if variants else ()))
    return rows


class _Cells(html.parser.HTMLParser):
    """The handout's rows: the text of each classed element (number, en, term, avoid) in each body row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self._where: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "tr":
            self.rows.append({})
        kind = dict(attrs).get("class")
        if kind in ("number", "en", "term", "avoid"):
            self._where = kind
            self.rows[-1][kind] = ""

    def handle_data(self, data: str) -> None:
        if self._where is not None:
            self.rows[-1][self._where] += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "span"):
            self._where = None


def html_terms(page: str) -> list[tuple[str, str, tuple[str, ...]]]:
    cells = _Cells()
    cells.feed(page)
    rows = [row for row in cells.rows if row]
    assert [row["number"] for row in rows] == [str(k) for k in range(1, len(rows) + 1)]  # numbered in order
    terms = []
    for row in rows:
        avoid = row.get("avoid", "")
        assert avoid == "" or avoid.startswith(glossary.AVOID_BEFORE)
        variants = avoid[len(glossary.AVOID_BEFORE):]
        terms.append((row["en"], row["term"], tuple(variants.split("、")) if variants else ()))
    return terms


def _unescape(cell: str) -> str:
    return re.sub(r"\\(.)", r"\1", cell)


def markdown_terms(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    terms = []
    for line in text.splitlines():
        match = re.fullmatch(r"\| (\d+) \| (.*?[^\\]) \| (.*?[^\\]) \| (.*) \|", line)
        if match:
            struck = re.findall(r"~~((?:\\.|[^\\~])*)~~", match.group(4))  # an escaped \~ does not end it
            avoid = tuple(_unescape(variant) for variant in struck)
            terms.append((_unescape(match.group(2)), _unescape(match.group(3)), avoid))
    return terms


def test_the_handout_holds_exactly_the_glossarys_words():
    terms = glossary_file()
    assert glossary.read_glossary() == terms
    assert html_terms(glossary.handout_html()) == terms
    assert markdown_terms(glossary.handout_markdown()) == terms
    assert len({english for english, _, _ in terms}) == len(terms)  # one line per English term
    assert "~~暴力破解~~" in glossary.handout_markdown() or not any("暴力破解" in t[2] for t in terms)


def test_words_that_html_or_markdown_would_read_are_printed_as_written():
    odd = [("a <b> & c", "甲 <乙> & 丙", ("<i>",)), ("x | y", "子 | 丑", ()), ("back\\slash", "反斜杠", ("~x~", "a*b_c"))]
    assert html_terms(glossary.handout_html(odd)) == odd
    assert markdown_terms(glossary.handout_markdown(odd)) == odd
    many = glossary_file() * 3  # past one table: two tables side by side, still every term in order
    assert html_terms(glossary.handout_html(many)) == many
    assert glossary.handout_html(many).count("<table>") == 2


def test_a_malformed_glossary_line_is_named(tmp_path):
    path = tmp_path / "glossary.tsv"
    path.write_text("# terms\nneuron\t神经元\tneuron variant|another\nweight 权重\n", encoding="utf-8")
    with pytest.raises(ValueError, match="line 3: expected English<TAB>Chinese"):
        glossary.read_glossary(path)
    path.write_text("neuron\t神经元\t结点|节点\nweight\t权重\n", encoding="utf-8")
    assert glossary.read_glossary(path) == [("neuron", "神经元", ("结点", "节点")), ("weight", "权重", ())]


def test_the_page_prints_on_a4_in_a_font_with_chinese_glyphs():
    from autograd.viz.frontend import FONTS

    page = glossary.handout_html()
    assert "@page { size: A4;" in page and '<html lang="zh-CN">' in page
    assert FONTS["zh"] in page and FONTS["zh"].startswith('"Noto Sans CJK SC"')
    assert "<script" not in page and "http" not in page  # prints offline


@pytest.mark.babel
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_the_catalogues_use_the_handouts_chinese_for_each_english_term(domain):
    """Read from the generated handout, not the file: what the teacher hands out is what the tool says."""
    from babel.messages.pofile import read_po

    with open(LOCALE / "zh" / "LC_MESSAGES" / f"{domain}.po", encoding="utf-8") as po:
        messages = [message for message in read_po(po) if message.id]
    handed_out = [(english, chinese) for english, chinese, _ in markdown_terms(glossary.handout_markdown())]
    assert handed_out == [(english, chinese) for english, chinese, _ in html_terms(glossary.handout_html())]
    problems = []
    for message in messages:
        english = PLACEHOLDER.sub("", message.id if isinstance(message.id, str) else message.id[0])
        chinese = message.string if isinstance(message.string, str) else message.string[0]
        for term, translated in handed_out:
            if re.search(rf"\b{re.escape(term)}", english, flags=re.IGNORECASE) and translated not in chinese:
                problems.append(f"{english!r}: {term} -> {translated}")
    assert not problems, "\n".join(problems[:10])


def test_the_command_writes_both_handouts(tmp_path):
    env = dict(os.environ, PYTHONIOENCODING="utf-8", TRACEGRAD_LANG="en")
    result = subprocess.run([sys.executable, "-m", "nn.app.cli", "glossary", "--out", "handouts"], cwd=tmp_path,
                            capture_output=True, text=True, encoding="utf-8", env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote 2 files into handouts/:")
    out = tmp_path / "handouts"
    assert sorted(path.name for path in out.iterdir()) == ["glossary.html", "glossary.md"]
    assert (out / "glossary.html").read_text(encoding="utf-8") == glossary.handout_html()
    assert (out / "glossary.md").read_text(encoding="utf-8") == glossary.handout_markdown()
    into_a_file = subprocess.run([sys.executable, "-m", "nn.app.cli", "glossary", "--out", "handouts/glossary.md"],
                                 cwd=tmp_path, capture_output=True, text=True, encoding="utf-8", env=env,
                                 timeout=120)
    assert into_a_file.returncode == 2 and "not a directory" in into_a_file.stderr


@pytest.mark.browser
def test_the_printed_handout_is_one_a4_page_with_every_term(tmp_path):
    """Chromium prints it: A4, one sheet while the glossary has at most 60 terms, a CJK font embedded."""
    from playwright import sync_api

    from support import CHROMIUM_ARGS, find_chromium

    page_file = tmp_path / "glossary.html"
    page_file.write_text(glossary.handout_html(), encoding="utf-8")
    pdf = tmp_path / "glossary.pdf"
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(page_file.as_uri())
        page.emulate_media(media="print")
        # The fonts Chromium really drew each Chinese cell with (a PDF's fonts are unnamed Type 3).
        cdp = page.context.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument")["root"]["nodeId"]
        cells = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": "td.zh"})["nodeIds"]
        drawn_with = {font["familyName"] for cell in cells
                      for font in cdp.send("CSS.getPlatformFontsForNode", {"nodeId": cell})["fonts"]}
        page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
        browser.close()
    assert len(cells) == len(glossary_file())
    assert drawn_with and all("CJK" in family for family in drawn_with), drawn_with
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info, info
    terms = glossary_file()
    if len(terms) <= 60:
        assert re.search(r"Pages:\s+1\n", info), info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = re.sub(r"\s+", "", text)  # a long term wraps inside its cell, its lines apart in the text
    for english, chinese, avoid in terms:
        assert all(word in flat for word in english.split()) and chinese in flat, (english, chinese)
        assert all(variant.replace(" ", "") in flat for variant in avoid), avoid
