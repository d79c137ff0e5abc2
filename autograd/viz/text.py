"""Text shared by drawings, steps and explanations: numbers, names, escaping.

One place decides how a number is shown (``0.8814``, ``-3``, ``1.2e-05``),
what an unlabelled node is called (``tanh#7``: its op and its stable id in
the graph's snapshot), and how any label text is made safe for Graphviz's
HTML-like labels, so every view of a graph names things the same way.
"""

from __future__ import annotations

import html
import math
import string
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:
    from ..ops import Op
    from ..value import Value

FONT = "Noto Sans CJK SC"  # has Latin, Greek, maths symbols and CJK glyphs
DIGITS = 4


def number(x: float, digits: int = DIGITS) -> str:
    """A number as a reader wants it: 4 significant digits, ``-3`` not ``-3.0``."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{digits}g}"
    if text == "-0":
        return "0"  # a signed zero only confuses a reader
    return text


def factor(x: float) -> str:
    """A number as a factor of a product: negatives in parentheses, ``(-3)``."""
    text = number(x)
    return f"({text})" if text.startswith("-") else text


def _is_xml_char(char: str) -> bool:
    code = ord(char)
    if code < 0x20:
        return char in "\t\n\r"
    if 0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF):
        return False
    return True


def printable(text: str) -> str:
    """``text`` with characters XML cannot hold (controls, lone surrogates) written as ``\\xNN``."""
    if all(_is_xml_char(char) for char in text):
        return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    out = []
    for char in text:
        if char == "\t":
            out.append(" ")
        elif _is_xml_char(char):
            out.append(char)
        else:
            out.append(f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")
    return "".join(out).replace("\r\n", "\n").replace("\r", "\n")


def html_label_text(text: str) -> str:
    """Any text made safe inside a Graphviz HTML-like label; newlines become ``<BR/>``.

    ``html.escape`` handles ``< > & " '``. Graphviz then expands backslash
    escapes such as ``\\N`` (the node's name) even inside HTML labels, so each
    backslash is doubled, which Graphviz reads back as one. Square brackets
    become character references: Graphviz 2.43 rejects a cell whose whole
    text is ``]``.
    """
    lines = printable(text).split("\n")
    return '<BR ALIGN="CENTER"/>'.join(
        html.escape(line).replace("\\", "\\\\").replace("[", "&#91;").replace("]", "&#93;")
        for line in lines
    )


def one_line(text: str) -> str:
    """A label on one line, for running text: newlines become spaces."""
    return " ".join(printable(text).split("\n"))


def shown_label(node: "Value") -> str:
    """The node's label, or ``""`` when it has none worth showing (empty or only whitespace)."""
    label = node.label
    return label if label and not label.isspace() else ""


class Names:
    """Readable names for the nodes of one graph: the label, else ``op#k``.

    ``k`` is the number of the node's stable id (``n7`` -> ``tanh#7``); a
    constant is named by its value, an unlabelled leaf ``value#k``. A label
    of only whitespace counts as none.
    """

    def __init__(self, ids: dict[int, str]) -> None:
        self.ids = ids
        self._cache: dict[int, str] = {}

    def __call__(self, node: "Value") -> str:
        key = id(node)
        name = self._cache.get(key)
        if name is None:
            name = self._cache[key] = self._make(node)
        return name

    def _make(self, node: "Value") -> str:
        label = shown_label(node)
        if label:
            return one_line(label)
        if node.is_constant:
            return number(node.data)
        number_part = self.ids.get(id(node), "n?")[1:]
        op = node.op
        return f"{op.name if op is not None else 'value'}#{number_part}"


def partial(of: str, wrt: str) -> str:
    """``∂of/∂wrt``, with names of more than one character in parentheses."""
    return f"∂{_wrap(of)}/∂{_wrap(wrt)}"


def grad_of(name: str) -> str:
    """``name.grad``, with a compound name in parentheses: ``(a+b).grad``."""
    return f"{_wrap(name)}.grad"


def write_op(op: "Op", operands: Sequence[str]) -> str:
    """``op`` written with the operand names, a compound one in parentheses where it would misread.

    ``(a+b) * c`` and ``-(-x)``, but ``tanh(a+b)``: an operand that stands
    alone as a function's argument is left bare.
    """
    enclosed = _enclosed_positions(op.formula)
    return op.write(*(name if position in enclosed else _wrap(name) for position, name in enumerate(operands)))


@lru_cache(maxsize=256)
def _enclosed_positions(formula: str) -> frozenset[int]:
    """The operand positions that every use in ``formula`` puts alone between ``(``/``,`` and ``,``/``)``."""
    pieces = list(string.Formatter().parse(formula))
    enclosed: set[int] = set()
    exposed: set[int] = set()
    automatic = 0
    for index, (before, field, _spec, _conversion) in enumerate(pieces):
        if field is None:
            continue
        if field == "":
            position, automatic = automatic, automatic + 1
        elif field.isdigit():
            position = int(field)
        else:
            continue
        after = pieces[index + 1][0] if index + 1 < len(pieces) else ""
        alone = before.rstrip().endswith(("(", ",")) and after.lstrip().startswith((")", ","))
        (enclosed if alone else exposed).add(position)
    return frozenset(enclosed - exposed)


def _wrap(name: str) -> str:
    """A name as one operand: in parentheses unless it is one symbol, an identifier or a dotted/op#k name."""
    bare = name.rstrip("₀₁₂₃₄₅₆₇₈₉")  # a subscript marks which use of an input
    simple = len(bare) <= 1 or bare.isidentifier() or _plain_name(bare)
    return name if simple else f"({name})"


def _plain_name(name: str) -> bool:
    # Dotted parameter names (L1.N1.w1) and op#k names read fine unwrapped.
    return all(part.isidentifier() or part.isdigit() for part in name.replace("#", ".").split("."))

