"""Each variant against a baseline, on each metric.

Every interval of a comparison is at Bonferroni's level over the variants compared (`family_level`: 98.75 % each
for four comparisons at 95 %, so all of them hold together with at least 95 %): Welch's interval of the
difference of the means, and Fieller's interval of the relative change, which excludes 0 exactly when Welch's
does. "Significant" means that interval excludes 0, which is Bonferroni's adjusted p-value below 1 − level: the
words, the p-value and every interval printed beside them come from this one computation.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .columns import METRICS
from .primitives import NAN, Difference, Interval, difference, family_level, relative_change
from .summary import VariantSummary


@dataclass(frozen=True)
class Comparison:
    """One variant against the baseline on one metric.

    Attributes:
        variant: The variant compared.
        baseline: The baseline.
        metric: "cost" or "duration".
        difference: Welch's difference of the means (variant − baseline), its interval at `interval_level`
            and its raw p-value.
        p_adjusted: The p-value after Bonferroni's adjustment over the variants compared.
        significant: Whether the intervals exclude 0 (the adjusted p-value is below 1 − level).
        delta_pct: The change of the mean in percent of the baseline's mean.
        delta_pct_ci: Fieller's interval of that change at `interval_level`, in percent; (−inf, inf) when the
            baseline's mean is not separated from 0.
        interval_level: The level of both intervals: Bonferroni's, 1 − (1 − level) / variants compared.
    """

    variant: str
    baseline: str
    metric: str
    difference: Difference
    p_adjusted: float
    significant: bool
    delta_pct: float
    delta_pct_ci: Interval
    interval_level: float

    @property
    def direction(self) -> str:
        """The direction of a significant change, "more" or "less" (the interval's side of 0); "" otherwise.

        Returns:
            The direction.
        """
        if not self.significant:
            return ""
        return "more" if self.difference.low > 0 else "less"


def _excludes_zero(interval: Difference) -> bool:
    return bool(interval.low > 0 or interval.high < 0)  # NaN ends compare False: not significant


def compare_variants(
    summaries: Mapping[str, VariantSummary], baseline: str, *, level: float = 0.95
) -> dict[str, dict[str, Comparison]]:
    """Every other variant against `baseline`, for each metric, at Bonferroni's level over them.

    Args:
        summaries: Variant name → summary (their ended calls' values are compared).
        baseline: The variant the others are compared with.
        level: The level for all comparisons together; each interval is at `family_level(level, compared)`.

    Returns:
        Variant → metric → comparison, for each variant but the baseline, in order.
    """
    others = [v for v in summaries if v != baseline]
    each = family_level(level, len(others))
    out: dict[str, dict[str, Comparison]] = {v: {} for v in others}
    for label, _ in METRICS:
        base = summaries[baseline].metrics[label].values
        base_mean = float(base.mean()) if len(base) else NAN
        for variant in others:
            values = summaries[variant].metrics[label].values
            d = difference(values, base, each)
            relative = relative_change(values, base, each)
            out[variant][label] = Comparison(
                variant=variant,
                baseline=baseline,
                metric=label,
                difference=d,
                p_adjusted=min(d.p_value * len(others), 1.0),
                # Fieller's interval excludes 0 exactly when Welch's does: one decision for the words and both
                significant=_excludes_zero(d),
                delta_pct=100 * d.delta / base_mean if base_mean else NAN,
                delta_pct_ci=Interval(100 * relative.low, 100 * relative.high),
                interval_level=each,
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
                    f"{label}_ci_level": c.interval_level,
                }
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant") if rows else pd.DataFrame()
