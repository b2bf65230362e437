"""Each variant against a baseline, on each metric.

Welch differences of the means, Holm-adjusted over the variants compared, and the relative change with a seeded
BCa bootstrap interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .columns import METRICS
from .primitives import NAN, Difference, Interval, bootstrap_interval, difference, holm
from .summary import VariantSummary


def _mean_ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> Any:
    return np.mean(a, axis=axis) / np.mean(b, axis=axis) - 1.0


@dataclass(frozen=True)
class Comparison:
    """One variant against the baseline on one metric.

    Attributes:
        variant: The variant compared.
        baseline: The baseline.
        metric: "cost" or "duration".
        difference: Welch's difference of the means (variant − baseline), its interval and raw p-value.
        p_adjusted: The p-value after Holm's adjustment over the variants compared.
        significant: Whether the adjusted p-value is below 1 − level.
        delta_pct: The change of the mean in percent of the baseline's mean.
        delta_pct_ci: A BCa bootstrap interval of that change, in percent.
    """

    variant: str
    baseline: str
    metric: str
    difference: Difference
    p_adjusted: float
    significant: bool
    delta_pct: float
    delta_pct_ci: Interval


def compare_variants(
    summaries: Mapping[str, VariantSummary], baseline: str, *, level: float = 0.95, seed: int = 0
) -> dict[str, dict[str, Comparison]]:
    """Every other variant against `baseline`, for each metric.

    Args:
        summaries: Variant name → summary (their ended calls' values are compared).
        baseline: The variant the others are compared with.
        level: The confidence level of the intervals; "significant" means adjusted p below 1 − level.
        seed: The seed of the bootstraps.

    Returns:
        Variant → metric → comparison, for each variant but the baseline, in order.
    """
    others = [v for v in summaries if v != baseline]
    out: dict[str, dict[str, Comparison]] = {v: {} for v in others}
    for label, _ in METRICS:
        base = summaries[baseline].metrics[label].values
        diffs = {v: difference(summaries[v].metrics[label].values, base, level) for v in others}
        adjusted = dict(zip(others, holm([diffs[v].p_value for v in others]), strict=False))
        base_mean = float(base.mean()) if len(base) else NAN
        for variant in others:
            d = diffs[variant]
            relative = bootstrap_interval([summaries[variant].metrics[label].values, base], _mean_ratio, level, seed)
            out[variant][label] = Comparison(
                variant=variant,
                baseline=baseline,
                metric=label,
                difference=d,
                p_adjusted=adjusted[variant],
                significant=bool(adjusted[variant] < 1 - level),
                delta_pct=100 * d.delta / base_mean if base_mean else NAN,
                delta_pct_ci=Interval(100 * relative.low, 100 * relative.high),
            )
    return out


def comparison_frame(comparisons: Mapping[str, Mapping[str, Comparison]], baseline: str) -> pd.DataFrame:
    """The comparisons as `compare()`'s frame: one row per variant other than the baseline.

    Args:
        comparisons: Variant → metric → comparison.
        baseline: The baseline's name.

    Returns:
        The frame, indexed by variant (empty with a single variant).
    """
    rows = []
    for variant, metrics in comparisons.items():
        row: dict[str, Any] = {"variant": variant, "baseline": baseline}
        for label, _ in METRICS:
            c = metrics[label]
            row.update(
                {
                    f"{label}_delta": c.difference.delta,
                    f"{label}_delta_ci_low": c.difference.low,
                    f"{label}_delta_ci_high": c.difference.high,
                    f"{label}_p_value": c.difference.p_value,
                    f"{label}_p_adjusted": c.p_adjusted,
                    f"{label}_significant": c.significant,
                    f"{label}_delta_pct": c.delta_pct,
                    f"{label}_delta_pct_ci_low": c.delta_pct_ci.low,
                    f"{label}_delta_pct_ci_high": c.delta_pct_ci.high,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant") if rows else pd.DataFrame()
