"""How many calls per variant an experiment needs, and what that many calls would cost.

The question answered by default: how many calls per variant make the verdict name the cheapest (or
shortest-call) variant with probability p, for the verdict's own rule (`verdict.calls_needed`, a simulation of
`verdict.find`). The older question, calls to detect a relative difference `detect` with a t-test's power, is
answered when `detect` is given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from ..errors import ValidationError
from ..money import to_decimal
from .columns import METRICS
from .naming import answer_range
from .primitives import check_probability, replicates_to_separate
from .summary import VariantSummary
from .verdict import calls_needed, pilot_truth

LABELS = tuple(label for label, _ in METRICS)


def _detect(
    summaries: Mapping[str, VariantSummary], label: str, detect: float, power: float, level: float
) -> dict[str, float]:
    alpha = (1 - level) / max(1, len(summaries) - 1)
    return {
        variant: replicates_to_separate(
            s.metrics[label].mean,
            s.metrics[label].sd,
            s.metrics[label].mean * (1 + detect),
            s.metrics[label].sd,
            alpha=alpha,
            power=power,
        )
        for variant, s in summaries.items()
    }


def check_plan_arguments(probability: float, metric: str, detect: float | None, power: float) -> None:
    """Check `plan()`'s arguments (before a pilot spends anything).

    Args:
        probability: The probability of naming the best variant.
        metric: "cost" or "duration".
        detect: None, or a relative difference strictly between 0 and 1.
        power: The power that goes with `detect`.

    Raises:
        ValidationError: `metric` is not "cost" or "duration", or a probability is not strictly between 0 and 1.
    """
    if metric not in LABELS:
        raise ValidationError.of_field("argument", "metric", f"must be one of {', '.join(LABELS)}, got {metric!r}")
    check_probability("probability", probability)
    check_probability("power", power)
    if detect is not None:
        check_probability("detect (a relative difference)", detect)


def plan_replicates(
    summaries: Mapping[str, VariantSummary],
    *,
    probability: float = 0.8,
    metric: str = "cost",
    detect: float | None = None,
    power: float = 0.8,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Calls per variant for the verdict to name the cheapest (shortest-call) variant with `probability`.

    From the means seen, a spread proportional to each mean (pooled over the variants) and the share of calls
    that ended, taken as the truth. A pilot of a few calls knows the gap between the two best variants poorly,
    and the answer grows with one over that gap squared: on notebook 02's set (truth: about 45 calls per variant
    at 80 %) repeated 3-call pilots put it anywhere from under 10 to several hundred (`bench/calibration.py
    --plan`). `replicates_low`/`replicates_high` show that uncertainty for this pilot; plan again once the first
    calls are in: the answer firms up as calls accumulate.

    Args:
        summaries: Variant name → summary (of a pilot, typically).
        probability: The probability that the verdict names the best variant.
        metric: Which answer fills `replicates`: "cost" (the cheapest) or "duration" (the shortest calls).
        detect: Instead, the relative difference in mean (e.g. 0.10) each variant's t-test should detect, with
            the level split over the variants (Bonferroni); None for the question above.
        power: With `detect`: the probability of detecting it.
        level: The verdict's confidence level.
        seed: The seed of the simulation.

    Returns:
        One row per variant: `pilot_calls`, means and spreads, `replicates_for_cost`,
        `replicates_for_duration`, `replicates` (the one for `metric`, calls per variant in all, the pilot's
        included), `replicates_low`/`replicates_high` (the answer with the gap between the two best variants at
        either end of its 80 % interval; NaN with `detect`), `estimated_cost` (Decimal: that many calls at the
        variant's cost per call) and `currency`; `.attrs` holds `total_estimated_cost`, `question` (in words),
        `probability`, `metric`.

    Raises:
        ValidationError: `metric` is not "cost" or "duration", or a probability is not strictly between 0 and 1.
    """
    check_plan_arguments(probability, metric, detect, power)
    span = (math.nan, math.nan)
    if detect is None:
        needed = {
            label: dict.fromkeys(
                summaries, calls_needed(summaries, label, probability=probability, level=level, seed=seed)
            )
            for label in LABELS
        }
        means, counts, spread, _ = pilot_truth(summaries, metric)
        span = answer_range(needed[metric][next(iter(summaries))], means, counts, spread) if summaries else span
        best = "cheapest" if metric == "cost" else "shortest-call"
        question = f"calls per variant for the verdict to name the {best} variant with {probability:.0%} probability"
    else:
        needed = {label: _detect(summaries, label, detect, power, level) for label in LABELS}
        question = f"calls per variant to detect a {detect:.0%} difference with {power:.0%} power"
    rows = []
    for variant, summary in summaries.items():
        replicates = needed[metric][variant] if detect is None else max(needed[label][variant] for label in LABELS)
        per_call = summary.cost_per_attempt
        cost = (
            to_decimal(per_call) * int(replicates)
            if math.isfinite(replicates) and math.isfinite(per_call)
            else Decimal("NaN")
        )
        rows.append(
            {
                "variant": variant,
                "pilot_calls": summary.ended,
                "cost_mean": summary.metrics["cost"].mean,
                "cost_sd": summary.metrics["cost"].sd,
                "duration_mean": summary.metrics["duration"].mean,
                "duration_sd": summary.metrics["duration"].sd,
                "replicates_for_cost": needed["cost"][variant],
                "replicates_for_duration": needed["duration"][variant],
                "replicates": replicates,
                "replicates_low": span[0],
                "replicates_high": span[1],
                "estimated_cost": cost.quantize(Decimal("0.01")) if cost.is_finite() else cost,
                "currency": summary.currency,
            }
        )
    plan = pd.DataFrame(rows).set_index("variant")
    plan.attrs.update(
        total_estimated_cost=sum((c for c in plan["estimated_cost"] if c.is_finite()), Decimal(0)),
        question=question,
        probability=probability if detect is None else power,
        metric=metric,
    )
    return plan
