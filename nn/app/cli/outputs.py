"""All-or-nothing outputs: every file a command writes is checked before any work
starts, staged beside its target, and moved into place only when all are written.

A command's outputs succeed or fail together. Before the command computes,
trains or draws anything, :func:`check_outputs` refuses (exit 2) a path that
is a directory, a device or a FIFO, or whose folder cannot be created or written.
Afterwards :func:`write_outputs`

1. writes each file to a temporary file beside its target
   (``.NAME.XXXXXXXX.tmp``, within the 255-byte name limit), flushed to disk;
2. only when every one is written, renames them over their targets, one
   atomic rename each (through a symbolic link: over the file it points to);
   a rename that fails puts back the files already replaced.

A failure, Ctrl-C or SIGTERM before the renames leaves the previous files as
they were and removes the temporary files (and any folder made for them);
Ctrl-C or SIGTERM during the renames waits until they are done (a second one
stops at once).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import stat
from pathlib import Path
from types import FrameType
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from autograd.files import NAME_LIMIT, file_mode, sync_directory

from .common import CommandError, UsageError, _

__all__ = ["Terminated", "check_outputs", "output_directory", "output_path", "terminate_cleanly",
           "write_outputs"]

_TEMPORARY_SUFFIX = ".tmp"


class Terminated(BaseException):
    """SIGTERM, raised where the program is so that temporary files are cleaned up (exit 143)."""


# --- checking, before any work ------------------------------------------------------


def output_path(text: str | None, suffixes: Sequence[str], option: str = "-o") -> Path | None:
    """The file named by ``option``: checked to end in one of ``suffixes`` and to be writable."""
    if text is None:
        return None
    path = Path(text)
    if path.suffix.lower() not in suffixes:
        raise UsageError(_("{option} {text}: the file name must end in {suffixes}").format(
            option=option, text=text, suffixes=_(" or ").join(suffixes)))
    check_outputs([path], option)
    return path


def output_directory(text: str, option: str = "--out") -> Path:
    """The directory named by ``option``: it may exist, but not as a file."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise UsageError(_("{option} {path} exists and is not a directory").format(option=option, path=path))
    return path


def check_outputs(paths: Iterable[Path], option: str = "--out") -> None:
    """Refuse (UsageError) any output that could not be written, before any work is done."""
    for path in paths:
        problem = _why_not_writable(path)
        if problem:
            raise UsageError(_("{option}: cannot write {path}: {problem} (nothing was done)").format(
                option=option, path=path, problem=problem))


def _why_not_writable(path: Path) -> str:
    """Why ``path`` cannot be written as a new or replaced regular file ('' when it can)."""
    if len(os.fsencode(path.name)) > NAME_LIMIT:
        return _("the file name is longer than {limit} bytes").format(limit=NAME_LIMIT)
    target = _target(path)
    try:
        mode = target.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):  # the folder checks below say why
        mode = None
    except OSError as error:
        return error.strerror or str(error)
    if mode is not None and stat.S_ISDIR(mode):
        return _("it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        return _("it is not a regular file (a device, FIFO or socket)")
    folder = _existing_ancestor(target.parent)
    if not folder.is_dir():
        return _("{folder} is not a directory").format(folder=folder)
    if not os.access(folder, os.W_OK | os.X_OK):
        return _("the folder {folder} is not writable").format(folder=folder)
    return ""


def _target(path: Path) -> Path:
    """The file a write to ``path`` replaces: through symbolic links, the file they point to."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _existing_ancestor(folder: Path) -> Path:
    """``folder`` or the nearest of its parents that exists."""
    folder = Path(os.path.abspath(folder))
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


# --- writing: stage, then commit ------------------------------------------------------


def write_outputs(outputs: Mapping[Path, bytes | str]) -> list[Path]:
    """Write every prepared output, all or nothing; the paths written, in order.

    Raises CommandError when a file cannot be written (nothing is changed then).
    """
    for path in outputs:  # the check made before the work, again: things may have changed since
        problem = _why_not_writable(path)
        if problem:
            raise CommandError(_("cannot write {path}: {problem} (no file was changed)").format(
                path=path, problem=problem))
    created: list[Path] = []
    staged: dict[Path, Path] = {}  # target -> its temporary file
    current = None
    try:
        with _signals_deferred() as check_signals:
            for current, content in outputs.items():
                target = _target(current)
                created += _make_folders(target.parent)
                staged[target] = _temporary_beside(target)
                _write_file(staged[target], content, target)
                check_signals()  # a Ctrl-C while staging: stop here, nothing replaced
            current = None
            _commit(staged)
    except BaseException as error:
        for temporary in staged.values():
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        for folder in reversed(created):
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(error, OSError):
            what = current or _("the outputs")
            raise CommandError(_("cannot write {path}: {problem} (no file was changed)").format(
                path=what, problem=error.strerror or error)) from None
        raise
    return list(outputs)


def _make_folders(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; the ones made, outermost first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made = []
    for new in reversed(missing):
        new.mkdir()
        made.append(new)
    return made


def _temporary_beside(target: Path) -> Path:
    """A new, empty temporary file in ``target``'s folder whose name stays within NAME_LIMIT."""
    random = secrets.token_hex(4)
    room = NAME_LIMIT - len(f"..{random}{_TEMPORARY_SUFFIX}")
    stem = os.fsencode(target.name)[:room].decode("utf-8", "ignore")
    temporary = target.with_name(f".{stem}.{random}{_TEMPORARY_SUFFIX}")
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    return temporary


def _write_file(temporary: Path, content: bytes | str, target: Path) -> None:
    """Fill ``temporary`` with ``content`` (text as UTF-8), flushed to disk, with the target's permissions."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, file_mode(target))


def _commit(staged: Mapping[Path, Path]) -> None:
    """Rename every temporary file over its target; on a failure put the replaced ones back."""
    backups: dict[Path, Path] = {}
    replaced: list[Path] = []
    try:
        for target in staged:
            if target.is_file():  # a hard link keeps the old file while the new one takes its name
                backup = _temporary_beside(target)
                os.unlink(backup)
                with contextlib.suppress(OSError):  # a file system without hard links: no undo
                    os.link(target, backup)
                    backups[target] = backup
        for target, temporary in staged.items():
            os.replace(temporary, target)
            replaced.append(target)
    except BaseException:
        for target in reversed(replaced):
            with contextlib.suppress(OSError):
                if target in backups:
                    os.replace(backups.pop(target), target)
                else:
                    os.unlink(target)
        raise
    finally:
        for backup in backups.values():
            with contextlib.suppress(OSError):
                os.unlink(backup)
    for folder in {target.parent for target in staged}:
        sync_directory(folder)


# --- signals ------------------------------------------------------------------------


@contextlib.contextmanager
def _signals_deferred() -> Iterator[Callable[[], None]]:
    """Hold Ctrl-C and SIGTERM until the block ends (a second one acts at once).

    Yields ``check()``, which raises the signal held so far: the staging loop
    calls it between files. Outside the main thread signals cannot be
    handled, and nothing is deferred.
    """
    held: list[int] = []

    def hold(number: int, frame: FrameType | None) -> None:
        if held:  # asked twice: stop now
            _raise_for(number)
        held.append(number)

    def check() -> None:
        if held:
            _raise_for(held[0])

    previous = {}
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            previous[number] = signal.signal(number, hold)
    except ValueError:  # not the main thread
        pass
    try:
        yield check
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    check()


def _raise_for(number: int) -> None:
    if number == signal.SIGTERM:
        raise Terminated()
    raise KeyboardInterrupt()


@contextlib.contextmanager
def terminate_cleanly() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated`, so ``finally`` clauses run."""

    def raise_terminated(number: int, frame: FrameType | None) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, raise_terminated)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
