"""Modes that change how ops record: ``no_grad``, ``detect_anomaly``, ``scope`` and ``row``.

Modes are per thread, as in PyTorch: a ``no_grad`` (or a scope, or a row)
in one thread never changes what another thread builds, and a new thread
starts with the defaults (recording on, no anomaly check, no scope), whatever
the thread that started it has active. (They are kept in a ``ContextVar``,
so each asyncio task has its own too.) Each ``with`` block restores on exit
the state it found, also when the body raises; blocks that exit out of
order (two generators, each inside a ``with``, closed in the order they were
opened) still leave the thread as it was once every block has exited,
because each block removes only its own setting.

How it stays fast: an op first reads ``STATE.active``, which is None while
no block is active in any thread; only otherwise does it look up its own
thread's modes (one ``ContextVar.get``). A thread is counted in before its
first block sets its modes and out after its last block has removed its
setting, so an op that reads None has no mode of its own to miss.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager, ContextDecorator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Callable, Literal

from .validation import instance, integer


class Scope:
    """A named region of a computation (a layer, a neuron) and the batch row; nodes built inside carry it.

    ``path`` is the scope's names from the outermost (``("L1", "N2")``), or
    ``()`` outside any ``scope``; ``row`` is the 1-based batch row set by
    ``autograd.row``, or None; ``kinds`` says what each scope of the path is,
    as its maker named it (``("layer", "neuron")``; ``""`` when unnamed):
    a drawing folds "every neuron" by kind, knowing nothing of networks.
    """

    __slots__ = ("path", "row", "kinds")

    def __init__(self, path: tuple[str, ...], row: int | None = None, kinds: tuple[str, ...] | None = None) -> None:
        self.path = path
        self.row = row
        self.kinds = kinds if kinds is not None else ("",) * len(path)

    @property
    def name(self) -> str:
        """The dotted name of the scope, e.g. ``L1.N2`` ('' for a row outside any scope)."""
        return ".".join(self.path)

    def __repr__(self) -> str:
        shown = f", row={self.row}" if self.row is not None else ""
        return f"Scope({self.name!r}{shown})"


class _Setting:
    """One ``with`` block's setting: the field of the modes it sets, and the value."""

    __slots__ = ("field", "value")

    def __init__(self, field: str, value: object) -> None:
        self.field = field
        self.value = value


class Modes:
    """One thread's modes (immutable): recording on, anomaly checks, the scope nodes are tagged with.

    ``fast`` is True when an op needs nothing but its edges recorded (and
    its scope tagged); ``settings`` are the active blocks' settings, innermost last.
    """

    __slots__ = ("grad_enabled", "anomaly", "scope", "fast", "settings")

    def __init__(self, settings: tuple[_Setting, ...] = ()) -> None:
        values: dict[str, object] = {"grad_enabled": True, "anomaly": False, "scope": None}
        for setting in settings:  # for each field, the innermost setting wins
            values[setting.field] = setting.value
        self.grad_enabled: bool = values["grad_enabled"]  # type: ignore[assignment]
        self.anomaly: bool = values["anomaly"]  # type: ignore[assignment]
        self.scope: Scope | None = values["scope"]  # type: ignore[assignment]
        self.fast = self.grad_enabled and not self.anomaly
        self.settings = settings

    if TYPE_CHECKING:  # a Modes is always true ('modes and modes.scope' is a Scope or None), at no run-time cost
        def __bool__(self) -> Literal[True]: ...

    def extended(self, setting: _Setting) -> "Modes":
        """These modes with one more (innermost) setting: ``Modes(self.settings + (setting,))``, faster."""
        modes = _new_modes(Modes)
        modes.grad_enabled = self.grad_enabled
        modes.anomaly = self.anomaly
        modes.scope = self.scope
        setattr(modes, setting.field, setting.value)
        modes.fast = modes.grad_enabled and not modes.anomaly
        modes.settings = self.settings + (setting,)
        return modes


_new_modes = object.__new__
DEFAULT_MODES = Modes()

# This thread's (this context's) modes; None stands for DEFAULT_MODES.
_modes: ContextVar[Modes | None] = ContextVar("tracegrad_modes", default=None)
get_modes = _modes.get


class _Shared:
    """``active``: None while no mode block is active in any thread, else True (what every op reads first)."""

    __slots__ = ("active",)

    def __init__(self) -> None:
        self.active: Literal[True] | None = None


STATE = _Shared()
_blocks_active = 0
_lock = threading.Lock()


def current_modes() -> Modes:
    """This thread's modes."""
    return _modes.get() or DEFAULT_MODES


def _count_block(change: int) -> None:
    global _blocks_active
    with _lock:
        _blocks_active += change
        STATE.active = True if _blocks_active else None


class _Block(ContextDecorator):
    """One ``with`` block setting one field of this thread's modes; on exit it removes exactly that.

    A class rather than a generator: ``nn`` enters a row block per neuron per
    sample, thousands per training step. Leaving in order (the usual case)
    puts back the modes found on entry; leaving out of order removes only
    this block's setting from whatever the thread has then.
    """

    def __init__(self, field: str, value: object = None,
                 make: Callable[[Modes], object] | None = None) -> None:
        """``value`` is the setting; or ``make`` computes it, at entry, from the modes found then."""
        self._field, self._value, self._make = field, value, make
        self._entries: list[tuple[_Setting, Modes | None, Modes]] = []

    def _recreate_cm(self) -> "_Block":  # each decorated call gets a block of its own
        return _Block(self._field, self._value, self._make)

    def __enter__(self) -> Any:
        found = _modes.get()
        value = self._value if self._make is None else self._make(found or DEFAULT_MODES)
        setting = _Setting(self._field, value)
        if found is None:  # this thread had no block: now it has (counted before ops can see it)
            _count_block(+1)
        made = (found or DEFAULT_MODES).extended(setting)
        _modes.set(made)
        self._entries.append((setting, found, made))
        return None if self._make is None else value

    def __exit__(self, *exception: object) -> None:
        setting, found, made = self._entries.pop()
        now = _modes.get()
        if now is made:
            after = found
        else:
            settings = (now or DEFAULT_MODES).settings
            if setting not in settings:  # the block is closed from another thread
                return
            remaining = tuple(other for other in settings if other is not setting)
            after = Modes(remaining) if remaining else None
        _modes.set(after)
        if after is None and now is not None:  # this thread's last block: counted out after it is gone
            _count_block(-1)


class _RowBlock(_Block):
    """``row(k)``'s block: the scope found at entry, with row ``k``."""

    def __init__(self, k: int) -> None:
        super().__init__("scope", make=self._scope_at)
        self._k = k

    def _recreate_cm(self) -> "_RowBlock":
        return _RowBlock(self._k)

    def _scope_at(self, modes: Modes) -> Scope:
        outer = modes.scope
        return Scope(outer.path, self._k, outer.kinds) if outer is not None else Scope((), self._k, ())


def _setting(field: str, value: object) -> _Block:
    """Set one field of this thread's modes inside the block; on exit remove exactly this setting."""
    return _Block(field, value)


def is_grad_enabled() -> bool:
    """Whether ops in this thread currently record a graph (False inside ``no_grad``)."""
    return current_modes().grad_enabled


def no_grad() -> AbstractContextManager[None]:
    """Context manager (or decorator): ops inside build no graph (for updates and evaluation).

    Per thread: ops in other threads keep recording.
    """
    return _setting("grad_enabled", False)


def enable_grad() -> AbstractContextManager[None]:
    """Context manager: ops inside record a graph again, even within ``no_grad`` (this thread only)."""
    return _setting("grad_enabled", True)


def detect_anomaly() -> AbstractContextManager[None]:
    """Context manager: the first op or backward step giving inf or nan raises (this thread only).

    The error (a ``FloatingPointError``) names the op, its inputs' values and
    their labels.
    """
    return _setting("anomaly", True)


def scope(name: str, kind: str = "") -> AbstractContextManager[Scope]:
    """Context manager: every node built inside (in this thread) is tagged with this scope.

    Scopes nest: ``scope("L1")`` then ``scope("N2")`` tags nodes ``L1.N2``.
    A row set by ``autograd.row`` around it is kept. Drawing groups nodes by
    scope; ``kind`` says what the scope is (``nn`` says ``"layer"`` and
    ``"neuron"``), so that ``draw(collapse="neurons")`` folds every scope of that kind.
    """
    instance(name, "a scope name", str)
    if not name or "." in name:
        raise ValueError(f"a scope name must be a non-empty string without '.', got {name!r}")
    instance(kind, "a scope kind", str)
    if "." in kind or kind != kind.strip():
        raise ValueError(f"a scope kind must be a word such as 'layer', got {kind!r}")

    def inner(modes: Modes) -> Scope:
        outer = modes.scope
        if outer is None:
            return Scope((name,), None, (kind,))
        return Scope(outer.path + (name,), outer.row, outer.kinds + (kind,))

    return _Block("scope", make=inner)


def row(k: int) -> AbstractContextManager[Scope]:
    """Context manager: every node built inside (in this thread) belongs to batch row ``k`` (1-based).

    ``Value.row`` reads it back; views show it as ``[row k]``. Scopes
    entered inside keep the row; a row inside a row replaces it.
    """
    if type(k) is not int or k < 1:
        k = integer(k, "row", minimum=1)
    return _RowBlock(k)
