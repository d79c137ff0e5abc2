"""A small, safe expression language for the command line: ``tanh(x*w + b)``.

The text is parsed with :mod:`ast` and every node is checked against a
whitelist; nothing is ever passed to ``eval``. Allowed are

* numbers (``2``, ``0.5``, ``1e-3``) and variable names (``x``, ``w1``, ``权重``),
  written as Python reads them (Unicode NFKC: ``𝐱`` is refused, not read as ``x``);
* ``+  -  *  /  **``, unary ``-`` and ``+``, parentheses;
* calls of the engine's functions: ``exp log sqrt abs tanh sigmoid relu`` and
  ``leaky_relu(x)`` / ``leaky_relu(x, 0.1)`` (the slope, a number).

An expression may name its value, ``L = (relu(w*x + b) - y)**2``: the name
before a single ``=`` labels the result (so the steps read ``dL/dw``); it must
be a name that is none of the expression's variables nor a function.

Anything else (attribute access, subscripts, lambdas, comprehensions, strings,
comparisons, calls of other names ...) is refused with an
:class:`ExpressionError` that names the column where the problem starts, in
the learner's words where a mistake is a common one: a full-width character
typed with a Chinese input method (``＊``: switch to English input and type
``*``), a missing ``*`` (``x w``, ``2x``, ``(a+b)(c+d)``), a misspelled
function (``tnah``: did you mean ``tanh``?). The
input is bounded: at most :data:`MAX_LENGTH` characters, :data:`MAX_NODES`
numbers, names and operations, and a constant exponent of at most :data:`MAX_EXPONENT` in size
(``10**10**10`` is refused before anything is computed).

>>> expression = parse("tanh(x*w + b)")
>>> expression.names
('x', 'w', 'b')
>>> y, leaves = expression.build({"x": 2.0, "w": -3.0, "b": 6.88})
>>> round(y.data, 4)
0.7064
"""

from __future__ import annotations

import ast
import difflib
import io
import keyword
import math
import tokenize
import unicodedata
from dataclasses import dataclass
from typing import Callable, Mapping, NoReturn, Sequence, Union

from autograd import Value, no_grad
from autograd.i18n import N_, Catalogue
from autograd.validation import instance, real
from autograd.viz.text import columns

_ = Catalogue("app").gettext

MAX_LENGTH = 500
"""The longest expression accepted, in characters."""

MAX_NODES = 200
"""The most numbers, names, operations and calls an expression may have."""

MAX_EXPONENT = 1000.0
"""The largest constant exponent, in absolute value, accepted after ``**``."""

FUNCTIONS: dict[str, Callable[..., Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "sqrt": Value.sqrt,
    "abs": Value.abs,
    "tanh": Value.tanh,
    "sigmoid": Value.sigmoid,
    "relu": Value.relu,
    "leaky_relu": Value.leaky_relu,
}
"""The functions an expression may call, each one an op of the engine."""

_BINARY = {
    ast.Add: ("+", lambda a, b: a + b),
    ast.Sub: ("-", lambda a, b: a - b),
    ast.Mult: ("*", lambda a, b: a * b),
    ast.Div: ("/", lambda a, b: a / b),
    ast.Pow: ("**", lambda a, b: a ** b),
}

# Marked with N_, translated where the message is made.
_NAMED_SYNTAX = {
    ast.Lambda: "lambda",
    ast.ListComp: N_("a comprehension"),
    ast.SetComp: N_("a comprehension"),
    ast.DictComp: N_("a comprehension"),
    ast.GeneratorExp: N_("a generator expression"),
    ast.BoolOp: "'and' / 'or'",
    ast.IfExp: "'if ... else'",
    ast.NamedExpr: "':='",
    ast.List: N_("a list"),
    ast.Tuple: N_("a tuple (a ',')"),
    ast.Set: N_("a set"),
    ast.Dict: N_("a dict"),
    ast.JoinedStr: N_("an f-string"),
    ast.Starred: N_("'*' unpacking"),
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield from'",
    ast.Slice: N_("a slice"),
}

#: Python's own words for the syntax errors met most, in the catalogue (others are shown as Python says them).
_SYNTAX_REASONS = (
    N_("invalid syntax"),
    N_("invalid syntax. Perhaps you forgot a comma?"),
    N_("'(' is never closed"),
    N_("unmatched ')'"),
    N_("invalid decimal literal"),
    N_("unterminated string literal"),
    N_("unexpected EOF while parsing"),
    N_("unexpected indent"),
    N_("closing parenthesis ')' does not match opening parenthesis '['"),
)

Number = Union[int, float]
Operand = Union[Value, float]


class ExpressionError(ValueError):
    """A refused expression, with the (1-based) column where the problem is.

    ``str(error)`` is the message, the expression and a caret under the column::

        unknown function 'foo' at column 1
          foo(x)
          ^
    """

    def __init__(self, message: str, source: str, column: int) -> None:
        self.message = message
        self.source = source
        self.column = column
        super().__init__(self.render())

    def render(self) -> str:
        """The message with the expression and a caret pointing at the column."""
        shown, caret = _excerpt(self.source, self.column)
        # Wide (CJK) characters take two cells in a terminal: pad the caret to match.
        padding = columns(shown[:caret])
        where = _("{message} at column {column}").format(message=self.message, column=self.column)
        return f"{where}\n  {shown}\n  {' ' * padding}^"


def _excerpt(source: str, column: int, width: int = 70) -> tuple[str, int]:
    """A window of at most ``width`` characters around ``column``, and the caret's place in it."""
    text = "".join(ch if ch.isprintable() else " " for ch in source)
    index = column - 1
    if len(text) <= width:
        return text, index
    start = max(0, min(index - width // 2, len(text) - width))
    window = text[start:start + width]
    prefix = "..." if start > 0 else ""
    suffix = "..." if start + width < len(text) else ""
    return prefix + window + suffix, index - start + len(prefix)


@dataclass(frozen=True)
class Expression:
    """A checked expression: its text, its syntax tree and its variable names."""

    source: str
    tree: ast.expr
    names: tuple[str, ...]
    """The variables, in order of first appearance."""
    indent: int = 0
    """Where the expression starts in ``source``: after its leading spaces and ``NAME =`` (the tree's columns
    start there)."""
    result: str = ""
    """The name the text gives the value (``L`` in ``L = (w*x - y)**2``); '' when it gives none."""

    @property
    def body(self) -> str:
        """The expression itself, without its ``NAME =`` and surrounding spaces."""
        return self.source[self.indent:].strip()

    def build(self, values: Mapping[str, Number]) -> tuple[Value, dict[str, Value]]:
        """The expression's graph for these variable values: ``(root, {name: leaf})``.

        Each variable becomes one leaf ``Value`` labelled with its name (used
        as many times as it appears); constants become the engine's constant
        nodes. Raises :class:`ExpressionError` for a variable without a value.
        """
        leaves: dict[str, Value] = {}
        for name in self.names:
            if name not in values:
                column = _first_use(self, name)
                raise ExpressionError(_("no value for {name!r} (give one with --set {name}=...)").format(name=name),
                                      self.source, column)
            leaves[name] = Value(real(values[name], f"the value of {name}", finite=False), label=name)
        root = _Builder(self.source, leaves, self.indent).visit(self.tree)
        if not isinstance(root, Value):  # only numbers: still hand back a node
            root = Value(root)
        return root, leaves


def parse(source: str) -> Expression:
    """Check ``source`` against the whitelist and return it as an :class:`Expression`.

    Raises :class:`ExpressionError` (a ``ValueError``) naming the column of
    the first problem.
    """
    instance(source, "source", str)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(
            _("the expression is too long ({length} characters; at most {limit})").format(
                length=len(source), limit=MAX_LENGTH),
            source, MAX_LENGTH + 1)
    _refuse_full_width(source)
    for index, character in enumerate(source):
        if not (character.isprintable() or character == " "):
            raise ExpressionError(_("unexpected character {character!r} (the expression is one line)").format(
                character=character), source, index + 1)
    result, start = _result_name(source)
    stripped = source[start:].lstrip()
    if not stripped.strip():
        if result:
            raise ExpressionError(_("nothing after {name} =: write the expression, e.g. {name} = x*w + b").format(
                name=result), source, len(source) + 1)
        raise ExpressionError(_("the expression is empty"), source, 1)
    indent = len(source) - len(stripped)
    try:
        module = ast.parse(stripped, mode="eval")
    except SyntaxError as error:
        column = indent + (error.offset or len(stripped) + 1)
        column = min(max(column, 1), len(source) + 1)
        reason = (error.msg or "invalid syntax").replace("'(' was never closed", "'(' is never closed")
        message = (_(reason) if reason.startswith("invalid syntax")
                   else _("invalid syntax: {reason}").format(reason=_(reason)))
        missing = _missing_operator(stripped)  # Python guesses a comma; for a formula it is a *
        if missing is not None:
            message, column = missing[0], indent + missing[1]
        raise ExpressionError(message, source, column) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_("the expression is nested too deeply"), source, 1) from None
    nodes = [node for node in ast.walk(module.body) if isinstance(node, ast.expr)]
    if len(nodes) > MAX_NODES:
        raise ExpressionError(
            _("the expression is too large ({count} numbers, names and operations; at most {limit})")
            .format(count=len(nodes), limit=MAX_NODES),
            source, _column(nodes[MAX_NODES], stripped, indent))
    names: list[str] = []
    _Checker(stripped, indent, source, names).visit(module.body)
    # Fold the constants once now, so a huge exponent such as 10**10**10 is
    # refused at parse time, whatever values are given later.
    _Builder(source, {name: Value(1.0) for name in names}, indent).visit(module.body)
    if result in names:
        raise ExpressionError(
            _("{name!r} is a variable of the expression, so it cannot also name its value: "
              "choose another name, e.g. {other} = ...").format(name=result, other=_other_name(result, names)),
            source, len(source) - len(source.lstrip()) + 1)
    return Expression(source=source, tree=module.body, names=tuple(names), indent=indent, result=result)


def _top_level_equals(source: str) -> int | None:
    """The index of the first ``=`` outside parentheses that is not part of ``==``, ``<=``, ``>=``, ``!=``."""
    depth = 0
    for index, character in enumerate(source):
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        elif character == "=" and depth == 0:
            before = source[index - 1] if index > 0 else ""
            after = source[index + 1] if index + 1 < len(source) else ""
            if (not before or before not in "=<>!:") and after != "=":
                return index
            return None
    return None


def _result_name(source: str) -> tuple[str, int]:
    """The name before ``NAME =`` and where the expression after it starts; ('', 0) when there is none."""
    equals = _top_level_equals(source)
    if equals is None:
        return "", 0
    written = source[:equals].strip()
    column = len(source) - len(source.lstrip()) + 1
    second = _top_level_equals(source[equals + 1:])
    if second is not None:
        raise ExpressionError(_("only one = is allowed: NAME = expression, e.g. L = (w*x - y)**2"),
                              source, equals + 1 + second + 1)
    if not written:
        raise ExpressionError(_("nothing before =: write the name of the value, e.g. L = (w*x - y)**2"),
                              source, equals + 1)
    if not written.isidentifier() or keyword.iskeyword(written):
        raise ExpressionError(
            _("{written!r} cannot name the value: before = write one name such as L, loss or out "
              "(letters, digits and _, not starting with a digit)").format(written=written), source, column)
    name = unicodedata.normalize("NFKC", written)
    if name != written:
        raise ExpressionError(_not_normal(written, name), source, column)
    if name in FUNCTIONS:
        raise ExpressionError(_("{name!r} is a function, so it cannot name the value: choose another name, "
                                "e.g. out = ...").format(name=name), source, column)
    if name.startswith("__"):
        raise ExpressionError(_("the name {name!r} is not allowed (names may not start with '__')").format(
            name=name), source, column)
    return name, equals + 1


def _other_name(taken: str, names: Sequence[str]) -> str:
    """A name for the value that the expression does not use (for the hint)."""
    return next(name for name in ("L", "out", "result", "value", "out_1") if name != taken and name not in names)


#: Characters a Chinese input method types in place of the ASCII ones the language reads (besides U+FF01-U+FF5E).
_LOOK_ALIKES = {"\u3000": " ", "×": "*", "÷": "/", "−": "-", "。": ".", "、": ","}


def _ascii_for(character: str) -> str | None:
    """The ASCII character a full-width one (``＊``, ``（``, ``ｗ``, ``２``) or a look-alike (``×``) stands for."""
    if "\uff01" <= character <= "\uff5e":  # the full-width forms of ASCII '!' to '~'
        return chr(ord(character) - 0xFEE0)
    return _LOOK_ALIKES.get(character)


def full_width_message(character: str) -> str | None:
    """What to tell a learner who typed ``character`` (a full-width or look-alike character), or None."""
    ascii = _ascii_for(character)
    if ascii is None:
        return None
    code = f"U+{ord(character):04X}"
    if "\uff01" <= character <= "\uff5e" or character == "\u3000":
        shown = character if character != "\u3000" else "'\u3000'"
        typed = ascii if ascii != " " else _("a space")
        return _("this is the full-width character {character} ({code}): switch your keyboard to English "
                 "input and type {ascii}").format(character=shown, code=code, ascii=typed)
    return _("{character} ({code}) is not an operator of the language: type {ascii}").format(
        character=character, code=code, ascii=ascii)


def _refuse_full_width(source: str) -> None:
    """Refuse the first full-width or look-alike character, naming it and the key to type instead."""
    for index, character in enumerate(source):
        message = full_width_message(character)
        if message is not None:
            raise ExpressionError(message, source, index + 1)


def _missing_operator(text: str) -> tuple[str, int] | None:
    """For text Python cannot parse: ``(message, column)`` when two operands stand side by side.

    ``x w`` and ``2x`` lack a ``*`` (Python's own guess, a missing comma,
    is about function arguments); ``tanh x`` lacks the parentheses of a call.
    """
    tokens: list[tokenize.TokenInfo] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NAME, tokenize.NUMBER, tokenize.OP):
                tokens.append(token)
    except (tokenize.TokenError, SyntaxError):
        pass  # the tokens read before the problem are enough
    for left, right in zip(tokens, tokens[1:]):
        if any(t.type == tokenize.NAME and keyword.iskeyword(t.string) for t in (left, right)):
            continue
        ends_operand = left.type in (tokenize.NAME, tokenize.NUMBER) or left.string == ")"
        starts_operand = right.type in (tokenize.NAME, tokenize.NUMBER) or right.string == "("
        if not (ends_operand and starts_operand) or (left.type == tokenize.NAME and right.string == "("):
            continue
        column = right.start[1] + 1
        if left.type == tokenize.NAME and left.string in FUNCTIONS:
            return _("{name!r} is a function: call it, as in {name}(x)").format(name=left.string), column
        return _missing_star(left.string, right.string), column
    return None


def _missing_star(left: str, right: str) -> str:
    return _("a * is probably missing between {left} and {right} (write {left}*{right})").format(
        left=left, right=right)


def _not_normal(name: str, normal: str) -> str:
    return _("the name {name!r} is read by Python as {normal!r} (Unicode NFKC): write {normal!r}, "
             "so that names that look different never become one variable").format(name=name, normal=normal)


def build(source: str, values: Mapping[str, Number]) -> tuple[Value, dict[str, Value]]:
    """Parse ``source`` and build its graph: ``(root, {name: leaf})``."""
    return parse(source).build(values)


def parse_assignments(items: Sequence[str]) -> dict[str, float]:
    """``["x=2", "w=-3"]`` as ``{"x": 2.0, "w": -3.0}``; a ValueError explains a bad item."""
    if isinstance(items, str):
        raise TypeError(f"items must be a list of NAME=NUMBER strings, not one str ({items!r})")
    values: dict[str, float] = {}
    for item in items:
        instance(item, "each item", str)
        for character in item:
            hint = full_width_message(character)
            if hint is not None:
                raise ValueError(f"{item}: {hint}")
        name, sep, text = item.partition("=")
        name, text = name.strip(), text.strip()
        if not sep or not name.isidentifier():
            raise ValueError(_("expected NAME=NUMBER, got {item!r}").format(item=item))
        normal = unicodedata.normalize("NFKC", name)
        if normal != name:
            raise ValueError(_not_normal(name, normal))
        try:
            number = float(text)
        except ValueError:
            raise ValueError(_("{name}: {text!r} is not a number").format(name=name, text=text)) from None
        if not math.isfinite(number):
            raise ValueError(_("{name}: the value must be finite, got {text!r}").format(name=name, text=text))
        if name in values:
            raise ValueError(_("{name} is given twice").format(name=name))
        values[name] = number
    return values


# --- checking ---------------------------------------------------------------


def _column(node: ast.AST, text: str, indent: int) -> int:
    """The 1-based character column of ``node`` (ast counts UTF-8 bytes)."""
    byte_offset = getattr(node, "col_offset", 0)
    return indent + len(text.encode("utf-8")[:byte_offset].decode("utf-8", "ignore")) + 1


def _first_use(expression: Expression, name: str) -> int:
    for node in ast.walk(expression.tree):
        if isinstance(node, ast.Name) and node.id == name:
            return _column(node, expression.source[expression.indent:], expression.indent)
    return 1


class _Checker(ast.NodeVisitor):
    """Walks the tree and refuses anything outside the whitelist."""

    def __init__(self, text: str, indent: int, source: str, names: list[str]) -> None:
        self.text, self.indent, self.source, self.names = text, indent, source, names

    def refuse(self, node: ast.AST, message: str) -> NoReturn:
        raise ExpressionError(message, self.source, _column(node, self.text, self.indent))

    def generic_visit(self, node: ast.AST) -> None:
        described = _NAMED_SYNTAX.get(type(node))
        if described is None:
            described = _("this kind of expression ({kind})").format(kind=type(node).__name__)
        else:
            described = _(described)
        self.refuse(node, _("{what} is not allowed (the language has numbers, names, + - * / ** and the "
                            "functions {functions})").format(what=described, functions=", ".join(FUNCTIONS)))

    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = _("a string") if isinstance(value, (str, bytes)) else repr(value)
            self.refuse(node, _("{what} is not allowed; only real numbers are").format(what=kind))
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.refuse(node, _("the number is too large"))

    def check_spelling(self, node: ast.Name) -> None:
        """Refuse a name not written in Unicode's NFKC form.

        Python reads names in their NFKC form, so ``𝐱`` (mathematical bold x)
        and ``x`` would silently be one variable.
        """
        encoded = self.text.encode("utf-8")
        written = encoded[node.col_offset:node.end_col_offset].decode("utf-8", "replace")
        if written != node.id:
            self.refuse(node, _not_normal(written, node.id))

    def visit_Name(self, node: ast.Name) -> None:
        self.check_spelling(node)
        if node.id in FUNCTIONS:
            self.refuse(node, _("{name!r} is a function: call it, as in {name}(x)").format(name=node.id))
        if node.id.startswith("__"):
            self.refuse(node, _("the name {name!r} is not allowed (names may not start with '__')").format(
                name=node.id))
        if node.id not in self.names:
            self.names.append(node.id)

    def segment(self, node: ast.AST) -> str:
        """The text of ``node`` as written."""
        encoded = self.text.encode("utf-8")
        return encoded[getattr(node, "col_offset", 0):getattr(node, "end_col_offset", None)].decode("utf-8", "replace")

    def operands_of_call(self, function: ast.expr, call: ast.Call) -> tuple[str, str]:
        """``(a+b)`` and ``(c+d)`` for ``(a+b)(c+d)``: the operand before the call's ``(`` and the parenthesised rest."""
        encoded = self.text.encode("utf-8")
        end = function.end_col_offset or 0
        opening = end + encoded[end:].index(b"(")  # the call's own "(" (a ")" closing the operand may come first)
        before = encoded[:opening].decode("utf-8", "replace").rstrip()
        after = encoded[opening:call.end_col_offset].decode("utf-8", "replace")
        segment = self.segment(function)
        if before.endswith(segment):  # 2 (x), tanh(x)(y): the operand ends where the call starts
            return segment, after
        depth = 0
        for index in range(len(before) - 1, -1, -1):  # (a+b)(c+d): back to the "(" the last ")" closes
            depth += {")": 1, "(": -1}.get(before[index], 0)
            if depth == 0:
                return before[index:], after
        return before, after

    def refuse_at(self, column: int, message: str) -> NoReturn:
        raise ExpressionError(message, self.source, column)

    def between(self, left: ast.AST, right: ast.AST) -> int:
        """The column of the first symbol after ``left`` (an operator, a dot), before ``right``."""
        encoded = self.text.encode("utf-8")
        start = getattr(left, "end_col_offset", None) or 0
        stop = getattr(right, "col_offset", None) or len(encoded)
        gap = encoded[start:stop].decode("utf-8", "ignore")
        skipped = len(gap) - len(gap.lstrip(" )"))
        prefix = encoded[:start].decode("utf-8", "ignore")
        return self.indent + len(prefix) + skipped + 1

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.visit(node.value)  # the leftmost problem first: __import__('os').system
        encoded = self.text.encode("utf-8")
        end = node.end_col_offset or len(encoded)
        before = encoded[:end - len(node.attr.encode("utf-8"))].decode("utf-8", "ignore").rstrip()
        self.refuse_at(self.indent + len(before),
                       _("attribute access ('.{attribute}') is not allowed").format(attribute=node.attr))

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        self.refuse_at(self.between(node.value, node.slice), _("indexing ('[...]') is not allowed"))

    def visit_Compare(self, node: ast.Compare) -> None:
        self.refuse_at(self.between(node.left, node.comparators[0]),
                       _("a comparison is not allowed; use + - * / **"))

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if type(node.op) not in _BINARY:
            symbol = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<",
                      ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}
            shown = symbol.get(type(node.op), type(node.op).__name__)
            self.visit(node.left)
            self.refuse_at(self.between(node.left, node.right),
                           _("the operator {operator!r} is not allowed; use + - * / **").format(operator=shown))
        self.visit(node.left)
        self.visit(node.right)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            shown = {ast.Not: "not", ast.Invert: "~"}.get(type(node.op), "?")
            self.refuse(node, _("the operator {operator!r} is not allowed").format(operator=shown))
        self.visit(node.operand)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if not isinstance(function, ast.Name):
            self.visit(function)  # refuses attribute access, lambdas, ...
            if isinstance(function, (ast.Constant, ast.BinOp, ast.UnaryOp, ast.Call)):  # (a+b)(c+d), 2 (x)
                self.refuse_at(self.between(function, node.args[0] if node.args else node),
                               _missing_star(*self.operands_of_call(function, node)))
            self.refuse(node, _("only the engine's functions may be called"))
        assert isinstance(function, ast.Name)
        self.check_spelling(function)
        if function.id not in FUNCTIONS:
            close = difflib.get_close_matches(function.id.lower(), FUNCTIONS, n=1, cutoff=0.6)
            if close:
                self.refuse(function, _("unknown function {name!r}: did you mean {suggestion}?").format(
                    name=function.id, suggestion=close[0]))
            self.refuse(function, _("unknown function {name!r}; known: {functions}. If {name} is a name, "
                                    "a * is probably missing (write {name}*(...))").format(
                name=function.id, functions=", ".join(FUNCTIONS)))
        keywords = node.keywords
        if function.id == "leaky_relu" and len(keywords) == 1 and keywords[0].arg == "slope":
            arguments = list(node.args) + [keywords[0].value]
        elif keywords:
            self.refuse(keywords[0].value, _("{name}() takes no keyword arguments").format(name=function.id)
                        if function.id != "leaky_relu" else _("the only keyword of leaky_relu is slope"))
        else:
            arguments = list(node.args)
        allowed = (1, 2) if function.id == "leaky_relu" else (1,)
        if len(arguments) not in allowed:
            where = arguments[max(allowed)] if len(arguments) > max(allowed) else node
            expected = (_("{name}() takes 1 or 2 arguments (x, slope), got {count}") if function.id == "leaky_relu"
                        else _("{name}() takes 1 argument, got {count}"))
            self.refuse(where, expected.format(name=function.id, count=len(arguments)))
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                self.refuse(argument, _("'*' unpacking is not allowed"))
        self.visit(arguments[0])
        if len(arguments) == 2:
            slope = arguments[1]
            if not _is_number(slope):
                self.refuse(slope, _("the slope of leaky_relu must be a number, e.g. leaky_relu(x, 0.1)"))
            self.visit(slope)


def _is_number(node: ast.AST) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _is_number(node.operand)
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)


# --- building ---------------------------------------------------------------


class _Builder:
    """Evaluates a checked tree into engine nodes; numbers fold into constants."""

    def __init__(self, source: str, leaves: Mapping[str, Value], indent: int) -> None:
        self.source, self.leaves, self.indent = source, leaves, indent

    def column(self, node: ast.AST) -> int:
        return _column(node, self.source[self.indent:], self.indent)

    def visit(self, node: ast.AST) -> Operand:
        if isinstance(node, ast.Constant):
            number = node.value
            assert isinstance(number, (int, float))  # (the check let only real numbers through)
            return float(number)
        if isinstance(node, ast.Name):
            return self.leaves[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left, right = self.visit(node.left), self.visit(node.right)
            symbol, apply = _BINARY[type(node.op)]
            if symbol == "**" and not isinstance(right, Value) and not abs(right) <= MAX_EXPONENT:
                raise ExpressionError(
                    _("the exponent {exponent} is too large (at most {limit} in size)").format(
                        exponent=f"{right:g}", limit=f"{MAX_EXPONENT:g}"),
                    self.source, self.column(node.right))
            if isinstance(left, Value) or isinstance(right, Value):
                return apply(left, right)
            # Two numbers: fold them with the engine's IEEE arithmetic
            # (1/0 is inf, as it is for nodes), outside any graph.
            with no_grad():
                return apply(Value(left), right).data
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            arguments = list(node.args) + [keyword.value for keyword in node.keywords]
            operand = self.visit(arguments[0])
            function = FUNCTIONS[node.func.id]
            if isinstance(operand, Value):
                extra = [self.visit(argument) for argument in arguments[1:]]
                return function(operand, *extra)
            with no_grad():
                extra = [self.visit(argument) for argument in arguments[1:]]
                return function(Value(operand), *extra).data
        raise AssertionError(f"unchecked node {type(node).__name__}")  # pragma: no cover
