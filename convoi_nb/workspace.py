"""The per-project working folder, `.convoi_nb/`: where everything convoi_nb writes by default goes.

The embedded sandbox's database (`sandbox.sqlite3`), the standalone server's (`standalone.sqlite3`), the
experiments' results store (`convoi_experiments.sqlite3`), the bundled notebooks' exports (`exports/`) and the
launcher's copies of the notebooks (`notebooks/`) all live here, so a project's calls are its own and a checkout
stays clean. Like pytest's `.pytest_cache`, the folder holds a `.gitignore` of `*`: any git checkout ignores it
without a line in yours, and a `CACHEDIR.TAG` that backup tools understand.

Which folder (the first that applies):

1. `CONVOI_NB_DIR`, if set: the folder you name (created if missing).
2. The innermost folder named `.convoi_nb` that the current directory is inside: the launcher's copies of the
   notebooks run in `.convoi_nb/notebooks/` and use their project's folder.
3. `.convoi_nb` at the top of the git checkout the current directory is in (the nearest folder up that holds
   `.git`), so a notebook in `notebooks/` and a script at the top share one.
4. `.convoi_nb` in the current directory.

Nothing is written outside the folder, and a `.convoi_nb` that is a symbolic link is refused rather than
followed (one you name in `CONVOI_NB_DIR` is resolved once, as any folder you name).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from .errors import ConfigurationError

FOLDER_NAME = ".convoi_nb"
DIR_ENV = "CONVOI_NB_DIR"
GITIGNORE = "# Created by convoi_nb automatically: nothing in this folder is tracked.\n*\n"
# https://bford.info/cachedir/: backup tools skip a folder holding this file.
CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by convoi_nb.\n"
    "# For information about cache directory tags, see: https://bford.info/cachedir/\n"
)
_MARKERS = {".gitignore": GITIGNORE, "CACHEDIR.TAG": CACHEDIR_TAG}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_DIR_FD = os.name == "posix" and os.open in os.supports_dir_fd


def locate(start: str | os.PathLike[str] | None = None) -> Path:
    """Where the working folder is (see the module's docstring for the rule); nothing is created.

    Args:
        start: The folder to start from (the current directory if None).

    Returns:
        The working folder's absolute path.

    Examples:
        >>> from pathlib import Path
        >>> from convoi_nb import workspace
        >>> workspace.locate().relative_to(Path.cwd())  # not created by locate()
        PosixPath('.convoi_nb')
    """
    named = os.environ.get(DIR_ENV)
    if named:
        return Path(named).expanduser().resolve()
    here = Path(start if start is not None else Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if folder.name == FOLDER_NAME:
            return folder
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder / FOLDER_NAME
    return here / FOLDER_NAME


def ensure(start: str | os.PathLike[str] | None = None) -> Path:
    """The working folder, created private (0700) with its `.gitignore` and `CACHEDIR.TAG` if missing.

    Args:
        start: The folder to start from (the current directory if None).

    Returns:
        The working folder's absolute path.

    Raises:
        ConfigurationError: It is a symbolic link or not a folder, or it cannot be created.

    Examples:
        >>> import os
        >>> from convoi_nb import workspace
        >>> sorted(os.listdir(workspace.ensure()))  # ignored by git, skipped by backup tools
        ['.gitignore', 'CACHEDIR.TAG']
    """
    folder = locate(start)
    try:
        _make_folder(folder)
        for name, text in _MARKERS.items():
            _write_new(folder, name, text)
    except OSError as exc:
        raise ConfigurationError(
            f"convoi_nb's working folder {folder} cannot be used: {exc.strerror or exc}; set {DIR_ENV} to a folder "
            "you can write"
        ) from None
    return folder


def path(*names: str, start: str | os.PathLike[str] | None = None) -> Path:
    """A path inside the working folder (the folder created if missing; the path itself is not).

    The names are folder and file names inside it, each one plain name (no separator, not `.` or `..`).

    Args:
        start: The folder to start from (the current directory if None).

    Returns:
        The path.

    Raises:
        ConfigurationError: A name is not one plain name, or the folder cannot be used.

    Examples:
        >>> from pathlib import Path
        >>> from convoi_nb import workspace
        >>> workspace.path("exports", "calls").relative_to(Path.cwd())
        PosixPath('.convoi_nb/exports/calls')
        >>> workspace.path("../elsewhere")
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ConfigurationError: a name inside the working folder must be one plain name, got '../elsewhere'
    """
    for name in names:
        if not isinstance(name, str) or name in ("", ".", "..") or "/" in name or os.sep in name:
            raise ConfigurationError(f"a name inside the working folder must be one plain name, got {name!r}")
    return ensure(start).joinpath(*names)


def _make_folder(folder: Path) -> None:
    """Create `folder` (0700) and any missing parent; refuse a symbolic link or a file where it should be."""
    if folder.is_symlink():
        raise ConfigurationError(
            f"convoi_nb's working folder {folder} is a symbolic link; convoi_nb writes only into a real folder "
            f"(remove the link, or set {DIR_ENV} to the folder it points to)"
        )
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    for each in reversed(missing):  # mkdir(parents=True) would give the parents the default mode
        each.mkdir(mode=0o700, exist_ok=True)
    mode = os.lstat(folder).st_mode
    if not stat.S_ISDIR(mode):
        raise ConfigurationError(f"convoi_nb's working folder {folder} is not a folder; move that file away")


def _write_new(folder: Path, name: str, text: str) -> None:
    """Write `name` in `folder` unless something of that name exists (never through a link)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    try:
        if _DIR_FD:  # relative to the folder opened without following a link: nothing is written elsewhere
            parent = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW)
            try:
                descriptor = os.open(name, flags, 0o644, dir_fd=parent)
            finally:
                os.close(parent)
        else:
            descriptor = os.open(folder / name, flags, 0o644)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
