"""Spend caps: the ledger's rule on its own, then capped runs against the sandbox over real HTTP."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import ConvoiClient, MixedCurrencyError
from convoi_nb.errors import ValidationError
from convoi_nb.experiments import Experiment, ExperimentError
from convoi_nb.experiments.budget import SpendLedger, cap_in, check_cap
from convoi_nb.money import Money, to_decimal
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings

from .test_experiment import AGENT, VARIANTS, client_for, creates_sent

TENTH = Decimal("0.1")


def USD(amount: Any) -> Money:
    return Money(Decimal(amount), "USD")


def call(call_id: str, status: str, amount: str) -> dict[str, Any]:
    return {"id": call_id, "status": status, "cost": {"amount": amount, "currency": "USD"}}


def test_the_ledger_admits_calls_until_the_projection_would_pass_the_cap() -> None:
    ledger = SpendLedger(USD("1.00"), Decimal("0.50"), {"a": TENTH, "b": None})
    assert ledger.admit("a", ("a", 0)) and ledger.admit("b", ("b", 0))  # b projected at the pooled 0.10
    assert ledger.projected == Decimal("0.70")
    ledger.created(("a", 0), call("call_a0", "initiated", "0"))
    assert ledger.admit("a", ("a", 1)) and ledger.admit("a", ("a", 2)) and ledger.projected == Decimal("0.90")
    assert ledger.admit("a", ("a", 3))  # exactly at the cap is allowed
    assert not ledger.admit("a", ("a", 4)) and ledger.stopped
    ledger.observe(call("call_a0", "ended", "0.3"))  # a call ending frees nothing once stopped: the stop is final
    assert not ledger.admit("a", ("a", 5))
    ledger.created(("b", 0), call("call_b0", "in_progress", "0.25"))  # was being created when it stopped
    ledger.release(("a", 1))  # a create that failed: no call
    report = ledger.report(cells_remaining=7)
    assert report.stopped and report.cells_remaining == 7
    assert report.committed_at_stop == Money(Decimal("0.50"), "USD")
    assert set(report.in_flight_at_stop) == {"call_a0", "call_b0"}
    assert "stopped by budget $1.00" in str(report) and "7 cells not created" in str(report)


def test_finished_calls_commit_their_billed_cost_and_running_ones_project_at_least_their_cost() -> None:
    ledger = SpendLedger(USD(5), Decimal(0), {"a": TENTH})
    assert ledger.admit("a", "cell")
    ledger.created("cell", call("call_1", "in_progress", "0.40"))
    assert ledger.projected == Decimal("0.40")  # it already cost more than the mean
    ledger.observe(call("call_1", "ended", "0.45"))
    assert ledger.committed == Decimal("0.45") and ledger.projected == Decimal("0.45")
    ledger.observe(call("call_1", "ended", "0.45"))  # read twice, counted once
    assert ledger.committed == Decimal("0.45") and ledger.in_flight_ids() == []
    assert ledger.admit("a", "euro")
    with pytest.raises(MixedCurrencyError, match="EUR.*USD"):
        ledger.created("euro", {"id": "call_2", "status": "initiated", "cost": {"amount": "0", "currency": "EUR"}})


@pytest.mark.parametrize(
    ("cap", "rule"),
    [
        (-1, "0 or more"),
        ("lots", "an amount"),
        (float("nan"), "finite"),
        (True, "an amount"),
        ([5], "an amount"),
    ],
)
def test_a_bad_cap_is_named(cap: Any, rule: str) -> None:
    with pytest.raises(ValidationError, match=f"max_cost: .*{rule}"):
        check_cap(cap)


def test_a_cap_in_another_currency_or_without_a_basis_is_refused() -> None:
    with pytest.raises(MixedCurrencyError, match="EUR.*USD"):
        cap_in(Money(Decimal(5), "EUR"), "USD")
    with pytest.raises(ExperimentError, match=r"estimate\(client\) first"):
        SpendLedger(USD(5), Decimal(0), {"a": None})


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
        ledger = SpendLedger(USD(10), Decimal(0), {"baseline": TENTH})
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
