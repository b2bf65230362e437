"""Lai's confidence sequence: the formula against hand-computed values, no bound before R < t, and coverage under
repeated looks on seeded simulations where a per-look t interval (the peeking user's) fails."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from convoi_nb.errors import ValidationError
from convoi_nb.stats.confidence_sequence import lai_interval, lai_radius_factor, lai_sequence, lai_tuning


def test_tuning_is_the_asymptotic_cs_choice_for_the_planned_size() -> None:
    # g = (−2·ln 0.05 + ln(1 − 2·ln 0.05)) / 30 = (5.99146 + ln 6.99146) / 30 = (5.99146 + 1.94469) / 30
    assert lai_tuning(0.05, 30) == pytest.approx(0.264538, abs=1e-6)


def test_interval_matches_the_formula_computed_by_hand() -> None:
    # t = 10, α = 0.05, g = 0.264538: A = (0.0025 / 3.64538)^(1/10) = 0.482657, R = (1 − A)·3.64538 / g
    # = 7.12914, factor = sqrt(R·9 / (10·(10 − R))) = 1.495058; values 1..10: m = 5.5, s = 3.027650
    assert lai_radius_factor(10, alpha=0.05, g=lai_tuning(0.05, 30)) == pytest.approx(1.495058, abs=1e-5)
    interval = lai_interval(list(range(1, 11)), alpha=0.05, planned=30)
    assert interval.low == pytest.approx(5.5 - 1.495058 * 3.027650, abs=1e-4)
    assert interval.high == pytest.approx(5.5 + 1.495058 * 3.027650, abs=1e-4)


def test_no_bound_while_r_is_at_least_t() -> None:
    g = lai_tuning(0.05, 30)
    for t in range(1, 7):  # R = 6.13… at t = 6 and 6.64 at t = 7: the first bound comes with the 7th value
        assert lai_radius_factor(t, alpha=0.05, g=g) == math.inf
    assert math.isfinite(lai_radius_factor(7, alpha=0.05, g=g))
    rng = np.random.default_rng(0)
    values = rng.normal(size=7)
    assert lai_interval(values[:6], alpha=0.05, planned=30) == lai_interval([], alpha=0.05, planned=30)
    assert lai_interval(values[:6], alpha=0.05, planned=30).low == -math.inf
    assert math.isfinite(lai_interval(values, alpha=0.05, planned=30).low)


def test_a_smaller_error_budget_waits_longer_and_is_wider() -> None:
    g_wide, g_narrow = lai_tuning(0.05 / 15, 30), lai_tuning(0.05, 30)
    assert lai_radius_factor(8, alpha=0.05 / 15, g=g_wide) == math.inf
    assert lai_radius_factor(30, alpha=0.05 / 15, g=g_wide) > lai_radius_factor(30, alpha=0.05, g=g_narrow)


def test_every_look_of_the_sequence_is_the_interval_of_its_prefix() -> None:
    values = np.random.default_rng(1).lognormal(0, 0.4, 40)
    low, high = lai_sequence(values, alpha=0.05, planned=20)
    for t in (1, 5, 12, 40):
        interval = lai_interval(values[:t], alpha=0.05, planned=20)
        assert (low[t - 1], high[t - 1]) == (interval.low, interval.high)


def test_no_spread_gives_no_bound() -> None:
    # equal values: a zero-width interval would claim a certainty a few values cannot give
    assert lai_interval([0.2] * 30, alpha=0.05, planned=30).low == -math.inf


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"alpha": 0.0, "planned": 30}, "alpha"),
        ({"alpha": 1.5, "planned": 30}, "alpha"),
        ({"alpha": 0.05, "planned": 0}, "planned"),
        ({"alpha": 0.05, "planned": 2.5}, "planned"),
    ],
)
def test_bad_arguments_name_the_parameter(arguments: dict, field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        lai_interval([1.0, 2.0, 3.0], **arguments)


def test_a_missing_value_is_refused() -> None:
    with pytest.raises(ValidationError, match="values"):
        lai_interval([1.0, math.nan, 3.0], alpha=0.05, planned=30)


def _ever_missed(draw, truth: float, runs: int, looks: int, seed: int) -> tuple[float, float]:
    """(Lai's, a per-look t interval's) share of sequences whose interval missed the truth at some look."""
    rng = np.random.default_rng(seed)
    lai_missed = t_missed = 0
    t = np.arange(1, looks + 1)
    quantile = stats.t.ppf(0.975, np.maximum(t - 1, 1))
    for _ in range(runs):
        values = draw(rng, looks)
        low, high = lai_sequence(values, alpha=0.05, planned=30)
        lai_missed += bool(np.any((low > truth) | (high < truth)))
        means = np.cumsum(values) / t
        sds = np.array([values[:k].std(ddof=1) if k > 1 else np.inf for k in t])
        half = quantile * sds / np.sqrt(t)
        t_missed += bool(np.any((np.abs(means - truth) > half)[4:]))  # peeking from the 5th value on
    return lai_missed / runs, t_missed / runs


@pytest.mark.parametrize(
    ("label", "draw", "truth"),
    [
        ("gaussian", lambda rng, n: rng.normal(1.0, 0.3, n), 1.0),
        # a difference of two log-normal costs (the sandbox's spread, 0.2; a 13 % cheaper arm): skewed tails
        (
            "log-normal difference",
            lambda rng, n: 0.2 * rng.lognormal(0, 0.2, n) - 0.174 * rng.lognormal(0, 0.2, n),
            (0.2 - 0.174) * math.exp(0.02),
        ),
    ],
)
def test_the_sequence_covers_at_every_look_where_a_per_look_t_interval_does_not(label, draw, truth) -> None:
    # 1,000 seeded sequences of 100 looks: Lai misses about 0.02–0.03 (nominal 0.05, simultaneous over every
    # look; standard error 0.005); the t interval re-read after every value misses about 0.3. A wrong radius (the
    # t interval's, or one without the time-uniform correction) fails the first assertion; the second shows that
    # this simulation tells them apart.
    lai, t_interval = _ever_missed(draw, truth, runs=1000, looks=100, seed=0)
    assert lai <= 0.04, (label, lai)
    assert t_interval >= 0.15, (label, t_interval)
