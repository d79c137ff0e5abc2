"""Languages: the choice of language, and catalogues that are complete and consistent.

Every message of every layer has a Chinese translation; the committed .mo
files are what Babel compiles from the .po files; translations keep each
message's placeholders; the articles' terms come from the one glossary.
"""

from __future__ import annotations

import io
import re

import pytest

from autograd import i18n

LOCALE = i18n.LOCALE_DIR
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def glossary() -> list[tuple[str, str]]:
    rows = []
    for line in (LOCALE / "glossary.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            english, chinese = line.split("\t")[:2]  # a third column lists variants not to use
            rows.append((english, chinese))
    return rows


def catalogue(domain: str):
    from babel.messages.pofile import read_po

    with open(LOCALE / "zh" / "LC_MESSAGES" / f"{domain}.po", encoding="utf-8") as po:
        return read_po(po)


def messages(domain: str):
    return [message for message in catalogue(domain) if message.id]


# --- choosing the language ---

def test_english_is_the_default(monkeypatch):
    for variable in ("TRACEGRAD_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    assert i18n.current() == "en"


@pytest.mark.parametrize("variable", ["LANG", "LC_ALL", "LC_MESSAGES", "TRACEGRAD_LANG"])
def test_the_locale_chooses_chinese(monkeypatch, variable):
    for name in ("TRACEGRAD_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(variable, "zh_CN.UTF-8")
    assert i18n.current() == "zh"


def test_an_argument_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    with i18n.language("en"):
        assert i18n.current() == "en"
        with i18n.language(None):
            assert i18n.current() == "en"
    assert i18n.current() == "zh"


@pytest.mark.parametrize("given, code", [("zh", "zh"), ("zh_CN", "zh"), ("zh-Hans", "zh"),
                                         ("en_GB.UTF-8", "en"), ("EN", "en")])
def test_language_codes_are_normalised(given, code):
    assert i18n.normalise(given) == code


def test_bad_languages_are_named():
    with pytest.raises(ValueError, match="lang must be one of en, zh; got 'fr'"):
        i18n.normalise("fr")
    with pytest.raises(TypeError, match="lang must be a str"):
        i18n.normalise(1)
    with pytest.raises(ValueError, match="domain"):
        i18n.Catalogue("nowhere")


# --- the catalogues (read with Babel, the test extra's tool) ---

babel = pytest.mark.babel

@babel
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_every_message_has_a_chinese_translation(domain):
    missing = [m.id for m in messages(domain) if not (m.string if isinstance(m.id, str) else all(m.string))
               or m.fuzzy]
    assert not missing, f"{len(missing)} untranslated in {domain}.po, e.g. {missing[:3]}"


@babel
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_the_catalogue_holds_exactly_the_messages_of_the_code(domain, tmp_path):
    """No message in the code is missing from the .po, and none is left over."""
    from babel.messages.extract import extract_from_dir

    roots = {"views": ["autograd/viz"], "nn": ["nn"], "app": ["nn/app"]}[domain]
    found: set[str] = set()
    base = LOCALE.parent.parent
    for root in roots:
        for filename, _, message, _, _ in extract_from_dir(
                str(base / root), keywords={"_": None, "N_": None, "ngettext": (1, 2), "gettext": None}):
            if domain == "nn" and "/" in filename.replace("\\", "/"):
                continue  # nn's own modules only: nn/app has a catalogue of its own
            found.add(message if isinstance(message, str) else message[0])
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in messages(domain)}
    assert found - ids == set(), f"in the code but not in {domain}.po: run scripts/translations.sh"
    assert ids - found == set(), f"in {domain}.po but no longer in the code"


@babel
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_the_committed_mo_is_what_babel_compiles(domain):
    from babel.messages.mofile import write_mo

    compiled = io.BytesIO()
    write_mo(compiled, catalogue(domain))
    committed = (LOCALE / "zh" / "LC_MESSAGES" / f"{domain}.mo").read_bytes()
    assert committed == compiled.getvalue(), "run: bash scripts/translations.sh compile"


@babel
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_translations_keep_every_placeholder(domain):
    for message in messages(domain):
        pairs = zip(message.id, message.string) if not isinstance(message.id, str) else [(message.id, message.string)]
        for english, chinese in pairs:
            assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(chinese)), english


@babel
@pytest.mark.parametrize("domain", i18n.DOMAINS)
def test_the_articles_terms_come_from_the_glossary(domain):
    terms = glossary()
    problems = []
    for message in messages(domain):
        english = PLACEHOLDER.sub("", message.id if isinstance(message.id, str) else message.id[0])
        chinese = message.string if isinstance(message.string, str) else message.string[0]
        for term, translated in terms:
            if re.search(rf"\b{re.escape(term)}", english, flags=re.IGNORECASE) and translated not in chinese:
                problems.append(f"{english!r}: {term} -> {translated}")
    assert not problems, "\n".join(problems[:10])


@babel
def test_a_chinese_message_is_read_from_the_compiled_catalogue():
    some = next(m for m in messages("views") if isinstance(m.id, str) and "{" not in m.id)
    with i18n.language("zh"):
        assert i18n.Catalogue("views").gettext(some.id) == some.string
    with i18n.language("en"):
        assert i18n.Catalogue("views").gettext(some.id) == some.id
