"""Statistics and plots of an experiment's calls: per-variant summaries, comparisons, figures.

Pure functions of a results frame (one row per call, see `ExperimentResults.frame()`): no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

from .stats import bootstrap_ci, bootstrap_diff_ci

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def summarize_variants(frame: pd.DataFrame, variants: Sequence[str], *, seed: int = 0,
                       n_resamples: int = 2000) -> pd.DataFrame:
    """Per variant: counts by outcome, failure rate, mean/median/p95 duration and cost of *ended* calls,
    cost per minute, and seeded bootstrap 95% CIs of the means. Failed and expired calls (and failed
    creates) are excluded from the statistics but counted."""
    out = []
    for variant in variants:
        rows = frame[frame["variant"] == variant]
        ended = rows[rows["status"] == "ended"]
        durations, costs = ended["duration_seconds"].to_numpy(), ended["cost_amount"].to_numpy()
        minutes = durations.sum() / 60
        n = len(rows)
        unsuccessful = int(rows["status"].isin(["failed", "expired"]).sum() + rows["create_error"].notna().sum())
        d_low, d_high = bootstrap_ci(durations, seed=seed, n_resamples=n_resamples)
        c_low, c_high = bootstrap_ci(costs, seed=seed, n_resamples=n_resamples)
        out.append({
            "variant": variant, "n": n, "ended": len(ended),
            "failed": int((rows["status"] == "failed").sum()), "expired": int((rows["status"] == "expired").sum()),
            "create_errors": int(rows["create_error"].notna().sum()),
            "pending": int(rows["status"].isin(["initiated", "in_progress"]).sum()),
            "failure_rate": unsuccessful / n if n else np.nan,
            "duration_mean": _stat(np.mean, durations), "duration_ci_low": d_low, "duration_ci_high": d_high,
            "duration_median": _stat(np.median, durations), "duration_p95": _stat(_p95, durations),
            "cost_mean": _stat(np.mean, costs), "cost_ci_low": c_low, "cost_ci_high": c_high,
            "cost_median": _stat(np.median, costs), "cost_p95": _stat(_p95, costs),
            "cost_per_minute": costs.sum() / minutes if minutes else np.nan,
        })
    return pd.DataFrame(out).set_index("variant")


def compare_variants(frame: pd.DataFrame, variants: Sequence[str], baseline: str, *, seed: int = 0,
                     n_resamples: int = 2000) -> pd.DataFrame:
    """Each variant against `baseline`: differences of mean cost and duration of ended calls, with
    bootstrap 95% CIs, and relative change."""
    ended = frame[frame["status"] == "ended"]
    groups = {v: ended[ended["variant"] == v] for v in variants}
    base = groups[baseline]
    rows = []
    for variant in variants:
        if variant == baseline:
            continue
        row: dict[str, Any] = {"variant": variant, "baseline": baseline}
        for column, label in (("cost_amount", "cost"), ("duration_seconds", "duration")):
            a, b = groups[variant][column].to_numpy(), base[column].to_numpy()
            delta = _stat(np.mean, a) - _stat(np.mean, b)
            low, high = bootstrap_diff_ci(a, b, seed=seed, n_resamples=n_resamples)
            row.update({f"{label}_delta": delta, f"{label}_delta_ci_low": low, f"{label}_delta_ci_high": high,
                        f"{label}_delta_pct": 100 * delta / _stat(np.mean, b) if len(b) else np.nan,
                        f"{label}_significant": bool(low > 0 or high < 0)})
        rows.append(row)
    return pd.DataFrame(rows).set_index("variant")


def plot_variants(frame: pd.DataFrame, variants: Sequence[str], title: str) -> "Figure":
    """Cost vs duration per ended call, and per-variant box plots of cost and duration."""
    import matplotlib.pyplot as plt

    ended = frame[frame["status"] == "ended"]
    figure, (scatter, cost_box, duration_box) = plt.subplots(1, 3, figsize=(15, 4.5))
    for variant in variants:
        rows = ended[ended["variant"] == variant]
        scatter.scatter(rows["duration_seconds"], rows["cost_amount"], label=variant, alpha=0.75)
    scatter.set(xlabel="duration (s)", ylabel="cost (USD)", title="cost vs duration (ended calls)")
    scatter.legend(fontsize="small")
    for axis, column, label in ((cost_box, "cost_amount", "cost (USD)"),
                                (duration_box, "duration_seconds", "duration (s)")):
        axis.boxplot([ended.loc[ended["variant"] == v, column].to_numpy() for v in variants])
        axis.set_xticks(range(1, len(variants) + 1), variants, rotation=20, ha="right", fontsize="small")
        axis.set(ylabel=label, title=f"{label.split(' ')[0]} by variant")
    figure.suptitle(f"{title}: {len(ended)} ended calls")
    figure.tight_layout()
    plt.close(figure)  # returned for display; not left open in pyplot's global state
    return figure


def _p95(values: np.ndarray) -> float:
    return float(np.percentile(values, 95))


def _stat(function: Any, values: np.ndarray) -> float:
    return float(function(values)) if len(values) else float("nan")
