"""MkDocs hook: the bundled notebooks, executed at build time, as the tutorial pages.

The notebooks stay where they are (`notebooks/0*.ipynb`, committed without outputs); this hook adds each one to
the build as `tutorials/<name>.ipynb`, which mkdocs-jupyter then executes and renders. The kernels run on a fresh
embedded sandbox in a temporary folder, never on a real service (the key and URL are unset for the build) and
never writing into the checkout.

The build reads a copy of each notebook in that temporary folder: mkdocs-jupyter (0.26) wraps every `.ipynb` file
and recomputes its source path from the file's `src_dir`, so a notebook must sit at `<src_dir>/tutorials/<name>`
(a `File.generated` one, which has no `src_dir`, loses its path).

nbconvert reads `jupyter/jupyter_nbconvert_config.json` beside this hook (on `JUPYTER_CONFIG_PATH` for the build):
it clears the executed notebook's metadata, which drops the widgets' saved state. With that state, the page would
load the widget renderer from a CDN (unpkg); without it, each widget shows its text form.

`mkdocs build` executes every notebook each time (mkdocs.yml turns mkdocs-jupyter's cache off: it is keyed on the
notebook alone, so a change to the package would not show, and it would be written into the checkout). `mkdocs
serve` keeps the outputs in a temporary cache for the session, so editing a page does not run the five notebooks
again; changing a notebook runs that notebook again.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NBCONVERT_CONFIG = Path(__file__).resolve().parent / "jupyter"
TUTORIALS = "tutorials"

# What the kernels see: a working folder of their own (the sandbox's database, the results store and the exports
# land there) and no credentials, so the tutorials show the embedded sandbox whatever the developer's shell holds.
_UNSET = ("CONVOI_API_KEY", "CONVOI_BASE_URL", "CONVOI_SANDBOX_DB")
_saved: dict[str, str | None] = {}
_workdir: list[str] = []
_serve_cache: list[str] = []


def bundled_notebooks() -> list[Path]:
    """The notebooks the site renders as tutorials, in their order.

    Returns:
        The paths of `notebooks/0*.ipynb`, sorted by name.
    """
    return sorted(NOTEBOOKS.glob("0*.ipynb"))


def on_startup(*, command: str, dirty: bool) -> None:
    """Make a cache of notebook outputs for a `mkdocs serve` session.

    Args:
        command: The MkDocs command running ("build", "serve" or "gh-deploy").
        dirty: Whether only changed files are rebuilt.
    """
    if command == "serve":
        _serve_cache.append(tempfile.mkdtemp(prefix="convoi-nb-docs-cache-"))


def on_config(config: Any) -> Any:
    """Under `mkdocs serve`, let mkdocs-jupyter reuse a notebook's outputs until the notebook changes.

    Args:
        config: The MkDocs configuration.

    Returns:
        The configuration.
    """
    if _serve_cache:
        jupyter = config["plugins"]["mkdocs-jupyter"].config
        jupyter["cache"] = True
        jupyter["cache_dir"] = _serve_cache[-1]
    return config


def on_shutdown() -> None:
    """Remove the `mkdocs serve` session's cache."""
    while _serve_cache:
        shutil.rmtree(_serve_cache.pop(), ignore_errors=True)


@event_priority(50)  # before mkdocs-jupyter's on_files, which turns the .ipynb files it sees into pages
def on_files(files: Files, config: Any) -> Files:
    """Add each bundled notebook to the build as `tutorials/<name>.ipynb` (a copy in the build's folder).

    Args:
        files: The files MkDocs found under `docs/`.
        config: The MkDocs configuration.

    Returns:
        The same files plus the notebooks.
    """
    pages = Path(_workdir[-1]) / "pages"
    (pages / TUTORIALS).mkdir(parents=True)
    for path in bundled_notebooks():
        shutil.copyfile(path, pages / TUTORIALS / path.name)
        src_uri = f"{TUTORIALS}/{path.name}"
        files.append(File(src_uri, str(pages), config["site_dir"], config["use_directory_urls"]))
    return files


def on_pre_build(config: Any) -> None:
    """Give the notebook kernels a fresh working folder and no credentials for this build.

    Args:
        config: The MkDocs configuration.
    """
    workdir = tempfile.mkdtemp(prefix="convoi-nb-docs-")
    _workdir.append(workdir)
    for name in (*_UNSET, "CONVOI_NB_DIR", "JUPYTER_CONFIG_PATH"):
        _saved.setdefault(name, os.environ.get(name))
    for name in _UNSET:
        os.environ.pop(name, None)
    os.environ["CONVOI_NB_DIR"] = str(Path(workdir) / "convoi_nb")
    os.environ["JUPYTER_CONFIG_PATH"] = os.pathsep.join(
        [str(NBCONVERT_CONFIG), *filter(None, [_saved["JUPYTER_CONFIG_PATH"]])]
    )


def _restore() -> None:
    for name, value in _saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _saved.clear()
    while _workdir:
        shutil.rmtree(_workdir.pop(), ignore_errors=True)


def on_post_build(config: Any) -> None:
    """Put the environment back and remove the build's working folder.

    Args:
        config: The MkDocs configuration.
    """
    _restore()


def on_build_error(error: Exception) -> None:
    """Put the environment back and remove the build's working folder when the build fails.

    Args:
        error: The exception that stopped the build.
    """
    _restore()
