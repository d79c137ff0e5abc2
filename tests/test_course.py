"""tracegrad course: the notebooks as an offline, bilingual site, tested like a reader.

One build per module (the suite stays fast): lesson 00 of the repository in both
languages, plus a small slider lesson written here, with ``--pdf``. Then the
pages are read as files (links, external references, the front pages) and
opened in headless Chromium from file:// with every other request aborted.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from support import platform_fonts

REPOSITORY = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPOSITORY / "notebooks"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
LESSONS = ["00_build_it_yourself", "99_slider"]
LANGUAGES = ["en", "zh"]

pytestmark = [pytest.mark.notebooks]

_HEADER = """---
jupytext:
  formats: md:myst
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  name: python3
  display_name: Python 3 (ipykernel)
  language: python
---
"""

SLIDER_LESSONS = {
    "en": _HEADER + """
# 99 · A slider

*Follows no article: a lesson of the test suite.* A slider redraws a figure with a running Python.
The rest of this paragraph is not the goal.

The slope of $L = w x$ is $\\frac{\\partial L}{\\partial w} = x$, and

$$\\frac{\\partial L}{\\partial b} = \\sum_{k} \\delta_k.$$

```{code-cell} ipython3
import matplotlib.pyplot as plt
from ipywidgets import FloatSlider
from nn.app.notebook import live


def line(slope):
    figure, axes = plt.subplots(figsize=(3, 2))
    axes.plot([0, 1], [0, slope])
    return figure


live(line, slope=FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description="slope"))
```
""",
    "zh": _HEADER + """
# 99 · 一个滑块

*不对应任何文章：测试用的一课。* 滑块要靠运行中的 Python 重画图。这一句不是目标。

$L = w x$ 的斜率是 $\\frac{\\partial L}{\\partial w} = x$，并且

$$\\frac{\\partial L}{\\partial b} = \\sum_{k} \\delta_k.$$

```{code-cell} ipython3
import matplotlib.pyplot as plt
from ipywidgets import FloatSlider
from nn.app.notebook import live, setup

setup("zh")


def line(slope):
    figure, axes = plt.subplots(figsize=(3, 2))
    axes.plot([0, 1], [0, slope])
    return figure


live(line, slope=FloatSlider(value=1.0, min=0.0, max=2.0, step=0.1, description="斜率"))
```
""",
}


def tracegrad(*args: str, cwd: Path, timeout: float = 900, lang: str = "en") -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in ("LANG", "LC_ALL", "LC_MESSAGES")}
    env.update(PYTHONIOENCODING="utf-8", TRACEGRAD_LANG=lang)
    return subprocess.run([sys.executable, "-m", "nn.app.cli", "course", *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=timeout, env=env)


def make_notebooks(folder: Path, extra: dict[str, str] | None = None) -> Path:
    """Lesson 00 of the repository (both languages, helpers and paired notebooks) and the slider lesson."""
    (folder / "zh").mkdir(parents=True)
    for source, target in ((NOTEBOOKS, folder), (NOTEBOOKS / "zh", folder / "zh")):
        for path in [*source.glob("*.py"), source / "00_build_it_yourself.md", source / "00_build_it_yourself.ipynb"]:
            shutil.copy2(path, target / path.name)
    for lang, text in (extra or SLIDER_LESSONS).items():
        folder_of_lang = folder if lang == "en" else folder / "zh"
        (folder_of_lang / "99_slider.md").write_text(text, encoding="utf-8")
        subprocess.run([sys.executable, "-m", "jupytext", "--quiet", "--to", "ipynb",
                        str(folder_of_lang / "99_slider.md")], check=True, capture_output=True)
    return folder


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """``tracegrad course --out site --only 00 99 --pdf`` on lesson 00 and the slider lesson: (site, result)."""
    root = tmp_path_factory.mktemp("course")
    notebooks = make_notebooks(root / "notebooks")
    result = tracegrad("--out", "site", "--only", "00", "99", "--pdf", "--notebooks", str(notebooks), cwd=root)
    assert result.returncode == 0, result.stderr + result.stdout
    return root / "site", result


# --- the files ------------------------------------------------------------------------------


class _Links(HTMLParser):
    """Every tag with its attributes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags(path: Path) -> list[tuple[str, dict[str, str]]]:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tags


def test_the_command_reports_what_it_wrote(built):
    site, result = built
    assert re.search(r"wrote \d+ files \([\d.]+ MB\) into site/ in \d+ s", result.stdout)
    assert "site/en/index.html  (2 lessons)" in result.stdout and "site/zh/index.html  (2 lessons)" in result.stdout
    assert "4 PDFs in site/pdf/" in result.stdout
    assert not list(site.parent.glob("tracegrad-course-*")) and not list(site.rglob("*.tmp"))


def test_every_lesson_has_a_page_in_both_languages(built):
    site, _ = built
    assert (site / "index.html").is_file()
    for lang in LANGUAGES:
        for name in ["index", *LESSONS]:
            page = site / lang / f"{name}.html"
            assert page.is_file(), page
            text = page.read_text(encoding="utf-8")
            assert f'<html lang="{"zh-CN" if lang == "zh" else "en"}"' in text
    english = (site / "en" / "00_build_it_yourself.html").read_text(encoding="utf-8")
    chinese = (site / "zh" / "00_build_it_yourself.html").read_text(encoding="utf-8")
    assert "0 · Build it yourself" in english and "0 · 自己动手实现" in chinese
    # Executed: the outputs of the first code cells are there (the central difference's printed value).
    assert "central difference at x = 3: 14.0000000" in english
    assert "14.0000000" in chinese


def test_the_front_pages_list_the_lessons_in_order_with_title_articles_and_goal(built):
    site, _ = built
    for lang, goal, article in (
            ("en", "A slider redraws a figure with a running Python.", "Follows no article: a lesson of the test suite."),
            ("zh", "滑块要靠运行中的 Python 重画图。", "不对应任何文章：测试用的一课。")):
        front = (site / lang / "index.html").read_text(encoding="utf-8")
        article_part = front[front.index('<article'):]
        links = [attrs["href"] for tag, attrs in tags(site / lang / "index.html")
                 if tag == "a" and attrs.get("href", "").endswith(tuple(f"{name}.html" for name in LESSONS))]
        order = [href for href in links if "#" not in href]
        first = [order.index(f"{name}.html") for name in LESSONS]
        assert first == sorted(first)
        assert goal in article_part and article in article_part
        assert "not the goal" not in article_part and "这一句不是目标" not in article_part
    english = (site / "en" / "index.html").read_text(encoding="utf-8")
    # Lesson 00's title, the articles it names and its first sentence after them.
    assert "0 · Build it yourself" in english and "AI-人工神经网络" in english
    assert "Every later notebook leans on one engine:" in english


def test_the_language_switch_lands_on_the_same_lesson(built):
    site, _ = built
    for lang, other in (("en", "zh"), ("zh", "en")):
        for name in ["index", *LESSONS]:
            page = site / lang / f"{name}.html"
            switches = [attrs for tag, attrs in tags(page) if tag == "a" and "tg-lang-link" in attrs.get("class", "")]
            assert len(switches) == 1, page
            target = (page.parent / switches[0]["href"]).resolve()
            assert target == (site / other / f"{name}.html").resolve() and target.is_file()


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import\s+["']?(?:https?:)?//""",
                      re.IGNORECASE)


def test_no_page_loads_anything_from_the_network(built):
    site, _ = built
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        for tag, attrs in tags(page):
            if tag in ("script", "img", "iframe", "source", "embed", "audio", "video"):
                assert not re.match(r"\s*(https?:)?//", attrs.get("src", ""), re.IGNORECASE), (page, tag, attrs)
            if tag == "link":
                assert not re.match(r"\s*(https?:)?//", attrs.get("href", ""), re.IGNORECASE), (page, attrs)
    for sheet in sorted(site.rglob("*.css")):
        text = sheet.read_text(encoding="utf-8", errors="replace")
        assert not re.search(r"url\(\s*[\"']?\s*(https?:)?//|@import\s+[\"']?\s*(url\()?\s*[\"']?(https?:)?//",
                             text, re.IGNORECASE), sheet
    # No MathJax, no CDN, no widget manager anywhere.
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in text and "require.min.js" not in text
        assert not re.search(r"<script[^>]*(mathjax|tex-chtml|tex-mml)", text, re.IGNORECASE)
        assert "window.MathJax" not in text and "MathJax = " not in text


def test_the_formulas_are_mathml_and_no_latex_is_left(built):
    site, _ = built
    for lang in LANGUAGES:
        page = (site / lang / "99_slider.html").read_text(encoding="utf-8")
        assert page.count("<math") == 3
        assert re.search(r'<math[^>]*display="block"', page) and "<mfrac>" in page
        assert "&#x02202;" in page or "∂" in page
        prose = re.sub(r"<math.*?</math>|<pre.*?</pre>|<script.*?</script>", "", page, flags=re.DOTALL)
        assert "\\frac" not in prose and "$" not in re.sub(r"<[^>]+>", "", prose)


def test_a_slider_is_marked_as_needing_jupyter_with_a_link_to_its_notebook(built):
    site, _ = built
    for lang, word in (("en", "needs Jupyter"), ("zh", "Jupyter")):
        page = site / lang / "99_slider.html"
        text = page.read_text(encoding="utf-8")
        assert "VBox(" not in text and "FloatSlider(" not in text
        assert "application/vnd.jupyter.widget" not in text
        notes = re.findall(r'<div class="tg-needs-jupyter"[^>]*>(.*?)</div>', text, re.DOTALL)
        assert len(notes) == 1 and word in notes[0]
        assert lang == "en" or CHINESE.search(notes[0])
        link = re.search(r'href="([^"]+\.ipynb)"', notes[0]).group(1)
        notebook = json.loads((page.parent / link).read_text(encoding="utf-8"))
        assert notebook["nbformat"] == 4 and any("live(line" in "".join(cell["source"]) for cell in notebook["cells"])
        # The figure's starting frame is there, under the note.
        after = text[text.index('class="tg-needs-jupyter"'):]
        assert re.search(r"<img[^>]+_images/[^\"]+\.(png|svg)", after)


def test_the_stepper_is_its_static_front_end(built):
    site, _ = built
    for lang in LANGUAGES:
        text = (site / lang / "00_build_it_yourself.html").read_text(encoding="utf-8")
        assert text.count('class="tg-stepper') >= 1 and "tg-stepper-" in text
        assert "Stepper(" not in re.sub(r"<pre.*?</pre>", "", text, flags=re.DOTALL)


def test_one_pdf_per_lesson_and_language(built):
    site, _ = built
    pdfs = sorted(path.relative_to(site).as_posix() for path in (site / "pdf").rglob("*.pdf"))
    assert pdfs == sorted(f"pdf/{lang}/{name}.pdf" for lang in LANGUAGES for name in LESSONS)
    for path in (site / "pdf").rglob("*.pdf"):
        data = path.read_bytes()
        assert data.startswith(b"%PDF-") and len(data) > 10_000
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(site / "pdf" / "zh" / "00_build_it_yourself.pdf"), "-"],
                              capture_output=True, text=True, check=True).stdout
        assert "自己动手实现" in text and "Search" not in text  # the print style sheet hides the navigation
    # Each lesson page links to its PDF.
    page = (site / "en" / "00_build_it_yourself.html").read_text(encoding="utf-8")
    assert 'href="../pdf/en/00_build_it_yourself.pdf"' in page


def test_the_glossary_and_the_demo_pages_are_on_the_site(built):
    site, _ = built
    from nn.app.demo import output_files

    assert (site / "glossary" / "glossary.html").is_file()
    for lang in LANGUAGES:
        for name in output_files().values():
            assert (site / lang / "demo" / name).is_file()
        front = site / lang / "index.html"
        for tag, attrs in tags(front):
            href = attrs.get("href", "")
            if tag == "a" and ("demo/" in href or "glossary" in href):
                assert (front.parent / unquote(href)).resolve().is_file(), href
    assert CHINESE.search((site / "zh" / "demo" / output_files()["story"]).read_text(encoding="utf-8"))


# --- in a browser, offline --------------------------------------------------------------------


@pytest.fixture(scope="module")
def offline(browser):
    """A browser context in which every request that is not file:// is aborted and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    refused: list[str] = []

    def route(route):
        if urlparse(route.request.url).scheme == "file":
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    yield context, refused
    context.close()


def open_page(context, path: Path):
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, problems


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_opens_offline_with_no_request_and_no_error(built, offline, lang):
    site, _ = built
    context, refused = offline
    for name in ["index", *LESSONS, "search", "genindex"]:
        page, problems = open_page(context, site / lang / f"{name}.html")
        page.wait_for_timeout(300)
        assert problems == [], (name, problems)
        if name in LESSONS:
            # Formulas typeset: MathML drawn with a size, no raw TeX in what the reader sees.
            boxes = page.eval_on_selector_all("article math", "nodes => nodes.map(n => n.getBoundingClientRect().width)")
            assert boxes and all(width > 0 for width in boxes)
            seen = page.eval_on_selector("article", "node => node.innerText")
            prose = re.sub(r"\n[^\n]*(import |def |print\(|=).*", "", seen)
            assert "\\frac" not in seen and "\\partial" not in seen and "$" not in prose
        page.close()
    page, problems = open_page(context, site / "index.html")
    assert problems == []
    page.close()
    assert refused == []


@pytest.mark.browser
@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_stepper_steps_by_click_and_by_keyboard(built, offline, lang):
    site, _ = built
    context, _ = offline
    page, problems = open_page(context, site / lang / "00_build_it_yourself.html")
    stepper = page.locator(".tg-stepper").first
    stepper.scroll_into_view_if_needed()
    counter = stepper.locator(".tg-counter")
    explanation = stepper.locator(".tg-explanation")
    first = (counter.inner_text(), explanation.inner_text())
    current = "nodes => nodes.map(n => n.id)"
    before = stepper.locator(".tg-view svg g.tg-current").evaluate_all(current)
    stepper.locator("button.tg-nav").nth(1).click()
    second = (counter.inner_text(), explanation.inner_text())
    assert second[0] != first[0] and second[1] != first[1]
    assert stepper.locator(".tg-view svg g.tg-current").evaluate_all(current) != before
    page.keyboard.press("ArrowRight")
    assert counter.inner_text() not in (first[0], second[0])
    page.keyboard.press("Home")
    assert counter.inner_text() == first[0]
    assert problems == []
    page.close()


@pytest.mark.browser
def test_chinese_pages_draw_their_text_in_a_cjk_font_without_tofu(built, offline):
    site, _ = built
    context, _ = offline
    cjk = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC")
    for name in ["index", "00_build_it_yourself"]:
        page, _ = open_page(context, site / "zh" / f"{name}.html")
        for selector in ("article h1", "article p", "nav.bd-docs-nav li a"):
            fonts = platform_fonts(page, selector)
            assert any(font in cjk or "CJK" in font for font in fonts), (name, selector, fonts)
        differs = page.evaluate("""() => {
          const font = "16px " + getComputedStyle(document.querySelector("article p")).fontFamily;
          const draw = (text) => {
            const canvas = document.createElement("canvas"); canvas.width = 40; canvas.height = 24;
            const context = canvas.getContext("2d"); context.font = font; context.fillText(text, 2, 18);
            return Array.from(context.getImageData(0, 0, 40, 24).data).join(",");
          };
          return [draw("链") !== draw("\\u{10FFFD}"), draw("链") !== draw("式")];
        }""")
        assert differs == [True, True]
        page.close()


# --- refusals: exit 2, nothing written ------------------------------------------------------------


def test_a_hat_is_the_modifier_letter_that_sits_on_its_letter():
    from nn.app.course import to_mathml

    mathml = to_mathml(r"\hat{r} = \hat{y}", display=False)
    assert mathml.count("&#x002C6;") == 2 and "&#x0005E;" not in mathml


def test_an_unknown_language_is_refused(tmp_path):
    result = tracegrad("--lang", "fr", "--out", "site", cwd=tmp_path)
    assert result.returncode == 2 and "--lang" in result.stderr and "'fr'" in result.stderr
    assert not (tmp_path / "site").exists()


def test_out_over_a_regular_file_is_refused_and_the_file_kept(tmp_path):
    (tmp_path / "site").write_text("mine\n", encoding="utf-8")
    result = tracegrad("--out", "site", "--only", "00", cwd=tmp_path)
    assert result.returncode == 2
    assert "--out site exists and is not a directory" in result.stderr
    assert (tmp_path / "site").read_text(encoding="utf-8") == "mine\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["site"]


def test_a_missing_notebooks_folder_is_refused(tmp_path):
    result = tracegrad("--out", "site", "--notebooks", "nowhere", cwd=tmp_path)
    assert result.returncode == 2 and "--notebooks nowhere: there is no folder" in result.stderr
    assert "nothing was done" in result.stderr and not (tmp_path / "site").exists()
    (tmp_path / "lessons").mkdir()  # English lessons but no zh/ folder: refused for --lang both, not for --lang en
    shutil.copy2(NOTEBOOKS / "00_build_it_yourself.md", tmp_path / "lessons")
    result = tracegrad("--out", "site", "--notebooks", "lessons", cwd=tmp_path)
    assert result.returncode == 2 and "lessons/zh" in result.stderr and not (tmp_path / "site").exists()


def test_only_with_no_matching_lesson_is_refused_in_the_readers_language(tmp_path):
    result = tracegrad("--out", "site", "--only", "77", cwd=tmp_path)
    assert result.returncode == 2 and "--only 77: no lesson's name starts with that" in result.stderr
    chinese = tracegrad("--out", "site", "--only", "77", cwd=tmp_path, lang="zh")
    assert chinese.returncode == 2 and CHINESE.search(chinese.stderr) and "--only 77" in chinese.stderr
    assert not (tmp_path / "site").exists()


def test_a_failing_notebook_writes_nothing_and_keeps_the_old_site(tmp_path):
    broken = {"en": _HEADER + "\n# 99 · Broken\n\n*No article.* It fails.\n\n```{code-cell} ipython3\n"
                              "raise RuntimeError('this lesson is broken on purpose')\n```\n"}
    notebooks = make_notebooks(tmp_path / "notebooks", broken)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("the old site\n", encoding="utf-8")
    result = tracegrad("--out", "site", "--lang", "en", "--only", "99", "--no-extras", "--notebooks",
                       str(notebooks), cwd=tmp_path)
    assert result.returncode == 1, result.stdout
    assert "the site could not be built (nothing was written)" in result.stderr
    # The reader is told which notebook and which cell failed, and how.
    assert f"{notebooks / '99_slider.md'}: An error occurred while executing the following cell:" in result.stderr
    assert "RuntimeError: this lesson is broken on purpose" in result.stderr
    assert sorted(path.name for path in (tmp_path / "site").iterdir()) == ["index.html"]
    assert (tmp_path / "site" / "index.html").read_text(encoding="utf-8") == "the old site\n"


def test_the_chinese_help_names_the_options():
    result = subprocess.run([sys.executable, "-m", "nn.app.cli", "course", "--help", "--lang", "zh"],
                            capture_output=True, text=True, encoding="utf-8", timeout=120,
                            env=dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="100"))
    assert result.returncode == 0 and result.stdout.startswith("用法：tracegrad course")
    for option in ("--out", "--lang", "--only", "--pdf", "--notebooks", "--no-extras"):
        assert option in result.stdout
    assert "显示本帮助信息并退出" in result.stdout and "离线" in result.stdout
