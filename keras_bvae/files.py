"""Whole files or none: every file the package writes goes through here.

A file is written under a temporary name in its own folder, flushed to
disk (``fsync``) and renamed over the target with ``os.replace``, which is
atomic on POSIX and Windows. A crash or kill at any moment leaves either
the previous file or the new one, never a truncated one.

A write that fails (no space left, a read-only folder, no permission)
raises ``OSError`` naming the final path (``error.filename``), whatever
the writer raised it with, and leaves the previous file and no temporary
one; ``describe_os_error`` turns it into the one-line message the command
line prints.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from collections.abc import Callable

__all__ = [
    "describe_os_error",
    "fsync_file",
    "naming_path",
    "write_atomic",
    "write_bytes",
    "write_json",
    "write_text",
]


def fsync_file(path: str) -> None:
    """Flushes a written file's data to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(
    path: str, write: Callable[[str], object], suffix: str = ""
) -> str:
    """Calls ``write(tmp_path)`` and then moves the result to ``path``.

    Args:
        path: str. The final file.
        write: callable. Writes the whole file to the path it is given.
        suffix: str. Ending of the temporary name, for writers that pick
            the format from it (e.g. ``".keras"``, ``".png"``). Defaults to
            "".

    Returns:
        ``path``.

    Raises:
        OSError: the file could not be written; ``filename`` is ``path``
            (of the errno's subclass, e.g. ``PermissionError``).

    Example:
    ```python
    write_atomic("model.keras", model.save, suffix=".keras")
    ```
    """
    directory, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(directory, f".{name}.tmp-{os.getpid()}{suffix}")
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except OSError as error:
        raise naming_path(error, path) from error
    finally:
        with contextlib.suppress(OSError):
            os.remove(tmp)
    return path


def naming_path(error: OSError, path: str) -> OSError:
    """``error`` again, with ``path`` as its file name.

    ``OSError(errno, ...)`` gives the errno's subclass
    (``PermissionError``, ...), so callers catching those still do.
    """
    if error.errno is None:
        return OSError(None, str(error), path)
    return OSError(error.errno, error.strerror or str(error), path)


def describe_os_error(error: OSError) -> str:
    """One line for the user: the path, the reason, and what to do.

    Example: ``"runs/a/model.keras: No space left on device; free some
    space or choose another folder"``.
    """
    reason = error.strerror or str(error) or type(error).__name__
    if not error.filename:
        return reason
    hint = {
        errno.ENOSPC: "; free some space or choose another folder",
        errno.EROFS: "; choose a writable folder",
        errno.EACCES: "; choose a folder you may write to",
        errno.EPERM: "; choose a folder you may write to",
    }.get(error.errno, "")
    return f"{error.filename}: {reason}{hint}"


def write_bytes(path: str, data: bytes) -> str:
    """Writes ``data`` to ``path`` atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "wb") as handle:
            handle.write(data)

    return write_atomic(path, write)


def write_text(path: str, text: str) -> str:
    """Writes ``text`` to ``path`` atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "w") as handle:
            handle.write(text)

    return write_atomic(path, write)


def write_json(path: str, payload) -> str:
    """Writes ``payload`` as indented, key-sorted JSON, atomically."""
    text = json.dumps(payload, indent=2, sort_keys=True) + "\n"
    return write_text(path, text)
