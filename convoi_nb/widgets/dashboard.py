"""`python -m convoi_nb.widgets.dashboard NOTEBOOK`: a notebook as a Voilà dashboard that loads nothing from a CDN.

Voilà's stock "lab" template links Font Awesome's stylesheets from a CDN (the widget extensions already bring the
icons), so an offline page logs two failed requests and an online one fetches from outside its server. The package
ships a "convoi" template (`jupyter_data/voila/templates/convoi`, beside this module): that template without those
two links. This runs Voilà with it; every argument is Voilà's own (a `--template=` given overrides this one).

Voilà loads every JupyterLab extension installed beside it. Those made for JupyterLab's own interface cannot start
on a dashboard page and log errors to its console: jupytext's (installed with the `docs` extra, through
mkdocs-jupyter) is left out. Add others with `--VoilaConfiguration.extension_denylist=NAME`.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "jupyter_data"  # a Jupyter data folder: voila/templates/convoi
TEMPLATE = "convoi"
# JupyterLab interface extensions a dashboard page cannot run ("Failed to create module" in its console).
DENIED_EXTENSIONS = ("jupyterlab-jupytext",)


def voila_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment for Voilà: `environ` with the package's data folder first on `JUPYTER_PATH`.

    Args:
        environ: The environment to extend (the user's own `JUPYTER_PATH` entries are kept, after it).

    Returns:
        A copy with `JUPYTER_PATH` set.
    """
    kept = [entry for entry in environ.get("JUPYTER_PATH", "").split(os.pathsep) if entry]
    return {**environ, "JUPYTER_PATH": os.pathsep.join([str(DATA), *kept])}


def voila_arguments(argv: Sequence[str]) -> list[str]:
    """Voilà's command line: the package's template and extension denylist, then the arguments given.

    A later `--template=` wins; a later `--VoilaConfiguration.extension_denylist=NAME` adds to the denylist.

    Args:
        argv: The arguments for Voilà (the notebook, `--port=...`, ...).

    Returns:
        The arguments to launch Voilà with (Voilà's own template, with a warning, if the package's is missing).
    """
    denied = [f"--VoilaConfiguration.extension_denylist={name}" for name in DENIED_EXTENSIONS]
    if not (DATA / "voila" / "templates" / TEMPLATE / "index.html.j2").is_file():
        print(
            f"convoi_nb: the package's Voilà template is missing from {DATA}; serving with Voilà's own "
            "(which links Font Awesome from a CDN)",
            file=sys.stderr,
        )
        return [*denied, *argv]
    return [f"--template={TEMPLATE}", *denied, *argv]


def main(argv: Sequence[str] | None = None) -> None:
    """Run Voilà with the package's template until it is stopped.

    Args:
        argv: Voilà's arguments (default: this process's own).
    """
    os.environ.update(voila_environment(os.environ))
    voila: Any = importlib.import_module("voila.app")  # the `voila` extra; untyped
    voila.main(argv=voila_arguments(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    main()
