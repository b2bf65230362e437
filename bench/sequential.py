"""Does the sequential decision (`convoi_nb.stats.sequential.decide`) keep its promises on the sandbox's known truth?

Each seeded run draws its calls from the embedded sandbox's own simulation, in-process: the call's seed is
`service.call_seed(run seed, insertion number)`, its story `simulation.plan_call(seed, effective settings)` and its
outcome `simulation.state_at(plan, after it ended)`, exactly what a `Sandbox(SandboxSettings(seed=...))` serves
for the call created with that insertion number (the script checks this first, through real HTTP against a sandbox
on a `ManualClock`). Waves are drawn in insertion order (wave w, variant i → insertion number w·K + i + 1); the
decision rule is replayed over them as the runner would run it (look k sees wave k of every variant still in).
The truth is `simulation.expected_outcome(...).mean_cost`: the mean cost of an ended call, what the sequential
metric estimates (failed and expired calls are finished replicates without a value, counted in calls and spend).

The decision rule is the package's default (`SequentialConfig()`): repeated confidence intervals of a
group-sequential design with Pocock-type error spending over the `max_replicates` looks (`stats.spending`), the
error split α/C(K, 2) over every pair. The table opens with the Gaussian calibrations' own check: the miss rate
within the horizon, on independent Gaussian paths, of the spending boundary and of Lai's sequence calibrated to the
horizon (`stats.horizon`, boundary "horizon"), against their target, and what Lai's uncalibrated level misses.

Rows (each with its run count and a binomial standard error):

- the identical pair (notebook 02's baseline and an exact copy) watched for 60 looks: ever called different
  (an elimination) ≤ 0.03; beside it, Welch's test re-run after every wave, for contrast;
- six identical variants (120 looks): any elimination ≤ 0.05;
- notebook 02's five variants plus a copy of the baseline (120 looks): wrong winner ≤ 0.01; every pair's interval
  covering its true difference at the stop ≥ 0.95; mean calls and spend to a decision against a fixed design with
  the same probability of naming the cheapest (≤ 0.9× calls, ≤ 0.8× spend). The fixed design's size is found by
  simulating the fixed verdict's rule on the same draws: the leader is the lowest mean cost over *ended* calls,
  named when Holm-adjusted Welch p-values against every other variant are all below 0.05 (`stats.verdict.find`;
  the script checks its copy of the rule against `find` on real summaries first);
- heavier tails: log-normal spread 0.4 (`simulation.NOISE_SIGMA`, a module constant of the simulation, set for
  these rows) and 10 % failed calls (`fail_rate`, a sandbox setting): the same error bounds, and the calls used;
- the other boundaries on notebook 02's set, for comparison: Lai's sequence calibrated to the horizon, tuned for
  10 / 30 / 60 calls (`planned`; the spending boundary has no tuning point), and Lai's uncalibrated sequence
  (boundary "lai", tuned for 30): calls used, error rates and the same efficiency ratios. An O'Brien–Fleming-type
  spending function was tried too while choosing (exploration, 200 runs, not in this table): 1.04× the calls and
  0.99× the spend of a fixed design naming the cheapest as often (0.95): its early intervals are too wide for
  eliminations to pay.

    python bench/sequential.py                  # the full table (500 runs a row; several minutes)
    python bench/sequential.py --runs 100       # fewer runs a row
    python bench/sequential.py --quick          # a smoke run: a few runs a row, seconds
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from _common import AGENT, BASELINE, COPY, variants

from convoi_nb import ConvoiClient, RetryPolicy
from convoi_nb.experiments import Variant
from convoi_nb.money import to_decimal
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings, simulation
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT
from convoi_nb.sandbox.service import call_seed
from convoi_nb.stats.horizon import PATHS, miss_rate
from convoi_nb.stats.primitives import difference, holm
from convoi_nb.stats.sequential import Decision, SequentialConfig, decide
from convoi_nb.stats.spending import spending_miss_rate
from convoi_nb.stats.summary import MetricSummary, VariantSummary
from convoi_nb.stats.verdict import find

AGENT_SETTINGS = next(a for a in DEFAULT_ACCOUNT.agents if a.id == AGENT).to_json()
ALPHA = 0.05
RULE = "spending boundary (the default)"


@dataclass(frozen=True)
class World:
    """The simulation's settings for a row: spread of call length and failure rates."""

    sigma: float = simulation.NOISE_SIGMA
    fail_rate: float = simulation.FAIL_PROBABILITY
    expire_rate: float = simulation.EXPIRE_PROBABILITY


@contextlib.contextmanager
def spread(world: World) -> Iterator[None]:
    """Set the simulation's log-normal spread for the draws and truths of one row (a module constant)."""
    before = simulation.NOISE_SIGMA
    simulation.NOISE_SIGMA = world.sigma
    try:
        yield
    finally:
        simulation.NOISE_SIGMA = before


@dataclass(frozen=True)
class Draws:
    """One run's calls: wave × variant arrays of status, billed cost and seconds talked."""

    ended: np.ndarray
    cost: np.ndarray
    duration: np.ndarray


def settings_of(arms: Sequence[Variant]) -> list[dict[str, Any]]:
    return [simulation.merge_settings(AGENT_SETTINGS, v.body) for v in arms]


def draw(arms: Sequence[Variant], seed: int, waves: int, world: World) -> Draws:
    """The calls a sandbox with this seed serves when waves of `arms` are created in insertion order."""
    settings = settings_of(arms)
    k = len(arms)
    ended = np.zeros((waves, k), dtype=bool)
    cost = np.zeros((waves, k))
    duration = np.zeros((waves, k))
    with spread(world):
        for w in range(waves):
            for i, s in enumerate(settings):
                plan = simulation.plan_call(
                    call_seed(seed, w * k + i + 1), s, expire_rate=world.expire_rate, fail_rate=world.fail_rate
                )
                state = simulation.state_at(plan, 1e9)
                ended[w, i] = state.status == "ended"
                cost[w, i], duration[w, i] = state.cost, state.duration_seconds
    return Draws(ended, cost, duration)


def truth(arms: Sequence[Variant], world: World) -> np.ndarray:
    """Each arm's true mean cost per ended call (what the sequential metric and the fixed summary estimate)."""
    with spread(world):
        return np.array(
            [
                simulation.expected_outcome(
                    s, expire_rate=world.expire_rate, fail_rate=world.fail_rate
                ).mean_cost_per_call
                for s in settings_of(arms)
            ]
        )


def check_draws_match_sandbox(arms: Sequence[Variant], world: World) -> None:
    """The in-process draws are what a sandbox serves: create two waves through HTTP and compare."""
    seed, waves = 987_654, 2
    expected = draw(arms, seed, waves, world)
    clock = ManualClock()
    settings = SandboxSettings(clock=clock, seed=seed, fail_rate=world.fail_rate, expire_rate=world.expire_rate)
    with (
        spread(world),
        Sandbox(settings) as sandbox,
        ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, retry=RetryPolicy(max_retries=0)) as client,
    ):
        ids = [[client.create_web_call(AGENT, agent_overrides=v.body).id for v in arms] for _ in range(waves)]
        clock.advance(3600)
        for w in range(waves):
            for i, call_id in enumerate(ids[w]):
                call = client.get_call(call_id)
                assert call.cost is not None and abs(float(call.cost.amount) - expected.cost[w, i]) < 1e-9, (w, i)
                assert abs(call.duration_seconds - expected.duration[w, i]) < 1e-6, (w, i)
                assert (call.status == "ended") == expected.ended[w, i], (w, i)


def fixed_names(draws: Draws, n: int, cheapest: set[int]) -> bool:
    """The fixed verdict's rule (`stats.verdict.find`) after n replicates: names a true cheapest?"""
    values = [draws.cost[:n, i][draws.ended[:n, i]] for i in range(draws.cost.shape[1])]
    usable = [i for i, v in enumerate(values) if len(v) >= 2]
    if len(usable) < 2:
        return False
    ranked = sorted(usable, key=lambda i: (values[i].mean(), i))
    adjusted = holm([difference(values[ranked[0]], values[i], 1 - ALPHA).p_value for i in ranked[1:]])
    named = not any(math.isnan(p) for p in adjusted) and max(adjusted) < ALPHA
    return named and ranked[0] in cheapest


def check_fixed_rule(arms: Sequence[Variant], world: World, runs: int = 8) -> None:
    """The copy of the rule above agrees with `stats.verdict.find` on real summaries."""
    for run in range(runs):
        draws = draw(arms, 555_000 + run, 12, world)
        for n in (5, 12):
            summaries = {}
            for i, v in enumerate(arms):
                ended = draws.ended[:n, i]
                metrics = {
                    "cost": MetricSummary.of(draws.cost[:n, i][ended], 0.95, 0),
                    "duration": MetricSummary.of(draws.duration[:n, i][ended], 0.95, 0),
                }
                summaries[v.name] = VariantSummary(
                    v.name, n, int(ended.sum()), 0, 0, 0, 0, "USD", Decimal(0), n, metrics, math.nan
                )
            winner = find(summaries, "cost", level=1 - ALPHA, power=0.8).winner
            names = [v.name for v in arms]
            mine = (
                fixed_names(draws, n, {names.index(winner)})
                if winner
                else not fixed_names(draws, n, set(range(len(arms))))
            )
            assert mine, (run, n, winner)


def calls_and_spend(decision: Decision, draws: Draws) -> tuple[int, Decimal]:
    """The calls the runner would have created for this decision, and what they were billed (exact)."""
    calls, spend = 0, Decimal(0)
    for i, name in enumerate(decision.variants):
        made = decision.eliminated.get(name, decision.looks)
        calls += made
        spend += sum((to_decimal(c) for c in draws.cost[:made, i]), Decimal(0))
    return calls, spend


def sequential_run(
    arms: Sequence[Variant], seed: int, config: SequentialConfig, world: World, waves: int | None = None
) -> tuple[Decision, Draws]:
    draws = draw(arms, seed, waves or config.max_replicates, world)
    # what outcomes_from_frame reads from a results frame: an ended call's cost, NaN for a failed or expired one
    outcomes = {v.name: list(np.where(draws.ended[:, i], draws.cost[:, i], np.nan)) for i, v in enumerate(arms)}
    return decide(outcomes, config), draws


def rate(hits: int, runs: int) -> str:
    p = hits / runs if runs else math.nan
    se = math.sqrt(p * (1 - p) / runs) if runs else math.nan
    return f"{p:.3f} ± {se:.3f}"


def mean_se(values: Sequence[float]) -> str:
    data = np.asarray(values, dtype=float)
    se = data.std(ddof=1) / math.sqrt(len(data)) if len(data) > 1 else math.nan
    return f"{data.mean():.1f} ± {se:.1f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def identical_pair(runs: int, world: World, label: str) -> None:
    arms = [v for v in variants() if v.name in (BASELINE, COPY)]
    config = SequentialConfig(max_replicates=60, planned=30)
    called = welch = 0
    for run in range(runs):
        decision, draws = sequential_run(arms, 1_000_000 + run, config, world)
        called += bool(decision.eliminated)
        # the peeking user: Welch's test after every wave from 2 calls on, stopping at the first p < 0.05
        welch += any(
            difference(draws.cost[:k, 0], draws.cost[:k, 1]).p_value < ALPHA
            for k in range(2, config.max_replicates + 1)
        )
    p = called / runs
    print(
        f"{label}identical pair, 60 looks ({runs} runs): called different {rate(called, runs)} (bound ≤ 0.03: "
        f"{verdict(p <= 0.03)}); Welch re-run after every wave {rate(welch, runs)}",
        flush=True,
    )


def six_identical(runs: int, world: World, label: str) -> None:
    base = next(v for v in variants() if v.name == BASELINE)
    arms = [Variant(f"copy {i}", base.overrides) for i in range(6)]
    config = SequentialConfig(max_replicates=120, planned=30)
    hits = 0
    for run in range(runs):
        decision, _ = sequential_run(arms, 2_000_000 + run, config, world)
        hits += bool(decision.eliminated)
    print(
        f"{label}six identical variants, 120 looks ({runs} runs): any elimination {rate(hits, runs)} "
        f"(bound ≤ 0.05: {verdict(hits / runs <= 0.05)})",
        flush=True,
    )


@dataclass
class SetResult:
    runs: int
    winners: int
    right: int
    wrong: int
    covered: int
    statuses: dict[str, int]
    calls: list[float]
    spend: list[float]
    draws: list[Draws]


def notebook_set(runs: int, world: World, config: SequentialConfig, seed: int) -> SetResult:
    arms = variants()
    true = truth(arms, world)
    cheapest = {i for i, t in enumerate(true) if t <= true.min() * (1 + 1e-9)}
    names = [v.name for v in arms]
    result = SetResult(runs, 0, 0, 0, 0, {}, [], [], [])
    for run in range(runs):
        decision, draws = sequential_run(arms, seed + run, config, world)
        result.draws.append(draws)
        result.statuses[decision.status] = result.statuses.get(decision.status, 0) + 1
        if decision.winner is not None:
            result.winners += 1
            result.right += names.index(decision.winner) in cheapest
            result.wrong += names.index(decision.winner) not in cheapest
        pairs = decision.intervals[decision.intervals["kind"] == "pair"]
        result.covered += all(
            low <= true[names.index(a)] - true[names.index(b)] <= high
            for a, b, low, high in zip(pairs["variant"], pairs["other"], pairs["low"], pairs["high"], strict=True)
        )
        calls, spend = calls_and_spend(decision, draws)
        result.calls.append(calls)
        result.spend.append(float(spend))
    return result


def fixed_requirement(result: SetResult, arms: Sequence[Variant], world: World, target: float) -> tuple[float, float]:
    """Calls per variant a fixed design needs to name the cheapest with probability `target`, and its mean
    spend per call (simulated on the same draws)."""
    true = truth(arms, world)
    cheapest = {i for i, t in enumerate(true) if t <= true.min() * (1 + 1e-9)}
    sizes = list(range(5, 121, 5))
    shares = []
    for n in sizes:
        shares.append(sum(fixed_names(d, n, cheapest) for d in result.draws) / len(result.draws))
        if shares[-1] >= target:
            break
    per_call = float(np.mean([d.cost.mean() for d in result.draws]))
    if shares[-1] < target:
        return math.inf, per_call
    if len(shares) == 1:
        return float(sizes[0]), per_call
    # interpolate linearly between the last size below the target and the first at or above it
    n0, n1, p0, p1 = sizes[len(shares) - 2], sizes[len(shares) - 1], shares[-2], shares[-1]
    return n0 + (n1 - n0) * (target - p0) / (p1 - p0) if p1 > p0 else float(n1), per_call


def print_set(
    label: str, result: SetResult, arms: Sequence[Variant], world: World, rule: str, compare: bool = True
) -> None:
    runs = result.runs
    p_named = result.right / runs
    statuses = ", ".join(f"{k} {v / runs:.2f}" for k, v in sorted(result.statuses.items()))
    print(
        f"{label}notebook 02 + copy, {rule} ({runs} runs): right winner {rate(result.right, runs)}, "
        f"wrong winner {rate(result.wrong, runs)} (bound ≤ 0.01: {verdict(result.wrong / runs <= 0.01)}), "
        f"every pair covered at the stop {rate(result.covered, runs)} (bound ≥ 0.95: "
        f"{verdict(result.covered / runs >= 0.95)}); stops: {statuses}",
        flush=True,
    )
    if not compare:  # the heavy-tailed rows check the error bounds only; the calls used are shown as measured
        print(f"{' ' * len(label)}  calls to a decision {mean_se(result.calls)} (no efficiency bound for these)")
        return
    if result.right == 0:
        print(
            f"{' ' * len(label)}  calls to a decision {mean_se(result.calls)}; no right winner: "
            "no fixed design to match"
        )
        return
    n_fixed, per_call = fixed_requirement(result, arms, world, p_named)
    calls, spend = np.mean(result.calls), np.mean(result.spend)
    k = len(arms)
    if math.isfinite(n_fixed):
        fixed_calls, fixed_spend = k * n_fixed, k * n_fixed * per_call
        print(
            f"{' ' * len(label)}  calls to a decision {mean_se(result.calls)} (per variant {calls / k:.1f}), "
            f"spend ${spend:.2f} ± {np.std(result.spend, ddof=1) / math.sqrt(runs):.2f}; a fixed design naming "
            f"the cheapest as often ({p_named:.2f}) needs {n_fixed:.1f} calls per variant: {fixed_calls:.0f} "
            f"calls, ${fixed_spend:.2f}; ratio calls {calls / fixed_calls:.2f}× (bound ≤ 0.9: "
            f"{verdict(calls / fixed_calls <= 0.9)}), spend {spend / fixed_spend:.2f}× (bound ≤ 0.8: "
            f"{verdict(spend / fixed_spend <= 0.8)})",
            flush=True,
        )
    else:
        print(f"  calls {mean_se(result.calls)}; no fixed design up to 120 calls per variant names it as often")


def gaussian_calibration() -> None:
    """The calibrated boundaries' miss rates on Gaussian paths (independent of the calibrations' own paths)."""
    for share, horizon, label in ((ALPHA, 60, "a pair, 60 looks"), (ALPHA / 15, 120, "one of 15 pairs, 120 looks")):
        config = SequentialConfig(max_replicates=horizon, planned=30)
        spent = spending_miss_rate(share, config.min_replicates, horizon, paths=PATHS, seed=7)
        level, g = SequentialConfig(max_replicates=horizon, planned=30, boundary="horizon").sequence_parameters(share)
        missed = miss_rate(level, g, horizon, paths=PATHS, seed=7)
        nominal = miss_rate(share, g, horizon, paths=PATHS, seed=7)
        print(
            f"  Gaussian paths ({PATHS:,}), {label}, target {share:.4f}: spending boundary misses {spent:.4f}; Lai "
            f"calibrated (level {level:.4f}) {missed:.4f}; Lai uncalibrated {nominal:.4f}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=500, help="runs per row")
    parser.add_argument("--quick", action="store_true", help="a smoke run: a few runs per row")
    args = parser.parse_args()
    runs = 4 if args.quick else args.runs
    started = time.perf_counter()
    plain, heavy = World(), World(sigma=0.4, fail_rate=0.10)
    check_draws_match_sandbox(variants(), heavy)
    check_draws_match_sandbox(variants(), plain)
    check_fixed_rule(variants(), plain, runs=2 if args.quick else 8)
    print(
        f"sequential decisions on the sandbox's simulation; level 0.95, min 5, Pocock-type spending over "
        f"max_replicates (stats.spending), α/C(K,2) per pair; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.2f}; in-process draws checked against a sandbox"
    )
    gaussian_calibration()
    identical_pair(runs, plain, "")
    six_identical(runs, plain, "")
    arms = variants()
    print_set("", notebook_set(runs, plain, SequentialConfig(), 3_300_000), arms, plain, RULE)
    # the other boundaries on the same draws where their tuning is 30 (a paired comparison): Lai's sequences
    # calibrated to the horizon, tuned for 10 / 30 / 60 calls, and Lai's uncalibrated sequences
    for boundary, planned in (("horizon", 30), ("horizon", 10), ("horizon", 60), ("lai", 30)):
        config = SequentialConfig(boundary=boundary, planned=planned)
        result = notebook_set(runs, plain, config, 3_000_000 + planned * 10_000)
        print_set("", result, arms, plain, f"{boundary} boundary, tuned for {planned}")
    label = "heavy tails (σ 0.4, 10 % failed): "
    identical_pair(runs, heavy, label)
    six_identical(runs, heavy, label)
    print_set(label, notebook_set(runs, heavy, SequentialConfig(), 4_000_000), arms, heavy, RULE, compare=False)
    print(f"({time.perf_counter() - started:.0f} s; load {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
