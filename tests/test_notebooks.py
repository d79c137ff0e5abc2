"""The teaching notebooks: text and notebook in sync, committed clean, and each runs top to bottom.

There are two editions: the English notebooks in ``notebooks/`` and the Chinese ones in
``notebooks/zh/`` (same names, same structure, same code; their kernel runs in
``notebooks/zh``, where ``exercise.py`` gives the check's messages in Chinese, ``controls.py``
re-exports the sliders, both through ``english.py``, which loads the English helpers, and
``zh_plots.py`` makes matplotlib draw with a CJK font). A notebook is
named by its path without the suffix: ``05_icecream`` or ``zh/05_icecream``.

Each notebook is a MyST Markdown file (``notebooks/NN_name.md``, the text a teacher
edits) paired by jupytext with an output-free ``.ipynb`` (what a student opens); a
teacher may edit either and run ``jupytext --sync notebooks/*.md``. The tests check
that every pair is in sync, then execute every notebook with nbclient in a fresh
kernel, in a temporary copy of ``notebooks/``, so that nothing is written into the
repository (and check that nothing was). After the last cell, in the same kernel,
the closing exercise is answered with the reference answer kept in the exercise
cell's metadata (the shared check in ``notebooks/exercise.py`` must say
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
import math
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
    for helper in ("exercise.py", "controls.py", "english.py", "zh_plots.py"):
        assert (ZH_DIR / helper).is_file(), helper


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
    assert ("from nn.app.notebook import check" in check.source or "from exercise import check" in check.source) \
        and "check(answer," in check.source
    # The messages and the comparison live in exercise.py, not in copies in each notebook.
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
    assert 'setup("zh")' in code or "import zh_plots" in code, f"{stem}: messages or plots not in Chinese"
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

#: The notebooks with sliders, and the function each hands to ``controls.live``.
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


def _load(name: str, path: Path):
    """The module in ``path``, loaded from its file as ``name`` with its folder on ``sys.path``.

    So it finds its sibling helpers as in the notebooks' kernel, which runs in that folder.
    """
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(path.parent))
    return module


@pytest.fixture(scope="module")
def controls():
    """notebooks/controls.py: the live controls."""
    return _load("controls", NOTEBOOK_DIR / "controls.py")


@pytest.mark.widgets
def test_moving_a_control_calls_the_function_again_with_the_new_value(controls, monkeypatch):
    import IPython.display
    import ipywidgets

    shown, updated = [], []

    class Handle:
        def update(self, what):
            updated.append(what)

    def display(what, display_id=False):
        shown.append(what)
        return Handle() if display_id else None

    monkeypatch.setattr(IPython.display, "display", display)
    calls = []
    slider = ipywidgets.FloatSlider(value=0.1, min=0.0, max=1.0, step=0.05, description="learning rate")
    choice = ipywidgets.Dropdown(options=["L1", "L2"], value="L2")
    controls.live(lambda lr, penalty: calls.append((lr, penalty)) or f"figure {len(calls)}", lr=slider, penalty=choice)
    assert calls == [(0.1, "L2")] and shown[-1] == "figure 1" and updated == []
    assert slider.continuous_update is False  # redraw when let go, not at every pixel
    slider.value = 0.5
    choice.value = "L1"
    assert calls == [(0.1, "L2"), (0.5, "L2"), (0.5, "L1")]
    assert updated == ["figure 2", "figure 3"]


@pytest.mark.widgets
def test_live_refuses_something_that_is_not_a_control(controls):
    with pytest.raises(TypeError, match="control 'lr': expected an ipywidgets control, got float"):
        controls.live(lambda lr: None, lr=0.1)


# --- the shared exercise check --------------------------------------------------------------


@pytest.fixture(scope="module")
def exercise():
    """notebooks/exercise.py: the shared check."""
    return _load("exercise", NOTEBOOK_DIR / "exercise.py")


def test_check_waits_for_an_answer(exercise, capsys):
    exercise.check(..., 1.0, hint="h", success="s", what="tuple")
    assert capsys.readouterr().out == "Not answered yet: replace ... with your tuple, then run this cell again.\n"


def test_check_accepts_a_close_number_and_says_so(exercise, capsys):
    exercise.check(0.1 + 0.2, 0.3, hint="h", success="three tenths.")
    assert capsys.readouterr().out == "Correct! three tenths.\n"


def test_a_wrong_answer_is_a_message_with_what_was_asked_and_the_hint_not_an_error(exercise, capsys):
    exercise.check(0.31, 0.3, asked="the sum of the two numbers.", hint="Add the two.", success="s")
    assert capsys.readouterr().out == (
        "Not quite: you answered 0.31. Asked for: the sum of the two numbers. Hint: Add the two.\n")
    assert not hasattr(exercise, "WrongAnswer")


def test_in_a_notebook_the_message_is_a_coloured_box_with_its_plain_text(exercise, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(exercise, "_show", lambda kind, text: shown.append(exercise._Box(kind, text)))
    exercise.check(0.5, 0.3, asked="a <b> & c", hint="h", success="s")
    exercise.check(0.3, 0.3, hint="h", success="done")
    wrong, right = shown
    assert "#c62828" in wrong._repr_html_() and "a &lt;b&gt; &amp; c" in wrong._repr_html_()
    assert repr(wrong).startswith("Not quite: you answered 0.5.") and "#2e7d32" in right._repr_html_()
    assert IPython.display is not None


def test_hand_arithmetic_to_four_figures_is_right_and_a_count_must_be_exact(exercise, capsys):
    # notebook 10: 0.04 x 0.7864 for 0.04 x (1 - tanh(0.5)**2); notebook 02: 9.54e-7 for 0.25**10.
    for hand, exact in ((0.04 * 0.7864, 0.04 * (1 - math.tanh(0.5) ** 2)), (9.54e-7, 0.25 ** 10)):
        exercise.check(hand, exact, hint="h", success="s")
        assert capsys.readouterr().out.startswith("Correct!")
    for wrong, exact in ((0.0320, 0.04 * (1 - math.tanh(0.5) ** 2)), (9.6e-7, 0.25 ** 10), (390, 391)):
        exercise.check(wrong, exact, hint="h", success="s")
        assert capsys.readouterr().out.startswith("Not quite")
    exercise.check(1.0 + 1e-7, 1.0, hint="h", success="s", rel_tol=1e-9)
    assert capsys.readouterr().out.startswith("Not quite")


def test_check_compares_tuples_and_lists_element_by_element(exercise, capsys):
    exercise.check(([3, 7.0], (2.5,)), [[3.0, 7.0], [2.5]], hint="h", success="s")
    assert "Correct!" in capsys.readouterr().out
    for wrong in ([[3.0, 7.0]], [[3.0, 7.0], [2.5], [0.0]], [[3.0, 6.0], [2.5]], "37", 3.0, [[3.0, 7.0], 2.5]):
        exercise.check(wrong, [[3.0, 7.0], [2.5]], hint="h", success="s")
        assert capsys.readouterr().out.startswith("Not quite"), wrong
    assert exercise.matches([[1, 7.0], (2.5,)], [[1.0, 7.0], [2.5]])
    assert not exercise.matches(True, 1)


def test_check_asks_a_predicate_and_treats_an_unusable_answer_as_wrong(exercise, capsys):
    exercise.check((1.0, 2.0), lambda corners: corners[0] < corners[1], hint="h", success="in order.")
    assert capsys.readouterr().out == "Correct! in order.\n"
    exercise.check((2.0, 1.0), lambda corners: corners[0] < corners[1], hint="h", success="s")
    assert capsys.readouterr().out.startswith("Not quite: you answered (2, 1).")
    exercise.check("a", lambda corners: corners[0] < corners[1], hint="h", success="s")
    assert capsys.readouterr().out.startswith("Not quite: 'a' cannot be used as a number.")
    exercise.check(3, lambda corners: corners[0] < corners[1], what="tuple", hint="h", success="s")
    assert capsys.readouterr().out.startswith("Not quite: 3 cannot be used as a tuple.")


def test_check_refuses_an_unknown_language(exercise):
    with pytest.raises(ValueError, match="lang: expected one of \\['en', 'zh'\\], got 'fr'"):
        exercise.check(1.0, 1.0, hint="h", success="s", lang="fr")


# --- the Chinese edition's helpers ------------------------------------------------------------


@pytest.fixture(scope="module")
def exercise_zh():
    """notebooks/zh/exercise.py: the same check, its messages in Chinese."""
    return _load("exercise_zh", ZH_DIR / "exercise.py")


def test_the_chinese_check_speaks_chinese_and_compares_like_the_english_one(exercise_zh, exercise, capsys):
    exercise_zh.check(..., 1.0, hint="h", success="s", what="元组")
    assert capsys.readouterr().out == "还没有作答：把 ... 换成你的元组，然后再运行这个单元格。\n"
    exercise_zh.check(([3, 7.0], (2.5,)), [[3.0, 7.0], [2.5]], hint="h", success="三十七。")
    assert capsys.readouterr().out == "正确！三十七。\n"
    exercise_zh.check(0.31, 0.3, asked="两个数之和", hint="两个相加。", success="s")
    assert capsys.readouterr().out == "还差一点：你的答案是 0.31。要求的是：两个数之和。提示：两个相加。\n"
    exercise_zh.check(3, lambda corners: corners[0] < corners[1], what="元组", hint="h", success="s")
    assert capsys.readouterr().out.startswith("还差一点：3 不能当作元组来用。")
    exercise_zh.check(1.0 + 1e-7, 1.0, hint="h", success="s", rel_tol=1e-9)
    assert capsys.readouterr().out.startswith("还差一点")
    assert exercise_zh.matches is exercise_zh._en.matches


def test_zh_plots_draws_chinese_with_a_cjk_font(tmp_path):
    """After ``import zh_plots`` a Chinese title draws without a missing-glyph warning."""
    import warnings

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    saved = matplotlib.rcParams.copy()
    try:
        zh_plots = _load("zh_plots", ZH_DIR / "zh_plots.py")
        assert zh_plots.FONT is not None and "CJK" in zh_plots.FONT
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a "Glyph ... missing" warning fails
            fig, ax = plt.subplots()
            ax.set_title("损失函数与学习率 −0.5")
            ax.set_xlabel("输出偏置 b")
            ax.plot([0, 1], [1, 0], label="梯度下降")
            ax.legend()
            fig.savefig(tmp_path / "zh.png")
            plt.close(fig)
    finally:
        matplotlib.rcParams.update(saved)
