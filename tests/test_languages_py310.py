"""The Chinese command line on Python 3.10, the oldest Python tracegrad supports (requires-python >=3.10).

Python 3.10's argparse writes ``argument NAME: MESSAGE`` without gettext
(3.11 translates it), so a Chinese error read ``argument COMMAND: 无效的选择``.
The CLI's parser translates that prefix itself, whatever argparse did.

Where 3.10 comes from: Debian bookworm's apt has only 3.11, and python.org is
out of reach; the npm registry's Pyodide 0.22.1 is CPython 3.10.2 compiled to
WebAssembly, run by Node.js — the same standard library (argparse, gettext),
byte for byte. ``scripts/setup.sh`` installs it into ``.venv/pyodide``; the
tests marked ``python310`` run the Chinese CLI tests' key cases in it
(tests/test_i18n_cli.py) and check 3.10's argparse messages against the catalogue.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from autograd.i18n import Catalogue, language
from nn.app.cli import main
from nn.app.cli.common import ARGPARSE_MESSAGES, Parser
from test_i18n_cli import COMMANDS, CHINESE_ERRORS, check_chinese_error, check_chinese_help

ROOT = Path(__file__).resolve().parent.parent
PYODIDE = ROOT / ".venv" / "pyodide" / "node_modules" / "pyodide"

#: argparse's messages that tracegrad's parsers never show: mistakes made while building a
#: parser (its options are fixed in the code, and tested), and argparse.FileType, which it does not use.
NEVER_SHOWN = {
    ".__call__() not defined",
    "'required' is an invalid argument for positionals",
    "%r is not callable",
    "argument \"-\" with mode %r",
    "cannot have multiple subparser arguments",
    "cannot merge actions - two groups are named %r",
    "conflicting option string: %s",
    "conflicting subparser alias: %s",
    "conflicting subparser: %s",
    "dest= is required for options like %r",
    "invalid conflict_resolution value: %r",
    "invalid option string %(option)r: must start with a character %(prefix_chars)r",
    "mutually exclusive arguments must be optional",
}
#: argparse's one plural message (asked for through ngettext).
PLURAL = ("expected %s argument", "expected %s arguments")


def argparse_messages(source: str) -> set[tuple[str, ...]]:
    """The messages an argparse source marks for translation: ``_("...")`` and ``ngettext("...", "...", n)``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
            found.add(tuple(argument.value for argument in node.args
                            if isinstance(argument, ast.Constant) and isinstance(argument.value, str)))
    return {message for message in found if message}


def untranslated(messages: set[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The messages the CLI can show that the Chinese catalogue leaves in English."""
    catalogue = Catalogue("app")
    missing = []
    with language("zh"):
        for message in sorted(messages):
            if message[0] in NEVER_SHOWN:
                continue
            if len(message) == 1:
                if message[0] not in ARGPARSE_MESSAGES or catalogue.gettext(message[0]) == message[0]:
                    missing.append(message)
            elif message != PLURAL or catalogue.ngettext(*message, 2) == message[1]:
                missing.append(message)
    return missing


def test_the_check_finds_an_untranslated_argparse_message():
    assert untranslated({("invalid choice: %(value)r (choose from %(choices)s)",)}) == []
    assert untranslated({("a message of a future argparse: %s",)}) == [("a message of a future argparse: %s",)]
    assert untranslated({PLURAL}) == [] and untranslated({("conflicting subparser: %s",)}) == []


def test_every_argparse_message_of_this_python_is_translated():
    source = Path(argparse.__file__).read_text(encoding="utf-8")
    messages = argparse_messages(source)
    assert len(messages) > 25 and ("usage: ",) in messages
    assert untranslated(messages) == []


@pytest.mark.parametrize("argv, message", [
    (["frobnicate"], "参数 COMMAND：无效的选择：'frobnicate'"),
    (["train", "mnist"], "参数 DATASET：无效的选择：'mnist'"),
])
def test_the_argument_prefix_is_chinese_even_where_argparse_leaves_it_english(capsys, monkeypatch, argv, message):
    """On 3.10 argparse formats ``argument %(argument_name)s: %(message)s`` without gettext: as if here."""
    def english_prefix(error: argparse.ArgumentError) -> str:
        return f"argument {error.argument_name}: {error.message}"

    monkeypatch.setattr(argparse.ArgumentError, "__str__", english_prefix)
    assert main([*argv, "--lang", "zh"]) == 2
    err = capsys.readouterr().err
    assert message in err and "argument" not in err
    assert main([*argv, "--lang", "en"]) == 2
    assert f"error: argument {message.split()[1].split('：')[0]}: invalid choice: " in capsys.readouterr().err


def test_the_prefix_is_rewritten_once_and_only_when_it_is_english(capsys):
    parser = Parser(prog="p")
    with language("zh"), pytest.raises(SystemExit):
        parser.error("argument -o/--out: 文件名必须以 .svg 结尾")
    assert capsys.readouterr().err.endswith("p：错误：参数 -o/--out：文件名必须以 .svg 结尾\n")
    with language("zh"), pytest.raises(SystemExit):
        parser.error("参数 --lr：学习率必须是 (0, 10] 内的有限数")
    assert capsys.readouterr().err.endswith("p：错误：参数 --lr：学习率必须是 (0, 10] 内的有限数\n")


# --- on CPython 3.10 itself (Pyodide on Node.js) ---------------------------------------------

#: Node.js: load Pyodide, lend it the repository (read-only use) and run the driver below.
RUNNER_JS = r"""
const [pyodideDir, repo, driver, casesFile] = process.argv.slice(2);
const { loadPyodide } = require(pyodideDir);
const fs = require("fs");
(async () => {
  const pyodide = await loadPyodide();
  pyodide.FS.mkdirTree("/repo");
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: repo }, "/repo");
  pyodide.globals.set("CASES", fs.readFileSync(casesFile, "utf8"));
  process.stdout.write(pyodide.runPython(fs.readFileSync(driver, "utf8")));
})().catch((error) => { console.error(error); process.exit(1); });
"""

#: Python (3.10, in Pyodide): run ``main(argv)`` for each case, with its environment; answer in JSON.
DRIVER_PY = r"""
import contextlib, io, json, os, sys
sys.path.insert(0, "/repo")
sys.dont_write_bytecode = True
from nn.app.cli import main

results = []
for case in json.loads(CASES):
    for variable in ("TRACEGRAD_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        os.environ.pop(variable, None)
    os.environ.update(case["env"], COLUMNS="100")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(case["argv"])
        except SystemExit as exit_:
            code = exit_.code
    results.append({"returncode": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
import argparse
json.dumps({"version": list(sys.version_info[:3]), "argparse_file": argparse.__file__,
            "argparse_source": open(argparse.__file__, encoding="utf-8").read(), "results": results})
"""


def run_on_python310(tmp_path: Path, cases: list[dict]) -> SimpleNamespace:
    """Run ``tracegrad`` once per case under CPython 3.10 (Pyodide), in one Node.js process."""
    node = shutil.which("node")
    assert node is not None, "Node.js is missing: run scripts/setup.sh"
    assert (PYODIDE / "package.json").is_file(), f"Pyodide (CPython 3.10) is missing at {PYODIDE}: run scripts/setup.sh"
    (tmp_path / "runner.js").write_text(RUNNER_JS, encoding="utf-8")
    (tmp_path / "driver.py").write_text(DRIVER_PY, encoding="utf-8")
    (tmp_path / "cases.json").write_text(json.dumps(cases), encoding="utf-8")
    finished = subprocess.run(
        [node, str(tmp_path / "runner.js"), str(PYODIDE), str(ROOT), str(tmp_path / "driver.py"),
         str(tmp_path / "cases.json")],
        capture_output=True, text=True, encoding="utf-8", timeout=300, env={**os.environ, "NODE_NO_WARNINGS": "1"})
    assert finished.returncode == 0, finished.stderr[-3000:]
    answer = json.loads(finished.stdout)
    answer["results"] = [subprocess.CompletedProcess(case["argv"], **result)
                         for case, result in zip(cases, answer["results"])]
    return SimpleNamespace(**answer)


python310 = pytest.mark.python310


@pytest.fixture(scope="module")
def on_python310(tmp_path_factory) -> SimpleNamespace:
    """The key cases of tests/test_i18n_cli.py, run once under CPython 3.10."""
    cases = [{"argv": [*argv, "--lang", "zh"], "env": {}} for argv, _ in CHINESE_ERRORS]
    cases += [{"argv": [*command, "--help", "--lang", "zh"], "env": {}} for command in [[], *([c] for c in COMMANDS)]]
    cases += [{"argv": ["train", "mnist"], "env": {"LANG": "zh_CN.UTF-8"}},
              {"argv": ["--help"], "env": {"TRACEGRAD_LANG": "zh"}}]
    return run_on_python310(tmp_path_factory.mktemp("python310"), cases)


@python310
def test_it_is_cpython_310(on_python310):
    assert on_python310.version[:2] == [3, 10]
    assert on_python310.argparse_file == "/lib/python3.10/argparse.py"
    # The very difference this file is about: 3.10 formats the prefix without gettext.
    assert "format = 'argument %(argument_name)s: %(message)s'" in on_python310.argparse_source


@python310
@pytest.mark.parametrize("index", range(len(CHINESE_ERRORS)), ids=[" ".join(a) or "-" for a, _ in CHINESE_ERRORS])
def test_errors_are_chinese_on_python310(on_python310, index):
    check_chinese_error(on_python310.results[index], CHINESE_ERRORS[index][1])


@python310
@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_every_help_in_chinese_on_python310(on_python310, command):
    check_chinese_help(on_python310.results[len(CHINESE_ERRORS) + [[], *([c] for c in COMMANDS)].index(command)],
                       command)


@python310
def test_the_locale_chooses_chinese_on_python310(on_python310):
    locale_error, locale_help = on_python310.results[-2:]
    assert locale_error.returncode == 2
    assert locale_error.stderr.startswith("用法：tracegrad train")
    assert "tracegrad train：错误：参数 DATASET：无效的选择：'mnist'" in locale_error.stderr
    assert locale_help.returncode == 0 and locale_help.stdout.startswith("用法：tracegrad")


@python310
def test_every_argparse_message_of_python310_is_translated(on_python310):
    messages = argparse_messages(on_python310.argparse_source)
    assert len(messages) > 25 and ("usage: ",) in messages
    assert untranslated(messages) == []
