"""The horizon-calibrated level of Lai's sequence: its Gaussian miss rate within the horizon is at, never above,
its target; the closed form of each path's critical level agrees with Lai's interval computed directly."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convoi_nb.errors import ValidationError
from convoi_nb.stats.confidence_sequence import lai_sequence, lai_tuning
from convoi_nb.stats.horizon import critical_levels, horizon_level, miss_rate


@pytest.mark.parametrize(
    ("share", "horizon", "paths"),
    [
        (0.05, 60, 200_000),  # a pair, the whole budget, the bench's 60 looks
        (0.05 / 15, 120, 600_000),  # one of six variants' 15 pairs over 120 looks
    ],
)
def test_the_calibrated_level_misses_its_target_within_the_horizon(share: float, horizon: int, paths: int) -> None:
    # Independent Gaussian paths (another seed than the calibration's). The calibration aims a little below the
    # target (2 standard errors of its own count of misses), so the check's estimate sits near the target and at
    # or below it; Lai's uncalibrated level spends well under half of the budget over the same looks, which is
    # the width the calibration gives back.
    g = lai_tuning(share, 30)
    level = horizon_level(share, 30, horizon)
    missed = miss_rate(level, g, horizon, paths=paths, seed=7)
    error = math.sqrt(share * (1 - share) / paths)
    assert level > share
    assert 0.85 * share <= missed <= share, (missed, error)
    assert miss_rate(share, g, horizon, paths=paths, seed=7) < 0.5 * share


def test_a_path_is_missed_exactly_when_the_level_is_above_its_critical_level() -> None:
    # The closed form (S_t²/Q_t in Lai's R) against lai_sequence on the same standard Gaussian paths (mean 0).
    g, horizon = lai_tuning(0.05, 30), 40
    levels = critical_levels(g, horizon, paths=300, seed=3)
    paths = np.random.default_rng(3).standard_normal((300, horizon), dtype=np.float32).astype(float)
    for path, critical in zip(paths[:60], levels[:60], strict=True):
        for factor, expected in ((1.001, True), (0.999, False)):
            level = math.exp(float(critical)) * factor
            if not 0 < level < 1:
                continue
            low, high = lai_sequence(path, alpha=level, planned=30, tuning=g)
            assert bool(np.any((low > 0) | (high < 0))) == expected, (critical, factor)


def test_the_calibration_is_deterministic_and_cached() -> None:
    horizon_level.cache_clear()
    first = horizon_level(0.01, 20, 50)
    assert horizon_level(0.01, 20, 50) == first
    assert horizon_level.cache_info().hits == 1
    horizon_level.cache_clear()
    assert horizon_level(0.01, 20, 50) == first  # recomputed from the same seeded paths


def test_a_longer_horizon_needs_a_level_closer_to_the_nominal_one() -> None:
    # more looks leave less of the infinite-horizon budget unspent
    assert horizon_level(0.05, 30, 20) > horizon_level(0.05, 30, 60) > horizon_level(0.05, 30, 120) > 0.05
    assert horizon_level(0.05, 30, 1) == 0.05  # no look has a bound: nothing to calibrate


@pytest.mark.parametrize(
    ("arguments", "name"),
    [
        ((0.0, 30, 60), "share"),
        ((0.05, 0, 60), "planned"),
        ((0.05, 30, 0), "horizon"),
        ((0.05, 30, 2.5), "horizon"),
    ],
)
def test_bad_arguments_name_the_parameter(arguments: tuple, name: str) -> None:
    with pytest.raises(ValidationError, match=name):
        horizon_level(*arguments)
