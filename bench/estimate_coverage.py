"""Does `Experiment.estimate()` keep its promise? Its 90 % interval for what the rest of a run will cost should
contain the realised total about 90 % of the time.

Each seeded experiment (notebook 02's variants plus a copy of the baseline, on a sandbox with a manual clock):
run a pilot of `--pilot` replicates per variant and let it end, `estimate()` the remaining cells, run them, let
them end, and check whether the estimate's intervals contain the realised total cost (exact, Decimal) and the
realised total call time. Prints the share of experiments covered.

    python bench/estimate_coverage.py                   # 50 experiments, 10 replicates, pilot 2 (about a minute)
    python bench/estimate_coverage.py --experiments 300 # the same at a size where 90 % is told from 85 %
    python bench/estimate_coverage.py --quick           # 3 experiments: a smoke run
"""

from __future__ import annotations

import argparse
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from _common import AGENT
from calibration import variants

from convoi_nb import ConvoiClient, RetryPolicy
from convoi_nb.experiments import Experiment
from convoi_nb.money import to_decimal
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings


def one_experiment(index: int, replicates: int, pilot: int, level: float, folder: Path) -> tuple[bool, bool, float]:
    """(cost covered, call time covered, realised cost / estimated cost) of one seeded experiment."""
    clock = ManualClock()
    store = folder / f"estimate-{index}.sqlite3"
    with (
        Sandbox(SandboxSettings(clock=clock, seed=index)) as sandbox,
        ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, retry=RetryPolicy(max_retries=0)) as client,
    ):
        name = f"estimate-{index}"
        Experiment(name, AGENT, variants(), pilot, store=store).run(client, concurrency=32, progress=False)
        clock.advance(3600)
        experiment = Experiment(name, AGENT, variants(), replicates, store=store)
        experiment.results(client).wait(timeout=60, progress=False, poll_interval=0.001)
        estimate = experiment.estimate(client, pilot=pilot, level=level)
        assert estimate.to_create == len(variants()) * (replicates - pilot), "the pilot should have been reused"
        results = experiment.run(client, concurrency=32, progress=False)
        clock.advance(3600)
        frame = results.wait(timeout=60, progress=False, poll_interval=0.001).frame()
    rest = frame[frame["replicate"] >= pilot]
    cost = sum((to_decimal(a) for a in rest["cost_amount"]), Decimal(0))
    seconds = float(rest["duration_seconds"].sum())
    covered_cost = to_decimal(estimate.cost.low) <= cost <= to_decimal(estimate.cost.high)
    covered_time = estimate.call_seconds.low <= seconds <= estimate.call_seconds.high
    return covered_cost, covered_time, float(cost) / estimate.cost.estimate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiments", type=int, default=50)
    parser.add_argument("--replicates", type=int, default=10)
    parser.add_argument("--pilot", type=int, default=2)
    parser.add_argument("--level", type=float, default=0.90)
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 experiments")
    args = parser.parse_args()
    experiments = 3 if args.quick else args.experiments
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        outcomes = [
            one_experiment(index, args.replicates, args.pilot, args.level, Path(folder)) for index in range(experiments)
        ]
    cost = sum(o[0] for o in outcomes) / experiments
    talk = sum(o[1] for o in outcomes) / experiments
    ratios = sorted(o[2] for o in outcomes)
    print(
        f"{experiments} experiments, {len(variants())} variants × {args.replicates} replicates, pilot {args.pilot}: "
        f"the {args.level:.0%} estimate contains the realised total cost in {cost:.2f} of them, the realised "
        f"call time in {talk:.2f}; realised/estimated cost median {ratios[len(ratios) // 2]:.2f} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    print("target met (>= 0.90)" if cost >= 0.90 else "target missed: cost coverage below 0.90")


if __name__ == "__main__":
    main()
