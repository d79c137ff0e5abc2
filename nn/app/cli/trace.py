"""``tracegrad trace EXPR --set ... -o steps.html``: backward one node at a time, and the stepper page."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import (
    EXIT_OK,
    Formatter,
    UsageError,
    add_expression_arguments,
    build_expression,
    graphviz_needed,
    output_path,
    plural,
    print_value_and_grads,
    report,
    require_graphviz,
    wrap,
    write_outputs,
)

if TYPE_CHECKING:
    from .common import Subcommands

GRAPHVIZ_HINT = "trace needs it for the stepper page; without -o, trace prints the steps without Graphviz"


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``trace`` and its options."""
    parser = commands.add_parser(
        "trace", formatter_class=Formatter,
        help="step through backpropagation of an expression; write the stepper page",
        description=wrap("Print the backward pass of an expression one node at a time (what "
                         "each node multiplies and passes to its inputs) and write a "
                         "self-contained HTML page that steps through it on the graph."),
        epilog="example:\n  tracegrad trace \"tanh(x*w + b)\" --set x=2 w=-3 b=6.88 -o steps.html")
    add_expression_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE.html", help="the stepper page to write")
    parser.add_argument("--wrt", metavar="NAME",
                        help="also explain d(output)/d(NAME) as a sum over paths of the chain rule")
    parser.set_defaults(handler=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Print every backward step (and, with ``--wrt``, the paths); with ``-o``, write the page."""
    output = output_path(args.output, (".html", ".htm"))
    expression, root, leaves = build_expression(args)
    if args.wrt is not None and args.wrt not in leaves:
        raise UsageError(f"--wrt {args.wrt}: not a name of the expression "
                         f"(its names: {', '.join(leaves) or 'none'})")
    if output is not None:
        require_graphviz(GRAPHVIZ_HINT)
    print_value_and_grads(expression.source, root, leaves)
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
        return EXIT_OK
    from autograd import html_page

    with graphviz_needed(GRAPHVIZ_HINT):
        page = html_page(root)
    report(write_outputs({output: page}))
    return EXIT_OK
