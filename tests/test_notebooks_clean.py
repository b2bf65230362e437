"""Bundled notebooks are committed as built from their sources: no outputs, execution counts, saved widget state
or leftover metadata."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from .notebook_runs import CloneRun, files, git

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


# Exactly what notebooks/build_notebooks.py writes: what JupyterLab itself writes on open. Saving a notebook after
# running it adds more (saved widget state, cell tags, collapsed/scrolled flags...): rebuild it instead, or allow a
# key here on purpose.
sys.path.insert(0, str(ROOT / "notebooks"))
from build_notebooks import NOTEBOOK_METADATA  # noqa: E402

CELL_METADATA_KEYS: frozenset[str] = frozenset()
CELL_KEYS = {
    "markdown": {"cell_type", "id", "metadata", "source"},
    "code": {"cell_type", "execution_count", "id", "metadata", "outputs", "source"},
}


def problems(notebook: dict) -> list[str]:
    """What in a notebook file is more than its sources: outputs, execution counts, saved widget state,
    leftover metadata."""
    found = []
    if set(notebook) != {"cells", "metadata", "nbformat", "nbformat_minor"}:
        found.append(f"top-level keys {sorted(notebook)}")
    if "widgets" in notebook["metadata"]:
        found.append("saved widget state (metadata.widgets)")
    for key in sorted(set(notebook["metadata"]) - {"widgets"}):
        if key not in NOTEBOOK_METADATA:
            found.append(f"notebook metadata {key!r}")
        elif notebook["metadata"][key] != NOTEBOOK_METADATA[key]:
            found.append(f"notebook metadata {key!r} is {notebook['metadata'][key]!r}")
    for key in sorted(set(NOTEBOOK_METADATA) - set(notebook["metadata"])):
        found.append(f"notebook metadata {key!r} missing")
    for number, cell in enumerate(notebook["cells"], start=1):
        where = f"cell {number} ({cell.get('cell_type')})"
        if set(cell) != CELL_KEYS.get(cell.get("cell_type"), set()):
            found.append(f"{where} has keys {sorted(cell)}")
        if cell.get("outputs"):
            found.append(f"{where} has outputs")
        if cell.get("execution_count") is not None:
            found.append(f"{where} has execution count {cell['execution_count']}")
        for key in sorted(set(cell.get("metadata", {})) - CELL_METADATA_KEYS):
            found.append(f"{where} has metadata {key!r}")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_committed_clean(path: Path) -> None:
    notebook = json.loads(path.read_text())
    assert notebook["nbformat"] == 4 and notebook["cells"]
    assert problems(notebook) == [], f"{path.name}: run python notebooks/build_notebooks.py"


def test_an_executed_and_saved_notebook_is_not_clean() -> None:
    """What JupyterLab writes after Run All and Save: every kind of leftover is named."""
    notebook = json.loads(NOTEBOOKS[0].read_text())
    notebook["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    notebook["metadata"]["language_info"] = {"name": "python", "version": "3.11.2"}  # an older JupyterLab's
    notebook["metadata"]["toc"] = {}
    code = next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")
    code.update(
        execution_count=1,
        outputs=[{"output_type": "stream", "name": "stdout", "text": "hi"}],
        metadata={"scrolled": True},
    )
    assert problems(notebook) == [
        "saved widget state (metadata.widgets)",
        "notebook metadata 'language_info' is {'name': 'python', 'version': '3.11.2'}",
        "notebook metadata 'toc'",
        "cell 2 (code) has outputs",
        "cell 2 (code) has execution count 1",
        "cell 2 (code) has metadata 'scrolled'",
    ]


def test_notebooks_match_their_sources() -> None:
    from notebook_sources import NOTEBOOKS as SOURCES

    assert sorted(SOURCES) == [p.name for p in NOTEBOOKS]
    for name, cells in SOURCES.items():
        committed = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        assert ["".join(c["source"]) for c in committed] == [src for _, src in cells], (
            f"{name} is stale: run python notebooks/build_notebooks.py"
        )


# -- running the notebooks leaves the checkout as it was --------------------------------------------------------


@pytest.mark.timeout(6000)  # its fixture may wait for the notebooks it reads to finish running
@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_running_every_notebook_leaves_the_checkout_clean(notebooks_run_in_a_clone: CloneRun) -> None:
    """Issue 25, item 7: the experiment store and an `exports/` folder landed next to the notebooks, and the
    sandbox database in the per-user data folder was shared by every clone. The notebooks ran in a fresh clone
    without a server, a key, a database or a working folder configured (tests/notebook_runs.py)."""
    run, project = notebooks_run_in_a_clone, notebooks_run_in_a_clone.project
    assert run.errors == {}
    assert git(project, "status", "--porcelain", "--untracked-files=all") == ""
    added = files(project) - run.files_before
    assert added and all(name.split("/")[0] == ".convoi_nb" for name in added), sorted(added)[:10]
    for name in ("sandbox.sqlite3", "convoi_experiments.sqlite3", "exports/sandbox-calls/_manifest.json"):
        assert (project / ".convoi_nb" / name).is_file(), name
    assert not (run.data / "convoi_nb").exists()


def test_no_leftover_of_a_run_is_tracked() -> None:
    """Two results-store lock files a run left in notebooks/ had been committed."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = git(ROOT, "ls-files", "notebooks").split()
    assert [name for name in tracked if not name.endswith((".ipynb", ".py"))] == []
