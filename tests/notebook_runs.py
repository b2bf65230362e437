"""One run of every bundled notebook in a fresh git clone, shared by the tests that read its results.

Two checks need the notebooks executed as a user runs them: the checkout stays clean (tests/test_notebooks_clean.py)
and no secret reaches an output or the saved widget state (tests/test_notebook_outputs.py). One run serves both,
since neither changes what the other sees: the clone is only read after the run, and each executed notebook is
written outside the clone, with its widget state, as JupyterLab saves it.

The run is a background job (tests/background.py: `python -m tests.notebook_runs FOLDER`), started when collection
ends, so the kernels work beside the other tests; the fixture waits for it and `load` reads what it left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .background import BackgroundJob

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

# The environment of a user's fresh clone: no server or key configured, the sandbox's database in its default place
# (the project's .convoi_nb/), seed 0 (the default, said explicitly so a developer's own setting cannot change the
# run), the per-user data folder somewhere the clean-checkout test can look at, and notebook 03's generated account
# small (its 100,000 calls run under nbmake; these checks need only a few).
UNSET = ("CONVOI_API_KEY", "CONVOI_BASE_URL", "CONVOI_SANDBOX_DB", "CONVOI_NB_DIR")
REVIEW_CALLS = "2000"


@dataclass
class CloneRun:
    """The clone the notebooks ran in, its files before the run, and each notebook as executed (or its error)."""

    project: Path
    data: Path
    files_before: set[str]
    executed: dict[str, Any]
    errors: dict[str, str]

    def notebook(self, name: str) -> Any:
        """The executed notebook `name`; fails with its execution's error if it had one."""
        assert name not in self.errors, f"{name} failed to run:\n{self.errors[name]}"
        return self.executed[name]


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args]
    return subprocess.run(command, cwd=folder, check=True, capture_output=True, text=True).stdout


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if ".git" not in p.relative_to(folder).parts}


def notebooks_in_a_clone(folder: Path) -> BackgroundJob:
    """The job that runs every notebook in a fresh clone under `folder` (not started yet)."""
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env.update(
        CONVOI_SANDBOX_SEED="0",
        XDG_DATA_HOME=str(folder / "data"),  # the per-user data folder: nothing of convoi_nb may land there
        CONVOI_REVIEW_CALLS=REVIEW_CALLS,
    )
    return BackgroundJob({"run": ([sys.executable, "-m", "tests.notebook_runs", str(folder)], ROOT)}, env)


def load(folder: Path) -> CloneRun:
    """What the job left in `folder`."""
    import nbformat

    executed = {p.name: nbformat.read(p, as_version=4) for p in sorted((folder / "executed").glob("*.ipynb"))}
    return CloneRun(
        folder / "clone",
        folder / "data",
        set(json.loads((folder / "files_before.json").read_text())),
        executed,
        json.loads((folder / "errors.json").read_text()),
    )


def run(folder: Path) -> None:
    """Commit the notebooks to a new repository under `folder` and run each there, in this process's environment,
    writing each executed notebook (its widget state kept in its metadata) to `folder`/executed/."""
    import nbformat
    from nbclient import NotebookClient

    project, data, executed = folder / "clone", folder / "data", folder / "executed"
    (project / "notebooks").mkdir(parents=True)
    data.mkdir()
    executed.mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, project / "notebooks" / path.name)
    if shutil.which("git"):  # the clean-checkout test needs it (and skips without it); the secrets test does not
        git(project, "init", "-q")
        git(project, "add", ".")
        git(project, "commit", "-qm", "a clone")
    (folder / "files_before.json").write_text(json.dumps(sorted(files(project))))
    errors = {}
    for path in NOTEBOOKS:
        notebook = nbformat.read(project / "notebooks" / path.name, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=180,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(project / "notebooks")}},
        )
        try:
            client.execute()
        except Exception:  # reported by the tests that read this notebook; the others still run
            errors[path.name] = traceback.format_exc()[-6000:]
        else:
            nbformat.write(notebook, executed / path.name)
    (folder / "errors.json").write_text(json.dumps(errors))


if __name__ == "__main__":
    run(Path(sys.argv[1]))
