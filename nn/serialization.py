"""Saving and loading models as JSON: exact floats, atomic writes, validated loads.

The file is one JSON object::

    {"format": "tracegrad.nn", "version": 1,
     "model": {"type": "MLP", "nin": 2, "nouts": [16, 16, 1], ...},
     "state": {"L1.N1.w1": 0.123..., ..., "L3.N1.b": -0.5...}}

* **Exact**: floats are written with ``repr`` (what ``json`` does), the
  shortest text that reads back as the same float, so save -> load is
  bit-exact (``-0.0`` included).
* **Strict JSON**: every value must be finite; NaN and Infinity are not JSON,
  so saving a model holding one raises (naming the parameter) and a file
  holding one is refused. A diverged model is not worth keeping.
* **Atomic**: the text goes to a temporary file in the same directory, is
  flushed to disk, then ``os.replace``-d over the target, so a crash at any
  point leaves either the old file or the new one, whole.
* **Validated**: loading checks the architecture, then every entry — unknown
  or missing names, values that are not numbers (bools, strings, null, lists
  are refused; ints are accepted), non-finite numbers — and raises a
  ``StateError`` naming the first offending entry, before touching the model.
"""

from __future__ import annotations

import json
import math
import numbers
import os
from typing import TYPE_CHECKING, Any, Mapping

from autograd import write_atomically

if TYPE_CHECKING:
    from .module import Module

FORMAT = "tracegrad.nn"
VERSION = 1


class StateError(ValueError):
    """A state (dict or file) that does not fit the model; the message names the entry."""


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _entry_problem(name: str, value: Any) -> str | None:
    """Why ``value`` cannot be entry ``name``, or None if it can."""
    if isinstance(value, bool):
        return f"entry {name!r} is a bool ({value!r}), not a number"
    if not isinstance(value, numbers.Real):
        return f"entry {name!r} is not a number: {type(value).__name__} {_describe(value)}"
    try:
        number = float(value)
    except OverflowError:
        return f"entry {name!r} is too large for a float: {_describe(value)}"
    if not math.isfinite(number):
        return f"entry {name!r} is {number!r}; parameters must be finite numbers"
    return None


def validated_state(model: "Module", state: Mapping[str, Any]) -> dict[str, float]:
    """``state`` as floats, if it holds exactly the model's entries, each a finite number.

    Raises ``StateError`` naming the first offending entry (in the state's own
    order, then the model's missing entries) and how many problems there are.
    """
    if not isinstance(state, Mapping):
        raise StateError(f"a state must be a mapping of names to numbers, got {type(state).__name__}")
    expected = list(model.state_dict())
    known = set(expected)
    problems: list[str] = []
    values: dict[str, float] = {}
    for name, value in state.items():
        if name not in known:
            problems.append(f"unexpected entry {name!r}: the model has no such parameter or buffer")
            continue
        problem = _entry_problem(name, value)
        if problem is not None:
            problems.append(problem)
        else:
            values[name] = float(value)
    for name in expected:
        if name not in state:
            problems.append(f"missing entry {name!r}")
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise StateError(problems[0] + more)
    return values


def model_document(model: "Module") -> dict[str, Any]:
    """What ``save`` writes: format, version, architecture and state."""
    state = model.state_dict()
    for name, value in state.items():
        if not math.isfinite(value):
            raise StateError(f"cannot save: entry {name!r} is {value!r}; JSON holds finite numbers only")
    return {"format": FORMAT, "version": VERSION, "model": model.config(), "state": state}


def atomic_write_json(path: Any, document: Any) -> None:
    """Write ``document`` as strict JSON to ``path`` so that a crash leaves the old file whole."""

    def dump(handle: Any) -> None:
        json.dump(document, handle, allow_nan=False, indent=1)
        handle.write("\n")

    write_atomically(path, dump)


def save(model: "Module", path: Any) -> None:
    """Write ``model``'s architecture and state to ``path`` (JSON, atomic, exact floats)."""
    atomic_write_json(path, model_document(model))


def read_document(path: Any) -> dict[str, Any]:
    """Parse and check the outer structure of a model file (not yet against any model)."""
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise StateError(f"{os.fspath(path)} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise StateError(f"{os.fspath(path)}: expected a JSON object, got {type(document).__name__}")
    if document.get("format") != FORMAT:
        raise StateError(f"{os.fspath(path)} is not a tracegrad model file (format {document.get('format')!r})")
    if document.get("version") != VERSION:
        raise StateError(f"{os.fspath(path)}: unsupported version {document.get('version')!r} (expected {VERSION})")
    for key, kind in (("model", dict), ("state", dict)):
        if not isinstance(document.get(key), kind):
            raise StateError(f"{os.fspath(path)}: {key!r} must be a JSON object")
    return document


def _first_difference(saved: Any, current: Any, where: str) -> str | None:
    """Where two architecture descriptions first differ, described; None if equal."""
    if isinstance(saved, dict) and isinstance(current, dict):
        for key in list(current) + [k for k in saved if k not in current]:
            if key not in saved:
                return f"{where}{key}: missing in the file (model has {current[key]!r})"
            if key not in current:
                return f"{where}{key}: file has {saved[key]!r}, the model has no such setting"
            found = _first_difference(saved[key], current[key], f"{where}{key}.")
            if found:
                return found
        return None
    if isinstance(saved, list) and isinstance(current, list) and len(saved) == len(current):
        for index, (a, b) in enumerate(zip(saved, current)):
            found = _first_difference(a, b, f"{where}{index}.")
            if found:
                return found
        return None
    if _same_leaf(saved, current):
        return None
    return f"{where.rstrip('.')}: file has {saved!r}, model has {current!r}"


def _same_leaf(a: Any, b: Any) -> bool:
    """Equal settings: numbers by value (2 == 2.0), everything else by type and value."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def load_into(model: "Module", path: Any) -> None:
    """Read ``path`` into ``model``: architecture must match, state must be exact and valid."""
    document = read_document(path)
    difference = _first_difference(document["model"], model.config(), "")
    if difference is not None:
        raise StateError(f"{os.fspath(path)} holds a different architecture: {difference}")
    try:
        values = validated_state(model, document["state"])
    except StateError as error:
        raise StateError(f"{os.fspath(path)}: {error}") from None
    model._apply_state(values)


def build(config: Mapping[str, Any]) -> "Module":
    """A fresh model of the architecture ``config`` (as ``Module.config()`` describes it)."""
    from .batchnorm import BatchNorm
    from .dropout import Dropout
    from .layers import MLP, Activation, Layer, Neuron, Sequential

    if not isinstance(config, Mapping) or "type" not in config:
        raise StateError(f"an architecture must be an object with a 'type', got {config!r}")
    settings = {key: value for key, value in config.items() if key != "type"}
    kind = config["type"]
    try:
        if kind == "MLP":
            return MLP(**settings)
        if kind == "Layer":
            return Layer(**settings)
        if kind == "Neuron":
            return Neuron(**settings)
        if kind == "Activation":
            return Activation(**settings)
        if kind == "Dropout":
            return Dropout(**settings)
        if kind == "BatchNorm":
            return BatchNorm(**settings)
        if kind == "Sequential":
            return Sequential(*(build(part) for part in settings.get("modules", ())))
    except TypeError as error:
        raise StateError(f"bad {kind} architecture {dict(config)!r}: {error}") from None
    raise StateError(f"unknown module type {kind!r}")


def load_model(path: Any) -> "Module":
    """Build the model a file describes and load its state into it."""
    document = read_document(path)
    model = build(document["model"])
    load_into(model, path)
    return model
