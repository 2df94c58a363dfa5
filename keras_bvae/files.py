"""Whole files or none: every file the package writes goes through here.

A file is written under a temporary name in its own folder, flushed to
disk (``fsync``) and renamed over the target with ``os.replace``, which is
atomic on POSIX and Windows. A crash or kill at any moment leaves either
the previous file or the new one, never a truncated one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

__all__ = ["write_atomic", "write_json", "write_text", "fsync_file"]


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
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


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
