"""When the language cannot be had: an unknown ``TRACEGRAD_LANG``, a missing catalogue.

An unknown ``TRACEGRAD_LANG=fr`` is one clear message and exit 2 for a
command run without ``--lang``; ``--lang en``/``--lang zh`` and ``--help``
still work. A missing ``.mo`` catalogue (a broken install) leaves its
messages in English with one warning, and the command finishes its work.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from autograd import i18n
from nn.app.cli import main

ROOT = Path(__file__).resolve().parent.parent
LOCALE_VARIABLES = ("TRACEGRAD_LANG", "LC_ALL", "LC_MESSAGES", "LANG")
BAD_LANGUAGE = "TRACEGRAD_LANG must be one of en, zh; got 'fr'"


def tracegrad(*args: str, cwd: Path, lang_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """``python -m nn.app.cli ARGS`` in ``cwd`` (whose packages, if any, come first), no locale but ``lang_env``."""
    env = {key: value for key, value in os.environ.items() if key not in LOCALE_VARIABLES}
    env.update(PYTHONIOENCODING="utf-8", COLUMNS="100", PYTHONWARNINGS="always", **(lang_env or {}))
    return subprocess.run([sys.executable, "-m", "nn.app.cli", *args], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, env=env)


# --- an unknown TRACEGRAD_LANG -----------------------------------------------------------------

FRENCH = {"TRACEGRAD_LANG": "fr"}


@pytest.mark.parametrize("args", [["draw", "x*y", "--set", "x=2", "y=3"], ["trace", "x", "--set", "x=1"]])
def test_an_unknown_language_is_one_clear_message_with_exit_2(tmp_path, args):
    result = tracegrad(*args, cwd=tmp_path, lang_env=FRENCH)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"tracegrad: error: {BAD_LANGUAGE}: unset it, or give --lang en or --lang zh\n"


@pytest.mark.parametrize("lang, first_line", [("en", "out = x*y = 6"), ("zh", "out = x*y = 6")])
@pytest.mark.parametrize("where", ["top", "command"])
def test_lang_works_whatever_the_environment_says(tmp_path, lang, first_line, where):
    args = ["draw", "x*y", "--set", "x=2", "y=3"]
    args = ["--lang", lang, *args] if where == "top" else [*args, "--lang", lang]
    result = tracegrad(*args, cwd=tmp_path, lang_env=FRENCH)
    assert result.returncode == 0, result.stderr
    assert result.stdout == tracegrad(*args, cwd=tmp_path).stdout
    assert result.stdout.startswith(first_line) and result.stderr == ""
    assert ("（加上 -o graph.svg 即可画出计算图）" in result.stdout) == (lang == "zh")


@pytest.mark.parametrize("command", [[], ["draw"], ["train"]])
def test_help_works_in_english_and_says_why(tmp_path, command):
    result = tracegrad(*command, "--help", cwd=tmp_path, lang_env=FRENCH)
    assert result.returncode == 0
    assert result.stdout == tracegrad(*command, "--help", cwd=tmp_path).stdout
    assert result.stdout.startswith(f"usage: tracegrad {' '.join(command)}".rstrip())
    assert result.stderr == f"tracegrad: warning: {BAD_LANGUAGE} (writing in English)\n"
    chinese = tracegrad(*command, "--help", "--lang", "zh", cwd=tmp_path, lang_env=FRENCH)
    assert chinese.returncode == 0 and chinese.stdout.startswith("用法：") and chinese.stderr == ""


def test_bad_usage_is_still_told_in_english(tmp_path):
    result = tracegrad("draw", cwd=tmp_path, lang_env=FRENCH)
    assert result.returncode == 2
    assert "tracegrad draw: error: the following arguments are required: expression" in result.stderr
    assert "Traceback" not in result.stderr


def test_main_in_process(monkeypatch, capsys):
    monkeypatch.setenv("TRACEGRAD_LANG", "fr")
    assert main(["draw", "x", "--set", "x=1"]) == 2
    assert BAD_LANGUAGE in capsys.readouterr().err
    assert main(["draw", "x", "--set", "x=1", "--lang", "en"]) == 0
    assert capsys.readouterr().out.startswith("out = x = 1")


def test_the_library_names_the_variable_and_an_explicit_language_wins(monkeypatch):
    monkeypatch.setenv("TRACEGRAD_LANG", "fr")
    with pytest.raises(ValueError, match=BAD_LANGUAGE):
        i18n.current()
    with i18n.language("zh"):
        assert i18n.current() == "zh"


# --- a missing catalogue -----------------------------------------------------------------------


@pytest.fixture
def fresh_catalogues():
    """Catalogues read anew before and after the test (they are cached, and warned about once)."""
    i18n.reload_catalogues()
    yield
    i18n.reload_catalogues()


def locale_without(tmp_path: Path, *domains: str) -> Path:
    """A copy of the catalogues with the Chinese ``.mo`` of ``domains`` left out."""
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    for domain in domains:
        (locale / "zh" / "LC_MESSAGES" / f"{domain}.mo").unlink()
    return locale


def test_a_missing_catalogue_is_english_with_one_warning(tmp_path, monkeypatch, fresh_catalogues):
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale_without(tmp_path, "views", "app"))
    with warnings.catch_warnings(record=True) as caught, i18n.language("zh"):
        warnings.simplefilter("always")
        assert i18n.Catalogue("views").gettext("the initial gradient") == "the initial gradient"
        assert i18n.Catalogue("app").gettext("wrote") == "wrote"
        assert i18n.Catalogue("app").ngettext("expected %s argument", "expected %s arguments", 2) == \
            "expected %s arguments"
    assert [warning.category for warning in caught] == [i18n.CatalogueMissingWarning]
    message = str(caught[0].message)
    assert "'zh' message catalogue is missing" in message
    assert str(tmp_path / "locale" / "zh" / "LC_MESSAGES" / "views.mo") in message
    assert str(tmp_path / "locale" / "zh" / "LC_MESSAGES" / "app.mo") in message
    assert "nn.mo" not in message and "scripts/translations.sh compile" in message


def test_the_other_catalogues_stay_chinese(tmp_path, monkeypatch, fresh_catalogues):
    from babel.messages.pofile import read_po

    with open(i18n.LOCALE_DIR / "zh" / "LC_MESSAGES" / "nn.po", encoding="utf-8") as po:
        some = next(m for m in read_po(po) if isinstance(m.id, str) and m.id and m.string)
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale_without(tmp_path, "views"))
    with warnings.catch_warnings(record=True), i18n.language("zh"):
        warnings.simplefilter("always")
        assert i18n.Catalogue("views").gettext("the initial gradient") == "the initial gradient"
        assert i18n.Catalogue("nn").gettext(some.id) == some.string


def copy_of_tracegrad_without(tmp_path: Path, *domains: str) -> Path:
    """The two packages, copied into ``tmp_path`` (they come first on its sys.path), less some catalogues."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("autograd", "nn"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    for domain in domains:
        (tmp_path / "autograd" / "locale" / "zh" / "LC_MESSAGES" / f"{domain}.mo").unlink()
    return tmp_path


@pytest.mark.parametrize("args", [
    ["trace", "(w*x + b - y)**2", "--set", "w=0.5", "x=2", "b=0", "y=3", "--follow", "b"],
    ["train", "nonsense"],
])
def test_the_cli_finishes_in_english_with_one_warning(tmp_path, args):
    """``--lang zh`` with the app and views catalogues missing: the English output, whole, and one warning."""
    english = tracegrad(*args, "--lang", "en", cwd=tmp_path)
    broken = copy_of_tracegrad_without(tmp_path / "broken", "app", "views")
    result = tracegrad(*args, "--lang", "zh", cwd=broken)
    assert result.returncode == english.returncode
    assert result.stdout == english.stdout
    warning, _, rest = result.stderr.partition("\n")
    assert warning.startswith("tracegrad: warning: tracegrad's 'zh' message catalogue is missing (")
    assert str(broken / "autograd" / "locale" / "zh" / "LC_MESSAGES" / "app.mo") in warning
    assert str(broken / "autograd" / "locale" / "zh" / "LC_MESSAGES" / "views.mo") in warning
    assert rest == english.stderr
