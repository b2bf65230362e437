"""Capped runs against the sandbox over real HTTP: the cap holds, a resumed run continues, large runs need a cap
or a confirmation."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import ConvoiClient
from convoi_nb.budget import SpendLedger
from convoi_nb.experiments import Experiment, ExperimentError
from convoi_nb.money import Money, to_decimal
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings

from .test_experiment import AGENT, VARIANTS, client_for, creates_sent

TENTH = Decimal("0.1")


def spend_of(frame: Any, ids: Any = None) -> Decimal:
    rows = frame if ids is None else frame[frame["id"].isin(list(ids))]
    return sum((to_decimal(a) for a in rows["cost_amount"].dropna()), Decimal(0))


def test_a_sweep_capped_at_40_percent_stops_within_the_bound_and_resumes_without_duplicates(tmp_path: Path) -> None:
    clock = ManualClock()
    store = tmp_path / "r.sqlite3"
    with Sandbox(SandboxSettings(clock=clock, seed=11)) as sandbox:
        client = client_for(sandbox)
        Experiment("capped", AGENT, VARIANTS, 2, store=store).run(client, progress=False)  # the pilot
        clock.advance(3600)
        experiment = Experiment("capped", AGENT, VARIANTS, 10, store=store)
        estimate = experiment.estimate(client)
        assert estimate.known and estimate.to_create == 24
        cap = ((estimate.spent.amount + to_decimal(estimate.cost.estimate)) * Decimal("0.4")).quantize(Decimal("0.01"))
        assert cap > estimate.spent.amount  # room for some calls, not for all
        sandbox.traffic.reset()
        results = experiment.run(client, max_cost=cap, progress=False)
        budget = results.budget
        assert budget is not None and budget.stopped and budget.cap == Money(cap, "USD")
        created = len(creates_sent(sandbox))
        assert 0 < created < 24 and budget.cells_remaining == 24 - created
        assert set(budget.in_flight_at_stop) == set(results.frame().query("replicate >= 2")["id"])
        clock.advance(3600)
        frame = results.wait(timeout=30, progress=False).frame()
        spend = spend_of(frame)
        assert results.spend() == Money(spend, "USD")
        # The bound: the cap, plus what the calls that were running when it stopped went on to cost.
        assert spend <= cap + spend_of(frame, budget.in_flight_at_stop)
        assert budget.committed_at_stop.amount <= cap
        # A higher cap resumes: only the missing cells are created, and the server holds each cell once.
        again = experiment.run(client, max_cost=cap * 10, progress=False)
        assert again.budget is not None and not again.budget.stopped and again.budget.cells_remaining == 0
        keys = creates_sent(sandbox)
        assert len(keys) == 24 and len(set(keys)) == 24
        done = experiment.run(client, max_cost=cap * 10, progress=False)  # nothing left: still says so
        assert done.budget is not None and "not reached" in str(done.budget) and len(creates_sent(sandbox)) == 24
        assert len(client.calls_frame(metadata={"experiment": "capped"})) == 30


def test_a_capped_run_reads_calls_that_ended_since_the_last_run(tmp_path: Path) -> None:
    clock = ManualClock()
    store = tmp_path / "r.sqlite3"
    with Sandbox(SandboxSettings(clock=clock, seed=12, expire_rate=0, fail_rate=0)) as sandbox:
        client = client_for(sandbox)
        Experiment("stale", AGENT, VARIANTS[:1], 3, store=store).run(client, progress=False)
        clock.advance(3600)  # they end, but the store still says "initiated"
        Experiment("stale", AGENT, VARIANTS[:1], 3, store=store).results(client).wait(timeout=30, progress=False)
        Experiment("stale", AGENT, VARIANTS[:1], 5, store=store).run(client, progress=False)  # 2 more, left running
        clock.advance(3600)
        results = Experiment("stale", AGENT, VARIANTS[:1], 6, store=store).run(client, max_cost=0, progress=False)
        assert results.budget is not None and results.budget.stopped
        # All five calls had ended: their billed cost is committed, none is projected as running.
        on_server = client.calls_frame(metadata={"experiment": "stale"})
        assert results.budget.committed_at_stop == Money(spend_of(on_server), "USD")
        assert results.budget.in_flight_at_stop == () and len(on_server) == 5


def test_runs_over_the_threshold_print_their_cost_and_need_a_cap_or_confirmation(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    clock = ManualClock()
    store = tmp_path / "r.sqlite3"
    with Sandbox(SandboxSettings(clock=clock, seed=13)) as sandbox:
        client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, confirm_runs_over=5)
        with pytest.raises(ExperimentError, match=r"would create 12 calls .*confirm_runs_over=5.*max_cost"):
            Experiment("big", AGENT, VARIANTS, 4, store=store).run(client, progress=False)
        assert "12 calls to create; cost unknown" in capsys.readouterr().out
        assert creates_sent(sandbox) == []
        Experiment("big", AGENT, VARIANTS, 1, store=store).run(client, progress=False)  # 3 calls: under it
        clock.advance(3600)
        Experiment("big", AGENT, VARIANTS, 1, store=store).results(client).wait(timeout=30, progress=False)
        with pytest.raises(ExperimentError):
            Experiment("big", AGENT, VARIANTS, 4, store=store).run(client, progress=False)
        printed = capsys.readouterr().out
        assert printed.count("convoi_nb: experiment 'big'") == 1 and "cost unknown" in printed  # one call per variant
        Experiment("big", AGENT, VARIANTS, 2, store=store).run(client, progress=False)  # 3 more: under it
        clock.advance(3600)
        Experiment("big", AGENT, VARIANTS, 2, store=store).results(client).wait(timeout=30, progress=False)
        results = Experiment("big", AGENT, VARIANTS, 4, store=store).run(client, progress=False, confirm=True)
        printed = capsys.readouterr().out
        assert "this run: ~$" in printed and "90% between" in printed and "6 calls to create" in printed
        assert len(results.frame()) == 12 and len(creates_sent(sandbox)) == 12
        assert client.to_async().confirm_runs_over == 5  # the twin keeps it


@pytest.mark.parametrize("value", [-1, 2.5, "20", True])
def test_a_bad_threshold_is_refused(value: Any) -> None:
    from convoi_nb import ConfigurationError

    with pytest.raises(ConfigurationError, match="confirm_runs_over"):
        ConvoiClient(api_key="sk_test_abc", base_url="http://127.0.0.1:9", confirm_runs_over=value)


def test_calls_ending_during_a_capped_sweep_commit_their_billed_cost(tmp_path: Path) -> None:
    import asyncio

    from convoi_nb.experiments.runner import observe_while
    from convoi_nb.experiments.store import ResultsStore

    clock = ManualClock()
    with Sandbox(SandboxSettings(clock=clock, seed=14)) as sandbox:
        client = client_for(sandbox)
        results = Experiment("live", AGENT, VARIANTS[:1], 3, store=tmp_path / "r.sqlite3").run(client, progress=False)
        rows = [r.call for r in ResultsStore(tmp_path / "r.sqlite3").results("live")]
        ledger = SpendLedger(Money(Decimal(10), "USD"), Decimal(0), {"baseline": TENTH})
        for row in rows:
            ledger.track(row, "baseline")
        clock.advance(3600)  # they end while the (stand-in) creates are still running

        async def observe() -> None:
            async with client.to_async() as api:
                await observe_while(
                    asyncio.ensure_future(asyncio.sleep(0.3)),
                    api,
                    ResultsStore(tmp_path / "r.sqlite3"),
                    "live",
                    ledger,
                    interval=0.05,
                )

        asyncio.run(observe())
        billed = spend_of(client.calls_frame(metadata={"experiment": "live"}))
    assert ledger.committed == billed and ledger.in_flight_ids() == []
    assert results.spend() == Money(billed, "USD")  # the store was updated too
