"""The teaching notebooks: committed clean, and each runs top to bottom in a fresh kernel.

Every notebook is executed with nbclient in a temporary directory; a cell that
raises fails its test. After the last cell, in the same kernel, the closing
exercise is answered correctly (the check must say "Correct!") and wrongly
(the check must raise), so the hidden check is itself checked.

The notebooks run in parallel worker threads (each kernel is its own
process), started once for the whole module, so the suite takes about as
long as the slowest notebook per core.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
EXPECTED = [
    "01_neuron",
    "02_activations",
    "03_layers",
    "04_losses",
    "05_icecream",
    "06_gradient_descent_sgd_minibatch",
    "07_overfitting_regularisation",
    "08_universal_approximation",
    "09_moons",
]
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
CELL_TIMEOUT = 120  # seconds; every notebook as a whole runs in well under a minute

PROBE = "import sys; print(sys.prefix)"


def _outputs_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif "data" in output and "text/plain" in output["data"]:
            parts.append(output["data"]["text/plain"])
    return "".join(parts)


class Run:
    """What executing one notebook produced."""

    def __init__(self) -> None:
        self.error: BaseException | None = None
        self.kernel_prefix = ""
        self.unanswered = ""
        self.correct = ""
        self.wrong_error: BaseException | None = None
        self.executed = None


def _execute(path: Path, workdir: Path) -> Run:
    run = Run()
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    try:
        with client.setup_kernel(cwd=str(workdir)):
            probe = nbformat.v4.new_code_cell(PROBE)
            client.execute_cell(probe, 0)
            run.kernel_prefix = _outputs_text(probe).strip()
            for index, cell in enumerate(nb.cells):
                client.execute_cell(cell, index)
            exercise_index = next(i for i, c in enumerate(nb.cells) if "exercise" in c.metadata.get("tags", []))
            check_cell = nb.cells[exercise_index + 1]
            run.unanswered = _outputs_text(check_cell)
            answers = nb.cells[exercise_index].metadata["tracegrad"]
            solution = nbformat.v4.new_code_cell(answers["solution"])
            client.execute_cell(solution, exercise_index)
            checked = copy.deepcopy(check_cell)
            client.execute_cell(checked, exercise_index + 1)
            run.correct = _outputs_text(checked)
            client.execute_cell(nbformat.v4.new_code_cell(answers["wrong"]), exercise_index)
            try:
                client.execute_cell(copy.deepcopy(check_cell), exercise_index + 1)
            except nbclient.exceptions.CellExecutionError as error:
                run.wrong_error = error
    except BaseException as error:  # reported by the test of this notebook
        run.error = error
    run.executed = nb
    return run


_runs: dict[str, Future] = {}
_pool: ThreadPoolExecutor | None = None


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Start every notebook at once, on as many workers as there are cores."""
    global _pool
    # Look up the "python3" kernel in this environment first, so that a kernelspec in the
    # user's home cannot send the notebooks to another Python (the test checks it did not).
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter")] + ([previous] if previous else []))
    workers = max(1, min(len(NOTEBOOKS), os.cpu_count() or 1))
    _pool = ThreadPoolExecutor(max_workers=workers)
    # The slowest notebooks first, so they do not finish last on their own.
    order = sorted(NOTEBOOKS, key=lambda p: p.stem not in {"09_moons", "07_overfitting_regularisation",
                                                          "08_universal_approximation"})
    for path in order:
        workdir = tmp_path_factory.mktemp(path.stem)
        _runs[path.stem] = _pool.submit(_execute, path, workdir)
    try:
        yield _runs
    finally:
        _pool.shutdown(wait=True)
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous


def test_every_notebook_is_there():
    assert [path.stem for path in NOTEBOOKS] == EXPECTED


def test_the_generator_reproduces_the_committed_notebooks():
    result = subprocess.run([sys.executable, str(NOTEBOOK_DIR / "_build.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_committed_without_outputs_and_with_the_python3_kernel(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    tags = [tag for cell in nb.cells for tag in cell.metadata.get("tags", [])]
    assert tags.count("exercise") == 1 and tags.count("check-answer") == 1
    check = nb.cells[-1]
    assert "hide-input" in check.metadata["tags"] and check.metadata["jupyter"]["source_hidden"]
    exercise = nb.cells[-2]
    assert "answer = ..." in exercise.source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_and_its_exercise_check_works(runs, path):
    run = runs[path.stem].result()
    if run.error is not None:
        raise run.error
    assert Path(run.kernel_prefix).resolve() == Path(sys.prefix).resolve(), (
        f"the kernel ran {run.kernel_prefix}, not this environment's Python ({sys.prefix})")
    assert "Not answered yet" in run.unanswered
    assert "Correct!" in run.correct
    assert run.wrong_error is not None and "Not quite" in str(run.wrong_error)
    # The notebook draws what it talks about: some output is a rendered graph.
    svgs = [output for cell in run.executed.cells if cell.cell_type == "code"
            for output in cell.get("outputs", []) if "image/svg+xml" in output.get("data", {})]
    assert svgs, "no graph was drawn"
