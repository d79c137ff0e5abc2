"""Every colour of tracegrad's pictures, and the stepper's legend, defined once.

The drawing, the stepper's frame styles, the Jupyter widget and the HTML
page all read their colours here, so a state looks the same everywhere:
the current node orange on yellow, a node receiving gradient blue, a node
whose gradient is still accumulating dashed, a node not reached yet faded.
"""

from __future__ import annotations

from ..i18n import N_, Catalogue

_ = Catalogue("views").gettext

INK = "#1f2328"  # text
MUTED = "#57606a"  # secondary text, inner borders
GRAD_COLOR = "#b0281e"  # gradient text
DATA_COLOR = INK  # data text
DELTA_COLOR = "#8250df"  # the δ = ∂L/∂z badge of a weighted sum
EDGE_COLOR = "#6e7781"
EDGE_LABEL_COLOR = "#6639ba"
OK_COLOR = "#1a7f37"  # a gradient that central differences confirm
BAD_COLOR = "#cf222e"  # one they contradict
HIGHLIGHT = "#e66100"  # highlighted nodes, the stepper's current node and active edges
RECEIVING = "#1f6feb"  # the inputs the current step passes gradient to
PANEL = "#f6f8fa"  # light backgrounds: outer clusters, buttons, the arithmetic
CONTROL_BORDER = "#8c959f"  # cluster outlines and button borders
FRAME_BORDER = "#d0d7de"  # the page's figure frame
BACKGROUND = "#fff"

FILL = {
    "leaf": "#e7f0fb",
    "inner": "#ffffff",
    "root": "#fdf0dc",
    "constant": "#f3f4f6",
    "op": "#fff6d5",
    "group": "#eef6ee",
    "highlight": "#fff1b8",
}
BORDER = {
    "leaf": "#4a78b5",
    "inner": MUTED,
    "root": "#9a6700",
    "constant": "#afb8c1",
    "op": "#bf8700",
    "group": "#2f7d32",
}
CLUSTER_FILLS = (PANEL, "#eef3f9", "#f3f0f8")  # by depth, repeating

# The stepper's legend: each entry's look (a class of front/stepper.css) and what it means (translated where shown).
LEGEND_ENTRIES = (
    ("current", N_("current node")),
    ("receiving", N_("receives gradient (backward), is read (forward)")),
    ("partial", N_("grad partial: still accumulating")),
    ("pending", N_("not reached yet (?)")),
)


def legend() -> list[list[str]]:
    """The stepper's legend, ``[[look, meaning], ...]``, in the current language."""
    return [[look, _(text)] for look, text in LEGEND_ENTRIES]
