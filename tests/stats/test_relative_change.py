"""The % change against the baseline: Fieller's interval covers at 3 to 20 calls, agrees with Welch's test on
"no change", and says so when it is unbounded."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convoi_nb.report import formatting as fmt
from convoi_nb.stats.comparison import compare_variants
from convoi_nb.stats.primitives import difference, relative_change
from convoi_nb.stats.verdict import cost_sentence

from .samples import summaries


def lognormal(rng: np.random.Generator, mean: float, sigma: float, n: int) -> np.ndarray:
    """`n` values of a log-normal with this mean (the sandbox's call lengths: sigma 0.2)."""
    return mean * np.exp(rng.normal(-(sigma**2) / 2, sigma, n))


@pytest.mark.parametrize("sigma", [0.2, 0.4])
@pytest.mark.parametrize("calls", [3, 5, 8, 20])
def test_fieller_covers_the_true_change_at_few_calls(calls: int, sigma: float) -> None:
    rng = np.random.default_rng(calls * 10 + int(10 * sigma))
    runs, covered = 1000, 0
    for ratio in (0.866, 1.73):  # notebook 02's cheapest and dearest against the baseline
        for _ in range(runs // 2):
            interval = relative_change(lognormal(rng, ratio, sigma, calls), lognormal(rng, 1.0, sigma, calls))
            covered += interval.low <= ratio - 1 <= interval.high
    assert covered / runs >= 0.93  # nominal 0.95; the BCa bootstrap it replaces covered 0.77 at 3 calls


def test_the_comparison_s_percent_interval_covers_at_three_calls() -> None:
    rng = np.random.default_rng(3)
    runs, covered = 400, 0
    for _ in range(runs):
        sample = summaries({"base": lognormal(rng, 0.21, 0.2, 3), "fast": lognormal(rng, 0.18, 0.2, 3)})
        interval = compare_variants(sample, "base")["fast"]["cost"].delta_pct_ci  # one comparison: at 95 %
        covered += interval.low <= 100 * (0.18 / 0.21 - 1) <= interval.high
    assert covered / runs >= 0.93


def test_fieller_excludes_no_change_exactly_when_welch_does() -> None:
    rng = np.random.default_rng(11)
    for _ in range(500):
        n_a, n_b = rng.integers(2, 12, size=2)
        a = lognormal(rng, rng.uniform(0.7, 1.4), rng.uniform(0.05, 0.6), int(n_a))
        b = lognormal(rng, 1.0, rng.uniform(0.05, 0.6), int(n_b))
        level = float(rng.choice([0.9, 0.95, 0.99]))
        ratio, welch = relative_change(a, b, level), difference(a, b, level)
        welch_excludes = welch.low > 0 or welch.high < 0
        assert (ratio.low > 0 or ratio.high < 0) == welch_excludes
        if math.isfinite(ratio.low):
            assert ratio.low <= a.mean() / b.mean() - 1 <= ratio.high  # the estimate lies inside


def test_an_unbounded_change_is_shown_as_such_and_the_words_follow_the_money_interval() -> None:
    # The baseline's mean is not separated from 0 (two calls, one nearly free): no finite % interval exists.
    sample = summaries({"base": np.array([0.001, 0.4]), "dear": np.array([2.0, 2.1, 2.2, 2.05])})
    assert math.isinf(relative_change(sample["dear"].metrics["cost"].values, sample["base"].metrics["cost"].values).low)
    comparison = compare_variants(sample, "base")["dear"]["cost"]
    assert comparison.delta_pct_ci.low == -math.inf and comparison.delta_pct_ci.high == math.inf
    assert fmt.percent_with_interval(comparison.delta_pct, -math.inf, math.inf).endswith("[unbounded]")
    sentence = cost_sentence(comparison, "USD")
    assert "the % change is unbounded: base's mean is not separated from 0" in sentence
    d = comparison.difference
    assert f"95% CI {d.low:+.3f} to {d.high:+.3f} USD per call" in sentence
    assert ("costs" in sentence) == (d.low > 0 or d.high < 0)


def test_too_little_data_or_no_spread() -> None:
    assert math.isnan(relative_change([1.0], [1.0, 2.0]).low)
    assert relative_change([2.0, 2.0], [2.0, 2.0]) == relative_change([3.0, 3.0], [3.0, 3.0])
    assert relative_change([2.0, 2.0], [2.0, 2.0]).low == 0.0  # equal and without spread: no change, none claimed
    assert math.isnan(relative_change([2.0, 2.0], [1.0, 1.0]).low)  # unequal without spread: no interval
