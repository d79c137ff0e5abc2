"""What the commands of ``tracegrad`` share: errors and exit codes, argument
types, Graphviz, writing and reporting outputs, and the expression arguments
of ``draw`` and ``trace``."""

from __future__ import annotations

import argparse
import math
import textwrap
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from autograd import write_atomically

from ..expression import parse, parse_assignments

if TYPE_CHECKING:
    import graphviz

    from autograd import Value

    from ..expression import Expression

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

PROG = "tracegrad"

#: Exit codes: success, a command that could not do its job, bad usage, Ctrl-C.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad usage found after argument parsing: exit code 2."""


class CommandError(Exception):
    """A command that could not do its job: exit code 1."""


def plural(count: int, word: str) -> str:
    """``1 step``, ``2 steps``: a count and its noun."""
    return f"{count} {word}{'' if count == 1 else 's'}"


# --- argument types: a bad value is argparse's usage error (exit 2) -----------


def integer_in(low: int, high: int | None = None, hint: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high] (no upper bound when ``high`` is None)."""
    bounds = f"{low} or more" if high is None else f"{low} to {high}"

    def parse_integer(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if number < low or (high is not None and number > high):
            raise argparse.ArgumentTypeError(f"give {bounds}{hint}, got {number}")
        return number

    return parse_integer


def number_in(low: float, high: float | None = None, *, low_open: bool = False,
              high_open: bool = False, what: str = "the value") -> Callable[[str], float]:
    """An argparse type: a finite number in the interval from ``low`` to ``high``, ends open or closed."""
    upper = "" if high is None else f"{high:g}{')' if high_open else ']'}"
    interval = (f"{'(' if low_open else '['}{low:g}, {upper}" if high is not None
                else f"{'>' if low_open else '>='} {low:g}")

    def parse_number(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        above = number > low if low_open else number >= low
        below = high is None or (number < high if high_open else number <= high)
        if not (above and below and math.isfinite(number)):
            raise argparse.ArgumentTypeError(f"{what} must be a finite number "
                                             f"{'in ' if high is not None else ''}{interval}, got {text}")
        return number

    return parse_number


# --- Graphviz -------------------------------------------------------------------

GRAPHVIZ_MISSING = "Graphviz's `dot` program is not installed (Debian/Ubuntu: apt-get install graphviz)"
GRAPH_FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot"}


@contextmanager
def graphviz_needed(hint: str) -> Iterator[None]:
    """Graphviz failing inside the block becomes a CommandError: how to install it, then ``hint``."""
    import graphviz

    try:
        yield
    except graphviz.ExecutableNotFound:
        raise CommandError(f"{GRAPHVIZ_MISSING}; {hint}") from None
    except graphviz.CalledProcessError as error:
        raise CommandError(f"Graphviz failed: {error}") from None


def require_graphviz(hint: str) -> None:
    """Fail at once, before any work is done, when Graphviz's ``dot`` cannot be run."""
    import graphviz

    with graphviz_needed(hint):
        graphviz.version()


def render_graph(digraph: "graphviz.Digraph", suffix: str, hint: str) -> bytes:
    """A graphviz Digraph as SVG, PNG or DOT bytes, by the output's ``suffix``."""
    if suffix == ".dot":
        return digraph.source.encode("utf-8")
    with graphviz_needed(hint):
        return digraph.pipe(format=GRAPH_FORMATS[suffix])


# --- outputs ----------------------------------------------------------------------


def output_path(text: str | None, suffixes: Sequence[str], option: str = "-o") -> Path | None:
    """The file named by ``option``, checked to end in one of ``suffixes`` and not to be a directory."""
    if text is None:
        return None
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {text}: the file name must end in {' or '.join(suffixes)}")
    if path.is_dir():
        raise UsageError(f"{option} {text} is a directory")
    return path


def output_directory(text: str, option: str = "--out") -> Path:
    """The directory named by ``option``: it may exist, but not as a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path} exists and is not a directory")
    return path


def write_outputs(outputs: dict[Path, bytes | str]) -> list[Path]:
    """Write every prepared output atomically; the paths written, in order."""
    written = []
    for path, content in outputs.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, content)
        except OSError as error:
            raise CommandError(f"cannot write {path}: {error.strerror or error}") from None
        written.append(path)
    return written


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B"


def report(written: Sequence[Path], header: str = "wrote") -> None:
    """Print ``header`` and each file written with its size."""
    print(header)
    width = max(len(str(path)) for path in written)
    for path in written:
        print(f"  {str(path):<{width}}  {_size(path)}")


# --- help text ----------------------------------------------------------------------


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples (descriptions are wrapped by ``wrap``)."""


def wrap(text: str) -> str:
    """A paragraph of help, its lines filled to 78 columns."""
    return textwrap.fill(" ".join(text.split()), width=78)


# --- expressions: draw and trace ----------------------------------------------------


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """The expression and its ``--set NAME=VALUE`` values."""
    parser.add_argument(
        "expression",
        help="an expression such as 'tanh(x*w + b)': numbers, names, + - * / **, unary -, "
             "and exp log sqrt abs tanh sigmoid relu leaky_relu (quote it for the shell; "
             "put -- before an expression that starts with '-')")
    parser.add_argument(
        "--set", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
        help="the value of each name in the expression, e.g. --set x=2 w=-3 b=6.88")


def build_expression(args: argparse.Namespace) -> tuple["Expression", "Value", dict[str, "Value"]]:
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


def print_value_and_grads(source: str, root: "Value", leaves: dict[str, "Value"]) -> None:
    """``f = EXPR = value``, then df/dx for every name."""
    name = root.label if root.label and not root.is_leaf else "f"
    print(f"{name} = {source.strip()} = {root.data:.6g}")
    if not leaves:
        return
    width = max(len(leaf_name) for leaf_name in leaves) + len(name) + 4
    for leaf_name, leaf in leaves.items():
        print(f"  {f'd{name}/d{leaf_name}':<{width}} = {leaf.grad:.6g}")
