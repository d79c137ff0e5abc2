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
* **Validated**: loading checks the file (UTF-8 text, JSON with no key
  repeated in an object, ``"version"`` the int 1), the architecture, then
  every entry — unknown or missing names, values that are not numbers (bools,
  strings, null, lists are refused; ints are accepted), non-finite numbers —
  and raises a ``StateError`` naming the file and the first offending entry,
  before touching the model. ``load_model`` checks the architecture's sizes
  and that it implies as many entries as the state holds before building it,
  so a file cannot ask for a model of a billion neurons.
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


class _DuplicateKey(Exception):
    """Raised inside ``json.loads`` when one JSON object names a key twice."""


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook``: a dict, unless a key repeats (``json`` would silently keep the last)."""
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise _DuplicateKey(key)
        document[key] = value
    return document


def read_document(path: Any) -> dict[str, Any]:
    """Parse and check the outer structure of a model file (not yet against any model)."""
    where = os.fspath(path)
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise StateError(
            f"{where} is not UTF-8 text (byte {error.start} is {raw[error.start:error.start + 1]!r}); "
            "a model file is JSON written by save()"
        ) from None
    try:
        document = json.loads(text, object_pairs_hook=_refuse_duplicate_keys)
    except _DuplicateKey as duplicate:
        raise StateError(
            f"{where}: key {duplicate.args[0]!r} appears twice in one JSON object; refusing to guess which counts"
        ) from None
    except (ValueError, RecursionError) as error:
        # JSONDecodeError, and ValueError for an int of more digits than Python converts.
        raise StateError(f"{where} is not valid JSON: {error}") from None
    if not isinstance(document, dict):
        raise StateError(f"{where}: expected a JSON object, got {type(document).__name__}")
    if document.get("format") != FORMAT:
        raise StateError(f"{where} is not a tracegrad model file (format {document.get('format')!r})")
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        raise StateError(f"{where}: unsupported version {version!r} (expected the int {VERSION})")
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
    _load_document_into(model, read_document(path), path)


def _load_document_into(model: "Module", document: Mapping[str, Any], path: Any) -> None:
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
    except StateError:
        raise
    except (TypeError, ValueError) as error:
        raise StateError(f"bad {kind} architecture {dict(config)!r}: {error}") from None
    raise StateError(f"unknown module type {kind!r}")


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise StateError(f"{what} must be a positive int, got {_describe(value)}")
    return value


def _size(config: Mapping[str, Any], key: str, where: str) -> int:
    """Setting ``key`` of an architecture: a positive int (not a bool)."""
    if key not in config:
        raise StateError(f"{where}{config['type']} architecture has no {key!r}")
    return _positive_int(config[key], f"{where}{key}")


def implied_entries(config: Any, where: str = "") -> int:
    """How many state entries (parameters and buffers) the architecture ``config`` has, without building it.

    Checks every size is a positive int on the way, so that a file cannot ask
    ``build`` for a model of a billion neurons before its state is compared.
    """
    if not isinstance(config, Mapping) or "type" not in config:
        raise StateError(f"{where}an architecture must be an object with a 'type', got {_describe(config)}")
    kind = config["type"]
    if kind == "MLP":
        nin = _size(config, "nin", where)
        nouts = config.get("nouts")
        if not isinstance(nouts, list) or not nouts:
            raise StateError(f"{where}nouts must be a non-empty list of layer sizes, got {_describe(nouts)}")
        sizes = [nin] + [_positive_int(n, f"{where}nouts[{i}]") for i, n in enumerate(nouts)]
        return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:]))
    if kind == "Layer":
        return (_size(config, "nin", where) + 1) * _size(config, "nout", where)
    if kind == "Neuron":
        return _size(config, "nin", where) + 1
    if kind == "BatchNorm":
        return 4 * _size(config, "num_features", where)  # gamma, beta; running mean, running var
    if kind in ("Activation", "Dropout"):
        return 0
    if kind == "Sequential":
        modules = config.get("modules")
        if not isinstance(modules, list):
            raise StateError(f"{where}Sequential modules must be a list, got {_describe(modules)}")
        return sum(implied_entries(part, f"{where}modules[{i}].") for i, part in enumerate(modules))
    raise StateError(f"{where}unknown module type {kind!r}")


def load_model(path: Any) -> "Module":
    """Build the model a file describes and load its state into it.

    The architecture is checked before anything is built: its sizes must be
    positive ints and the number of entries it implies must be the number in
    the file's state.
    """
    document = read_document(path)
    where = os.fspath(path)
    try:
        expected = implied_entries(document["model"])
    except StateError as error:
        raise StateError(f"{where}: {error}") from None
    found = len(document["state"])
    if expected != found:
        raise StateError(
            f"{where}: the architecture implies {expected} state entries but the file's state holds {found}"
        )
    try:
        model = build(document["model"])
    except StateError as error:
        raise StateError(f"{where}: {error}") from None
    _load_document_into(model, document, path)
    return model
