"""Lai's confidence sequence calibrated to a finite horizon: the same boundary, spending its whole error budget.

Lai's (1976) sequence (`confidence_sequence`) holds at level 1 − α over an *infinite* sequence of looks (Ville's
inequality for a nonnegative martingale). An experiment run `until="decided"` never looks past `max_replicates`
(the runner refuses a changed configuration on the same store), so about half of that budget is never used: a
Gaussian pair watched for 120 looks is missed 0.47 of the nominal α (0.0016 of a nominal 0.0033), and the
interval is wider than it needs to be for the looks that can happen.

The calibration keeps Lai's boundary and its tuning g = `lai_tuning(share, planned)`, and raises only the level
α' in Lai's A = (α'² / (1 + t·g))^(1/t) until the probability that the sequence misses the true mean at *some*
look t = 2, …, horizon equals the error budget `share`. That probability does not depend on the mean or the
scale: for Gaussian values x_1, x_2, … with mean μ, write S_t = Σ(x_i − μ) and Q_t = Σ(x_i − μ)²; the interval
after t values misses μ exactly when R(α') < S_t² / Q_t (Lai's R; the interval's half-width grows with R), i.e.
when

    ln α' > L_t = ( t·ln(1 − g·(S_t²/Q_t) / (1 + t·g)) + ln(1 + t·g) ) / 2,

and S_t²/Q_t is scale-free. A path of values misses somewhere within the horizon exactly when ln α' exceeds
min_t L_t, its critical level; the miss probability is the distribution function of that critical level, and α'
is its `share` quantile. It is estimated by a seeded Monte Carlo over standard Gaussian paths (`PATHS` of them),
taking not the plain empirical quantile but the one a conservative count of misses gives (the expected count
less `Z` binomial standard errors), so that the calibrated level's true miss rate stays at or below `share` even
allowing for the simulation's own error; that costs about 1 % of width. The result is cached per (share,
planned, horizon): a decision is made after every wave and the live panel refreshes often.

What the guarantee covers: for Gaussian values with unknown variance, every interval of the sequence from the
first value up to `horizon` values holds at once with probability ≥ 1 − share (up to the Monte Carlo's error,
which the conservative count covers). A user who looks between waves sees no new values, so looking more often
does not change it. It does not hold past `horizon` values: a sequence read further must use Lai's uncalibrated
level. On the sandbox's skewed costs it is checked, not proved, by bench/sequential.py (the t statistic of
differences of i.i.d. calls is close to symmetric; the bench's error rows measure it). This is the "repeated
confidence interval" idea of Jennison & Turnbull (1989, JRSS B 51(3), 305–361; Group Sequential Methods, 2000,
ch. 9) applied to Lai's boundary shape: a boundary whose crossing probability over the planned looks is exactly
the error budget.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import ValidationError
from .confidence_sequence import check_planned, lai_tuning
from .primitives import check_probability

PATHS = 100_000  # Gaussian paths per calibration: ~330 misses at the smallest usual share (0.05 / 15)
Z = 2.0  # the conservative count: this many binomial standard errors below the expected number of misses
SEED = 19_760_401  # fixed: the calibration is a deterministic function of its arguments
CHUNK = 10_000  # paths per block (memory: CHUNK × horizon float32 values, a few MB)


def critical_levels(g: float, horizon: int, *, paths: int, seed: int) -> np.ndarray:
    """Each simulated Gaussian path's critical level: the ln α' above which Lai's sequence misses it.

    Args:
        g: Lai's mixing parameter.
        horizon: The last look (values seen), >= 2.
        paths: How many standard Gaussian paths to simulate.
        seed: The seed of the simulation.

    Returns:
        One ln α' per path: Lai's sequence with mixing parameter `g` and level α' misses the path's mean (0) at
        some look t = 2, …, `horizon` exactly when ln α' is above it.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(2, horizon + 1, dtype=float)
    slope = (g / (1 + t * g)).astype(np.float32)
    offset = np.log1p(t * g).astype(np.float32)
    t32 = t.astype(np.float32)
    found = []
    for start in range(0, paths, CHUNK):
        x = rng.standard_normal((min(CHUNK, paths - start), horizon), dtype=np.float32)
        sums, squares = np.cumsum(x, axis=1)[:, 1:], np.cumsum(x * x, axis=1)[:, 1:]
        # S_t²/Q_t <= t (Cauchy–Schwarz), so 1 − g·R/(1 + t·g) > 0: the logarithm is always defined
        level = (t32 * np.log1p(-slope * (sums * sums / squares)) + offset) / 2
        found.append(level.min(axis=1))
    return np.concatenate(found)


@functools.lru_cache(maxsize=128)
def horizon_level(share: float, planned: int, horizon: int) -> float:
    """The level α' at which Lai's sequence misses with probability `share` within `horizon` values.

    Lai's sequence tuned for `planned` at `share`, on Gaussian values; a conservative Monte Carlo estimate,
    cached per arguments.

    Args:
        share: The error budget of the sequence, in (0, 1).
        planned: The tuning point n*: g = `lai_tuning(share, planned)`.
        horizon: The most values the sequence will ever be read at (>= 1).

    Returns:
        α' (>= `share`: a finite horizon only ever raises the level, narrowing the intervals), to use in Lai's A
        with g as above.

    Raises:
        ValidationError: `share` is not in (0, 1), or `planned` or `horizon` is not a positive integer.
    """
    check_probability("share", share)
    check_planned(planned)
    if not isinstance(horizon, (int, np.integer)) or isinstance(horizon, bool) or horizon < 1:
        raise ValidationError.of_field("argument", "horizon", f"must be a positive integer, got {horizon!r}")
    if horizon < 2:
        return share  # no look has a bound: nothing to calibrate
    levels = np.sort(critical_levels(lai_tuning(share, planned), horizon, paths=PATHS, seed=SEED))
    expected = share * PATHS
    misses = max(int(expected - Z * math.sqrt(expected * (1 - share))), 0)
    # exactly `misses` paths have a critical level below the level returned
    return max(share, math.exp(float(levels[misses])))


def miss_rate(level: float, g: float, horizon: int, *, paths: int, seed: int) -> float:
    """The share of simulated Gaussian paths that Lai's sequence at `level` misses within `horizon` values.

    Args:
        level: Lai's α' (in A).
        g: Lai's mixing parameter.
        horizon: The last look (values seen), >= 2.
        paths: How many paths to simulate.
        seed: The seed of the simulation (another than `SEED` for an independent check of a calibration).

    Returns:
        The share of paths missed at some look t = 2, …, `horizon`.

    Raises:
        ValidationError: `level` is not in (0, 1).
    """
    check_probability("level", level)
    if horizon < 2:
        return 0.0
    return float(np.mean(critical_levels(g, horizon, paths=paths, seed=seed) < math.log(level)))


__all__ = ["critical_levels", "horizon_level", "miss_rate"]
