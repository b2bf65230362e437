"""decide(): a deterministic replay of the looks, eliminations at the look the pair's sequence first excludes 0,
each stop, the config's checks, and outcomes_from_frame reading a results frame only as far as calls finished."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from convoi_nb import ConvoiClient
from convoi_nb.errors import ValidationError
from convoi_nb.experiments import Experiment, Variant
from convoi_nb.money import Money
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT
from convoi_nb.stats.confidence_sequence import lai_interval, lai_radius_factor, lai_tuning
from convoi_nb.stats.sequential import SequentialConfig, decide, next_wave, outcomes_from_frame
from convoi_nb.stats.spending import spending_sequence

AGENT = DEFAULT_ACCOUNT.agents[0].id


def noisy(mean: float, n: int, seed: int, spread: float = 0.2) -> list[float]:
    return list(mean * np.random.default_rng(seed).lognormal(0, spread, n))


def first_exclusion(diffs: list[float], config: SequentialConfig) -> int:
    """The first look k >= min_replicates at which the pair's interval of the differences' mean (two variants: the
    whole error budget) lies above 0, computed apart from decide()."""
    if config.boundary == "spending":
        low, _ = spending_sequence(
            diffs, share=config.alpha, first=config.min_replicates, horizon=config.max_replicates
        )
        return next(k for k in range(config.min_replicates, len(diffs) + 1) if low[k - 1] > 0)
    level, g = config.sequence_parameters(config.alpha)
    for k in range(config.min_replicates, len(diffs) + 1):
        if lai_interval(diffs[:k], alpha=level, planned=config.planned, tuning=g).low > 0:
            return k
    raise AssertionError("never excluded 0")


@pytest.mark.parametrize("boundary", ["spending", "horizon", "lai"])
def test_a_clearly_worse_variant_leaves_at_the_look_its_pair_excludes_zero(boundary: str) -> None:
    a, b = noisy(0.20, 60, 1), noisy(0.30, 60, 2)
    config = SequentialConfig(max_replicates=60, planned=30, boundary=boundary)
    decision = decide({"a": a, "b": b}, config, calls=123, spend=Money(Decimal("4.5"), "USD"))
    expected = first_exclusion([y - x for x, y in zip(a, b, strict=True)], config)
    assert decision.eliminated == {"b": expected}
    assert decision.eliminated_by == {"b": "a"}
    assert (decision.status, decision.winner, decision.leader, decision.looks) == ("winner", "a", "a", expected)
    assert decision.done and next_wave(decision) == ()
    assert (decision.calls, decision.spend) == (123, Money(Decimal("4.5"), "USD"))
    history = decision.history
    assert list(history["look"]) == list(range(1, expected + 1))
    assert history["eliminated"].iloc[-1] == "b" and set(history["eliminated"].iloc[:-1]) == {""}
    assert list(history["status"]) == ["running"] * (expected - 1) + ["winner"]


def test_the_horizon_boundary_decides_earlier_than_the_uncalibrated_one() -> None:
    # the calibrated level is larger than the nominal one (the finite horizon leaves budget unspent), so the
    # same differences are separated at an earlier look, never a later one; "lai" is the uncalibrated sequence
    a, b = noisy(0.20, 60, 1), noisy(0.30, 60, 2)
    horizon = SequentialConfig(max_replicates=60, planned=30, boundary="horizon")
    lai = SequentialConfig(max_replicates=60, planned=30, boundary="lai")
    assert lai.sequence_parameters(0.05) == (0.05, lai_tuning(0.05, 30))
    level, g = horizon.sequence_parameters(0.05)
    assert level > 0.05 and g == lai_tuning(0.05, 30)
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    assert first_exclusion(diffs, horizon) < first_exclusion(diffs, lai) == 9


@pytest.mark.parametrize(("boundary", "first"), [("spending", 5), ("horizon", 6), ("lai", 7)])
def test_no_elimination_before_min_replicates(boundary: str, first: int) -> None:
    # separated from the first bound on: the spending boundary's first bound is at min_replicates; Lai's comes
    # when R < t: t = 6 at α = 0.05, n* = 30 calibrated to 40 looks, t = 7 uncalibrated
    a, b = noisy(0.20, 40, 1, spread=0.01), noisy(0.40, 40, 2, spread=0.01)
    early = decide({"a": a, "b": b}, SequentialConfig(min_replicates=5, max_replicates=40, boundary=boundary))
    late = decide({"a": a, "b": b}, SequentialConfig(min_replicates=15, max_replicates=40, boundary=boundary))
    if boundary != "spending":
        level, g = early.config.sequence_parameters(0.05)
        assert first == next(t for t in range(2, 41) if math.isfinite(lai_radius_factor(t, alpha=level, g=g)))
    assert early.eliminated == {"b": first}
    assert late.eliminated == {"b": 15}


def test_the_default_boundary_is_the_spending_one() -> None:
    assert SequentialConfig().boundary == "spending"


def test_the_replay_is_deterministic_and_a_prefix_replays_the_same_looks() -> None:
    outcomes = {
        name: noisy(mean, 120, seed) for seed, (name, mean) in enumerate({"x": 0.2, "y": 0.26, "z": 0.21}.items())
    }
    config = SequentialConfig()
    full = decide(outcomes, config)
    again = decide({k: list(v) for k, v in outcomes.items()}, config)
    pd.testing.assert_frame_equal(full.intervals, again.intervals)
    pd.testing.assert_frame_equal(full.history, again.history)
    assert "y" in full.eliminated
    # a run killed after look j and resumed sees the same first j looks: the same eliminations at the same looks
    j = full.eliminated["y"] + 2
    resumed = decide({k: v[:j] for k, v in outcomes.items()}, config)
    pd.testing.assert_frame_equal(resumed.history, full.history.iloc[:j])
    assert resumed.eliminated["y"] == full.eliminated["y"]
    # the eliminated variant's later outcomes are never read
    changed = {**outcomes, "y": outcomes["y"][: full.eliminated["y"]] + [99.0] * 200}
    pd.testing.assert_frame_equal(decide(changed, config).history, full.history)


def test_three_variants_the_worst_leaves_and_the_next_wave_is_the_others() -> None:
    outcomes = {"a": noisy(0.2, 30, 1), "b": noisy(0.5, 30, 2), "c": noisy(0.2, 30, 3)}
    decision = decide(outcomes, SequentialConfig(max_replicates=120))
    assert decision.status == "running" and decision.looks == 30
    assert set(decision.eliminated) == {"b"}
    assert decision.active == ("a", "c") and next_wave(decision) == ("a", "c")
    rows = decision.intervals
    assert list(rows["kind"]) == ["variant"] * 3 + ["pair"] * 3
    assert list(zip(rows["variant"][3:], rows["other"][3:], strict=True)) == [("a", "b"), ("a", "c"), ("b", "c")]
    b_row = rows[(rows["kind"] == "variant") & (rows["variant"] == "b")].iloc[0]
    assert b_row["n"] == decision.eliminated["b"] and b_row["eliminated_at"] == decision.eliminated["b"]
    assert rows["level"].iloc[0] == pytest.approx(1 - 0.05 / 3) and rows["level"].iloc[3] == pytest.approx(1 - 0.05 / 3)
    assert list(rows["active"]) == [True, False, True, False, True, False]
    assert set(rows["unit"]) == {"USD"}


def test_the_error_budget_is_split_over_every_pair() -> None:
    config = SequentialConfig()
    assert config.pair_alpha(6) == pytest.approx(0.05 / 15)
    assert config.variant_alpha(6) == pytest.approx(0.05 / 6)


def test_max_replicates_stop_names_the_leader_but_no_winner() -> None:
    outcomes = {"a": noisy(0.2, 30, 1), "b": noisy(0.2, 30, 2)}
    decision = decide(outcomes, SequentialConfig(max_replicates=20))
    assert decision.status == "max_replicates" and decision.looks == 20 and decision.winner is None
    means = {n: np.mean(v[:20]) for n, v in outcomes.items()}
    assert decision.leader == min(means, key=means.__getitem__)
    assert "No winner after 20 replicates per variant" in str(decision) and decision.leader in str(decision)


def test_equivalent_when_every_remaining_pair_is_within_the_tolerance() -> None:
    outcomes = {"a": noisy(0.2, 120, 1, spread=0.02), "b": noisy(0.2, 120, 2, spread=0.02)}
    decision = decide(outcomes, SequentialConfig(tolerance=0.05))
    assert decision.status == "equivalent" and decision.winner is None
    pair = decision.intervals[decision.intervals["kind"] == "pair"].iloc[0]
    lead = decision.intervals[decision.intervals["variant"] == decision.leader].iloc[0]
    assert -0.05 * lead["estimate"] <= pair["low"] and pair["high"] <= 0.05 * lead["estimate"]
    # one look earlier, the pair was not yet inside the margin: the stop is at the first look that is
    earlier = decide({k: v[: decision.looks - 1] for k, v in outcomes.items()}, SequentialConfig(tolerance=0.05))
    assert earlier.status == "running"
    assert decide(outcomes, SequentialConfig(max_replicates=decision.looks)).status == "max_replicates"


def test_budget_stop_only_when_the_looks_did_not_stop_first() -> None:
    outcomes = {"a": noisy(0.2, 10, 1), "b": noisy(0.2, 10, 2)}
    stopped = decide(outcomes, SequentialConfig(), out_of_budget=True)
    assert stopped.status == "budget" and stopped.done and next_wave(stopped) == ()
    assert stopped.history["status"].iloc[-1] == "budget"
    assert "Stopped by the budget" in str(stopped)
    decided = decide({"a": noisy(0.2, 40, 1), "b": noisy(0.6, 40, 2)}, SequentialConfig(), out_of_budget=True)
    assert decided.status == "winner"


def test_running_until_min_replicates_and_no_look_before_the_first_wave() -> None:
    decision = decide({"a": [0.2, 0.3], "b": [0.25, 0.2, 0.3]}, SequentialConfig())
    assert (decision.status, decision.looks) == ("running", 2)
    assert next_wave(decision) == ("a", "b")
    nothing = decide({"a": [], "b": []}, SequentialConfig())
    assert (nothing.status, nothing.looks, nothing.leader) == ("running", 0, None)
    assert nothing.history.empty and "No look yet" in str(nothing)
    pairs = nothing.intervals[nothing.intervals["kind"] == "pair"]
    assert pairs["low"].iloc[0] == -math.inf and pairs["high"].iloc[0] == math.inf


def test_failed_calls_are_finished_replicates_without_a_value() -> None:
    a = noisy(0.2, 30, 1)
    b = noisy(0.3, 30, 2)
    b_with_failures = [math.nan if i in (0, 3) else v for i, v in enumerate(b)]
    decision = decide({"a": a, "b": b_with_failures}, SequentialConfig(max_replicates=8))
    assert decision.looks == 8
    rows = decision.intervals.set_index(["kind", "variant"])
    assert rows.loc[("variant", "b"), "n"] == 6  # 8 replicates, 2 without a value
    present = [v for v in b_with_failures[:8] if not math.isnan(v)]
    assert rows.loc[("variant", "b"), "estimate"] == pytest.approx(np.mean(present))
    pair = rows.loc[("pair", "a")]
    # the j-th value of a against the j-th value of b: 6 differences
    assert pair["n"] == 6
    assert pair["estimate"] == pytest.approx(np.mean(np.array(a[:6]) - np.array(present)))


def test_the_words_use_the_intervals_numbers() -> None:
    decision = decide({"a": noisy(0.20, 60, 1), "b": noisy(0.30, 60, 2)}, SequentialConfig(max_replicates=60))
    text = str(decision)
    lead = decision.intervals.iloc[0]
    pair = decision.intervals.iloc[2]  # a − b; the text says b − a
    assert text.startswith(
        f"Winner on cost per call: a at ${lead['estimate']:.3f} (${lead['low']:.3f} to ${lead['high']:.3f})"
    )
    assert f"b − a: ${-pair['estimate']:.3f} (${-pair['high']:.3f} to ${-pair['low']:.3f}); eliminated at look" in text
    duration = decide({"a": noisy(150, 60, 1), "b": noisy(200, 60, 2)}, SequentialConfig(metric="duration"))
    assert set(duration.intervals["unit"]) == {"s"} and " s (" in str(duration)


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"metric": "rating"}, "metric"),
        ({"level": 1.0}, "level"),
        ({"level": "0.95"}, "level"),
        ({"min_replicates": 1}, "min_replicates"),
        ({"min_replicates": 5.5}, "min_replicates"),
        ({"min_replicates": 10, "max_replicates": 9}, "max_replicates"),
        ({"max_replicates": True}, "max_replicates"),
        ({"tolerance": 0.0}, "tolerance"),
        ({"tolerance": 1.0}, "tolerance"),
        ({"planned": 0}, "planned"),
        ({"boundary": "obf"}, "boundary"),
    ],
)
def test_bad_config_names_the_field(fields: dict, name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        SequentialConfig(**fields)


def test_bad_outcomes_are_refused() -> None:
    with pytest.raises(ValidationError, match="outcomes"):
        decide({"only": [0.2] * 10}, SequentialConfig())
    with pytest.raises(ValidationError, match="outcomes"):
        decide({"a": [0.2, math.inf], "b": [0.2, 0.3]}, SequentialConfig())
    with pytest.raises(ValidationError, match="metric"):
        outcomes_from_frame(pd.DataFrame(), "rating")


def frame(rows: list[tuple[str, str, int | None, str | None, float | None]]) -> pd.DataFrame:
    """A results frame's columns that the statistics read: (variant, kind, replicate, status, cost)."""
    return pd.DataFrame(
        {
            "variant": pd.Categorical([r[0] for r in rows], categories=["a", "b", "c"]),
            "kind": [r[1] for r in rows],
            "replicate": pd.array([r[2] for r in rows], dtype="Int64"),
            "status": [r[3] for r in rows],
            "cost_amount": [r[4] for r in rows],
            "duration_seconds": [None if r[4] is None else 100 * r[4] for r in rows],
        }
    )


def test_outcomes_stop_at_the_first_replicate_that_has_not_finished() -> None:
    rows = [
        ("a", "replicate", 2, "ended", 0.23),  # out of order on purpose: replicate order is what counts
        ("a", "replicate", 0, "ended", 0.21),
        ("a", "replicate", 1, "failed", 0.05),
        ("a", "replicate", 3, "in_progress", 0.1),
        ("a", "replicate", 4, "ended", 0.2),  # after an unfinished one: not read yet
        ("a", "pilot", 0, "ended", 9.0),  # pilot calls are not waves
        ("b", "replicate", 0, "expired", 0.0),
        ("b", "replicate", 1, None, None),  # its create failed: no call to read yet
        ("b", "replicate", 2, "ended", 0.3),
        ("c", "replicate", 1, "ended", 0.3),  # replicate 0 is missing: nothing finished in order
    ]
    found = outcomes_from_frame(frame(rows), "cost")
    assert list(found) == ["a", "b", "c"]
    assert found["a"][0] == 0.21 and math.isnan(found["a"][1]) and found["a"][2] == 0.23 and len(found["a"]) == 3
    assert len(found["b"]) == 1 and math.isnan(found["b"][0])
    assert found["c"] == []
    assert outcomes_from_frame(frame(rows), "duration")["a"][0] == pytest.approx(21.0)


def test_outcomes_from_a_real_results_frame(tmp_path: Path) -> None:
    clock = ManualClock()
    variants = [Variant("mini"), Variant("4o", {"llm": {"model": "gpt-4o"}})]
    with (
        Sandbox(SandboxSettings(clock=clock, seed=3)) as sandbox,
        ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client,
    ):
        results = Experiment("seq", AGENT, variants, 3, store=tmp_path / "s.sqlite3").run(client, progress=False)
        running = outcomes_from_frame(results.frame(), "cost")
        assert running == {"mini": [], "4o": []}  # every call still waiting for its participant
        clock.advance(3600)
        finished = results.wait(timeout=60, progress=False, poll_interval=0.001).frame()
    found = outcomes_from_frame(finished, "cost")
    assert [len(v) for v in found.values()] == [3, 3]
    for name, values in found.items():
        mine = finished[finished["variant"] == name].sort_values("replicate")
        expected = [c if s == "ended" else math.nan for c, s in zip(mine["cost_amount"], mine["status"], strict=True)]
        np.testing.assert_array_equal(values, expected)
