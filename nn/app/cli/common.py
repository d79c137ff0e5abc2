"""What the commands of ``tracegrad`` share: errors and exit codes, argument
types, Graphviz, writing and reporting outputs, and the expression arguments
of ``draw`` and ``trace``."""

from __future__ import annotations

import argparse
import itertools
import math
import os
import re
import sys
import textwrap
import unicodedata
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NoReturn, Sequence

from autograd.i18n import LANGUAGES, N_, Catalogue, current
from autograd.viz.text import columns

from .._language import with_language
from ..expression import parse, parse_assignments

if TYPE_CHECKING:
    import graphviz

    from autograd import Value

    from ..expression import Expression

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

PROG = "tracegrad"

_ = Catalogue("app").gettext
ngettext = Catalogue("app").ngettext

#: Exit codes: success, a command that could not do its job, bad usage, Ctrl-C, SIGTERM.
EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143


class UsageError(Exception):
    """Bad usage found after argument parsing: exit code 2."""


class CommandError(Exception):
    """A command that could not do its job: exit code 1."""


# --- argparse in the reader's language ------------------------------------------------
#
# argparse writes its own words ("usage:", "options", "invalid choice: ...")
# through its module-level ``_`` and ``ngettext``. ``argparse_speaks_our_language``
# lends it this catalogue's (inside ``main`` only); the Parser and Formatter below
# translate the titles and prefixes they build even where argparse is not lent them.

#: argparse's own messages, as argparse writes them: the catalogue holds their Chinese.
ARGPARSE_MESSAGES = (
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("%(prog)s: error: %(message)s\n"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("unrecognized arguments: %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("not allowed with argument %s"),
    N_("ignored explicit argument %r"),
    N_("unexpected option string: %s"),
    N_("can't open '%(filename)s': %(error)s"),
    N_("unknown parser %(parser_name)r (choices: %(choices)s)"),
)


def _argparse_plural_messages() -> None:
    """Marks argparse's one plural message for the catalogue (argparse asks for it itself)."""
    ngettext("expected %s argument", "expected %s arguments", 2)


def _argparse_gettext(message: str) -> str:
    return _(message) if message else message


@contextmanager
def argparse_speaks_our_language() -> Iterator[None]:
    """Inside the block argparse's own words come from the ``app`` catalogue (restored after)."""
    saved = argparse._, argparse.ngettext  # type: ignore[attr-defined]
    argparse._, argparse.ngettext = _argparse_gettext, ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._, argparse.ngettext = saved  # type: ignore[attr-defined]


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose titles, help option and error line are in the current language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = _("positional arguments")
        self._optionals.title = _("options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = _("show this help message and exit")

    def error(self, message: str) -> NoReturn:
        """The usage, then ``PROG: error: MESSAGE`` on stderr; exit code 2."""
        message = _translate_argument_prefix(message)
        self.print_usage(sys.stderr)
        self.exit(2, _("%(prog)s: error: %(message)s\n") % {"prog": self.prog, "message": message})


#: ``argument NAME: MESSAGE`` as Python 3.10's ArgumentError writes it: never through ``_``.
_ARGUMENT_PREFIX = re.compile(r"argument (?P<argument_name>.+?): (?P<message>.*)", re.DOTALL)


def _translate_argument_prefix(message: str) -> str:
    """``argument NAME: ...`` in the current language, on every Python.

    Python 3.11 translates the prefix through ``argparse._``; 3.10 writes it in
    English whatever the language (``argument COMMAND: 无效的选择：...``).
    """
    untranslated = _ARGUMENT_PREFIX.fullmatch(message)
    if untranslated is None:
        return message
    return _("argument %(argument_name)s: %(message)s") % untranslated.groupdict()


def add_language_argument(parser: argparse.ArgumentParser) -> None:
    """``--lang {en,zh}``: the language of what the command prints and writes (default: the environment)."""
    parser.add_argument(
        "--lang", choices=list(LANGUAGES), default=argparse.SUPPRESS,
        help=_("the language of messages, help and pages: en (English) or zh (Chinese); "
               "default: from TRACEGRAD_LANG or the locale (LANG=zh_CN.UTF-8 means zh), now {lang}")
        .format(lang=current()))


def language_asked(argv: Sequence[str]) -> str | None:
    """The language that ``--lang`` asks for in ``argv``, read before parsing (the help is built in it).

    The last ``--lang X`` / ``--lang=X`` (or an abbreviation, ``--la zh``) before ``--`` wins;
    None when there is none or its value is not a language (the parser reports that).
    """
    asked = None
    arguments = list(argv)
    for index, argument in enumerate(arguments):
        if argument == "--":
            break
        option, equals, value = argument.partition("=")
        if len(option) < 4 or not "--lang".startswith(option):
            continue
        if not equals:
            value = arguments[index + 1] if index + 1 < len(arguments) else ""
        asked = value if value in LANGUAGES else asked
    return asked


# --- argument types: a bad value is argparse's usage error (exit 2) -----------


def integer_in(low: int, high: int | None = None, hint: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high] (no upper bound when ``high`` is None).

    ``hint`` (marked with ``N_``, translated when shown) explains a special value."""

    def parse_integer(text: str) -> int:
        try:
            number = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_("{text!r} is not a whole number").format(text=text)) from None
        if number < low or (high is not None and number > high):
            bounds = (_("{low} or more").format(low=low) if high is None
                      else _("{low} to {high}").format(low=low, high=high))
            if hint:
                raise argparse.ArgumentTypeError(_("give {bounds} ({hint}), got {number}").format(
                    bounds=bounds, hint=_(hint), number=number))
            raise argparse.ArgumentTypeError(_("give {bounds}, got {number}").format(bounds=bounds, number=number))
        return number

    return parse_integer


def number_in(low: float, high: float | None = None, *, low_open: bool = False,
              high_open: bool = False, what: str = N_("the value")) -> Callable[[str], float]:
    """An argparse type: a finite number in the interval from ``low`` to ``high``, ends open or closed.

    ``what`` names the value (marked with ``N_``, translated when shown)."""
    upper = "" if high is None else f"{high:g}{')' if high_open else ']'}"
    interval = (f"{'(' if low_open else '['}{low:g}, {upper}" if high is not None
                else f"{'>' if low_open else '>='} {low:g}")

    def parse_number(text: str) -> float:
        try:
            number = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(_("{text!r} is not a number").format(text=text)) from None
        above = number > low if low_open else number >= low
        below = high is None or (number < high if high_open else number <= high)
        if not (above and below and math.isfinite(number)):
            message = (_("{what} must be a finite number in {interval}, got {text}") if high is not None
                       else _("{what} must be a finite number {interval}, got {text}"))
            raise argparse.ArgumentTypeError(message.format(what=_(what), interval=interval, text=text))
        return number

    return parse_number


# --- Graphviz -------------------------------------------------------------------

GRAPHVIZ_MISSING = N_("Graphviz's `dot` program is not installed (Debian/Ubuntu: apt-get install graphviz; "
                      "macOS: brew install graphviz; conda: conda install graphviz)")
GRAPH_FORMATS = {".svg": "svg", ".png": "png", ".dot": "dot"}


@contextmanager
def graphviz_needed(hint: str) -> Iterator[None]:
    """Graphviz failing inside the block becomes a CommandError: how to install it, then ``hint``
    (marked with ``N_``, translated here)."""
    import graphviz

    from autograd import DotFailed

    try:
        yield
    except graphviz.ExecutableNotFound:
        raise CommandError(_("{missing}; {hint}").format(missing=_(GRAPHVIZ_MISSING), hint=_(hint))) from None
    except graphviz.CalledProcessError as error:
        raise CommandError(_("Graphviz failed: {error}").format(error=error)) from None
    except DotFailed as error:  # the views' own dot runs: missing, broken or too slow
        raise CommandError(f"{error}; {_(hint)}") from None


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


def refuse_missing_folder(text: str | None, option: str = "-o") -> None:
    """A UsageError when the folder of the file ``option`` names does not exist: a typo in a path
    should not quietly become new folders (``-o /nonexistent/dir/n.svg``)."""
    if text is None:
        return
    folder = Path(text).parent
    if folder.exists():
        return
    ancestor = Path(os.path.abspath(folder))
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.is_dir():  # a file in the way is named by the output checks ("... is not a directory")
        raise UsageError(_("{option} {path}: the folder {folder} does not exist; create it first "
                           "(mkdir -p {folder}) or write into a folder that exists (nothing was done)").format(
            option=option, path=text, folder=folder))


def _size(path: Path) -> str:
    size = path.stat().st_size
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size} B"


def report(written: Sequence[Path], header: str | None = None) -> None:
    """Print ``header`` (default: "wrote") and each file written with its size."""
    print(_("wrote") if header is None else header)
    width = max(len(str(path)) for path in written)
    for path in written:
        print(f"  {str(path):<{width}}  {_size(path)}")


# --- help text ----------------------------------------------------------------------


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of descriptions and examples (descriptions are wrapped by ``wrap``);
    writes "usage:" in the current language."""

    def add_usage(self, usage: str | None, actions: Iterable[argparse.Action],
                  groups: Iterable[argparse._MutuallyExclusiveGroup], prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _("usage: ") if prefix is None else prefix)

    def _split_lines(self, text: str, width: int) -> list[str]:
        # argparse counts a Chinese character as one column; it takes two.
        if any(_is_wide(character) for character in text):
            return wrap(text, width).splitlines()
        return super()._split_lines(text, width)


def wrap(text: str, width: int = 78) -> str:
    """A paragraph of help, its lines filled to ``width`` columns.

    Chinese has no spaces between words: a line may break between any two
    Chinese characters (a wide character takes two columns), never inside a
    run of Latin letters, digits or symbols such as ``--follow``, and never
    before a closing punctuation mark such as ``，``.
    """
    text = " ".join(text.split())
    if not any(_is_wide(character) for character in text):
        return textwrap.fill(text, width=width)
    lines: list[str] = []
    line: list[str] = []
    for token in _tokens(text):
        if token == " " and not line:
            continue
        if line and columns("".join(line) + token) > width:
            # A closing mark may not start a line: the character before it goes down with it.
            carried = [line.pop()] if token in _NO_LINE_START and len(line) > 1 else []
            lines.append("".join(line).rstrip())
            line = [] if token == " " else [*carried, token]
        else:
            line.append(token)
    lines.append("".join(line).rstrip())
    return "\n".join(lines)


#: Punctuation that may not start a line of Chinese.
_NO_LINE_START = set("，。、；：！？）》」』”’")


def _tokens(text: str) -> list[str]:
    """Spaces, single wide characters, and runs of the other (narrow) characters."""
    tokens: list[str] = []
    for character in text:
        narrow = not _is_wide(character) and character != " "
        if narrow and tokens and tokens[-1] != " " and not _is_wide(tokens[-1][-1]):
            tokens[-1] += character
        else:
            tokens.append(character)
    return tokens


def _is_wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in "WF"


def add_command(commands: "Subcommands", name: str, run: Callable[[argparse.Namespace], int], *,
                summary: str, description: str, epilog: str | None = None) -> argparse.ArgumentParser:
    """A command's parser: its one-line ``summary`` in the list of commands, its ``description``
    (wrapped) and ``epilog`` (as written) in its help; ``run(args)`` does its work."""
    parser = commands.add_parser(name, formatter_class=Formatter, help=summary, description=wrap(description),
                                 epilog=epilog)
    parser.set_defaults(handler=run)
    add_language_argument(parser)
    return parser


# --- expressions: draw and trace ----------------------------------------------------


def add_expression_arguments(parser: argparse.ArgumentParser) -> None:
    """The expression and its ``--set NAME=VALUE`` values."""
    parser.add_argument(
        "expression",
        help=_("an expression such as 'tanh(x*w + b)': numbers, names, + - * / **, unary -, "
               "and exp log sqrt abs tanh sigmoid relu leaky_relu (quote it for the shell; "
               "put -- before an expression that starts with '-'); 'L = ...' names its value L "
               "(default: out)"))
    parser.add_argument(
        "--set", nargs="+", action="extend", default=[], metavar="NAME=VALUE",
        help=_("the value of each name in the expression, e.g. --set x=2 w=-3 b=6.88"))


def build_expression(args: argparse.Namespace) -> tuple["Expression", "Value", dict[str, "Value"]]:
    """Parse the expression and ``--set`` values; build and backpropagate its graph."""
    expression = parse(args.expression)
    try:
        values = parse_assignments(args.set)
    except ValueError as error:
        raise UsageError(f"--set: {error}") from None
    unused = [name for name in values if name not in expression.names]
    if unused:
        names = ", ".join(expression.names) or _("none")
        raise UsageError(_("--set gives {unused}, which the expression does not use (its names: {names})")
                         .format(unused=", ".join(unused), names=names))
    root, leaves = expression.build(values)
    if not root.is_leaf:
        root.label = expression.result or result_name(leaves)  # so steps read dL/dx
    root.backward()
    return expression, root, leaves


#: The names an unnamed expression's value is given, the first that no variable has (micrograd's ``out``;
#: never ``f``, the articles' name for an activation function). ``L = EXPR`` names it ``L``.
RESULT_NAMES = ("out", "result", "value")


def result_name(variables: Iterable[str]) -> str:
    """A name for an unnamed expression's value that is none of its variables' (``dout/dx``, never ``dx/dx``)."""
    taken = set(variables)
    candidates = itertools.chain(RESULT_NAMES, (f"out_{index}" for index in itertools.count(1)))
    return next(name for name in candidates if name not in taken)


def print_value_and_grads(source: "str | Expression", root: "Value", leaves: dict[str, "Value"]) -> None:
    """``L = EXPR = value`` (``out`` when the expression names no value), then dL/dx for every name."""
    expression = parse(source) if isinstance(source, str) else source
    name = expression.result or result_name(leaves)
    print(f"{name} = {expression.body} = {root.data:.6g}")
    if not leaves:
        return
    width = max(len(leaf_name) for leaf_name in leaves) + len(name) + 4
    for leaf_name, leaf in leaves.items():
        print(f"  {f'd{name}/d{leaf_name}':<{width}} = {leaf.grad:.6g}")
