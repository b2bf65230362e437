"""Lai's (1976) t-based confidence sequence for a mean: an interval valid at every look at once.

A confidence sequence (CS) is a sequence of intervals CS_1, CS_2, … that all contain the true mean at the same
time with probability ≥ 1 − α, so the intervals may be looked at after every new value, and a decision taken at
whichever look, without the peeking that breaks a fixed-n interval (a t interval re-read after every value misses
far more often than α; bench/sequential.py measures it).

Lai (1976), "On confidence sequences", Annals of Statistics 4(2), 265–280, §2: for i.i.d. Gaussian values with
unknown variance, mix the likelihood ratio over δ = μ/σ ~ N(0, 1/g·…) with the right-Haar prior on σ; the mixture
is a nonnegative martingale, and Ville's inequality bounds its crossing of 1/α² … which, solved for μ, gives for
t values with mean m and sample standard deviation s:

    A = (α² / (1 + t·g))^(1/t)
    R = (1 − A)·(1 + t·g) / g
    CS_t = m ± s · sqrt( R·(t − 1) / (t·(t − R)) )        no bound while R ≥ t (the first few values)

The mixing parameter g sets where the sequence is tightest. It is tuned, as Waudby-Smith et al. (2023, arXiv
2103.06476) tune their boundary, for a planned number of values n*: g = (−2·ln α + ln(1 − 2·ln α)) / n*. n* must
stay fixed for the life of an experiment: choosing it again after seeing data voids the guarantee.

The guarantee is exact for Gaussian values and depends only on the t statistic (scale-invariant); on the sandbox's
skewed costs it was measured to hold (bench/sequential.py and tests/stats/test_confidence_sequence.py). It covers
an infinite horizon, so over a known finite one it spends well under its α (0.4–0.5·α over 60–120 looks):
`horizon` calibrates its level to a finite horizon, and `spending` is the group-sequential alternative the
sequential decision uses by default.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ValidationError
from .primitives import Interval, Values, check_probability

UNBOUNDED = Interval(-math.inf, math.inf)
"""The interval `(-inf, inf)`: what `lai_interval` gives while no bound exists yet."""


def lai_tuning(alpha: float, planned: int) -> float:
    """The mixing parameter g that makes Lai's sequence tightest near `planned` values.

    Args:
        alpha: The error probability of the whole sequence, in (0, 1).
        planned: The number of values n* where a decision is expected (>= 1).

    Returns:
        g = (−2·ln α + ln(1 − 2·ln α)) / n*.
    """
    log_alpha = math.log(alpha)
    return (-2 * log_alpha + math.log(1 - 2 * log_alpha)) / planned


def lai_radius_factor(t: int, *, alpha: float, g: float) -> float:
    """The half-width of Lai's interval after `t` values, in units of the sample standard deviation.

    Args:
        t: How many values (>= 1).
        alpha: The error probability of the whole sequence.
        g: The mixing parameter (`lai_tuning`).

    Returns:
        sqrt(R·(t − 1) / (t·(t − R))); inf while R >= t (no bound yet) or t < 2.
    """
    if t < 2:
        return math.inf
    # A and R as in Lai (1976), computed in logs: (α²/(1 + t·g))^(1/t) underflows for no t we meet, but the log
    # form keeps 1 − A accurate when A is close to 1 (large t).
    log_a = (2 * math.log(alpha) - math.log1p(t * g)) / t
    r = -math.expm1(log_a) * (1 + t * g) / g
    if r >= t:
        return math.inf
    return math.sqrt(r * (t - 1) / (t * (t - r)))


def lai_sequence(
    values: Values, *, alpha: float, planned: int, tuning: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Lai's confidence sequence at every look over `values`: the interval after 1, 2, …, n values.

    Args:
        values: The values, in the order they arrived.
        alpha: The error probability of the whole sequence, in (0, 1): the α in Lai's A.
        planned: The tuning point n* (values where the sequence is tightest), fixed for the sequence's life.
        tuning: Lai's mixing parameter g, when it is not `lai_tuning(alpha, planned)`: a horizon-calibrated
            sequence (`horizon.horizon_level`) keeps the g of its error budget and raises only the α in A.

    Returns:
        (low, high): arrays of length n; entry t − 1 is the interval after t values, (−inf, inf) while no bound
        exists (t < 2, R >= t, or no spread yet: every value equal, where a zero-width interval would claim a
        certainty a few values cannot give).

    Raises:
        ValidationError: `alpha` is not in (0, 1), `planned` is not a positive integer, `tuning` is not positive,
            or a value is not finite.
    """
    check_probability("alpha", alpha)
    check_planned(planned)
    if tuning is not None and not (math.isfinite(tuning) and tuning > 0):
        raise ValidationError.of_field("argument", "tuning", f"must be a positive finite number, got {tuning!r}")
    data = checked_values(values)
    g = lai_tuning(alpha, planned) if tuning is None else tuning
    return scaled_sequence(data, np.array([lai_radius_factor(t, alpha=alpha, g=g) for t in range(1, len(data) + 1)]))


def checked_values(values: Values) -> np.ndarray:
    """The values as a flat float array, checked.

    Args:
        values: What the caller passed.

    Returns:
        The values.

    Raises:
        ValidationError: They are not a flat sequence of finite numbers.
    """
    data = np.asarray(values, dtype=float)
    if data.ndim != 1 or not np.all(np.isfinite(data)):
        raise ValidationError.of_field("argument", "values", "must be a flat sequence of finite numbers")
    return data


def scaled_sequence(data: np.ndarray, factors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intervals mean ± factor × sample standard deviation after 1, 2, …, n values.

    Args:
        data: The values, in the order they arrived (finite).
        factors: The half-width after t values in units of the sample standard deviation, entry t − 1 (inf: no
            bound at that look); at least as long as `data`.

    Returns:
        (low, high): arrays of length n; (−inf, inf) where the factor is inf, t < 2, or there is no spread yet
        (every value equal, where a zero-width interval would claim a certainty a few values cannot give).
    """
    n = len(data)
    low, high = np.full(n, -math.inf), np.full(n, math.inf)
    if n < 2:
        return low, high
    # Running mean and sample variance by cumulative sums of the values less the first: exact zeros for equal
    # values (no spread), and no cancellation from a large common level.
    shifted = data - data[0]
    t = np.arange(1, n + 1, dtype=float)
    mean = np.cumsum(shifted) / t
    squares = np.cumsum(shifted * shifted)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.maximum(squares - t * mean * mean, 0.0) / (t - 1)
    factor = np.asarray(factors[:n], dtype=float)
    bounded = np.isfinite(factor) & (variance > 0) & (t >= 2)
    radius = factor[bounded] * np.sqrt(variance[bounded])
    centre = mean[bounded] + data[0]
    low[bounded], high[bounded] = centre - radius, centre + radius
    return low, high


def lai_interval(values: Values, *, alpha: float, planned: int, tuning: float | None = None) -> Interval:
    """Lai's t-based confidence sequence for the mean of i.i.d. `values`, at the look that has seen them all.

    The interval holds together with those of every earlier and later look of the same sequence (same `alpha`
    and `planned`) with probability >= 1 − `alpha`.

    Args:
        values: The values so far, in the order they arrived.
        alpha: The error probability of the whole sequence, in (0, 1).
        planned: The tuning point n* (values where the sequence is tightest), >= 1, fixed for the sequence's life.
        tuning: Lai's mixing parameter g, when it is not `lai_tuning(alpha, planned)` (see `lai_sequence`).

    Returns:
        The interval; `Interval(-inf, inf)` while no bound exists yet: fewer than 2 values, R >= t (the first
        5–8 values at the usual α and n*), or no spread yet (every value equal).

    Raises:
        ValidationError: `alpha` is not in (0, 1), `planned` is not a positive integer, or a value is not finite.

    Examples:
        >>> from convoi_nb.stats.confidence_sequence import lai_interval
        >>> costs = [0.20, 0.22, 0.19, 0.25, 0.21, 0.23, 0.20, 0.24, 0.22, 0.21, 0.20, 0.23]
        >>> interval = lai_interval(costs, alpha=0.05, planned=40)
        >>> interval.low < sum(costs) / len(costs) < interval.high
        True
        >>> lai_interval(costs[:2], alpha=0.05, planned=40)  # too few values to bound anything yet
        Interval(low=-inf, high=inf)
    """
    low, high = lai_sequence(values, alpha=alpha, planned=planned, tuning=tuning)
    if not len(low):
        return UNBOUNDED
    return Interval(float(low[-1]), float(high[-1]))


def check_planned(planned: object) -> None:
    """Check the tuning point n*.

    Args:
        planned: What the caller passed.

    Raises:
        ValidationError: It is not a positive integer.
    """
    if not isinstance(planned, (int, np.integer)) or isinstance(planned, bool) or planned < 1:
        raise ValidationError.of_field("argument", "planned", f"must be a positive integer, got {planned!r}")


__all__ = [
    "UNBOUNDED",
    "check_planned",
    "checked_values",
    "lai_interval",
    "lai_radius_factor",
    "lai_sequence",
    "lai_tuning",
    "scaled_sequence",
]
