"""The articles' names for the nodes a network builds, in one table per article.

Each article names the same ideas its own way: the neuron article writes
z = Wx + b, y = f(z) and calls a hidden layer's output h; the ice-cream
article predicts the sales r̂ (r_hat) from temperature and weekday and
measures the MSE. nn labels every node it builds from one ``Naming``, the
one chosen with ``nn.naming`` (the "general" table unless one is chosen)::

    import nn
    with nn.naming("ice-cream"):
        model = nn.icecream_network()
        loss = nn.mse_loss(model.forward_batch([[0.8, 0.3]]), [0.6])
    # inputs temperature, weekday; z and h1, h2 in the hidden layer; r̂; r; e; MSE

The choice is per thread (and per asyncio task), like ``autograd.no_grad``:
a ``with nn.naming(...)`` block in one thread never renames what another
thread builds. Names are given when nodes are built, so a graph keeps the
names of the table it was built under.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Iterator

from autograd.validation import choice, instance

__all__ = ["Naming", "TABLES", "naming", "current", "known"]


@dataclass(frozen=True)
class Naming:
    """One article's names: what a weighted sum, a hidden activation, the output, ... are called.

    Hidden neuron k's activation is ``hidden + str(k)`` (``h1``, ``h2``); in a
    model with several hidden layers it is qualified by its layer's name
    (``L1.h1``, ``L2.h1``), like the parameters (``L1.N1.w1``). Input i is
    ``inputs[i - 1]`` when the model takes exactly ``len(inputs)`` inputs, else
    ``input_prefix + str(i)`` (``x1``, ``x2``). The mean squared error is
    ``mse`` when the article names it, every other loss ``loss``.
    """

    #: The article's subject, the table's key in ``TABLES`` ("general" for the common names).
    article: str
    #: Which article it follows, in words (the README's table shows it).
    source: str = ""
    #: A neuron's weighted sum z = w1*x1 + ... + b.
    weighted_sum: str = "z"
    #: The prefix of a hidden neuron's activation: h1, h2, ...
    hidden: str = "h"
    #: The model's output (its prediction).
    output: str = "ŷ"
    #: The value the output should have (the label of the data row).
    target: str = "y"
    #: The error e = output - target of one output.
    error: str = "e"
    #: A loss, the mean over samples.
    loss: str = "L"
    #: The mean squared error, when the article gives it its own name ("" : the same as ``loss``).
    mse: str = ""
    #: The inputs' names, when the article names its data's columns (() : ``x1``, ``x2``, ...).
    inputs: tuple[str, ...] = ()
    #: The prefix of a numbered input: x1, x2, ...
    input_prefix: str = "x"

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if field.name == "inputs":
                instance(value, "inputs", tuple)
                for position, name in enumerate(value, start=1):
                    _check_name(name, f"inputs[{position - 1}]")
            elif field.name not in ("source", "mse"):
                _check_name(value, field.name)
            else:
                instance(value, field.name, str)
        clashes = _clashes(self)
        if clashes:
            raise ValueError(f"Naming {self.article!r} gives two roles one name: {clashes[0]}")

    def hidden_name(self, k: int, layer: str = "") -> str:
        """Hidden neuron k's activation: ``h{k}``, or ``{layer}.h{k}`` when ``layer`` is given."""
        name = f"{self.hidden}{k}"
        return f"{layer}.{name}" if layer else name

    def input_name(self, position: int, count: int) -> str:
        """The name of input ``position`` (1-based) of a sample with ``count`` inputs."""
        if len(self.inputs) == count:
            return self.inputs[position - 1]
        return f"{self.input_prefix}{position}"

    def loss_name(self, kind: str = "") -> str:
        """The name of a loss: ``mse`` for the mean squared error ("mse") if the article names it, else ``loss``."""
        if kind == "mse" and self.mse:
            return self.mse
        return self.loss

    def roles(self) -> dict[str, str]:
        """Each role's name (hidden neurons shown as ``h1``, inputs as ``x1``, ...)."""
        named = {
            "weighted_sum": self.weighted_sum,
            "hidden": self.hidden_name(1),
            "output": self.output,
            "target": self.target,
            "error": self.error,
            "loss": self.loss,
        }
        if self.mse and self.mse != self.loss:
            named["mse"] = self.mse
        if self.inputs:
            named.update({f"input {i}": name for i, name in enumerate(self.inputs, start=1)})
        else:
            named["input"] = f"{self.input_prefix}1"
        return named


def _check_name(value: object, what: str) -> None:
    """Refuse a name that is not a string (TypeError) or is empty or padded with spaces (ValueError)."""
    text = instance(value, what, str)
    if not text or text != text.strip():
        raise ValueError(f"{what} must be a non-empty name without surrounding spaces, got {value!r}")


def _clashes(table: Naming) -> list[str]:
    """Every pair of roles of ``table`` whose names could be equal, described (empty: none)."""
    fixed = {
        "weighted_sum": table.weighted_sum,
        "output": table.output,
        "target": table.target,
        "error": table.error,
        "loss": table.loss,
    }
    if table.mse:
        fixed["mse"] = table.mse
    fixed.update({f"inputs[{i}]": name for i, name in enumerate(table.inputs)})
    found = []
    seen: dict[str, str] = {}
    for role, name in fixed.items():
        if name in seen and not {role, seen[name]} == {"loss", "mse"}:
            found.append(f"{seen[name]} and {role} are both {name!r}")
        seen.setdefault(name, role)
    # h1, h2, ... and x1, x2, ... are families: no fixed name may be one of their members.
    for prefix, family in ((table.hidden, "hidden"), (table.input_prefix, "input_prefix")):
        member = re.compile(rf"(?:.+\.)?{re.escape(prefix)}[0-9]+")
        for role, name in fixed.items():
            if member.fullmatch(name) and not (family == "input_prefix" and role.startswith("inputs[")):
                found.append(f"{role} {name!r} looks like a {family} name ({prefix}1, {prefix}2, ...)")
    if table.hidden == table.input_prefix:
        found.append(f"hidden and input_prefix are both {table.hidden!r}")
    return found


GENERAL = Naming(
    "general",
    source="the common names (ŷ for a prediction, y for its target, L for a loss)",
)
NEURON = Naming(
    "neuron",
    source="the neuron article (LLM学习笔记-神经网络的基本组成元素): z = Wx + b, y = f(z), hidden outputs h",
    output="y",
    target="t",
)
ICECREAM = Naming(
    "ice-cream",
    source="the ice-cream article (神经网络学习原理): r̂ (r_hat) predicts the sales r, MSE measures it",
    output="r\u0302",
    target="r",
    mse="MSE",
    inputs=("temperature", "weekday"),
)

#: Every article's table by its subject.
TABLES: dict[str, Naming] = {table.article: table for table in (GENERAL, NEURON, ICECREAM)}

_current: ContextVar[Naming] = ContextVar("nn_naming", default=GENERAL)

# Every name a role has been given by a table in use (the built-in ones from the start), so
# readers of a graph (nn.backprop, nn.picture) recognise the nodes whatever table built them.
_known_lock = threading.Lock()
_known: dict[str, frozenset[str]] = {}


def _remember(table: Naming) -> None:
    with _known_lock:
        for field in ("weighted_sum", "hidden", "output", "target", "error", "loss", "mse"):
            name = getattr(table, field)
            if name:
                _known[field] = _known.get(field, frozenset()) | {name}


for _table in TABLES.values():
    _remember(_table)


def known(role: str) -> frozenset[str]:
    """Every name ``role`` ("weighted_sum", "hidden", "output", ...) has in the tables used so far."""
    choice(role, "role", ("weighted_sum", "hidden", "output", "target", "error", "loss", "mse"))
    return _known.get(role, frozenset())


def is_hidden_label(label: str) -> bool:
    """True for a hidden activation's label as nn gives it (``h1``, ``L2.h3``) under any table used."""
    stem = label.rsplit(".", 1)[-1]
    return any(stem.startswith(prefix) and stem[len(prefix):].isdigit() for prefix in known("hidden"))


def current() -> Naming:
    """The table nn names nodes from in this thread (``TABLES["general"]`` unless ``naming`` chose one)."""
    return _current.get()


def table(which: str | Naming) -> Naming:
    """The table called ``which`` (a key of ``TABLES``), or ``which`` itself if it is a ``Naming``."""
    if isinstance(which, Naming):
        return which
    instance(which, "naming", str)
    return TABLES[choice(which, "naming", TABLES)]


@contextmanager
def naming(which: str | Naming) -> Iterator[Naming]:
    """Context manager: nodes nn builds inside are named from table ``which`` ("general", "neuron", "ice-cream").

    ``which`` may also be a ``Naming`` of your own. Yields the table; the
    previous one is restored on exit, also when the body raises.
    """
    chosen = table(which)
    _remember(chosen)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)
