"""The labels of a drawn graph: a value's box, an op's circle, a collapsed scope's table, an edge's derivative.

Each is a Graphviz HTML-like label (``<...>``) over ``html_label_text``-escaped
text, so any label (``| { } < > " \\ &``, newlines, Chinese) shows as given.
The words the drawing adds (``data``, ``grad``, a collapsed box's summary)
go through the ``views`` catalogue; numbers, formulas and user labels do not.
``draw``'s builder decides what is drawn where; this module only writes it.
"""

from __future__ import annotations

from typing import Callable

from ..i18n import Catalogue
from ..value import Value
from .numeric import LeafCheck
from .palette import BAD_COLOR, DATA_COLOR, DELTA_COLOR, GRAD_COLOR, MUTED, OK_COLOR
from .text import html_label_text, number, partial, row_of, shown_label, with_row, write_op

_catalogue = Catalogue("views")
_ = _catalogue.gettext
ngettext = _catalogue.ngettext

# Keeps a node's gradient cell wide enough that the stepper's changing
# numbers rarely overflow it (about "grad -0.0000").
GRAD_CELL_WIDTH = 78


def data_cell(data: float) -> str:
    """``data 0.5`` in the data colour."""
    text = _("data {value}").format(value=number(data))
    return f'<FONT COLOR="{DATA_COLOR}">{html_label_text(text)}</FONT>'


def grad_cell(grad: float, shown: str | None = None) -> str:
    """``grad -1.5`` in the gradient colour (``shown`` in place of the number, if given)."""
    text = _("grad {value}").format(value=number(grad) if shown is None else shown)
    return f'<FONT COLOR="{GRAD_COLOR}">{html_label_text(text)}</FONT>'


def value_label(
    node: Value, name: str, grad: float, show_grads: bool, delta_of: str | None, check: LeafCheck | None,
    grad_shown: str | None = None,
) -> str:
    """A value's box: its label (else ``name``, muted), data, ``grad`` if ``show_grads``, δ badge, check mark.

    ``grad_shown`` replaces the grad's number in its cell (a stepper lays the
    cell out for the widest text it will show).

    With ``delta_of`` (the root's name, ``L``) the node carries the badge
    δ = ∂L/∂z, its ``grad``; ``check`` is the leaf's central-difference check, if any.
    """
    rows = []
    label = shown_label(node)
    if label:
        rows.append(f"<B>{html_label_text(with_row(label, row_of(node)))}</B>")
    else:
        rows.append(f'<FONT POINT-SIZE="9" COLOR="{MUTED}">{html_label_text(name)}</FONT>')
    rows.append(data_cell(node.data))
    if show_grads:
        rows.append(grad_cell(grad, grad_shown))
    if delta_of is not None:
        badge = f"δ = {partial(delta_of, name)} = {number(grad)}"
        rows.append(f'<FONT COLOR="{DELTA_COLOR}"><B>{html_label_text(badge)}</B></FONT>')
    if check is not None:
        if check.ok:
            text = _("✓ numeric {value}").format(value=number(check.numeric))
            rows.append(f'<FONT POINT-SIZE="9" COLOR="{OK_COLOR}">{html_label_text(text)}</FONT>')
        else:
            text = _("✗ numeric {value}").format(value=number(check.numeric))
            rows.append(f'<FONT POINT-SIZE="9" COLOR="{BAD_COLOR}">{html_label_text(text)}</FONT>')
    # The label is centred; data, grad and the check read as a left-aligned
    # column, as wide as a changing gradient needs.
    width = f' WIDTH="{GRAD_CELL_WIDTH}"'
    cells = f"<TR><TD>{rows[0]}</TD></TR>" + "".join(
        f'<TR><TD ALIGN="LEFT"{width if index == 0 else ""}>{row}</TD></TR>' for index, row in enumerate(rows[1:])
    )
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def op_label(node: Value, folded: Callable[[Value], bool]) -> str:
    """An op's node: its symbol, or its formula with the folded constants written in (``·*2``)."""
    op = node.op
    assert op is not None
    inputs = node.inputs
    if any(folded(x) for x in inputs):
        text = write_op(op, [number(x.data) if folded(x) else "·" for x in inputs])
    else:
        text = op.symbol
    return f"<{html_label_text(text)}>"


def group_label(
    path: tuple[str, ...], members: list[Value], outputs: list[Value], inputs: int,
    names: Callable[[Value], str], grad: Callable[[Value], float] | None,
) -> str:
    """A collapsed scope's box: its name, a summary (inputs, parameters, ops), a row per output.

    Output ``k``'s last cell is the port ``o<k>`` its edges leave from; it
    shows the output's gradient unless ``grad`` is None.
    """
    parameters = sum(1 for node in members if node.is_leaf and not node.is_constant)
    ops = sum(1 for node in members if not node.is_leaf)
    summary = " · ".join((
        ngettext("{count} input", "{count} inputs", inputs).format(count=inputs),
        ngettext("{count} parameter", "{count} parameters", parameters).format(count=parameters),
        ngettext("{count} op", "{count} ops", ops).format(count=ops),
    ))
    rows = [
        f'<TR><TD COLSPAN="3"><B>{html_label_text(".".join(path))}</B></TD></TR>',
        f'<TR><TD COLSPAN="3"><FONT POINT-SIZE="9" COLOR="{MUTED}">{summary}</FONT></TD></TR>',
    ]
    prefix = ".".join(path) + "."
    for position, node in enumerate(outputs):
        name = names(node)
        name = name[len(prefix):] if name.startswith(prefix) else name  # L1.N1.out -> out
        shown = html_label_text(_("out") if name == "out" else _("out {name}").format(name=name))
        last = (f'<TD ALIGN="LEFT" PORT="o{position}">{grad_cell(grad(node))}</TD>' if grad is not None
                else f'<TD PORT="o{position}"></TD>')
        rows.append(f'<TR><TD ALIGN="LEFT">{shown}</TD><TD ALIGN="LEFT">{data_cell(node.data)}</TD>{last}</TR>')
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="2">{"".join(rows)}</TABLE>>'


def edge_label(node_name: str, source_name: str, local_grad: float, rule: str | None) -> str:
    """An edge's local derivative, ``∂z/∂w = 0.5``, with the op's rule below it unless ``rule`` is None."""
    text = html_label_text(f"{partial(node_name, source_name)} = {number(local_grad)}")
    if rule is not None:
        text += f'<BR/><FONT POINT-SIZE="8" COLOR="{MUTED}">{html_label_text(rule)}</FONT>'
    return f"<{text}>"
