"""Variant summaries straight from arrays of values, for the statistics' tests (no results frame, no bootstrap)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import numpy as np

from convoi_nb.stats.primitives import NAN, Interval
from convoi_nb.stats.summary import MetricSummary, VariantSummary


def metric(values: np.ndarray) -> MetricSummary:
    """A metric's summary over `values` (the intervals of the mean and median left out: the rules read neither)."""
    values = np.asarray(values, dtype=float)
    return MetricSummary(
        values,
        float(values.mean()),
        Interval(NAN, NAN),
        float(values.std(ddof=1)) if len(values) > 1 else NAN,
        float(np.median(values)),
        Interval(NAN, NAN),
        float(np.percentile(values, 95)),
    )


def summaries(costs: Mapping[str, np.ndarray], *, failed: int = 0) -> dict[str, VariantSummary]:
    """Per variant, a summary whose cost values are `costs[name]` and whose call lengths are 600 × those."""
    return {
        name: VariantSummary(
            name=name,
            n=len(values) + failed,
            ended=len(values),
            failed=failed,
            expired=0,
            create_errors=0,
            pending=0,
            currency="USD",
            spend=Decimal(0),
            created=len(values) + failed,
            metrics={"cost": metric(values), "duration": metric(600 * np.asarray(values))},
            cost_per_minute=NAN,
        )
        for name, values in costs.items()
    }
