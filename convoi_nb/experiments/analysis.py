"""What an experiment's calls say: per-variant summaries, comparisons against a baseline, a verdict that names
a winner only when the data separate it, and sample-size plans (tables and plots of them: `tables`, `plots`).

Pure functions of a results frame (one row per cell, see `ExperimentResults.frame()`): no I/O. The statistics
themselves are in `stats.py`; money is totalled exactly in `convoi_nb.money`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..money import to_decimal, total
from .stats import (
    NAN,
    TOO_FEW,
    bootstrap_interval,
    check_probability,
    difference,
    holm,
    mean_interval,
    replicates_to_separate,
)

METRICS = (("cost", "cost_amount"), ("duration", "duration_seconds"))
LOWER_IS = {"cost": "cheapest per call", "duration": "shortest calls"}
NO_CLEAR = {"cost": "No clear cheapest variant", "duration": "No clear shortest-call variant"}


def _ended_values(frame: pd.DataFrame, variants: Sequence[str]) -> dict[tuple[str, str], np.ndarray]:
    """{(variant, column): values of its ended calls} for cost and duration, grouped once."""
    ended = frame[frame["status"] == "ended"]
    by_variant = {name: group for name, group in ended.groupby("variant", observed=True)}
    empty = ended.iloc[0:0]
    return {
        (v, column): by_variant.get(v, empty)[column].to_numpy(dtype=float) for v in variants for _, column in METRICS
    }


def _median(values: np.ndarray, axis: int = -1) -> Any:
    return np.median(values, axis=axis)


def _mean_ratio(a: np.ndarray, b: np.ndarray, axis: int = -1) -> Any:
    return np.mean(a, axis=axis) / np.mean(b, axis=axis) - 1.0


def summarize_variants(
    frame: pd.DataFrame, variants: Sequence[str], *, level: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Per variant: outcomes, spend, and statistics of the calls that ended (see `ExperimentResults.summary`)."""
    check_probability("level", level)
    out = []
    for variant in variants:
        rows = frame[frame["variant"] == variant]
        ended = rows[rows["status"] == "ended"]
        created = rows[rows["id"].notna()]
        currencies = sorted(set(created["cost_currency"].dropna()))
        spend = total(
            ((a, c) for a, c in zip(created["cost_amount"], created["cost_currency"], strict=False) if not pd.isna(a)),
            currencies[0] if len(currencies) == 1 else None,
        )
        n = len(rows)
        unsuccessful = int(rows["status"].isin(["failed", "expired"]).sum() + rows["create_error"].notna().sum())
        record: dict[str, Any] = {
            "variant": variant,
            "n": n,
            "ended": len(ended),
            "failed": int((rows["status"] == "failed").sum()),
            "expired": int((rows["status"] == "expired").sum()),
            "create_errors": int(rows["create_error"].notna().sum()),
            "pending": int(rows["status"].isin(["initiated", "in_progress"]).sum()),
            "failure_rate": unsuccessful / n if n else NAN,
            "currency": spend.currency,
        }
        for label, column in METRICS:
            values = ended[column].to_numpy(dtype=float)
            mean = mean_interval(values, level)
            median = bootstrap_interval([values], _median, level, seed)
            record.update(
                {
                    f"{label}_mean": float(values.mean()) if len(values) else NAN,
                    f"{label}_ci_low": mean.low,
                    f"{label}_ci_high": mean.high,
                    f"{label}_sd": float(values.std(ddof=1)) if len(values) > 1 else NAN,
                    f"{label}_median": float(np.median(values)) if len(values) else NAN,
                    f"{label}_median_ci_low": median.low,
                    f"{label}_median_ci_high": median.high,
                    f"{label}_p95": float(np.percentile(values, 95)) if len(values) else NAN,
                }
            )
        minutes = ended["duration_seconds"].sum() / 60
        ended_cost = total((a, spend.currency) for a in ended["cost_amount"] if not pd.isna(a))
        record.update(
            {
                "cost_per_minute": float(ended_cost.amount) / minutes if minutes else NAN,
                "spend_total": spend.amount,
                "cost_per_attempt": float(spend.amount) / len(created) if len(created) else NAN,
                "note": "; ".join(
                    filter(
                        None,
                        [
                            TOO_FEW if len(ended) < 2 else "",
                            "spend_total may miss calls whose create answer was lost: run() again to find them on the server"
                            if record["create_errors"]
                            else "",
                        ],
                    )
                ),
            }
        )
        out.append(record)
    return pd.DataFrame(out).set_index("variant")


def compare_variants(
    frame: pd.DataFrame, variants: Sequence[str], baseline: str, *, level: float = 0.95, seed: int = 0
) -> pd.DataFrame:
    """Each variant against `baseline`: Welch differences of the means with their intervals and p-values,
    Holm-adjusted over the variants compared, and the relative change with a BCa interval.
    """
    check_probability("level", level)
    others = [v for v in variants if v != baseline]
    values_of = _ended_values(frame, variants)
    rows: dict[str, dict[str, Any]] = {v: {"variant": v, "baseline": baseline} for v in others}
    for label, column in METRICS:
        base = values_of[baseline, column]
        diffs = {v: difference(values_of[v, column], base, level) for v in others}
        adjusted = dict(zip(others, holm([diffs[v].p_value for v in others]), strict=False))
        for variant in others:
            d, values = diffs[variant], values_of[variant, column]
            relative = bootstrap_interval([values, base], _mean_ratio, level, seed)
            base_mean = float(base.mean()) if len(base) else NAN
            rows[variant].update(
                {
                    f"{label}_delta": d.delta,
                    f"{label}_delta_ci_low": d.low,
                    f"{label}_delta_ci_high": d.high,
                    f"{label}_p_value": d.p_value,
                    f"{label}_p_adjusted": adjusted[variant],
                    f"{label}_significant": bool(adjusted[variant] < 1 - level),
                    f"{label}_delta_pct": 100 * d.delta / base_mean if base_mean else NAN,
                    f"{label}_delta_pct_ci_low": 100 * relative.low,
                    f"{label}_delta_pct_ci_high": 100 * relative.high,
                }
            )
    return pd.DataFrame(list(rows.values())).set_index("variant") if rows else pd.DataFrame()


@dataclass(frozen=True)
class Finding:
    """One conclusion about one metric: a `winner` only when the data separate it from every other variant."""

    metric: str
    winner: str | None
    leader: str | None  # the lowest mean, separated or not
    runner_up: str | None
    p_adjusted: float  # the largest Holm-adjusted p-value of the leader against the others
    replicates_needed: float  # per variant, to separate leader and runner-up at the observed spread
    text: str


@dataclass(frozen=True)
class Verdict:
    findings: list[Finding]
    comparisons: list[str] = field(default_factory=list)

    def finding(self, metric: str) -> Finding:
        return next(f for f in self.findings if f.metric == metric)

    def __str__(self) -> str:
        return "\n".join([f.text for f in self.findings] + self.comparisons)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def verdict(
    frame: pd.DataFrame,
    variants: Sequence[str],
    baseline: str,
    *,
    level: float = 0.95,
    seed: int = 0,
    power: float = 0.8,
    comparison: pd.DataFrame | None = None,
) -> Verdict:
    """Findings a reader can act on (see `ExperimentResults.verdict`); `comparison` is `compare_variants`' result
    for the same arguments, when the caller has it already.
    """
    check_probability("level", level)
    check_probability("power", power)
    alpha = 1 - level
    summary = summarize_variants(frame, variants, level=level, seed=seed)
    values_of = _ended_values(frame, variants)
    findings = []
    for label, column in METRICS:
        usable = [v for v in variants if summary.loc[v, "ended"] >= 2]
        if len(usable) < 2:
            findings.append(
                Finding(
                    label,
                    None,
                    None,
                    None,
                    NAN,
                    NAN,
                    f"No verdict on {LOWER_IS[label]}: fewer than two variants have 2 ended calls.",
                )
            )
            continue
        ranked = sorted(usable, key=lambda v: summary.loc[v, f"{label}_mean"])
        leader, runner_up = ranked[0], ranked[1]
        adjusted = holm(
            [difference(values_of[leader, column], values_of[v, column], level).p_value for v in ranked[1:]]
        )
        worst = NAN if any(math.isnan(p) for p in adjusted) else max(adjusted)
        shown = _show(label, summary.loc[leader])
        if worst < alpha:
            needed = NAN
            text = (
                f"{LOWER_IS[label].capitalize()}: {leader} at {shown}, separated from every other variant "
                f"(Holm-adjusted p ≤ {worst:.3g})."
            )
            findings.append(Finding(label, leader, leader, runner_up, worst, needed, text))
        else:
            needed = replicates_to_separate(
                summary.loc[leader, f"{label}_mean"],
                summary.loc[leader, f"{label}_sd"],
                summary.loc[runner_up, f"{label}_mean"],
                summary.loc[runner_up, f"{label}_sd"],
                alpha=alpha / (len(usable) - 1),
                power=power,
            )
            more = (
                f"; about {needed:.0f} calls per variant would separate them at the spread seen ({power:.0%} power)"
                if math.isfinite(needed)
                else ""
            )
            text = (
                f"{NO_CLEAR[label]}: {leader} ({shown}) "
                f"and {runner_up} ({_show(label, summary.loc[runner_up])}) are not separated at this "
                f"sample size (Holm-adjusted p = {worst:.2g}){more}."
            )
            findings.append(Finding(label, None, leader, runner_up, worst, needed, text))
    if comparison is None:
        comparison = compare_variants(frame, variants, baseline, level=level, seed=seed)
    lines = []
    for variant, row in comparison.iterrows():
        if math.isnan(row["cost_delta"]):
            continue
        direction = "more" if row["cost_delta"] > 0 else "less"
        if row["cost_significant"]:
            lines.append(
                f"{variant} costs {abs(row['cost_delta_pct']):.0f}% {direction} per call than {baseline} "
                f"({level:.0%} CI {row['cost_delta_pct_ci_low']:+.0f}% to {row['cost_delta_pct_ci_high']:+.0f}%; "
                "significant after Holm adjustment)."
            )
        else:
            lines.append(
                f"{variant} vs {baseline}: no cost difference this sample can tell apart "
                f"({row['cost_delta_pct']:+.0f}%, {level:.0%} CI {row['cost_delta_pct_ci_low']:+.0f}% "
                f"to {row['cost_delta_pct_ci_high']:+.0f}%)."
            )
    return Verdict(findings, lines)


def _show(label: str, row: pd.Series) -> str:
    if label == "cost":
        return (
            f"{row['cost_mean']:.3f} {row['currency']} per call [{row['cost_ci_low']:.3f}, {row['cost_ci_high']:.3f}]"
        )
    return f"{row['duration_mean']:.0f} s [{row['duration_ci_low']:.0f}, {row['duration_ci_high']:.0f}]"


def plan_replicates(
    frame: pd.DataFrame, variants: Sequence[str], *, detect: float = 0.10, power: float = 0.8, level: float = 0.95
) -> pd.DataFrame:
    """Calls per variant to detect a relative difference `detect` in mean cost and in mean duration, at the
    spread seen so far, and what that many calls would cost (see `ExperimentResults.plan`).
    """
    check_probability("detect (a relative difference)", detect)
    check_probability("power", power)
    summary = summarize_variants(frame, variants, level=level)
    alpha = (1 - level) / max(1, len(variants) - 1)
    rows = []
    for variant in variants:
        row = summary.loc[variant]
        needed = {
            label: replicates_to_separate(
                row[f"{label}_mean"],
                row[f"{label}_sd"],
                row[f"{label}_mean"] * (1 + detect),
                row[f"{label}_sd"],
                alpha=alpha,
                power=power,
            )
            for label, _ in METRICS
        }
        replicates = max(needed.values())
        per_call = row["cost_per_attempt"]
        spend = (
            to_decimal(per_call) * int(replicates)
            if math.isfinite(replicates) and math.isfinite(per_call)
            else Decimal("NaN")
        )
        rows.append(
            {
                "variant": variant,
                "pilot_calls": int(row["ended"]),
                "cost_mean": row["cost_mean"],
                "cost_sd": row["cost_sd"],
                "duration_mean": row["duration_mean"],
                "duration_sd": row["duration_sd"],
                "replicates_for_cost": needed["cost"],
                "replicates_for_duration": needed["duration"],
                "replicates": replicates,
                "estimated_spend": spend.quantize(Decimal("0.01")) if spend.is_finite() else spend,
                "currency": row["currency"],
            }
        )
    return pd.DataFrame(rows).set_index("variant")
