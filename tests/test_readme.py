"""The READMEs keep their promises: the same two commands in both languages, and CI runs the second."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent


def two_commands(readme: str) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (ROOT / readme).read_text(encoding="utf-8"), re.S)
    assert block, f"{readme} has no bash block"
    return [line.split("#")[0].strip() for line in block.group(1).strip().splitlines()]


def test_the_chinese_readme_gives_the_same_two_commands():
    assert two_commands("README.zh.md") == two_commands("README.md")
    assert len(two_commands("README.md")) == 2


def test_the_readme_links_its_chinese_edition():
    first_lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:4]
    assert any("README.zh.md" in line for line in first_lines)


def test_ci_runs_exactly_the_readmes_test_command():
    test_command = two_commands("README.md")[1]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert ci[-1].strip() == test_command
