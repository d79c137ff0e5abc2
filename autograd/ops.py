"""The op table: every operation of the engine, defined once.

Each op is one entry of a derivative table (the shape of autodidact's
``defvjp(exp, lambda g, ans, x: ans * g)``), written as Python expressions::

    MUL = _define("mul", "*", "{0} * {1}", "a * b", ("b", "a"),
                  ("d(u·v)/du = v", "d(u·v)/dv = u"), ("__mul__", "__rmul__"), "Product")

* ``forward`` -- the value, an expression in the inputs ``a`` (and ``b``);
* ``derivatives`` -- the local derivative with respect to each input, an
  expression in ``a``, ``b`` and ``out``, the forward value (``exp``'s is
  ``out``, ``tanh``'s ``(1.0 - out) * (1.0 + out)``);
* ``rules`` -- the text of each local derivative, written as maths in the
  letters ``u`` and ``v`` (``d(u·v)/du = v``), which the articles give to no value
  (their ``b`` is a bias, their ``a`` an activation);
* ``methods`` -- how a ``Value`` spells the op (``x * y`` and ``2 * y``; ``x.exp()``);
* ``doc`` -- what the op is, in a few words (the methods' docstrings);
* ``symbol`` -- the short name a graph shows (and micrograd's ``_op``);
* ``formula`` -- how the op is written with its inputs (``{0} * {1}``).

The expressions may use ``math``, the builtins and the IEEE helpers of this
module (``ieee_div``, ``ieee_pow``, ...). A parameterised op (``power_op(n)``,
``leaky_relu_op(slope)``) belongs to an ``OpKind`` whose expressions also
read its number (``n``, ``slope``).

The expressions are the only place the calculus is written. From them
``scripts/generate_engine.py`` writes the committed module
``autograd/_generated.py``: each op's ``compute`` function, of the inputs'
float values, returning the forward value and then one local derivative per
input (``compute_mul(a, b) -> (a*b, b, a)``), and ``Value``'s op methods,
the same expressions with the arithmetic written inline, since they are the
engine's hottest code. ``Op.source`` is the code of ``compute``
(``print(MUL.source)``: ``out = a * b``, then ``b`` and ``a``, each beside
its rule).

A method and ``compute`` evaluate the same text, so they agree to the bit.
``tests/test_generated.py`` fails when regenerating would change the module,
and importing it fails when it was generated from other expressions than the
table's. Backward, tracing, formula display and gradcheck all read these
records; none of them repeats the calculus.

Every function here follows IEEE float semantics the way PyTorch does
(``exp(1000) -> inf``, ``log(0) -> -inf``, ``log(-1) -> nan``): no
OverflowError or "math domain error" escapes.

A learner's op is made from the same kind of entry by ``define_op`` (the
public way to add one, ``autograd.define_op``): its ``compute`` is made at
run time from the expressions (or from functions), and it backpropagates,
steps, explains, draws and compiles like the table's. Every Op is callable
on Values and numbers: ``sin(x)``, ``MUL(x, 2)``.

This module imports nothing else of the package at load time, so that the
generator can read the table even while the generated module is out of date.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import math
import string
import types
import unicodedata
import weakref
import collections.abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache, update_wrapper
from typing import Callable, Union, cast

INF = math.inf
NAN = math.nan

Compute = Callable[..., tuple[float, ...]]


@dataclass(frozen=True, eq=False)
class Op:
    """One operation: its name, how it is drawn and written, and its calculus.

    Ops of the table also keep the expressions their code is generated from
    (``forward``, ``derivatives``, the ``constants`` they name) and the code
    of ``compute`` (``source``); an Op made directly from a ``compute``
    function has none of these.
    """

    name: str
    symbol: str
    arity: int
    compute: Compute
    rules: tuple[str, ...]
    formula: str
    forward: str | None = None
    derivatives: tuple[str, ...] | None = None
    constants: tuple[tuple[str, float], ...] = ()
    source: str | None = None
    methods: tuple[str, ...] = ()
    doc: str = ""

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def write(self, *operands: str) -> str:
        """The op written with the given operand texts, e.g. ``x * w``."""
        return self.formula.format(*operands)

    def __call__(self, *operands: object) -> object:
        """The node ``op(*operands)`` for Values or numbers: ``sin(x)``, ``ops.MUL(x, 2)``."""
        return _apply_op(self, operands)


def _awaiting_value(op: Op, operands: tuple[object, ...]) -> object:
    """``Op.__call__`` until ``autograd.value`` has bound the node builder (``import autograd`` does)."""
    raise RuntimeError("calling an op builds a Value: import autograd first")


# Bound by autograd.value to its node builder (this module imports nothing of the package).
_apply_op: Callable[[Op, tuple[object, ...]], object] = _awaiting_value

# The ops made from this module's table and kinds: the only ones whose expressions
# autograd.compile writes into its programs (a user's op is called, never written in).
_table_made: "weakref.WeakSet[Op]" = weakref.WeakSet()


def made_by_table(op: Op) -> bool:
    """True for an op of the table or of a kind (``power_op(2)``), False for any other Op."""
    return op in _table_made


@dataclass(frozen=True)
class OpKind:
    """A family of one-input ops with a number bound per op: ``a ** n`` for every ``n``.

    Its ``compute`` and its method are generated once, with the number as
    a parameter (``compute_power(a, n)``, ``Value._power(self, n)``); each
    op of the kind binds its number, so a new exponent costs no code.
    """

    name: str
    parameter: str
    forward: str
    derivative: str
    rule: str
    method: str
    doc: str

    @property
    def source(self) -> str:
        """The code of the kind's ``compute``, the number a parameter."""
        return _compute_source(f"compute_{self.name}", ("a", self.parameter), self.forward,
                               (self.derivative,), (self.rule,))


# --- IEEE helpers: Python's float operators raise where IEEE gives inf/nan ---

def ieee_div(a: float, b: float) -> float:
    """a / b with IEEE semantics: x/0 is +-inf, 0/0 is nan."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return NAN
        # The sign of a zero divisor matters, as in IEEE: 1/-0.0 is -inf.
        return math.copysign(INF, a) * math.copysign(1.0, b)


def ieee_pow(a: float, b: float) -> float:
    """a ** b with IEEE semantics (C99 pow), never complex, never raising."""
    try:
        result = a ** b
    except ZeroDivisionError:  # 0.0 ** negative: +-inf, the sign kept for odd b
        return math.copysign(INF, a) if _is_odd_integer(b) else INF
    except OverflowError:
        return -INF if (a < 0 and _is_odd_integer(b)) else INF
    if type(result) is complex:  # negative base, fractional exponent
        return NAN
    return result


def _is_odd_integer(x: float) -> bool:
    return math.isfinite(x) and x == math.floor(x) and int(x) % 2 == 1


def ieee_exp(x: float) -> float:
    """e ** x; inf past the float range instead of OverflowError."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def ieee_log(x: float) -> float:
    """Natural log; log(0) = -inf, log(negative) = nan."""
    if x > 0.0:
        return math.log(x)  # also handles +inf
    if x == 0.0:
        return -INF
    return NAN  # negative or nan


def ieee_sqrt(x: float) -> float:
    """Square root; sqrt(negative) = nan."""
    if x >= 0.0:
        return math.sqrt(x)
    return NAN


def stable_sigmoid(x: float) -> float:
    """1 / (1 + e^-x), computed without overflow for any x."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    if x != x:
        return NAN
    z = ieee_exp(x)
    return z / (1.0 + z)


# The names an op's expressions may use besides its inputs (and builtins).
EXPRESSION_NAMES: dict[str, object] = {
    "math": math,
    "INF": INF,
    "NAN": NAN,
    "ieee_div": ieee_div,
    "ieee_pow": ieee_pow,
    "ieee_exp": ieee_exp,
    "ieee_log": ieee_log,
    "ieee_sqrt": ieee_sqrt,
    "stable_sigmoid": stable_sigmoid,
}

INPUT_NAMES = ("a", "b")


def compile_function(source: str, filename: str, namespace: dict[str, object], name: str) -> Callable:
    """Run ``source`` (one ``def``) with the globals ``namespace``; return the function it defines.

    For code made at run time (the ``compute`` of an op made by
    ``define_op``); the engine's own generated code is on disk. The source is registered
    with ``linecache`` under ``filename``, so that tracebacks and
    ``inspect.getsource`` show the generated lines.
    """
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    # The def binds its name apart from the namespace, so a function named
    # like a builtin it calls still works.
    defined: dict[str, object] = {}
    exec(compile(source, filename, "exec"), namespace, defined)
    return defined[name]  # type: ignore[return-value]


# --- checking the expressions, and the code of compute ---

def _check_line(name: str, text: str, what: str) -> None:
    """A rule, symbol or formula is one non-empty line of printable characters (no control character)."""
    if not text or not text.isprintable():
        raise ValueError(f"op {name!r}: {what} must be one non-empty line of printable characters "
                         f"(no line break or control character), got {text!r}")


def _check_expression(text: str, allowed: set[str], what: str) -> None:
    """A single expression reading only ``allowed`` names (no assignment, no walrus)."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and (type(node.ctx) is not ast.Load or node.id not in allowed):
            raise ValueError(f"{what} {text!r} may not use the name {node.id!r}")
        if isinstance(node, (ast.NamedExpr, ast.Lambda)):
            raise ValueError(f"{what} {text!r} must be a plain expression")


def _check_expressions(forward: str, derivatives: tuple[str, ...], parameters: tuple[str, ...]) -> None:
    """The forward reads the inputs; the derivatives also ``out``; both the helpers and ``parameters``."""
    inputs = set(INPUT_NAMES[:len(derivatives)])
    known = set(EXPRESSION_NAMES) | set(parameters) | set(dir(builtins)) | inputs
    _check_expression(forward, known, "the forward")
    for derivative in derivatives:
        _check_expression(derivative, known | {"out"}, "the derivative")


def _compute_source(function: str, parameters: tuple[str, ...], forward: str,
                    derivatives: tuple[str, ...], rules: tuple[str, ...]) -> str:
    """The code of a compute function: the value, then each local derivative with its rule."""
    for rule in rules:  # each is a comment: a line break would end it and run the rest
        if not rule.isprintable():
            raise ValueError(f"{function}: a rule text is one line of printable characters, got {rule!r}")
    lines = [f"def {function}({', '.join(parameters)}):", f"    out = {forward}", "    return (",
             "        out,"]
    lines.extend(f"        {derivative},  # {rule}" for derivative, rule in zip(derivatives, rules))
    lines.append("    )")
    return "\n".join(lines) + "\n"


def _awaiting_generated_code(*inputs: float) -> tuple[float, ...]:
    """An op's compute until ``autograd/_generated.py`` has been loaded (``import autograd`` loads it)."""
    raise RuntimeError(
        "this op's compute is generated into autograd/_generated.py, which is not loaded: "
        "import autograd first"
    )


def _define(name: str, symbol: str, formula: str, forward: str, derivatives: tuple[str, ...],
            rules: tuple[str, ...], methods: tuple[str, ...] = (), doc: str = "") -> Op:
    """The op of the table whose value is ``forward`` and whose local derivatives are ``derivatives``.

    Its ``compute`` is the function generated from these expressions into
    ``autograd/_generated.py``, attached when that module is loaded.
    """
    if not name.isidentifier():
        raise ValueError(f"op {name!r}: the name of a table op is a Python identifier")
    if len(rules) != len(derivatives) or len(derivatives) not in (1, 2):
        raise ValueError(f"op {name!r}: one or two derivatives, one rule text each")
    for rule in rules:
        _check_line(name, rule, "a rule text")
    try:
        _check_expressions(forward, derivatives, ())
    except ValueError as error:
        raise ValueError(f"op {name!r}: {error}") from None
    source = _compute_source(f"compute_{name}", INPUT_NAMES[:len(derivatives)], forward, derivatives, rules)
    op = Op(name, symbol, len(derivatives), _awaiting_generated_code, rules, formula,
            forward, derivatives, (), source, methods, doc)
    _table_made.add(op)
    return op


# --- the table: forward value, then the local derivative for each input ---
# Each derivative keeps today's numerical choices exactly: IEEE edge cases
# through the helpers, PyTorch's conventions at the kinks and at nan.

ADD = _define("add", "+", "{0} + {1}", "a + b", ("1.0", "1.0"),
              ("d(u + v)/du = 1", "d(u + v)/dv = 1"), ("__add__", "__radd__"), "Sum")
SUB = _define("sub", "-", "{0} - {1}", "a - b", ("1.0", "-1.0"),
              ("d(u − v)/du = 1", "d(u − v)/dv = −1"), ("__sub__", "__rsub__"), "Difference")
MUL = _define("mul", "*", "{0} * {1}", "a * b", ("b", "a"),
              ("d(u·v)/du = v", "d(u·v)/dv = u"), ("__mul__", "__rmul__"), "Product")
DIV = _define("div", "/", "{0} / {1}", "ieee_div(a, b)", ("ieee_div(1.0, b)", "ieee_div(-out, b)"),
              ("d(u/v)/du = 1/v", "d(u/v)/dv = −u/v²"), ("__truediv__", "__rtruediv__"),
              "Quotient (x/0 is +-inf, 0/0 is nan)")
# As PyTorch: the exponent's gradient is 0 where the base is 0 and b >= 0.
# A Value raised to a number is the power kind below; Value ** Value goes
# through compute (such nodes are rare), number ** Value through __rpow__.
POW = _define("pow", "**", "{0} ** {1}", "ieee_pow(a, b)",
              ("b * ieee_pow(a, b - 1.0) if b != 0.0 else 0.0",
               "0.0 if (a == 0.0 and b >= 0.0) else out * ieee_log(a)"),
              ("d(u^v)/du = v·u^(v − 1)", "d(u^v)/dv = u^v·log(u)"), ("__rpow__",), "Power")
NEG = _define("neg", "neg", "-{0}", "-a", ("-1.0",), ("d(−u)/du = −1",), ("__neg__",), "-self")
EXP = _define("exp", "exp", "exp({0})", "ieee_exp(a)", ("out",), ("d exp(u)/du = exp(u)",),
              ("exp",), "e ** self")
LOG = _define("log", "log", "log({0})", "ieee_log(a)", ("ieee_div(1.0, a)",), ("d log(u)/du = 1/u",),
              ("log",), "Natural logarithm (log 0 = -inf, log of a negative = nan)")
SQRT = _define("sqrt", "sqrt", "sqrt({0})", "ieee_sqrt(a)", ("ieee_div(0.5, out)",),
               ("d sqrt(u)/du = 1/(2·sqrt(u))",), ("sqrt",), "Square root (nan for a negative)")
# sign(a), 0 at 0 (and at nan), PyTorch's choice.
ABS = _define("abs", "abs", "abs({0})", "abs(a)", ("1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0",),
              ("d|u|/du = sign(u)",), ("__abs__", "abs"), "|self|, with derivative sign(self) (0 at 0)")
# 1 - out**2, factored: 1 - out*out would round out*out first and lose the
# small difference when |out| is near 1 (PyTorch fuses it into one rounding).
TANH = _define("tanh", "tanh", "tanh({0})", "math.tanh(a)", ("(1.0 - out) * (1.0 + out)",),
               ("d tanh(u)/du = 1 − tanh(u)²",), ("tanh",), "(e^x - e^-x) / (e^x + e^-x)")
SIGMOID = _define("sigmoid", "sigmoid", "sigmoid({0})", "stable_sigmoid(a)", ("out * (1.0 - out)",),
                  ("d sigmoid(u)/du = sigmoid(u)·(1 − sigmoid(u))",), ("sigmoid",),
                  "1 / (1 + e^-x), stable for any x")
# The derivative at 0 is taken as 0, PyTorch's choice; "a <= 0.0" is False
# at nan, so nan passes through with derivative 1, as in PyTorch (whose mask
# is "output <= 0"). micrograd names this op 'ReLU'; keeping its spelling
# keeps `_op` compatible.
RELU = _define("relu", "ReLU", "relu({0})", "0.0 if a <= 0.0 else a", ("0.0 if a <= 0.0 else 1.0",),
               ("d relu(u)/du = 1 (u > 0), 0 (u ≤ 0)",), ("relu",), "max(0, x), with derivative 0 at 0")

OPS: dict[str, Op] = {
    op.name: op
    for op in (ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, SQRT, ABS, TANH, SIGMOID, RELU)
}


# --- parameterised ops: one kind each, the number bound per op ---

# n * a**(n-1), written as micrograd writes it so results match to the bit.
POWER_KIND = OpKind("power", "n", "ieee_pow(a, n)", "n * ieee_pow(a, n - 1) if n != 0 else 0.0",
                    "d(uⁿ)/du = n·uⁿ⁻¹", "_power", "``self ** n`` for a number n")
# slope at 0 and at nan, as PyTorch (its mask is "input > 0").
LEAKY_RELU_KIND = OpKind("leaky_relu", "slope", "a if a > 0.0 else slope * a", "1.0 if a > 0.0 else slope",
                         "d leaky_relu(u)/du = 1 (u > 0), slope (u ≤ 0)", "_leaky_relu",
                         "x if x > 0 else slope * x")
KINDS: dict[str, OpKind] = {kind.name: kind for kind in (POWER_KIND, LEAKY_RELU_KIND)}
for _kind in KINDS.values():
    _check_expressions(_kind.forward, (_kind.derivative,), (_kind.parameter,))

# Each kind's generated compute, filled in by attach_generated_code.
_kind_computes: dict[str, Compute] = {}


def _kind_op(kind: OpKind, number: float, name: str, symbol: str, formula: str, rule: str) -> Op:
    """The op of ``kind`` for ``number``: the kind's compute with the number as its default."""
    generated = _kind_computes.get(kind.name)
    if generated is None:
        compute: Compute = _awaiting_generated_code
    else:
        compute = types.FunctionType(generated.__code__, generated.__globals__, generated.__name__,
                                     (number,))
    source = f"# {kind.parameter} = {number!r}\n{kind.source}"
    op = Op(name, symbol, 1, compute, (rule,), formula, kind.forward, (kind.derivative,),
            ((kind.parameter, number),), source, (), kind.doc)
    _table_made.add(op)
    return op


@lru_cache(maxsize=256)
def power_op(exponent: float) -> Op:
    """The op ``a ** n`` for a fixed number n (micrograd's ``_op`` is ``'**n'``)."""
    shown = _number_text(exponent)
    return _kind_op(POWER_KIND, exponent, f"pow{shown}", f"**{shown}", "{0}**" + shown,
                    f"d({_power_text(exponent)})/du = {_power_derivative_text(exponent)}")


@lru_cache(maxsize=64)
def leaky_relu_op(slope: float) -> Op:
    """The op ``leaky_relu(a) = a if a > 0 else slope*a`` for a fixed slope."""
    shown = _number_text(slope)
    return _kind_op(LEAKY_RELU_KIND, slope, "leaky_relu", f"LeakyReLU({shown})",
                    "leaky_relu({0}, " + shown + ")",
                    f"d leaky_relu(u)/du = 1 (u > 0), {_maths_number(slope)} (u ≤ 0)")


def _number_text(x: float) -> str:
    """A number as a person writes it: 2 rather than 2.0, 0.5 as 0.5."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


# --- rule texts of the kinds' ops, written as maths: u², 2·u, u^0.5, −0.5 ---

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _maths_number(x: float) -> str:
    """A number as maths writes it: 2, 0.7 (not 0.7000000000000002), −1.5 with a minus sign."""
    x = float(x)
    text = str(int(x)) if x.is_integer() and abs(x) < 1e16 else format(x, ".15g")
    return text.replace("-", "−")


def _power_text(exponent: float) -> str:
    """``u`` to the power ``exponent``: ``u²``, ``u⁻¹``, ``u^0.5``, ``u^(−1.5)``."""
    exponent = float(exponent)
    if exponent.is_integer() and abs(exponent) < 1e16:
        return "u" + str(int(exponent)).translate(_SUPERSCRIPTS)
    shown = _maths_number(exponent)
    return f"u^({shown})" if shown.startswith("−") else f"u^{shown}"


def _power_derivative_text(exponent: float) -> str:
    """n·uⁿ⁻¹ for one n, simplified as a person would: ``2·u``, ``1``, ``0``, ``−u⁻²``."""
    if exponent == 0.0:
        return "0"
    if exponent == 1.0:
        return "1"
    power = "u" if exponent == 2.0 else _power_text(exponent - 1)
    coefficient = {1.0: "", -1.0: "−"}.get(exponent, _maths_number(exponent) + "·")
    return coefficient + power


# --- the generated code joins the table ---

GeneratedEntry = tuple[Compute, str, tuple[str, ...]]


def attach_generated_code(op_computes: Mapping[str, GeneratedEntry],
                          kind_computes: Mapping[str, GeneratedEntry]) -> None:
    """Give each op of the table, and each kind, its compute from ``autograd/_generated.py``.

    Called once, by that module, with each function and the expressions it
    was generated from. A table op missing there, or generated from other
    expressions, is a RuntimeError: the module is out of date.
    """
    tables: list[tuple[Mapping[str, GeneratedEntry], Mapping[str, Op | OpKind]]] = [
        (op_computes, OPS), (kind_computes, KINDS)]
    for generated, table in tables:
        for name, entry in table.items():
            expressions = ((entry.forward, entry.derivatives) if isinstance(entry, Op)
                           else (entry.forward, (entry.derivative,)))
            found = generated.get(name)
            if found is None or found[1:] != expressions:
                raise RuntimeError(
                    f"autograd/_generated.py is out of date for op {name!r} of the table: "
                    "regenerate it with `python scripts/generate_engine.py`"
                )
    for name, op in OPS.items():
        # The table's ops are immutable to everyone else; this is the one
        # place their compute is set, and only to the code generated for them.
        object.__setattr__(op, "compute", op_computes[name][0])
    _kind_computes.update({name: entry[0] for name, entry in kind_computes.items()})
    power_op.cache_clear()
    leaky_relu_op.cache_clear()


# --- ops defined by users: the same kind of entry, made at run time ---

Derivative = Union[str, Callable[..., float]]


# What define_op takes for an expression (type checkers read the ABC Callable as a typing form, not a class).
_text_or_function = (str, cast(type, collections.abc.Callable))


def define_op(name: str, forward: str | Callable[..., float],
              derivatives: Derivative | Sequence[Derivative], rules: str | Sequence[str], *,
              symbol: str | None = None, formula: str | None = None) -> Op:
    """A new op from its forward value, local derivative(s) and rule text(s): the public way to add one.

    The same kind of entry the table's ops are made from::

        sin = define_op("sin", "math.sin(a)", ("math.cos(a)",), ("d sin(u)/du = cos(u)",))
        y = sin(x)      # a Value: it backpropagates, steps, explains, draws and compiles

    * ``forward`` -- the value: an expression in the inputs ``a`` (and
      ``b``), or a function of the inputs' floats;
    * ``derivatives`` -- one per input (so one or two; one op of one input
      may give a single one): an expression in ``a``, ``b`` and ``out`` (the
      forward value), or a function of the inputs' floats and then ``out``
      (``lambda a, out: math.cos(a)``);
    * ``rules`` -- the text of each derivative (``d sin(u)/du = cos(u)``), in
      any letters (the table writes its rules in ``u`` and ``v``);
    * ``symbol`` -- the short name a graph shows (default: ``name``);
    * ``formula`` -- how the op is written, ``{0}`` (and ``{1}``) standing for
      the inputs (default ``name({0})`` / ``name({0}, {1})``).

    Expressions may use ``math``, the builtins and this module's IEEE helpers
    (``ieee_exp``, ``ieee_log``, ...), as the table's do, and are checked the
    same way; ``Op.source`` shows the code made from them. An op given by
    functions has no expressions (``forward`` is None). Either way
    ``autograd.compile`` calls the op's ``compute``, and each value it
    returns must be a real number (a float; an int or a NumPy float is
    converted, a str, bool or complex is a TypeError). The op is called on
    Values or numbers and returns a Value; a forward or derivative that
    raises (``math.sin(inf)``) is reported with the op's name and inputs.

    The name is an identifier as Python reads it (NFKC: not ``ｓｉｎ``);
    rules, symbol and formula are each one line of printable characters,
    and the formula writes its inputs as bare ``{0}`` fields (no format spec).
    """
    from .validation import instance

    instance(name, "the op's name", str)
    if not name.isidentifier():
        raise ValueError(f"the op's name must be a Python identifier, got {name!r}")
    if unicodedata.normalize("NFKC", name) != name:
        # Python reads identifiers in NFKC: "ｓｉｎ" would define compute_sin.
        raise ValueError(f"the op's name must be written as Python reads it (NFKC): {name!r} reads as "
                         f"{unicodedata.normalize('NFKC', name)!r}")
    if name in OPS or name in KINDS:
        raise ValueError(f"op {name!r} is built in: give the new op another name")
    if isinstance(derivatives, str) or callable(derivatives):
        derivatives = (derivatives,)
    derivatives = tuple(instance(derivatives, "derivatives", (tuple, list)))
    if len(derivatives) not in (1, 2):
        raise ValueError(f"op {name!r}: one derivative per input (one or two), got {len(derivatives)}")
    arity = len(derivatives)
    rules = (rules,) if isinstance(rules, str) else tuple(instance(rules, "rules", (tuple, list)))
    if len(rules) != arity:
        raise ValueError(f"op {name!r}: one rule text per derivative ({arity}), got {len(rules)}")
    for position, rule in enumerate(rules):
        instance(rule, f"rules[{position}]", str)
        _check_line(name, rule, f"rules[{position}]")
    symbol = name if symbol is None else instance(symbol, "symbol", str)
    _check_line(name, symbol, "the symbol")
    formula = _default_formula(name, arity) if formula is None else instance(formula, "formula", str)
    _check_line(name, formula, "the formula")
    _check_formula(name, formula, arity)
    instance(forward, "forward", _text_or_function)
    for position, derivative in enumerate(derivatives):
        instance(derivative, f"derivatives[{position}]", _text_or_function)
    if isinstance(forward, str) and all(isinstance(derivative, str) for derivative in derivatives):
        texts: tuple[str, ...] = derivatives  # type: ignore[assignment]
        try:
            _check_expressions(forward, texts, ())
        except SyntaxError as error:
            raise ValueError(f"op {name!r}: an expression is not valid Python: {error.text!r}") from None
        except ValueError as error:
            raise ValueError(f"op {name!r}: {error}") from None
        function = f"compute_{name}"
        source = _compute_source(function, INPUT_NAMES[:arity], forward, texts, rules)
        compute = compile_function(source, f"<tracegrad op {name}>", dict(EXPRESSION_NAMES), function)
        return Op(name, symbol, arity, _checked_compute(compute, name), rules, formula, forward, texts,
                  (), source, (), "")
    compute = _compute_from_functions(name, _as_function(forward, arity, False),
                                      tuple(_as_function(d, arity, True) for d in derivatives))
    return Op(name, symbol, arity, compute, rules, formula, doc="")


def _checked_compute(compute: Compute, name: str) -> Compute:
    """``compute`` whose results are checked as a function-given op's are: each a real number, as a float."""
    def checked(*inputs: float) -> tuple[float, ...]:
        results = compute(*inputs)
        for result in results:
            if type(result) is not float:
                return tuple(_result_float(result, name, "forward" if position == 0 else
                                           f"derivative {position - 1}")
                             for position, result in enumerate(results))
        return results

    update_wrapper(checked, compute)  # inspect.getsource shows the generated code
    return checked


def _default_formula(name: str, arity: int) -> str:
    return name + ("({0})" if arity == 1 else "({0}, {1})")


def _check_formula(name: str, formula: str, arity: int) -> None:
    """Each input's placeholder, ``{0}`` (and ``{1}``), appears, and no other field, spec or conversion."""
    try:
        parsed = list(string.Formatter().parse(formula))
    except ValueError as error:
        raise ValueError(f"op {name!r}: the formula {formula!r} is not a format string: {error}") from None
    for _, field, spec, conversion in parsed:
        if field is not None and (spec or conversion):
            # "{0:>100000000}" would make every explanation build a 100 MB string.
            raise ValueError(f"op {name!r}: the formula {formula!r} may write an input only as "
                             f"{{{field}}}, without a format spec or conversion")
    fields = {field for _, field, _, _ in parsed if field is not None}
    wanted = {str(position) for position in range(arity)}
    if fields != wanted:
        raise ValueError(f"op {name!r}: the formula {formula!r} must write each input as "
                         f"{' and '.join('{' + field + '}' for field in sorted(wanted))}, and nothing else")


def _as_function(given: str | Callable[..., float], arity: int, reads_out: bool) -> Callable[..., float]:
    """An expression as a function of the inputs (and ``out``); a function as it is."""
    if callable(given):
        return given
    parameters = INPUT_NAMES[:arity] + (("out",) if reads_out else ())
    known = set(EXPRESSION_NAMES) | set(dir(builtins)) | set(parameters)
    _check_expression(given, known, "the derivative" if reads_out else "the forward")
    return eval(f"lambda {', '.join(parameters)}: {given}", dict(EXPRESSION_NAMES))  # noqa: S307 (checked)


def _compute_from_functions(name: str, forward: Callable[..., float],
                            derivatives: tuple[Callable[..., float], ...]) -> Compute:
    """``compute`` for an op given by functions: the forward value, then each derivative, as floats."""
    def compute(*inputs: float) -> tuple[float, ...]:
        out = _result_float(forward(*inputs), name, "forward")
        return (out, *(_result_float(derivative(*inputs, out), name, f"derivative {position}")
                       for position, derivative in enumerate(derivatives)))

    compute.__name__ = f"compute_{name}"
    return compute


def _result_float(result: object, name: str, what: str) -> float:
    if type(result) is float:
        return result
    if isinstance(result, (int, float)) and not isinstance(result, bool) or type(result).__name__ in (
            "float64", "float32", "int64", "int32"):
        return float(result)  # type: ignore[arg-type]
    raise TypeError(f"op {name!r}: its {what} must return a number (a float), got {type(result).__name__}")
