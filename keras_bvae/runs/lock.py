"""One run per output folder: an exclusive lock held while a run writes.

``train``, ``run_sweep`` and ``run_comparison`` (and so the ``train``,
``sweep`` and ``compare`` commands) hold ``lock_folder(output_dir)`` while
they run; a study runner or any other code that writes a run folder can
take it the same way. A second run on a folder that is in use stops at
once with ``FolderInUseError`` naming the holder (pid, host, start time
and command line, written into the lock file) instead of sharing its
``backup/`` and overwriting its files.

The lock is ``fcntl.flock`` on ``OUTPUT_DIR/.keras_bvae.lock``, removed
when the run ends. The kernel releases a flock when the holder's process
ends in any way (``kill -9`` too), so the file a killed run leaves never
blocks the next one. The lock is per process and re-entrant
(``run_comparison`` holds it around ``run_sweep`` on the same folder);
threads of one process are not kept apart. Where ``fcntl`` is missing
(Windows) no lock is taken.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Iterator

from keras_bvae.files import naming_path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["LOCK_NAME", "FolderInUseError", "lock_folder", "lock_holder"]

LOCK_NAME = ".keras_bvae.lock"

# realpath of a folder this process holds -> [file descriptor, depth]
_HELD: dict[str, list[int]] = {}


class FolderInUseError(RuntimeError):
    """Another process holds the folder's lock; the message names it."""


def lock_holder(folder: str) -> dict | None:
    """What the holder of ``folder``'s lock wrote: pid, host, started_utc,
    command; None when the lock file is missing, empty or unreadable."""
    try:
        with open(os.path.join(folder, LOCK_NAME)) as handle:
            holder = json.loads(handle.read() or "null")
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another process (it has not written its name yet)"
    return (
        f"pid {holder.get('pid')} on host {holder.get('host')}, started "
        f"{holder.get('started_utc')} ({holder.get('command')})"
    )


@contextlib.contextmanager
def lock_folder(folder: str) -> Iterator[str]:
    """Holds ``folder``'s run lock for the ``with`` block.

    Creates ``folder`` if needed. Re-entrant within one process.

    Args:
        folder: str. The output folder of a run, sweep or comparison.

    Yields:
        The lock file's path.

    Raises:
        FolderInUseError: another live process holds the lock.
        OSError: the folder or lock file cannot be created (read-only
            folder, no permission, no space); names the path.

    Example:
    ```python
    with lock_folder("runs/study"):
        ...  # write the folder's files
    ```
    """
    path = os.path.join(folder, LOCK_NAME)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise naming_path(error, folder) from error
    key = os.path.realpath(folder)
    if fcntl is None or key in _HELD:
        if key in _HELD:
            _HELD[key][1] += 1
        try:
            yield path
        finally:
            if key in _HELD:
                _HELD[key][1] -= 1
        return
    fd = _take(folder, path)
    try:
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": " ".join(sys.argv) or sys.executable,
        }
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(holder).encode(), 0)
        except OSError as error:
            raise naming_path(error, path) from error
        _HELD[key] = [fd, 1]
        try:
            yield path
        finally:
            del _HELD[key]
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)  # while still held: see _take
        os.close(fd)  # releases the flock


def _take(folder: str, path: str) -> int:
    """Opens and flocks ``path``; returns its file descriptor.

    A holder removes the file before it unlocks, so a lock taken on a file
    that is no longer at ``path`` is of a run that just ended: open again.
    """
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise naming_path(error, path) from error
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise FolderInUseError(
                f"{folder} is in use by another run: "
                f"{_describe(lock_holder(folder))}; wait for it to end or "
                "choose another output folder"
            ) from None
        try:
            if os.path.samestat(os.fstat(fd), os.stat(path)):
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
