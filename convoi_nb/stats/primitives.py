"""The statistical building blocks an experiment's analysis uses, from well-kept libraries (scipy, statsmodels).

- mean: Student-t interval (scipy `ttest_1samp(...).confidence_interval`);
- difference of two means: Welch's t-test, its p-value and interval (scipy `ttest_ind(equal_var=False)`);
- median: BCa bootstrap interval (scipy `bootstrap`, seeded);
- relative change mean(a)/mean(b) − 1: Fieller's interval with Welch–Satterthwaite degrees of freedom
  (`relative_change`; a bootstrap of a ratio of means covers 0.77–0.91 at 3–20 calls, Fieller ≥ 0.95);
- several comparisons at once: Holm's step-down adjustment (as statsmodels' `multipletests`, see `holm`) to
  name a winner, and Bonferroni's level (`family_level`) for comparisons printed with their intervals;
- sample sizes: power of the two-sample t-test (statsmodels `TTestIndPower`);
- what the rest of a run will total: a Student-t prediction interval for a sum of future calls
  (`total_prediction_interval`, Welch–Satterthwaite degrees of freedom over the variants).

`bench/calibration.py` checks the coverage of these intervals against the sandbox's known truth.
Every function returns NaN, never raises, when there is too little data (fewer than 2 values per group, or no
spread at all: a zero-width interval or p = 0 from identical values would over-claim).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from statsmodels.stats.power import TTestIndPower

from ..errors import ValidationError

NAN = float("nan")
TOO_FEW = "fewer than 2 ended calls"


Values = Sequence[float] | np.ndarray


@dataclass(frozen=True)
class Interval:
    """A two-sided interval; NaN ends when there is too little data.

    Attributes:
        low: The lower end.
        high: The upper end.
    """

    low: float
    high: float


@dataclass(frozen=True)
class Difference:
    """Welch's comparison of two means.

    Attributes:
        delta: mean(a) − mean(b).
        low: The lower end of the interval of `delta`.
        high: The upper end of the interval of `delta`.
        p_value: The two-sided p-value of "no difference".
    """

    delta: float
    low: float
    high: float
    p_value: float


def _clean(values: Values) -> np.ndarray:
    data = np.asarray(values, dtype=float)
    kept: np.ndarray = data[~np.isnan(data)]
    return kept


def mean_interval(values: Values, level: float = 0.95) -> Interval:
    """Student-t interval of the mean.

    Args:
        values: The sample (NaN values are left out).
        level: The confidence level, e.g. 0.95.

    Returns:
        The interval; NaN ends with fewer than 2 values or no spread.
    """
    data = _clean(values)
    if len(data) < 2:
        return Interval(NAN, NAN)
    if np.ptp(data) == 0:  # no spread seen: a zero-width interval would claim certainty a few values cannot give
        return Interval(NAN, NAN)
    ci = stats.ttest_1samp(data, 0.0).confidence_interval(level)
    return Interval(float(ci.low), float(ci.high))


def difference(a: Values, b: Values, level: float = 0.95) -> Difference:
    """Welch's t-test of mean(a) − mean(b): the difference, its interval and the two-sided p-value.

    Args:
        a: The first sample.
        b: The second sample.
        level: The confidence level of the interval.

    Returns:
        The difference; NaN fields with fewer than 2 values in either sample.
    """
    x, y = _clean(a), _clean(b)
    if len(x) < 2 or len(y) < 2:
        return Difference(NAN, NAN, NAN, NAN)
    delta = float(x.mean() - y.mean())
    if np.ptp(x) == 0 and np.ptp(y) == 0:
        # No spread in either group: the t-test is undefined. Equal values show no difference; unequal ones are
        # not "significant" on that alone (p = 0 would be an over-claim from, say, two ratings of 4 and two of 5).
        return Difference(0.0, 0.0, 0.0, 1.0) if delta == 0 else Difference(delta, NAN, NAN, NAN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # one group without spread: scipy warns, the test stands
        result = stats.ttest_ind(x, y, equal_var=False)
        ci = result.confidence_interval(level)
    return Difference(delta, float(ci.low), float(ci.high), float(result.pvalue))


def welch_dof(var_a: float, n_a: int, var_b: float, n_b: int) -> float:
    """Welch–Satterthwaite degrees of freedom of a difference of two independent means.

    Args:
        var_a: The first sample's variance.
        n_a: Its size.
        var_b: The second sample's variance.
        n_b: Its size.

    Returns:
        The degrees of freedom (NaN when both variances are 0).
    """
    part_a, part_b = var_a / n_a, var_b / n_b
    denominator = part_a**2 / (n_a - 1) + part_b**2 / (n_b - 1)
    return (part_a + part_b) ** 2 / denominator if denominator else NAN


def relative_change(a: Values, b: Values, level: float = 0.95) -> Interval:
    """Fieller's interval of mean(a) / mean(b) − 1, with Welch–Satterthwaite degrees of freedom.

    The set of ratios ρ with |ā − ρ·b̄| ≤ t·√(s²ₐ/nₐ + ρ²·s²ᵦ/nᵦ), t at Welch's degrees of freedom of the plain
    difference: so the interval excludes 0 exactly when Welch's interval of mean(a) − mean(b) at the same level
    does (both test ρ = 1 with the same statistic). When b's mean is not separated from 0 at this level the set
    is unbounded: returned as (−inf, inf).

    Args:
        a: The compared sample.
        b: The reference sample (its mean is the denominator).
        level: The confidence level.

    Returns:
        The interval of the relative change (0.1 for +10 %); NaN ends with fewer than 2 values in a sample or
        no spread in either (as `difference`), (−inf, inf) when unbounded.
    """
    x, y = _clean(a), _clean(b)
    if len(x) < 2 or len(y) < 2:
        return Interval(NAN, NAN)
    mean_x, mean_y = float(x.mean()), float(y.mean())
    spread_x, spread_y = float(x.var(ddof=1)), float(y.var(ddof=1))
    if spread_x == 0 and spread_y == 0:
        return Interval(0.0, 0.0) if mean_x == mean_y and mean_y != 0 else Interval(NAN, NAN)
    var_x, var_y = spread_x / len(x), spread_y / len(y)  # the variances of the two means
    t = float(stats.t.ppf((1 + level) / 2, welch_dof(spread_x, len(x), spread_y, len(y))))
    # (b̄² − t²·vᵦ)·ρ² − 2·ā·b̄·ρ + (ā² − t²·vₐ) ≤ 0; bounded iff the leading coefficient is positive
    lead, half, const = mean_y**2 - t * t * var_y, mean_x * mean_y, mean_x**2 - t * t * var_x
    if lead <= 0:
        return Interval(-math.inf, math.inf)
    root = math.sqrt(max(half * half - lead * const, 0.0))  # positive whenever lead > 0
    return Interval((half - root) / lead - 1.0, (half + root) / lead - 1.0)


def family_level(level: float, comparisons: int) -> float:
    """Bonferroni's level for each of `comparisons` intervals that hold together with `level`.

    Args:
        level: The level for the family, e.g. 0.95.
        comparisons: How many comparisons are made together.

    Returns:
        1 − (1 − level) / comparisons (`level` itself for one comparison or none).
    """
    return 1 - (1 - level) / max(comparisons, 1)


def bootstrap_interval(
    samples: Sequence[Values],
    statistic: Callable[..., Any],
    level: float = 0.95,
    seed: int = 0,
    n_resamples: int = 2000,
) -> Interval:
    """BCa bootstrap interval of `statistic(*samples, axis=-1)`, each sample resampled on its own, seeded.

    Args:
        samples: The samples `statistic` takes.
        statistic: A vectorised statistic (it takes `axis=`).
        level: The confidence level.
        seed: The seed of the resampling.
        n_resamples: How many resamples.

    Returns:
        The interval; NaN ends with fewer than 2 values in a sample or a degenerate bootstrap.
    """
    data = tuple(_clean(s) for s in samples)
    if any(len(d) < 2 for d in data):
        return Interval(NAN, NAN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate resamples: reported as NaN below
        try:
            ci = stats.bootstrap(
                data,
                statistic,
                method="BCa",
                confidence_level=level,
                n_resamples=n_resamples,
                random_state=np.random.default_rng(seed),
                vectorized=True,
            ).confidence_interval
        except ValueError:
            return Interval(NAN, NAN)
    return Interval(float(ci.low), float(ci.high))


def holm(p_values: Values) -> list[float]:
    """Holm-adjusted p-values (NaN stays NaN).

    statsmodels' `multipletests(method="holm")` step-down, written out because that function runs a full
    `gc.collect()` on every call (0.1 s in a notebook's heap); a test checks the two agree.

    Args:
        p_values: The raw p-values of the comparisons made together.

    Returns:
        The adjusted p-values, in the same order.
    """
    values = np.asarray(p_values, dtype=float)
    adjusted = np.full(len(values), NAN)
    present = np.flatnonzero(~np.isnan(values))
    if len(present):
        order = present[np.argsort(values[present], kind="stable")]
        steps = values[order] * np.arange(len(order), 0, -1)
        adjusted[order] = np.minimum(np.maximum.accumulate(steps), 1.0)
    return [float(p) for p in adjusted]


def replicates_to_separate(
    mean_a: float, sd_a: float, mean_b: float, sd_b: float, *, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Calls per variant for a two-sided t-test at `alpha` to tell these means apart with `power`.

    Args:
        mean_a: The first mean.
        sd_a: The first standard deviation (as observed).
        mean_b: The second mean.
        sd_b: The second standard deviation.
        alpha: The test's significance level.
        power: The probability of telling the means apart.

    Returns:
        Calls per variant (at least 2); inf when the means are equal, NaN without a spread.
    """
    spread = math.sqrt((sd_a**2 + sd_b**2) / 2)
    if not all(math.isfinite(v) for v in (mean_a, mean_b, spread)) or spread == 0:
        return NAN
    if mean_a == mean_b:
        return math.inf
    effect = abs(mean_a - mean_b) / spread
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' solver warns, and returns NaN, for very large effects
        n = float(TTestIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0))
    if not math.isfinite(n):  # the normal approximation, which the t-test's answer approaches from above
        n = 2 * ((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / effect) ** 2
    return float(math.ceil(max(n, 2.0)))


@dataclass(frozen=True)
class Prediction:
    """A predicted total with its prediction interval.

    Attributes:
        estimate: The point prediction.
        low: The lower end (never below 0).
        high: The upper end.
    """

    estimate: float
    low: float
    high: float


def total_prediction_interval(groups: Sequence[tuple[Values, int]], level: float = 0.90) -> Prediction:
    """The sum of `m` future values from each group, predicted from the group's past values.

    Values are independent and alike within a group: Σ m·x̄ ± t·√Σ s²(m + m²/n). The m·s² term is the new
    values' own spread, m²·s²/n the uncertainty of x̄; t has Welch–Satterthwaite degrees of freedom. Groups with
    m = 0 add nothing; a group with m > 0 and fewer than 2 past values makes the prediction NaN.

    Args:
        groups: (past values, how many future values) per group.
        level: The prediction level.

    Returns:
        The prediction; the low end is never below 0.
    """
    estimate = variance = dof_denominator = 0.0
    for values, m in groups:
        if m == 0:
            continue
        data = _clean(values)
        if len(data) < 2:
            return Prediction(NAN, NAN, NAN)
        part = float(data.var(ddof=1)) * (m + m * m / len(data))
        estimate += m * float(data.mean())
        variance += part
        dof_denominator += part * part / (len(data) - 1)
    if variance == 0:
        return Prediction(estimate, estimate, estimate)
    half = float(stats.t.ppf((1 + level) / 2, variance * variance / dof_denominator)) * math.sqrt(variance)
    return Prediction(estimate, max(estimate - half, 0.0), estimate + half)


def check_probability(name: str, value: float) -> None:
    """Check that `value` (a level, a power, a relative difference) is a number strictly between 0 and 1.

    Args:
        name: The parameter's name, for the message.
        value: What the caller passed.

    Raises:
        ValidationError: It is not a number strictly between 0 and 1.
    """
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value < 1:
        raise ValidationError.of_field(
            "argument", name, f"must be a number strictly between 0 and 1 (0.95 for 95 %), got {value!r}"
        )
