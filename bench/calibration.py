"""Do the experiments' intervals keep their promise? Checked against the sandbox, whose true means are known.

Runs many seeded experiments with notebook 02's five variants plus an exact copy of the baseline (a pair whose
true difference is zero), on sandboxes with a manual clock, through Experiment.run → wait → summary/compare,
and prints per size:

- how often summary()'s 95 % intervals of mean cost and mean duration cover the truth (pooled over variants);
- how often compare()'s intervals of the difference against the baseline cover the true difference (they are
  at Bonferroni's level over the 5 comparisons, 99 % each);
- how often compare()'s intervals of the % change (Fieller, at the same level) cover the true % change, and how
  often Fieller's interval at a plain 95 % does;
- how often compare() calls the identical pair significantly different;
- how often verdict() names a cheapest or shortest-call variant that is not the true one.

Each rate is printed with its count and standard error. The truth is `Sandbox.expected_outcome()`, analytic
from the simulation (checked against 40,000 simulated calls in tests/sandbox/test_simulation.py).

`--plan` checks plan() instead, without HTTP: the verdict's own rule (`verdict.separation`) applied to raw
simulated sandbox calls (`sandbox.simulation.plan_call`, the sandbox's own draws) gives the true probability of
naming the cheapest at each number of calls per variant; plan()'s simulation at the true means and spreads
must land within ±25 % of the calls that reach 80 %; then repeated 3-call pilots show how far apart plan()'s
answers from a pilot fall, and repeated 8-call runs show the verdict's "about N calls" advice.

    python bench/calibration.py                  # 300 experiments at 3, 5, 8 and 20 replicates (a long run)
    python bench/calibration.py --quick          # 3 experiments of 5 replicates: a smoke run
    python bench/calibration.py --plan           # plan() against the verdict rule on simulated calls
"""

from __future__ import annotations

import argparse
import math
import time
from collections import defaultdict
from typing import Any

from _common import AGENT, BASELINE, COPY, variants

from convoi_nb import ConvoiClient, RetryPolicy
from convoi_nb.experiments import Experiment
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings
from convoi_nb.stats.primitives import relative_change


def one_experiment(index: int, replicates: int, counts: dict[str, list[int]]) -> None:
    clock = ManualClock()
    with Sandbox(SandboxSettings(clock=clock, seed=index)) as sandbox:
        truth = {v.name: sandbox.expected_outcome(AGENT, v.body) for v in variants()}
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, retry=RetryPolicy(max_retries=0)) as client:
            experiment = Experiment(f"calibration-{index}", AGENT, variants(), replicates, store=":memory:")
            results = experiment.run(client, concurrency=32, progress=False)
            clock.advance(3600)  # every call has reached its end
            results.wait(timeout=60, progress=False, poll_interval=0.001)
            summary, comparison = results.summary(), results.compare(baseline=BASELINE)
            verdict = results.verdict(baseline=BASELINE)
            ended = results.frame().query("status == 'ended' and kind == 'replicate'")
    for name, row in summary.iterrows():
        for label, true in (("cost", truth[name].mean_cost), ("duration", truth[name].mean_duration)):
            if row["ended"] >= 2:
                counts[f"{label} mean"].append(int(row[f"{label}_ci_low"] <= true <= row[f"{label}_ci_high"]))
    for name, row in comparison.iterrows():
        for label, attribute in (("cost", "mean_cost"), ("duration", "mean_duration")):
            true = getattr(truth[name], attribute) - getattr(truth[BASELINE], attribute)
            if row[f"{label}_delta"] == row[f"{label}_delta"]:  # not NaN
                counts[f"{label} delta"].append(
                    int(row[f"{label}_delta_ci_low"] <= true <= row[f"{label}_delta_ci_high"])
                )
    for name, row in comparison.iterrows():
        for label, attribute, column in (
            ("cost", "mean_cost", "cost_amount"),
            ("duration", "mean_duration", "duration_seconds"),
        ):
            true = 100 * (getattr(truth[name], attribute) / getattr(truth[BASELINE], attribute) - 1)
            low, high = row[f"{label}_delta_pct_ci_low"], row[f"{label}_delta_pct_ci_high"]
            if low == low:  # not NaN
                counts[f"{label} % change, printed"].append(int(low <= true <= high))
                counts[f"{label} % change, printed, unbounded"].append(int(math.isinf(low)))
            values = [ended.loc[ended["variant"] == v, column].to_numpy(dtype=float) for v in (name, BASELINE)]
            plain = relative_change(*values, level=0.95)
            if plain.low == plain.low:
                counts[f"{label} % change, Fieller 95%"].append(int(100 * plain.low <= true <= 100 * plain.high))
    counts["identical pair called different"].append(int(comparison.loc[COPY, "cost_significant"]))
    cheapest_truth = min(truth, key=lambda n: truth[n].mean_cost)
    shortest_truth = min(truth, key=lambda n: truth[n].mean_duration)
    for label, true_best in (("cost", cheapest_truth), ("duration", shortest_truth)):
        winner = verdict.finding(label).winner
        counts[f"{label} winner named"].append(int(winner is not None))
        # the copy and the baseline are the same arm: naming either is right
        same = {BASELINE, COPY} if true_best in (BASELINE, COPY) else {true_best}
        counts[f"{label} winner wrong"].append(int(winner is not None and winner not in same))


def show(title: str, counts: dict[str, list[int]], started: float) -> None:
    """Print each rate with its count and standard error."""
    print(f"{title} ({time.perf_counter() - started:.0f} s):", flush=True)
    for key, values in counts.items():
        rate = sum(values) / len(values)
        error = math.sqrt(rate * (1 - rate) / len(values))
        print(f"  {key:<40} {rate:.3f}  (n = {len(values)}, SE {error:.3f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", type=int, default=300)
    parser.add_argument("--sizes", default="3,5,8,20")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 experiments of 5 replicates")
    parser.add_argument("--plan", action="store_true", help="check plan() against the verdict's rule instead")
    args = parser.parse_args()
    if args.plan:
        from calibration_plan import check_plan  # numpy-heavy: loaded only for --plan

        check_plan(quick=args.quick)
        return
    experiments = 3 if args.quick else args.experiments
    if args.quick:
        args.sizes = "5"
    print(
        f"{experiments} experiments per size, 6 variants (notebook 02's five and a copy of the baseline); "
        "target: coverage >= 0.93, identical pair called different <= 0.06"
    )
    rows: list[dict[str, Any]] = []
    for size in (int(s) for s in args.sizes.split(",")):
        counts: dict[str, list[int]] = defaultdict(list)
        started = time.perf_counter()
        for index in range(experiments):
            one_experiment(size * 100_000 + index, size, counts)
            if (index + 1) % 50 == 0 and index + 1 < experiments:  # a partial table, for long runs
                show(f"replicates {size:>2}, {index + 1} experiments so far", counts, started)
        rows.append({"replicates": size, **{key: sum(v) / len(v) for key, v in counts.items()}})
        show(f"replicates {size:>2}, {experiments} experiments", counts, started)
    covered = ("cost mean", "duration mean", "cost delta", "duration delta")
    covered += tuple(f"{m} % change, {k}" for m in ("cost", "duration") for k in ("printed", "Fieller 95%"))
    failed = [(r["replicates"], k) for r in rows for k in covered if r.get(k, 1.0) < 0.93] + [
        (r["replicates"], "identical pair") for r in rows if r["identical pair called different"] > 0.06
    ]
    print("all targets met" if not failed else f"targets missed: {failed}")


if __name__ == "__main__":
    main()
