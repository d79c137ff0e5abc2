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
* **Atomic**: ``save`` writes ``to_json(model)`` with ``autograd.write_atomically``
  (a temporary file in the same directory, flushed, then renamed over the
  target), so a crash at any point leaves either the old file or the new one, whole.
* **Bounded**: loading refuses anything but a regular file (a FIFO, a device,
  a symlink to ``/dev/zero``) and files over ``MAX_FILE_BYTES`` (64 MiB)
  before reading, and never reads more than that.
* **Validated**: loading checks the file (UTF-8 text, the four top-level keys and no other, JSON with no key
  repeated in an object, ``"version"`` the int 1), the architecture, then
  every entry — unknown or missing names, values that are not numbers (bools,
  strings, null, lists are refused; ints are accepted), non-finite numbers —
  and raises a ``StateError`` naming the file and the first offending entry,
  before touching the model. ``load_model`` checks the architecture's sizes
  and that it implies as many entries as the state holds before building it,
  so a file cannot ask for a model of a billion neurons.
* **Shallow**: a model nests modules (a ``Sequential`` in a ``Sequential``)
  at most ``MAX_NESTING`` (100) deep; ``save`` refuses a deeper one and
  loading refuses a file describing one, measured without recursion, before
  anything else reads the description. Every failure to read a file,
  Python's ``RecursionError`` included, is a ``StateError``.

Which class a ``"type"`` names comes from the registry of module types
(``nn.module.MODULE_TYPES``): every Module subclass is in it.
"""

from __future__ import annotations

import json
import math
import os
import stat
from typing import Any, Mapping

from autograd import write_atomically

from .module import (
    Module,
    Path,
    StateError,
    build,
    implied_entries,
    validated_state,
)

__all__ = [
    "FORMAT",
    "VERSION",
    "StateError",
    "model_document",
    "to_json",
    "save",
    "read_bytes",
    "read_document",
    "MAX_FILE_BYTES",
    "MAX_NESTING",
    "load_into",
    "load_model",
    "build",
    "implied_entries",
]

FORMAT = "tracegrad.nn"
VERSION = 1
#: The keys of a model file's outer object, no more and no fewer.
TOP_LEVEL_KEYS = ("format", "version", "model", "state")
#: The largest model file ``load`` and ``load_model`` read: 64 MiB (some two million parameters).
MAX_FILE_BYTES = 64 * 2**20
#: The deepest nesting of modules a model file may describe (building, saving and
#: running a model recurse once per level; 100 leaves Python's stack ample room).
MAX_NESTING = 100


def _nesting(description: object) -> int:
    """How deeply modules nest in an architecture description: 1 for a layer, 2 for a Sequential of layers.

    Counts the JSON objects on the deepest path, walked with an explicit stack.
    """
    deepest = 0
    stack = [(description, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((item, depth) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth) for item in value)
    return deepest


def _check_nesting(description: object, what: str) -> None:
    depth = _nesting(description)
    if depth > MAX_NESTING:
        raise StateError(f"{what} nests modules {depth} deep, more than a model file may ({MAX_NESTING})")


def model_document(model: Module) -> dict[str, Any]:
    """What ``save`` writes, as JSON-ready data: format, version, architecture and state."""
    try:
        config = model.config()
        state = model.state_dict()
    except RecursionError:
        raise StateError(f"cannot save: the model nests modules too deeply to describe "
                         f"(a model file holds at most {MAX_NESTING} levels)") from None
    _check_nesting(config, "cannot save: the model")
    for name, value in state.items():
        if not math.isfinite(value):
            raise StateError(f"cannot save: entry {name!r} is {value!r}; JSON holds finite numbers only")
    return {"format": FORMAT, "version": VERSION, "model": config, "state": state}


def to_json(model: Module) -> str:
    """The text ``save`` writes for ``model``: strict JSON, exact floats, a final newline."""
    return json.dumps(model_document(model), allow_nan=False, indent=1) + "\n"


def save(model: Module, path: Path) -> None:
    """Write ``model``'s architecture and state to ``path`` (JSON, atomic, exact floats)."""
    write_atomically(path, to_json(model))


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


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of the regular file ``path``, refusing anything else or anything over ``limit``.

    The file is opened without blocking (a FIFO cannot hang it), checked to be
    a regular file (not a device such as ``/dev/zero``, even through a
    symlink) of at most ``limit`` bytes (default ``MAX_FILE_BYTES``) before
    reading, and at most ``limit + 1`` bytes are read (a file growing in the
    meantime is refused too).
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    where = os.fspath(path)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(handle.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise StateError(f"{where} is not a regular file; a model file is JSON written by save()")
        if status.st_size > limit:
            raise StateError(f"{where} holds {status.st_size} bytes, more than a model file may ({limit})")
        raw = handle.read(limit + 1)
    if len(raw) > limit:
        raise StateError(f"{where} holds more than {limit} bytes, more than a model file may")
    return raw


def read_document(path: Path) -> dict[str, Any]:
    """Parse and check the outer structure of a model file (not yet against any model)."""
    where = os.fspath(path)
    raw = read_bytes(path)
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
    for key in ("model", "state"):
        if not isinstance(document.get(key), dict):
            raise StateError(f"{where}: {key!r} must be a JSON object")
    extra = sorted(set(document) - set(TOP_LEVEL_KEYS))
    if extra:
        raise StateError(f"{where}: unexpected top-level key {extra[0]!r}; a model file holds {list(TOP_LEVEL_KEYS)}")
    _check_nesting(document["model"], f"{where}: the model")
    return document


def _first_difference(saved: object, current: object, where: str) -> str | None:
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


def _same_leaf(a: object, b: object) -> bool:
    """Equal settings, by type and value: a size 3.0 is not the size 3 (``load_model`` refuses it too)."""
    return type(a) is type(b) and a == b


def load_into(model: Module, path: Path) -> None:
    """Read ``path`` into ``model``: architecture must match, state must be exact and valid."""
    document = read_document(path)
    try:
        _load_document_into(model, document, path)
    except RecursionError:
        raise _too_deep(path) from None


def _too_deep(path: Path) -> StateError:
    return StateError(f"{os.fspath(path)}: the model nests modules too deeply to read "
                      f"(a model file holds at most {MAX_NESTING} levels)")


def _load_document_into(model: Module, document: Mapping[str, Any], path: Path) -> None:
    difference = _first_difference(document["model"], model.config(), "")
    if difference is not None:
        raise StateError(f"{os.fspath(path)} holds a different architecture: {difference}")
    try:
        values = validated_state(model, document["state"])
    except StateError as error:
        raise StateError(f"{os.fspath(path)}: {error}") from None
    model._apply_state(values)


def load_model(path: Path) -> Module:
    """Build the model a file describes and load its state into it.

    The architecture is checked before anything is built: its sizes must be
    positive ints and the number of entries it implies must be the number in
    the file's state.
    """
    document = read_document(path)
    try:
        return _model_from_document(document, path)
    except RecursionError:  # (the nesting is checked first: this is the last line of defence)
        raise _too_deep(path) from None


def _model_from_document(document: Mapping[str, Any], path: Path) -> Module:
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
