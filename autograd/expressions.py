"""The op table's expressions as code templates, for ``autograd.compile``.

An op's forward and each local derivative are Python expressions in ``a``,
``b`` and ``out`` (see ``autograd.ops``). ``template`` parses one once and
keeps it as a format string whose places know how tightly their operator
binds, so that filling in other expressions adds parentheses only where
they are needed: ``x * w + b``, not ``((x * w) + b)``. ``product`` writes a
local derivative times an upstream gradient, simplified only where the
result is the same float (``1.0 * g`` is ``g``; a conditional derivative
multiplies on each branch). Each code also lists the program's variables
its text reads, so that the compiler's statements say what they read as
data, never by re-reading their text.
"""

from __future__ import annotations

import ast
import functools
import math
from typing import Callable, NamedTuple

from .ops import INPUT_NAMES, Op, made_by_table

ATOM = 100  # a name, a literal, a call: never needs parentheses
_PRECEDENCE = {
    ast.IfExp: 1, ast.BoolOp: 2, ast.Compare: 5, ast.BinOp: 10, ast.UnaryOp: 30,
}
_BINARY_PRECEDENCE = {ast.Add: 10, ast.Sub: 10, ast.Mult: 20, ast.Div: 20, ast.FloorDiv: 20,
                      ast.Mod: 20, ast.Pow: 40}


class Code(NamedTuple):
    """An expression's text, how deeply it nests, the precedence of its outermost operator, the variables it reads."""

    text: str
    depth: int = 0
    precedence: int = ATOM
    names: tuple[str, ...] = ()

    def within(self, required: int) -> str:
        """The text, in parentheses where the surrounding operator binds tighter."""
        return self.text if self.precedence >= required else f"({self.text})"


# Building the tuple directly skips NamedTuple's Python-level __new__ (hot: once per node).
new_code: Callable[[tuple[str, int, int, tuple[str, ...]]], Code] = functools.partial(
    tuple.__new__, Code)


def atom(text: str) -> Code:
    """The code of a literal (or of a name the program does not assign, such as ``NAN``)."""
    return new_code((text, 0, ATOM, ()))


def variable(name: str) -> Code:
    """The code of one of the program's variables: it reads that variable."""
    return new_code((name, 0, ATOM, (name,)))


def _precedence(node: ast.AST) -> int:
    if isinstance(node, ast.BinOp):
        return _BINARY_PRECEDENCE[type(node.op)]
    return _PRECEDENCE.get(type(node), ATOM)


def _required(parent: ast.AST | None, child: ast.AST) -> int:
    """How tightly an operand at this place must bind to need no parentheses."""
    if isinstance(parent, ast.BinOp):
        own = _BINARY_PRECEDENCE[type(parent.op)]
        if isinstance(parent.op, ast.Pow):
            return own + 1 if child is parent.left else _PRECEDENCE[ast.UnaryOp]
        return own if child is parent.left else own + 1
    if isinstance(parent, ast.UnaryOp):
        return _PRECEDENCE[ast.UnaryOp]
    if isinstance(parent, (ast.Compare, ast.IfExp, ast.BoolOp)):
        return _precedence(parent) + 1
    return 0  # a call's argument or the whole expression


class Template:
    """An expression of the op table, ready to be filled with operand code."""

    def __init__(self, expression: str, constants: tuple[tuple[str, float], ...]) -> None:
        names = {*INPUT_NAMES, "out"}
        bound = dict(constants)
        expression = _decided(expression, bound)
        tree = ast.parse(expression, mode="eval")
        self.places: list[tuple[str, int]] = []  # (operand name, required precedence) per marker
        parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in bound:
                node.id = literal(bound[node.id])
        markers = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Name) and node.id in names:
                parent = parents.get(node)
                markers.append((node, node.id, _required(None if parent is tree else parent, node)))
        for index, (node, name, required) in enumerate(markers):
            node.id = f"__place{index}__"
            self.places.append((name, required))
        self.reads = frozenset(name for name, _ in self.places)
        self.slots = tuple((("a", "b", "out").index(name), required) for name, required in self.places)
        text = ast.unparse(tree).replace("{", "{{").replace("}", "}}")
        for index in range(len(markers)):
            text = text.replace(f"__place{index}__", "{" + str(index) + "}")
        self.text = text
        self.format = text.format
        self.precedence = _precedence(tree.body)
        self.branches: tuple[Template, Template, Template] | None = None
        original = ast.parse(expression, mode="eval").body
        if isinstance(original, ast.IfExp):
            self.branches = tuple(  # type: ignore[assignment]
                template(ast.unparse(part), constants)
                for part in (original.body, original.test, original.orelse)
            )

    def render(self, a: Code, b: Code | None, out: Code | None) -> Code:
        """The expression with each operand's code in its place (b and out where it reads them)."""
        codes = (a, b, out)
        filled = []
        depth = 0
        names: tuple[str, ...] = ()
        for slot, required in self.slots:
            text, inner_depth, precedence, inner_names = codes[slot]  # type: ignore[misc]
            filled.append(text if precedence >= required else f"({text})")
            if inner_depth > depth:
                depth = inner_depth
            names += inner_names
        return new_code((self.format(*filled), depth + 1, self.precedence, names))


def _decided(expression: str, bound: dict[str, float]) -> str:
    """A conditional whose test reads only the op's bound numbers, as the branch it takes for them.

    ``n * ieee_pow(a, n - 1) if n != 0 else 0.0`` for n = 2 is written
    ``n * ieee_pow(a, n - 1)``: the test is the same for every call, so the
    program says only what it computes (and computes what the eager op does).
    """
    tree = ast.parse(expression, mode="eval").body
    if not bound or not isinstance(tree, ast.IfExp):
        return expression
    test = tree.test
    if not all(isinstance(node, (ast.Compare, ast.BoolOp, ast.UnaryOp, ast.BinOp, ast.Constant, ast.Load,
                                 ast.cmpop, ast.boolop, ast.unaryop, ast.operator))
               or isinstance(node, ast.Name) and node.id in bound for node in ast.walk(test)):
        return expression
    taken = tree.body if eval(compile(ast.Expression(test), "<test>", "eval"), {"__builtins__": {}}, bound) \
        else tree.orelse  # noqa: S307 (numbers and operators only, checked above)
    return _decided(ast.unparse(taken), bound)


@functools.lru_cache(maxsize=None)
def template(expression: str, constants: tuple[tuple[str, float], ...] = ()) -> Template:
    """The template of an op-table expression, parsed once per expression and constants."""
    return Template(expression, constants)


def literal(number: float) -> str:
    """A float as code that evaluates to exactly it (inf and nan by name)."""
    if math.isnan(number):
        return "NAN"
    if math.isinf(number):
        return "INF" if number > 0 else "(-INF)"
    text = repr(float(number))
    return f"({text})" if text.startswith("-") else text


@functools.lru_cache(maxsize=4096)
def derivative_reads(op: Op, position: int) -> tuple[str, ...]:
    """Which of a, b and out the local derivative of input ``position`` reads."""
    if op.derivatives is None or not made_by_table(op):
        return ("out",)  # called: the node's variable and its derivatives come out together
    reads = template(op.derivatives[position], op.constants).reads
    return tuple(name for name in ("a", "b", "out") if name in reads)


def product(local: Code | None, derivative: Template | None, upstream: Code,
            operands: tuple[Code, Code | None, Code | None] | tuple[()]) -> Code:
    """The code of ``local * upstream`` (``local`` given, or rendered from ``derivative``)."""
    depth = upstream.depth + 1
    if derivative is not None:
        if derivative.text == "1.0":
            return upstream  # 1.0 * g is g, to the bit
        if derivative.text == "-1.0":
            return new_code((f"-{upstream.within(30)}", depth, 30, upstream.names))  # -1.0 * g is -g, to the bit
        if derivative.branches is not None:
            # (x if c else y) * g is (x * g if c else y * g): the same product on each branch.
            branches = (product(None, derivative.branches[0], upstream, operands),
                        derivative.branches[1].render(*operands),
                        product(None, derivative.branches[2], upstream, operands))
            body, test, orelse = branches
            code = " ".join((body.within(2), "if", test.within(2), "else", orelse.within(1)))
            return new_code((code, depth, 1, body.names + test.names + orelse.names))
        local = derivative.render(*operands)
    assert local is not None
    if upstream.text == "1.0":
        return local  # x * 1.0 is x, to the bit
    return new_code((f"{local.within(20)} * {upstream.within(21)}", max(depth, local.depth + 1), 20,
                     local.names + upstream.names))
