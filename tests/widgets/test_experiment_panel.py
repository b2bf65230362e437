"""ExperimentPanel: Run, progress, live table, summary and plot; Resume continues, never duplicates."""

from __future__ import annotations

from pathlib import Path

from convoi_nb import ConvoiClient
from convoi_nb.sandbox import Sandbox
from convoi_nb.widgets import ExperimentPanel

from .conftest import FrontEnd, Opened


def test_run_then_resume(tmp_path: Path, opened: Opened, front_end: FrontEnd, calm_client: ConvoiClient,
                         calm_sandbox: Sandbox) -> None:
    panel = opened.widget(ExperimentPanel, calm_client, store=tmp_path / "panel.sqlite3")
    panel.name.value = "panel-test"
    panel.variants.add("gpt-4o")
    panel.variants.entries[1].form.rows["llm.model"].control.value = "gpt-4o"
    panel.replicates.value = 3
    panel.run_button.click()
    results = panel.wait(timeout=60)
    assert "done" in panel.status.value and (panel.progress.value, panel.progress.max) == (6, 6)
    summary = results.summary()
    assert summary["ended"].tolist() == [3, 3]
    assert summary.loc["baseline", "cost_mean"] < summary.loc["gpt-4o", "cost_mean"]
    assert len(panel.table.outputs) == 1 and "text/html" in panel.table.outputs[0]["data"]
    assert len(panel.summary.outputs) == 2  # summary and comparison
    assert bytes(panel.plot.value).startswith(b"\x89PNG")
    assert not panel.run_button.disabled and not panel.busy
    panel.run_button.click()  # same name again: refused, pointing at Resume
    assert "Resume" in panel.status.value
    panel.replicates.value = 4
    panel.resume_button.click()
    panel.wait(timeout=60)
    assert len(panel.results.frame()) == 8
    assert calm_sandbox.service.store.count() == 8
    assert panel in front_end.widgets() and calm_sandbox.api_key not in front_end.state()
