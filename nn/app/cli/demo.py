"""``tracegrad demo [--out DIR]``: the ice-cream walkthrough, written into a directory."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import (
    EXIT_OK,
    Formatter,
    graphviz_needed,
    output_directory,
    report,
    require_graphviz,
    wrap,
    write_outputs,
)

if TYPE_CHECKING:
    from .common import Subcommands

GRAPHVIZ_HINT = "demo needs it for the graph and the stepper page; nothing was written"


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``demo`` and its options."""
    parser = commands.add_parser(
        "demo", formatter_class=Formatter,
        help="the ice-cream walkthrough: graph, stepper page and plots",
        description=wrap("Run the walkthrough of the ice-cream article: a 2-2-1 ReLU network "
                         "predicts ice-cream sales from temperature and weekday; the output bias "
                         "is found by brute force, then by gradient descent (each step's chain "
                         "rule printed), then with one weight, then all 9 parameters are "
                         "trained. Writes the graph (SVG), the stepper page (HTML), the plots "
                         "(PNG) and the story (text) into a directory."))
    parser.add_argument("--out", default="tracegrad-demo", metavar="DIR",
                        help="the directory to write into (default: ./tracegrad-demo)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the files written")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Tell the story (unless ``--quiet``), then write its files."""
    from ..demo import run_demo

    out = output_directory(args.out)
    require_graphviz(GRAPHVIZ_HINT)
    with graphviz_needed(GRAPHVIZ_HINT):
        outputs = run_demo(out, quiet=args.quiet)
    written = write_outputs(outputs)
    report(written, f"wrote {len(written)} files into {out}/:")
    print(f"next: open {out / 'icecream_stepper.html'} in a browser and step through backward")
    return EXIT_OK
