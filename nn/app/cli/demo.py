"""``tracegrad demo [--data TABLE.csv] [--out DIR]``: the ice-cream walkthrough (or the same on a
teacher's own rows), written into a directory."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .common import (
    EXIT_OK,
    GRAPHVIZ_MISSING,
    N_,
    PROG,
    UsageError,
    _,
    add_command,
    graphviz_needed,
    ngettext,
    report,
)
from .outputs import check_outputs, output_directory, write_outputs

if TYPE_CHECKING:
    from .common import Subcommands

GRAPHVIZ_HINT = N_("demo needs it for the graph and the stepper page; nothing was written")


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``demo`` and its options."""
    parser = add_command(
        commands, "demo", run,
        summary=_("the ice-cream walkthrough: graph, stepper page and plots"),
        description=_("Run the walkthrough of the ice-cream article: a 2-2-1 ReLU network "
                      "predicts ice-cream sales from temperature and weekday; the output bias "
                      "is found by brute force, then by gradient descent (each step's chain "
                      "rule printed), then with one weight, then all 9 parameters are "
                      "trained. Writes the graph (SVG), the stepper page (HTML), the plots "
                      "(PNG) and the story (text) into a directory."))
    parser.add_argument("--data", metavar="TABLE.csv",
                        help=_("tell the same story on your own rows: a CSV file with a header naming the "
                               "columns, the inputs first and the target last, numbers only, 2 to 50 rows"))
    parser.add_argument("--out", default="tracegrad-demo", metavar="DIR",
                        help=_("the directory to write into (default: ./tracegrad-demo)"))
    parser.add_argument("-q", "--quiet", action="store_true", help=_("print only the files written"))
    return parser


def run(args: argparse.Namespace) -> int:
    """Tell the story (unless ``--quiet``), then write its files.

    Without Graphviz's ``dot`` the walkthrough and the plots are written all
    the same; the graph and the stepper page are skipped, and stderr says so
    and how to install Graphviz.
    """
    from ..demo import TableError, lesson_from_table, output_files, read_table, run_demo

    lesson = None
    if args.data is not None:  # a bad table is refused before anything else is looked at
        try:
            lesson = lesson_from_table(read_table(args.data), source=args.data)
        except TableError as error:
            raise UsageError(str(error)) from None
    names = output_files(lesson)
    out = output_directory(args.out)
    check_outputs([out / name for name in names.values()])
    missing = _graphviz_missing()
    with graphviz_needed(GRAPHVIZ_HINT):
        outputs = run_demo(out, quiet=args.quiet, graphviz=not missing, lesson=lesson)
    written = write_outputs(outputs)
    report(written, ngettext("wrote {count} file into {folder}/:", "wrote {count} files into {folder}/:",
                             len(written)).format(count=len(written), folder=out))
    if missing:
        print(f"{PROG} demo: " + _("{missing}; skipped {files}, which need it").format(
            missing=missing, files=", ".join(str(out / names[role]) for role in ("graph", "page"))),
            file=sys.stderr)
        return EXIT_OK
    print(_("next: open {page} in a browser: forward, backward following the output bias, then the update")
          .format(page=out / names["page"]))
    return EXIT_OK


def _graphviz_missing() -> str:
    """Why Graphviz's ``dot`` cannot be run, with how to install it ('' when it can)."""
    import graphviz

    try:
        graphviz.version()
    except graphviz.ExecutableNotFound:
        return _(GRAPHVIZ_MISSING)
    except (graphviz.CalledProcessError, RuntimeError, OSError) as error:  # there, but broken
        return _("Graphviz failed: {error}").format(error=error)
    return ""
