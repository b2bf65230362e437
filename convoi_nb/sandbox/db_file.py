"""The sandbox database's file on disk: created private, tightened without ever being loosened.

A folder the sandbox creates for it is 0700 and the file 0600 (SQLite gives its `-wal` and `-shm` files the
database's mode). A file that exists keeps its owner's bits: group and other bits are removed, none is ever
added, so a read-only file stays read-only (the store then opens it read-only).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .._logging import get_logger
from ..errors import ConfigurationError

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
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


def remove(folder: Path, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """Remove the database files `names` (each with its `-wal`, `-shm` and `-journal`) from `folder`, and no other.

    Only regular files are removed, by name, relative to the folder opened without following a link: a symbolic
    link or a folder of one of those names is left where it is, and a `folder` that is itself a symbolic link is
    refused.

    Args:
        folder: The folder the files are in (nothing happens if it does not exist).
        names: The database files' names, e.g. `sandbox.sqlite3`.

    Returns:
        The names removed, and the names left because they are no regular file.

    Raises:
        ConfigurationError: `folder` is a symbolic link or not a folder, or a file cannot be removed.
    """
    try:
        descriptor = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
    except FileNotFoundError:
        return [], []
    except OSError as exc:
        link = exc.errno in (errno.ELOOP, errno.ENOTDIR)
        why = "is a symbolic link or not a folder: nothing removed" if link else f"cannot be opened: {exc.strerror}"
        raise ConfigurationError(f"{folder} {why}") from None
    removed: list[str] = []
    left: list[str] = []
    try:
        for name in (f"{base}{suffix}" for base in names for suffix in ("", *SIDE_FILES)):
            try:
                if not stat.S_ISREG(os.stat(name, dir_fd=descriptor, follow_symlinks=False).st_mode):
                    left.append(name)
                    continue
                os.unlink(name, dir_fd=descriptor)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise ConfigurationError(f"cannot remove {folder / name}: {exc.strerror}") from None
            removed.append(name)
    finally:
        os.close(descriptor)
    return removed, left
