"""The teaching notebooks: text and notebook in sync, committed clean, and each runs top to bottom.

Each notebook is a MyST Markdown file (``notebooks/NN_name.md``, the text a teacher
edits) paired by jupytext with an output-free ``.ipynb`` (what a student opens); a
teacher may edit either and run ``jupytext --sync notebooks/*.md``. The tests check
that every pair is in sync, then execute every notebook with nbclient in a fresh
kernel, in a temporary copy of ``notebooks/``, so that nothing is written into the
repository (and check that nothing was). After the last cell, in the same kernel,
the closing exercise is answered with the reference answer kept in the exercise
cell's metadata (the shared check in ``notebooks/exercise.py`` must say
"Correct!") and with a wrong one (it must raise), so the hidden check is checked too.

The notebooks run in parallel worker threads (each kernel is its own process),
started once for the module, so the suite takes about as long as the slowest
notebook per core. nbclient, nbformat and jupytext are imported inside the tests:
``pytest -m "not notebooks"`` collects this file without them.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import shutil
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

pytestmark = pytest.mark.notebooks

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
PAIRING = "ipynb,md:myst"
SLOWEST = {"09_moons", "07_overfitting_regularisation", "08_universal_approximation"}
CELL_TIMEOUT = 120  # seconds; every notebook as a whole runs in well under a minute
SYNC_HINT = "edit one side, then run `jupytext --sync notebooks/*.md` (clear outputs first)"

PROBE = "import sys; print(sys.prefix)"


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and modification time; byte-code caches aside."""
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts}


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
        self.files_before: dict[str, tuple[int, int]] = {}
        self.files_after: dict[str, tuple[int, int]] = {}


def _execute(stem: str, workdir: Path) -> Run:
    """Run the copy of notebook ``stem`` in ``workdir`` (the kernel's working directory)."""
    import nbclient
    import nbformat

    run = Run()
    nb = nbformat.read(workdir / f"{stem}.ipynb", as_version=4)
    run.executed = nb
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(workdir)}},
    )
    run.files_before = _files(workdir)
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
            client.execute_cell(nbformat.v4.new_code_cell(answers["solution"]), exercise_index)
            checked = copy.deepcopy(check_cell)
            client.execute_cell(checked, exercise_index + 1)
            run.correct = _outputs_text(checked)
            client.execute_cell(nbformat.v4.new_code_cell(answers["wrong"]), exercise_index)
            try:
                client.execute_cell(copy.deepcopy(check_cell), exercise_index + 1)
            except nbclient.exceptions.CellExecutionError as error:
                run.wrong_error = error
        run.files_after = _files(workdir)
    except BaseException as error:  # reported by the test of this notebook
        run.error = error
    return run


_runs: dict[str, Future] = {}


@pytest.fixture(scope="module")
def repository_files():
    """The files of ``notebooks/`` before any notebook ran."""
    return _files(NOTEBOOK_DIR)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, repository_files):
    """Start every notebook at once, each in its own copy of notebooks/, on one worker per core."""
    # Look up the "python3" kernel in this environment first, so that a kernelspec in the
    # user's home cannot send the notebooks to another Python (the test checks it did not).
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter")] + ([previous] if previous else []))
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(EXPECTED), os.cpu_count() or 1)))
    # The slowest notebooks first, so they do not finish last on their own.
    for stem in sorted(EXPECTED, key=lambda stem: stem not in SLOWEST):
        workdir = tmp_path_factory.mktemp(stem) / "notebooks"
        shutil.copytree(NOTEBOOK_DIR, workdir, ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        _runs[stem] = pool.submit(_execute, stem, workdir)
    try:
        yield _runs
    finally:
        pool.shutdown(wait=True)
        if previous is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = previous


def _pair(stem: str):
    """The notebook read from the text file, and the committed .ipynb."""
    import jupytext
    import nbformat

    return jupytext.read(NOTEBOOK_DIR / f"{stem}.md"), nbformat.read(NOTEBOOK_DIR / f"{stem}.ipynb", as_version=4)


def test_every_notebook_is_a_text_file_and_a_notebook():
    assert sorted(path.stem for path in NOTEBOOK_DIR.glob("[0-9][0-9]_*.md")) == EXPECTED
    assert sorted(path.stem for path in NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")) == EXPECTED
    assert not (NOTEBOOK_DIR / "_build.py").exists(), "the notebooks are their own source now"


@pytest.mark.parametrize("stem", EXPECTED)
def test_text_and_notebook_are_in_sync(stem):
    import jupytext
    from jupytext.combine import combine_inputs_with_outputs

    text, committed = _pair(stem)
    assert text.metadata["jupytext"]["formats"] == PAIRING
    assert committed.metadata["jupytext"]["formats"] == PAIRING
    # What `jupytext --sync` writes into the .ipynb from the text (cell ids and any outputs kept
    # from the committed notebook): a cell, a tag or a word changed on one side only differs.
    synced = combine_inputs_with_outputs(text, committed, fmt="md:myst")
    committed_text = (NOTEBOOK_DIR / f"{stem}.ipynb").read_text(encoding="utf-8")
    expected_text = jupytext.writes(synced, fmt="ipynb").rstrip("\n") + "\n"  # as jupytext.write ends a file
    assert expected_text == committed_text, f"{stem}: .md and .ipynb differ; {SYNC_HINT}"
    assert [(c.cell_type, c.source, c.metadata) for c in text.cells] == [
        (c.cell_type, c.source, c.metadata) for c in committed.cells], f"{stem}: {SYNC_HINT}"


@pytest.mark.parametrize("stem", EXPECTED)
def test_committed_without_outputs_and_with_the_python3_kernel(stem):
    import nbformat

    text, committed = _pair(stem)
    nbformat.validate(committed)
    for nb in (text, committed):
        assert nb.metadata["kernelspec"]["name"] == "python3"
    for cell in committed.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{stem} is committed with outputs: {cell.source[:60]!r}; {SYNC_HINT}")


@pytest.mark.parametrize("stem", EXPECTED)
def test_the_exercise_uses_the_shared_check(stem):
    text, _ = _pair(stem)
    tags = [tag for cell in text.cells for tag in cell.metadata.get("tags", [])]
    assert tags.count("exercise") == 1 and tags.count("check-answer") == 1
    exercise, check = text.cells[-2], text.cells[-1]
    assert "exercise" in exercise.metadata["tags"] and "answer = ..." in exercise.source
    assert set(exercise.metadata["tracegrad"]) == {"solution", "wrong"}
    assert "hide-input" in check.metadata["tags"] and check.metadata["jupyter"]["source_hidden"]
    assert "from exercise import check" in check.source and "check(answer," in check.source
    # The messages and the comparison live in exercise.py, not in copies in each notebook.
    for copied in ("Not answered yet", "Correct!", "Not quite", "assert "):
        assert copied not in check.source, copied


@pytest.mark.parametrize("stem", EXPECTED)
def test_notebook_runs_top_to_bottom_and_its_exercise_check_works(runs, stem):
    run = runs[stem].result()
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
    # It wrote nothing into its working directory (where a student's copy of notebooks/ is).
    assert run.files_after == run.files_before, (
        f"{stem} wrote into its folder: {sorted(set(run.files_after) ^ set(run.files_before))}")


def test_running_the_notebooks_wrote_nothing_into_the_repository(runs, repository_files):
    for future in runs.values():
        future.result()
    assert _files(NOTEBOOK_DIR) == repository_files


# --- the shared exercise check --------------------------------------------------------------


@pytest.fixture(scope="module")
def exercise():
    """notebooks/exercise.py, loaded from its file (the notebooks import it from their folder)."""
    spec = importlib.util.spec_from_file_location("exercise", NOTEBOOK_DIR / "exercise.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_waits_for_an_answer(exercise, capsys):
    exercise.check(..., 1.0, hint="h", success="s", what="tuple")
    assert capsys.readouterr().out == "Not answered yet: replace ... with your tuple, then run this cell again.\n"


def test_check_accepts_a_close_number_and_says_so(exercise, capsys):
    exercise.check(0.1 + 0.2, 0.3, hint="h", success="three tenths.")
    assert capsys.readouterr().out == "Correct! three tenths.\n"


def test_check_refuses_a_wrong_answer_with_the_hint(exercise):
    with pytest.raises(AssertionError, match=r"^Not quite: 0\.31\. Add the two\.$") as caught:
        exercise.check(0.31, 0.3, hint="Add the two.", success="s")
    assert isinstance(caught.value, exercise.WrongAnswer)


def test_check_compares_numbers_to_the_relative_tolerance(exercise):
    exercise.check(1.0 + 1e-7, 1.0, hint="h", success="s")
    with pytest.raises(exercise.WrongAnswer):
        exercise.check(1.0 + 1e-7, 1.0, hint="h", success="s", rel_tol=1e-9)


def test_check_compares_tuples_and_lists_element_by_element(exercise, capsys):
    exercise.check(([3, 7.0], (2.5,)), [[3.0, 7.0], [2.5]], hint="h", success="s")
    assert "Correct!" in capsys.readouterr().out
    for wrong in ([[3.0, 7.0]], [[3.0, 7.0], [2.5], [0.0]], [[3.0, 6.0], [2.5]], "37", 3.0, [[3.0, 7.0], 2.5]):
        with pytest.raises(exercise.WrongAnswer):
            exercise.check(wrong, [[3.0, 7.0], [2.5]], hint="h", success="s")
    assert exercise.matches([[1, 7.0], (2.5,)], [[1.0, 7.0], [2.5]])
    assert not exercise.matches(True, 1)


def test_check_asks_a_predicate_and_treats_an_unusable_answer_as_wrong(exercise, capsys):
    exercise.check((1.0, 2.0), lambda corners: corners[0] < corners[1], hint="h", success="in order.")
    assert capsys.readouterr().out == "Correct! in order.\n"
    with pytest.raises(exercise.WrongAnswer, match="Not quite: 'a'"):
        exercise.check("a", lambda corners: corners[0] < corners[1], hint="h", success="s")
    with pytest.raises(exercise.WrongAnswer, match="cannot be used"):
        exercise.check(3, lambda corners: corners[0] < corners[1], hint="h", success="s")
