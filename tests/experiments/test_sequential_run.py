"""Sequential runs (`run(until="decided")`) against the sandbox over real HTTP: waves, stops, budget, resume.

The sandbox runs its calls 100,000× faster than real time (a call ends within milliseconds), and the runs create
one call at a time (`concurrency=1`): each call's arrival number, and so its simulated story, is the same on every
run, so every decision asserted here is the same on every run.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from convoi_nb import AsyncConvoiClient, ConvoiClient, ValidationError
from convoi_nb.errors import WaitTimeoutError
from convoi_nb.experiments import Experiment, ExperimentError, ResultsStore, Variant
from convoi_nb.money import Money
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings

from .test_experiment import AGENT, client_for, creates_sent

FAST = 100_000.0  # simulated seconds per real second
CLEAR = [  # the cheapest ("fast speech") is clear of the others within a few dozen calls
    Variant("baseline"),
    Variant("gpt-4o", {"llm": {"model": "gpt-4o"}}),
    Variant("fast speech", {"tts": {"speed": 1.5}}),
]
SAME = [Variant("baseline"), Variant("copy", {"llm": {"model": "gpt-4o-mini"}})]  # the agent's own model: identical


def fast_sandbox(seed: int = 7) -> Sandbox:
    return Sandbox(SandboxSettings(time_scale=FAST, seed=seed, expire_rate=0, fail_rate=0))


@pytest.fixture()
def sandbox() -> Iterator[Sandbox]:
    with fast_sandbox() as server:
        yield server


def decided(experiment: Experiment, client: Any, **options: Any) -> Any:
    options = {"until": "decided", "progress": False, "concurrency": 1, **options}
    return experiment.run(client, **options)


def per_variant(results: Any) -> dict[str, int]:
    frame = results.frame()
    return {str(v): int((frame["variant"] == v).sum()) for v in frame["variant"].cat.categories}


def test_a_run_until_decided_names_the_winner_and_drops_the_others_at_their_look(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    client = client_for(sandbox)
    seen: list[tuple[int, int]] = []
    experiment = Experiment("clear", AGENT, CLEAR, store=tmp_path / "r.sqlite3")
    results = decided(experiment, client, max_replicates=60, on_progress=lambda d, t: seen.append((d, t)))
    decision = results.decision
    assert decision is not None and decision.status == "winner" and decision.winner == "fast speech"
    assert decision.leader == "fast speech" and set(decision.eliminated) == {"baseline", "gpt-4o"}
    # Waves: an eliminated variant got no call after the look that dropped it; the winner one per look.
    counts = per_variant(results)
    assert counts == {**{name: look for name, look in decision.eliminated.items()}, "fast speech": decision.looks}
    assert decision.looks < 60 and decision.calls == sum(counts.values()) == len(creates_sent(sandbox))
    assert (results.frame()["status"] == "ended").all()  # every wave waited for
    assert decision.spend == results.spend() and decision.spend.amount > 0
    assert seen[-1] == (decision.calls, 60 * 3) and len(seen) == decision.calls
    intervals = decision.intervals
    assert {"low", "high"} <= set(intervals.columns) and len(intervals) == 3 + 3  # variants and pairs
    assert (intervals["low"].dropna() <= intervals["high"].dropna()).all()
    assert len(decision.history) == decision.looks and "winner" in str(decision).lower()
    # The same decision, read again from the store alone (once per change of the store).
    again = experiment.results(None)
    assert again.decision is again.decision and again.decision.eliminated == decision.eliminated
    # A fixed design has no decision.
    fixed = Experiment("fixed", AGENT, CLEAR, 1, store=tmp_path / "r.sqlite3").run(client, progress=False)
    assert fixed.decision is None


def test_max_replicates_stops_with_the_leader(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    experiment = Experiment("same", AGENT, SAME, store=":memory:")
    decision = decided(experiment, client, max_replicates=6, min_replicates=3).decision
    assert decision.status == "max_replicates" and decision.winner is None and decision.leader in ("baseline", "copy")
    assert decision.looks == 6 and decision.calls == 12 and decision.eliminated == {}
    assert len(creates_sent(sandbox)) == 12


def test_identical_variants_within_a_tolerance_are_equivalent(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    experiment = Experiment("equivalent", AGENT, SAME, store=":memory:")
    decision = decided(experiment, client, max_replicates=60, tolerance=0.5).decision
    assert decision.status == "equivalent" and decision.winner is None and decision.looks < 60
    assert "equivalent" in str(decision).lower()


def test_a_budget_stop_is_remembered_and_a_higher_cap_continues_without_duplicates(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    client = client_for(sandbox)
    store = tmp_path / "r.sqlite3"
    experiment = Experiment("budget", AGENT, SAME, store=store)
    estimate = experiment.estimate(client)  # a pilot of two calls per variant: what a call costs
    per_wave = estimate.spent.amount  # two waves' worth
    cap = (estimate.spent.amount + per_wave * 2).quantize(Decimal("0.01"))  # about four more waves
    results = decided(experiment, client, max_cost=cap, max_replicates=40)
    decision, budget = results.decision, results.budget
    assert decision.status == "budget" and decision.leader is not None and decision.winner is None
    assert budget is not None and budget.stopped and budget.cap == Money(cap, "USD")
    assert budget.committed_at_stop == results.spend() and budget.in_flight_at_stop == ()
    spend = results.spend().amount
    assert spend <= cap * Decimal("1.25")  # the waves admitted fit by projection; a wave may cost a bit more
    assert 4 <= decision.looks < 40 and budget.cells_remaining == 2 * (40 - decision.looks)
    # The pilot's calls (kind "pilot") are the first outcomes: every call made is in a look.
    assert per_variant(results) == {"baseline": decision.looks, "copy": decision.looks}
    # Remembered: the store alone says why it stopped.
    assert Experiment("budget", AGENT, SAME, store=store).results(None).decision.status == "budget"
    # The same cap again: stopped at once, nothing created.
    sent = creates_sent(sandbox)
    again = decided(experiment, client, max_cost=cap, max_replicates=40)
    assert again.decision.status == "budget" and creates_sent(sandbox) == sent
    # A higher cap continues from the store, with no call created twice.
    more = decided(experiment, client, max_cost=cap * 3, max_replicates=40)
    assert more.decision.looks > decision.looks
    keys = creates_sent(sandbox)
    assert len(keys) == len(set(keys)) == more.decision.calls
    assert len(client.calls_frame(metadata={"experiment": "budget"})) == more.decision.calls


def test_an_interrupted_run_resumes_with_the_same_eliminations_and_no_duplicate(tmp_path: Path) -> None:
    class Interrupted(Exception):
        pass

    def interrupt_at(created: int) -> Any:
        def on_progress(done: int, total: int) -> None:
            if done == created:
                raise Interrupted

        return on_progress

    with fast_sandbox(seed=21) as whole:  # the same run, uninterrupted
        reference = decided(Experiment("resume", AGENT, CLEAR, store=":memory:"), client_for(whole), max_replicates=60)
    with fast_sandbox(seed=21) as sandbox:
        client = client_for(sandbox)
        experiment = Experiment("resume", AGENT, CLEAR, store=tmp_path / "r.sqlite3")
        with pytest.raises(Interrupted):  # mid-wave: the 11th call is the second of the fourth wave
            decided(experiment, client, max_replicates=60, on_progress=interrupt_at(11))
        partial = experiment.results(None).decision
        assert partial.status == "running" and partial.looks < reference.decision.looks
        with pytest.raises(Interrupted):  # and again, after a look or two more
            decided(experiment, client, max_replicates=60, on_progress=interrupt_at(20))
        results = decided(experiment, client, max_replicates=60)
        keys = creates_sent(sandbox)
    decision, expected = results.decision, reference.decision
    assert decision.status == expected.status and decision.winner == expected.winner
    assert decision.eliminated == expected.eliminated and decision.looks == expected.looks
    assert decision.calls == expected.calls and len(keys) == len(set(keys)) == decision.calls
    assert decision.intervals.equals(expected.intervals) and decision.history.equals(expected.history)


def test_a_run_with_other_settings_is_refused_naming_what_changed(sandbox: Sandbox, tmp_path: Path) -> None:
    client = client_for(sandbox)
    store = tmp_path / "r.sqlite3"
    decided(Experiment("settled", AGENT, SAME, store=store), client, max_replicates=5, min_replicates=3)
    sent = len(creates_sent(sandbox))
    with pytest.raises(ExperimentError, match=r"max_replicates=5.*now|max_replicates=5.*asks for max_replicates=8"):
        decided(Experiment("settled", AGENT, SAME, store=store), client, max_replicates=8, min_replicates=3)
    with pytest.raises(ExperimentError, match=r"metric='cost'.*metric='duration'"):
        decided(Experiment("settled", AGENT, SAME, store=store), client, max_replicates=5, min_replicates=3,
                metric="duration")  # fmt: skip
    three = [*SAME, Variant("third", {"tts": {"speed": 1.1}})]
    with pytest.raises(ExperimentError, match=r"variants=\['baseline', 'copy'\]"):
        decided(Experiment("settled", AGENT, three, store=store), client, max_replicates=5, min_replicates=3)
    with pytest.raises(ExperimentError, match=r"until='decided'.*new experiment name"):  # the fixed design
        Experiment("settled", AGENT, SAME, 8, store=store).run(client, progress=False)
    assert len(creates_sent(sandbox)) == sent
    # The same settings: nothing left to do, nothing created.
    done = decided(Experiment("settled", AGENT, SAME, store=store), client, max_replicates=5, min_replicates=3)
    assert done.decision.status == "max_replicates" and len(creates_sent(sandbox)) == sent


BAD = {
    "until": ({"until": "done"}, ValidationError, r"until.*decided"),
    "metric": ({"metric": "calls"}, ValidationError, r"metric.*cost"),
    "metric None": ({"metric": None}, ValidationError, r"metric.*cost"),
    "max_replicates None": ({"max_replicates": None}, ValidationError, r"max_replicates"),
    "max below min": ({"max_replicates": 3, "min_replicates": 5}, ValidationError, r"max_replicates.*min_replicates"),
    "tolerance 0": ({"tolerance": 0}, ValidationError, r"tolerance"),
    "tolerance 1.5": ({"tolerance": 1.5}, ValidationError, r"tolerance"),
    "level": ({"level": 1.2}, ValidationError, r"level"),
    "boundary": ({"boundary": "obrien"}, ValidationError, r"boundary.*spending"),
    "boundary without until": ({"until": None, "boundary": "lai"}, ValidationError, r"boundary"),
    "max_cost": ({"max_cost": -1}, ValidationError, r"max_cost"),
    "wait_timeout": ({"wait_timeout": 0}, ValidationError, r"wait_timeout"),
    "sequential argument without until": ({"until": None, "max_replicates": 10}, ValidationError, r"max_replicates"),
}


@pytest.mark.parametrize("case", list(BAD), ids=list(BAD))
def test_bad_input_is_refused_before_anything_is_sent(sandbox: Sandbox, case: str) -> None:
    options, error, message = BAD[case]
    client = client_for(sandbox)
    sandbox.traffic.reset()
    with pytest.raises(error, match=message):
        decided(Experiment("bad", AGENT, SAME, store=":memory:"), client, **options)
    assert sandbox.traffic.records == []


def test_one_variant_and_a_budget_smaller_than_one_wave_are_refused_before_any_create(sandbox: Sandbox) -> None:
    client = client_for(sandbox)
    sandbox.traffic.reset()
    with pytest.raises(ValidationError, match=r"variants.*at least two"):
        decided(Experiment("alone", AGENT, SAME[:1], store=":memory:"), client)
    assert sandbox.traffic.records == []
    experiment = Experiment("small", AGENT, SAME, store=":memory:")
    with pytest.raises(ExperimentError, match=r"estimate"):  # a cap needs a cost per call to project from
        decided(experiment, client, max_cost=5)
    assert creates_sent(sandbox) == []
    experiment.estimate(client)
    sandbox.traffic.reset()
    with pytest.raises(ValidationError, match=r"max_cost.*smaller than one wave"):
        decided(experiment, client, max_cost=Decimal("0.01"))
    assert creates_sent(sandbox) == []


def test_the_confirm_rule_counts_the_most_the_run_can_create(sandbox: Sandbox) -> None:
    client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, confirm_runs_over=20)
    experiment = Experiment("large", AGENT, SAME, store=":memory:")
    with pytest.raises(ExperimentError, match=r"would create 120 calls .*confirm_runs_over=20"):
        decided(experiment, client, max_replicates=60, tolerance=0.5)
    assert creates_sent(sandbox) == []
    results = decided(experiment, client, max_replicates=60, tolerance=0.5, confirm=True)
    decision = results.decision
    assert decision.status == "equivalent" and decision.calls == len(creates_sent(sandbox)) < 120 - 20
    again = decided(experiment, client, max_replicates=60, tolerance=0.5)  # decided: nothing to create or confirm
    assert again.decision.status == "equivalent" and again.decision.calls == decision.calls


def test_arun_on_your_loop_and_run_inside_a_running_loop(sandbox: Sandbox) -> None:
    async def main() -> tuple[Any, Any]:
        async with AsyncConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            first = await Experiment("async", AGENT, CLEAR, store=":memory:").arun(
                client, until="decided", max_replicates=8, min_replicates=3, progress=False
            )
        # A notebook's cell: run() inside a running loop (it runs on a loop of its own).
        second = decided(Experiment("in loop", AGENT, CLEAR, store=":memory:"), client_for(sandbox), max_replicates=8)
        return first, second

    first, second = asyncio.run(main())
    assert first.decision.calls > 0 and second.decision.calls > 0
    assert first.decision.looks <= 8 and second.decision.looks <= 8


def test_a_store_without_the_sequential_table_gets_it_and_a_read_only_one_has_no_sequential_run(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    ResultsStore(path).close()
    with sqlite3.connect(path) as db:  # what this format's stores held before sequential runs
        db.execute("DROP TABLE sequential")
    store = ResultsStore(path)
    store.register("x", AGENT, {}, [])
    store.record_sequential("x", {"metric": "cost"})
    assert store.sequential("x") == ({"metric": "cost"}, None)
    store.close()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE sequential")
    path.chmod(0o444)
    try:
        read_only = ResultsStore(path)
        assert read_only.read_only and read_only.sequential("x") is None
        assert Experiment("x", AGENT, SAME, store=path).results(None).decision is None
    finally:
        path.chmod(0o600)


def test_a_wave_past_its_wait_timeout_stops_the_run_and_the_next_run_waits_for_it_first(tmp_path: Path) -> None:
    clock = ManualClock()  # calls end only when the clock is moved
    with Sandbox(SandboxSettings(clock=clock, seed=3, expire_rate=0, fail_rate=0)) as sandbox:
        client = client_for(sandbox)
        experiment = Experiment("slow", AGENT, SAME, store=tmp_path / "r.sqlite3")
        with pytest.raises(WaitTimeoutError, match=r"2 of 2 calls.*run\(until='decided'\) again"):
            decided(experiment, client, wait_timeout=0.2)
        assert experiment.results(None).decision.looks == 0 and len(creates_sent(sandbox)) == 2
        clock.advance(3600)  # the first wave ends; the next run reads it, looks, and makes the second wave
        with pytest.raises(WaitTimeoutError):
            decided(experiment, client, wait_timeout=0.2)
        assert experiment.results(None).decision.looks == 1
        keys = creates_sent(sandbox)
        assert len(keys) == len(set(keys)) == 4


def test_numpy_numbers_are_recorded_as_the_same_settings(sandbox: Sandbox) -> None:
    import numpy as np

    client = client_for(sandbox)
    experiment = Experiment("numpy", AGENT, SAME, store=":memory:")
    first = decided(experiment, client, max_replicates=np.int64(4), min_replicates=np.int64(3), level=np.float64(0.9))
    again = decided(experiment, client, max_replicates=4, min_replicates=3, level=0.9)  # the same settings
    assert first.decision.status == again.decision.status == "max_replicates" and again.decision.calls == 8
