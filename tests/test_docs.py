"""The READMEs stay short and every page's links lead somewhere.

A newcomer reads the README in ten minutes: at most 200 lines in each
language, the reference in ``docs/`` pages that the README links, the speed
figures in ``benchmarks/README.md``. Every link (and image) of those pages
into the checkout, relative or by the repository's GitHub address, resolves
to a file, and a ``#anchor`` to a heading of the page it names (GitHub's
heading slugs). Each docs page says in its first
line what it covers and links back to the README. The Chinese README reads as
Chinese: one line per paragraph, full-width punctuation, the glossary's terms
(the checks of tests/test_notebook_prose.py and the glossary's variants).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from test_glossary_terms import TERMS
from test_notebook_prose import half_width_in_chinese, is_cjk, paragraph_lines, prose

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
README_ZH = ROOT / "README.zh.md"
MAX_README_LINES = 200

DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, README_ZH, *DOCS, ROOT / "benchmarks" / "README.md"]

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`[^`\n]*`")
# [text](target) and ![alt](target), an optional "title" after the target.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
# A link into the repository by address (a README published on a package index needs them):
# https://github.com/OWNER/NAME/blob/BRANCH/docs/engine.md is docs/engine.md of the checkout.
REPOSITORY_FILE = re.compile(r"https://github\.com/[^/]+/[^/]+/(?:blob|raw)/[^/]+/([^?#]+)(#.*)?\Z")


def page_id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def without_code(markdown: str) -> str:
    """The page with fenced blocks and code spans blanked: a link written inside code is not a link."""
    return CODE_SPAN.sub(" ", FENCE.sub(" ", markdown))


def links(markdown: str) -> list[str]:
    """The targets of every link and image of a Markdown page, in order."""
    return LINK.findall(without_code(markdown))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Every heading's anchor on a page; a repeated heading gets -1, -2, … as on GitHub."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub(" ", markdown)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def linked_file(page: Path, target: str) -> Path | None:
    """The checkout's file a link of ``page`` leads to (relative, or by the repository's address); else None."""
    in_repository = REPOSITORY_FILE.match(target)
    if in_repository:
        return (ROOT / in_repository.group(1)).resolve()
    if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto: — not the checkout's
        return None
    file_part = target.partition("#")[0]
    return (page.parent / file_part).resolve() if file_part else page.resolve()


def broken_links(path: Path) -> list[str]:
    """The links of a page into the checkout that lead to no file, or to no heading of the page they name."""
    broken = []
    for target in links(path.read_text(encoding="utf-8")):
        destination = linked_file(path, target)
        anchor = target.partition("#")[2]
        if destination is None:
            continue
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and destination.suffix == ".md" and anchor not in anchors(destination.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading #{anchor} in {destination.name}")
    return broken


@pytest.mark.parametrize("readme", [README, README_ZH], ids=page_id)
def test_a_readme_is_read_in_ten_minutes(readme):
    lines = readme.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= MAX_README_LINES, f"{readme.name} has {len(lines)} lines; move reference to docs/"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_link_into_the_checkout_resolves(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("readme", [README, README_ZH], ids=page_id)
def test_the_readme_links_every_docs_page_and_the_benchmarks(readme):
    targets = {linked_file(readme, target) for target in links(readme.read_text(encoding="utf-8"))}
    expected = {path.resolve() for path in DOCS} | {(ROOT / "benchmarks" / "README.md").resolve()}
    assert DOCS, "docs/ has no pages"
    assert sorted(map(str, expected - targets)) == []


@pytest.mark.parametrize("page", [*DOCS, ROOT / "benchmarks" / "README.md"], ids=page_id)
def test_a_reference_page_says_what_it_covers_and_leads_back(page):
    lines = [line for line in page.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines[0].startswith("# "), "a page starts with its title"
    assert "](../README.md)" in lines[1], "the line under the title says what the page covers and links the README"


def test_the_chinese_readme_has_one_line_per_paragraph():
    text = README_ZH.read_text(encoding="utf-8")
    broken = [f"{a.strip()[-15:]}⏎{b.strip()[:15]}" for a, b in paragraph_lines(text)
              if a.strip() and is_cjk(a.strip()[-1]) and is_cjk(b.strip()[0])]
    assert broken == [], "a Chinese paragraph wrapped inside a sentence renders a stray space"


@pytest.mark.parametrize("readme", [README, README_ZH], ids=page_id)
def test_the_readmes_python_examples_run(readme, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # they write neuron.svg and icecream.html
    examples = re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
    assert len(examples) >= 2  # the engine and the stepper (and the Names section's, merged in)
    for example in examples:
        exec(compile(example, f"{readme.name} example", "exec"), {})
    assert (tmp_path / "neuron.svg").read_text(encoding="utf-8").startswith("<?xml")
    assert "L2.N1.b" in (tmp_path / "icecream.html").read_text(encoding="utf-8")


def test_the_readmes_command_line_example_prints_what_it_shows(tmp_path, monkeypatch, capsys):
    """The lines the README shows under its ``$ tracegrad …`` (… for lines left out) are printed, in that order."""
    from nn.app.cli import main

    example = re.search(r"```console\n\$ (tracegrad .*?)\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert example, "README.md shows no tracegrad command with its output"
    command, shown = example.groups()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRACEGRAD_LANG", "en")
    assert main(shlex.split(command)[1:]) == 0
    printed = iter(capsys.readouterr().out.splitlines())
    # `line in printed` consumes the iterator up to the match: each shown line must come after the last.
    assert [line for line in shown.splitlines() if line != "…" and line not in printed] == []


def chinese_sentences(markdown: str) -> str:
    """The prose of a Chinese page (tests/test_notebook_prose.prose); an image's ! is Markdown, not a sentence's."""
    return prose(markdown.replace("![", "["))


def variants_used(text: str) -> list[tuple[str, str]]:
    """(glossary term, variant) for every variant not to use that ``text`` contains."""
    return [(chinese, variant) for _, chinese, variants in TERMS for variant in variants if variant in text]


def test_the_chinese_readme_uses_full_width_punctuation():
    assert half_width_in_chinese(chinese_sentences(README_ZH.read_text(encoding="utf-8"))) == []


def test_the_chinese_readme_uses_no_variant_of_a_glossary_term():
    assert variants_used(README_ZH.read_text(encoding="utf-8")) == []


def test_the_checks_can_fail(tmp_path):
    assert slug("Compiling a graph: backprop as straight-line code") == "compiling-a-graph-backprop-as-straight-line-code"
    assert slug("One file: `write_atomically`") == "one-file-write_atomically" and slug("bench_nn.py") == "bench_nnpy"
    assert anchors("# A\n## A\n```\n# not a heading\n```\n") == {"a", "a-1"}
    assert links("[x](a.md) ![y](b.png) `[z](c.md)`\n```\n[w](d.md)\n```\n[v](https://e) [u](f.md#g)") == [
        "a.md", "b.png", "https://e", "f.md#g"]
    (tmp_path / "other.md").write_text("# Title\n\n## Part two\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text("[a](other.md#part-two) [b](other.md#part-three) [c](missing.md) [d](#here)\n\n## Here\n",
                    encoding="utf-8")
    assert broken_links(page) == ["other.md#part-three: no heading #part-three in other.md", "missing.md: no such file"]
    address = "https://github.com/someone/tracegrad/blob/main/"
    page.write_text(f"[a]({address}docs/nowhere.md) [b]({address}LICENSE) [c](https://example.org/x.md)\n",
                    encoding="utf-8")
    assert broken_links(page) == [f"{address}docs/nowhere.md: no such file"]
    assert linked_file(page, f"{address}LICENSE") == (ROOT / "LICENSE").resolve()
    assert not half_width_in_chinese(chinese_sentences("一步一步地看到。\n\n![单步页面](a.png)"))
    assert half_width_in_chinese(chinese_sentences("一步一步地看到, 然后"))
    assert variants_used("一个批次的第 3 行") == [("批量", "批次")]
