"""The type check CI runs: mypy over autograd and nn, with pyproject.toml's [tool.mypy], finds no error."""

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.types


def test_mypy_finds_no_error_in_autograd_and_nn():
    # The interpreter running the tests is the venv's: mypy comes with the test extra.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "autograd", "nn"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, f"mypy found errors:\n{result.stdout}{result.stderr}"
    assert "Success: no issues found" in result.stdout


def test_the_configuration_is_the_one_in_pyproject(tmp_path):
    # A check that ran with mypy's defaults would pass more than the house asks: an untyped function.
    untyped = tmp_path / "untyped.py"
    untyped.write_text("def double(x):\n    return 2 * x\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental",
         str(untyped)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1 and "[no-untyped-def]" in result.stdout, result.stdout + result.stderr
