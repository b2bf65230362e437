"""Repeated confidence intervals of a group-sequential design: Pocock-type error spending over the planned looks.

A group-sequential design fixes the largest number of looks in advance (here `max_replicates`: the runner never
looks further, and refuses a changed configuration on the same store) and spends its error budget over them with
an error-spending function (Lan & DeMets 1983, Biometrika 70(3), 659–663): by the time t of the horizon's
`horizon` values are in, at most share × f(t / horizon) of the probability of ever missing has been used. Read as
*repeated confidence intervals* (Jennison & Turnbull 1989, JRSS B 51(3), 305–361; Group Sequential Methods with
Applications to Clinical Trials, 2000, ch. 9), the interval after t values is

    mean ± c_t · s / √t

and every interval from the first look up to the horizon holds at once with probability ≥ 1 − share.

f is the Pocock-type spending function f(τ) = ln(1 + (e − 1)·τ) (Lan & DeMets 1983): it spends much of the budget
early, where an experiment that drops clearly worse variants wants to decide (an O'Brien–Fleming-type function
keeps early intervals very wide and measured on this sandbox no better than a fixed design: bench/sequential.py's
docstring). The first bound comes at `first` values (`min_replicates`: no decision is made before, so no budget
is spent there); the budget up to it, f(first / horizon), is spent at that look.

The boundaries c_t are computed for the t statistic itself, not its normal approximation (which misleads at 5–20
values; Bowyer et al. 2025): on `PATHS` seeded standard Gaussian paths, look by look, c_t is set so that exactly
the planned count of paths has crossed by look t, from a conservative total (the expected count share × PATHS
less `Z` binomial standard errors, so that the Monte Carlo's own error does not push the true miss rate above
share). The t statistic of Gaussian values does not depend on their mean or scale, so the thresholds depend only
on (share, first, horizon), and are cached.

What the guarantee covers: for Gaussian values, every interval from `first` up to `horizon` values at once, with
probability ≥ 1 − share. A look between waves sees no new values. Nothing holds past `horizon` values: the
sequence gives no bound there. On the sandbox's skewed costs it is checked, not proved, by bench/sequential.py.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..errors import ValidationError
from .confidence_sequence import checked_values, scaled_sequence
from .primitives import Values, check_probability

PATHS = 100_000  # Gaussian paths per calibration: ~330 crossings at the smallest usual share (0.05 / 15)
Z = 2.0  # the conservative total: this many binomial standard errors below the expected number of crossings
SEED = 19_830_601  # fixed: the thresholds are a deterministic function of their arguments


def pocock_spending(fraction: float) -> float:
    """Lan & DeMets' Pocock-type spending function: the share of the budget spent by `fraction` of the horizon.

    Args:
        fraction: t / horizon, in [0, 1].

    Returns:
        ln(1 + (e − 1)·fraction): 0 at 0, 1 at 1.

    Examples:
        >>> from convoi_nb.stats.spending import pocock_spending
        >>> round(pocock_spending(0.5), 3), pocock_spending(1.0)  # half the looks spend 62% of the error
        (0.62, 1.0)
    """
    return math.log1p((math.e - 1) * fraction)


def _positive(name: str, value: object) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
        raise ValidationError.of_field("argument", name, f"must be a positive integer, got {value!r}")
    return int(value)


@functools.lru_cache(maxsize=128)
def spending_thresholds(share: float, first: int, horizon: int) -> tuple[float, ...]:
    """The boundary c_t of |t statistic| after t = 1, …, `horizon` values (seeded Gaussian Monte Carlo, cached).

    Args:
        share: The error budget of the sequence, in (0, 1).
        first: The first look with a bound (values), >= 2 (a t statistic needs two values).
        horizon: The last look (values), >= `first`.

    Returns:
        c_1, …, c_horizon: inf before `first`.

    Raises:
        ValidationError: `share` is not in (0, 1), `first` < 2, or `horizon` < `first`.
    """
    check_probability("share", share)
    first, horizon = _positive("first", first), _positive("horizon", horizon)
    if first < 2:
        raise ValidationError.of_field(
            "argument", "first", f"must be >= 2 (a t statistic needs two values), got {first}"
        )
    if horizon < first:
        raise ValidationError.of_field("argument", "horizon", f"must be >= first ({first}), got {horizon}")
    rng = np.random.default_rng(SEED)
    expected = share * PATHS
    total = expected - Z * math.sqrt(expected * (1 - share))
    sums, squares = np.zeros(PATHS), np.zeros(PATHS)
    alive = np.ones(PATHS, dtype=bool)
    crossed, previous = 0, 0.0
    bounds = [math.inf] * horizon
    for t in range(1, horizon + 1):
        x = rng.standard_normal(PATHS)  # drawn for every path, so each look's values do not depend on the others
        sums += x
        squares += x * x
        if t < first:
            continue
        # t² statistic of the mean 0: t·m² / s² = S²·(t − 1) / (t·Q − S²)
        with np.errstate(divide="ignore", invalid="ignore"):
            statistic = sums * sums * (t - 1) / np.maximum(t * squares - sums * sums, 0.0)
        candidates = statistic[alive]
        need = math.floor(total * pocock_spending(t / horizon)) - crossed
        if 1 <= need < len(candidates):
            # halfway between the need-th and the (need + 1)-th largest: exactly `need` paths cross here
            cut = len(candidates) - need
            ordered = np.partition(candidates, [cut - 1, cut])
            level = float(ordered[cut - 1] + ordered[cut]) / 2
        else:
            # nothing left to spend at this look: a bound no surviving path crosses, never below the last one
            level = max(previous, float(candidates.max()) if len(candidates) else previous)
        hits = alive & (statistic > level)
        crossed += int(hits.sum())
        alive &= ~hits
        previous = level
        bounds[t - 1] = math.sqrt(level)
    return tuple(bounds)


def spending_sequence(values: Values, *, share: float, first: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """The repeated confidence intervals after 1, 2, …, n values: mean ± c_t · s / √t.

    Args:
        values: The values, in the order they arrived (at most `horizon` of them carry a bound).
        share: The error budget of the whole sequence, in (0, 1).
        first: The first look with a bound (values), >= 2.
        horizon: The last look with a bound (values); fixed for the sequence's life.

    Returns:
        (low, high): arrays of length n; (−inf, inf) before `first`, after `horizon`, or with no spread yet.

    Raises:
        ValidationError: A bad `share`, `first` or `horizon` (`spending_thresholds`), or a value that is not finite.

    Examples:
        >>> from convoi_nb.stats.spending import spending_sequence
        >>> costs = [0.20, 0.22, 0.19, 0.25, 0.21, 0.23, 0.20, 0.24, 0.22, 0.21, 0.20, 0.23]
        >>> low, high = spending_sequence(costs, share=0.05, first=5, horizon=20)
        >>> len(low), bool(low[-1] < high[-1])  # one interval per look
        (12, True)
    """
    bounds = np.asarray(spending_thresholds(share, first, horizon))
    data = checked_values(values)
    t = np.arange(1, len(data) + 1, dtype=float)
    factors = np.full(len(data), math.inf)
    within = min(len(data), horizon)
    factors[:within] = bounds[:within] / np.sqrt(t[:within])
    return scaled_sequence(data, factors)


def spending_miss_rate(share: float, first: int, horizon: int, *, paths: int, seed: int) -> float:
    """The share of independent standard Gaussian paths the repeated intervals miss within `horizon` values.

    A path's mean is 0; it is missed when an interval from `first` to `horizon` values leaves 0 out.

    Args:
        share: The error budget the thresholds were set for.
        first: The first look with a bound.
        horizon: The last look.
        paths: How many paths to simulate.
        seed: The seed (another than `SEED` for an independent check).

    Returns:
        The share of paths whose |t statistic| crossed c_t at some look t = `first`, …, `horizon`.
    """
    bounds = np.asarray(spending_thresholds(share, first, horizon))
    rng = np.random.default_rng(seed)
    sums, squares = np.zeros(paths), np.zeros(paths)
    missed = np.zeros(paths, dtype=bool)
    for t in range(1, horizon + 1):
        x = rng.standard_normal(paths)
        sums += x
        squares += x * x
        if t >= first:
            with np.errstate(divide="ignore", invalid="ignore"):
                statistic = sums * sums * (t - 1) / np.maximum(t * squares - sums * sums, 0.0)
            missed |= statistic > bounds[t - 1] ** 2
    return float(missed.mean())


__all__ = ["pocock_spending", "spending_miss_rate", "spending_sequence", "spending_thresholds"]
