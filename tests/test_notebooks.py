"""The teaching notebooks: text and notebook in sync, committed clean, and each runs top to bottom.

There are two editions: the English notebooks in ``notebooks/`` and the Chinese ones in
``notebooks/zh/`` (same names, same structure, same code). Both import their helpers from
the package, ``nn.app.notebook`` (the check, the sliders; ``setup("zh")`` makes the Chinese
edition's messages Chinese and its plots draw with a CJK font), so no helper file sits beside
them. A notebook is named by its path without the suffix: ``05_icecream`` or ``zh/05_icecream``.

Each notebook is a MyST Markdown file (``notebooks/NN_name.md``, the text a teacher
edits) paired by jupytext with an output-free ``.ipynb`` (what a student opens); a
teacher may edit either and run ``jupytext --sync notebooks/*.md``. The tests check
that every pair is in sync, then execute every notebook with nbclient in a fresh
kernel, in a temporary copy of ``notebooks/``, so that nothing is written into the
repository (and check that nothing was). After the last cell, in the same kernel,
the closing exercise is answered with the reference answer kept in the exercise
cell's metadata (the shared check, ``nn.app.notebook.check``, must say
"Correct!") and with a wrong one (it must say "Not quite", what was asked and a hint, as a
message: no error, no traceback, no checking code), so the hidden check is checked too. A matplotlib warning that a glyph is missing from the
font (a Chinese label drawn as a box) fails the notebook.

The notebooks run in parallel worker threads (each kernel is its own process),
started once for the module (only those whose tests were selected: ``-k zh`` runs the
Chinese ones), so the suite takes about as long as the slowest notebook per core. nbclient, nbformat and jupytext are imported inside the tests:
``pytest -m "not notebooks"`` collects this file without them.
"""

from __future__ import annotations

import copy
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
    "00_build_it_yourself",
    "01_neuron",
    "02_activations",
    "03_layers",
    "04_losses",
    "05_icecream",
    "06_gradient_descent_sgd_minibatch",
    "07_overfitting_regularisation",
    "08_universal_approximation",
    "09_moons",
    "10_deltas",
]
#: The Chinese edition: the same notebooks, in this folder under notebooks/.
ZH = "zh"
ZH_DIR = NOTEBOOK_DIR / ZH
#: Every notebook found, English first: "05_icecream", then "zh/05_icecream".
NOTEBOOKS = EXPECTED + sorted(f"{ZH}/{path.stem}" for path in ZH_DIR.glob("[0-9][0-9]_*.md"))
#: What the shared check prints or raises, in each edition's language.
MESSAGES = {
    "en": {"unanswered": "Not answered yet", "correct": "Correct!", "wrong": "Not quite",
           "asked": "Asked for: ", "hint": "Hint: "},
    "zh": {"unanswered": "还没有作答", "correct": "正确！", "wrong": "还差一点",
           "asked": "要求的是：", "hint": "提示："},
}
PAIRING = "ipynb,md:myst"
SLOWEST = {"09_moons", "07_overfitting_regularisation", "08_universal_approximation"}
CELL_TIMEOUT = 120  # seconds; every notebook as a whole runs in well under a minute
SYNC_HINT = ("edit one side, then run `jupytext --sync notebooks/*.md notebooks/zh/*.md` "
             "(clear outputs first)")

# Runs first in every kernel: says which Python it is, and shows every missing-glyph warning
# (not only the first of each place), so that the test can find them in the outputs.
PROBE = ("import sys, warnings; warnings.filterwarnings('always', message=r'Glyph .* missing'); "
         "print(sys.prefix)")
MISSING_GLYPH = "missing from font"


def _language(name: str) -> str:
    return "zh" if name.startswith(f"{ZH}/") else "en"


def _english(name: str) -> str:
    """The English notebook a notebook is an edition of (itself, for an English one)."""
    return name.split("/")[-1]


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
        self.wrong = ""
        self.wrong_outputs: list = []
        self.executed = None
        self.files_before: dict[str, tuple[int, int]] = {}
        self.files_after: dict[str, tuple[int, int]] = {}


def _execute(stem: str, workdir: Path) -> Run:
    """Run the copy of notebook ``stem`` found in ``workdir`` (a copy of notebooks/).

    The kernel's working directory is the notebook's folder: ``workdir`` or ``workdir/zh``.
    """
    import nbclient
    import nbformat

    run = Run()
    path = workdir / f"{stem}.ipynb"
    nb = nbformat.read(path, as_version=4)
    run.executed = nb
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    run.files_before = _files(workdir)
    try:
        with client.setup_kernel(cwd=str(path.parent)):
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
            wrong = copy.deepcopy(check_cell)
            client.execute_cell(wrong, exercise_index + 1)  # a wrong answer is a message, not an error
            run.wrong, run.wrong_outputs = _outputs_text(wrong), wrong.outputs
        run.files_after = _files(workdir)
    except BaseException as error:  # reported by the test of this notebook
        run.error = error
    return run


_runs: dict[str, Future] = {}


@pytest.fixture(scope="module")
def repository_files():
    """The files of ``notebooks/`` before any notebook ran."""
    return _files(NOTEBOOK_DIR)


def _selected(session) -> list[str]:
    """The notebooks whose run some selected test asks for (all of them, if that is unclear)."""
    wanted = {item.callspec.params["stem"] for item in session.items
              if "runs" in getattr(item, "fixturenames", ()) and hasattr(item, "callspec")
              and "stem" in item.callspec.params}
    if any("runs" in getattr(item, "fixturenames", ()) and not hasattr(item, "callspec")
           for item in session.items):
        wanted = set(NOTEBOOKS)  # a test over every run
    return [name for name in NOTEBOOKS if name in wanted] or NOTEBOOKS


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory, repository_files):
    """Start the selected notebooks at once, each in its own copy of notebooks/, one worker per core."""
    # Look up the "python3" kernel in this environment first, so that a kernelspec in the
    # user's home cannot send the notebooks to another Python (the test checks it did not).
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(
        [str(Path(sys.prefix) / "share" / "jupyter")] + ([previous] if previous else []))
    selected = _selected(request.session)
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(selected), os.cpu_count() or 1)))
    # The slowest notebooks first, so they do not finish last on their own.
    for stem in sorted(selected, key=lambda stem: _english(stem) not in SLOWEST):
        workdir = tmp_path_factory.mktemp(stem.replace("/", "_")) / "notebooks"
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


def test_every_notebook_has_a_chinese_edition():
    assert sorted(path.stem for path in ZH_DIR.glob("[0-9][0-9]_*.md")) == EXPECTED
    assert sorted(path.stem for path in ZH_DIR.glob("[0-9][0-9]_*.ipynb")) == EXPECTED
    # The helpers live in the package (nn.app.notebook): no module beside the notebooks.
    assert sorted(path.name for path in [*NOTEBOOK_DIR.glob("*.py"), *ZH_DIR.glob("*.py")]) == []


@pytest.mark.parametrize("stem", NOTEBOOKS)
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


@pytest.mark.parametrize("stem", NOTEBOOKS)
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


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_the_exercise_uses_the_shared_check(stem):
    text, _ = _pair(stem)
    tags = [tag for cell in text.cells for tag in cell.metadata.get("tags", [])]
    assert tags.count("exercise") == 1 and tags.count("check-answer") == 1
    exercise, check = text.cells[-2], text.cells[-1]
    assert "exercise" in exercise.metadata["tags"] and "answer = ..." in exercise.source
    assert set(exercise.metadata["tracegrad"]) == {"solution", "wrong"}
    assert "hide-input" in check.metadata["tags"] and check.metadata["jupyter"]["source_hidden"]
    assert "from nn.app.notebook import check" in check.source and "check(answer," in check.source
    # The messages and the comparison live in nn.app.notebook, not in copies in each notebook.
    for copied in [*MESSAGES["en"].values(), *MESSAGES["zh"].values(), "assert "]:
        assert copied not in check.source, copied


@pytest.mark.parametrize("stem", [name for name in NOTEBOOKS if _language(name) == "zh"])
def test_a_chinese_edition_has_the_structure_of_the_english_notebook(stem):
    """Same cells in the same order, same tags and exercise answers; plots drawn with a CJK font."""
    import jupytext

    chinese, english = jupytext.read(NOTEBOOK_DIR / f"{stem}.md"), jupytext.read(NOTEBOOK_DIR / f"{_english(stem)}.md")
    assert [(c.cell_type, c.metadata) for c in chinese.cells] == [
        (c.cell_type, c.metadata) for c in english.cells], f"{stem}: cells or their tags differ from the English"
    code = "\n".join(c.source for c in chinese.cells if c.cell_type == "code")
    assert 'setup("zh")' in code, f"{stem}: messages or plots not in Chinese"
    prose = "".join(c.source for c in chinese.cells if c.cell_type == "markdown")
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in prose) > len(prose) / 4, f"{stem}: the prose is not Chinese"


@pytest.mark.parametrize("stem", NOTEBOOKS)
def test_notebook_runs_top_to_bottom_and_its_exercise_check_works(runs, stem):
    run = runs[stem].result()
    if run.error is not None:
        raise run.error
    assert Path(run.kernel_prefix).resolve() == Path(sys.prefix).resolve(), (
        f"the kernel ran {run.kernel_prefix}, not this environment's Python ({sys.prefix})")
    messages = MESSAGES[_language(stem)]
    assert messages["unanswered"] in run.unanswered
    assert messages["correct"] in run.correct
    assert messages["wrong"] in run.wrong and messages["asked"] in run.wrong and messages["hint"] in run.wrong
    # Shown as a styled box with its plain text, never as an error with the hidden code in a traceback.
    assert all(output.output_type == "display_data" for output in run.wrong_outputs), run.wrong_outputs
    assert any("text/html" in output.get("data", {}) for output in run.wrong_outputs)
    assert "check(" not in run.wrong and "Traceback" not in run.wrong
    # Every character of every plot had a glyph (no Chinese label drawn as boxes).
    missing = [output.get("text", "") for cell in run.executed.cells if cell.cell_type == "code"
               for output in cell.get("outputs", []) if MISSING_GLYPH in output.get("text", "")]
    assert not missing, f"{stem}: a plot misses glyphs: {missing[0][:300]}"
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


# --- the live controls -----------------------------------------------------------------------

#: The notebooks with sliders, and the function each hands to ``live``.
LIVE = {
    "05_icecream": ("guess", "descent"),
    "06_gradient_descent_sgd_minibatch": ("train_and_watch",),
    "07_overfitting_regularisation": ("cure",),
}


@pytest.mark.parametrize("stem", [name for name in NOTEBOOKS if _english(name) in LIVE])
def test_live_controls_draw_their_figure_when_run_headless(runs, stem):
    """Each slider cell shows its controls and, as an ordinary output, the figure for their defaults."""
    run = runs[stem].result()
    if run.error is not None:
        raise run.error
    functions = LIVE[_english(stem)]
    cells = {name: cell for cell in run.executed.cells if cell.cell_type == "code"
             for name in functions if f"live({name}," in cell.source}
    assert sorted(cells) == sorted(functions)
    for name, cell in cells.items():
        kinds = [set(output.get("data", {})) for output in cell.outputs]
        assert any("application/vnd.jupyter.widget-view+json" in kind for kind in kinds), f"{name}: no controls"
        pictures = [output for output in cell.outputs if "image/png" in output.get("data", {})]
        assert len(pictures) == 1, f"{name}: expected its one figure, got {len(pictures)}"
        assert not [output for output in cell.outputs if output.output_type == "execute_result"], (
            f"{name}: the cell shows a stray value after its figure")

