"""The export folder on disk, reached only through one descriptor of the folder the user named.

The folder is resolved and opened once; every later read, write, rename and removal is relative to that
descriptor, through day folders opened from it without following a symbolic link, by names this module builds
(`day=YYYY-MM-DD` from a validated day, `part-0.parquet`, `_manifest.json`, `_export.lock` and unique temporary
names). No path is joined from what a manifest says, so nothing the package does can leave the folder; a
symbolic link where a day folder or file should be is refused, never written through.

Files at rest: folders the export creates are 0700 and files 0600 (the umask can only remove more). Nothing that
exists has its permissions changed: a read-only file or folder the export would write is refused with a
`DatasetError` and left read-only. It needs POSIX `dir_fd` support (Linux, macOS).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

import pyarrow as pa
import pyarrow.parquet as pq

from .._file_lock import try_lock
from ..errors import ConfigurationError, DatasetError, ValidationError
from .manifest import NAME as MANIFEST
from .manifest import Manifest, is_day

if TYPE_CHECKING:
    from types import TracebackType

FILE_NAME = "part-0.parquet"
LOCK_NAME = "_export.lock"
DAY_PREFIX = "day="
# A writer's temporary files: a leading dot hides them from Spark, Trino and DuckDB; the random part makes each
# writer's name its own.
_TEMPORARY = re.compile(r"\.(part-0\.parquet|_manifest\.json)\.[0-9a-f]{16}\.tmp")
# getattr: the names are POSIX only, and this module is imported everywhere (`open` refuses where they are missing)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
_POSIX = os.name == "posix" and os.open in os.supports_dir_fd and bool(_NOFOLLOW)
FOLDER_MODE, FILE_MODE = 0o700, 0o600


def folder_name(day: str) -> str:
    """The folder of one day's file.

    Args:
        day: A day already validated as `YYYY-MM-DD`.

    Returns:
        `day=YYYY-MM-DD`.
    """
    return DAY_PREFIX + day


class ExportFolder:
    """An export folder opened once (see the module's docstring); close it, or use it in a `with` block.

    Args:
        root: The resolved folder.
        fd: An open descriptor of it.
    """

    def __init__(self, root: Path, fd: int) -> None:
        self.root, self._fd = root, fd

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, create: bool) -> ExportFolder:
        """Open the folder the user named (created 0700 if missing and `create`, with any missing parent).

        Args:
            path: The folder, as the user gave it.
            create: Make it (and its parents) if it is missing.

        Returns:
            The open folder.

        Raises:
            ValidationError: `path` is not a path.
            DatasetError: The path is a file, is missing (and not `create`) or cannot be opened.
        """
        if not _POSIX:
            raise ConfigurationError(
                "export folders need a POSIX system (Linux, macOS): file access relative to a folder"
            )
        if not isinstance(path, (str, os.PathLike)) or str(path) == "":
            raise ValidationError.of_field("export folder", "path", f"must be a folder path (got {path!r})")
        try:
            root = Path(path).resolve()
        except (OSError, ValueError) as exc:  # a NUL byte, a loop of links
            raise ValidationError.of_field("export folder", "path", f"is not a usable path ({exc})") from None
        if root.exists() and not root.is_dir():
            if not create:
                raise DatasetError(f"{root} is not an export folder (it is a file)")
            raise DatasetError(f"export path {root} is a file; give a folder (it is created if missing)")
        if not root.exists() and not create:
            raise DatasetError(f"{root} is not an export folder (it does not exist); make one with export_calls")
        with _os_errors("create the export folder", root):
            _make_folders(root)
            return cls(root, os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))

    def close(self) -> None:
        """Close the folder's descriptor (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> ExportFolder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- reading --------------------------------------------------------------------------------------------

    def day_file(self, day: str) -> Path:
        """The path of one listed day's file, for readers that take paths (DuckDB).

        Args:
            day: A day the manifest lists.

        Returns:
            `<folder>/day=YYYY-MM-DD/part-0.parquet`.
        """
        return self.root / folder_name(day) / FILE_NAME

    def read_manifest(self) -> Manifest | None:
        """The folder's manifest, validated, or None when it has none.

        Returns:
            The manifest, or None.

        Raises:
            DatasetError: The manifest is a link, not a file, unreadable or invalid.
        """
        if self._lstat(self._fd, MANIFEST, self.root / MANIFEST, regular=True) is None:
            return None
        with self._open_file(self._fd, MANIFEST, self.root / MANIFEST) as handle:
            data = handle.read()
        return Manifest.parse(data, self.root / MANIFEST)

    def is_empty(self) -> bool:
        """Whether the folder holds nothing but the export's own lock and temporary files.

        Returns:
            True for a new folder, or one whose first export stopped before writing its manifest.
        """
        return all(name == LOCK_NAME or _TEMPORARY.fullmatch(name) for name in os.listdir(self._fd))

    def check(self, manifest: Manifest) -> list[str]:
        """Check that the folder's day folders are exactly those its manifest lists.

        Each is a real folder (not a link) holding its one file, and nothing else a Parquet reader would read.

        While an export is unfinished (`manifest.pending`), a day folder the manifest does not list yet is that
        export's own (written, not yet recorded, or dropped, not yet removed): it is allowed and returned.

        Args:
            manifest: The folder's validated manifest.

        Returns:
            The unlisted day folders of an unfinished export (days), sorted.

        Raises:
            DatasetError: The folder and its manifest disagree; the message names each entry.
        """
        problems, leftovers = [], []
        for name in sorted(os.listdir(self._fd)):
            if not name.startswith(DAY_PREFIX) or name[len(DAY_PREFIX) :] in manifest.days:
                continue
            day = name[len(DAY_PREFIX) :]
            if manifest.pending is not None and is_day(day) and self._is_plain_folder(name):
                leftovers.append(day)
            else:
                problems.append(f"{name} is not a day its manifest lists")
        for day in sorted(manifest.days):
            problems += self._day_problems(day)
        if problems:
            shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
            unfinished = (
                " (the last export into it did not finish: run export_calls on it again)" if manifest.pending else ""
            )
            raise DatasetError(f"{self.root} does not match its manifest{unfinished}: {shown}")
        return leftovers

    def read_day(self, day: str, columns: list[str] | None = None) -> pa.Table:
        """One day's file as a table.

        Args:
            day: A day the manifest lists.
            columns: Only these columns (all when None).

        Returns:
            The table.
        """
        return self._read(day, lambda handle: pq.read_table(handle, columns=columns))

    def day_metadata(self, day: str) -> pq.FileMetaData:
        """One day's Parquet footer (schema, rows, statistics).

        Args:
            day: A day the manifest lists.

        Returns:
            The footer.
        """
        return self._read(day, pq.read_metadata)

    # -- writing (under `lock()`) ------------------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's export lock: one export per folder at a time, across threads and processes.

        An exclusive lock (`_file_lock.try_lock`: `flock`) on `_export.lock`, taken without waiting; the kernel
        releases it when its holder ends, even killed, so a lock is never left stale. Not the `filelock` library:
        the lock file is opened like every other file of the folder (relative to it, no link followed), where
        filelock walks a path again; and it adds no dependency. Failing at once rather than waiting: an export can
        take minutes, and a cell that hangs silently is worse than one that says why.

        Yields:
            Nothing; the lock is held until the block ends.

        Raises:
            DatasetError: Another export holds the lock.
        """
        with _os_errors("open the export lock", self.root / LOCK_NAME):
            fd = os.open(LOCK_NAME, os.O_RDONLY | os.O_CREAT | _NOFOLLOW, FILE_MODE, dir_fd=self._fd)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise DatasetError(f"{self.root / LOCK_NAME} is not a file; remove it")
            if not try_lock(fd):
                raise DatasetError(
                    f"another export into {self.root} is running (it holds {LOCK_NAME}); one export per folder "
                    "runs at a time: run this one again when it has finished"
                )
            yield
        finally:
            os.close(fd)  # releases the lock

    def check_writable(self, days: list[str]) -> None:
        """Refuse, before anything is written, a read-only folder or file this export would write.

        Args:
            days: The listed days the export may rewrite or remove.

        Raises:
            DatasetError: One of them is read-only (it is left so).
        """
        _writable_folder(self._fd, self.root)
        self._lstat(self._fd, MANIFEST, self.root / MANIFEST, regular=True, writable=True)
        for day in days:
            with self._day(day) as fd:
                _writable_folder(fd, self.root / folder_name(day))
                self._lstat(fd, FILE_NAME, self.day_file(day), regular=True, writable=True)

    def remove_temporaries(self, days: list[str]) -> None:
        """Remove the temporary files writers left behind (only under the lock: no writer is running).

        Args:
            days: The day folders to clean as well as the folder itself.
        """
        self._remove_temporaries(self._fd, self.root)
        for day in days:
            with self._day(day) as fd:
                self._remove_temporaries(fd, self.root / folder_name(day))

    def save_manifest(self, manifest: Manifest) -> None:
        """Replace the manifest atomically (a temporary file renamed over it, synced first).

        Args:
            manifest: The manifest to write.
        """
        data = manifest.dump()
        self._replace(self._fd, MANIFEST, self.root / MANIFEST, lambda handle: handle.write(data))

    def write_day(self, day: str, table: pa.Table) -> None:
        """Write one day's file whole: to a temporary file, synced, then renamed over the old one.

        Args:
            day: The day (validated `YYYY-MM-DD`).
            table: Its calls.
        """
        name = folder_name(day)
        with _os_errors("create the day folder", self.root / name):
            try:
                os.mkdir(name, FOLDER_MODE, dir_fd=self._fd)
            except FileExistsError:
                pass
        with self._day(day) as fd:
            self._replace(fd, FILE_NAME, self.day_file(day), lambda handle: pq.write_table(table, handle))

    def remove_days(self, days: list[str]) -> None:
        """Remove these days' folders, each holding only its file; all are checked before any is removed.

        Args:
            days: Days whose folders go (a folder already gone is fine).

        Raises:
            DatasetError: A folder is a link, read-only, or holds something else; nothing was removed.
        """
        present = [day for day in days if self._lstat(self._fd, folder_name(day), self.root / folder_name(day))]
        for day in present:
            with self._day(day) as fd:
                _writable_folder(fd, self.root / folder_name(day))
                others = [n for n in os.listdir(fd) if n != FILE_NAME and not _TEMPORARY.fullmatch(n)]
                if others:
                    raise DatasetError(
                        f"{self.root / folder_name(day)} holds {', '.join(sorted(others))} besides its day's file; "
                        "the export removes only what it wrote: move those away and run it again"
                    )
                self._lstat(fd, FILE_NAME, self.day_file(day), regular=True, writable=True)
        for day in present:
            with self._day(day) as fd, _os_errors("remove", self.root / folder_name(day)):
                for entry in os.listdir(fd):
                    os.unlink(entry, dir_fd=fd)
            with _os_errors("remove", self.root / folder_name(day)):
                os.rmdir(folder_name(day), dir_fd=self._fd)

    # -- helpers ---------------------------------------------------------------------------------------------

    @contextmanager
    def _day(self, day: str) -> Iterator[int]:
        path = self.root / folder_name(day)
        with _os_errors("open", path):
            try:
                fd = os.open(folder_name(day), _DIRECTORY, dir_fd=self._fd)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise DatasetError(f"{path} is a link or not a folder; the export never follows one") from None
                raise
        try:
            yield fd
        finally:
            os.close(fd)

    def _is_plain_folder(self, name: str) -> bool:
        found = self._lstat(self._fd, name, self.root / name)
        return found is not None and stat.S_ISDIR(found.st_mode)

    def _day_problems(self, day: str) -> list[str]:
        name = folder_name(day)
        found = self._lstat(self._fd, name, self.root / name)
        if found is None:
            return [f"{name} is listed but missing"]
        if not stat.S_ISDIR(found.st_mode):
            return [f"{name} is a link or a file, not a folder"]
        with self._day(day) as fd:
            entries = [n for n in os.listdir(fd) if not n.startswith(".")]
            file = self._lstat(fd, FILE_NAME, self.day_file(day))
        problems = [f"{name}/{n} is not the day's file" for n in sorted(entries) if n != FILE_NAME]
        if file is None:
            problems.append(f"{name}/{FILE_NAME} is listed but missing")
        elif not stat.S_ISREG(file.st_mode):
            problems.append(f"{name}/{FILE_NAME} is a link or not a file")
        return problems

    def _read(self, day: str, read: Callable[[IO[bytes]], object]) -> object:
        path = self.day_file(day)
        with self._day(day) as fd, self._open_file(fd, FILE_NAME, path) as handle:
            try:
                return read(handle)
            except pa.ArrowException as exc:
                raise DatasetError(f"{path} is not a readable Parquet file ({exc})") from None

    @contextmanager
    def _open_file(self, dir_fd: int, name: str, path: Path) -> Iterator[IO[bytes]]:
        with _os_errors("read", path):
            try:
                fd = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise DatasetError(f"{path} is a link; the export never follows one") from None
                raise
            handle = os.fdopen(fd, "rb")
        with handle:
            yield handle

    @staticmethod
    def _lstat(
        dir_fd: int, name: str, path: Path, *, regular: bool = False, writable: bool = False
    ) -> os.stat_result | None:
        with _os_errors("inspect", path):
            try:
                found = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
            except FileNotFoundError:
                return None
        if regular and not stat.S_ISREG(found.st_mode):
            raise DatasetError(f"{path} is a link or not a file; the export never follows or replaces one")
        if writable and not found.st_mode & stat.S_IWUSR:
            raise DatasetError(f"{path} is read-only; the export leaves it so: make it writable or use a new folder")
        return found

    def _replace(self, dir_fd: int, name: str, path: Path, write: Callable[[IO[bytes]], object]) -> None:
        _writable_folder(dir_fd, path.parent)
        self._lstat(dir_fd, name, path, regular=True, writable=True)
        temporary = f".{name}.{secrets.token_hex(8)}.tmp"
        with _os_errors("write", path):
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, FILE_MODE, dir_fd=dir_fd)
            try:
                with os.fdopen(fd, "wb") as handle:
                    write(handle)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(temporary, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                try:
                    os.unlink(temporary, dir_fd=dir_fd)
                except OSError:
                    pass
                raise
            os.fsync(dir_fd)  # the rename is on disk before anything (the manifest) records it

    def _remove_temporaries(self, dir_fd: int, path: Path) -> None:
        for name in os.listdir(dir_fd):
            if _TEMPORARY.fullmatch(name):
                with _os_errors("remove", path / name):
                    os.unlink(name, dir_fd=dir_fd)


def _make_folders(root: Path) -> None:
    """Create `root` and each missing folder above it, every one 0700; folders that exist are left as they are.

    Not `mkdir(parents=True)`: that makes the parents at the default mode (0755), readable by every user.
    """
    missing = []
    folder = root
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            if not folder.is_dir():  # made meanwhile by another process: fine if it is a folder
                raise


def _writable_folder(fd: int, path: Path) -> None:
    if not os.fstat(fd).st_mode & stat.S_IWUSR:
        raise DatasetError(f"{path} is read-only; the export leaves it so: make it writable or use a new folder")


@contextmanager
def _os_errors(action: str, path: Path) -> Iterator[None]:
    """An OSError while acting on `path` as a DatasetError that names both."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise DatasetError(f"cannot {action} {path}: it is read-only or not yours ({exc.strerror})") from None
        raise DatasetError(f"cannot {action} {path}: {exc.strerror or exc}") from None
