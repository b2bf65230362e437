"""`python -m convoi_nb.notebooks`: open the bundled notebooks in JupyterLab, from copies of your own.

The bundled notebooks are copied once into the project's working folder, `.convoi_nb/notebooks/` (ignored by git,
see `convoi_nb.workspace`), and JupyterLab starts there. JupyterLab saves a notebook as you run it (outputs
included): into your copy, so the checkout stays as it was, and your edits and outputs are yours to keep.

A copy is never overwritten once you have changed it (or JupyterLab has saved it): when the bundled notebook
changes later, the launcher says so, and deleting your copy gets the new one on the next launch. A copy nobody has
changed is brought up to date. Running as root (containers), it passes `--allow-root`, without which JupyterLab
refuses to start. Arguments after the command go to `jupyter lab` (`--no-browser`, `--port 8899`, ...).
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import stat
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import workspace
from .errors import ConfigurationError

FOLDER = "notebooks"
FIRST = "01_quickstart.ipynb"
RECORD = ".bundled.json"  # each copy's digest when it was copied: a copy that differs is the user's
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def bundled_folder() -> Path:
    """The bundled notebooks: `notebooks/` of the checkout the package is installed from (`pip install -e .`).

    Returns:
        The folder.

    Raises:
        ConfigurationError: There is none (the package was installed from a wheel, not a checkout).
    """
    folder = Path(__file__).resolve().parent.parent / FOLDER
    if not (folder / FIRST).is_file():
        raise ConfigurationError(
            "the bundled notebooks are in the convoi_nb checkout (notebooks/); install it from a clone with "
            '`pip install -e ".[notebook]"` to launch them'
        )
    return folder


@dataclass
class Copies:
    """What `copy_notebooks` did, by notebook name.

    Attributes:
        folder: The folder of the copies.
        copied: Copied for the first time.
        updated: Unchanged copies brought up to date with a newer bundled notebook.
        kept: Copies you changed whose bundled notebook changed since: left as they are.
    """

    folder: Path
    copied: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def copy_notebooks(source: Path, target: Path) -> Copies:
    """Copy each notebook of `source` into `target` unless a copy is there, never overwriting a changed copy.

    Every write goes to a new file inside `target` (created with O_EXCL, never through a link) that is then renamed
    over the copy's name; a copy that is a symbolic link or no regular file counts as yours and is kept.

    Args:
        source: The bundled notebooks.
        target: The folder of the copies (created private if missing).

    Returns:
        What was copied, updated and kept.

    Examples:
        >>> from pathlib import Path
        >>> from convoi_nb.notebooks import bundled_folder, copy_notebooks
        >>> first = copy_notebooks(bundled_folder(), Path("my-notebooks"))
        >>> "01_quickstart.ipynb" in first.copied
        True
        >>> again = copy_notebooks(bundled_folder(), Path("my-notebooks"))  # a second time: nothing to copy
        >>> again.copied, again.updated, again.kept
        ([], [], [])
    """
    target.mkdir(mode=0o700, exist_ok=True)
    if target.is_symlink() or not target.is_dir():
        raise ConfigurationError(f"{target} is not a folder of its own (a link or a file); move it away")
    record = _read_record(target)
    done = Copies(target)
    for notebook in sorted(source.glob("*.ipynb")):
        content = notebook.read_bytes()
        digest = hashlib.sha256(content).hexdigest()
        name = notebook.name
        current = _read_copy(target / name)
        if not os.path.lexists(target / name):
            _write(target, name, content)
            done.copied.append(name)
        elif current is not None and hashlib.sha256(current).hexdigest() == record.get(name) != digest:
            _write(target, name, content)
            done.updated.append(name)
        elif record.get(name) != digest:
            done.kept.append(name)
            continue
        record[name] = digest
    _write(target, RECORD, json.dumps(record, indent=1, sort_keys=True).encode())
    return done


def jupyter_command(extra: Sequence[str] = (), *, euid: int | None = None) -> list[str]:
    """The command that starts JupyterLab on the copies (run in their folder).

    Args:
        extra: Your arguments for `jupyter lab`.
        euid: The effective user id (the process's if None): 0, root, adds `--allow-root`.

    Returns:
        The command: this Python's `-m jupyterlab`, so the venv's JupyterLab runs whatever PATH says.

    Examples:
        >>> import sys
        >>> from convoi_nb.notebooks import jupyter_command
        >>> jupyter_command(["--no-browser"], euid=1000)[1:]
        ['-m', 'jupyterlab', '--no-browser', '01_quickstart.ipynb']
        >>> jupyter_command(euid=0)[3]  # as root
        '--allow-root'
    """
    if euid is None:
        euid = os.geteuid() if hasattr(os, "geteuid") else -1
    root = ["--allow-root"] if euid == 0 and "--allow-root" not in extra else []
    return [sys.executable, "-m", "jupyterlab", *root, *extra, FIRST]


def main(argv: Sequence[str] | None = None, *, run: Callable[[str, list[str]], object] = os.execv) -> None:
    """Copy the bundled notebooks into `.convoi_nb/notebooks/` and start JupyterLab there.

    Args:
        argv: Arguments for `jupyter lab` (sys.argv's if None).
        run: What replaces this process with JupyterLab's (os.execv; tests pass their own).

    Examples:
        From a shell, `python -m convoi_nb.notebooks`; here with a `run` that records the command instead of
        replacing this process:

        >>> from convoi_nb import notebooks
        >>> started = []
        >>> notebooks.main(["--no-browser"], run=lambda path, args: started.append(args))
        copied 01_quickstart.ipynb, ... into .../.convoi_nb/notebooks
        JupyterLab runs in .../.convoi_nb/notebooks: your copies, ignored by git (...)
        >>> started[0][-2:]
        ['--no-browser', '01_quickstart.ipynb']
    """
    extra = list(sys.argv[1:] if argv is None else argv)
    try:
        done = copy_notebooks(bundled_folder(), workspace.ensure() / FOLDER)
    except ConfigurationError as exc:
        sys.exit(f"python -m convoi_nb.notebooks: {exc}")
    if done.copied:
        print(f"copied {', '.join(done.copied)} into {done.folder}")
    if done.updated:
        print(f"brought up to date (you had not changed them): {', '.join(done.updated)}")
    for name in done.kept:
        print(f"kept your copy of {name}; the bundled one has changed since: delete yours to get it next time")
    print(f"JupyterLab runs in {done.folder}: your copies, ignored by git (the checkout's notebooks stay as they are)")
    command = jupyter_command(extra)
    os.chdir(done.folder)
    sys.stdout.flush()
    run(command[0], command)


def _read_record(target: Path) -> dict[str, str]:
    """The digests recorded at the last copy (a hand-edited or broken record counts as none: copies are kept)."""
    raw = _read_copy(target / RECORD)
    try:
        record = json.loads(raw) if raw is not None else {}
    except ValueError:
        return {}
    if not isinstance(record, dict):
        return {}
    return {k: v for k, v in record.items() if isinstance(k, str) and isinstance(v, str)}


def _read_copy(path: Path) -> bytes | None:
    """A regular file's bytes, read without following a link; None when missing, a link or not a regular file."""
    try:  # O_NONBLOCK: a FIFO of that name would block an open for reading; it changes nothing for a file
        descriptor = os.open(path, os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        return file.read() if stat.S_ISREG(os.fstat(descriptor).st_mode) else None


def _write(target: Path, name: str, content: bytes) -> None:
    """Write `name` in `target`: a new private file, renamed over the name (a link there is replaced, not followed)."""
    temporary = target / f".{name}.{secrets.token_hex(8)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.replace(temporary, target / name)


if __name__ == "__main__":
    main()
