"""The ``tracegrad`` command line: draw, trace, train, demo and glossary.

::

    tracegrad draw "tanh(x*w + b)" --set x=2 w=-3 b=6.88 -o neuron.svg
    tracegrad trace "tanh(x*w + b)" --set x=2 w=-3 b=6.88 -o steps.html
    tracegrad train moons --hidden 16,16 --epochs 60 --out runs/moons
    tracegrad demo --out tracegrad-demo
    tracegrad demo --data sales.csv --out my-shop
    tracegrad glossary --out handouts

One module per command (``draw``, ``trace``, ``train``, ``demo``, ``glossary``), each with
``add_parser`` and ``run``; ``common`` holds what they share.

Exit codes: 0 success, 1 failure (a file could not be written, Graphviz is
missing, training diverged ...), 2 bad usage (an unknown option, a bad value,
a refused expression, a missing value, an output that cannot be written),
130 Ctrl-C, 143 SIGTERM. Errors go to stderr, results to stdout.

Every command speaks English or Chinese: ``--lang {en,zh}`` (on the top level
or on the command), else the environment (``TRACEGRAD_LANG``, then the locale:
``LANG=zh_CN.UTF-8`` means Chinese). The help, argparse's own words, the
errors, what is printed, the plots and the pages are all in that language
(the ``app`` catalogue, ``autograd/locale``); numbers, formulas, names and
option names stay as they are. An unknown ``TRACEGRAD_LANG`` stops a command
run without ``--lang`` (exit 2, saying so in English); ``--lang`` and
``--help`` still work. A missing catalogue leaves its messages in English,
with one warning.

Outputs are all or nothing (``outputs``): every output path is checked before
any work starts; the files are rendered in memory, staged beside their
targets and moved into place only when all are written, so a failure, Ctrl-C
or SIGTERM leaves the previous files as they were and no temporary file.

Heavy imports (graphviz, matplotlib, the drawing code) happen inside the
commands, so ``tracegrad --help`` and refused expressions answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from importlib.metadata import PackageNotFoundError, version
from typing import Callable, Iterator, Sequence, TextIO

from autograd.i18n import CatalogueMissingWarning, current, language

from ..expression import ExpressionError
from . import course, demo, draw, glossary, trace, train
from .common import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    EXIT_USAGE,
    PROG,
    CommandError,
    Formatter,
    Parser,
    UsageError,
    _,
    add_language_argument,
    argparse_speaks_our_language,
    language_asked,
)
from .outputs import Terminated, terminate_cleanly

__all__ = ["main", "build_parser"]

COMMANDS = (draw, trace, train, demo, glossary, course)


class _Parser(Parser):
    """The top-level parser: an unknown option is reported with its command's usage."""

    commands: dict[str, argparse.ArgumentParser]

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        # argparse hands a command's unrecognised arguments up to the top-level
        # parser, whose usage ("tracegrad COMMAND ...") would not help.
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            command_parser = getattr(self, "commands", {}).get(getattr(parsed, "command", None), self)
            command_parser.error(_("unrecognized arguments: %s") % " ".join(extras))
        return parsed


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tracegrad`` and its commands, its help in the current language."""
    parser = _Parser(
        prog=PROG,
        formatter_class=Formatter,
        description=_("Watch backpropagation happen, node by node."),
        epilog=_("examples:") + "\n"
               "  tracegrad demo                       # " + _("the ice-cream walkthrough, into ./tracegrad-demo/")
               + "\n"
               "  tracegrad draw \"tanh(x*w + b)\" --set x=2 w=-3 b=6.88 -o neuron.svg\n"
               "  tracegrad trace \"x*y + y\" --set x=2 y=3 -o steps.html\n"
               "  tracegrad train xor\n\n"
               + _("Run 'tracegrad COMMAND --help' for the options of a command."))
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}",
                        help=_("show program's version number and exit"))
    parser.add_argument("--debug", action="store_true", help=_("show a full traceback on failure"))
    add_language_argument(parser)
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
    print(_("{where}: error: {message}").format(where=where, message=message), file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tracegrad`` console script; returns the exit code."""
    _survive_any_encoding()
    arguments = sys.argv[1:] if argv is None else list(argv)
    asked = language_asked(arguments)
    unknown_language = None
    try:
        current()
    except ValueError as error:  # TRACEGRAD_LANG=fr: parse in English; only a run without --lang stops
        unknown_language = None if asked else str(error)
    # The help is written while the parser is built: choose the language first.
    with language(asked or ("en" if unknown_language else None)), argparse_speaks_our_language(), \
            _warnings_as_messages():
        return _run(arguments, unknown_language)


def _run(arguments: list[str], unknown_language: str | None) -> int:
    """Parse the arguments and run the command, in the language chosen."""
    parser = build_parser()
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_:  # argparse: --help (0) or bad usage (2)
        if exit_.code == 0 and unknown_language is not None:
            print(_("{where}: warning: {message} (writing in English)").format(
                where=PROG, message=unknown_language), file=sys.stderr)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Callable[[argparse.Namespace], int] = args.handler
    where = f"{PROG} {args.command}"
    chosen = getattr(args, "lang", None)
    if unknown_language is not None and chosen is None:
        return _error(PROG, _("{message}: unset it, or give --lang en or --lang zh").format(
            message=unknown_language), EXIT_USAGE)
    with language(chosen):
        return _handle(handler, args, where)


@contextlib.contextmanager
def _warnings_as_messages() -> Iterator[None]:
    """A missing catalogue is told as ``tracegrad: warning: ...`` on stderr; other warnings as Python shows them."""
    shown_before = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: TextIO | None = None, line: str | None = None) -> None:
        if issubclass(category, CatalogueMissingWarning):
            print(f"{PROG}: warning: {message}", file=sys.stderr)
        else:
            shown_before(message, category, filename, lineno, file, line)

    with warnings.catch_warnings():
        warnings.showwarning = show
        yield


def _handle(handler: Callable[[argparse.Namespace], int], args: argparse.Namespace, where: str) -> int:
    """Run ``handler``; each way it can fail becomes a message on stderr and an exit code."""
    try:
        with terminate_cleanly():
            return handler(args)
    except (ExpressionError, UsageError) as error:
        return _error(where, str(error), EXIT_USAGE)
    except CommandError as error:
        return _error(where, str(error), EXIT_FAILURE)
    except KeyboardInterrupt:
        print(_("{where}: interrupted").format(where=where), file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(_("{where}: terminated").format(where=where), file=sys.stderr)
        return EXIT_TERMINATED
    except BrokenPipeError:  # `tracegrad trace ... | head`: the reader left; stop quietly
        _silence_stdout()
        return EXIT_FAILURE
    except Exception as error:  # a bug or an unexpected failure: say so briefly
        if args.debug:
            raise
        return _error(where, _("{kind}: {error} (run '{command}' for the traceback)").format(
            kind=type(error).__name__, error=error, command=f"{PROG} --debug {args.command} ..."), EXIT_FAILURE)


def _survive_any_encoding() -> None:
    """Write what stdout's encoding cannot show as escapes (``\\u2190``), never fail on it.

    Steps and names use ``←``, ``∂`` and Chinese; a stdout in ASCII or
    Latin-1 (a pipe, ``PYTHONIOENCODING=ascii``) would otherwise stop the
    command half-way with UnicodeEncodeError.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("_", "-")
        if reconfigure is not None and encoding not in ("utf-8", "utf8"):
            reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that flushing it at exit raises no second BrokenPipeError."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
