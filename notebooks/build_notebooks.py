"""Write the bundled notebooks from the cell sources below (outputs stripped, so they stay reviewable).

Run `python notebooks/build_notebooks.py` after editing `notebook_sources.py`; tests/test_notebooks_clean.py
checks that the committed notebooks match and carry no outputs.
"""

from __future__ import annotations

import copy
import hashlib
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from notebook_sources import NOTEBOOKS  # noqa: E402


def cell_id(name: str, source: str, index: int) -> str:
    """Stable across rebuilds (nbformat's default is random), so an unchanged cell never shows up in a diff."""
    return hashlib.sha1(f"{name}\x1f{index}\x1f{source}".encode()).hexdigest()[:8]


# Exactly what JupyterLab 4 writes into a notebook it opens on ipykernel's `python3` kernel: the kernelspec as the
# kernel spec names itself, and the kernel's own `language_info`. JupyterLab sets both on open and marks the notebook
# modified unless they are deep-equal to what the file holds (tests/browser/test_notebook_metadata.py opens and
# saves a notebook in chromium to check). `version` is the kernel's Python: on another Python, opening a notebook
# changes that one field.
PYTHON_VERSION = "3.11.7"
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": PYTHON_VERSION,
    },
}


def build(name: str, cells: list[tuple[str, str]]) -> None:
    notebook = new_notebook(
        cells=[
            (new_markdown_cell if kind == "md" else new_code_cell)(src, id=cell_id(name, src, index))
            for index, (kind, src) in enumerate(cells)
        ],
        metadata=copy.deepcopy(NOTEBOOK_METADATA),
    )
    nbformat.write(notebook, HERE / name)


if __name__ == "__main__":
    for name, cells in NOTEBOOKS.items():
        build(name, cells)
        print("wrote notebooks/" + name)
