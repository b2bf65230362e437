"""One copy of the Join front end per notebook: a notebook that shows 20 Join buttons, executed and saved with its
widget state (nbclient's `store_widget_state`, what JupyterLab saves with "save widget state"), grows by the
bundle once, not 20 times."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook

from convoi_nb.widgets.join_runtime import BUNDLE, LOADER, JoinRuntime, shared_runtime

SHOW = """from IPython.display import display
from convoi_nb.widgets import JoinButton
display(*[JoinButton(lambda: None) for _ in range({count})])
"""


def saved(count: int) -> tuple[int, dict[str, object]]:
    """The saved size of an executed notebook showing `count` Join buttons, and its widget state."""
    notebook = new_notebook(cells=[new_code_cell(SHOW.format(count=count))])
    NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=True).execute()
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    return len(nbformat.writes(notebook).encode()), state


@pytest.mark.timeout(600)
def test_twenty_join_buttons_save_the_bundle_once() -> None:
    bundle = len(BUNDLE.read_bytes())
    one, one_state = saved(1)
    twenty, state = saved(20)
    esm = [model["state"].get("_esm", "") for model in state.values()]
    assert sum(len(text) > 10_000 for text in esm) == 1  # the runtime's bundle, once…
    assert esm.count(LOADER) == 20  # …and a few lines per button
    assert one > bundle  # the notebook carries the front end (it renders without the package's files)
    # 19 more buttons add their own small state (button, note, layouts: ~6 kB each), never a bundle (~560 kB) each.
    per_button = (twenty - one) / 19
    assert per_button < 10_000, f"20 buttons saved {twenty:,} bytes, 1 button {one:,}: bundle {bundle:,}"
    assert len(one_state) >= 3  # not vacuous: the runtime, the button, their layouts


def test_the_runtime_is_shared_and_made_again_once_closed() -> None:
    runtime = shared_runtime()
    assert shared_runtime() is runtime and isinstance(runtime, JoinRuntime)
    runtime.close()
    again = shared_runtime()
    try:
        assert again is not runtime and again.comm is not None
        assert json.dumps(again.get_state()).count("convoi-join-button") == 1  # the bundle, in the runtime's state
    finally:
        again.close()
