"""The ``tracegrad`` command line, end to end: each command runs in a fresh process
in a temporary directory, and what it writes is opened and checked."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from autograd import Value
from support import page_document

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def tracegrad(*args: str, cwd: Path, timeout: float = 120, path: str | None = None,
              encoding: str = "utf-8") -> subprocess.CompletedProcess:
    """Run ``python -m nn.app.cli ARGS`` with this interpreter (the .venv's) in ``cwd``.

    ``path`` replaces the PATH the command sees (the interpreter is run by its
    absolute path, so it needs none); ``encoding`` is its stdout's and
    stderr's (PYTHONIOENCODING).
    """
    # English, whatever the machine's locale (tests/test_i18n_cli.py runs the Chinese).
    env = dict(os.environ, PYTHONIOENCODING=encoding, COLUMNS="100", TRACEGRAD_LANG="en")
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "nn.app.cli", *args],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, encoding=encoding,
        errors="strict",
    )


def files_in(directory: Path) -> list[str]:
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


def check_svg(path: Path) -> ElementTree.Element:
    root = ElementTree.parse(path).getroot()
    assert root.tag.endswith("svg")
    return root


def svg_text(path: Path) -> str:
    return " ".join(text for text in check_svg(path).itertext())


def check_png(path: Path, min_side: int = 50) -> tuple[int, int]:
    """The PNG's (width, height) from its header, after checking matplotlib can read it."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= min_side and height >= min_side
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    assert pixels.std() > 0  # not a blank image
    return width, height


# --- help and usage -----------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["draw"], ["trace"], ["train"], ["demo"]])
def test_every_command_has_help(tmp_path, command):
    result = tracegrad(*command, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: tracegrad {' '.join(command)}".rstrip())
    assert result.stderr == ""
    assert files_in(tmp_path) == []


def test_the_console_script_is_installed_and_runs(tmp_path):
    script = shutil.which("tracegrad", path=str(Path(sys.executable).parent))
    assert script is not None, "the tracegrad console script is not installed next to python"
    result = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0
    assert result.stdout.startswith("tracegrad ")


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice"),
        (["draw"], "required: expression"),
        (["draw", "x", "--set", "x=2", "--bogus"], "unrecognized arguments"),
        (["draw", "x", "--set", "x"], "expected NAME=NUMBER"),
        (["draw", "x", "--set", "x=two"], "is not a number"),
        (["draw", "x", "--set", "x=1", "y=2"], "does not use"),
        (["draw", "x*y", "--set", "x=1"], "no value for 'y'"),
        (["draw", "x", "--set", "x=1", "-o", "graph.pdf"], ".svg or .png or .dot"),
        (["trace", "x", "--set", "x=1", "-o", "steps.txt"], ".html"),
        (["trace", "x*y", "--set", "x=1", "y=2", "--wrt", "z"], "--wrt z"),
        (["trace", "x", "--set", "x=1", "--lr", "0"], "argument --lr: the learning rate must be a finite"),
        (["trace", "x", "--set", "x=1", "--lr", "inf"], "argument --lr"),
        (["train", "mnist"], "invalid choice"),
        (["train", "xor", "--hidden", "8,x"], "--hidden"),
        (["train", "xor", "--hidden", "0"], "--hidden"),
        (["train", "xor", "--lr", "-1"], "--lr"),
        (["train", "xor", "--epochs", "0"], "--epochs"),
        (["train", "xor", "--batch-size", "-3"], "--batch-size"),
        (["train", "icecream", "--loss", "hinge"], "regression"),
        (["train", "xor", "--optimizer", "rmsprop"], "invalid choice"),
        (["train", "xor", "--momentum", "0.9"], "sgd only"),
        (["train", "xor", "--optimizer", "sgd", "--momentum", "1.5"], "--momentum"),
        (["train", "xor", "--lr", "nan"], "argument --lr: the learning rate must be a finite number in (0, 10]"),
        (["train", "xor", "--l2", "inf"], "argument --l2"),
        (["train", "xor", "--samples", "2"], "argument --samples: give 4 to 10000, got 2"),
        (["train", "xor", "--seed", "-1"], "argument --seed: give 0 to 4294967295, got -1"),
        (["train", "xor", "--hidden", "256,256,256,256,256,256"], "329,985 parameters; at most 5,000 "
                                                                  "(every parameter is a node"),
        (["train", "spiral", "--hidden", "68,68", "--loss", "cross_entropy"], "5,034 parameters"),  # 2 outputs
        (["draw", "𝐱 + x", "--set", "x=1"], "the name '𝐱' is read by Python as 'x' (Unicode NFKC)"),
        (["draw", "x", "--set", "𝐱=1"], "--set: the name '𝐱' is read by Python as 'x'"),
        (["train", "icecream", "--samples", "20"], "exactly 10 rows"),
        (["train", "xor", "--compile"], "--compile runs the losses mse, hinge"),
        (["train", "xor", "--activation", "softplus"], "invalid choice"),
        (["train", "xor", "--loss", "nll"], "invalid choice"),
    ],
)
def test_bad_usage_exits_2_on_stderr_and_writes_nothing(tmp_path, args, message):
    result = tracegrad(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert files_in(tmp_path) == []


@pytest.mark.parametrize(
    "args",
    [
        ["demo", "--bogus"],
        ["draw", "x", "--set", "x=2", "--bogus"],
        ["trace", "x", "--set", "x=2", "--bogus", "1"],
        ["train", "xor", "--bogus"],
    ],
)
def test_an_unknown_option_shows_the_commands_usage(tmp_path, args):
    result = tracegrad(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"usage: tracegrad {args[0]} ")  # not "tracegrad [-h] ... COMMAND"
    assert f"tracegrad {args[0]}: error: unrecognized arguments: --bogus" in result.stderr
    assert result.stdout == ""
    assert files_in(tmp_path) == []


# --- the parser, in process ------------------------------------------------------------


def test_the_choices_come_from_the_library_tables():
    from nn import ACTIVATIONS, LOSSES
    from nn.app.cli import build_parser
    from nn.app.cli.train import CLASSIFICATION_THRESHOLDS, OPTIMIZERS

    train = build_parser().commands["train"]
    choices = {action.dest: action.choices for action in train._actions if action.choices}
    assert list(choices["activation"]) == list(ACTIVATIONS)
    assert list(choices["loss"]) == list(LOSSES)
    assert list(choices["optimizer"]) == list(OPTIMIZERS)
    # every loss a classification data set may be trained with has a class boundary
    assert set(CLASSIFICATION_THRESHOLDS) == set(LOSSES)


def test_settings_come_from_the_dataset_unless_given():
    from nn.app.cli import build_parser
    from nn.app.cli.train import DATASETS, resolve_train_settings

    parser = build_parser()
    settings = resolve_train_settings(parser.parse_args(["train", "moons"]))
    spec = DATASETS["moons"]
    assert (settings.hidden, settings.loss, settings.lr, settings.epochs) == (
        list(spec.hidden), spec.loss, spec.lr, spec.epochs)
    assert settings.out == Path("tracegrad-moons") and not settings.article_start
    settings = resolve_train_settings(parser.parse_args(
        ["train", "moons", "--hidden", "none", "--loss", "bce", "--batch-size", "0", "--lr", "10"]))
    assert settings.hidden == [] and settings.output_activation == "sigmoid"
    assert settings.batch_size is None and settings.lr == 10.0
    assert resolve_train_settings(parser.parse_args(["train", "icecream"])).article_start


def _page_is_html(path: Path) -> None:
    assert path.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")


def _model_matches_summary(run: Path) -> None:
    from nn import load_model

    summary = json.loads((run / "summary.json").read_text(encoding="utf-8"))
    assert load_model(run / "model.json").config() == summary["architecture"]


@pytest.mark.parametrize(
    "command, check",
    [
        (["trace", "x*y + y", "--set", "x=2", "y=3", "-o", "steps.html"],
         lambda where: _page_is_html(where / "steps.html")),
        (["demo", "-q", "--out", "walk"], lambda where: _page_is_html(where / "walk/icecream_stepper.html")),
        (["train", "xor", "--epochs", "2", "-q", "--out", "run"], lambda where: _model_matches_summary(where / "run")),
    ],
    ids=["trace", "demo", "train"],
)
def test_outputs_are_made_in_memory_without_a_temporary_folder(tmp_path, monkeypatch, capsys, command, check):
    from nn.app.cli import main

    def refused(*args, **kwargs):
        raise AssertionError("no temporary folder: the outputs are rendered in memory")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", refused)
    monkeypatch.setattr(tempfile, "mkdtemp", refused)
    monkeypatch.chdir(tmp_path)
    assert main(command) == 0, capsys.readouterr().err
    check(tmp_path)


# --- without Graphviz -------------------------------------------------------------------


@pytest.fixture
def no_dot(tmp_path_factory) -> str:
    """A PATH on which Graphviz's ``dot`` cannot be found."""
    empty = tmp_path_factory.mktemp("bin-without-dot")
    assert sys.executable == os.path.abspath(sys.executable)
    assert shutil.which("dot", path=str(empty)) is None
    return str(empty)


@pytest.mark.parametrize(
    "args, hint",
    [
        (["draw", "x*w", "--set", "x=1", "w=2", "-o", "graph.svg"], "-o FILE.dot needs no Graphviz"),
        (["trace", "x*w", "--set", "x=1", "w=2", "-o", "steps.html"], "without -o, trace prints the steps"),
        (["train", "xor", "--epochs", "1"], "train needs it to draw the network (graph.svg)"),
        # demo writes what needs no dot: tests/test_cli_outputs.py
    ],
)
def test_without_graphviz_each_command_says_how_to_install_it(tmp_path, no_dot, args, hint):
    result = tracegrad(*args, cwd=tmp_path, path=no_dot)
    assert result.returncode == 1
    message = result.stderr.strip()
    assert message.startswith(f"tracegrad {args[0]}: error: Graphviz's `dot` program is not installed")
    assert "apt-get install graphviz" in message and hint in message
    assert "ExecutableNotFound" not in message and "\n" not in message  # one clean line
    assert "graph.dot" not in message or args[0] == "draw"  # only draw has -o FILE.dot
    assert result.stdout == ""  # failed before any work: nothing computed, trained or printed
    assert "training" not in result.stderr  # train never started its progress bar
    assert files_in(tmp_path) == []


def test_without_graphviz_what_needs_no_graphviz_still_works(tmp_path, no_dot):
    result = tracegrad("draw", "x*w", "--set", "x=1", "w=2", "-o", "graph.dot", cwd=tmp_path, path=no_dot)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "graph.dot").read_text(encoding="utf-8").lstrip().startswith("digraph")
    result = tracegrad("trace", "x*w", "--set", "x=1", "w=2", cwd=tmp_path, path=no_dot)
    assert result.returncode == 0, result.stderr
    assert "Forward 1 of 1: out = x * w = 1 * 2 = 2" in result.stdout
    assert "Step 1 of 1: out = x * w = 1 * 2 = 2" in result.stdout


# --- draw -----------------------------------------------------------------------------


def test_draw_writes_an_svg_and_prints_value_and_gradients(tmp_path):
    result = tracegrad("draw", "tanh(x*w + b)", "--set", "x=2", "w=-3", "b=6.88", "-o", "neuron.svg",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    x, w, b = Value(2.0), Value(-3.0), Value(6.88)
    y = (x * w + b).tanh()
    y.backward()
    lines = result.stdout.splitlines()
    assert lines[0] == f"out = tanh(x*w + b) = {y.data:.6g}"
    assert lines[1].split() == ["dout/dx", "=", f"{x.grad:.6g}"]
    assert lines[2].split() == ["dout/dw", "=", f"{w.grad:.6g}"]
    assert lines[3].split() == ["dout/db", "=", f"{b.grad:.6g}"]
    assert "neuron.svg" in result.stdout
    text = svg_text(tmp_path / "neuron.svg")
    for label in ("x", "w", "b", "tanh"):
        assert label in text
    assert "0.7064" in text and "-1.503" in text  # the value and x's gradient are drawn
    assert files_in(tmp_path) == ["neuron.svg"]  # no temporary file left behind


def test_draw_writes_png_and_dot_by_suffix(tmp_path):
    result = tracegrad("draw", "x*x + 2*x", "--set", "x=3", "-o", "square.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "dout/dx" in result.stdout and "= 8" in result.stdout
    check_png(tmp_path / "square.png")
    (tmp_path / "sub/dir").mkdir(parents=True)  # -o never makes folders (tests/test_cli_mistakes.py)
    result = tracegrad("draw", "x*x + 2*x", "--set", "x=3", "-o", "sub/dir/square.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    dot = (tmp_path / "sub/dir/square.dot").read_text(encoding="utf-8")
    assert dot.lstrip().startswith("digraph")


def test_draw_without_output_only_prints(tmp_path):
    result = tracegrad("draw", "sigmoid(a) * leaky_relu(b, 0.1)", "--set", "a=0", "b=-2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "out = sigmoid(a) * leaky_relu(b, 0.1) = -0.1"
    assert files_in(tmp_path) == []


# --- outputs: all or nothing ------------------------------------------------------------


def _long_name(suffix: str) -> str:
    return "n" * (255 - len(suffix)) + suffix  # the longest legal file name


@pytest.mark.parametrize(
    "args, blocker, message",
    [
        (["draw", "x", "--set", "x=1", "-o", "a-file/graph.dot"], "a-file", "a-file is not a directory"),
        (["draw", "x", "--set", "x=1", "-o", "n" * 256 + ".dot"], None, "longer than 255 bytes"),
        (["trace", "x", "--set", "x=1", "-o", "steps.html"], "steps.html/", "steps.html: it is a directory"),
        (["train", "xor", "--out", "run"], "run/model.json/", "run/model.json: it is a directory"),
        (["train", "xor", "--out", "run/deeper"], "run", "run is not a directory"),
        (["demo", "--out", "walk"], "walk/walkthrough.txt/", "walk/walkthrough.txt: it is a directory"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_any_work(tmp_path, args, blocker, message):
    if blocker is not None:  # a directory where a file goes, or a file where a folder goes
        if blocker.endswith("/"):
            (tmp_path / blocker).mkdir(parents=True)
        else:
            (tmp_path / blocker).write_text("in the way")
    before = files_in(tmp_path)
    result = tracegrad(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "nothing was done" in result.stderr
    assert result.stdout == ""  # nothing computed, trained or printed
    assert "training" not in result.stderr  # train never started its progress bar
    assert files_in(tmp_path) == before


@contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` read-only, even for root (who ignores permissions but not the immutable flag)."""
    folder.chmod(0o555)
    if os.geteuid() == 0:
        subprocess.run(["chattr", "+i", str(folder)], check=True)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def test_a_read_only_folder_is_refused_before_training(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model.json").write_text("the previous model")
    with read_only(tmp_path / "run"):
        result = tracegrad("train", "xor", "--out", "run", cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert f"the folder {tmp_path / 'run'} is not writable" in result.stderr
    assert result.stdout == "" and "training" not in result.stderr
    assert files_in(tmp_path) == ["run", "run/model.json"]
    assert (tmp_path / "run" / "model.json").read_text() == "the previous model"


def test_a_long_file_name_and_a_symbolic_link_are_written(tmp_path):
    name = _long_name(".dot")
    result = tracegrad("draw", "x*y", "--set", "x=1", "y=2", "-o", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # the temporary name stays within the limit
    (tmp_path / "kept").mkdir()
    (tmp_path / "kept" / "graph.dot").write_text("old")
    (tmp_path / "link.dot").symlink_to(tmp_path / "kept" / "graph.dot")
    result = tracegrad("draw", "x*y", "--set", "x=1", "y=2", "-o", "link.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "link.dot").is_symlink()  # the link stays; the file it points to is updated
    assert (tmp_path / "kept" / "graph.dot").read_text(encoding="utf-8").startswith("digraph")
    assert files_in(tmp_path) == sorted([name, "kept", "kept/graph.dot", "link.dot"])


def _fail_at_third(monkeypatch, owner, function: str, failure) -> list:
    """Make ``owner.<function>`` call ``failure()`` on its third call, before doing its work."""
    real = getattr(owner, function)
    calls: list = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 3:
            failure()
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, function, failing)
    return calls


def _raise(error):
    def fail():
        raise error
    return fail


def _signal(number):
    def fail():
        os.kill(os.getpid(), number)  # held until the file being written is done, then raised
    return fail


FAILURES = {
    "disk full while staging": ("_write_file", _raise(OSError(28, "No space left on device")), 1,
                                "no file was changed"),
    "Ctrl-C while staging": ("_write_file", _raise(KeyboardInterrupt()), 130, "interrupted"),
    "SIGINT while staging": ("_write_file", _signal(signal.SIGINT), 130, "interrupted"),
    "SIGTERM while staging": ("_write_file", _signal(signal.SIGTERM), 143, "terminated"),
    "a rename fails": ("replace", _raise(OSError(5, "Input/output error")), 1, "no file was changed"),
}


@pytest.mark.parametrize("function, failure, code, message", FAILURES.values(), ids=list(FAILURES))
def test_a_failure_while_writing_leaves_the_previous_files_and_no_temporary_one(
        tmp_path, monkeypatch, capsys, function, failure, code, message):
    from nn.app.cli import main, outputs

    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    monkeypatch.chdir(tmp_path)
    assert main(["train", "xor", "--epochs", "1", "-q", "--out", "run"]) == 0
    before = files_in(tmp_path)
    previous = {name: (tmp_path / name).read_bytes() for name in before if (tmp_path / name).is_file()}
    assert len(previous) == 5
    owner = outputs.os if function == "replace" else outputs  # os.replace: the renames into place
    for out in ("run", "new/run"):  # over the previous files; into a folder made for them
        capsys.readouterr()
        calls = _fail_at_third(monkeypatch, owner, function, failure)
        assert main(["train", "xor", "--epochs", "2", "--seed", "1", "-q", "--out", out]) == code
        assert len(calls) >= 3  # it failed midway
        assert message in capsys.readouterr().err
        monkeypatch.undo()
        monkeypatch.chdir(tmp_path)
        assert files_in(tmp_path) == before  # no temporary file, no new folder
        assert {name: (tmp_path / name).read_bytes() for name in previous} == previous
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers


HOSTILE = [
    ("__import__('os').system('echo hi')", 1),
    ("x.__class__", 2),
    ("(lambda: x)()", 2),
    ("[x for x in (1, 2)]", 1),
    ("open('/etc/passwd')", 1),
    ("x ** 10**10**10", 10),
    ("10**10**10", 5),
    ("x + " * 2000 + "x", 501),
    ("exp(x" + ")" * 3, 7),
]


@pytest.mark.parametrize("expression, column", HOSTILE, ids=[case[0][:30] for case in HOSTILE])
@pytest.mark.parametrize("command", ["draw", "trace"])
def test_hostile_expressions_are_refused_with_the_column_and_nothing_written(tmp_path, command,
                                                                            expression, column):
    suffix = ".svg" if command == "draw" else ".html"
    result = tracegrad(command, expression, "--set", "x=1", "-o", f"out{suffix}", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "hi" not in result.stdout
    lines = result.stderr.rstrip("\n").splitlines()
    assert lines[0].startswith(f"tracegrad {command}: error: ")
    assert lines[0].endswith(f"at column {column}")
    assert lines[-1].strip() == "^"
    assert files_in(tmp_path) == []


# --- trace ----------------------------------------------------------------------------


def test_trace_prints_every_backward_step_and_writes_the_stepper_page(tmp_path):
    result = tracegrad("trace", "x*y + y", "--set", "x=2", "y=3", "--wrt", "y", "-o", "steps.html",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "out = x*y + y = 9" in out
    assert "(2 steps)" in out and "Step 1 of 2" in out and "Step 2 of 2" in out
    assert "2 paths" in out  # --wrt y explains the two paths that add up
    page = (tmp_path / "steps.html").read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html")
    assert page_document(page)["svg"].startswith("<svg") and "</html>" in page.lower()
    assert "<script src" not in page and "<link" not in page  # self-contained
    assert files_in(tmp_path) == ["steps.html"]


def test_trace_counts_one_step_in_the_singular_and_writes_constants_as_numbers(tmp_path):
    result = tracegrad("trace", "x*2", "--set", "x=3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "forward, one node at a time (1 step):" in result.stdout
    assert "backward, one node at a time (1 step):" in result.stdout
    assert "→ x: local ∂out/∂x = 2" in result.stdout and "→ 2" not in result.stdout  # no step into the 2
    assert "2.grad" not in result.stdout


def test_trace_prints_forward_then_backward_each_step_explained(tmp_path):
    result = tracegrad("trace", "tanh(x*w + b)", "--set", "x=2", "w=-3", "b=6.88", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    forward, backward = out.index("forward, one node at a time (3 steps):"), out.index(
        "backward, one node at a time (3 steps):")
    assert forward < out.index("Forward 3 of 3") < out.index("Forward is done") < backward
    assert backward < out.index("Step 1 of 3") < out.index("Step 3 of 3")
    from autograd import Stepper
    from nn.app.expression import build

    root, _ = build("tanh(x*w + b)", {"x": 2, "w": -3, "b": 6.88})
    root.label = "out"
    for frame in range(len(Stepper(root))):  # every step's text, its explanation included
        assert Stepper(root).frame_text(frame) in out


def test_trace_follows_one_name_and_shows_the_update(tmp_path):
    loss = "L = (w*x + b - y)**2 + (w*x2 + b - y2)**2"
    values = ["w=0.5", "x=2", "b=0", "y=3", "x2=1", "y2=1"]
    result = tracegrad("trace", loss, "--set", *values, "--follow", "b", "--lr", "0.1", "--params", "w", "b",
                       "-o", "steps.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "backward, only the steps that add to b's gradient (2 of 9;" in out
    assert out.count("\nStep ") == 2  # exactly the two steps that add to b.grad
    # b's two contributions, 2(w*x2 + b - y2) = -1 and 2(w*x + b - y) = -4, and their running sum
    assert "this step adds contribution 1 of 2 (−1); running sum b.grad = -1 so far." in out
    assert "this step adds the last of its 2 contributions (−4); the total b.grad = ∂L/∂b = -5." in out
    update = out[out.index("The update (gradient descent, lr = 0.1)"):]
    assert "b ← 0 − 0.1 × (-5) = 0.5" in update and "w ← 0.5 − 0.1 × (-9) = 1.4" in update
    # only the --params move against their gradients (the data stay); the loss after is the expression there
    w, x, b, y, x2, y2 = 1.4, 2, 0.5, 3, 1, 1
    assert f"after: {(w * x + b - y) ** 2 + (w * x2 + b - y2) ** 2:.4g}" in update
    document = page_document((tmp_path / "steps.html").read_text(encoding="utf-8"))
    # the page follows b through its two contributions and ends with the update
    assert document["follow"]["name"] == "b" and len(document["follow"]["frames"]) == 2
    last = document["frames"][-1]
    assert last["kind"] == "update" and "lr = 0.1" in last["headline"] and "b ← 0 − 0.1 × (-5) = 0.5" in last["arithmetic"]


@pytest.mark.parametrize("option", ["--follow", "--wrt"])
def test_trace_follows_only_a_name_of_the_expression(tmp_path, option):
    result = tracegrad("trace", "x*y", "--set", "x=1", "y=2", option, "f", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert f"{option} f: not a name of the expression (its names: x, y)" in result.stderr


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_trace_survives_a_stdout_that_cannot_show_its_symbols(tmp_path, encoding):
    result = tracegrad("trace", "tanh(权重*x) / x", "--set", "权重=2", "x=0.5", "--wrt", "x", cwd=tmp_path,
                       encoding=encoding)
    assert result.returncode == 0, result.stderr
    assert "UnicodeEncodeError" not in result.stderr
    assert "\\u6743\\u91cd" in result.stdout  # 权重, escaped: never dropped or merged
    assert result.stdout.rstrip().endswith("(add -o steps.html to write the stepper page)")  # all of it
    result = tracegrad("draw", "权重 +", cwd=tmp_path, encoding=encoding)
    assert result.returncode == 2 and "\\u6743\\u91cd +" in result.stderr


@pytest.mark.parametrize(
    "expression, values, first",
    [
        ("f * 2", ["f=3"], "out = f * 2 = 6"),  # never f, the articles' activation function
        ("out * 2", ["out=3"], "result = out * 2 = 6"),
        ("f * out", ["f=2", "out=3"], "result = f * out = 6"),
        ("out * result * value", ["out=1", "result=1", "value=2"], "out_1 = out * result * value = 2"),
        ("L = out * 2", ["out=3"], "L = out * 2 = 6"),  # the name the student gives
    ],
)
def test_the_value_of_an_expression_is_never_named_like_one_of_its_variables(tmp_path, expression, values,
                                                                            first):
    result = tracegrad("draw", expression, "--set", *values, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == first
    name = first.split()[0]
    assert [line.split()[0] for line in lines[1:len(values) + 1]] == [
        f"d{name}/d{value.partition('=')[0]}" for value in values]


def test_trace_takes_the_name_the_student_gives_the_value(tmp_path):
    result = tracegrad("trace", "L = (relu(w*x + b) - y)**2", "--set", "w=0.5", "x=2", "b=0.1", "y=1",
                       "--follow", "b", "--lr", "0.1", "--params", "w", "b", "-o", "steps.html", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "L = (relu(w*x + b) - y)**2 = 0.01"
    assert [line.split()[0] for line in lines[1:5]] == ["dL/dw", "dL/dx", "dL/db", "dL/dy"]
    assert "Forward 5 of 5: L = (relu(w·x + b) - y)**2" in result.stdout and "f = " not in result.stdout
    assert "∂L/∂b" in result.stdout and "∂f/" not in result.stdout
    document = page_document((tmp_path / "steps.html").read_text(encoding="utf-8"))
    assert document["frames"][-1]["kind"] == "update"
    assert any("L = " in frame["headline"] for frame in document["frames"])


@pytest.mark.parametrize("expression, message", [
    ("x = x*2", "'x' is a variable of the expression, so it cannot also name its value"),
    ("2L = x*2", "'2L' cannot name the value"),
    ("tanh = x*2", "'tanh' is a function, so it cannot name the value"),
])
def test_a_bad_name_for_the_value_exits_2_saying_why(tmp_path, expression, message):
    result = tracegrad("trace", expression, "--set", "x=1", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert message in result.stderr and "^" in result.stderr


def test_a_bad_name_for_the_value_is_explained_in_chinese(tmp_path):
    result = tracegrad("trace", "x = x*y", "--set", "x=2", "y=3", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert "'x' 是表达式里的变量，不能再用作它的值的名字：请换一个名字，例如 L = ...，位于第 1 列" in result.stderr
    result = tracegrad("draw", "L = x*y", "--set", "x=2", "y=3", "--lang", "zh", cwd=tmp_path)
    assert result.returncode == 0 and result.stdout.splitlines()[:3] == ["L = x*y = 6", "  dL/dx  = 3", "  dL/dy  = 2"]


# --- train ----------------------------------------------------------------------------


def _load_and_compare(out: Path, dataset_X):
    """The saved model reproduces, bit for bit, the predictions the trained one printed."""
    from nn import load_model

    summary = json.loads((out / "summary.json").read_text())
    model = load_model(out / "model.json")
    assert model.predict(dataset_X) == summary["predictions"]
    return model, summary


def test_train_xor_with_its_defaults(tmp_path):
    result = tracegrad("train", "xor", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "tracegrad-xor"
    assert files_in(tmp_path) == ["tracegrad-xor"] + [
        f"tracegrad-xor/{name}"
        for name in sorted(["loss.png", "boundary.png", "model.json", "graph.svg", "summary.json"])
    ]
    assert "training" in result.stderr  # the progress bar
    assert "training accuracy 100.0%" in result.stdout
    assert ", 50 epochs, " in result.stdout
    check_png(out / "loss.png")
    check_png(out / "boundary.png")
    assert "L1.N1" in svg_text(out / "graph.svg")  # the collapsed neurons are named

    from nn import data, evaluate

    X, y = data.make_xor(100, seed=0)
    model, summary = _load_and_compare(out, X)
    loss, accuracy = evaluate(model, X, y, summary["loss"])
    assert loss == summary["final_loss"] and accuracy == summary["accuracy"] == 1.0
    assert summary["history"]["loss"][-1] < summary["history"]["loss"][0]
    # The summary's loss is not the progress bar's; the output says which is which.
    assert f"loss after training {loss:.4g}," in result.stdout
    assert f"{summary['history']['loss'][-1]:.4g} in the last epoch" in result.stdout
    assert "after the last update" in result.stdout


def test_train_for_one_epoch_says_epoch(tmp_path):
    result = tracegrad("train", "xor", "--epochs", "1", "-q", "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert ", 1 epoch, full batch" in result.stdout


@pytest.mark.parametrize(
    "dataset, options, plot",
    [
        ("moons", ["--hidden", "4", "--epochs", "3"], "boundary.png"),
        ("circles", ["--hidden", "4", "--epochs", "3", "--loss", "bce", "--batch-size", "25"],
         "boundary.png"),
        ("spiral", ["--hidden", "4,4", "--epochs", "2", "--loss", "cross_entropy", "--optimizer", "sgd"],
         "boundary.png"),
        ("icecream", ["--epochs", "20"], "fit.png"),
        ("tower", ["--epochs", "3", "--samples", "60"], "surface.png"),
    ],
)
def test_train_every_dataset(tmp_path, dataset, options, plot):
    result = tracegrad("train", dataset, *options, "--seed", "3", "--out", "run", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "run"
    assert sorted(path.name for path in out.iterdir()) == sorted(
        ["loss.png", plot, "model.json", "graph.svg", "summary.json"])
    check_png(out / "loss.png")
    check_png(out / plot)
    check_svg(out / "graph.svg")
    assert result.stderr == ""  # -q: no progress bar

    from nn import data

    X = {
        "moons": lambda: data.make_moons(100, noise=0.1, seed=3)[0],
        "circles": lambda: data.make_circles(100, seed=3)[0],
        "spiral": lambda: data.make_spirals(100, seed=3)[0],
        "icecream": lambda: data.icecream()[0],
        "tower": lambda: data.make_tower(60, seed=3)[0],
    }[dataset]()
    _, summary = _load_and_compare(out, X)
    assert summary["dataset"] == dataset and summary["seed"] == 3
    assert math.isfinite(summary["final_loss"])


@pytest.mark.parametrize("dataset, options", [("icecream", ["--epochs", "20"]),
                                              ("moons", ["--hidden", "4", "--epochs", "2", "--batch-size", "30"])])
def test_train_compiled_gives_the_same_results_bit_for_bit(tmp_path, dataset, options):
    summaries = []
    for compiled in ([], ["--compile"]):
        out = f"run{len(summaries)}"
        result = tracegrad("train", dataset, *options, *compiled, "-q", "--out", out, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (", compiled" in result.stdout) == bool(compiled)
        summaries.append(json.loads((tmp_path / out / "summary.json").read_text()))
    eager, compiled_ = summaries
    assert (eager["compiled"], compiled_["compiled"]) == (False, True)
    for key in ("history", "predictions", "final_loss", "accuracy"):
        assert compiled_[key] == eager[key], key
    assert (tmp_path / "run0" / "model.json").read_bytes() == (tmp_path / "run1" / "model.json").read_bytes()


def test_training_that_diverges_fails_with_exit_1_and_writes_nothing(tmp_path):
    result = tracegrad("train", "xor", "--optimizer", "sgd", "--momentum", "0.5", "--lr", "10", "--loss", "mse",
                       "--activation", "relu", "--epochs", "40", "-q", cwd=tmp_path)
    assert result.returncode == 1
    assert "diverged" in result.stderr and "nothing was written" in result.stderr
    assert files_in(tmp_path) == []


# --- demo -----------------------------------------------------------------------------


def test_demo_writes_the_walkthrough(tmp_path):
    result = tracegrad("demo", "--out", "walk", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / "walk"
    expected = ["icecream_graph.svg", "icecream_stepper.html", "mse_vs_bias.png",
                "bias_and_weight.png", "all_nine_loss.png", "walkthrough.txt"]
    assert sorted(path.name for path in out.iterdir()) == sorted(expected)
    for name in expected:
        assert f"walk/{name}" in result.stdout
    # The ice-cream article's numbers: MSE 0.0865 at b = 0, about 0.038 at b = 0.1, lowest near 0.3.
    story = result.stdout
    assert "MSE = mean((r̂ - r)^2) = 0.08650" in story
    assert "b = 0.1   MSE = 0.03798" in story
    assert "Lowest at b = 0.3" in story
    assert "the engine's backward gives L2.N1.b.grad = -0.585200" in story
    assert (out / "walkthrough.txt").read_text(encoding="utf-8") in story + "\n"
    assert "L2.N1.b" in svg_text(out / "icecream_graph.svg")
    page = (out / "icecream_stepper.html").read_text(encoding="utf-8")
    assert page_document(page)["svg"].startswith("<svg") and "<script src" not in page
    for name in ("mse_vs_bias.png", "bias_and_weight.png", "all_nine_loss.png"):
        check_png(out / name)


def test_demo_page_is_the_ten_row_loss_following_the_output_bias_to_the_update(tmp_path):
    result = tracegrad("demo", "-q", "--out", "walk", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    document = page_document((tmp_path / "walk" / "icecream_stepper.html").read_text(encoding="utf-8"))
    follow = document["follow"]
    assert follow["name"] == "L2.N1.b" and len(follow["frames"]) == 10  # one per row of the table
    assert sorted(follow["rows"], key=int) == [str(k) for k in range(1, 11)]
    page = "\n".join(document["frames"][-1][key] for key in ("headline", "arithmetic", "sentence"))
    # the update ends it: step 3's first step of gradient descent and the MSE after it
    from nn.app import demo

    first, second = demo.descend_output_bias(0.0, lr=demo.BIAS_LR)[:2]
    assert f"L2.N1.b ← 0 − 0.1 × ({first.grad:.4g}) = {second.bias:.4g}" in page
    assert f"Loss before the update: {first.mse:.4g}; after: {second.mse:.4g}" in page


def test_demo_shows_the_chain_rule_of_every_descent_step_it_prints(tmp_path):
    from nn.app import demo

    lines: list[str] = []
    demo.walkthrough(lines.append)
    steps = demo.descend_output_bias(0.0, lr=demo.BIAS_LR)
    rows = [line.split() for line in lines if line.split()[:1] and line.split()[0].isdigit()
            and line.split()[3] == "10/10"]
    assert [int(row[0]) for row in rows] == list(range(1, len(steps) + 1))  # every step, none elided
    for row, step in zip(rows, steps):
        errors, by_hand, engine = (float(text) for text in row[4:7])
        assert by_hand == pytest.approx(2 / 10 * errors, abs=1e-6)  # the chain rule's (2/10) * sum
        assert by_hand == pytest.approx(step.grad, abs=1e-6) and engine == pytest.approx(step.grad, abs=1e-6)
    assert rows[-1][-1] == "1e-4"  # the last row is where descent stops: no update taken
    assert f"After {len(steps) - 1} steps" in "\n".join(lines)


def test_demo_default_directory_and_quiet(tmp_path):
    result = tracegrad("demo", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote 6 files into tracegrad-demo/")
    assert (tmp_path / "tracegrad-demo" / "walkthrough.txt").is_file()


def test_demo_into_a_file_is_bad_usage(tmp_path):
    (tmp_path / "taken").write_text("")
    result = tracegrad("demo", "--out", "taken", cwd=tmp_path)
    assert result.returncode == 2
    assert "not a directory" in result.stderr


# --- the walkthrough's functions, as the ice-cream notebook calls them ---------------------


def test_the_walkthrough_reproduces_the_articles_numbers():
    from nn.app import demo

    assert demo.mse_at(**{demo.OUTPUT_BIAS: 0.0}) == pytest.approx(0.08650, abs=5e-6)
    at_zero = demo.bias_gradient(0.0)
    assert sum(term.term for term in at_zero.terms) == pytest.approx(at_zero.grad, rel=1e-12)
    steps = demo.descend_output_bias(0.0, lr=0.1)
    assert abs(steps[-1].step_size) < 1e-4 and steps[-1].mse < steps[0].mse
    path = demo.descend_bias_and_weight((0.0, 0.0), lr=0.3, steps=3)
    assert len(path) == 4 and path[-1][2] < path[0][2]


@pytest.mark.parametrize(
    "call, error",
    [
        (lambda demo: demo.icecream_model(**{"L9.N1.b": 0.0}), ValueError),
        (lambda demo: demo.icecream_model(**{"L2.N1.b": "0.3"}), TypeError),
        (lambda demo: demo.parameter(demo.icecream_model(), "L2.N1.z"), ValueError),
        (lambda demo: demo.parameter(demo.icecream_model(), 3), TypeError),
        (lambda demo: demo.bias_gradient(None), TypeError),
        (lambda demo: demo.descend_output_bias(lr=-0.1), ValueError),
        (lambda demo: demo.descend_output_bias(max_steps=0), ValueError),
        (lambda demo: demo.descend_output_bias(max_steps=2.5), TypeError),
        (lambda demo: demo.descend_bias_and_weight(start=0.0), TypeError),
        (lambda demo: demo.descend_bias_and_weight(start=(0.0,)), ValueError),
        (lambda demo: demo.descend_bias_and_weight(steps=-1), ValueError),
    ],
)
def test_the_walkthrough_checks_its_arguments(call, error):
    from nn.app import demo

    with pytest.raises(error):
        call(demo)


def test_plots_check_their_arguments():
    from nn.app import plots

    figure = plots.predictions_vs_targets([1.0, 2.0], [1.5, 2.5], title="fit")
    assert plots.png_bytes(figure, dpi=30).startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError):
        plots.predictions_vs_targets([1.0], [1.0, 2.0])
    with pytest.raises(ValueError):
        plots.png_bytes(figure, dpi=0)
    with pytest.raises(TypeError):
        plots.png_bytes(figure, dpi=72.0)
    with pytest.raises(ValueError):
        plots.decision_boundary(lambda points: [0.0] * len(points), [[0, 0], [1, 1]], [0, 1], resolution=1)
