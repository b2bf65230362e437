"""Per variant, what its calls say: outcomes counted, money totalled exactly, and each metric's statistics.

The statistics of a metric are those of the variant's calls that *ended* (failed and expired calls are counted,
never averaged in), kept as small immutable dataclasses with the values they came from, in the order the calls
were recorded, so comparisons (and, later, sequential looks) read the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..money import total
from .columns import METRICS, billed
from .primitives import NAN, TOO_FEW, Interval, bootstrap_interval, mean_interval

LOST_ANSWERS = "spend_total may miss calls whose create answer was lost: run() again to find them on the server"


def _median(values: np.ndarray, axis: int = -1) -> Any:
    return np.median(values, axis=axis)


@dataclass(frozen=True)
class MetricSummary:
    """One metric over one variant's ended calls.

    Attributes:
        values: The values, in the order the calls were recorded (read-only).
        mean: Their mean (NaN without values).
        ci: The Student-t interval of the mean.
        sd: The standard deviation (NaN with fewer than 2 values).
        median: The median.
        median_ci: A seeded BCa bootstrap interval of the median.
        p95: The 95th percentile (no interval: too few calls for one).
    """

    values: np.ndarray = field(repr=False, compare=False)
    mean: float
    ci: Interval
    sd: float
    median: float
    median_ci: Interval
    p95: float

    @property
    def n(self) -> int:
        """How many values."""
        return len(self.values)

    @classmethod
    def of(cls, values: np.ndarray, level: float, seed: int) -> MetricSummary:
        """Summarise `values`.

        Args:
            values: The metric's values over the ended calls.
            level: The confidence level of the intervals.
            seed: The seed of the bootstrap.

        Returns:
            The summary.
        """
        values = np.array(values, dtype=float)
        values.setflags(write=False)
        present = len(values) > 0
        return cls(
            values,
            float(values.mean()) if present else NAN,
            mean_interval(values, level),
            float(values.std(ddof=1)) if len(values) > 1 else NAN,
            float(np.median(values)) if present else NAN,
            bootstrap_interval([values], _median, level, seed),
            float(np.percentile(values, 95)) if present else NAN,
        )


@dataclass(frozen=True)
class VariantSummary:
    """What one variant's calls say.

    Attributes:
        name: The variant.
        n: Its cells (rows of the results frame).
        ended: Calls that ended.
        failed: Calls that failed.
        expired: Calls that expired (nobody joined).
        create_errors: Cells whose create failed.
        pending: Calls still running.
        currency: The currency of its calls.
        spend: What every billed call was billed (ended, failed or running), exact.
        created: Calls created.
        metrics: The statistics of each metric ("cost", "duration") over the ended calls.
        cost_per_minute: Cost of the ended calls per minute of their length.
    """

    name: str
    n: int
    ended: int
    failed: int
    expired: int
    create_errors: int
    pending: int
    currency: str
    spend: Decimal
    created: int
    metrics: Mapping[str, MetricSummary]
    cost_per_minute: float

    @property
    def failure_rate(self) -> float:
        """The share of cells that did not end well (failed, expired, or never created)."""
        return (self.failed + self.expired + self.create_errors) / self.n if self.n else NAN

    @property
    def cost_per_attempt(self) -> float:
        """Spend per call created."""
        return float(self.spend) / self.created if self.created else NAN

    @property
    def note(self) -> str:
        """Why statistics are missing or spend may be short ("" when neither)."""
        notes = [TOO_FEW if self.ended < 2 else "", LOST_ANSWERS if self.create_errors else ""]
        return "; ".join(n for n in notes if n)

    def row(self) -> dict[str, Any]:
        """The variant's row of `summary()`.

        Returns:
            Column name → value, in the summary's column order.
        """
        record: dict[str, Any] = {
            "variant": self.name,
            "n": self.n,
            "ended": self.ended,
            "failed": self.failed,
            "expired": self.expired,
            "create_errors": self.create_errors,
            "pending": self.pending,
            "failure_rate": self.failure_rate,
            "currency": self.currency,
        }
        for label, _ in METRICS:
            metric = self.metrics[label]
            record.update(
                {
                    f"{label}_mean": metric.mean,
                    f"{label}_ci_low": metric.ci.low,
                    f"{label}_ci_high": metric.ci.high,
                    f"{label}_sd": metric.sd,
                    f"{label}_median": metric.median,
                    f"{label}_median_ci_low": metric.median_ci.low,
                    f"{label}_median_ci_high": metric.median_ci.high,
                    f"{label}_p95": metric.p95,
                }
            )
        record.update(
            {
                "cost_per_minute": self.cost_per_minute,
                "spend_total": self.spend,
                "cost_per_attempt": self.cost_per_attempt,
                "note": self.note,
            }
        )
        return record


def summarize_variant(rows: pd.DataFrame, name: str, *, level: float, seed: int) -> VariantSummary:
    """Summarise one variant's rows of a results frame.

    Args:
        rows: The variant's rows (design cells only).
        name: The variant.
        level: The confidence level of the intervals.
        seed: The seed of the bootstraps.

    Returns:
        The variant's summary.
    """
    ended = rows[rows["status"] == "ended"]
    created = rows[rows["id"].notna()]
    spend = billed(created)
    minutes = ended["duration_seconds"].sum() / 60
    ended_cost = total((a, spend.currency) for a in ended["cost_amount"] if not pd.isna(a))
    return VariantSummary(
        name=name,
        n=len(rows),
        ended=len(ended),
        failed=int((rows["status"] == "failed").sum()),
        expired=int((rows["status"] == "expired").sum()),
        create_errors=int(rows["create_error"].notna().sum()),
        pending=int(rows["status"].isin(["initiated", "in_progress"]).sum()),
        currency=spend.currency,
        spend=spend.amount,
        created=len(created),
        metrics={
            label: MetricSummary.of(ended[column].to_numpy(dtype=float), level, seed) for label, column in METRICS
        },
        cost_per_minute=float(ended_cost.amount) / minutes if minutes else NAN,
    )


def summarize_variants(
    frame: pd.DataFrame, variants: Sequence[str], *, level: float = 0.95, seed: int = 0
) -> dict[str, VariantSummary]:
    """Summarise each variant's cells.

    Args:
        frame: The design rows of a results frame.
        variants: The variants, in order.
        level: The confidence level of the intervals.
        seed: The seed of the bootstraps.

    Returns:
        Variant name → its summary, in the order of `variants`.
    """
    return {v: summarize_variant(frame[frame["variant"] == v], v, level=level, seed=seed) for v in variants}


def summary_frame(summaries: Mapping[str, VariantSummary]) -> pd.DataFrame:
    """The summaries as `summary()`'s frame: one row per variant.

    Args:
        summaries: Variant name → summary.

    Returns:
        The frame, indexed by variant.
    """
    return pd.DataFrame([s.row() for s in summaries.values()]).set_index("variant")
