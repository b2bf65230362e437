"""One run of every bundled notebook in a fresh git clone, shared by the tests that read its results.

Two checks need the notebooks executed as a user runs them: the checkout stays clean (tests/test_notebooks_clean.py)
and no secret reaches an output or the saved widget state (tests/test_notebook_outputs.py). Each used to run all
five notebooks itself; one run serves both, since neither check changes what the other sees: the clone is only
read after the run, and the executed notebooks are kept in memory, as JupyterLab holds them before a save.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    executed: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)

    def notebook(self, name: str) -> Any:
        """The executed notebook `name`; its execution's own error if it failed."""
        if name in self.errors:
            raise self.errors[name]
        return self.executed[name]


def git(folder: Path, *args: str) -> str:
    command = ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args]
    return subprocess.run(command, cwd=folder, check=True, capture_output=True, text=True).stdout


def files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if ".git" not in p.relative_to(folder).parts}


def run_in_clone(root: Path, env: Any) -> CloneRun:
    """Commit the notebooks to a new repository under `root` and run each there, its widget state kept in the
    notebook's metadata as JupyterLab does on save. `env` is a `pytest.MonkeyPatch` the caller undoes."""
    import nbformat
    from nbclient import NotebookClient

    project, data = root / "clone", root / "data"
    (project / "notebooks").mkdir(parents=True)
    data.mkdir()
    for path in NOTEBOOKS:
        shutil.copy(path, project / "notebooks" / path.name)
    if shutil.which("git"):  # the clean-checkout test needs it (and skips without it); the secrets test does not
        git(project, "init", "-q")
        git(project, "add", ".")
        git(project, "commit", "-qm", "a clone")
    run = CloneRun(project, data, files(project))
    for name in UNSET:
        env.delenv(name, raising=False)
    env.setenv("CONVOI_SANDBOX_SEED", "0")
    env.setenv("XDG_DATA_HOME", str(data))  # the per-user data folder: nothing of convoi_nb may land there
    env.setenv("CONVOI_REVIEW_CALLS", REVIEW_CALLS)
    assert os.environ.get("CONVOI_SANDBOX_DB") is None
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
        except Exception as error:  # reported by the tests that read this notebook; the others still run
            run.errors[path.name] = error
        else:
            run.executed[path.name] = notebook
    return run
