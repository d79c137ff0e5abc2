"""The house's layers hold: import-linter's contracts in pyproject.toml pass.

core (autograd's root modules) < views (autograd.viz) < nn < application (nn.app);
function-level imports count too.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.lint


def test_import_contracts_hold() -> None:
    lint_imports = pathlib.Path(sys.executable).with_name("lint-imports")
    assert lint_imports.exists(), f"import-linter is not installed beside {sys.executable}"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_engine_core_imports_only_the_standard_library() -> None:
    code = (
        "import sys, autograd, autograd.validation\n"
        "outside = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'graphviz', 'ipywidgets', 'IPython', 'matplotlib', 'tqdm', 'torch', 'numpy', 'nn'})\n"
        "print(outside)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
