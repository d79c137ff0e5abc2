"""``tracegrad draw EXPR --set ... -o graph.svg``: an expression's value, gradients and graph."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import (
    EXIT_OK,
    GRAPH_FORMATS,
    N_,
    _,
    add_command,
    add_expression_arguments,
    build_expression,
    print_value_and_grads,
    render_graph,
    refuse_missing_folder,
    report,
    require_graphviz,
    with_language,
)
from .outputs import output_path, write_outputs

if TYPE_CHECKING:
    from .common import Subcommands

GRAPHVIZ_HINT = N_("draw needs it for .svg and .png; -o FILE.dot needs no Graphviz")


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``draw`` and its options."""
    parser = add_command(
        commands, "draw", run,
        summary=_("compute an expression and its gradients; draw its graph"),
        description=_("Compute an expression and the gradient of its value with respect to each name, "
                      "print them, and draw the computation graph (every node with its value and "
                      "gradient) to an .svg, .png or .dot file."),
        epilog=_("example:") + "\n  tracegrad draw \"tanh(x*w + b)\" --set x=2 w=-3 b=6.88 -o neuron.svg")
    add_expression_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE",
                        help=_("the graph file to write: .svg, .png or .dot (by its suffix)"))
    parser.add_argument("--rankdir", choices=("LR", "TB"), default="LR",
                        help=_("lay the graph out left to right or top to bottom (default: LR)"))
    parser.add_argument("--hide-constants", action="store_true",
                        help=_("fold number constants into the nodes that use them"))
    parser.add_argument("--edge-labels", action="store_true",
                        help=_("label each edge with its local derivative"))
    return parser


def run(args: argparse.Namespace) -> int:
    """Print the value and gradients; with ``-o``, write the graph."""
    refuse_missing_folder(args.output)
    output = output_path(args.output, tuple(GRAPH_FORMATS))
    expression, root, leaves = build_expression(args)
    if output is not None and output.suffix.lower() != ".dot":
        require_graphviz(GRAPHVIZ_HINT)
    print_value_and_grads(expression.source, root, leaves)
    if output is None:
        print(_("(add -o graph.svg to draw the graph)"))
        return EXIT_OK
    from autograd import draw

    digraph = with_language(draw, root, rankdir=args.rankdir, hide_constants=args.hide_constants,
                   edge_labels=args.edge_labels)
    report(write_outputs({output: render_graph(digraph, output.suffix.lower(), GRAPHVIZ_HINT)}))
    return EXIT_OK
