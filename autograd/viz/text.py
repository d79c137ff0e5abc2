"""Text shared by drawings, steps and explanations: numbers, names, escaping.

One place decides how a number is shown (``0.8814``, ``-3``, ``1.2e-05``),
what an unlabelled node is called (its formula in its inputs' names,
``w1·x1``; never ``mul#17``), and how any label text is made safe for Graphviz's
HTML-like labels, so every view of a graph names things the same way.
"""

from __future__ import annotations

import html
import math
import re
import string
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

from ..i18n import Catalogue, current

if TYPE_CHECKING:
    from ..ops import Op
    from ..value import Value

FONT = "Noto Sans CJK SC"  # has Latin, Greek, maths symbols and CJK glyphs
#: Fonts with Chinese glyphs, in order of preference (simplified Chinese first): the one list
#: that pages (as a CSS stack), plots and notebooks choose a Chinese font from.
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
             "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Microsoft YaHei", "PingFang SC", "SimHei", "Heiti SC")
# The page's fonts: Chinese text needs a family with CJK glyphs wherever the page is opened.
CJK_FONT_STACK = ", ".join(f'"{name}"' for name in CJK_FONTS) + ", sans-serif"
_ = Catalogue("views").gettext
DIGITS = 4



def columns(text: str) -> int:
    """Columns ``text`` takes in a monospaced font: a Chinese character two, a combining mark (the hat of r̂) none."""
    return sum(0 if unicodedata.combining(character) else 2 if unicodedata.east_asian_width(character) in "WF"
               else 1 for character in text)

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


MAX_FORMULA = 36  # characters: a longer formula name shows its long inputs as "…"
ELLIPSIS = "…"
# How tightly a formula name binds, to decide where it needs parentheses as an operand.
_ATOM, _SUM, _PRODUCT, _POWER = 4, 1, 2, 3
_NAME_FORMULAS = {  # ops written the way the articles write them (products as w1·x1)
    "add": ("{0} + {1}", _SUM, (_SUM, _PRODUCT)),
    "sub": ("{0} - {1}", _SUM, (_SUM, _PRODUCT)),
    "mul": ("{0}·{1}", _PRODUCT, (_PRODUCT, _POWER)),
    "div": ("{0}/{1}", _PRODUCT, (_PRODUCT, _POWER)),
    "neg": ("-{0}", _PRODUCT, (_POWER,)),
    "pow": ("{0}**{1}", _POWER, (_ATOM, _ATOM)),
}


_SUPERSCRIPTS = {"pow2": "²", "pow3": "³"}


def row_of(node: "Value") -> int | None:
    """The batch row (1-based) the node was built for, or None (``Value.row``, when the engine has it)."""
    row = getattr(node, "row", None)
    return row if isinstance(row, int) and not isinstance(row, bool) else None


# A name's row marker in any language: `` [row 3]``, `` [第 3 行]``.
ROW_MARK = re.compile(r" \[(?:row \d+|第 \d+ 行)\]$")


def with_row(name: str, row: int | None) -> str:
    """``name [row k]`` (Chinese ``name [第 k 行]``) for a node built for row k of a batch; the name alone otherwise."""
    if row is None or name.endswith((f"[row {row}]", f"[第 {row} 行]")):
        return name
    return _("{name} [row {row}]").format(name=name, row=row)


class Names:
    """Readable names for the nodes of one graph, as a student recognises them.

    A node's name is its label (a label always wins); else a constant is its
    number, and a node with inputs is its formula in its inputs' names
    (``w1·x1``, ``z + b``, ``relu(z)``), long inputs shortened to ``…``; an
    unlabelled variable leaf is ``v<k>`` (``k`` from its stable id). A node
    built for row k of a batch adds ``[row k]``. A label of only whitespace
    counts as none. Never ``mul#17``.
    """

    def __init__(self, ids: dict[int, str]) -> None:
        self.ids = ids
        self._cache: dict[tuple[int, str], str] = {}
        # id(node) -> (name without its row, how tightly it binds)
        self._base: dict[int, tuple[str, int]] = {}

    def __call__(self, node: "Value") -> str:
        key = (id(node), current())  # the row marker is written in the current language
        name = self._cache.get(key)
        if name is None:
            base = self.base(node)[0]
            name = self._cache[key] = base if node.is_constant else with_row(base, row_of(node))
        return name

    def within(self, node: "Value", user: "Value") -> str:
        """``node``'s name as an operand of ``user``: without ``[row k]`` when both belong to row k."""
        row = row_of(node)
        if row is not None and row == row_of(user) and not node.is_constant:
            return self.base(node)[0]
        return self(node)

    def base(self, node: "Value") -> tuple[str, int]:
        """The node's name without ``[row k]`` and how tightly it binds as an operand."""
        found = self._base.get(id(node))
        if found is not None:
            return found
        # Formula names need their inputs' names first: an explicit stack, never recursion.
        stack = [node]
        while stack:
            current = stack[-1]
            missing = [x for x in current.inputs if id(x) not in self._base and shown_label(current) == ""]
            if missing:
                stack.extend(missing)
                continue
            stack.pop()
            if id(current) not in self._base:
                self._base[id(current)] = self._make(current)
        return self._base[id(node)]

    def _make(self, node: "Value") -> tuple[str, int]:
        label = shown_label(node)
        if label:
            text = one_line(label)
            return text, _ATOM if _is_simple(text) else _SUM
        if node.is_constant:
            text = number(node.data)
            return text, _ATOM if not text.startswith("-") else _SUM
        inputs = node.inputs
        if not inputs:
            return f"v{self.ids.get(id(node), 'n?')[1:]}", _ATOM
        operands = [self._base[id(x)] for x in inputs]
        formula = self._formula(node, operands)
        if len(formula[0]) > MAX_FORMULA:
            # The longest inputs give way, first to their outline (relu(…)), then to "…".
            shortened = list(operands)
            longest_first = sorted(range(len(operands)), key=lambda p: -len(operands[p][0]))
            for replacement in (self._outline, lambda _node: (ELLIPSIS, _ATOM)):
                for position in longest_first:
                    shortened[position] = replacement(inputs[position])
                    formula = self._formula(node, shortened)
                    if len(formula[0]) <= MAX_FORMULA:
                        return formula
        return formula

    def _outline(self, node: "Value") -> tuple[str, int]:
        """The node's name with every input longer than a few characters written ``…``."""
        text, binding = self._base[id(node)]
        if shown_label(node) or not node.inputs:
            return text, binding
        operands = [found if len(found[0]) <= 4 else (ELLIPSIS, _ATOM)
                    for found in (self._base[id(x)] for x in node.inputs)]
        return self._formula(node, operands)

    @staticmethod
    def _formula(node: "Value", operands: list[tuple[str, int]]) -> tuple[str, int]:
        op = node.op
        texts = [text for text, _ in operands]
        if op is None:  # a node built the micrograd way: Value(data, children, "sin")
            symbol = getattr(node, "_op", "") or "op"
            return f"{symbol}({', '.join(texts)})", _ATOM
        written = _NAME_FORMULAS.get(op.name)
        power = _SUPERSCRIPTS.get(op.name)
        if power is not None:  # e², as the articles write a square
            text, binding = operands[0]
            return (text if binding == _ATOM else f"({text})") + power, _POWER
        if written is None:
            enclosed = _enclosed_positions(op.formula)
            wrapped = [text if position in enclosed or binding == _ATOM else f"({text})"
                       for position, (text, binding) in enumerate(operands)]
            return op.write(*wrapped), _ATOM if op.formula.endswith(")") else _POWER
        formula, strength, needed = written
        wrapped = [text if binding >= needed[position] else f"({text})"
                   for position, (text, binding) in enumerate(operands)]
        return formula.format(*wrapped), strength


def _is_simple(text: str) -> bool:
    bare = text.rstrip("₀₁₂₃₄₅₆₇₈₉")
    return len(bare) <= 1 or bare.isidentifier() or _plain_name(bare)


def partial(of: str, wrt: str) -> str:
    """``∂of/∂wrt``, with names of more than one character in parentheses."""
    return f"∂{_wrap(of, True)}/∂{_wrap(wrt, True)}"


def grad_of(name: str) -> str:
    """``name.grad``, with a compound name in parentheses: ``(a+b).grad``."""
    return f"{_wrap(name, True)}.grad"


def write_op(op: "Op", operands: Sequence[str]) -> str:
    """``op`` written with the operand names, a compound one in parentheses where it would misread.

    ``(a+b) * c`` and ``-(-x)``, but ``tanh(a+b)``: an operand that stands
    alone as a function's argument is left bare.
    """
    enclosed = _enclosed_positions(op.formula)
    tight = "**" in op.formula  # w1·x1**2 would misread
    return op.write(*(name if position in enclosed else _wrap(name, tight) for position, name in enumerate(operands)))


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


def _wrap(name: str, tight: bool = False) -> str:
    """A name as one operand: in parentheses unless it is one symbol, an identifier, a number,
    a dotted name, a product written ``w1·x1`` or a call ``relu(z)`` (``[row k]`` aside)."""
    bare = ROW_MARK.sub("", name)
    bare = bare.rstrip("₀₁₂₃₄₅₆₇₈₉")  # a subscript marks which use of an input
    if len(bare) <= 1:
        simple = True
    elif "·" in bare:  # a product (·, U+00B7, counts as a letter of an identifier)
        simple = not tight and all(_plain_name(part) or _is_number(part) for part in bare.split("·"))
    else:
        simple = len(bare) <= 1 or bare.isidentifier() or _plain_name(bare) or _is_number(bare) or _is_call(bare)
    return name if simple else f"({name})"


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return not text.startswith("-")


def _is_call(text: str) -> bool:
    """``relu(z + b)``: a name followed by one balanced parenthesised argument list."""
    match = re.match(r"[A-Za-z_][\w.]*\(", text)
    if match is None or not text.endswith(")"):
        return False
    depth = 0
    for position in range(match.end() - 1, len(text)):
        depth += {"(": 1, ")": -1}.get(text[position], 0)
        if depth == 0:
            return position == len(text) - 1
    return False


def _plain_name(name: str) -> bool:
    # Dotted parameter names (L1.N1.w1) read fine unwrapped.
    return all(part.isidentifier() or part.isdigit() for part in name.split("."))

