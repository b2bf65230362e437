"""The statistics behind summary(), compare(), verdict() and plan(): library results, NaN for too little data."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from convoi_nb.stats.primitives import (
    bootstrap_interval,
    difference,
    holm,
    mean_interval,
    replicates_to_separate,
    total_prediction_interval,
)


def test_mean_interval_is_the_student_t_interval() -> None:
    values = [0.18, 0.21, 0.19, 0.25, 0.17]
    interval = mean_interval(values, 0.95)
    mean, sem = np.mean(values), scipy_stats.sem(values)
    half = scipy_stats.t.ppf(0.975, df=4) * sem
    assert interval.low == pytest.approx(mean - half) and interval.high == pytest.approx(mean + half)
    assert mean_interval(values, 0.80).high < interval.high  # `level` is honoured


def test_difference_is_welchs() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0, 9.0], [2.0, 2.5, 3.0, 3.5]
    d = difference(a, b)
    welch = scipy_stats.ttest_ind(a, b, equal_var=False)
    assert d.delta == pytest.approx(np.mean(a) - np.mean(b)) and d.p_value == pytest.approx(welch.pvalue)
    assert d.low < d.delta < d.high


@pytest.mark.parametrize("values", [[], [1.0], [float("nan"), 2.0]])
def test_too_little_data_is_nan_never_a_crash(values: list[float]) -> None:
    assert math.isnan(mean_interval(values).low)
    assert math.isnan(difference(values, [1.0, 2.0, 3.0]).p_value)
    assert math.isnan(bootstrap_interval([values], np.median).low)


def test_bca_median_interval_is_seeded() -> None:
    rng = np.random.default_rng(3)
    values = rng.lognormal(0, 0.3, 12)
    first, again = bootstrap_interval([values], np.median, seed=1), bootstrap_interval([values], np.median, seed=1)
    slow = scipy_stats.bootstrap(
        (values,), np.median, method="BCa", vectorized=False, n_resamples=2000, random_state=np.random.default_rng(1)
    ).confidence_interval
    assert (first.low, first.high) == pytest.approx((slow.low, slow.high))  # the library's BCa, vectorised
    assert first == again and first.low < np.median(values) < first.high


def test_holm_adjustment_is_statsmodels_holm(monkeypatch: pytest.MonkeyPatch) -> None:
    from statsmodels.stats.multitest import multipletests

    # multipletests runs a full gc.collect() on every call (the reason holm() exists): in the test run's heap that
    # is most of this test's time, and collecting changes none of its numbers.
    monkeypatch.setattr(gc, "collect", lambda generation=2: 0)

    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    rng = np.random.default_rng(5)
    for _ in range(50):
        p = rng.uniform(0, 0.2, rng.integers(1, 8))
        assert holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist())
    adjusted = holm([0.02, float("nan")])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1])


def test_replicates_to_separate_follows_the_power_of_the_t_test() -> None:
    # effect size 0.5 at alpha 0.05 and 80 % power: the textbook 64 per group
    assert replicates_to_separate(10.0, 2.0, 11.0, 2.0, alpha=0.05, power=0.8) == 64
    assert replicates_to_separate(10.0, 2.0, 10.0, 2.0) == math.inf
    assert replicates_to_separate(0.0, 1.0, 6.0, 1.0) == 2  # so far apart that the solver gives up: the minimum
    assert replicates_to_separate(0.0, 1.0, 5.0, 1.0) >= 2
    assert math.isnan(replicates_to_separate(10.0, 0.0, 11.0, 0.0))


def test_the_prediction_of_a_total_is_the_textbook_t_interval() -> None:
    values = [0.21, 0.25, 0.19, 0.30]
    n, m, mean, sd = 4, 6, float(np.mean(values)), float(np.std(values, ddof=1))
    low, high = scipy_stats.t.interval(0.9, n - 1, loc=m * mean, scale=sd * math.sqrt(m + m * m / n))
    one = total_prediction_interval([(values, m)], 0.9)
    assert one.estimate == pytest.approx(m * mean)
    assert (one.low, one.high) == (pytest.approx(max(low, 0)), pytest.approx(high))
    # Two groups: variances add; Welch–Satterthwaite degrees of freedom.
    other = [1.0, 1.4, 1.1]
    parts = [np.var(values, ddof=1) * (m + m * m / 4), np.var(other, ddof=1) * (2 + 4 / 3)]
    dof = sum(parts) ** 2 / (parts[0] ** 2 / 3 + parts[1] ** 2 / 2)
    two = total_prediction_interval([(values, m), (other, 2), ([5.0], 0)], 0.9)  # m = 0 adds nothing
    half = scipy_stats.t.ppf(0.95, dof) * math.sqrt(sum(parts))
    assert two.estimate == pytest.approx(m * mean + 2 * np.mean(other))
    assert two.high == pytest.approx(two.estimate + half)
    assert math.isnan(total_prediction_interval([([1.0], 3)]).estimate)  # no spread to predict from
    assert total_prediction_interval([([2.0, 2.0], 3)]) == total_prediction_interval([([2.0, 2.0], 3)])
    assert total_prediction_interval([([2.0, 2.0], 3)]).low == 6.0


def test_the_prediction_interval_covers_about_its_level() -> None:
    rng = np.random.default_rng(7)
    hits = 0
    for _ in range(2000):
        past = rng.normal(10, 2, size=(2, 3))
        future = rng.normal(10, 2, size=(2, 8))
        p = total_prediction_interval([(past[0], 8), (past[1], 8)], 0.9)
        hits += p.low <= future.sum() <= p.high
    assert 0.87 <= hits / 2000 <= 0.95  # 0.9 ± 5 standard errors of 2,000 draws, widened by Satterthwaite


def test_no_spread_is_no_evidence() -> None:
    # Two ratings of 4 against two of 5: different, but nothing says by how much they vary: no claim.
    d = difference([5, 5], [4, 4])
    assert d.delta == 1 and math.isnan(d.p_value) and math.isnan(d.low)
    assert difference([3, 3], [3, 3]).p_value == 1.0
    assert math.isnan(mean_interval([4, 4]).low)
