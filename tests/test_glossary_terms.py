"""One Chinese term per English term, everywhere a learner reads Chinese.

``autograd/locale/glossary.tsv`` gives each of the articles' terms one Chinese
term, and (third column) the variants seen in the wild that must not be used
for it (暴力破解 and 穷举法 for "brute-force search", 气温 for "temperature", …).
Checked here, term by term:

* every message of every catalogue (``autograd/locale/zh/LC_MESSAGES/*.po``):
  where the English message uses a term, the Chinese uses the glossary's term;
* every Chinese notebook (``notebooks/zh/*.md``) against its English twin, cell
  by cell (the two editions have the same cells, tests/test_notebooks.py checks
  that): where an English Markdown cell uses a term, the Chinese cell uses the
  glossary's term;
* nowhere, neither in a catalogue nor in a Chinese notebook (prose, plot labels
  and printed text alike), does a variant appear.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "autograd" / "locale"
NOTEBOOKS = ROOT / "notebooks"
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def glossary() -> list[tuple[str, str, tuple[str, ...]]]:
    """(English, Chinese, variants not to use) for every row of the glossary."""
    rows = []
    for line in (LOCALE / "glossary.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            english, chinese, *rest = line.split("\t")
            variants = tuple(v for v in rest[0].split("|") if v) if rest else ()
            rows.append((english, chinese, variants))
    return rows


TERMS = glossary()


def uses(english_text: str, term: str) -> bool:
    """The English text uses the term (a whole word, any case, singular or plural).

    Not inside a name: an option (``--momentum``), an identifier (``batch_size``) or a
    literal list such as a CSV header (``temperature,weekday,sales``) is not a word.
    """
    word = rf"(?<![\w\-.,]){re.escape(term)}(s|es)?(?![\w\-=,])"
    return re.search(word, english_text, flags=re.IGNORECASE) is not None


def catalogue_messages() -> list[tuple[str, str, str]]:
    """(domain, English, Chinese) for every message and plural form of every catalogue."""
    from babel.messages.pofile import read_po

    rows = []
    for po in sorted((LOCALE / "zh" / "LC_MESSAGES").glob("*.po")):
        with open(po, encoding="utf-8") as file:
            for message in read_po(file):
                if not message.id:
                    continue
                ids = (message.id,) if isinstance(message.id, str) else message.id
                strings = (message.string,) if isinstance(message.string, str) else message.string
                for english in ids:
                    for chinese in strings:
                        rows.append((po.stem, PLACEHOLDER.sub(" ", english), chinese or ""))
    return rows


def markdown(path: Path) -> list[str]:
    import jupytext

    return [cell.source if cell.cell_type == "markdown" else "" for cell in jupytext.read(path).cells]


def test_the_glossary_is_one_chinese_term_per_english_term():
    english = [row[0] for row in TERMS]
    assert len(english) == len(set(english)), "an English term is listed twice"
    for term, chinese, variants in TERMS:
        assert chinese and chinese not in variants, term
        for variant in variants:
            assert chinese not in variant or variant.startswith(chinese) is False, (term, variant)
    # The terms a learner meets in the articles and the tool are there.
    for term in ("brute-force search", "tower", "sales", "temperature", "partial sum", "mini-batch",
                 "stochastic gradient descent", "batch size", "step size", "cost function"):
        assert term in english, term


@pytest.mark.babel
def test_every_catalogue_uses_the_glossary_term_for_each_english_term():
    problems = [f"{domain}: {english.strip()[:70]!r}: {term} -> {chinese}"
                for domain, english, translated in catalogue_messages()
                for term, chinese, _ in TERMS
                if uses(english, term) and translated and chinese not in translated]
    assert not problems, f"{len(problems)} messages:\n" + "\n".join(problems[:15])


@pytest.mark.babel
def test_no_catalogue_uses_a_variant():
    problems = [f"{domain}: {translated[:60]!r} uses {variant} (the glossary says {chinese} for {term})"
                for domain, _, translated in catalogue_messages()
                for term, chinese, variants in TERMS for variant in variants if variant in translated]
    assert not problems, "\n".join(sorted(set(problems))[:15])


@pytest.mark.parametrize("stem", sorted(path.stem for path in (NOTEBOOKS / "zh").glob("[0-9][0-9]_*.md")))
def test_a_chinese_notebook_uses_the_glossary_term_wherever_its_english_twin_uses_the_term(stem):
    english_cells, chinese_cells = markdown(NOTEBOOKS / f"{stem}.md"), markdown(NOTEBOOKS / "zh" / f"{stem}.md")
    assert len(english_cells) == len(chinese_cells)
    problems = [f"cell {index}: {term} -> {chinese}"
                for index, (english, translated) in enumerate(zip(english_cells, chinese_cells))
                for term, chinese, _ in TERMS if uses(english, term) and chinese not in translated]
    assert not problems, f"{stem}: " + "; ".join(problems[:12])


@pytest.mark.parametrize("stem", sorted(path.stem for path in (NOTEBOOKS / "zh").glob("[0-9][0-9]_*.md")))
def test_no_chinese_notebook_uses_a_variant(stem):
    text = (NOTEBOOKS / "zh" / f"{stem}.md").read_text(encoding="utf-8")
    problems = sorted({f"{variant} (the glossary says {chinese} for {term})"
                       for term, chinese, variants in TERMS for variant in variants if variant in text})
    assert not problems, f"{stem}: " + "; ".join(problems)


def test_the_checks_can_fail():
    assert uses("Two layers of neurons", "neuron") and uses("the Bias", "bias")
    assert not uses("biased", "bias") and not uses("towering", "tower")
    assert not uses("--momentum applies", "momentum") and not uses("e.g. temperature,weekday,sales", "sales")
    assert any(variant == "暴力破解" for term, _, variants in TERMS if term == "brute-force search"
               for variant in variants)
