"""The course site: the notebooks of both languages as one offline, static site (Sphinx + myst-nb).

``tracegrad course`` (``nn.app.cli.course``) calls :func:`build_site`, which

1. reads each language's lessons (:func:`find_lessons`: title, the articles it
   follows, a one-line goal), in the articles' order (the notebooks' numbers);
2. stages each language's MyST notebooks and their helper modules with a
   generated front page (:func:`front_page`) in a temporary folder;
3. runs ``sphinx-build`` with the repository's ``course/conf.py`` once per
   language: every notebook executed, its outputs embedded;
4. adds the landing page (:func:`landing_page`) that offers both languages,
   the notebooks themselves (``_notebooks/``, linked from each slider) and,
   with ``pdf=True``, one PDF per lesson and language (Chromium's print-to-PDF).

This module is also the Sphinx extension ``course/conf.py`` loads
(:func:`setup`): formulas become native MathML at build time (latex2mathml,
no script and no network), a widget with no static front end (an ipywidgets
slider) is replaced by a note that it needs Jupyter with a link to its
notebook, and every page links to the same page in the other language.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from autograd.i18n import Catalogue, language

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx

__all__ = ["COURSE_CONFIGURATION", "LANGUAGES", "CourseBuildError", "Lesson", "build_site", "files_of", "find_lessons",
           "front_page", "landing_page", "lesson_folder", "print_pdfs", "setup", "to_mathml"]

_ = Catalogue("app").gettext
ngettext = Catalogue("app").ngettext

#: The site's languages, in the order the landing page offers them.
LANGUAGES = ("en", "zh")
#: Each language's notebooks, inside the notebooks folder.
_FOLDERS = {"en": ".", "zh": "zh"}
#: Sphinx's name of each language (its own words: "Search", "Contents" ...) and the page's ``lang``.
_SPHINX_LANGUAGE = {"en": "en", "zh": "zh_CN"}
_HTML_LANGUAGE = {"en": "en", "zh": "zh-CN"}
#: How the language switch names each language: in that language, as every bilingual site does.
_LANGUAGE_NAMES = {"en": "English", "zh": "中文"}
#: The repository's Sphinx configuration; an installed copy without the repository has none.
COURSE_CONFIGURATION = Path(__file__).resolve().parents[2] / "course"
#: A lesson is a notebook whose name starts with its number: 00_build_it_yourself.md.
_LESSON_NAME = re.compile(r"\d\d_[A-Za-z0-9_]+")
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
#: Chromium, as scripts/setup.sh installs it.
CHROMIUM = os.environ.get("TRACEGRAD_CHROMIUM", "/usr/bin/chromium")


@dataclass(frozen=True)
class Lesson:
    """One notebook of one language, as the front page lists it."""

    name: str  # the file name without .md: 05_icecream
    title: str  # its first heading: "5 · The ice-cream network"
    follows: str  # the italic sentence naming the articles it follows (Markdown)
    goal: str  # the first sentence after it (Markdown)


def lesson_folder(notebooks: Path, lang: str) -> Path:
    """The folder of ``lang``'s notebooks: ``notebooks/`` for English, ``notebooks/zh/`` for Chinese."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return (notebooks / _FOLDERS[lang]).resolve()


def find_lessons(notebooks: Path, lang: str, only: Sequence[str] = ()) -> list[Lesson]:
    """``lang``'s lessons in the articles' order; ``only`` keeps those whose name starts with one of its prefixes."""
    folder = lesson_folder(notebooks, lang)
    lessons = []
    for path in sorted(folder.glob("*.md")):
        if not _LESSON_NAME.fullmatch(path.stem):
            continue
        if only and not any(path.stem.startswith(prefix) for prefix in only):
            continue
        lessons.append(_read_lesson(path, lang))
    return lessons


def _read_lesson(path: Path, lang: str) -> Lesson:
    """Title, the articles followed and the goal, read from the notebook's first heading and paragraph."""
    text = path.read_text(encoding="utf-8")
    if text.startswith("---"):  # jupytext's front matter
        end = text.find("\n---", 3)
        text = text[end + 4:] if end >= 0 else text
    title_match = re.search(r"^# (.+)$", text, re.MULTILINE)
    title = title_match.group(1).strip() if title_match else path.stem
    after = text[title_match.end():] if title_match else text
    paragraphs = [paragraph.strip() for paragraph in re.split(r"\n\s*\n", after)
                  if paragraph.strip() and not paragraph.lstrip().startswith(("```", "#", "+++", ":::"))]
    follows, rest = "", ""
    if paragraphs:
        first = paragraphs[0]
        italic = re.match(r"\*(.+?)\*(?=\s|$)", first, re.DOTALL)
        if italic:
            follows, rest = italic.group(1), first[italic.end():]
        else:
            rest = first
        if not rest.strip() and len(paragraphs) > 1:
            rest = paragraphs[1]
    return Lesson(path.stem, title, _one_line(follows), _first_sentence(_one_line(rest), lang))


def _one_line(text: str) -> str:
    return re.sub(r"\s*\n\s*", " ", text).strip()


def _first_sentence(text: str, lang: str) -> str:
    """The text up to its first full stop (。 in Chinese), or all of it."""
    if lang == "zh":
        match = re.search(r"。", text)
        return text[:match.end()] if match else text
    match = re.search(r"(?<![A-Z]\.)(?<!e\.g)(?<!i\.e)[.!?](?=\s+[A-Z*`$(\"]|$)", text)
    return text[:match.end()] if match else text


def front_page(lessons: Sequence[Lesson], lang: str, extras: bool = False) -> str:
    """The front page of one language (MyST Markdown): the lessons in order, each with its articles and goal."""
    from .demo import output_files

    demo_files = output_files()
    with language(lang):
        handout_words = (_("Handouts:"), _("the Chinese-English glossary"),
                         _("the ice-cream walkthrough, step by step"), _("its story (text)"))
    handouts = [handout_words[0]] + [
        f'<a href="{href}">{html.escape(words)}</a>'
        for href, words in zip(("../glossary/glossary.html", f"demo/{demo_files['page']}",
                                f"demo/{demo_files['story']}"), handout_words[1:])]
    with language(lang):
        heading = _("Backpropagation, node by node")
        intro = ngettext("A course in {count} lesson, an executed notebook: every graph, plot and stepper "
                         "in it was computed when the site was built. The site works offline.",
                         "A course in {count} lessons, each an executed notebook: every graph, plot and stepper "
                         "in them was computed when the site was built. The site works offline.",
                         len(lessons)).format(count=len(lessons))
        goal_word = _("Goal:")
    lines = [f"# {heading}", "", intro, ""]
    for lesson in lessons:
        lines.append(f"- **[{lesson.title}]({lesson.name}.md)**  ")
        if lesson.follows:
            lines.append(f"  *{lesson.follows}*  ")
        if lesson.goal:
            lines.append(f"  {goal_word} {lesson.goal}")
        lines.append("")
    if extras:
        lines += [f"{handouts[0]} " + " · ".join(handouts[1:]), ""]
    lines += ["```{toctree}", ":hidden:", ":maxdepth: 1", "", *[lesson.name for lesson in lessons], "```", ""]
    return "\n".join(lines)


def landing_page(languages: Sequence[str]) -> str:
    """The site's root ``index.html``: both languages offered, no script, no style from outside."""
    links = []
    for lang in languages:
        with language(lang):
            blurb = _("Backpropagation, node by node")
        links.append(f'<li lang="{_HTML_LANGUAGE[lang]}"><a href="{lang}/index.html">{_LANGUAGE_NAMES[lang]}</a>'
                     f' — {html.escape(blurb)}</li>')
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>tracegrad</title>\n<style>body { font-family: \"Noto Sans\", \"Noto Sans CJK SC\", "
            "\"Microsoft YaHei\", \"PingFang SC\", sans-serif; max-width: 40em; margin: 4em auto; "
            "padding: 0 1em; line-height: 1.6; } li { margin: .5em 0; font-size: 1.2em; }</style>\n"
            "</head><body>\n<h1>tracegrad</h1>\n<ul>\n" + "\n".join(links) + "\n</ul>\n</body></html>\n")


# --- building -----------------------------------------------------------------------


class CourseBuildError(RuntimeError):
    """Sphinx or Chromium failed; the message says which lesson or page, and how."""


def stage(notebooks: Path, lang: str, lessons: Sequence[Lesson], staging: Path, extras: bool = False) -> Path:
    """Copy ``lang``'s lessons into ``staging`` (with the front page); the source folder.

    The lessons import their helpers from the package (``nn.app.notebook``):
    nothing else is copied beside them.
    """
    source = staging / "src" if lang == "en" else staging / "src" / "zh"
    source.mkdir(parents=True, exist_ok=True)
    folder = lesson_folder(notebooks, lang)
    for lesson in lessons:
        shutil.copy2(folder / f"{lesson.name}.md", source / f"{lesson.name}.md")
    (source / "index.md").write_text(front_page(lessons, lang, extras), encoding="utf-8")
    return source


def build_site(notebooks: Path, site: Path, languages: Sequence[str], only: Sequence[str] = (),
               pdf: bool = False, work: Path | None = None, log: Any = None,
               extras: bool = True) -> dict[str, list[Lesson]]:
    """Build the site of ``languages`` into the empty folder ``site``; each language's lessons.

    ``extras``: also the glossary handout (``glossary/``) and the demo's
    walkthrough, stepper page and plots in each language (``LANG/demo/``).

    ``work`` is a folder for the staged sources (default: beside ``site``).
    Raises :class:`CourseBuildError` when a notebook fails or Chromium cannot print.
    """
    configuration = COURSE_CONFIGURATION
    if not (configuration / "conf.py").is_file():
        raise CourseBuildError(f"the course configuration {configuration / 'conf.py'} is missing "
                               "(tracegrad course runs from a clone of the repository)")
    work = work or site.parent / (site.name + ".work")
    all_lessons = {lang: find_lessons(notebooks, lang, only) for lang in languages}
    for lang in languages:
        source = stage(notebooks, lang, all_lessons[lang], work / lang, extras)
        other = [other for other in languages if other != lang]
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", "-c", str(configuration),
                   "-D", f"language={_SPHINX_LANGUAGE[lang]}", "-D", f"tracegrad_lang={lang}",
                   "-D", f"tracegrad_other={other[0] if other else ''}",
                   "-D", f"tracegrad_pdf={1 if pdf else 0}",
                   "-d", str(work / lang / "doctrees"), str(source), str(work / lang / "build" / "html")]
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(COURSE_CONFIGURATION.parent), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        environment.pop("MPLBACKEND", None)  # the kernel's inline backend turns figures into pictures
        if log:
            log(lang, all_lessons[lang])
        # Sphinx saves a crash's traceback in the temporary folder: ours, removed with the rest.
        (work / lang / "tmp").mkdir(parents=True, exist_ok=True)
        environment["TMPDIR"] = str(work / lang / "tmp")
        finished = subprocess.run(command, capture_output=True, text=True, env=environment)
        if finished.returncode != 0:
            raise CourseBuildError(_why_sphinx_failed(finished.stderr or finished.stdout, lang, source,
                                                      lesson_folder(notebooks, lang)))
        # myst-nb keeps the executed notebooks beside the output folder (build/jupyter_execute), out of the site.
        shutil.copytree(work / lang / "build" / "html", site / lang)
        notebook_copies = site / lang / "_notebooks"
        notebook_copies.mkdir(exist_ok=True)
        folder = lesson_folder(notebooks, lang)
        for lesson in all_lessons[lang]:
            paired = folder / f"{lesson.name}.ipynb"
            if paired.is_file():
                shutil.copy2(paired, notebook_copies / paired.name)
        for helper in folder.glob("*.py"):
            shutil.copy2(helper, notebook_copies / helper.name)
        for leftover in (site / lang / ".buildinfo", site / lang / ".buildinfo.bak", site / lang / "objects.inv"):
            if leftover.exists():
                leftover.unlink()
        if (site / lang / "_sources").is_dir() and not any((site / lang / "_sources").iterdir()):
            (site / lang / "_sources").rmdir()
        _drop_source_maps(site / lang)
    if extras:
        _add_extras(site, languages)
    (site / "index.html").write_text(landing_page(languages), encoding="utf-8")
    if pdf:
        print_pdfs(site, all_lessons)
    return all_lessons


def _add_extras(site: Path, languages: Sequence[str]) -> None:
    """The glossary handout (``glossary/``) and the demo's files in each language (``LANG/demo/``)."""
    from .demo import run_demo
    from .glossary import handout_files

    for path, text in handout_files(site / "glossary").items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for lang in languages:
        with language(lang):
            files = run_demo(site / lang / "demo", quiet=True)
        for path, content in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, str):
                path.write_text(content, encoding="utf-8")
            else:
                path.write_bytes(content)


def _drop_source_maps(folder: Path) -> None:
    """Remove the theme's ``.map`` files: only a browser's developer tools read them, and they are most of its size."""
    for source_map in folder.rglob("*.map"):
        source_map.unlink()


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _why_sphinx_failed(output: str, lang: str, source: Path, folder: Path) -> str:
    """What went wrong, for the reader: the failing cell and its error when a notebook failed, else Sphinx's last lines.

    Sphinx ends a crash with the path of a log holding the whole traceback;
    nbclient's CellExecutionError there shows the cell and the error.
    """
    saved = re.search(r"The full traceback has been saved in:\s*(\S+)", output)
    if saved and Path(saved.group(1)).is_file():
        log = _ANSI.sub("", Path(saved.group(1)).read_text(encoding="utf-8", errors="replace"))
        cell = re.search(r"CellExecutionError: (An error occurred while executing the following cell:.*?)"
                         r"(?:\n\s*\n\s*The above exception|\Z)", log, re.DOTALL)
        notebook = re.search(r"ExecutionError: (\S+\.md)", log)
        if cell:
            where = notebook.group(1).replace(str(source), str(folder)) if notebook else lang
            lines = [line.strip() for line in cell.group(1).splitlines()]
            text = "\n".join(line for line in lines if line and not set(line) <= {"-"})
            return f"{where}: {_tail(text, 30)}"
    return f"sphinx-build ({lang}) failed:\n{_tail(output)}"


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def print_pdfs(site: Path, lessons: dict[str, list[Lesson]]) -> list[Path]:
    """One PDF per lesson and language (``site/pdf/LANG/NAME.pdf``), printed by headless Chromium from file://."""
    if not Path(CHROMIUM).is_file():
        raise CourseBuildError(f"--pdf needs Chromium at {CHROMIUM} (scripts/setup.sh installs it)")
    written = []
    for lang, lang_lessons in lessons.items():
        folder = site / "pdf" / lang
        folder.mkdir(parents=True, exist_ok=True)
        for lesson in lang_lessons:
            target = folder / f"{lesson.name}.pdf"
            page = (site / lang / f"{lesson.name}.html").resolve().as_uri()
            command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
                       "--run-all-compositor-stages-before-draw", "--virtual-time-budget=5000",
                       f"--print-to-pdf={target}", page]
            finished = subprocess.run(command, capture_output=True, text=True, timeout=180)
            if finished.returncode != 0 or not target.is_file() or target.stat().st_size == 0:
                raise CourseBuildError(f"Chromium could not print {page}:\n{_tail(finished.stderr)}")
            written.append(target)
    return written


# --- the Sphinx extension -------------------------------------------------------------


def setup(app: "Sphinx") -> dict[str, Any]:
    """The course's Sphinx extension: MathML formulas, slider notes, the language switch."""
    app.add_config_value("tracegrad_lang", "en", "html", str)
    app.add_config_value("tracegrad_other", "", "html", str)
    app.add_config_value("tracegrad_pdf", 0, "html", int)
    app.add_html_math_renderer("mathml", (_visit_math, None), (_visit_displaymath, None))
    app.connect("builder-inited", _search_in_chinese)
    app.connect("doctree-resolved", _finish_page)
    app.connect("html-page-context", _page_context, priority=900)  # after myst-nb adds its scripts
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


# latex2mathml writes \hat as the spacing ASCII ^, which Chromium draws as a caret floating
# above the letter (r̂ in the ice-cream lesson): the modifier letter ˆ sits on it.
ACCENTS = {"<mo>&#x0005E;</mo></mover>": "<mo>&#x002C6;</mo></mover>"}


def to_mathml(latex: str, display: bool) -> str:
    """``latex`` as a MathML element (``display="block"`` for a displayed formula)."""
    from latex2mathml.converter import convert

    mathml = convert(latex.strip(), display="block" if display else "inline")
    for spacing, modifier in ACCENTS.items():
        mathml = mathml.replace(spacing, modifier)
    return mathml


def _visit_math(translator: Any, node: "nodes.Element") -> None:
    from docutils import nodes

    translator.body.append(_formula(translator, node, node.astext(), display=False))
    raise nodes.SkipNode


def _visit_displaymath(translator: Any, node: "nodes.Element") -> None:
    from docutils import nodes

    parts = [part for part in node.astext().split("\n\n") if part.strip()]
    translator.body.append(translator.starttag(node, "div", CLASS="math notranslate"))
    if node.get("number"):
        number = f"({node['number']})"
        translator.body.append(f'<span class="eqno">{number}</span>')
    for part in parts:
        translator.body.append(_formula(translator, node, part, display=True))
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def _formula(translator: Any, node: "nodes.Element", latex: str, display: bool) -> str:
    """The MathML of one formula; a formula latex2mathml cannot read fails the build, naming it."""
    from sphinx.errors import ExtensionError

    try:
        return to_mathml(latex, display)
    except Exception as error:  # latex2mathml raises its own exceptions and plain ones alike
        where = f"{node.source}:{node.line}" if getattr(node, "source", None) else "a formula"
        raise ExtensionError(f"{where}: cannot turn ${latex}$ into MathML: {error}") from None


def _search_in_chinese(app: "Sphinx") -> None:
    """Sphinx 9's Chinese search data names a ``ChineseStemmer`` it never defines (a console error on every
    page): give it the English stemmer it ships, which its Chinese search uses for Latin words anyway."""
    if str(app.config.language or "").startswith("zh"):
        app.add_js_file(None, body="function ChineseStemmer() { return new EnglishStemmer(); }")


def _finish_page(app: "Sphinx", doctree: "nodes.document", docname: str) -> None:
    """Put the language switch (and the PDF link) at the top; replace each slider widget by its note."""
    from docutils import nodes

    config = app.config
    with language(config.tracegrad_lang):
        links = []
        if config.tracegrad_other:
            other = config.tracegrad_other
            links.append(f'<a class="tg-lang-link" href="../{other}/{docname}.html" hreflang="{_HTML_LANGUAGE[other]}"'
                         f' lang="{_HTML_LANGUAGE[other]}">{_LANGUAGE_NAMES[other]}</a>')
        if config.tracegrad_pdf and docname != "index":
            words = _("PDF for printing")
            links.append(f'<a class="tg-pdf-link" href="../pdf/{config.tracegrad_lang}/{docname}.pdf">'
                         f'{html.escape(words)}</a>')
        if links:
            bar = nodes.raw("", f'<nav class="tg-lang-switch">{" · ".join(links)}</nav>\n', format="html")
            first_section = next(iter(doctree.findall(nodes.section)), None)
            if first_section is not None and first_section.children:
                first_section.insert(1, bar)  # below the title
            else:
                doctree.insert(0, bar)
        note = _("This control needs Jupyter: its slider redraws the figure below with a running Python. "
                 "The figure shows its starting setting. Open the notebook in Jupyter to move it:")
        notebook = f"_notebooks/{docname}.ipynb"
        for raw in list(doctree.findall(nodes.raw)):
            if _WIDGET_VIEW not in raw.astext()[:200] or "<script" not in raw.astext()[:200]:
                continue
            raw.replace_self(nodes.raw(
                "", f'<div class="tg-needs-jupyter" role="note">{html.escape(note)} '
                    f'<a href="{notebook}" download>{html.escape(docname)}.ipynb</a></div>\n', format="html"))


def _page_context(app: "Sphinx", pagename: str, templatename: str, context: dict[str, Any],
                  doctree: Any) -> None:
    """Drop any script a page would load from the network (myst-nb's widget manager, should one come back)."""
    # The widgets' saved state too: no widget manager reads it here (the steppers carry their own data).
    scripts = context.get("script_files") or []
    context["script_files"] = [
        script for script in scripts
        if not str(getattr(script, "filename", script) or "").startswith(("http:", "https:", "//"))
        and getattr(script, "attributes", {}).get("type") != "application/vnd.jupyter.widget-state+json"]


def files_of(site: Path) -> Iterable[Path]:
    """Every file under ``site``, in a stable order."""
    return sorted(path for path in site.rglob("*") if path.is_file())
