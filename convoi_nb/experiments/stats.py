"""Seeded percentile-bootstrap confidence intervals (numpy only)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

DEFAULT_RESAMPLES = 2000
DEFAULT_LEVEL = 0.95


def _resampled_means(values: np.ndarray, rng: np.random.Generator, n_resamples: int) -> np.ndarray:
    picks = rng.integers(0, len(values), size=(n_resamples, len(values)))
    return values[picks].mean(axis=1)


def bootstrap_ci(values: Sequence[float], *, n_resamples: int = DEFAULT_RESAMPLES,
                 level: float = DEFAULT_LEVEL, seed: int = 0) -> tuple[float, float]:
    """Percentile CI of the mean; (nan, nan) for fewer than two values."""
    data = np.asarray(values, dtype=float)
    if len(data) < 2:
        return (float("nan"), float("nan"))
    means = _resampled_means(data, np.random.default_rng(seed), n_resamples)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def bootstrap_diff_ci(values: Sequence[float], baseline: Sequence[float], *, n_resamples: int = DEFAULT_RESAMPLES,
                      level: float = DEFAULT_LEVEL, seed: int = 0) -> tuple[float, float]:
    """Percentile CI of mean(values) − mean(baseline), resampling each group independently."""
    a, b = np.asarray(values, dtype=float), np.asarray(baseline, dtype=float)
    if len(a) < 2 or len(b) < 2:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    diffs = _resampled_means(a, rng, n_resamples) - _resampled_means(b, rng, n_resamples)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(diffs, [tail, 100 - tail])
    return float(low), float(high)
