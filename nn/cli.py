"""The ``tracegrad`` command line: draw, trace, train and demo.

::

    tracegrad draw "tanh(x*w + b)" --set x=2 w=-3 b=6.88 -o neuron.svg
    tracegrad trace "tanh(x*w + b)" --set x=2 w=-3 b=6.88 -o steps.html
    tracegrad train moons --hidden 16,16 --epochs 60 --out runs/moons
    tracegrad demo --out tracegrad-demo

Exit codes: 0 success, 1 failure (a file could not be written, Graphviz is
missing, training diverged ...), 2 bad usage (an unknown option, a refused
expression, a missing value). Errors go to stderr, results to stdout. Every
output file is written atomically (to a temporary file that is then renamed),
and nothing is written when a command fails before its outputs are ready.

Heavy imports (graphviz, matplotlib, the drawing code) happen inside the
commands, so ``tracegrad --help`` and refused expressions answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from autograd import write_atomically

from .expression import ExpressionError, parse, parse_assignments

PROG = "tracegrad"
GRAPH_FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot"}


class UsageError(Exception):
    """Bad usage found after argument parsing: exit code 2."""


class CommandError(Exception):
    """A command that could not do its job: exit code 1."""


def plural(count: int, word: str) -> str:
    """``1 step``, ``2 steps``: a count and its noun."""
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- Graphviz -------------------------------------------------------------------

GRAPHVIZ_MISSING = "Graphviz's `dot` program is not installed (Debian/Ubuntu: apt-get install graphviz)"

#: What each command needs Graphviz for, and how to do without it where one can.
GRAPHVIZ_NEEDED_FOR = {
    "draw": "draw needs it for .svg and .png; -o FILE.dot needs no Graphviz",
    "trace": "trace needs it for the stepper page; without -o, trace prints the steps without Graphviz",
    "train": "train needs it to draw the network (graph.svg); nothing was written",
    "demo": "demo needs it for the graph and the stepper page; nothing was written",
}


@contextmanager
def graphviz_needed(command: str) -> Iterator[None]:
    """Graphviz failing inside the block becomes a CommandError saying how to install it."""
    import graphviz

    try:
        yield
    except graphviz.ExecutableNotFound:
        raise CommandError(f"{GRAPHVIZ_MISSING}; {GRAPHVIZ_NEEDED_FOR[command]}") from None
    except graphviz.CalledProcessError as error:
        raise CommandError(f"Graphviz failed: {error}") from None


def require_graphviz(command: str) -> None:
    """Fail at once, before any work is done, when Graphviz's ``dot`` cannot be run."""
    import graphviz

    with graphviz_needed(command):
        graphviz.version()


# --- writing outputs ----------------------------------------------------------


def write_outputs(outputs: dict[Path, bytes | str]) -> list[Path]:
    """Write every prepared output atomically; the paths written, in order."""
    written = []
    for path, data in outputs.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, data)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror or error}") from None
        written.append(path)
    return written


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B"


def _report(written: Sequence[Path], header: str = "wrote") -> None:
    print(header)
    width = max(len(str(path)) for path in written)
    for path in written:
        print(f"  {str(path):<{width}}  {_size(path)}")


# --- expressions --------------------------------------------------------------


def _build_expression(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Parse the expression and ``--set`` values; build and backpropagate its graph."""
    expression = parse(args.expression)
    try:
        values = parse_assignments(args.set)
    except ValueError as error:
        raise UsageError(f"--set: {error}") from None
    unused = [name for name in values if name not in expression.names]
    if unused:
        names = ", ".join(expression.names) or "none"
        raise UsageError(f"--set gives {', '.join(unused)}, which the expression does not use "
                         f"(its names: {names})")
    root, leaves = expression.build(values)
    if not root.is_leaf and not root.label:
        root.label = "f" if "f" not in leaves else "out"  # so steps read d f / d x
    root.backward()
    return expression, root, leaves


def _format_number(number: float) -> str:
    return f"{number:.6g}"


def _print_value_and_grads(source: str, root, leaves) -> None:  # type: ignore[no-untyped-def]
    name = root.label if root.label and not root.is_leaf else "f"
    print(f"{name} = {source.strip()} = {_format_number(root.data)}")
    if not leaves:
        return
    width = max(len(leaf_name) for leaf_name in leaves) + len(name) + 4
    for leaf_name, leaf in leaves.items():
        print(f"  {f'd{name}/d{leaf_name}':<{width}} = {_format_number(leaf.grad)}")


def _render_graph(digraph, suffix: str, command: str) -> bytes:  # type: ignore[no-untyped-def]
    """A graphviz Digraph as SVG, PNG or DOT bytes."""
    if suffix == ".dot":
        return digraph.source.encode("utf-8")
    with graphviz_needed(command):
        return digraph.pipe(format=GRAPH_FORMATS[suffix])


def _output_path(text: str | None, suffixes: Sequence[str], option: str = "-o") -> Path | None:
    if text is None:
        return None
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {text}: the file name must end in {' or '.join(suffixes)}")
    if path.exists() and path.is_dir():
        raise UsageError(f"{option} {text} is a directory")
    return path


def cmd_draw(args: argparse.Namespace) -> int:
    """``tracegrad draw EXPR --set ... -o graph.svg``."""
    output = _output_path(args.output, tuple(GRAPH_FORMATS))
    expression, root, leaves = _build_expression(args)
    if output is not None and output.suffix.lower() != ".dot":
        require_graphviz("draw")
    _print_value_and_grads(expression.source, root, leaves)
    if output is None:
        print("(add -o graph.svg to draw the graph)")
        return 0
    from autograd import draw

    digraph = draw(root, rankdir=args.rankdir, hide_constants=args.hide_constants,
                   edge_labels=args.edge_labels)
    written = write_outputs({output: _render_graph(digraph, output.suffix.lower(), "draw")})
    _report(written)
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    """``tracegrad trace EXPR --set ... -o steps.html``."""
    output = _output_path(args.output, (".html", ".htm"))
    expression, root, leaves = _build_expression(args)
    if args.wrt is not None and args.wrt not in leaves:
        raise UsageError(f"--wrt {args.wrt}: not a name of the expression "
                         f"(its names: {', '.join(leaves) or 'none'})")
    if output is not None:
        require_graphviz("trace")
    _print_value_and_grads(expression.source, root, leaves)
    from autograd import Stepper, explain

    stepper = Stepper(root)
    print()
    print(f"backward, one node at a time ({plural(len(stepper), 'step')}):")
    for index in range(len(stepper)):
        print(stepper.frame_text(index))
    if args.wrt is not None:
        print()
        print(explain(root, wrt=leaves[args.wrt]))
    if output is None:
        print("(add -o steps.html to write the stepper page)")
        return 0
    with graphviz_needed("trace"):
        html = _export_html_text(root)
    written = write_outputs({output: html})
    _report(written)
    return 0


def _export_html_text(root) -> str:  # type: ignore[no-untyped-def]
    """The stepper page as text: rendered into a private temporary directory first."""
    from autograd import export_html

    with tempfile.TemporaryDirectory(prefix="tracegrad-") as scratch:
        target = Path(scratch) / "steps.html"
        export_html(root, target)
        return target.read_text(encoding="utf-8")


# --- training -----------------------------------------------------------------


@dataclass(frozen=True)
class DatasetSpec:
    """A toy dataset of ``tracegrad train`` and the defaults that train it well and fast."""

    summary: str
    make: Callable[[int, int], tuple[list[list[float]], list]]  # (samples, seed) -> (X, y)
    task: str  # "classification" (labels 0/1) or "regression"
    samples: int
    hidden: tuple[int, ...]
    activation: str
    output_activation: str
    loss: str
    optimizer: str
    lr: float
    epochs: int
    batch_size: int | None = None


def _moons(n: int, seed: int):  # type: ignore[no-untyped-def]
    from . import data

    return data.make_moons(n, noise=0.1, seed=seed)


def _xor(n: int, seed: int):  # type: ignore[no-untyped-def]
    from . import data

    return data.make_xor(n, seed=seed)


def _circles(n: int, seed: int):  # type: ignore[no-untyped-def]
    from . import data

    return data.make_circles(n, seed=seed)


def _spiral(n: int, seed: int):  # type: ignore[no-untyped-def]
    from . import data

    return data.make_spirals(n, seed=seed)


def _icecream(n: int, seed: int):  # type: ignore[no-untyped-def]
    from . import data

    return data.icecream()


def _tower(n: int, seed: int):  # type: ignore[no-untyped-def]
    from . import data

    return data.make_tower(n, seed=seed)


DATASETS: dict[str, DatasetSpec] = {
    "moons": DatasetSpec("two interleaving half moons (micrograd's demo)", _moons, "classification",
                         100, (16, 16), "relu", "linear", "hinge", "adam", 0.05, 50),
    "xor": DatasetSpec("four noisy clusters labelled by XOR (trains in a second)", _xor, "classification",
                       100, (8,), "tanh", "linear", "bce_with_logits", "adam", 0.05, 50),
    "circles": DatasetSpec("a ring around a disc", _circles, "classification",
                           100, (8, 8), "relu", "linear", "bce_with_logits", "adam", 0.05, 60),
    "spiral": DatasetSpec("two interleaved spiral arms (the slowest to train)", _spiral, "classification",
                          100, (16, 16), "tanh", "linear", "bce_with_logits", "adam", 0.05, 150),
    "icecream": DatasetSpec("seed 002's ice-cream sales: 10 rows, the 2-2-1 ReLU network",
                            _icecream, "regression", 10, (2,), "relu", "relu", "mse", "sgd", 0.001, 500),
    "tower": DatasetSpec("seed 004's sigmoid tower on the plane (regression)", _tower, "regression",
                         200, (4,), "sigmoid", "sigmoid", "mse", "adam", 0.1, 100, 20),
}

#: The losses that classify, and where each one puts the class boundary on the output.
CLASSIFICATION_THRESHOLDS = {"hinge": 0.0, "bce_with_logits": 0.0, "bce": 0.5, "cross_entropy": 0.0,
                             "mse": 0.5}


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``tracegrad train`` (every default comes from the dataset)."""
    parser.add_argument("dataset", choices=list(DATASETS), metavar="DATASET",
                        help="one of: " + ", ".join(DATASETS))
    parser.add_argument("--hidden", metavar="SIZES",
                        help="hidden layer sizes, comma separated, e.g. 16,16")
    parser.add_argument("--activation", choices=("relu", "tanh", "sigmoid", "leaky_relu"),
                        help="the hidden layers' activation")
    parser.add_argument("--loss", choices=("mse", "bce", "bce_with_logits", "cross_entropy", "hinge"),
                        help="the loss to minimise")
    parser.add_argument("--optimizer", choices=("sgd", "adam"), help="the optimiser")
    parser.add_argument("--lr", type=float, metavar="RATE", help="the learning rate")
    parser.add_argument("--momentum", type=float, default=0.0, metavar="M",
                        help="momentum of sgd, in [0, 1) (default: 0, plain gradient descent)")
    parser.add_argument("--epochs", type=int, metavar="N", help="passes over the data")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help="samples per step: 1 = SGD, N = mini-batch; 0 = the whole data set")
    parser.add_argument("--samples", type=int, metavar="N", help="how many samples to generate")
    parser.add_argument("--l2", type=float, default=0.0, metavar="LAMBDA",
                        help="strength of an L2 penalty on the weights (default: 0)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seeds the data, the initial weights and the shuffling (default: 0)")
    parser.add_argument("--out", metavar="DIR",
                        help="the directory to write into (default: ./tracegrad-DATASET)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")


@dataclass
class TrainSettings:
    """The resolved settings of one ``tracegrad train`` run."""

    dataset: str
    spec: DatasetSpec
    hidden: list[int]
    activation: str
    output_activation: str
    loss: str
    optimizer: str
    lr: float
    epochs: int
    batch_size: int | None
    samples: int
    l2: float
    seed: int
    out: Path
    momentum: float = 0.0
    seed_start: bool = False  # icecream: start from seed 002's values with the output bias at 0


def resolve_train_settings(args: argparse.Namespace) -> TrainSettings:
    """Fill the unset options from the dataset's defaults and check them (UsageError if bad)."""
    spec = DATASETS[args.dataset]
    if args.hidden is None:
        hidden = list(spec.hidden)
    else:
        text = args.hidden.strip()
        try:
            hidden = [int(part) for part in text.split(",")] if text not in ("", "none") else []
        except ValueError:
            raise UsageError(f"--hidden {args.hidden!r}: give sizes such as 16,16") from None
        if any(size < 1 or size > 256 for size in hidden) or len(hidden) > 6:
            raise UsageError(f"--hidden {args.hidden!r}: up to 6 layers of 1 to 256 neurons")
    loss = args.loss or spec.loss
    if spec.task == "regression" and loss != "mse":
        raise UsageError(f"--loss {loss}: {args.dataset} is a regression data set; use mse")
    activation = args.activation or spec.activation
    if spec.task == "regression":
        output_activation = spec.output_activation
    else:
        output_activation = "sigmoid" if loss == "bce" else "linear"
    optimizer = args.optimizer or spec.optimizer
    lr = spec.lr if args.lr is None else args.lr
    if not (0.0 < lr <= 10.0):
        raise UsageError(f"--lr {args.lr}: the learning rate must be in (0, 10]")
    epochs = spec.epochs if args.epochs is None else args.epochs
    if not 1 <= epochs <= 100_000:
        raise UsageError(f"--epochs {args.epochs}: give 1 to 100000")
    samples = spec.samples if args.samples is None else args.samples
    if args.dataset == "icecream":
        if args.samples is not None and args.samples != 10:
            raise UsageError("--samples: the ice-cream table has exactly 10 rows")
    elif not 4 <= samples <= 10_000:
        raise UsageError(f"--samples {args.samples}: give 4 to 10000")
    batch_size = spec.batch_size if args.batch_size is None else (args.batch_size or None)
    if batch_size is not None and batch_size < 1:
        raise UsageError(f"--batch-size {args.batch_size}: give 1 or more (0: the whole data set)")
    if not 0.0 <= args.momentum < 1.0:
        raise UsageError(f"--momentum {args.momentum}: give a number in [0, 1)")
    if args.momentum and optimizer != "sgd":
        raise UsageError("--momentum applies to --optimizer sgd only")
    if not args.l2 >= 0.0:
        raise UsageError(f"--l2 {args.l2}: must be >= 0")
    out = Path(args.out) if args.out else Path(f"tracegrad-{args.dataset}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    seed_start = (args.dataset == "icecream" and hidden == [2] and activation == "relu")
    return TrainSettings(args.dataset, spec, hidden, activation, output_activation, loss, optimizer,
                         lr, epochs, batch_size, samples, args.l2, args.seed, out, args.momentum,
                         seed_start)


def _make_model(settings: TrainSettings):  # type: ignore[no-untyped-def]
    from . import MLP, data

    if settings.seed_start:
        return data.icecream_network(output_bias=0.0)
    outputs = 2 if settings.loss == "cross_entropy" else 1
    return MLP(2, settings.hidden + [outputs], activation=settings.activation,
               output_activation=settings.output_activation, seed=settings.seed)


def _scores(model, points):  # type: ignore[no-untyped-def]
    """One number per point: the output, or class 1's logit minus class 0's for two outputs."""
    predictions = model.predict(points)
    return [p[1] - p[0] if isinstance(p, list) else p for p in predictions]


def cmd_train(args: argparse.Namespace) -> int:
    """``tracegrad train DATASET ...``: train, then write plots, model, graph and a summary."""
    import json

    settings = resolve_train_settings(args)
    require_graphviz("train")  # before minutes of training, not after
    from . import SGD, Adam, evaluate

    X, y = settings.spec.make(settings.samples, settings.seed)
    model = _make_model(settings)
    parameters = model.parameters()
    if settings.optimizer == "adam":
        optimizer = Adam(parameters, lr=settings.lr)
    else:
        optimizer = SGD(parameters, lr=settings.lr, momentum=settings.momentum)
    sizes = "-".join(str(n) for n in [2] + settings.hidden + [len(model.layers[-1].neurons)])
    batch_text = ("full batch" if settings.batch_size is None
                  else "SGD, batch 1" if settings.batch_size == 1 else f"batch {settings.batch_size}")
    print(f"{settings.dataset}: {len(X)} samples; MLP {sizes} ({len(parameters)} parameters), "
          f"{settings.activation}, {settings.loss} loss, {settings.optimizer} lr {settings.lr:g}"
          f"{f' momentum {settings.momentum:g}' if settings.momentum else ''}, "
          f"{plural(settings.epochs, 'epoch')}, {batch_text}")
    if settings.seed_start:
        print("starting from seed 002's parameters with the output bias set to 0")
    started = time.perf_counter()
    try:
        history = model.fit(X, y, loss=settings.loss, optimizer=optimizer, epochs=settings.epochs,
                            batch_size=settings.batch_size, shuffle_seed=settings.seed,
                            verbose=not args.quiet, l2=settings.l2)
    except FloatingPointError as error:
        raise CommandError(f"{error} (nothing was written)") from None
    seconds = time.perf_counter() - started
    final_loss, accuracy = evaluate(model, X, y, settings.loss)

    outputs = _training_outputs(settings, model, history, X, y)
    predictions = model.predict(X)
    summary = {
        "dataset": settings.dataset,
        "samples": len(X),
        "seed": settings.seed,
        "architecture": model.config(),
        "parameters": len(parameters),
        "loss": settings.loss,
        "optimizer": settings.optimizer,
        "lr": settings.lr,
        "momentum": settings.momentum,
        "epochs": settings.epochs,
        "batch_size": settings.batch_size,
        "l2": settings.l2,
        "final_loss": final_loss,
        "accuracy": accuracy,
        "seconds": round(seconds, 3),
        "history": history.as_dict(),
        "predictions": predictions,
    }
    outputs[settings.out / "summary.json"] = json.dumps(summary, indent=1) + "\n"
    written = write_outputs(outputs)
    # The progress bar and loss.png show each epoch's mean loss while its
    # updates ran (with any penalty); this is the loss once they are done.
    line = f"trained in {seconds:.1f} s: loss after training {final_loss:.4g}"
    if accuracy is not None:
        line += f", training accuracy {accuracy:.1%}"
    print(line)
    penalty = ", penalty included" if settings.l2 else ""
    print(f"  (on all {len(X)} samples after the last update; the progress bar and loss.png show "
          f"each epoch's mean during its updates{penalty}: {history.loss[-1]:.4g} in the last epoch)")
    _report(written, f"wrote {len(written)} files into {settings.out}/:")
    return 0


def _training_outputs(settings: TrainSettings, model, history, X, y) -> dict[Path, bytes | str]:  # type: ignore[no-untyped-def]
    """Every file of a training run, rendered in memory: nothing is written yet."""
    from autograd import draw

    from . import plots

    out = settings.out
    outputs: dict[Path, bytes | str] = {}
    figure = plots.loss_curve(history, title=f"{settings.dataset}: {settings.loss} loss per epoch",
                              log_scale=True)
    outputs[out / "loss.png"] = plots.png_bytes(figure)
    if settings.spec.task == "classification":
        threshold = CLASSIFICATION_THRESHOLDS[settings.loss]
        figure = plots.decision_boundary(lambda points: _scores(model, points), X, y,
                                         threshold=threshold, resolution=50,
                                         title=f"{settings.dataset}: decision boundary")
        outputs[out / "boundary.png"] = plots.png_bytes(figure)
    elif settings.dataset == "tower":
        outputs[out / "surface.png"] = plots.png_bytes(_tower_figure(model))
    else:
        outputs[out / "fit.png"] = plots.png_bytes(_fit_figure(model, X, y, settings.dataset))
    with tempfile.TemporaryDirectory(prefix="tracegrad-") as scratch:
        saved = Path(scratch) / "model.json"
        model.save(saved)
        outputs[out / "model.json"] = saved.read_bytes()
    root = model(X[0])
    if isinstance(root, list):
        from . import total

        root = total(root)
    root.backward()
    outputs[out / "graph.svg"] = _render_graph(draw(root, collapse="neurons"), ".svg", "train")
    return outputs


def _fit_figure(model, X, y, dataset: str):  # type: ignore[no-untyped-def]
    """Regression: each target against the model's prediction."""
    from . import plots

    figure, ax = plots.new_axes(figsize=(4.2, 4.0))
    predicted = model.predict(X)
    low, high = min(y + predicted), max(y + predicted)
    ax.plot([low, high], [low, high], color="0.6", linewidth=1, label="perfect")
    ax.scatter(y, predicted, color=plots.CLASS_COLOURS[0], edgecolors="k", linewidths=0.4, zorder=3)
    ax.set_xlabel("target")
    ax.set_ylabel("prediction")
    ax.set_title(f"{dataset}: predictions after training")
    ax.legend()
    return figure


def _tower_figure(model):  # type: ignore[no-untyped-def]
    """The tower target and the trained network side by side, as heat maps."""
    from matplotlib.figure import Figure

    from . import data

    figure = Figure(figsize=(8.0, 3.6), layout="constrained")
    axes = figure.subplots(1, 2)
    steps = [-1.5 + 3.0 * i / 59 for i in range(60)]
    grid = [[x, y] for y in steps for x in steps]
    target = [data.tower(x, y) for x, y in grid]
    learned = model.predict(grid)
    for ax, values, title in ((axes[0], target, "target: seed 004's tower"),
                              (axes[1], learned, "the trained network")):
        rows = [values[i * 60:(i + 1) * 60] for i in range(60)]
        image = ax.imshow(rows, origin="lower", extent=(-1.5, 1.5, -1.5, 1.5), vmin=0.0, vmax=1.0,
                          cmap="viridis")
        ax.set_title(title)
    figure.colorbar(image, ax=list(axes), shrink=0.8)
    return figure


def cmd_demo(args: argparse.Namespace) -> int:
    """``tracegrad demo [--out DIR]``."""
    from .demo import run_demo

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} exists and is not a directory")
    require_graphviz("demo")
    with graphviz_needed("demo"):
        outputs = run_demo(out, quiet=args.quiet)
    written = write_outputs(outputs)
    _report(written, f"wrote {len(written)} files into {out}/:")
    print(f"next: open {out / 'icecream_stepper.html'} in a browser and step through backward")
    return 0


# --- the parser -----------------------------------------------------------------


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples (descriptions are wrapped by ``_wrap``)."""


class _Parser(argparse.ArgumentParser):
    """The top-level parser: an unknown option is reported with its command's usage."""

    commands: dict[str, argparse.ArgumentParser]

    def parse_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def,override]
        # argparse hands a command's unrecognised arguments up to the top-level
        # parser, whose usage ("tracegrad COMMAND ...") would not help.
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command_parser = getattr(self, "commands", {}).get(getattr(parsed, "command", None), self)
            command_parser.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def _wrap(text: str) -> str:
    return textwrap.fill(" ".join(text.split()), width=78)


def _add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "expression",
        help="an expression such as 'tanh(x*w + b)': numbers, names, + - * / **, unary -, "
             "and exp log sqrt abs tanh sigmoid relu leaky_relu (quote it for the shell; "
             "put -- before an expression that starts with '-')")
    parser.add_argument(
        "--set", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
        help="the value of each name in the expression, e.g. --set x=2 w=-3 b=6.88")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tracegrad`` and its four commands."""
    parser = _Parser(
        prog=PROG,
        formatter_class=_Formatter,
        description="Watch backpropagation happen, node by node.",
        epilog="examples:\n"
               "  tracegrad demo                       # the ice-cream walkthrough, into ./tracegrad-demo/\n"
               "  tracegrad draw \"tanh(x*w + b)\" --set x=2 w=-3 b=6.88 -o neuron.svg\n"
               "  tracegrad trace \"x*y + y\" --set x=2 y=3 -o steps.html\n"
               "  tracegrad train xor\n\n"
               "Run 'tracegrad COMMAND --help' for the options of a command.")
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    parser.add_argument("--debug", action="store_true", help="show a full traceback on failure")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    draw = commands.add_parser(
        "draw", formatter_class=_Formatter,
        help="compute an expression and its gradients; draw its graph",
        description=_wrap("Compute an expression and the gradient of its value with respect to "
                          "each name, print them, and draw the computation graph (every node with "
                          "its value and gradient) to an .svg, .png or .dot file."),
        epilog="example:\n  tracegrad draw \"tanh(x*w + b)\" --set x=2 w=-3 b=6.88 -o neuron.svg")
    _add_expression_arguments(draw)
    draw.add_argument("-o", "--output", metavar="FILE",
                      help="the graph file to write: .svg, .png or .dot (by its suffix)")
    draw.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                      help="lay the graph out left to right or top to bottom (default: LR)")
    draw.add_argument("--hide-constants", action="store_true",
                      help="fold number constants into the nodes that use them")
    draw.add_argument("--edge-labels", action="store_true",
                      help="label each edge with its local derivative")
    draw.set_defaults(handler=cmd_draw)

    trace = commands.add_parser(
        "trace", formatter_class=_Formatter,
        help="step through backpropagation of an expression; write the stepper page",
        description=_wrap("Print the backward pass of an expression one node at a time (what "
                          "each node multiplies and passes to its inputs) and write a "
                          "self-contained HTML page that steps through it on the graph."),
        epilog="example:\n  tracegrad trace \"tanh(x*w + b)\" --set x=2 w=-3 b=6.88 -o steps.html")
    _add_expression_arguments(trace)
    trace.add_argument("-o", "--output", metavar="FILE.html", help="the stepper page to write")
    trace.add_argument("--wrt", metavar="NAME",
                       help="also explain d(output)/d(NAME) as a sum over paths of the chain rule")
    trace.set_defaults(handler=cmd_trace)

    train = commands.add_parser(
        "train", formatter_class=_Formatter,
        help="train an MLP on a toy dataset; write plots, the model and its graph",
        description=_wrap("Train a small MLP with the engine on one of the toy datasets, with a "
                          "progress bar; then write the loss curve (PNG), the decision boundary "
                          "(PNG, 2-D classification; a fit or surface plot for regression), the "
                          "model (JSON), a collapsed graph of the network (SVG) and a summary "
                          "(JSON), and print the summary. Every option has a default chosen for "
                          "the dataset, so 'tracegrad train xor' just works."),
        epilog="datasets and their defaults:\n" + "\n".join(
            f"  {name:<9} {spec.summary}\n  {'':<9} (hidden {','.join(map(str, spec.hidden))} "
            f"{spec.activation}, {spec.loss}, {spec.optimizer} lr {spec.lr:g}, {spec.epochs} epochs, "
            f"{'full batch' if spec.batch_size is None else f'batch {spec.batch_size}'})"
            for name, spec in DATASETS.items())
               + "\n\nexample:\n  tracegrad train moons --hidden 16,16 --optimizer adam --lr 0.05 "
                 "--epochs 60 --out runs/moons")
    add_train_arguments(train)
    train.set_defaults(handler=cmd_train)

    demo = commands.add_parser(
        "demo", formatter_class=_Formatter,
        help="the ice-cream walkthrough: graph, stepper page and plots",
        description=_wrap("Run the ice-cream walkthrough of seed 002: a 2-2-1 ReLU network "
                          "predicts ice-cream sales from temperature and weekday; the output bias "
                          "is found by brute force, then by gradient descent (each step's chain "
                          "rule printed), then with one weight, then all 9 parameters are "
                          "trained. Writes the graph (SVG), the stepper page (HTML), the plots "
                          "(PNG) and the story (text) into a directory."))
    demo.add_argument("--out", default="tracegrad-demo", metavar="DIR",
                      help="the directory to write into (default: ./tracegrad-demo)")
    demo.add_argument("-q", "--quiet", action="store_true", help="print only the files written")
    demo.set_defaults(handler=cmd_demo)
    parser.commands = dict(commands.choices)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("tracegrad")
    except Exception:  # not installed: running from a source tree
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tracegrad`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or bad usage (2)
        return exit_.code if isinstance(exit_.code, int) else 2
    handler: Callable[[argparse.Namespace], int] = args.handler
    where = f"{PROG} {args.command}"
    try:
        return handler(args)
    except ExpressionError as error:
        print(f"{where}: error: {error}", file=sys.stderr)
        return 2
    except UsageError as error:
        print(f"{where}: error: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"{where}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `tracegrad trace ... | head`: the reader left; stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as error:  # a bug or an unexpected failure: say so briefly
        if args.debug:
            raise
        print(f"{where}: error: {type(error).__name__}: {error} "
              f"(run '{PROG} --debug {args.command} ...' for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
