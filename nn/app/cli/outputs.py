"""All-or-nothing outputs: every file a command writes is checked before any work
starts, staged beside its target, and moved into place only when all are written.

A command's outputs succeed or fail together. Before the command computes,
trains or draws anything, :func:`check_outputs` refuses (exit 2) a path that
is a directory, a device, a FIFO, a socket or a loop of symbolic links
(directly or through links), or whose folder cannot be created or written.
Afterwards :func:`write_outputs`

1. writes each file to a temporary file beside its target
   (``.NAME.HASH.PID-RANDOM.tmp``, within the 255-byte name limit, the
   names ``autograd.write_atomically`` uses), flushed to disk;
2. only when every one is written, records the commit in a journal in each
   folder (``.tracegrad-commit.PID-RANDOM.json``: which temporary file goes
   where), flushed to disk;
3. renames them over their targets, one atomic rename each (through a
   symbolic link: over the file it points to); a rename that fails puts
   back the files already replaced; then removes the journals.

A failure, Ctrl-C or SIGTERM before the renames leaves the previous files as
they were and removes the temporary files (and any folder made for them);
Ctrl-C or SIGTERM during the renames waits until they are done (a second one
stops at once).

A process killed outright (SIGKILL, power cut) cannot clean up. The next
run that writes into the same folder does (:func:`recover`, called by
:func:`check_outputs`): a journal whose process no longer runs means every
file of that commit was complete, so its remaining renames are made (rolled
forward, and said on stderr), and temporary files of processes that no
longer run are removed.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import signal
import stat
import sys
from pathlib import Path
from types import FrameType
from typing import Callable, Iterable, Iterator, Mapping, Sequence

from autograd.viz.files import (
    NAME_LIMIT,
    creation_mode,
    file_mode,
    process_runs,
    regular_target,
    sync_directory,
    temporary_path,
    temporary_prefix,
)

from .common import PROG, CommandError, UsageError, _, ngettext

__all__ = ["Terminated", "check_outputs", "output_directory", "output_path", "recover", "terminate_cleanly",
           "write_outputs"]

#: A commit's journal: ``.tracegrad-commit.PID-RANDOM.json`` in each folder it writes into.
_JOURNAL = re.compile(r"\.tracegrad-commit\.(\d+)-[0-9a-f]+\.json")
#: A temporary file of ``autograd.write_atomically``'s naming: ``.NAME.HASH.PID-RANDOM.tmp``.
_TEMPORARY = re.compile(r"\..*\.[0-9a-f]{12}\.(\d+)-[0-9a-f]+\.tmp", re.DOTALL)
#: A journal is a few lines; anything longer is not one of ours.
_JOURNAL_LIMIT = 1 << 20


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
    """Refuse (UsageError) any output that could not be written, before any work is done.

    First finishes what a killed run left in the outputs' folders (:func:`recover`).
    """
    paths = list(paths)
    recover(paths)
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
        mode = os.stat(target).st_mode
    except (FileNotFoundError, NotADirectoryError):  # the folder checks below say why
        mode = None
    except OSError as error:
        if error.errno == errno.ELOOP:
            return _("its symbolic links form a loop")
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


def _resolved(path: Path) -> Path:
    """``path`` absolute, through every symbolic link: the name its temporary files hash."""
    return Path(os.path.realpath(path))


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
    recover(outputs)
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
                target = _resolved(current)
                created += _make_folders(target.parent)
                staged[target] = _new_temporary(target)
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


def _new_temporary(target: Path) -> Path:
    """A new, empty temporary file beside ``target``, named for this process (see ``autograd.viz.files``)."""
    temporary = temporary_path(target)
    os.close(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, creation_mode(target)))
    return temporary


def _write_file(temporary: Path, content: bytes | str, target: Path) -> None:
    """Fill ``temporary`` with ``content`` (text as UTF-8), flushed to disk, with the target's permissions."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    mode = file_mode(target)
    if mode is not None:  # a replaced file keeps its permissions; a new one has the umask's
        os.chmod(temporary, mode)


def _commit(staged: Mapping[Path, Path]) -> None:
    """Rename every temporary file over its target; on a failure put the replaced ones back.

    The journals written first make the renames recoverable: a process
    killed among them leaves a journal that the next run completes.
    """
    backups: dict[Path, Path] = {}
    replaced: list[Path] = []
    journals: list[Path] = []
    try:
        for target in staged:
            regular_target(target)  # asked again at the last moment: never rename over a device
            if target.is_file():  # a hard link keeps the old file while the new one takes its name
                backup = temporary_path(target)
                with contextlib.suppress(OSError):  # a file system without hard links: no undo
                    os.link(target, backup)
                    backups[target] = backup
        journals = _write_journals(staged)
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
        for leftover in [*backups.values(), *journals]:
            with contextlib.suppress(OSError):
                os.unlink(leftover)
    for folder in {target.parent for target in staged}:
        sync_directory(folder)


def _write_journals(staged: Mapping[Path, Path]) -> list[Path]:
    """One journal per folder: which temporary file becomes which target there; the journals written.

    Written (and flushed to disk with their folders) only once every staged
    file is complete: a whole journal says that the commit may be finished.
    """
    by_folder: dict[Path, list[list[str]]] = {}
    for target, temporary in staged.items():
        by_folder.setdefault(target.parent, []).append([target.name, temporary.name])
    written = []
    name = f".tracegrad-commit.{os.getpid()}-{secrets.token_hex(6)}.json"
    for folder, files in by_folder.items():
        sync_directory(folder)  # the temporary files' names on disk before the journal that names them
        journal = folder / name
        text = json.dumps({"pid": os.getpid(), "files": files}, ensure_ascii=False) + "\n"
        descriptor = os.open(journal, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        written.append(journal)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        sync_directory(folder)
    return written


# --- recovering from a run that was killed ----------------------------------------------


def recover(paths: Iterable[Path]) -> list[Path]:
    """Finish what killed runs left in the folders of ``paths``; the targets whose renames were completed.

    A journal of a process that no longer runs: its renames are made (each
    temporary file it names that still exists replaces its target), and
    said on stderr. Then every temporary file of a process that no longer
    runs is removed (a half-written file of a run killed while staging, a
    backup). Nothing is done outside those folders, nor to a running
    process's files; a journal that cannot be read is a commit that never
    began (its process died writing it) and is removed.
    """
    if os.name != "posix":  # no cheap, safe way there to ask whether a process runs
        return []
    folders = dict.fromkeys(_resolved(path).parent for path in paths)
    completed: list[Path] = []
    for folder in folders:
        try:
            names = sorted(entry.name for entry in os.scandir(folder))
        except OSError:  # not made yet, or not readable: nothing of ours there
            continue
        for name in names:
            match = _JOURNAL.fullmatch(name)
            if match and not process_runs(int(match.group(1))):
                done = _roll_forward(folder, name, int(match.group(1)))
                if done:
                    completed += done
                    _say(ngettext(
                        "an earlier run (process {pid}) was killed while moving its files into place; "
                        "its last {count} file was moved now: {files}",
                        "an earlier run (process {pid}) was killed while moving its files into place; "
                        "its last {count} files were moved now: {files}", len(done)).format(
                        pid=match.group(1), count=len(done), files=", ".join(str(path) for path in done)))
        for name in names:
            match = _TEMPORARY.fullmatch(name)
            if match and not process_runs(int(match.group(1))):
                with contextlib.suppress(OSError):
                    os.unlink(folder / name)
    return completed


def _roll_forward(folder: Path, name: str, pid: int) -> list[Path]:
    """Complete the renames the journal ``folder/name`` records; the targets replaced now."""
    journal = folder / name
    files = _read_journal(journal, pid)
    completed = []
    for target_name, temporary_name in files:
        target, temporary = folder / target_name, folder / temporary_name
        # Only a temporary file of that process for that target, beside it: a journal cannot move anything else.
        if not (temporary_name.startswith(f"{temporary_prefix(target)}{pid}-") and temporary_name.endswith(".tmp")):
            continue
        try:
            if not stat.S_ISREG(os.lstat(temporary).st_mode):
                continue
            regular_target(target)
            os.replace(temporary, target)
        except OSError:  # renamed before the kill; a device there now; a folder we may not write
            continue
        completed.append(target)
    sync_directory(folder)
    with contextlib.suppress(OSError):
        os.unlink(journal)
    return completed


def _read_journal(journal: Path, pid: int) -> list[tuple[str, str]]:
    """The (target name, temporary name) pairs of a journal; none when it is not a whole journal of ``pid``."""
    try:
        descriptor = os.open(journal, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return []
            document = json.loads(handle.read(_JOURNAL_LIMIT + 1)[:_JOURNAL_LIMIT].decode("utf-8"))
    except (OSError, ValueError):  # half-written: the process died before its first rename
        return []
    if not (isinstance(document, dict) and document.get("pid") == pid and isinstance(document.get("files"), list)):
        return []
    pairs = []
    for entry in document["files"]:
        if (isinstance(entry, list) and len(entry) == 2 and all(isinstance(part, str) for part in entry)
                and all(part and "/" not in part and part not in (".", "..") and "\0" not in part
                        for part in entry)):
            pairs.append((entry[0], entry[1]))
    return pairs


def _say(message: str) -> None:
    """A note on stderr (results go to stdout)."""
    print(f"{PROG}: {message}", file=sys.stderr)


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
