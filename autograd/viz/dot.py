"""Running Graphviz's ``dot`` with a time limit and a clean message when it cannot draw.

Every picture the views make themselves (the Jupyter display, the stepper,
the HTML page) goes through :func:`render_svg`: ``dot`` runs as a
subprocess with a time limit (``DOT_TIMEOUT`` seconds unless given), and
a missing, broken or too slow ``dot`` raises :class:`DotFailed`, a
``RuntimeError`` whose message says what happened and what to do; callers
that can show text instead (the display, the stepper) catch it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import graphviz

DOT_TIMEOUT = 60.0  # seconds for one layout; the Jupyter display uses DISPLAY_TIMEOUT
INSTALL = ("install Graphviz, e.g. `sudo apt-get install graphviz`, `brew install graphviz` "
           "or `conda install graphviz`")


class DotFailed(RuntimeError):
    """Graphviz's ``dot`` could not draw the graph: missing, failed, or past its time limit."""


def render_svg(graph: "graphviz.Digraph", timeout: float | None = None) -> str:
    """The SVG text of ``graph``, laid out by ``dot`` within ``timeout`` seconds (DotFailed otherwise)."""
    limit = DOT_TIMEOUT if timeout is None else timeout
    program = shutil.which("dot")
    if program is None:
        raise DotFailed(f"Graphviz's `dot` program was not found, so the graph is not drawn: {INSTALL}.")
    try:
        done = subprocess.run(
            [program, "-Tsvg"], input=graph.source.encode("utf-8"), capture_output=True, timeout=limit,
            env={**os.environ},
        )
    except subprocess.TimeoutExpired:
        raise DotFailed(
            f"Graphviz's `dot` took longer than {limit:g} s to lay out {graph.source.count(chr(10)):,} lines "
            f"of graph, so it was stopped: draw less (collapse='layers', hide_constants=True) or render "
            f"it yourself with autograd.draw(...).render()."
        ) from None
    except OSError as error:
        raise DotFailed(f"Graphviz's `dot` could not be run ({error}): {INSTALL}.") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else f"exit status {done.returncode}"
        raise DotFailed(f"Graphviz's `dot` failed ({detail}), so the graph is not drawn.")
    return done.stdout.decode("utf-8")
