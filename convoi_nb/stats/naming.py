"""How likely the verdict is to name the best variant, and how many calls per variant make that likely.

A seeded simulation of the verdict's own rule (`verdict.find`: the variant with the lowest mean is named only
when Welch's test separates it from every other variant after Holm's adjustment) at assumed true means and
spreads: per simulated experiment, each variant's ended calls (binomial, at the end rate seen), its sample mean
(normal around the true mean) and its sample variance (scaled chi-square). The answer to "how many calls per
variant name the best one with probability p" is the smallest count whose simulated probability reaches p,
found by doubling then bisection with the same random numbers at every count.

`bench/calibration.py --plan` checks this against the verdict itself on raw simulated sandbox calls: within
±25 % at notebook 02's set (the answer there is about 42–45 calls per variant at 80 %).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import stats

from .primitives import NAN, Values

SIMULATIONS = 2000
LIMIT = 10_000  # calls per variant beyond which the answer is "more than any experiment would run": inf


def holm_separates(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Per row, whether Holm's step-down rejects every one of the row's hypotheses.

    Holm rejects them all exactly when the k-th smallest p-value times (m − k + 1) stays below alpha for each k.

    Args:
        p_values: One row per experiment, one column per comparison.
        alpha: The family's error rate.

    Returns:
        One bool per row (False when a p-value is NaN).
    """
    ordered = np.sort(p_values, axis=1)
    steps = ordered * np.arange(ordered.shape[1], 0, -1)
    worst: np.ndarray = np.max(steps, axis=1)
    return np.asarray(worst < alpha)


def naming_probability(
    means: Values,
    sds: Values,
    calls: int,
    *,
    end_rate: float = 1.0,
    level: float = 0.95,
    simulations: int = SIMULATIONS,
    seed: int = 0,
) -> float:
    """The probability that the verdict names the variant with the lowest true mean, with `calls` per variant.

    Args:
        means: Each variant's true mean.
        sds: Each variant's true standard deviation.
        calls: Calls created per variant.
        end_rate: The share of calls that end (only those are averaged).
        level: The verdict's confidence level.
        simulations: How many experiments to simulate.
        seed: The seed of the simulation.

    Returns:
        The probability (NaN with fewer than two variants).
    """
    mu, sigma = np.asarray(means, dtype=float), np.asarray(sds, dtype=float)
    k = len(mu)
    if k < 2:
        return NAN
    rng = np.random.default_rng(seed)
    ended = np.maximum(rng.binomial(calls, end_rate, size=(simulations, k)), 2)
    sample_means = mu + sigma / np.sqrt(ended) * rng.standard_normal((simulations, k))
    sample_vars = sigma**2 * rng.chisquare(ended - 1) / (ended - 1)
    rows = np.arange(simulations)
    leader = np.argmin(sample_means, axis=1)
    parts = sample_vars / ended  # variance of each sample mean
    lead_part, lead_n = parts[rows, leader][:, None], ended[rows, leader][:, None]
    se2 = lead_part + parts
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (sample_means - sample_means[rows, leader][:, None]) / np.sqrt(se2)
        dof = se2**2 / (lead_part**2 / (lead_n - 1) + parts**2 / (ended - 1))
        p = 2 * stats.t.sf(np.abs(t), dof)
    others = ~np.eye(k, dtype=bool)[leader]  # every variant but the leader, per row
    separated = holm_separates(p[others].reshape(simulations, k - 1), 1 - level)
    best = np.flatnonzero(mu == mu.min())
    return float(np.mean(separated & np.isin(leader, best)))


def calls_to_name_best(
    means: Values,
    sds: Values,
    *,
    probability: float = 0.8,
    end_rate: float = 1.0,
    level: float = 0.95,
    simulations: int = SIMULATIONS,
    seed: int = 0,
) -> float:
    """The fewest calls per variant with which the verdict names the lowest-mean variant with `probability`.

    Args:
        means: Each variant's assumed true mean.
        sds: Each variant's assumed true standard deviation.
        probability: The probability of naming it, e.g. 0.8.
        end_rate: The share of calls that end.
        level: The verdict's confidence level.
        simulations: Experiments simulated per count tried.
        seed: The seed of the simulation (the same at every count tried).

    Returns:
        Calls per variant (at least 2); inf when two variants share the lowest mean or more than 10,000 would
        be needed; NaN with fewer than two variants or a spread that is not finite.
    """
    mu, sigma = np.asarray(means, dtype=float), np.asarray(sds, dtype=float)
    if len(mu) < 2 or not (np.all(np.isfinite(mu)) and np.all(np.isfinite(sigma))) or end_rate <= 0:
        return NAN
    if np.sum(mu == mu.min()) > 1:
        return math.inf

    def reaches(calls: int) -> bool:
        found = naming_probability(mu, sigma, calls, end_rate=end_rate, level=level, simulations=simulations, seed=seed)
        return found >= probability

    low, high = 1, 2  # reaches(low) is False (or low is below the minimum), reaches(high) is to be found
    while not reaches(high):
        if high >= LIMIT:
            return math.inf
        low, high = high, min(2 * high, LIMIT)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if reaches(middle) else (middle, high)
    return float(high)


def pooled_relative_spread(means: Sequence[float], sds: Sequence[float], counts: Sequence[int]) -> float:
    """The spread relative to the mean, pooled over variants (weights: degrees of freedom).

    A few calls per variant estimate each variant's spread badly (3 calls: a standard deviation anywhere from
    a fifth to twice the true one); calls whose cost is a rate times a log-normal length share one relative
    spread, which all variants' calls together estimate far better.

    Args:
        means: Each variant's sample mean.
        sds: Each variant's sample standard deviation.
        counts: Each variant's number of values.

    Returns:
        The pooled coefficient of variation (NaN when no variant has 2 values and a non-zero mean).
    """
    weighted = weights = 0.0
    for mean, sd, n in zip(means, sds, counts, strict=True):
        if n >= 2 and math.isfinite(sd) and math.isfinite(mean) and mean != 0:
            weighted += (n - 1) * (sd / mean) ** 2
            weights += n - 1
    return math.sqrt(weighted / weights) if weights else NAN


def answer_range(
    calls: float, means: Values, counts: Sequence[int], spread: float, *, share: float = 0.8
) -> tuple[float, float]:
    """Where the answer would lie if the gap between the two lowest means were at either end of its interval.

    The answer grows with one over the squared gap between the best variant and the runner-up; a few calls
    know that gap poorly. With the gap g seen and its standard error s (at the pooled relative spread), the
    answer is rescaled by (g / (g ± z·s))², z the normal quantile for `share`: a quick, honest sense of how
    much to trust one number from a pilot (`bench/calibration.py --plan` measures how often it holds the truth).

    Args:
        calls: The answer at the gap seen.
        means: Each variant's mean.
        counts: Each variant's ended calls.
        spread: The pooled coefficient of variation.
        share: The central share of the gap's uncertainty the range reflects.

    Returns:
        (low, high) calls per variant (at least 2; high is inf when the gap is not clear of 0 at this share).
    """
    mu, n = np.asarray(means, dtype=float), np.asarray(counts, dtype=float)
    if len(mu) < 2 or not (math.isfinite(calls) and math.isfinite(spread)):
        return NAN, NAN
    first, second = np.argsort(mu)[:2]
    gap = mu[second] - mu[first]
    error = spread * math.sqrt(mu[first] ** 2 / n[first] + mu[second] ** 2 / n[second])
    z = float(stats.norm.ppf((1 + share) / 2))
    low = max(2.0, math.ceil(calls * (gap / (gap + z * error)) ** 2))
    high = math.ceil(calls * (gap / (gap - z * error)) ** 2) if gap > z * error else math.inf
    return float(low), float(max(high, calls))
