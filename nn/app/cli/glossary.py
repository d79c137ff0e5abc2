"""``tracegrad glossary [--out DIR]``: the printable 中英术语表 (HTML and Markdown) from the glossary file."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from .common import EXIT_OK, _, add_command, ngettext, report
from .outputs import check_outputs, output_directory, write_outputs

if TYPE_CHECKING:
    from .common import Subcommands


def add_parser(commands: "Subcommands") -> argparse.ArgumentParser:
    """Register ``glossary`` and its options."""
    parser = add_command(
        commands, "glossary", run,
        summary=_("the Chinese-English glossary handout (HTML for A4, and Markdown)"),
        description=_("Write the articles' terms, English and Chinese side by side, as a page to print "
                      "on A4 (glossary.html) and as a Markdown table (glossary.md). The words are "
                      "exactly those of the glossary file the Chinese messages use."))
    parser.add_argument("--out", default=".", metavar="DIR",
                        help=_("the directory to write into (default: the current directory)"))
    return parser


def run(args: argparse.Namespace) -> int:
    """Render both handouts, then write them together (all or nothing)."""
    from ..glossary import HANDOUT_FILES, handout_files

    out = output_directory(args.out)
    check_outputs([out / name for name in HANDOUT_FILES])
    written = write_outputs(handout_files(out))
    report(written, ngettext("wrote {count} file into {folder}/:", "wrote {count} files into {folder}/:",
                             len(written)).format(count=len(written), folder=out))
    return EXIT_OK
