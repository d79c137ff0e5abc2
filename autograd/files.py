"""Writing files so that a crash never leaves a half-written one."""

from __future__ import annotations

import contextlib
import os
import pathlib
import tempfile
from typing import Callable, TextIO, Union

from .validation import instance

Content = Union[str, bytes, Callable[[TextIO], None]]


def write_atomically(path: str | os.PathLike[str], content: Content) -> pathlib.Path:
    """Write ``content`` to ``path``: the old file stays whole until the new one is complete.

    ``content`` is text (written as UTF-8), bytes, or a function that writes
    to the open text file. It goes to a temporary file in the same directory,
    which is flushed to disk and then renamed over ``path`` (an atomic step
    on one file system). On any error the temporary file is removed and
    ``path`` is untouched. An existing file keeps its permissions; a new one
    gets the usual ``0o666`` less the umask.
    """
    if not callable(content):
        instance(content, "content", (str, bytes))
    target = pathlib.Path(instance(path, "path", (str, os.PathLike)))  # type: ignore[arg-type]
    directory = target.parent
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        binary = isinstance(content, bytes)
        with os.fdopen(descriptor, "wb" if binary else "w", **({} if binary else {"encoding": "utf-8"})) as handle:
            if callable(content):
                content(handle)
            else:
                handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _file_mode(target))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(directory)
    return target


def _file_mode(target: pathlib.Path) -> int:
    """The existing file's permissions, or those of a new file (0o666 minus the umask)."""
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _sync_directory(directory: pathlib.Path) -> None:
    """Flush the rename itself to disk where the platform allows it."""
    with contextlib.suppress(OSError, AttributeError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
