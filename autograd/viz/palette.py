"""Every colour of tracegrad's pictures, and the stepper's legend, defined once.

The drawing, the stepper's frame styles, the Jupyter widget and the HTML
page all read their colours here, so a state looks the same everywhere:
the current node orange on yellow, a node receiving gradient blue, a node
whose gradient is still accumulating dashed, a node not reached yet faded.
"""

from __future__ import annotations

import html

from ..i18n import N_, Catalogue

_ = Catalogue("views").gettext

INK = "#1f2328"  # text
MUTED = "#57606a"  # secondary text, inner borders
GRAD_COLOR = "#b0281e"  # gradient text; the stepper and the page find a node's gradient by it
DATA_COLOR = "#1f2329"  # data text: the ink, one step apart, so the stepper and the page find it
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

# The legend's entries: the style of a sample box and what it means (translated where shown).
LEGEND_ENTRIES = (
    (f"border:3px solid {HIGHLIGHT};background:{FILL['highlight']}", N_("current node")),
    (f"border:3px solid {RECEIVING}", N_("receives gradient (backward), is read (forward)")),
    (f"border:1px dashed {MUTED};font-style:italic", N_("grad partial: still accumulating")),
    (f"border:1px solid {MUTED};opacity:.35", N_("not reached yet (?)")),
)


def legend_html() -> str:
    """The stepper's legend as one self-styled ``<div>`` (the Jupyter widget and the HTML page show it),
    in the current language."""
    entries = "".join(
        f'<span style="{style};padding:0 5px;border-radius:4px">{html.escape(_(text))}</span>'
        for style, text in LEGEND_ENTRIES
    )
    return (
        f'<div class="legend" style="font-size:12px;color:{MUTED};display:flex;gap:10px;'
        f'flex-wrap:wrap;margin:4px 0 8px 0">{entries}</div>'
    )
