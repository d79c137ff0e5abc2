"""The READMEs' "Names" tables say what ``nn/names.py`` does, and their code runs as they say.

Each README has one row per naming table: its key, the article in words,
then the names of every role. The roles' cells are compared with the
table in ``nn.names.TABLES``; the example under the table is run and the
names it promises are looked for in the graph it builds.
"""

from __future__ import annotations

import pathlib
import re

import pytest

import nn
from autograd import topological_order

ROOT = pathlib.Path(__file__).resolve().parent.parent
READMES = {"README.md": "### Names: each article's own", "README.zh.md": "### 名字：每篇文章用自己的记号"}


def _section(readme: str) -> str:
    text = (ROOT / readme).read_text(encoding="utf-8")
    heading = READMES[readme]
    assert heading in text, f"{readme} has no section {heading!r}"
    start = text.index(heading)
    following = re.search(r"\n#{2,3} ", text[start + len(heading):])
    return text[start:start + len(heading) + following.start()] if following else text[start:]


def _rows(readme: str) -> dict[str, list[str]]:
    """The table's rows by key (the first cell's code name), each as its cells after the article's."""
    rows = {}
    for line in _section(readme).splitlines():
        match = re.match(r"\| `([^`]+)` \|", line)
        if match:
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            rows[match.group(1)] = cells[2:]
    return rows


def _expected(table: nn.Naming) -> list[str]:
    """The cells a README writes for ``table``: z, hidden, output, target, error, loss, MSE, inputs."""
    hidden = f"{table.hidden_name(1)}, {table.hidden_name(2)}, …"
    inputs = ", ".join(table.inputs) if table.inputs else f"{table.input_prefix}1, {table.input_prefix}2, …"
    return [table.weighted_sum, hidden, table.output, table.target, table.error, table.loss,
            table.loss_name("mse"), inputs]


@pytest.mark.parametrize("readme", READMES)
def test_the_readmes_names_table_is_nn_names(readme):
    rows = _rows(readme)
    assert sorted(rows) == sorted(nn.names.TABLES)
    for key, table in nn.names.TABLES.items():
        assert rows[key] == _expected(table), key


@pytest.mark.parametrize("readme", READMES)
def test_the_readmes_article_column_names_the_article_by_title(readme):
    section = _section(readme)
    assert "LLM学习笔记-神经网络的基本组成元素" in section  # the neuron article
    assert "神经网络学习原理" in section  # the ice-cream article
    assert "r_hat" in section and "y = f(z)" in section


@pytest.mark.parametrize("readme", READMES)
def test_the_readmes_example_builds_the_names_it_promises(readme):
    code = re.search(r"```python\n(.*?)```", _section(readme), re.S)
    assert code, f"{readme}'s Names section has no Python example"
    scope: dict[str, object] = {}
    exec(code.group(1), scope)  # the README's own example, as a reader would run it
    loss = scope["loss"]
    labels = {node.label for node in topological_order(loss)}
    assert {"temperature", "weekday", "z", "h1", "h2", "r\u0302", "r", "e", "MSE"} <= labels
    assert loss.label == "MSE"
    # and the comment under the example lists exactly those names
    comment = code.group(1).strip().splitlines()[-1]
    for name in ("temperature", "weekday", "z", "h1", "h2", "r\u0302", "r", "e", "MSE"):
        assert re.search(rf"(?<![\w\u0302]){re.escape(name)}(?![\w\u0302])", comment), (readme, name)


@pytest.mark.parametrize("readme", READMES)
def test_the_readmes_say_the_new_names_and_not_the_old(readme):
    text = (ROOT / readme).read_text(encoding="utf-8")
    assert "`z` 和 `a`" not in text and "`z` and `a`" not in text
    assert "activation `a`" not in text and "激活值 `a`" not in text
    assert 'tracegrad trace "L = (relu(w*x + b) - y)**2"' in text
