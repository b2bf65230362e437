"""Experiments against the sandbox over real HTTP: results, idempotent re-runs, resume, failures."""

from __future__ import annotations

import asyncio
import math
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from convoi_nb import ConvoiClient, RetryPolicy, ValidationError
from convoi_nb.errors import WaitTimeoutError
from convoi_nb.experiments import Experiment, ExperimentError, ResultsStore, Variant
from convoi_nb.sandbox import FaultConfig, ManualClock, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

AGENT = DEFAULT_ACCOUNT.agents[0].id  # gpt-4o-mini by default
CALLS = "/api/v1/public/calls"
VARIANTS = [
    Variant("baseline"),
    Variant("gpt-4o", {"llm": {"model": "gpt-4o"}}),
    Variant("fast speech", {"tts": {"speed": 1.3}}, metadata={"arm": "c"}),
]


@pytest.fixture()
def reliable() -> Iterator[Sandbox]:
    """No simulated failures, so every call ends."""
    with Sandbox(SandboxSettings(expire_rate=0, fail_rate=0, seed=5)) as server:
        yield server


def client_for(sandbox: Sandbox, **options: Any) -> ConvoiClient:
    return ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, **options)


def server_calls(sandbox: Sandbox, client: ConvoiClient, experiment: str) -> pd.DataFrame:
    return client.calls_frame(metadata={"experiment": experiment})


def creates_sent(sandbox: Sandbox) -> list[str]:
    """The idempotency keys of every create that reached the server since its traffic log was reset."""
    return [r.idempotency_key or "" for r in sandbox.traffic.records if r.method == "POST" and r.path == CALLS]


def test_three_variants_by_five_replicates(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    # One create at a time: each call's arrival number, and so its simulated story, is the same on every run
    # (concurrent creates arrive in any order, and five calls a variant then separate the variants only usually).
    experiment = Experiment("e1", AGENT, VARIANTS, replicates=5, store=tmp_path / "r.sqlite3")
    results = experiment.run(client, progress=False, concurrency=1)
    results.wait(timeout=30, progress=False)
    frame = results.frame()
    assert len(frame) == 15 and (frame["status"] == "ended").all()
    summary = results.summary()
    assert summary["ended"].tolist() == [5, 5, 5] and summary["failure_rate"].tolist() == [0, 0, 0]
    assert summary.loc["baseline", "cost_mean"] < summary.loc["gpt-4o", "cost_mean"]
    assert summary.loc["baseline", "cost_per_minute"] < summary.loc["gpt-4o", "cost_per_minute"]
    for stat in ("cost", "duration"):
        assert (summary[f"{stat}_ci_low"] <= summary[f"{stat}_mean"]).all()
        assert (summary[f"{stat}_mean"] <= summary[f"{stat}_ci_high"]).all()
    comparison = results.compare(baseline="baseline")
    assert comparison.loc["gpt-4o", "cost_delta"] > 0 and comparison.loc["gpt-4o", "cost_significant"]
    # The frame joins each call with its variant, replicate, key, overrides and create bookkeeping.
    row = frame[(frame["variant"] == "gpt-4o") & (frame["replicate"] == 2)].iloc[0]
    assert row["override.llm.model"] == "gpt-4o" and row["metadata.variant"] == "gpt-4o"
    assert row["metadata.experiment"] == "e1" and row["metadata.replicate"] == 2
    assert row["idempotency_key"] and row["request_id"].startswith("req_") and row["attempts"] == 1
    assert row["create_latency_seconds"] > 0
    assert frame.loc[frame["variant"] == "fast speech", "metadata.arm"].eq("c").all()
    assert frame["livekit_token"].str.endswith("(masked)").all()
    assert len(server_calls(reliable, client, "e1")) == 15


def test_rerun_returns_the_same_calls(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    experiment = Experiment("e2", AGENT, VARIANTS, replicates=2, store=tmp_path / "a.sqlite3")
    first = set(experiment.run(client, progress=False).frame()["id"])
    reliable.traffic.reset()
    again = set(experiment.run(client, progress=False).frame()["id"])  # nothing left to do
    assert creates_sent(reliable) == []  # finished cells are skipped, not re-sent for the server to replay
    # A lost store: deterministic keys make the server replay the originals instead of duplicating.
    other_store = Experiment("e2", AGENT, VARIANTS, replicates=2, store=tmp_path / "b.sqlite3")
    replayed = set(other_store.run(client, progress=False).frame()["id"])
    assert first == again == replayed and len(first) == 6
    assert len(server_calls(reliable, client, "e2")) == 6


def test_more_replicates_later_only_adds_the_missing_ones(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    store = tmp_path / "r.sqlite3"
    Experiment("e3", AGENT, VARIANTS[:1], replicates=2, store=store).run(client, progress=False)
    reliable.traffic.reset()
    more = Experiment("e3", AGENT, VARIANTS[:1], replicates=4, store=store)
    results = more.run(client, progress=False)
    assert results.frame()["replicate"].tolist() == [0, 1, 2, 3]
    assert sorted(creates_sent(reliable)) == sorted(more.idempotency_key(VARIANTS[0], r) for r in (2, 3))
    assert len(server_calls(reliable, client, "e3")) == 4


def test_changed_variant_under_the_same_name_is_refused(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    store = tmp_path / "r.sqlite3"
    Experiment("e4", AGENT, [Variant("v", {"llm": {"model": "gpt-4o"}})], 1, store=store).run(client, progress=False)
    changed = [Variant("v", {"llm": {"model": "gpt-4.1"}})]
    with pytest.raises(ExperimentError, match="rename|new name"):
        Experiment("e4", AGENT, changed, 1, store=store).run(client, progress=False)
    # Without the local store the server's idempotency check catches it.
    with pytest.raises(ExperimentError, match="rename"):
        Experiment("e4", AGENT, changed, 1, store=tmp_path / "other.sqlite3").run(client, progress=False)
    assert len(server_calls(reliable, client, "e4")) == 1


def test_invalid_definitions_fail_before_sending(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    with pytest.raises(ValidationError, match="unique"):
        Experiment("e5", AGENT, [Variant("a"), Variant("a")], 1)
    with pytest.raises(ValidationError, match="replicates"):
        Experiment("e5", AGENT, [Variant("a")], 0)
    too_much = {f"k{i}": i for i in range(49)}  # plus experiment/variant/replicate tags > 50 keys
    with pytest.raises(ValidationError, match="at most 50 keys"):
        Experiment("e5", AGENT, [Variant("a")], 1, metadata=too_much, store=tmp_path / "r.sqlite3").run(
            client, progress=False
        )
    assert reliable.service.store.count() == 0
    assert creates_sent(reliable) == []


def test_run_works_inside_a_running_event_loop(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    experiment = Experiment("e6", AGENT, VARIANTS[:2], replicates=2, store=tmp_path / "r.sqlite3")

    async def notebook_cell() -> Any:  # Jupyter runs cells inside a live loop, like this
        return experiment.run(client, progress=False).wait(timeout=30, progress=False)

    results = asyncio.run(notebook_cell())
    assert len(results.frame()) == 4


def test_failed_creates_are_counted_then_retried(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    # One request through, then 429s for the next 1000 s: the listing passes, every create is refused uncommitted.
    fresh_sandbox.set_faults(FaultConfig(rate_limit_per_second=0.001, rate_limit_burst=1))
    client = client_for(fresh_sandbox, retry=RetryPolicy(max_retries=0))
    experiment = Experiment("e7", AGENT, VARIANTS[:1], replicates=3, store=tmp_path / "r.sqlite3")
    results = experiment.run(client, progress=False)
    frame = results.frame()
    assert len(frame) == 3 and frame["create_error"].str.contains("429").all() and frame["id"].isna().all()
    summary = results.summary()
    assert summary.loc["baseline", "create_errors"] == 3 and summary.loc["baseline", "failure_rate"] == 1.0
    assert "may miss" in summary.loc["baseline", "note"]  # spend could not be reconciled: said so
    fresh_sandbox.set_faults(FaultConfig())
    frame = experiment.run(client, progress=False).frame()
    assert frame["create_error"].isna().all() and frame["id"].notna().all()
    assert fresh_sandbox.service.store.count() == 3


def test_a_server_that_cannot_be_listed_gets_no_creates(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    """Past the 24 h key window only the listing prevents duplicates: without it, nothing is sent."""
    fresh_sandbox.set_faults(FaultConfig(error_rate=1.0))
    client = client_for(fresh_sandbox, retry=RetryPolicy(max_retries=0))
    with pytest.raises(ExperimentError, match="could not list.*nothing was created"):
        Experiment("e7b", AGENT, VARIANTS[:1], 2, store=tmp_path / "r.sqlite3").run(client, progress=False)
    assert creates_sent(fresh_sandbox) == [] and fresh_sandbox.service.store.count() == 0
    assert ResultsStore(tmp_path / "r.sqlite3").experiment("e7b") is None  # a refused run leaves no trace


def test_failed_and_expired_calls_are_excluded_from_stats_but_counted(tmp_path: Path) -> None:
    with Sandbox(SandboxSettings(expire_rate=0.0, fail_rate=1.0)) as sandbox:
        client = client_for(sandbox)
        results = Experiment("e8", AGENT, VARIANTS[:1], 4, store=tmp_path / "r.sqlite3").run(client, progress=False)
        summary = results.wait(timeout=30, progress=False).summary()
    row = summary.loc["baseline"]
    assert (row["n"], row["failed"], row["ended"], row["failure_rate"]) == (4, 4, 0, 1.0)
    assert pd.isna(row["cost_mean"]) and pd.isna(row["cost_ci_low"])


def test_statistics_use_ended_calls_only_when_outcomes_are_mixed(tmp_path: Path) -> None:
    clock = ManualClock()
    with Sandbox(SandboxSettings(clock=clock, expire_rate=0.3, fail_rate=0.3, seed=4)) as sandbox:
        results = Experiment("mix", AGENT, VARIANTS[:1], 16, store=tmp_path / "r.sqlite3").run(
            client_for(sandbox), progress=False
        )
        clock.advance(3600)  # every call has reached its final state
        summary = results.wait(timeout=30, progress=False).summary()
        frame = results.frame()
    counts = frame["status"].value_counts()
    assert counts["ended"] >= 2 and counts["failed"] >= 2 and counts["expired"] >= 2  # a real mix
    ended = frame[frame["status"] == "ended"]
    row = summary.loc["baseline"]
    assert (row["ended"], row["failed"], row["expired"]) == (counts["ended"], counts["failed"], counts["expired"])
    assert row["cost_mean"] == pytest.approx(ended["cost_amount"].mean())
    assert row["duration_mean"] == pytest.approx(ended["duration_seconds"].mean())
    assert row["cost_median"] == pytest.approx(ended["cost_amount"].median())
    # Expired calls cost 0 and failed ones less: including either would move the means.
    assert row["cost_mean"] != pytest.approx(frame["cost_amount"].mean())
    assert row["failure_rate"] == pytest.approx((counts["failed"] + counts["expired"]) / 16)


def test_concurrency_bounds_the_creates_in_flight(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    fresh_sandbox.set_faults(FaultConfig(latency=0.3))  # each create stays in flight long enough to overlap
    experiment = Experiment("e12", AGENT, VARIANTS, replicates=4, store=tmp_path / "r.sqlite3")
    experiment.run(client_for(fresh_sandbox), concurrency=3, progress=False)
    assert len(creates_sent(fresh_sandbox)) == 12
    assert 2 <= fresh_sandbox.traffic.peak_in_flight <= 3


def test_a_sweep_honours_429_retry_after(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    # 5 creates a second with a burst of 5: of 10 sent at once, 5 are refused with Retry-After: 1.
    fresh_sandbox.set_faults(FaultConfig(rate_limit_per_second=5.0, rate_limit_burst=5))
    experiment = Experiment("e13", AGENT, VARIANTS[:2], replicates=5, store=tmp_path / "r.sqlite3")
    frame = experiment.run(client_for(fresh_sandbox), concurrency=10, progress=False).frame()
    assert frame["id"].notna().all() and frame["create_error"].isna().all()
    assert len(server_calls(fresh_sandbox, client_for(fresh_sandbox), "e13")) == 10
    records = [r for r in fresh_sandbox.traffic.records if r.method == "POST"]
    refused = [r for r in records if r.status == 429]
    assert refused, "the rate limit was never hit, so this test proves nothing"
    for record in refused:  # the retry of a refused create came no sooner than Retry-After said
        retry = min(
            (r for r in records if r.idempotency_key == record.idempotency_key and r.started > record.started),
            key=lambda r: r.started,
        )
        assert retry.started - record.finished >= 1.0 - 0.05  # clock granularity
    assert frame["attempts"].max() >= 2


def test_wait_times_out_clearly(tmp_path: Path) -> None:
    with Sandbox(SandboxSettings(time_scale=0.001)) as sandbox:  # calls that never get going
        client = client_for(sandbox)
        results = Experiment("e9", AGENT, VARIANTS[:1], 2, store=tmp_path / "r.sqlite3").run(client, progress=False)
        with pytest.raises(WaitTimeoutError, match="2 of 2 calls"):
            results.wait(timeout=0.5, progress=False)
        assert results.summary().loc["baseline", "pending"] == 2


def test_exports_and_plot(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    # "tier" holds a number in one variant's calls and a string in another's: the export must still work
    variants = [
        Variant("a", metadata={"tier": 1}),
        Variant("b", {"llm": {"model": "gpt-4o"}}, metadata={"tier": "gold"}),
        Variant("c", {"tts": {"speed": 1.3}}),
    ]
    results = Experiment("e10", AGENT, variants, 2, store=tmp_path / "r.sqlite3").run(client, progress=False)
    results.wait(timeout=30, progress=False)
    csv = pd.read_csv(results.to_csv(tmp_path / "r.csv"))
    parquet = pd.read_parquet(results.to_parquet(tmp_path / "r.parquet"))
    assert len(csv) == len(parquet) == 6
    assert parquet["metadata.tier"].tolist()[:4] == ["1", "1", "gold", "gold"]
    assert str(parquet["created_at"].dtype) == "datetime64[ns, UTC]"
    figure = results.plot()
    assert len(figure.axes) == 4  # forest plots of cost and call length, then each ended call's cost and length
    assert sum(len(c.get_offsets()) for c in figure.axes[2].collections) == 6


KILL_SCRIPT = """
import os, signal, sys
from convoi_nb import ConvoiClient
from convoi_nb.experiments import Experiment, Variant
client = ConvoiClient(api_key=sys.argv[1], base_url=sys.argv[2])
variants = [Variant("a"), Variant("b", {"llm": {"model": "gpt-4o"}}), Variant("c", {"tts": {"speed": 1.2}})]

def die_after_six(done, total):  # SIGKILL right after the sixth outcome is committed: no clean-up runs
    if done == 6:
        os.kill(os.getpid(), signal.SIGKILL)

Experiment("killed", sys.argv[3], variants, replicates=8, store=sys.argv[4]).run(
    client, concurrency=2, progress=False, on_progress=die_after_six)
"""


def test_killed_run_resumes_without_duplicates(fresh_sandbox: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    process = subprocess.run(
        [sys.executable, "-c", KILL_SCRIPT, fresh_sandbox.api_key, fresh_sandbox.url, AGENT, str(store)], timeout=60
    )
    assert process.returncode == -signal.SIGKILL
    done = ResultsStore(store).done("killed")
    assert len(done) == 6  # interrupted after exactly six recorded calls
    client = client_for(fresh_sandbox)
    variants = [Variant("a"), Variant("b", {"llm": {"model": "gpt-4o"}}), Variant("c", {"tts": {"speed": 1.2}})]
    experiment = Experiment("killed", AGENT, variants, replicates=8, store=store)
    fresh_sandbox.traffic.reset()
    frame = experiment.run(client, progress=False).frame()
    assert len(frame) == 24 and frame["id"].notna().all() and frame["id"].is_unique
    # The resume sends only cells with no recorded call; one the server committed just before the kill is
    # adopted from the server's listing instead of being sent again.
    missing = {experiment.idempotency_key(v, r) for v in variants for r in range(8) if (v.name, r) not in done}
    sent = creates_sent(fresh_sandbox)
    assert len(sent) == len(set(sent)) and set(sent) <= missing
    assert len(sent) >= len(missing) - 2  # at most the two creates in flight (concurrency 2) were adopted
    on_server = server_calls(fresh_sandbox, client, "killed")
    assert len(on_server) == 24 and on_server["id"].is_unique
    assert set(on_server["id"]) == set(frame["id"])


def test_a_store_from_another_server_is_explained(reliable: Sandbox, tmp_path: Path) -> None:
    store = tmp_path / "r.sqlite3"
    Experiment("e11", AGENT, VARIANTS[:1], 1, store=store).run(client_for(reliable), progress=False)
    with Sandbox() as other:
        results = Experiment("e11", AGENT, VARIANTS[:1], 1, store=store).run(client_for(other), progress=False)
        with pytest.raises(ExperimentError, match="belongs to another server"):
            results.wait(timeout=10, progress=False)


def test_changed_experiment_metadata_is_refused_before_creating(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    store = tmp_path / "r.sqlite3"
    Experiment("e14", AGENT, VARIANTS[:1], 2, metadata={"owner": "alice", "cohort": 1}, store=store).run(
        client, progress=False
    )
    reliable.traffic.reset()
    bob = Experiment("e14", AGENT, VARIANTS[:1], 3, metadata={"owner": "bob", "cohort": "one"}, store=store)
    with pytest.raises(ExperimentError, match="metadata"):
        bob.run(client, progress=False)
    # Typed: 1, 1.0 and true are different tags.
    for cohort in (True, 1.0):
        with pytest.raises(ExperimentError, match="metadata"):
            Experiment("e14", AGENT, VARIANTS[:1], 2, metadata={"owner": "alice", "cohort": cohort}, store=store).run(
                client, progress=False
            )
    # With the store lost, the server's calls tell the same story, still before anything is created.
    lost = Experiment("e14", AGENT, VARIANTS[:1], 3, metadata={"owner": "bob"}, store=tmp_path / "new.sqlite3")
    with pytest.raises(ExperimentError, match=r"metadata \(cohort, owner\)"):
        lost.run(client, progress=False)
    with pytest.raises(ExperimentError, match=r"metadata \(cohort\)"):
        Experiment(
            "e14", AGENT, VARIANTS[:1], 2, metadata={"owner": "alice", "cohort": 1.0}, store=tmp_path / "new.sqlite3"
        ).run(client, progress=False)
    # The refusals left nothing behind: the right metadata runs from the same new store.
    Experiment(
        "e14", AGENT, VARIANTS[:1], 2, metadata={"owner": "alice", "cohort": 1}, store=tmp_path / "new.sqlite3"
    ).run(client, progress=False)
    assert creates_sent(reliable) == []


def test_a_changed_variant_with_a_lost_store_is_refused_before_creating(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    Experiment("e15", AGENT, [Variant("v", {"llm": {"model": "gpt-4o"}})], 2, store=tmp_path / "a.sqlite3").run(
        client, progress=False
    )
    reliable.traffic.reset()
    changed = Experiment("e15", AGENT, [Variant("v", {"llm": {"model": "gpt-4.1"}})], 4, store=tmp_path / "b.sqlite3")
    with pytest.raises(ExperimentError, match="overrides or metadata of variant 'v'"):
        changed.run(client, progress=False)  # replicates 2 and 3 are new keys: they must not be created either
    assert creates_sent(reliable) == [] and len(server_calls(reliable, client, "e15")) == 2


def test_lost_answers_and_a_rerun_after_the_idempotency_window_never_duplicate(tmp_path: Path) -> None:
    clock = ManualClock()
    with Sandbox(SandboxSettings(clock=clock, expire_rate=0, fail_rate=0)) as sandbox:
        sandbox.set_faults(FaultConfig(error_rate=0.3, seed=3))  # 30 % of answers lost after the commit
        client = client_for(sandbox, retry=RetryPolicy(max_retries=0))
        experiment = Experiment("e16", AGENT, VARIANTS, 4, store=tmp_path / "r.sqlite3")
        first = experiment.run(client, progress=False)
        answered = sum(1 for r in sandbox.traffic.records if r.method == "POST" and r.status == 201)
        assert answered < 12 and sandbox.service.store.count() == 12  # answers were lost, every call committed
        # ...and run() found the unanswered ones on the server before returning: their cost is counted
        assert first.frame()["id"].notna().all() and first.frame()["create_error"].isna().all()
        clock.advance(3600)
        sandbox.set_faults(FaultConfig())
        summary = first.wait(timeout=30, progress=False).summary()
        billed = server_calls(sandbox, client, "e16")
        assert sum(summary["spend_total"]) == sum(
            Decimal(repr(a)) for a in billed["cost_amount"]
        )  # to the cent, exactly
        sandbox.traffic.reset()
        second = experiment.run(client, progress=False).frame()
        assert creates_sent(sandbox) == []
        assert second["id"].notna().all() and set(second["id"]) == set(billed["id"])
        clock.advance(25 * 3600)  # the idempotency keys have expired
        again = Experiment("e16", AGENT, VARIANTS, 4, store=tmp_path / "fresh.sqlite3").run(client, progress=False)
        assert creates_sent(sandbox) == [] and sandbox.service.store.count() == 12
        assert set(again.frame()["id"]) == set(second["id"])


def test_plan_runs_a_pilot_that_the_main_run_keeps(tmp_path: Path) -> None:
    clock = ManualClock()
    with Sandbox(SandboxSettings(clock=clock, expire_rate=0, fail_rate=0)) as sandbox:
        client = client_for(sandbox)
        experiment = Experiment("e17", AGENT, VARIANTS[:2], 6, store=tmp_path / "r.sqlite3")
        clock_ticker = threading.Timer(0.5, lambda: clock.advance(3600))  # the pilot's calls end while it waits
        clock_ticker.start()
        plan = experiment.plan(client, pilot=3, detect=0.10, power=0.8)
        clock_ticker.join()
        assert list(plan.index) == ["baseline", "gpt-4o"] and (plan["pilot_calls"] == 3).all()
        assert (plan["replicates"] >= 2).all() and plan["replicates"].map(math.isfinite).all()
        assert all(isinstance(s, Decimal) for s in plan["estimated_cost"])
        assert plan.attrs["total_estimated_cost"] == sum(plan["estimated_cost"])
        # a larger difference to detect needs fewer calls
        assert (experiment.results(client).plan(detect=0.5)["replicates"] <= plan["replicates"]).all()
        sandbox.traffic.reset()
        frame = experiment.run(client, progress=False).frame()
        assert len(creates_sent(sandbox)) == 2 * 3  # only replicates 3-5: the pilot's calls are kept
        # The pilot's calls say so in the kind column (no sentinel numbers), and stay cells of the design.
        assert frame.groupby("kind", observed=True)["replicate"].apply(sorted).to_dict() == {
            "replicate": [3, 3, 4, 4, 5, 5],
            "pilot": [0, 0, 1, 1, 2, 2],
        }


def test_results_before_any_run_and_bad_levels_are_explained(reliable: Sandbox, tmp_path: Path) -> None:
    client = client_for(reliable)
    experiment = Experiment("e18", AGENT, VARIANTS[:2], 2, store=tmp_path / "r.sqlite3")
    empty = experiment.results(client)
    for method in (empty.summary, empty.compare, empty.verdict, empty.plan, empty.plot):
        with pytest.raises(ExperimentError, match="nothing recorded.*run\\(\\) it first"):
            method()
    results = experiment.run(client, progress=False)
    for call, message in (
        (lambda: results.summary(level=95), "level"),
        (lambda: results.verdict(level=0), "level"),
        (lambda: results.verdict(level=1.0), "level"),
        (lambda: results.plan(power=1.5), "power"),
        (lambda: results.plan(power=0), "power"),
        (lambda: results.compare(level=float("nan")), "level"),
    ):
        with pytest.raises(ValidationError, match=f"{message}: must be a number strictly between 0 and 1"):
            call()
    with pytest.raises(ValidationError, match="timeout"):
        results.wait(timeout=float("nan"), progress=False)
    with pytest.raises(ValidationError, match="concurrency"):
        results.wait(concurrency=0, progress=False)


def test_verdict_names_a_runaway_winner(tmp_path: Path) -> None:
    """Far-apart variants (a statsmodels power solve that gives up) still get a verdict, not a crash."""
    clock = ManualClock()
    with Sandbox(SandboxSettings(clock=clock, expire_rate=0, fail_rate=0, seed=1)) as sandbox:
        client = client_for(sandbox)
        far = [
            Variant("cheap", {"llm": {"model": "gpt-4o-mini"}, "tts": {"voice_id": "alloy", "speed": 2.0}}),
            Variant("dear", {"llm": {"model": "gpt-4o"}, "tts": {"voice_id": "rachel", "speed": 0.5}}),
        ]
        results = Experiment("e19", AGENT, far, 5, store=tmp_path / "r.sqlite3").run(client, progress=False)
        clock.advance(3600)
        verdict = results.wait(timeout=30, progress=False, poll_interval=0.001).verdict()
    assert verdict.finding("cost").winner == "cheap"
    assert results.plan(detect=0.5)["replicates"].min() >= 2
