"""Binder's install steps in a fresh virtual environment, as a background job (tests/background.py): what
repo2docker does with binder/requirements.txt, minus the image. tests/test_binder_config.py checks what it left."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .background import BackgroundJob

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import importlib.metadata as m, platform, convoi_nb, ipywidgets, duckdb, pyarrow;"
    "print(convoi_nb.__version__, ipywidgets.__version__, m.version('jupyterlab'), m.version('jupyterlab_widgets'),"
    " platform.python_version(), m.metadata('convoi_nb')['Requires-Python'], sep='\\n')"
)


def binder_install(folder: Path) -> BackgroundJob:
    """A clean venv in `folder`, pip from the root, then a probe of what got installed (not started yet)."""
    python = str(folder / "binder-venv" / "bin" / "python")
    return BackgroundJob(
        {
            # What venv.EnvBuilder(with_pip=True) does, from the interpreter running the tests.
            "venv": ([sys.executable, "-m", "venv", str(folder / "binder-venv")], ROOT),
            # --no-compile: pip's bytecode compilation of every installed module (44% of the install's CPU time)
            # proves nothing here; the probe imports what it checks, compiling that.
            "install": (
                [python, "-m", "pip", "install", "--quiet", "--no-compile", "-r", "binder/requirements.txt"],
                ROOT,
            ),
            "probe": ([python, "-c", PROBE], folder),
        },
        dict(os.environ),
    )
