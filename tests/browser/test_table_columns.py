"""Wide tables at a laptop's width, in JupyterLab with its file browser open: the columns a notebook's text points
to are on screen (within the output area's visible extent), not scrolled out of sight to the right. Notebook 01's
calls frame (its metadata column and the masked token) and notebook 05's summary (the ratings, beside the cost)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS, ROOT
from .test_jupyterlab import open_notebook, run_all_cells, start_kernel

WIDTH = 1280  # a common laptop window; JupyterLab opens with its file browser beside the notebook

# For the table whose header holds `marker`: each named column header's horizontal extent against what the reader
# sees of the output area (it scrolls sideways; the window may cut it too).
PLACES = """([marker, names]) => {
    const text = (el) => el.textContent.trim();
    const table = Array.from(document.querySelectorAll('.jp-OutputArea-output table'))
        .find((t) => Array.from(t.querySelectorAll('thead th')).some((th) => text(th) === marker));
    if (!table) return null;
    const area = table.closest('.jp-OutputArea-output').getBoundingClientRect();
    const right = Math.min(area.right, window.innerWidth);
    const heads = Array.from(table.querySelectorAll('thead th'));
    return names.map((name) => {
        const head = heads.find((th) => text(th) === name);
        if (!head) return {name, found: false, visible: false};
        const box = head.getBoundingClientRect();
        return {name, found: true, left: Math.round(box.left), right: Math.round(box.right), seen: Math.round(right),
                visible: box.left >= area.left - 1 && box.right <= right + 1};
    });
}"""


def run_to_the_end(page: Any, server: str, name: str, runtime: Path) -> None:
    kernel_id = start_kernel(server, name, runtime)
    open_notebook(page, server, name, kernel_id)
    assert page.locator(".jp-FileBrowser").first.is_visible(), "measured without the file browser open"
    run_all_cells(page)
    page.wait_for_function(  # the last code cell has run (its prompt holds a number, not "*")
        """() => /\\[\\d+\\]/.test(Array.from(document.querySelectorAll(
        '.jp-Notebook .jp-CodeCell .jp-InputPrompt')).pop().textContent)""",
        timeout=300_000,
    )


def columns_on_screen(page: Any, marker: str, names: list[str], shot: str) -> None:
    places = page.evaluate(PLACES, [marker, names])
    assert places is not None, f"no table with a {marker!r} column on the page"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".jp-OutputArea-output table", has_text=marker).first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / shot))
    hidden = [place for place in places if not place["visible"]]
    assert hidden == [], f"columns the text names, out of sight at {WIDTH} px: {hidden}"


@pytest.mark.timeout(420)
def test_quickstart_calls_frame_shows_the_metadata_and_the_masked_token(
    jupyterlab: str, page: Any, notebook_dir: Path, tmp_path: Path
) -> None:
    name = "01_quickstart.ipynb"
    shutil.copy(ROOT / "notebooks" / name, notebook_dir)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    run_to_the_end(page, jupyterlab, name, tmp_path / "runtime")
    columns_on_screen(
        page, "livekit_token", ["id", "status", "metadata.user_ref", "livekit_token"], "columns_notebook_01.png"
    )


@pytest.mark.timeout(420)
def test_listening_summary_shows_the_ratings_beside_the_cost(
    jupyterlab: str, page: Any, notebook_dir: Path, tmp_path: Path
) -> None:
    name = "05_listening_session.ipynb"
    shutil.copy(ROOT / "notebooks" / name, notebook_dir)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    run_to_the_end(page, jupyterlab, name, tmp_path / "runtime")
    columns_on_screen(
        page,
        "helpful [95% CI]",
        ["helpful [95% CI]", "natural voice [95% CI]", "cost per call [95% CI]"],
        "columns_notebook_05.png",
    )
