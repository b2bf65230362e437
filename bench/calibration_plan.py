"""plan() against the verdict's own rule on simulated sandbox calls (`python bench/calibration.py --plan`).

No HTTP: each simulated call is the sandbox's own draw (`sandbox.simulation.plan_call` with a seed per call, the
effective settings of notebook 02's variants), so ended calls, failures and costs follow the sandbox exactly.
The verdict's rule (`verdict.separation`) applied to those calls gives the true probability of naming the
cheapest variant at each number of calls per variant; the smallest number reaching 80 % is the truth plan()
must land within ±25 % of.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from decimal import Decimal

import numpy as np
from _common import BASELINE, variants

from convoi_nb.models import AgentOverrides
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT
from convoi_nb.sandbox.simulation import expected_outcome, merge_settings, plan_call
from convoi_nb.stats.naming import answer_range, calls_to_name_best
from convoi_nb.stats.primitives import NAN, Interval
from convoi_nb.stats.summary import MetricSummary, VariantSummary
from convoi_nb.stats.verdict import calls_needed, pilot_truth, separation

PROBABILITY = 0.8
NO_INTERVAL = Interval(NAN, NAN)


def settings_of_notebook_02() -> dict[str, dict[str, object]]:
    """Notebook 02's five variants (no copy of the baseline), as the sandbox's effective settings."""
    agent = DEFAULT_ACCOUNT.agents[0].to_json()
    chosen = [v for v in variants() if not v.name.endswith("(copy)")]
    return {v.name: merge_settings(agent, AgentOverrides.model_validate(dict(v.body)).to_body()) for v in chosen}


def summary_of(name: str, settings: dict[str, object], calls: int, seed: int) -> VariantSummary:
    """A variant's summary over `calls` simulated calls (only what the verdict's rule reads is filled in)."""
    plans = [plan_call(seed * 1_000_003 + i, settings) for i in range(calls)]
    ended = [p for p in plans if p.outcome == "ended"]
    cost = np.array([round(p.rate_per_minute * p.talk_seconds / 60.0, 6) for p in ended])
    duration = np.array([round(p.talk_seconds, 3) for p in ended])

    def metric(values: np.ndarray) -> MetricSummary:
        sd = float(values.std(ddof=1)) if len(values) > 1 else NAN
        mean = float(values.mean()) if len(values) else NAN
        return MetricSummary(values, mean, NO_INTERVAL, sd, NAN, NO_INTERVAL, NAN)

    failed = sum(p.outcome == "failed" for p in plans)
    return VariantSummary(
        name=name,
        n=calls,
        ended=len(ended),
        failed=failed,
        expired=calls - len(ended) - failed,
        create_errors=0,
        pending=0,
        currency="USD",
        spend=Decimal(0),  # not read by the verdict's rule
        created=calls,
        metrics={"cost": metric(cost), "duration": metric(duration)},
        cost_per_minute=NAN,
    )


def experiments(calls: int, runs: int, offset: int) -> list[dict[str, VariantSummary]]:
    """`runs` simulated experiments of `calls` calls per variant."""
    chosen = settings_of_notebook_02()
    return [
        {name: summary_of(name, s, calls, offset + run * 101 + i) for i, (name, s) in enumerate(chosen.items())}
        for run in range(runs)
    ]


def naming_rate(calls: int, runs: int, cheapest: str) -> float:
    """How often the verdict's rule names `cheapest` with `calls` per variant."""
    named = 0
    for summaries in experiments(calls, runs, offset=calls * 7_919):
        ranked, worst = separation(summaries, "cost")
        named += bool(ranked and ranked[0] == cheapest and worst < 0.05)
    return named / runs


def quantiles(values: Sequence[float]) -> str:
    """p10 / median / p90 / max of finite values, and how many were infinite."""
    finite = np.array([v for v in values if math.isfinite(v)])
    infinite = len(values) - len(finite)
    if not len(finite):
        return f"all {infinite} infinite"
    p10, p50, p90 = np.percentile(finite, [10, 50, 90])
    return f"p10 {p10:.0f}, median {p50:.0f}, p90 {p90:.0f}, max {finite.max():.0f} ({infinite} of {len(values)} inf)"


def check_plan(*, quick: bool = False) -> None:
    """Print the truth, plan()'s answer at the truth, and the spread of answers from pilots and 8-call runs."""
    chosen = settings_of_notebook_02()
    truth = {name: expected_outcome(s) for name, s in chosen.items()}
    cheapest = min(truth, key=lambda n: truth[n].mean_cost)
    runs = 60 if quick else 600
    started = time.perf_counter()
    print(f"notebook 02's five variants; cheapest {cheapest}; baseline {BASELINE}; {runs} runs per count")
    rates = {}
    for calls in (8, 20, 30, 35, 40, 45, 50, 60) if not quick else (8, 45):
        rates[calls] = naming_rate(calls, runs, cheapest)
        error = math.sqrt(rates[calls] * (1 - rates[calls]) / runs)
        print(
            f"  verdict's rule on simulated calls, {calls:>2} per variant: names the cheapest {rates[calls]:.3f} "
            f"(SE {error:.3f})",
            flush=True,
        )
    true_n = min((c for c, r in rates.items() if r >= PROBABILITY), default=math.inf)
    # plan()'s computation at the true means and spreads (cost: a log-normal factor exp(N(0, 0.2²)), so
    # sd = mean · √(e^0.04 − 1)), and the true share of ended calls
    means = [truth[n].mean_cost for n in chosen]
    spread = math.sqrt(math.exp(0.2**2) - 1)
    planned = calls_to_name_best(
        means, [m * spread for m in means], probability=PROBABILITY, end_rate=truth[cheapest].end_probability
    )
    print(
        f"smallest count reaching {PROBABILITY:.0%} on the grid: {true_n}; plan() at the truth: {planned:.0f} "
        f"({planned / true_n - 1:+.0%})"
        if math.isfinite(true_n)
        else "80 % not reached on the grid"
    )
    pilots = 40 if quick else 300
    for calls, what in ((3, "plan() from {} 3-call pilots"), (8, "the verdict's 'about N calls' after {} 8-call runs")):
        answers, held = [], 0
        for s in experiments(calls, pilots, offset=555_555 + calls):
            if calls == 8 and separation(s, "cost")[1] < 0.05:
                continue  # a winner named: the verdict gives no advice
            needed = calls_needed(s, "cost", probability=PROBABILITY, level=0.95)
            means, counts, spread, _ = pilot_truth(s, "cost")
            low, high = answer_range(needed, means, counts, spread)
            answers.append(needed)
            held += low <= true_n <= high
        print(f"{what.format(pilots)}: {quantiles(answers)}; its 80 % range held the truth {held / len(answers):.3f}")
    print(f"({time.perf_counter() - started:.0f} s)")
