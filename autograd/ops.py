"""The op table: every operation of the engine, defined once.

Each op is an :class:`Op` record holding everything that belongs to it:

* ``compute`` -- a function of the inputs' float values that returns the
  forward value followed by the local derivative with respect to each input
  (``mul(a, b) -> (a*b, b, a)``);
* ``rules`` -- the text of each local derivative (``d(a*b)/da = b``);
* ``symbol`` -- the short name a graph shows (and micrograd's ``_op``);
* ``formula`` -- how the op is written with its inputs (``{0} * {1}``).

Backward, tracing, formula display and gradcheck all read these records;
none of them repeats the calculus. Every function here follows IEEE float
semantics the way PyTorch does (``exp(1000) -> inf``, ``log(0) -> -inf``,
``log(-1) -> nan``): no OverflowError or "math domain error" escapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

INF = math.inf
NAN = math.nan


@dataclass(frozen=True, eq=False)
class Op:
    """One operation: its name, how it is drawn and written, and its calculus."""

    name: str
    symbol: str
    arity: int
    compute: Callable[..., tuple[float, ...]]
    rules: tuple[str, ...]
    formula: str

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def write(self, *operands: str) -> str:
        """The op written with the given operand texts, e.g. ``x * w``."""
        return self.formula.format(*operands)


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


# --- the ops: forward value, then one local derivative per input ---

def _add(a: float, b: float) -> tuple[float, float, float]:
    return a + b, 1.0, 1.0


def _sub(a: float, b: float) -> tuple[float, float, float]:
    return a - b, 1.0, -1.0


def _mul(a: float, b: float) -> tuple[float, float, float]:
    return a * b, b, a


def _div(a: float, b: float) -> tuple[float, float, float]:
    quotient = ieee_div(a, b)
    return quotient, ieee_div(1.0, b), ieee_div(-quotient, b)


def _pow(a: float, b: float) -> tuple[float, float, float]:
    power = ieee_pow(a, b)
    d_base = b * ieee_pow(a, b - 1.0) if b != 0.0 else 0.0
    # As PyTorch: the exponent's gradient is 0 where the base is 0 and b >= 0.
    d_exponent = 0.0 if (a == 0.0 and b >= 0.0) else power * ieee_log(a)
    return power, d_base, d_exponent


def _neg(a: float) -> tuple[float, float]:
    return -a, -1.0


def _exp(a: float) -> tuple[float, float]:
    e = ieee_exp(a)
    return e, e


def _log(a: float) -> tuple[float, float]:
    return ieee_log(a), ieee_div(1.0, a)


def _sqrt(a: float) -> tuple[float, float]:
    root = ieee_sqrt(a)
    return root, ieee_div(0.5, root)


def _abs(a: float) -> tuple[float, float]:
    # The derivative is sign(a), 0 at 0 (and at nan), PyTorch's choice.
    return abs(a), (1.0 if a > 0.0 else -1.0 if a < 0.0 else 0.0)


def _tanh(a: float) -> tuple[float, float]:
    t = math.tanh(a)
    # 1 - t**2, factored: 1 - t*t would round t*t first and lose the small
    # difference when |t| is near 1 (PyTorch fuses it into one rounding).
    return t, (1.0 - t) * (1.0 + t)


def _sigmoid(a: float) -> tuple[float, float]:
    s = stable_sigmoid(a)
    return s, s * (1.0 - s)


def _relu(a: float) -> tuple[float, float]:
    # The derivative at 0 is taken as 0, PyTorch's choice; PyTorch also lets
    # the gradient through at nan (its mask is "output <= 0").
    if a > 0.0:
        return a, 1.0
    if a != a:
        return a, 1.0
    return 0.0, 0.0


ADD = Op("add", "+", 2, _add, ("d(a+b)/da = 1", "d(a+b)/db = 1"), "{0} + {1}")
SUB = Op("sub", "-", 2, _sub, ("d(a-b)/da = 1", "d(a-b)/db = -1"), "{0} - {1}")
MUL = Op("mul", "*", 2, _mul, ("d(a*b)/da = b", "d(a*b)/db = a"), "{0} * {1}")
DIV = Op("div", "/", 2, _div, ("d(a/b)/da = 1/b", "d(a/b)/db = -a/b**2"), "{0} / {1}")
POW = Op(
    "pow", "**", 2, _pow,
    ("d(a**b)/da = b*a**(b-1)", "d(a**b)/db = a**b*log(a)"), "{0} ** {1}",
)
NEG = Op("neg", "neg", 1, _neg, ("d(-a)/da = -1",), "-{0}")
EXP = Op("exp", "exp", 1, _exp, ("d(exp(a))/da = exp(a)",), "exp({0})")
LOG = Op("log", "log", 1, _log, ("d(log(a))/da = 1/a",), "log({0})")
SQRT = Op("sqrt", "sqrt", 1, _sqrt, ("d(sqrt(a))/da = 1/(2*sqrt(a))",), "sqrt({0})")
ABS = Op("abs", "abs", 1, _abs, ("d|a|/da = sign(a)",), "abs({0})")
TANH = Op("tanh", "tanh", 1, _tanh, ("d(tanh(a))/da = 1 - tanh(a)**2",), "tanh({0})")
SIGMOID = Op(
    "sigmoid", "sigmoid", 1, _sigmoid,
    ("d(sigmoid(a))/da = sigmoid(a)*(1 - sigmoid(a))",), "sigmoid({0})",
)
# micrograd names this op 'ReLU'; keeping its spelling keeps `_op` compatible.
RELU = Op("relu", "ReLU", 1, _relu, ("d(relu(a))/da = 1 if a > 0 else 0",), "relu({0})")


def _check_exponent(exponent: float) -> float:
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float)):
        raise TypeError(f"the exponent must be a real number, got {type(exponent).__name__}")
    return float(exponent)


@lru_cache(maxsize=256)
def power_op(exponent: float) -> Op:
    """The op ``a ** n`` for a fixed number n (micrograd's ``_op`` is ``'**n'``)."""
    n = exponent

    def _pow_const(a: float) -> tuple[float, float]:
        # n * a**(n-1), written as micrograd writes it so results match to the bit.
        return ieee_pow(a, n), (n * ieee_pow(a, n - 1) if n != 0 else 0.0)

    shown = _number_text(n)
    return Op(
        f"pow{shown}", f"**{shown}", 1, _pow_const,
        (f"d(a**{shown})/da = {shown}*a**{_number_text(n - 1)}",), "{0}**" + shown,
    )


@lru_cache(maxsize=64)
def leaky_relu_op(slope: float) -> Op:
    """The op ``leaky_relu(a) = a if a > 0 else slope*a`` for a fixed slope."""

    def _leaky_relu(a: float) -> tuple[float, float]:
        # slope at 0 and at nan, as PyTorch (its mask is "input > 0").
        if a > 0.0:
            return a, 1.0
        return slope * a, slope

    shown = _number_text(slope)
    return Op(
        "leaky_relu", f"LeakyReLU({shown})", 1, _leaky_relu,
        (f"d(leaky_relu(a))/da = 1 if a > 0 else {shown}",), "leaky_relu({0}, " + shown + ")",
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
