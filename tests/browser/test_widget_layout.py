"""The widget tour in JupyterLab at a laptop's width, in chromium: the notebook opens unmodified (its committed
metadata is what JupyterLab writes), and every widget lays out cleanly (no truncated or wrapped label, no tiny
input, no heading repeated by the tab under it). Screenshots of each widget are kept in tests/artifacts/."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import ARTIFACTS
from .test_jupyterlab import MODEL_NOT_FOUND, open_notebook, run_all_cells, start_kernel

TOUR = "04_widgets.ipynb"
WIDTH = 1280  # a common laptop window; JupyterLab opens with its file browser beside the notebook

# Every label and description in the widgets' output areas: text cut off (ipywidgets' labels end in an ellipsis),
# row labels wrapped onto a second line, inputs narrower than a word, and headings a tab repeats right below.
MEASURE = """(root) => {
    const areas = Array.from(root.querySelectorAll('.jp-OutputArea-output .widget-vbox, .jp-OutputArea-output .widget-hbox'));
    const text = (el) => el.textContent.trim();
    const labels = Array.from(root.querySelectorAll('.jp-OutputArea-output .widget-label, .jp-OutputArea-output .widget-html b'))
        .filter((el) => text(el) && el.getBoundingClientRect().width > 0);
    const lineHeight = (el) => parseFloat(getComputedStyle(el).lineHeight) || 1.3 * parseFloat(getComputedStyle(el).fontSize);
    const truncated = labels.filter((el) => el.scrollWidth > el.clientWidth + 1).map(text);
    const wrapped = labels.filter((el) => el.getBoundingClientRect().height > 1.5 * lineHeight(el)).map(text);
    const narrow = Array.from(root.querySelectorAll('.jp-OutputArea-output .jupyter-widget-tagsinput'))
        .map((el) => el.querySelector('input') || el).map((el) => el.getBoundingClientRect().width)
        .filter((width) => width > 0 && width < 200).map(Math.round);
    const repeated = Array.from(root.querySelectorAll('.jp-OutputArea-output .widget-html b'))
        .filter((heading) => {
            const next = heading.closest('.widget-html').nextElementSibling;
            const firstTab = next && next.querySelector('.lm-TabBar-tab, .p-TabBar-tab');
            return firstTab && text(firstTab) === text(heading);
        }).map(text);
    return {labels: labels.length, areas: areas.length, truncated, wrapped, narrow, repeated};
}"""


def saved_after(path: Path, before: float, timeout: float = 60) -> dict[str, Any]:
    """The notebook file once JupyterLab has written it again (its modification time moved)."""
    deadline = time.monotonic() + timeout
    while path.stat().st_mtime == before:
        assert time.monotonic() < deadline, "JupyterLab did not save the notebook"
        time.sleep(0.1)
    return json.loads(path.read_text())


@pytest.mark.timeout(300)
def test_tour_opens_unmodified_and_every_widget_lays_out(
    jupyterlab: str, page: Any, notebook_dir: Path, tmp_path: Path
) -> None:
    path = notebook_dir / TOUR
    committed = json.loads(path.read_text())
    page.set_viewport_size({"width": WIDTH, "height": 900})
    kernel_id = start_kernel(jupyterlab, TOUR, tmp_path / "runtime")
    open_notebook(page, jupyterlab, TOUR, kernel_id)
    # JupyterLab writes the kernel's spec and language_info into the notebook once it knows them; the toolbar's
    # kernel name is the spec's, shown once that has happened.
    page.wait_for_function(
        """() => (document.querySelector('.jp-Toolbar-kernelName') || {}).textContent
        ?.includes('Python 3 (ipykernel)')""",
        timeout=60_000,
    )
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab", has_text=TOUR)
    assert tab.count() == 1 and "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "opened as modified"
    before = path.stat().st_mtime
    page.locator(".jp-Notebook").click()
    page.keyboard.press("Control+s")
    saved = saved_after(path, before)
    assert saved["metadata"] == committed["metadata"]  # exactly what JupyterLab writes: nothing for it to change
    assert saved == committed  # and the rest of the file too: opening and saving changes nothing

    run_all_cells(page)
    panel_run = page.locator(".widget-button", has_text="Run")
    panel_run.or_(page.get_by_text(MODEL_NOT_FOUND)).first.wait_for(state="attached", timeout=180_000)
    assert panel_run.count(), f"the page shows {MODEL_NOT_FOUND!r} instead of the experiment panel"
    found = page.locator(".jp-Notebook").evaluate(MEASURE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number, area in enumerate(page.locator(".jp-OutputArea-output:has(.jupyter-widgets)").all(), start=1):
        area.scroll_into_view_if_needed()
        area.screenshot(path=str(ARTIFACTS / f"widget_tour_{number:02d}.png"))
    assert found["labels"] > 30, found  # the measure saw the forms, not an empty page
    assert found["truncated"] == [], f"labels cut off: {found['truncated']}"
    assert found["wrapped"] == [], f"labels on two lines: {found['wrapped']}"
    assert found["narrow"] == [], f"tag inputs too narrow to type in (px): {found['narrow']}"
    assert found["repeated"] == [], f"a heading repeated by the tab below it: {found['repeated']}"
