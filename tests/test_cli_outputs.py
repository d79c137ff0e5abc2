"""The command line's outputs after a process killed outright, and without Graphviz.

A run killed by SIGKILL cannot clean up: the next run into the same folder finishes a
commit that was killed among its renames (and says so), and removes the temporary files
of runs that no longer run. The kills are real: a child process that sends itself
SIGKILL at a chosen point (its own rename or file write, patched in the child), never
a timing race. ``demo`` without ``dot`` writes what needs none and says what it skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ["train", "xor", "--epochs", "1", "-q", "--out", "run"]
NEW_TRAIN = ["train", "xor", "--epochs", "2", "--seed", "1", "-q", "--out", "run"]
TRAIN_FILES = ["boundary.png", "graph.svg", "loss.png", "model.json", "summary.json"]


def tracegrad(*args: str, cwd: Path, path: str | None = None) -> subprocess.CompletedProcess:
    """``python -m nn.app.cli ARGS`` in ``cwd``, in English; ``path`` replaces the PATH it sees."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", COLUMNS="100", TRACEGRAD_LANG="en")
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "nn.app.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=env, encoding="utf-8")


# The child: run the command, and SIGKILL itself at the chosen call of outputs' os.replace
# (a rename of a staged file into place) or of outputs._write_file (writing half the file first).
KILLED_CHILD = r"""
import os, signal, sys
sys.path.insert(0, {root!r})
from nn.app.cli import main, outputs

where, at = {where!r}, {at!r}
renames, writes = [], []
real_replace, real_write = os.replace, outputs._write_file

def replace(source, destination, *args, **kwargs):
    if str(source).endswith(".tmp") and not os.path.basename(destination).startswith(".tracegrad-commit"):
        renames.append(destination)
        if where == "rename" and len(renames) == at:
            os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(source, destination, *args, **kwargs)

def write_file(temporary, content, target):
    writes.append(target)
    if where == "write" and len(writes) == at:
        data = content.encode("utf-8") if isinstance(content, str) else content
        with open(temporary, "wb") as handle:
            handle.write(data[:len(data) // 2])
        os.kill(os.getpid(), signal.SIGKILL)
    return real_write(temporary, content, target)

os.replace = replace
outputs._write_file = write_file
sys.exit(main({argv!r}))
"""


def killed_run(cwd: Path, argv: list[str], where: str, at: int) -> None:
    """Run ``tracegrad ARGV`` in a child that SIGKILLs itself at its ``at``-th rename or file write."""
    script = KILLED_CHILD.format(root=str(ROOT), where=where, at=at, argv=argv)
    env = dict(os.environ, TRACEGRAD_LANG="en")
    result = subprocess.run([sys.executable, "-c", script], cwd=cwd, capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == -signal.SIGKILL, result.stderr


def contents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def hidden(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def journals(folder: Path) -> list[Path]:
    return sorted(folder.glob(".tracegrad-commit.*.json"))


@pytest.fixture
def first_run(tmp_path) -> dict[str, bytes]:
    """A complete ``train`` run in tmp_path/run: its files."""
    result = tracegrad(*TRAIN, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(tmp_path / "run")) == TRAIN_FILES
    return contents(tmp_path / "run")


def test_a_run_killed_among_its_renames_is_finished_and_reported_by_the_next(tmp_path, first_run):
    run = tmp_path / "run"
    killed_run(tmp_path, NEW_TRAIN, "rename", at=3)  # two files renamed into place, then SIGKILL
    # What the kill left: a mix of new and old files, the staged ones, and the journal naming them.
    [journal] = journals(run)
    staged = dict(json.loads(journal.read_text(encoding="utf-8"))["files"])
    assert sorted(staged) == TRAIN_FILES
    left = {name: (run / temporary).read_bytes() for name, temporary in staged.items() if (run / temporary).exists()}
    assert len(left) == 3
    renamed = {name: (run / name).read_bytes() for name in TRAIN_FILES if name not in left}
    assert any(renamed[name] != first_run[name] for name in renamed)  # the new run's files, in place
    assert any(left[name] != first_run[name] for name in left)  # ... beside old ones: a mix
    expected = {**renamed, **left}  # the killed run's complete outputs

    # The next run into that folder (another command, another file) finishes the renames and says so.
    result = tracegrad("draw", "x*y", "--set", "x=1", "y=2", "-o", "run/other.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "was killed while moving its files into place; its last 3 files were moved now" in result.stderr
    for name in left:
        assert f"run/{name}" in result.stderr
    assert hidden(run) == []  # no journal, no staged file, no backup
    now = contents(run)
    assert now.pop("other.dot").startswith(b"digraph")
    assert now == expected
    summary = json.loads(expected["summary.json"])
    from nn import load_model

    assert load_model(run / "model.json").config() == summary["architecture"]  # one run's files, together


def test_a_finished_commit_is_not_reported_again(tmp_path, first_run):
    killed_run(tmp_path, NEW_TRAIN, "rename", at=2)
    first = tracegrad(*NEW_TRAIN, cwd=tmp_path)
    assert first.returncode == 0 and "its last 4 files were moved now" in first.stderr
    second = tracegrad(*NEW_TRAIN, cwd=tmp_path)
    assert second.returncode == 0 and second.stderr == ""
    assert hidden(tmp_path / "run") == []


def test_a_run_killed_while_staging_changes_nothing_and_its_files_are_removed_by_the_next(tmp_path, first_run):
    run = tmp_path / "run"
    killed_run(tmp_path, NEW_TRAIN, "write", at=3)  # two files staged, the third half-written, then SIGKILL
    assert contents(run).keys() - set(TRAIN_FILES) == set(hidden(run))
    assert {name: (run / name).read_bytes() for name in TRAIN_FILES} == first_run  # nothing replaced
    left = hidden(run)
    assert len(left) == 3 and journals(run) == []
    assert any(stat.S_IMODE((run / name).stat().st_mode) == 0o600 for name in left)  # the half-written one
    result = tracegrad(*NEW_TRAIN, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "killed" not in result.stderr  # nothing had been moved: nothing to finish
    assert sorted(os.listdir(run)) == TRAIN_FILES  # the killed run's files are gone


def test_temporary_files_of_a_running_process_and_other_files_are_left_alone(tmp_path):
    from autograd.viz.files import temporary_path

    run = tmp_path / "run"
    run.mkdir()
    running = temporary_path(run.resolve() / "model.json")  # named for this process, which runs
    running.write_text("a save in progress")
    mine = run / ".notes.tmp"
    mine.write_text("the user's own")
    result = tracegrad(*TRAIN, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert running.read_text() == "a save in progress" and mine.read_text() == "the user's own"


def finished_process_id() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=60)
    return process.pid


def test_a_journal_cannot_move_what_is_not_its_own_temporary_file(tmp_path):
    from autograd.viz.files import temporary_prefix
    from nn.app.cli import outputs

    run = tmp_path / "run"
    run.mkdir()
    pid = finished_process_id()
    (run / "victim.txt").write_text("kept")
    (run / "notes.txt").write_text("not a temporary file")
    of_another = run / f"{temporary_prefix(run.resolve() / 'other.txt')}{pid}-00.tmp"
    of_another.write_text("another target's")
    journal = run / f".tracegrad-commit.{pid}-0a.json"
    journal.write_text(json.dumps({"pid": pid, "files": [
        ["victim.txt", "notes.txt"], ["victim.txt", of_another.name], ["../escape.txt", of_another.name],
        ["victim.txt", "../" + of_another.name]]}))
    assert outputs.recover([run / "victim.txt"]) == []
    assert (run / "victim.txt").read_text() == "kept" and (run / "notes.txt").read_text() == "not a temporary file"
    assert not (tmp_path / "escape.txt").exists()
    assert sorted(os.listdir(run)) == ["notes.txt", "victim.txt"]  # the journal and the stale file removed


def test_a_half_written_journal_is_a_commit_that_never_began(tmp_path):
    from autograd.viz.files import temporary_prefix
    from nn.app.cli import outputs

    run = tmp_path / "run"
    run.mkdir()
    pid = finished_process_id()
    (run / "model.json").write_text("old")
    staged = run / f"{temporary_prefix(run.resolve() / 'model.json')}{pid}-00.tmp"
    staged.write_text("new")
    (run / f".tracegrad-commit.{pid}-0a.json").write_text('{"pid": %d, "files": [["model.json", "' % pid)
    assert outputs.recover([run / "model.json"]) == []
    assert os.listdir(run) == ["model.json"] and (run / "model.json").read_text() == "old"


def test_a_loop_of_symbolic_links_is_refused_by_name(tmp_path):
    (tmp_path / "a.dot").symlink_to("b.dot")
    (tmp_path / "b.dot").symlink_to("a.dot")
    result = tracegrad("draw", "x", "--set", "x=1", "-o", "a.dot", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot write a.dot: its symbolic links form a loop (nothing was done)" in result.stderr
    assert os.readlink(tmp_path / "a.dot") == "b.dot" and os.readlink(tmp_path / "b.dot") == "a.dot"


# --- without Graphviz's dot ---------------------------------------------------------------


@pytest.fixture
def no_dot(tmp_path_factory) -> str:
    """A PATH on which Graphviz's ``dot`` cannot be found (the interpreter is run by its absolute path)."""
    empty = tmp_path_factory.mktemp("bin-without-dot")
    assert shutil.which("dot", path=str(empty)) is None
    return str(empty)


INSTALL = ["apt-get install graphviz", "brew install graphviz", "conda install graphviz"]


def test_demo_without_dot_writes_the_walkthrough_and_plots_and_says_what_it_skipped(tmp_path, no_dot):
    result = tracegrad("demo", "-q", "--out", "walk", cwd=tmp_path, path=no_dot)
    assert result.returncode == 0, result.stderr
    written = ["all_nine_loss.png", "bias_and_weight.png", "mse_vs_bias.png", "walkthrough.txt"]
    assert sorted(os.listdir(tmp_path / "walk")) == written
    assert result.stdout.startswith("wrote 4 files into walk/")
    assert "icecream" not in result.stdout  # neither written nor offered to open
    message = result.stderr.strip()
    assert "\n" not in message and message.startswith("tracegrad demo: Graphviz's `dot` program is not installed")
    assert message.endswith("skipped walk/icecream_graph.svg, walk/icecream_stepper.html, which need it")
    assert all(hint in message for hint in INSTALL)
    assert "MSE = mean((r̂ - r)^2) = 0.08650" in (tmp_path / "walk" / "walkthrough.txt").read_text(
        encoding="utf-8")
    for name in written[:3]:
        assert (tmp_path / "walk" / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("args", [
    ["draw", "x*w", "--set", "x=1", "w=2", "-o", "graph.svg"],
    ["trace", "x*w", "--set", "x=1", "w=2", "-o", "steps.html"],
    ["train", "xor", "--epochs", "1"],
], ids=["draw", "trace", "train"])
def test_without_dot_the_hint_names_apt_brew_and_conda(tmp_path, no_dot, args):
    result = tracegrad(*args, cwd=tmp_path, path=no_dot)
    assert result.returncode == 1
    assert all(hint in result.stderr for hint in INSTALL), result.stderr
    assert os.listdir(tmp_path) == []
