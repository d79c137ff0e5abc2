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

from ..i18n import N_, Catalogue

if TYPE_CHECKING:
    import graphviz

DOT_TIMEOUT = 60.0  # seconds for one layout; the Jupyter display uses DISPLAY_TIMEOUT
_ = Catalogue("views").gettext
# How to install Graphviz (marked here, translated where shown).
INSTALL = N_("install Graphviz, e.g. `sudo apt-get install graphviz`, `brew install graphviz` "
             "or `conda install graphviz`")


class DotFailed(RuntimeError):
    """Graphviz's ``dot`` could not draw the graph: missing, failed, or past its time limit.

    ``reason`` says which, in any language: ``"missing"`` (no ``dot`` on the PATH), ``"timeout"``
    or ``"failed"``.
    """

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason


def render_svg(graph: "graphviz.Digraph", timeout: float | None = None) -> str:
    """The SVG text of ``graph``, laid out by ``dot`` within ``timeout`` seconds (DotFailed otherwise)."""
    limit = DOT_TIMEOUT if timeout is None else timeout
    program = shutil.which("dot")
    if program is None:
        raise DotFailed(_("Graphviz's `dot` program was not found, so the graph is not drawn: {install}.").format(
            install=_(INSTALL)), "missing")
    try:
        done = subprocess.run(
            [program, "-Tsvg"], input=graph.source.encode("utf-8"), capture_output=True, timeout=limit,
            env={**os.environ},
        )
    except subprocess.TimeoutExpired:
        raise DotFailed(
            _("Graphviz's `dot` took longer than {limit} s to lay out {lines} lines of graph, so it was stopped: "
              "draw less (collapse='layers', hide_constants=True) or render it yourself with "
              "autograd.draw(...).render().").format(limit=f"{limit:g}", lines=f"{graph.source.count(chr(10)):,}"),
            "timeout",
        ) from None
    except OSError as error:
        raise DotFailed(_("Graphviz's `dot` could not be run ({error}): {install}.").format(
            error=error, install=_(INSTALL))) from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = message[-1] if message else _("exit status {code}").format(code=done.returncode)
        raise DotFailed(_("Graphviz's `dot` failed ({detail}), so the graph is not drawn.").format(detail=detail))
    return done.stdout.decode("utf-8")
