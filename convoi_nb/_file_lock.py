"""An exclusive lock on a file: one holder at a time, across processes and across open files in one process.

The operating system releases it when its process dies.

`flock` on POSIX (held per open file), `msvcrt.locking` on Windows. The lock file is created private (0600) and
never through a symbolic link.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(path: Path, busy: Exception) -> Iterator[None]:
    """Hold an exclusive lock on `path` for the `with` block, or raise `busy` at once if someone holds it.

    Args:
        path: The lock file (created if missing; left in place).
        busy: What to raise when the lock is held elsewhere.

    Yields:
        Nothing; the lock is held inside the block.

    Raises:
        OSError: The lock file cannot be created or opened.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if not try_lock(fd):
            raise busy
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def try_lock(fd: int) -> bool:
        """Take an exclusive lock on an open file without waiting.

        Args:
            fd: The open file.

        Returns:
            True when the lock is taken; False when someone else holds it.
        """
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def try_lock(fd: int) -> bool:
        """Take an exclusive lock on an open file without waiting (released when the file is closed).

        Args:
            fd: The open file.

        Returns:
            True when the lock is taken; False when someone else holds it.
        """
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
