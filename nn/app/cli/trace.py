"""``tracegrad trace EXPR --set ... [--follow NAME] [--lr RATE --params NAME ...] -o steps.html``: forward and
backward one node at a time, each step explained; the gradient of one name followed; the update of exactly
the names given by ``--params`` (gradient descent changes parameters, never data); the stepper page."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import (
    EXIT_OK,
    UsageError,
    add_command,
    add_expression_arguments,
    build_expression,
    N_,
    _,
    graphviz_needed,
    ngettext,
    number_in,
    print_value_and_grads,
    refuse_missing_folder,
    report,
    require_graphviz,
    with_language,
)
from .outputs import output_path, write_outputs

if TYPE_CHECKING:
    from autograd import Stepper, Value

    from .common import Subcommands

GRAPHVIZ_HINT = N_("trace needs it for the stepper page; without -o, trace prints the steps without Graphviz")


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``trace`` and its options."""
    parser = add_command(
        commands, "trace", run,
        summary=_("step through forward and backward of an expression; write the stepper page"),
        description=_("Print the forward pass of an expression one node at a time (each value and "
                      "the local derivatives it records), then the backward pass (what each node "
                      "multiplies and passes to its inputs, explained in a sentence), and write a "
                      "self-contained HTML page that steps through both on the graph. --follow "
                      "NAME keeps to the steps that add to NAME's gradient, with the running sum; "
                      "--lr RATE --params NAME ... ends with the gradient-descent update of exactly "
                      "those names; the other names are data and keep their values."),
        epilog=_("examples:") + "\n"
               "  tracegrad trace \"tanh(x*w + b)\" --set x=2 w=-3 b=6.88 -o steps.html\n"
               "  tracegrad trace \"L = (relu(w*x + b) - y)**2\" --set w=0.5 x=2 b=0 y=3 --follow b\n"
               "  tracegrad trace \"L = (w*x + b - y)**2\" --set w=0.5 x=2 b=0 y=3 --lr 0.1 --params w b")
    add_expression_arguments(parser)
    parser.add_argument("-o", "--output", metavar="FILE.html", help=_("the stepper page to write"))
    parser.add_argument("--follow", metavar="NAME",
                        help=_("show only the backward steps that add to NAME's gradient, with the running sum"))
    parser.add_argument("--lr", type=number_in(0.0, 10.0, low_open=True, what=N_("the learning rate")),
                        metavar="RATE",
                        help=_("end with the update p <- p - RATE * grad of the names given by --params, "
                               "and the value after it (needs --params)"))
    parser.add_argument("--params", nargs="+", action="extend", metavar="NAME",
                        help=_("the parameters that --lr updates, e.g. --params w b; the other names "
                               "(inputs, targets) are data and keep their values"))
    parser.add_argument("--wrt", metavar="NAME",
                        help=_("also explain d(output)/d(NAME) as a sum over paths of the chain rule"))
    return parser


def run(args: argparse.Namespace) -> int:
    """Print forward, backward (or the followed steps), the update and the paths; with ``-o``, write the page."""
    refuse_missing_folder(args.output)
    output = output_path(args.output, (".html", ".htm"))
    expression, root, leaves = build_expression(args)
    wrt, follow = (variable(leaves, option, name) for option, name in (("--wrt", args.wrt),
                                                                      ("--follow", args.follow)))
    params = chosen_params(args, leaves)
    if output is not None:
        require_graphviz(GRAPHVIZ_HINT)
    print_value_and_grads(expression, root, leaves)
    from autograd import Stepper, explain

    stepper = Stepper(root, follow=follow, lr=args.lr, params=params)
    timeline = stepper.timeline
    frames = {kind: [index for index in range(len(stepper)) if timeline.kind(index) == kind]
              for kind in ("forward", "backward", "update")}
    print()
    forward = len(frames["forward"])
    print(ngettext("forward, one node at a time ({count} step):",
                   "forward, one node at a time ({count} steps):", forward).format(count=forward))
    if not frames["forward"]:
        print(_("  {expression} is a single name: nothing to compute").format(expression=expression.body))
    print_frames(stepper, frames["forward"])
    print()
    backward = len(frames["backward"])
    if follow is None:
        print(ngettext("backward, one node at a time ({count} step):",
                       "backward, one node at a time ({count} steps):", backward).format(count=backward))
        print_frames(stepper, frames["backward"])
    else:
        followed = stepper.follow_frames
        print(_("backward, only the steps that add to {name}'s gradient ({count} of {total}; "
                "leave out --follow to see every step):").format(name=args.follow, count=len(followed),
                                                                  total=backward))
        print_frames(stepper, followed)
    if frames["update"]:
        print()
        print_frames(stepper, frames["update"])
    if wrt is not None:
        print()
        print(with_language(explain, root, wrt=wrt))
    if output is None:
        print(_("(add -o steps.html to write the stepper page)"))
        return EXIT_OK
    from autograd import html_page

    with graphviz_needed(GRAPHVIZ_HINT):
        page = with_language(html_page, root, follow=follow, lr=args.lr, params=params)
    report(write_outputs({output: page}))
    return EXIT_OK


def chosen_params(args: argparse.Namespace, leaves: dict[str, "Value"]) -> "list[Value] | None":
    """The leaves ``--params`` names (None without ``--lr``); a UsageError for ``--lr`` without it, or the reverse.

    A bare expression cannot tell its parameters from its data (``x``, ``y``):
    the learner names them, so that the update never moves an input or a target.
    """
    names = list(dict.fromkeys(args.params or []))
    if args.lr is None:
        if names:
            raise UsageError(_("--params {names}: only --lr RATE updates parameters; add --lr, "
                               "e.g. --lr 0.1").format(names=" ".join(names)))
        return None
    if not names:
        raise UsageError(_("--lr needs --params: name the parameters gradient descent may change, "
                           "e.g. --lr {lr} --params {example} (the expression's names: {names}); "
                           "inputs and targets are data and never change").format(
            lr=f"{args.lr:g}", example=" ".join(_example_params(leaves)), names=", ".join(leaves)))
    return [variable(leaves, "--params", name) for name in names]  # type: ignore[misc]


def _example_params(leaves: dict[str, "Value"]) -> list[str]:
    """Names that look like parameters (w…, b…), for the hint; else the first name."""
    found = [name for name in leaves if name[:1] in ("w", "b", "θ") or name.startswith(("weight", "bias", "权重", "偏置"))]
    return found[:3] or list(leaves)[:1] or ["w"]


def variable(leaves: dict[str, "Value"], option: str, name: str | None) -> "Value | None":
    """The leaf called ``name`` (None when the option is not given); a UsageError when there is none."""
    if name is None:
        return None
    if name not in leaves:
        raise UsageError(_("{option} {name}: not a name of the expression (its names: {names})").format(
            option=option, name=name, names=", ".join(leaves) or _("none")))
    return leaves[name]


def print_frames(stepper: "Stepper", frames: list[int]) -> None:
    """The text of each frame, as the stepper page shows it."""
    for index in frames:
        print(stepper.frame_text(index))
