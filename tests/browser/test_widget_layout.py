"""The widgets at a laptop's width, in chromium: the widget tour opens unmodified in JupyterLab (its committed
metadata is what JupyterLab writes), and every widget the package ships, in each state that shows text, lays out
cleanly in JupyterLab (file browser open) and in Voilà: no truncated label or button, no wrapped label, no tiny
input, no heading repeated by the tab under it. Screenshots of each widget are kept in tests/artifacts/."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from .conftest import ARTIFACTS, voila_serving
from .test_jupyterlab import MODEL_NOT_FOUND, open_notebook, run_all_cells, start_kernel

TOUR = "04_widgets.ipynb"
WIDTH = 1280  # a common laptop window; JupyterLab opens with its file browser beside the notebook

# Every label, description and button in the widgets' output areas: text cut off (ipywidgets' labels and buttons
# end in an ellipsis; the Join front end's buttons too), row labels wrapped onto a second line, inputs narrower than
# a word, and headings a tab repeats right below. A cut-off text is reported with its widths (scroll > client).
MEASURE = """(root) => {
    const areas = Array.from(root.querySelectorAll('.jp-OutputArea-output .widget-vbox, .jp-OutputArea-output .widget-hbox'));
    const text = (el) => el.textContent.trim();
    const laidOut = (el) => text(el) && el.getBoundingClientRect().width > 0;
    const labels = Array.from(root.querySelectorAll('.jp-OutputArea-output .widget-label, .jp-OutputArea-output .widget-html b'))
        .filter(laidOut);
    const buttons = Array.from(root.querySelectorAll(
        '.jp-OutputArea-output .widget-button, .jp-OutputArea-output .widget-toggle-button, .jp-OutputArea-output .convoi-join button'))
        .filter(laidOut);
    const lineHeight = (el) => parseFloat(getComputedStyle(el).lineHeight) || 1.3 * parseFloat(getComputedStyle(el).fontSize);
    const truncated = [...labels, ...buttons].filter((el) => el.scrollWidth > el.clientWidth + 1)
        .map((el) => `${text(el)} (${el.scrollWidth} px in ${el.clientWidth} px)`);
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
    return {labels: labels.length, buttons: buttons.length, areas: areas.length, truncated, wrapped, narrow, repeated,
            texts: [...labels, ...buttons].map(text)};
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


# Every widget the package ships, in each state that shows text, one output each: the launcher before and after a
# call, a call card, the picker, a Join button, the metadata editor, the overrides form, the variant builder, the
# experiment panel after a run, and the listening-session panel before its first call, with a call running (a
# sandbox of its own that keeps time, so the call lasts), with the rating form open, and over (the reveal).
EVERY_WIDGET = "every_widget.ipynb"
EVERY_WIDGET_CELLS = [
    """import convoi_nb
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.sandbox import Sandbox
from convoi_nb.sessions import ListeningSession
from convoi_nb.widgets import (CallCard, CallLauncher, CallPicker, ExperimentPanel, JoinButton,
                               ListeningSessionPanel, MetadataEditor, OverridesForm, VariantBuilder)

client = convoi_nb.connect(sandbox_settings={"db_path": ":memory:", "expire_rate": 0, "fail_rate": 0})
agents = client.list_agents()
real_time = Sandbox(db_path=":memory:", time_scale=1.0, expire_rate=0, fail_rate=0).start()
slow = convoi_nb.ConvoiClient(api_key=real_time.api_key, base_url=real_time.url)""",
    "CallLauncher(client)",
    """launched = CallLauncher(client)
launched.participant_name.value = "Ada"
launched.metadata.add_row("source", "labels")
launched.create().result(timeout=60)
launched.card.wait(timeout=60)
launched.card.show_code.value = True
launched""",
    "CallCard(client, client.create_web_call(agents[0].id))",
    """picker = CallPicker(client)
picker.set_calls([(f"call {c.id}", c.id) for c in launched.calls])
picker.dropdown.value = launched.calls[0].id
picker""",
    "JoinButton(lambda: client.get_call(launched.calls[0].id).livekit)",
    """MetadataEditor({"source": "labels", "user_ref": "u_42"})""",
    "OverridesForm(agents[0])",
    """builder = VariantBuilder(agents[0])
builder.add("gpt-4o")
builder""",
    """experiment = Experiment("labels", agents[0].id, [Variant("baseline"), Variant("gpt-4o", {"llm": {"model": "gpt-4o"}})],
                        replicates=1, store="labels.sqlite3")
criteria = ["helpful", "natural voice"]
ListeningSessionPanel(client, ListeningSession(experiment, "before", 1, criteria=criteria))""",
    """running = ListeningSessionPanel(slow, ListeningSession(experiment, "running", 1, criteria=criteria))
running.start()
running""",
    """rating = ListeningSessionPanel(client, ListeningSession(experiment, "rating", 1, criteria=criteria))
rating.start()
rating.card.wait(timeout=60)
rating""",
    """over = ListeningSession(experiment, "over", 1, criteria=criteria)
while not over.done:
    over.start(client)
    over.broken(note="scripted")
ListeningSessionPanel(client, over)""",
    """panel = ExperimentPanel(client, store="panel.sqlite3")
panel.replicates.value = 2
panel.start(resume=False)
panel.wait(timeout=120)
panel""",
]
# What the page shows once every cell's widget is there (the last cell waits for the experiment's run).
SETTLED = ["Session over", "Rate this call", "This call was broken", "Show code", "Start call 1", "Add metadata"]


def write_every_widget(folder: Path) -> None:
    nbformat.write(
        new_notebook(
            cells=[new_code_cell(c) for c in EVERY_WIDGET_CELLS],
            metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        ),
        folder / EVERY_WIDGET,
    )


def assert_laid_out(found: dict[str, Any]) -> None:
    seen = " | ".join(found["texts"])
    missing = [text for text in SETTLED if text not in seen]
    assert not missing, f"not measured (not on the page): {missing}"
    assert found["truncated"] == [], f"labels cut off: {found['truncated']}"
    assert found["wrapped"] == [], f"labels on two lines: {found['wrapped']}"
    assert found["narrow"] == [], f"tag inputs too narrow to type in (px): {found['narrow']}"


def settled(page: Any, timeout: float = 240_000) -> None:
    """Wait until the last cell's panel says its run is done and every expected text is on the page."""
    page.get_by_text("done in", exact=False).first.wait_for(state="attached", timeout=timeout)
    for text in SETTLED:  # labels and buttons the measure must see
        page.get_by_text(text, exact=False).first.wait_for(state="attached", timeout=60_000)


@pytest.mark.timeout(480)
def test_every_widget_in_every_state_fits_in_jupyterlab(
    jupyterlab: str, page: Any, notebook_dir: Path, tmp_path: Path
) -> None:
    write_every_widget(notebook_dir)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    kernel_id = start_kernel(jupyterlab, EVERY_WIDGET, tmp_path / "runtime")
    open_notebook(page, jupyterlab, EVERY_WIDGET, kernel_id)
    assert page.locator(".jp-FileBrowser").first.is_visible(), "measured without the file browser open"
    run_all_cells(page)
    settled(page)
    found = page.locator(".jp-Notebook").evaluate(MEASURE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for number, area in enumerate(page.locator(".jp-OutputArea-output:has(.jupyter-widgets)").all(), start=1):
        area.scroll_into_view_if_needed()
        area.screenshot(path=str(ARTIFACTS / f"every_widget_lab_{number:02d}.png"))
    assert_laid_out(found)


@pytest.mark.timeout(480)
def test_every_widget_in_every_state_fits_in_voila(page: Any, notebook_dir: Path, tmp_path: Path) -> None:
    write_every_widget(notebook_dir)
    with voila_serving(notebook_dir / EVERY_WIDGET, tmp_path) as url:
        page.set_viewport_size({"width": WIDTH, "height": 900})
        page.goto(url, timeout=300_000)
        settled(page)
        found = page.locator("body").evaluate(MEASURE)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "every_widget_voila.png"), full_page=True)
    assert_laid_out(found)
