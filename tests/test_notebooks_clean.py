"""Bundled notebooks are committed without outputs and match the sources they are built from."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_no_outputs(path: Path) -> None:
    notebook = json.loads(path.read_text())
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name} has outputs"


def test_notebooks_match_their_sources() -> None:
    sys.path.insert(0, str(ROOT / "notebooks"))
    from notebook_sources import NOTEBOOKS as SOURCES

    assert sorted(SOURCES) == [p.name for p in NOTEBOOKS]
    for name, cells in SOURCES.items():
        committed = json.loads((ROOT / "notebooks" / name).read_text())["cells"]
        assert ["".join(c["source"]) for c in committed] == [src for _, src in cells], (
            f"{name} is stale: run python notebooks/build_notebooks.py")
