"""Bootstrap CIs: seeded, sensible, and honest about tiny samples."""

from __future__ import annotations

import math

import numpy as np

from convoi_nb.experiments import bootstrap_ci, bootstrap_diff_ci


def test_ci_contains_the_mean_and_narrows_with_more_data() -> None:
    rng = np.random.default_rng(1)
    small, large = rng.normal(10, 2, 20), rng.normal(10, 2, 2000)
    low_s, high_s = bootstrap_ci(small)
    low_l, high_l = bootstrap_ci(large)
    assert low_s < small.mean() < high_s and low_l < large.mean() < high_l
    assert (high_l - low_l) < (high_s - low_s) / 5


def test_seeded_and_reproducible() -> None:
    values = list(np.random.default_rng(0).exponential(5, 30))
    assert bootstrap_ci(values, seed=3) == bootstrap_ci(values, seed=3)
    assert bootstrap_ci(values, seed=3) != bootstrap_ci(values, seed=4)


def test_difference_ci_detects_a_real_shift_and_not_a_null_one() -> None:
    rng = np.random.default_rng(2)
    a, b, c = rng.normal(12, 1, 50), rng.normal(10, 1, 50), rng.normal(10, 1, 50)
    low, high = bootstrap_diff_ci(a, b)
    assert 1.4 < low < 2 < high < 2.6
    low0, high0 = bootstrap_diff_ci(c, b)
    assert low0 < 0 < high0


def test_too_few_values_give_nan() -> None:
    assert all(math.isnan(x) for x in bootstrap_ci([1.0]))
    assert all(math.isnan(x) for x in bootstrap_diff_ci([1.0, 2.0], []))
