"""The op table: every operation of the engine, defined once.

Each op is one entry of a derivative table (the shape of autodidact's
``defvjp(exp, lambda g, ans, x: ans * g)``), written as Python expressions::

    MUL = _define("mul", "*", "{0} * {1}", "a * b", ("b", "a"),
                  ("d(a*b)/da = b", "d(a*b)/db = a"))

* ``forward`` -- the value, an expression in the inputs ``a`` (and ``b``);
* ``derivatives`` -- the local derivative with respect to each input, an
  expression in ``a``, ``b`` and ``out``, the forward value (``exp``'s is
  ``out``, ``tanh``'s ``(1.0 - out) * (1.0 + out)``);
* ``rules`` -- the text of each local derivative (``d(a*b)/da = b``);
* ``symbol`` -- the short name a graph shows (and micrograd's ``_op``);
* ``formula`` -- how the op is written with its inputs (``{0} * {1}``).

The expressions may use ``math``, the builtins and the IEEE helpers of this
module (``ieee_div``, ``ieee_pow``, ...); a parameterised op (``power_op(n)``,
``leaky_relu_op(slope)``) binds its number to a name (``n``, ``slope``).

The expressions are the only place the calculus is written. From them each
op's ``compute`` is generated once, at import: a function of the inputs'
float values returning the forward value, then one local derivative per
input (``mul(a, b) -> (a*b, b, a)``). ``Op.source`` is its code::

    >>> print(MUL.source)
    def compute(a, b):
        out = a * b
        return (
            out,
            b,  # d(a*b)/da = b
            a,  # d(a*b)/db = a
        )

``Value``'s methods (``__mul__``, ``tanh``, ...) are generated from the same
expressions with the arithmetic written inline, since they are the engine's
hottest code (``inspect.getsource(Value.__mul__)`` shows one): a method and
``compute`` evaluate the same text, so they agree to the bit. Backward,
tracing, formula display and gradcheck all read these records; none of them
repeats the calculus.

Every function here follows IEEE float semantics the way PyTorch does
(``exp(1000) -> inf``, ``log(0) -> -inf``, ``log(-1) -> nan``): no
OverflowError or "math domain error" escapes.
"""

from __future__ import annotations

import ast
import builtins
import linecache
import math
import types
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

INF = math.inf
NAN = math.nan


@dataclass(frozen=True, eq=False)
class Op:
    """One operation: its name, how it is drawn and written, and its calculus.

    Ops of the table also keep the expressions they were generated from
    (``forward``, ``derivatives``, the ``constants`` they name) and the code
    of ``compute`` (``source``); an Op made directly from a ``compute``
    function has none of these.
    """

    name: str
    symbol: str
    arity: int
    compute: Callable[..., tuple[float, ...]]
    rules: tuple[str, ...]
    formula: str
    forward: str | None = None
    derivatives: tuple[str, ...] | None = None
    constants: tuple[tuple[str, float], ...] = ()
    source: str | None = None

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def write(self, *operands: str) -> str:
        """The op written with the given operand texts, e.g. ``x * w``."""
        return self.formula.format(*operands)

    def namespace(self) -> dict[str, object]:
        """The names this op's expressions may use: ``math``, the IEEE helpers, its constants."""
        return {**EXPRESSION_NAMES, **dict(self.constants)}


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


# --- code generation: each op's expressions become its compute function ---

INPUT_NAMES = ("a", "b")


def compile_function(source: str, filename: str, namespace: dict[str, object], name: str) -> Callable:
    """Run ``source`` (one ``def``) with the globals ``namespace``; return the function it defines.

    The source is registered with ``linecache`` under ``filename``, so that
    tracebacks and ``inspect.getsource`` show the generated lines.
    """
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    # The def binds its name apart from the namespace, so a function named
    # like a builtin it calls (the method ``abs`` calls ``abs``) still works.
    defined: dict[str, object] = {}
    exec(compile(source, filename, "exec"), namespace, defined)
    return defined[name]  # type: ignore[return-value]


def _check_expression(text: str, allowed: set[str], what: str) -> None:
    """A single expression reading only ``allowed`` names (no assignment, no walrus)."""
    tree = ast.parse(text, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and (type(node.ctx) is not ast.Load or node.id not in allowed):
            raise ValueError(f"{what} {text!r} may not use the name {node.id!r}")
        if isinstance(node, (ast.NamedExpr, ast.Lambda)):
            raise ValueError(f"{what} {text!r} must be a plain expression")


def _compute_source(forward: str, derivatives: tuple[str, ...],
                    rules: tuple[str, ...], constants: tuple[tuple[str, float], ...]) -> str:
    """The code of ``compute``: the value, then each local derivative with its rule."""
    lines = [f"# {name} = {value!r}" for name, value in constants]
    lines.append(f"def compute({', '.join(INPUT_NAMES[:len(derivatives)])}):")
    lines.append(f"    out = {forward}")
    lines.append("    return (")
    lines.append("        out,")
    lines.extend(f"        {derivative},  # {rule}" for derivative, rule in zip(derivatives, rules))
    lines.append("    )")
    return "\n".join(lines) + "\n"


def _check_expressions(forward: str, derivatives: tuple[str, ...], constants: tuple[str, ...]) -> None:
    """The forward reads the inputs; the derivatives also ``out``; both the helpers and ``constants``."""
    inputs = set(INPUT_NAMES[:len(derivatives)])
    known = set(EXPRESSION_NAMES) | set(constants) | set(dir(builtins)) | inputs
    _check_expression(forward, known, "the forward")
    for derivative in derivatives:
        _check_expression(derivative, known | {"out"}, "the derivative")


@lru_cache(maxsize=None)
def _compiled_kind(forward: str, derivatives: tuple[str, ...], constants: tuple[str, ...]) -> Callable:
    """``compute`` of a parameterised op, compiled once for all its numbers (bound per op)."""
    _check_expressions(forward, derivatives, constants)
    placeholders = tuple((name, NAN) for name in constants)
    source = _compute_source(forward, derivatives, tuple(f"d/d{x}" for x in INPUT_NAMES), placeholders)
    source = source.replace(" = nan\n", " (bound per op)\n")
    namespace = {"__name__": __name__, **EXPRESSION_NAMES}
    return compile_function(source, f"<tracegrad op kind {forward}>", namespace, "compute")


def _define(name: str, symbol: str, formula: str, forward: str, derivatives: tuple[str, ...],
            rules: tuple[str, ...], **constants: float) -> Op:
    """The op whose value is ``forward`` and whose local derivatives are ``derivatives``.

    ``constants`` are numbers the expressions name (``n`` of ``a ** n``).
    """
    if len(rules) != len(derivatives) or len(derivatives) not in (1, 2):
        raise ValueError(f"op {name!r}: one or two derivatives, one rule text each")
    if any("\n" in rule for rule in rules):
        raise ValueError(f"op {name!r}: a rule text is one line")
    bound = tuple(constants.items())
    source = _compute_source(forward, derivatives, rules, bound)
    if constants:
        # One compiled function per kind (x ** n for every n), with this op's
        # numbers as its globals: a new exponent costs no compile, and adds
        # no generated source to keep.
        kind = _compiled_kind(forward, derivatives, tuple(constants))
        namespace = {"__name__": __name__, **EXPRESSION_NAMES, **constants}
        compute = types.FunctionType(kind.__code__, namespace, "compute")
    else:
        try:
            _check_expressions(forward, derivatives, ())
        except ValueError as error:
            raise ValueError(f"op {name!r}: {error}") from None
        namespace = {"__name__": __name__, **EXPRESSION_NAMES}
        compute = compile_function(source, f"<tracegrad op {name}>", namespace, "compute")
    return Op(name, symbol, len(derivatives), compute, rules, formula,
              forward, derivatives, bound, source)


# --- the table: forward value, then the local derivative for each input ---
# Each derivative keeps today's numerical choices exactly: IEEE edge cases
# through the helpers, PyTorch's conventions at the kinks and at nan.

ADD = _define("add", "+", "{0} + {1}", "a + b", ("1.0", "1.0"),
              ("d(a+b)/da = 1", "d(a+b)/db = 1"))
SUB = _define("sub", "-", "{0} - {1}", "a - b", ("1.0", "-1.0"),
              ("d(a-b)/da = 1", "d(a-b)/db = -1"))
MUL = _define("mul", "*", "{0} * {1}", "a * b", ("b", "a"),
              ("d(a*b)/da = b", "d(a*b)/db = a"))
DIV = _define("div", "/", "{0} / {1}", "ieee_div(a, b)", ("ieee_div(1.0, b)", "ieee_div(-out, b)"),
              ("d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2"))
# As PyTorch: the exponent's gradient is 0 where the base is 0 and b >= 0.
POW = _define("pow", "**", "{0} ** {1}", "ieee_pow(a, b)",
              ("b * ieee_pow(a, b - 1.0) if b != 0.0 else 0.0",
               "0.0 if (a == 0.0 and b >= 0.0) else out * ieee_log(a)"),
              ("d(a**b)/da = b*a**(b-1)", "d(a**b)/db = a**b*log(a)"))
NEG = _define("neg", "neg", "-{0}", "-a", ("-1.0",), ("d(-a)/da = -1",))
EXP = _define("exp", "exp", "exp({0})", "ieee_exp(a)", ("out",), ("d(exp(a))/da = exp(a)",))
LOG = _define("log", "log", "log({0})", "ieee_log(a)", ("ieee_div(1.0, a)",), ("d(log(a))/da = 1/a",))
SQRT = _define("sqrt", "sqrt", "sqrt({0})", "ieee_sqrt(a)", ("ieee_div(0.5, out)",),
               ("d(sqrt(a))/da = 1/(2*sqrt(a))",))
# sign(a), 0 at 0 (and at nan), PyTorch's choice.
ABS = _define("abs", "abs", "abs({0})", "abs(a)", ("1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0",),
              ("d|a|/da = sign(a)",))
# 1 - out**2, factored: 1 - out*out would round out*out first and lose the
# small difference when |out| is near 1 (PyTorch fuses it into one rounding).
TANH = _define("tanh", "tanh", "tanh({0})", "math.tanh(a)", ("(1.0 - out) * (1.0 + out)",),
               ("d(tanh(a))/da = 1 - tanh(a)**2",))
SIGMOID = _define("sigmoid", "sigmoid", "sigmoid({0})", "stable_sigmoid(a)", ("out * (1.0 - out)",),
                  ("d(sigmoid(a))/da = sigmoid(a)*(1 - sigmoid(a))",))
# The derivative at 0 is taken as 0, PyTorch's choice; "a <= 0.0" is False
# at nan, so nan passes through with derivative 1, as in PyTorch (whose mask
# is "output <= 0"). micrograd names this op 'ReLU'; keeping its spelling
# keeps `_op` compatible.
RELU = _define("relu", "ReLU", "relu({0})", "0.0 if a <= 0.0 else a", ("0.0 if a <= 0.0 else 1.0",),
               ("d(relu(a))/da = 1 if a > 0 else 0",))


def _check_exponent(exponent: float) -> float:
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
        raise TypeError(f"the exponent must be a real number, got {type(exponent).__name__}")
    return float(exponent)


@lru_cache(maxsize=256)
def power_op(exponent: float) -> Op:
    """The op ``a ** n`` for a fixed number n (micrograd's ``_op`` is ``'**n'``)."""
    shown = _number_text(exponent)
    # n * a**(n-1), written as micrograd writes it so results match to the bit.
    return _define(
        f"pow{shown}", f"**{shown}", "{0}**" + shown, "ieee_pow(a, n)",
        ("n * ieee_pow(a, n - 1) if n != 0 else 0.0",),
        (f"d(a**{shown})/da = {shown}*a**{_number_text(exponent - 1)}",),
        n=exponent,
    )


@lru_cache(maxsize=64)
def leaky_relu_op(slope: float) -> Op:
    """The op ``leaky_relu(a) = a if a > 0 else slope*a`` for a fixed slope."""
    shown = _number_text(slope)
    # slope at 0 and at nan, as PyTorch (its mask is "input > 0").
    return _define(
        "leaky_relu", f"LeakyReLU({shown})", "leaky_relu({0}, " + shown + ")",
        "a if a > 0.0 else slope * a", ("1.0 if a > 0.0 else slope",),
        (f"d(leaky_relu(a))/da = 1 if a > 0 else {shown}",), slope=slope,
    )


def _number_text(x: float) -> str:
    """A number as a person writes it: 2 rather than 2.0, 0.5 as 0.5."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


def op_by_name(name: str) -> Op:
    """The fixed op called ``name`` (parameterised ops come from their factories)."""
    try:
        return OPS[name]
    except KeyError:
        raise KeyError(f"no op named {name!r}; known ops: {', '.join(sorted(OPS))}") from None


OPS: dict[str, Op] = {
    op.name: op
    for op in (ADD, SUB, MUL, DIV, POW, NEG, EXP, LOG, SQRT, ABS, TANH, SIGMOID, RELU)
}
