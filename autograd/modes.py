"""Modes that change how ops record: ``no_grad``, ``detect_anomaly`` and ``scope``.

The state lives in one small object that the engine reads on every op; the
context managers here are the only writers. Modes nest and are restored on
exit even when the body raises.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from typing import Iterator

from .validation import instance


class Scope:
    """A named region of a computation (a layer, a neuron); nodes built inside carry it."""

    __slots__ = ("path",)

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path

    @property
    def name(self) -> str:
        """The dotted name of the scope, e.g. ``L1.N2``."""
        return ".".join(self.path)

    def __repr__(self) -> str:
        return f"Scope({self.name!r})"


class _State:
    """What the engine reads on every op: recording on, anomaly checks, the current scope."""

    __slots__ = ("grad_enabled", "anomaly", "scope", "fast")

    def __init__(self) -> None:
        self.grad_enabled = True
        self.anomaly = False
        self.scope: Scope | None = None
        # True when an op needs nothing but its graph edges recorded.
        self.fast = True

    def refresh(self) -> None:
        """Recompute ``fast`` after a mode changed."""
        self.fast = self.grad_enabled and not self.anomaly


STATE = _State()


def is_grad_enabled() -> bool:
    """Whether ops currently record a graph (False inside ``no_grad``)."""
    return STATE.grad_enabled


@contextmanager
def _set_grad_enabled(enabled: bool) -> Iterator[None]:
    """Ops record a graph or not inside; the previous setting comes back on exit."""
    previous = STATE.grad_enabled
    STATE.grad_enabled = enabled
    STATE.refresh()
    try:
        yield
    finally:
        STATE.grad_enabled = previous
        STATE.refresh()


def no_grad() -> AbstractContextManager[None]:
    """Context manager (or decorator): ops inside build no graph (for updates and evaluation)."""
    return _set_grad_enabled(False)


def enable_grad() -> AbstractContextManager[None]:
    """Context manager: ops inside record a graph again, even within ``no_grad``."""
    return _set_grad_enabled(True)


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Context manager: the first op or backward step giving inf or nan raises.

    The error (a ``FloatingPointError``) names the op, its inputs' values and
    their labels.
    """
    previous = STATE.anomaly
    STATE.anomaly = True
    STATE.refresh()
    try:
        yield
    finally:
        STATE.anomaly = previous
        STATE.refresh()


@contextmanager
def scope(name: str) -> Iterator[Scope]:
    """Context manager: every node built inside is tagged with this scope.

    Scopes nest: ``scope("L1")`` then ``scope("N2")`` tags nodes ``L1.N2``.
    Drawing groups nodes by scope.
    """
    instance(name, "a scope name", str)
    if not name or "." in name:
        raise ValueError(f"a scope name must be a non-empty string without '.', got {name!r}")
    outer = STATE.scope
    inner = Scope((outer.path if outer is not None else ()) + (name,))
    STATE.scope = inner
    try:
        yield inner
    finally:
        STATE.scope = outer
