"""The ``tracegrad`` command line: draw, trace, train and demo.

::

    tracegrad draw "tanh(x*w + b)" --set x=2 w=-3 b=6.88 -o neuron.svg
    tracegrad trace "tanh(x*w + b)" --set x=2 w=-3 b=6.88 -o steps.html
    tracegrad train moons --hidden 16,16 --epochs 60 --out runs/moons
    tracegrad demo --out tracegrad-demo

One module per command (``draw``, ``trace``, ``train``, ``demo``), each with
``add_parser`` and ``run``; ``common`` holds what they share.

Exit codes: 0 success, 1 failure (a file could not be written, Graphviz is
missing, training diverged ...), 2 bad usage (an unknown option, a bad value,
a refused expression, a missing value). Errors go to stderr, results to
stdout. Every output is rendered in memory and then written atomically, so
nothing is written when a command fails before its outputs are ready.

Heavy imports (graphviz, matplotlib, the drawing code) happen inside the
commands, so ``tracegrad --help`` and refused expressions answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Sequence

from ..expression import ExpressionError
from . import demo, draw, trace, train
from .common import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, PROG, CommandError, Formatter, UsageError

__all__ = ["main", "build_parser"]

COMMANDS = (draw, trace, train, demo)


class _Parser(argparse.ArgumentParser):
    """The top-level parser: an unknown option is reported with its command's usage."""

    commands: dict[str, argparse.ArgumentParser]

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        # argparse hands a command's unrecognised arguments up to the top-level
        # parser, whose usage ("tracegrad COMMAND ...") would not help.
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command_parser = getattr(self, "commands", {}).get(getattr(parsed, "command", None), self)
            command_parser.error(f"unrecognized arguments: {' '.join(extras)}")
        return parsed


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tracegrad`` and its four commands."""
    parser = _Parser(
        prog=PROG,
        formatter_class=Formatter,
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
    parser.commands = {command.__name__.rpartition(".")[2]: command.add_parser(commands)
                       for command in COMMANDS}
    return parser


def _version() -> str:
    try:
        return version("tracegrad")
    except PackageNotFoundError:  # not installed: running from a source tree
        return "unknown"


def _error(where: str, message: str, code: int) -> int:
    print(f"{where}: error: {message}", file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tracegrad`` console script; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: --help (0) or bad usage (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    where = f"{PROG} {args.command}"
    try:
        return handler(args)
    except (ExpressionError, UsageError) as error:
        return _error(where, str(error), EXIT_USAGE)
    except CommandError as error:
        return _error(where, str(error), EXIT_FAILURE)
    except KeyboardInterrupt:
        print(f"{where}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `tracegrad trace ... | head`: the reader left; stop quietly
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as error:  # a bug or an unexpected failure: say so briefly
        if args.debug:
            raise
        return _error(where, f"{type(error).__name__}: {error} "
                             f"(run '{PROG} --debug {args.command} ...' for the traceback)", EXIT_FAILURE)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
