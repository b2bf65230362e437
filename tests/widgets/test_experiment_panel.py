"""ExperimentPanel: Run, progress, live table, summary and plot; Resume continues, never duplicates."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from convoi_nb import ConvoiClient
from convoi_nb.sandbox import Sandbox
from convoi_nb.widgets import ExperimentPanel

from .conftest import FrontEnd, Opened


def test_run_then_resume(
    tmp_path: Path, opened: Opened, front_end: FrontEnd, calm_client: ConvoiClient, calm_sandbox: Sandbox
) -> None:
    panel = opened.widget(ExperimentPanel, calm_client, store=tmp_path / "panel.sqlite3")
    panel.name.value = "panel-test"
    panel.variants.add("gpt-4o")
    panel.variants.entries[1].form.rows["llm.model"].control.value = "gpt-4o"
    panel.replicates.value = 3
    said: list[str] = []
    panel.status.observe(lambda change: said.append(change["new"]), names="value")
    panel.run_button.click()
    results = panel.wait(timeout=60)
    assert re.fullmatch(r"done in \d+ s: 6 calls of panel-test", panel.status.value), panel.status.value
    assert (panel.progress.value, panel.progress.max, panel.progress.description) == (6, 6, "done")
    # It said what it was doing at each step, in order.
    steps = [
        next(i for i, text in enumerate(said) if text.startswith(prefix))
        for prefix in ("checking the server", "creating calls: 6/6", "waiting for calls to end: ", "done in")
    ]
    assert steps == sorted(steps)
    summary = results.summary()
    assert summary["ended"].tolist() == [3, 3]
    assert summary.loc["baseline", "cost_mean"] < summary.loc["gpt-4o", "cost_mean"]
    assert len(panel.table.outputs) == 1 and "text/html" in panel.table.outputs[0]["data"]
    summary_html, comparison_html, verdict = (
        o["data"].get("text/html") or o["data"]["text/plain"] for o in panel.summary.outputs
    )
    assert "cost per call [95% CI]" in summary_html and "$" in summary_html  # the formatted tables
    assert "cost per call vs baseline" in comparison_html and "Bonferroni" in comparison_html
    assert verdict == str(results.verdict())  # the sentence, as print() shows it
    assert bytes(panel.plot.value).startswith(b"\x89PNG")
    # Any call of the run opens as a card, with Join.
    choices = panel.calls.dropdown.options
    assert len(choices) == 7 and choices[1][0] == "baseline #0 (ended)"
    panel.calls.dropdown.value = choices[4][1]
    card = panel.calls.card
    assert card is not None and card.call is not None and card.call.id == choices[4][1]
    assert card.join in card._join_row.children and not card.join.available  # the call has ended
    assert not panel.run_button.disabled and not panel.busy
    panel.run_button.click()  # same name again: refused, pointing at Resume
    assert "Resume" in panel.status.value
    panel.replicates.value = 4
    panel.resume_button.click()
    panel.wait(timeout=60)
    assert len(panel.results.frame()) == 8
    assert calm_sandbox.service.store.count() == 8
    assert panel in front_end.widgets() and calm_sandbox.api_key not in front_end.state()


def test_estimate_then_a_budget_stops_the_run(
    tmp_path: Path, opened: Opened, calm_client: ConvoiClient, calm_sandbox: Sandbox
) -> None:
    panel = opened.widget(ExperimentPanel, calm_client, store=tmp_path / "panel.sqlite3")
    panel.name.value = "panel-budget"
    panel.replicates.value = 10
    panel.estimate_button.click()
    panel.wait(timeout=60)
    assert panel.estimate_line.value.startswith("this run: ~$") and "8 calls to create" in panel.estimate_line.value
    assert calm_sandbox.service.store.count() == 2  # the pilot, kept by the run
    panel.replicates.value = 12
    assert panel.estimate_line.value == ""  # it described another run
    panel.estimate_button.click()
    panel.wait(timeout=60)
    assert "10 calls to create" in panel.estimate_line.value and calm_sandbox.service.store.count() == 2
    spent = panel.experiment().results(calm_client).spend().amount
    panel.budget.value = str(spent + Decimal("0.3"))  # room for about one more call
    panel.run_button.click()  # Run keeps the pilot that Estimate ran
    results = panel.wait(timeout=60)
    assert results is not None and results.budget is not None and results.budget.stopped
    assert "stopped by budget $" in panel.status.value and "cells not created" in panel.status.value
    assert 2 < calm_sandbox.service.store.count() < 10
    assert panel.spend.value.startswith("spent $") and "budget" in panel.spend.value


def test_a_large_run_on_the_real_service_needs_a_budget(tmp_path: Path, opened: Opened, calm_sandbox: Sandbox) -> None:
    client = ConvoiClient(api_key=calm_sandbox.api_key, base_url=calm_sandbox.url, confirm_runs_over=5)
    try:
        panel = opened.widget(ExperimentPanel, client, store=tmp_path / "panel.sqlite3")
        panel.replicates.value = 6
        assert panel.start(resume=False) is None
        assert "would create 6 calls (more than 5): set a Budget" in panel.status.value
        assert calm_sandbox.service.store.count() == 0
    finally:
        client.close()


def test_a_budget_of_zero_is_a_cap_of_zero_and_an_empty_one_no_cap(
    tmp_path: Path, opened: Opened, calm_sandbox: Sandbox
) -> None:
    """The panel means what the library means: empty is no cap, 0 a cap of zero (it used to mean no cap)."""
    client = ConvoiClient(api_key=calm_sandbox.api_key, base_url=calm_sandbox.url, confirm_runs_over=1)
    try:
        panel = opened.widget(ExperimentPanel, client, store=tmp_path / "panel.sqlite3")
        panel.replicates.value = 2
        panel.budget.value = "lots"
        assert panel.start(resume=False) is None and "max_cost" in panel.status.value
        panel.budget.value = ""  # no cap: over confirm_runs_over, so refused before anything is created
        assert panel.start(resume=False) is None and "set a Budget" in panel.status.value
        panel.budget.value = "0"  # a cap of zero: the run may start, and creates nothing
        panel.estimate_line.value = "estimated"  # skip the pilot: the cap alone is under test
        thread = panel.start(resume=False)
        assert thread is not None
        panel.wait(timeout=60)
        assert "max_cost needs a cost per call" in panel.status.value  # refused by the ledger, nothing created
        assert calm_sandbox.service.store.count() == 0
    finally:
        client.close()


def test_one_refresh_reads_the_frame_once_and_analyses_once(
    tmp_path: Path, opened: Opened, calm_client: ConvoiClient, count_reads: Callable[[], dict[str, int]]
) -> None:
    panel = opened.widget(ExperimentPanel, calm_client, store=tmp_path / "panel.sqlite3")
    panel.name.value = "panel-count"
    panel.variants.add("gpt-4o")
    panel.variants.entries[1].form.rows["llm.model"].control.value = "gpt-4o"
    panel.replicates.value = 3
    panel.run_button.click()
    panel.wait(timeout=60)
    counts = count_reads()
    panel.results._analysis = None  # as after a change of the data
    analysis = panel.refresh(final=True)  # the table, the spend, the summary, comparison, verdict and plot
    assert counts == {"frame": 1, "analysis": 1}
    summary_html, comparison_html, verdict = (
        o["data"].get("text/html") or o["data"]["text/plain"] for o in panel.summary.outputs
    )
    assert verdict == str(analysis.verdict)  # the words and the tables from one computation
    cost = analysis.comparisons["gpt-4o"]["cost"]
    assert f"{cost.delta_pct_ci.low:+.0f}%" in comparison_html.replace("−", "-")
    panel.refresh(final=True)  # nothing changed: the same analysis, no new read
    assert counts == {"frame": 1, "analysis": 1}


def test_closing_the_panel_closes_every_widget_it_is_made_of(tmp_path: Path, calm_sandbox: Sandbox) -> None:
    from convoi_nb.widgets._closing import owned_widgets

    with ConvoiClient(api_key=calm_sandbox.api_key, base_url=calm_sandbox.url) as client:
        panel = ExperimentPanel(client, store=tmp_path / "panel.sqlite3")
        parts = list(owned_widgets(panel))
        assert len(parts) > 10 and all(part.comm is not None for part in parts)
        panel.close()
        assert [part for part in parts if part.comm is not None] == []


def test_the_panels_confirm_rule_counts_what_the_runner_counts(
    tmp_path: Path, opened: Opened, calm_sandbox: Sandbox
) -> None:
    """A listening session's call is no design cell: the panel once subtracted it, and let through a run that the
    runner then refused."""
    from convoi_nb.sessions import ListeningSession

    client = ConvoiClient(api_key=calm_sandbox.api_key, base_url=calm_sandbox.url, confirm_runs_over=5)
    try:
        panel = opened.widget(ExperimentPanel, client, store=tmp_path / "panel.sqlite3")
        panel.replicates.value = 6  # one variant × 6: over 5
        experiment = panel.experiment()
        ListeningSession(experiment, "ana", 1, criteria=["helpful"]).start(client)
        assert experiment.cells_to_create() == 6
        assert panel.start(resume=True) is None  # refused here, before a thread starts
        assert "would create 6 calls (more than 5): set a Budget" in panel.status.value
        assert calm_sandbox.service.store.count() == 1  # the listening call only
    finally:
        client.close()
