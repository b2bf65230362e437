"""How many calls per variant would detect a given relative difference, and what that many calls would cost."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal

import pandas as pd

from ..money import to_decimal
from .columns import METRICS
from .primitives import check_probability, replicates_to_separate
from .summary import VariantSummary


def plan_replicates(
    summaries: Mapping[str, VariantSummary], *, detect: float = 0.10, power: float = 0.8, level: float = 0.95
) -> pd.DataFrame:
    """Calls per variant to detect a relative difference `detect` in mean cost and in mean duration.

    At the spread seen so far, with the significance level split over the variants compared (Bonferroni).

    Args:
        summaries: Variant name → summary (of a pilot, typically).
        detect: The relative difference to detect, e.g. 0.10 for 10 %.
        power: The probability of detecting it.
        level: The confidence level.

    Returns:
        One row per variant: `pilot_calls`, means and spreads, `replicates_for_cost`,
        `replicates_for_duration`, `replicates` (the larger), `estimated_cost` (Decimal: that many calls at
        the variant's cost per call) and `currency`; `.attrs["total_estimated_cost"]` adds up the variants.
    """
    check_probability("detect (a relative difference)", detect)
    check_probability("power", power)
    alpha = (1 - level) / max(1, len(summaries) - 1)
    rows = []
    for variant, summary in summaries.items():
        needed = {
            label: replicates_to_separate(
                summary.metrics[label].mean,
                summary.metrics[label].sd,
                summary.metrics[label].mean * (1 + detect),
                summary.metrics[label].sd,
                alpha=alpha,
                power=power,
            )
            for label, _ in METRICS
        }
        replicates = max(needed.values())
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
                "replicates_for_cost": needed["cost"],
                "replicates_for_duration": needed["duration"],
                "replicates": replicates,
                "estimated_cost": cost.quantize(Decimal("0.01")) if cost.is_finite() else cost,
                "currency": summary.currency,
            }
        )
    plan = pd.DataFrame(rows).set_index("variant")
    plan.attrs["total_estimated_cost"] = sum((c for c in plan["estimated_cost"] if c.is_finite()), Decimal(0))
    return plan
