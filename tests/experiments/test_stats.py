"""The statistics behind summary(), compare(), verdict() and plan(): library results, NaN for too little data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from convoi_nb.experiments.stats import (
    bootstrap_interval,
    difference,
    holm,
    mean_interval,
    replicates_to_separate,
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
    slow = scipy_stats.bootstrap((values,), np.median, method="BCa", vectorized=False, n_resamples=2000,
                                 random_state=np.random.default_rng(1)).confidence_interval
    assert (first.low, first.high) == pytest.approx((slow.low, slow.high))  # the library's BCa, vectorised
    assert first == again and first.low < np.median(values) < first.high


def test_holm_adjustment_is_statsmodels_holm() -> None:
    from statsmodels.stats.multitest import multipletests

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
