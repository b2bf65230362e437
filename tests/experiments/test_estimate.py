"""Experiment.estimate(): what the rest of a run will cost, predicted from finished calls (real HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest

from convoi_nb.errors import ValidationError
from convoi_nb.experiments import Experiment, ExperimentError
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings

from .test_experiment import AGENT, VARIANTS, client_for, creates_sent, reliable  # noqa: F401 (a fixture)


def test_estimate_runs_a_pilot_once_then_predicts_from_the_store(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    experiment = Experiment("est", AGENT, VARIANTS, 6, store=tmp_path / "r.sqlite3")
    estimate = experiment.estimate(client, pilot=2)
    assert len(creates_sent(reliable)) == 6  # 2 per variant, waited for
    table = estimate.table
    assert table["finished"].tolist() == [2, 2, 2] and table["to_create"].tolist() == [4, 4, 4]
    assert estimate.to_create == 12 and estimate.in_flight == 0 and estimate.known
    for column in ("cost", "call_seconds"):
        assert (table[f"{column}_low"] <= table[f"{column}_estimate"]).all()
        assert (table[f"{column}_estimate"] <= table[f"{column}_high"]).all()
    # Each variant's point estimate is its mean per finished call times the calls left.
    frame = experiment.results(client).frame()
    mean = frame.loc[frame["variant"] == "gpt-4o", "cost_amount"].mean()
    assert float(table.loc["gpt-4o", "cost_estimate"]) == pytest.approx(4 * mean, abs=1e-4)
    assert estimate.cost.estimate == pytest.approx(float(table["cost_estimate"].sum()), abs=1e-3)
    assert estimate.cost.low <= estimate.cost.estimate <= estimate.cost.high
    assert estimate.spent.amount == sum(table["spent"]) and estimate.currency == "USD"
    text = str(estimate)
    assert text.startswith("this run: ~$") and "90% between $" in text and "12 calls to create" in text
    assert "<table" in estimate._repr_html_()
    again = experiment.estimate(client, level=0.5)  # enough finished calls: nothing is created
    assert (
        len(creates_sent(reliable)) == 6 and again.cost.high - again.cost.low < estimate.cost.high - estimate.cost.low
    )


def test_calls_in_flight_are_predicted_with_the_cells_to_create(tmp_path: Path) -> None:
    clock = ManualClock()
    store = tmp_path / "r.sqlite3"
    with Sandbox(SandboxSettings(clock=clock, seed=2)) as sandbox:
        client = client_for(sandbox)
        Experiment("fly", AGENT, VARIANTS[:1], 3, store=store).run(client, progress=False)
        clock.advance(3600)
        experiment = Experiment("fly", AGENT, VARIANTS[:1], 8, store=store)
        experiment.results(client).wait(timeout=30, progress=False)
        Experiment("fly", AGENT, VARIANTS[:1], 5, store=store).run(client, progress=False)  # 2 left running
        estimate = experiment.estimate(client)
    row = estimate.table.loc["baseline"]
    assert (row["finished"], row["in_flight"], row["to_create"]) == (3, 2, 3)
    assert "3 calls to create, 2 in flight" in str(estimate)


def test_nothing_left_and_a_bad_pilot(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    experiment = Experiment("all", AGENT, VARIANTS[:1], 2, store=tmp_path / "r.sqlite3")
    with pytest.raises(ValidationError, match="pilot: must be an integer of at least 2"):
        experiment.estimate(client, pilot=1)
    experiment.run(client, progress=False).wait(timeout=30, progress=False)
    estimate = experiment.estimate(client)
    assert estimate.cost.estimate == 0 and estimate.to_create == 0
    assert str(estimate).startswith("this run: nothing left to run")
    with pytest.raises(ValidationError, match="level"):
        experiment.estimate(client, level=90)


def test_a_pilot_is_not_stopped_by_the_large_run_guard(reliable: Sandbox, tmp_path: Path) -> None:
    from convoi_nb import ConvoiClient

    client = ConvoiClient(api_key=reliable.api_key, base_url=reliable.url, confirm_runs_over=5)
    experiment = Experiment("guarded", AGENT, VARIANTS, 10, store=tmp_path / "r.sqlite3")
    estimate = experiment.estimate(client, pilot=2)  # 6 pilot calls: asked for, so not refused
    assert estimate.known and estimate.to_create == 24 and len(creates_sent(reliable)) == 6
    with pytest.raises(ExperimentError, match="would create 24 calls"):  # the run itself still needs a cap
        experiment.run(client, progress=False)
