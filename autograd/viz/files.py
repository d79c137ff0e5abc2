"""Writing files so that a crash never leaves a half-written one, nor a temporary one for long."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import pathlib
import secrets
import signal
import stat
import threading
from typing import IO, Any, Callable, Iterator, TextIO, Union

from ..validation import instance, path_like

Content = Union[str, bytes, Callable[[TextIO], None]]

# The longest file name most file systems allow, in bytes.
NAME_LIMIT = 255
_SUFFIX = ".tmp"


class NotARegularFileError(OSError, ValueError):
    """A save's target is a directory, a device, a FIFO, a socket or a loop of symbolic links.

    Raised before anything is written; ``filename`` is the path given. It is
    an ``OSError`` (the file system said so) and a ``ValueError`` (a path
    that cannot be saved to), like ``io.UnsupportedOperation``.
    """


def _flush_to_disk(handle: IO[Any]) -> None:
    """Everything written to ``handle`` on the disk, before the rename makes it the file."""
    handle.flush()
    os.fsync(handle.fileno())


def write_atomically(path: str | os.PathLike[str], content: Content) -> pathlib.Path:
    """Write ``content`` to ``path``: the old file stays whole until the new one is complete.

    ``content`` is text (written as UTF-8), bytes, or a function that writes
    to the open text file. It goes to a temporary file in the same directory,
    which is flushed to disk and then renamed over ``path`` (an atomic step
    on one file system). ``path`` may be a symbolic link: the file it points
    to is replaced, the link stays. An existing file keeps its permissions;
    a new one gets the usual ``0o666`` less the umask. Only a regular file
    is ever replaced: a directory, a device (``/dev/null``), a FIFO or a
    socket, directly or through links, and a loop of links are refused with
    :class:`NotARegularFileError` before anything is written.

    On any error, Ctrl-C included, the temporary file is removed and ``path``
    is untouched; so it is on SIGTERM, when writing from the main thread
    while SIGTERM has its default action (the process then ends by the
    signal, as it would have). A temporary file
    left by a process killed outright (SIGKILL, power cut) is removed by the
    next save to the same path. Temporary names stay within the 255-byte
    name limit, whatever the length of the target's name.
    """
    if not callable(content):
        instance(content, "content", (str, bytes))
    given = pathlib.Path(path_like(path, "path"))
    target = regular_target(given)
    directory = target.parent
    with _sigterm_cleans_up():
        clear_stale_temporaries(target)
        temporary = temporary_path(target)
        mode = file_mode(target)
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, creation_mode(target))
        try:
            if isinstance(content, bytes):
                with os.fdopen(descriptor, "wb") as binary_file:
                    binary_file.write(content)
                    _flush_to_disk(binary_file)
            else:
                with os.fdopen(descriptor, "w", encoding="utf-8") as text_file:
                    if callable(content):
                        content(text_file)
                    else:
                        text_file.write(content)
                    _flush_to_disk(text_file)
            if mode is not None:
                os.chmod(temporary, mode)
            # Asked again just before the rename: what the path names may have changed while writing.
            regular_target(given)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
    sync_directory(directory)
    return given


def regular_target(path: str | os.PathLike[str]) -> pathlib.Path:
    """The file a save to ``path`` replaces, through symbolic links: a regular file or a new one.

    Raises :class:`NotARegularFileError` (naming ``path``) when that is a
    directory, a device, a FIFO or a socket, or when the links loop: renaming
    a new file over ``/dev/null`` would replace the system's device with it.
    """
    given = pathlib.Path(path)
    target = pathlib.Path(os.path.realpath(given))
    try:
        mode = os.stat(target).st_mode
    except FileNotFoundError:  # a new file (through a dangling link: the file it names)
        return target
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotARegularFileError(
                errno.ELOOP, "cannot save through a loop of symbolic links", str(given)) from None
        raise
    if not stat.S_ISREG(mode):
        through = f" (through symbolic links: {target})" if given.is_symlink() else ""
        raise NotARegularFileError(
            errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL,
            f"cannot save over {file_kind(mode)}{through}; only a regular file is replaced", str(given))
    return target


def file_kind(mode: int) -> str:
    """What a file of this ``st_mode`` is, in words: "a directory", "a FIFO (named pipe)", ..."""
    for test, kind in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file")):
        if test(mode):
            return kind
    return "not a regular file"


def temporary_prefix(target: pathlib.Path) -> str:
    """``.<name>.<hash>.``: the start of every temporary name of ``target``.

    The name is shortened (at a character boundary) so that the whole
    temporary name fits the limit; the hash of the full path keeps two long
    names that share a beginning apart.
    """
    name = target.name
    digest = hashlib.sha256(os.fsencode(target)).hexdigest()[:12]
    # "." + name + "." + digest + "." + pid (<= 10) + "-" + random (12) + ".tmp"
    room = NAME_LIMIT - (1 + 1 + len(digest) + 1 + 10 + 1 + 12 + len(_SUFFIX))
    encoded = os.fsencode(name)
    if len(encoded) > room:
        name = encoded[:room].decode("utf-8", "ignore") if _utf8_names() else name[:room // 4]
    return f".{name}.{digest}."


def _utf8_names() -> bool:
    return os.fsencode("é") == "é".encode("utf-8")


def temporary_path(target: pathlib.Path) -> pathlib.Path:
    """A fresh temporary name next to ``target``, naming this process (a later save can tell it is stale)."""
    return target.with_name(f"{temporary_prefix(target)}{os.getpid()}-{secrets.token_hex(6)}{_SUFFIX}")


def clear_stale_temporaries(target: pathlib.Path) -> list[pathlib.Path]:
    """Remove temporary files of ``target`` left by processes that no longer run (POSIX only); those removed.

    ``target`` is the resolved path (as :func:`regular_target` returns it):
    the temporary names hash it.
    """
    if os.name != "posix":  # no cheap, safe way there to ask whether a process runs
        return []
    prefix = temporary_prefix(target)
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return []
    removed = []
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
            continue
        pid_text = name[len(prefix):-len(_SUFFIX)].split("-", 1)[0]
        if pid_text.isdigit() and not process_runs(int(pid_text)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(pathlib.Path(entry.path))
    return removed


def process_runs(pid: int) -> bool:
    """Whether process ``pid`` still runs (True when that cannot be told: its files are then left alone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process (or a number we cannot ask about): leave its file
    return True


class _Terminated(BaseException):
    """SIGTERM arrived while a file was being written: unwind, removing the temporary file."""


@contextlib.contextmanager
def _sigterm_cleans_up() -> Iterator[None]:
    """While writing, SIGTERM (if it would kill the process) first unwinds the write.

    Only in the main thread (Python runs signal handlers there) and only
    while SIGTERM has its default action; afterwards the default is back and
    the signal is raised again, so the process ends as it would have.
    Nothing is installed outside a write.
    """
    if threading.current_thread() is not threading.main_thread() \
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def unwind(signum: int, frame: object) -> None:
        raise _Terminated()

    signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    except _Terminated:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.raise_signal(signal.SIGTERM)
        raise  # (only if the signal did not end the process)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def file_mode(target: pathlib.Path) -> int | None:
    """The existing file's permissions; None for a new file."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        return None


def creation_mode(target: pathlib.Path) -> int:
    """The mode to create ``target``'s temporary file with.

    A new file gets 0o666 and the system takes the umask off, as for any new
    file (asking ``os.umask`` would change it for every thread for a moment);
    a replacement starts private, then gets the old file's permissions.
    """
    return 0o666 if file_mode(target) is None else 0o600


def sync_directory(directory: pathlib.Path) -> None:
    """Flush the renames made in ``directory`` to disk where the platform allows it."""
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
