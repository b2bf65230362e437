"""Write the bundled notebooks from the cell sources below (outputs stripped, so they stay reviewable).

Run `python tools/build_notebooks.py` after editing; tests/test_notebooks_clean.py checks the result.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from notebook_sources import NOTEBOOKS  # noqa: E402


def build(name: str, cells: list[tuple[str, str]]) -> None:
    notebook = new_notebook(
        cells=[new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in cells],
        metadata={
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.write(notebook, ROOT / "notebooks" / name)


if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        build(name, cells)
        print("wrote notebooks/" + name)
