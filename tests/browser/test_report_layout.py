"""The experiment report at JupyterLab's default width, in chromium: the formatted summary and comparison tables and the
ExperimentPanel's summary fit their output areas (no horizontal scrollbar, no cell whose text overflows it).
Screenshots are kept in tests/artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from .conftest import ARTIFACTS
from .test_jupyterlab import MODEL_NOT_FOUND, open_notebook, run_all_cells, start_kernel

WIDTH = 1280  # a common laptop window; JupyterLab opens with its file browser beside the notebook
REPORT = "report_tables.ipynb"
REPORT_CELLS = [
    """import convoi_nb
from convoi_nb.experiments import Experiment, Variant
client = convoi_nb.connect(sandbox_settings={"db_path": ":memory:", "time_scale": 3600})
agent = client.list_agents()[0]
variants = [
    Variant("baseline"),
    Variant("gpt-4o with a long descriptive variant name that needs wrapping", {"llm": {"model": "gpt-4o"}}),
    *Variant.grid(None, {"llm.model": ["gpt-4o-mini"], "tts.speed": [1.0, 1.2]}),
]
experiment = Experiment("report tables", agent.id, variants, 4, store="report.sqlite3")
results = experiment.run(client, progress=False).wait(progress=False)""",
    "results.summary_table()",
    'results.compare_table("baseline")',
]
PANEL = "panel_report.ipynb"
PANEL_CELLS = [
    """import convoi_nb
from convoi_nb.widgets import ExperimentPanel

client = convoi_nb.connect(sandbox_settings={"db_path": ":memory:", "expire_rate": 0, "fail_rate": 0})
panel = ExperimentPanel(client, store="panel.sqlite3")
panel.name.value = "a panel experiment with a long descriptive name"
panel.variants.add("gpt-4o with a long descriptive variant name that needs wrapping")
panel.variants.entries[1].form.rows["llm.model"].control.value = "gpt-4o"
panel.replicates.value = 3
panel.start(resume=False)
panel""",
]

# For every formatted table (summary_table/compare_table: a Styler, with a caption) in an output area: its width,
# its output area's, the area's scroll width, and cells whose text is wider than the cell. Plain DataFrames
# (notebook 02's raw frame) may scroll: that is JupyterLab's way with wide data.
MEASURE = """(root) => Array.from(root.querySelectorAll('.jp-OutputArea-output table:has(caption)')).map((table) => {
    const area = table.closest('.jp-OutputArea-output');
    const overflowing = Array.from(table.querySelectorAll('td, th'))
        .filter((cell) => cell.scrollWidth > cell.clientWidth + 1).map((cell) => cell.textContent);
    return {table: table.getBoundingClientRect().width, area: area.clientWidth, scroll: area.scrollWidth,
            overflowing: overflowing, text: table.textContent.replace(/\\s+/g, ' ').slice(0, 300)};
})"""


def measure(page: Any, shot: str) -> list[dict[str, Any]]:
    tables = page.locator(".jp-Notebook").evaluate(MEASURE)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.locator(".jp-OutputArea-output table:has(caption)").first.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / shot), full_page=False)
    for table in tables:
        assert table["table"] <= table["area"] + 1, f"wider than its output area: {table}"
        assert table["scroll"] <= table["area"] + 1, f"a horizontal scrollbar: {table}"
        assert not table["overflowing"], f"text overflowing its cell: {table}"
    return tables


@pytest.mark.timeout(300)
def test_the_report_tables_fit(jupyterlab: str, page: Any, notebook_dir: Path, tmp_path: Path) -> None:
    """A fixed-design experiment's summary_table and compare_table (notebook 02 now runs the sequential design, whose
    decision is a plain frame): long variant names, intervals and notes, at the default width."""
    nbformat.write(
        new_notebook(
            cells=[new_code_cell(c) for c in REPORT_CELLS],
            metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        ),
        notebook_dir / REPORT,
    )
    page.set_viewport_size({"width": WIDTH, "height": 900})
    kernel_id = start_kernel(jupyterlab, REPORT, tmp_path / "runtime")
    open_notebook(page, jupyterlab, REPORT, kernel_id)
    run_all_cells(page)
    page.locator(".jp-OutputArea-output table:has(caption)").nth(1).wait_for(timeout=240_000)
    tables = measure(page, "report_tables.png")
    assert any("cost per call [95% CI]" in t["text"] for t in tables)  # the formatted summary was measured
    assert any("cost per call vs baseline" in t["text"] for t in tables)


@pytest.mark.timeout(300)
def test_experiment_panel_summary_fits(jupyterlab: str, page: Any, notebook_dir: Path, tmp_path: Path) -> None:
    nbformat.write(
        new_notebook(
            cells=[new_code_cell(c) for c in PANEL_CELLS],
            metadata={"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        ),
        notebook_dir / PANEL,
    )
    page.set_viewport_size({"width": WIDTH, "height": 900})
    kernel_id = start_kernel(jupyterlab, PANEL, tmp_path / "runtime")
    open_notebook(page, jupyterlab, PANEL, kernel_id)
    run_all_cells(page)
    done = page.get_by_text("done in", exact=False)
    done.or_(page.get_by_text(MODEL_NOT_FOUND)).first.wait_for(state="attached", timeout=180_000)
    assert done.count(), f"the page shows {MODEL_NOT_FOUND!r} instead of the panel"
    page.locator(".jp-OutputArea-output table:has(caption)").nth(1).wait_for(timeout=60_000)
    tables = measure(page, "report_experiment_panel.png")
    assert any("cost per call [95% CI]" in t["text"] for t in tables)
    assert any("cost per call vs baseline" in t["text"] for t in tables)
