"""The sandbox database's file on disk: created private, tightened without ever being loosened.

A folder the sandbox creates for it is 0700 and the file 0600 (SQLite gives its `-wal` and `-shm` files the
database's mode). A file that exists keeps its owner's bits: group and other bits are removed, none is ever
added, so a read-only file stays read-only (the store then opens it read-only).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .._logging import get_logger

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")

log = get_logger("convoi_nb.sandbox")


def make_folders(folder: Path) -> None:
    """Create `folder` and any missing parent, each private (0700); folders that exist are left as they are.

    Args:
        folder: The folder the database file goes in.
    """
    missing: list[Path] = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):  # mkdir(parents=True) would give the parents the default mode
        path.mkdir(mode=PRIVATE_FOLDER, exist_ok=True)


def tighten(path: Path) -> None:
    """Remove group and other permission bits from `path`, adding none.

    A file the user cannot change (another user's) is left as it is, with a warning.

    Args:
        path: An existing file.
    """
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        try:
            path.chmod(mode & ~0o077)
        except PermissionError:
            log.warning("sandbox database file %s is readable by others and could not be made private", path)


def prepare(path: Path) -> bool:
    """Make the database file ready to open: its folder and the file created private, or an existing one tightened.

    Args:
        path: The database file.

    Returns:
        Whether the file may be written: not if its owner's write bit is off (even for root, whom the file
        system would let write it) or the file system refuses.
    """
    make_folders(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE))
    except FileExistsError:
        pass
    for file in (path, *(Path(f"{path}{suffix}") for suffix in SIDE_FILES)):
        if file.exists():
            tighten(file)
    return bool(path.stat().st_mode & stat.S_IWUSR) and os.access(path, os.W_OK)
