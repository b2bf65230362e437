"""plan() and the verdict's advice: one simulation of the verdict's own rule, checked against that rule on raw
simulated calls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from convoi_nb.errors import ValidationError
from convoi_nb.stats.naming import (
    answer_range,
    calls_to_name_best,
    holm_separates,
    naming_probability,
    pooled_relative_spread,
)
from convoi_nb.stats.plan import plan_replicates
from convoi_nb.stats.primitives import holm
from convoi_nb.stats.verdict import find, separation

from .samples import summaries

SIGMA = 0.2  # the sandbox's log-normal spread of call length
MEANS = {"base": 0.21, "fast": 0.18, "dear": 0.30}  # notebook 02's cheapest pair, 15 % apart, and a dear one


def rule_on_raw_calls(calls: int, runs: int, seed: int) -> float:
    """How often the verdict's rule itself names "fast" on `runs` experiments of raw log-normal calls."""
    rng = np.random.default_rng(seed)
    named = 0
    for _ in range(runs):
        sample = summaries({n: m * np.exp(rng.normal(-(SIGMA**2) / 2, SIGMA, calls)) for n, m in MEANS.items()})
        ranked, worst = separation(sample, "cost")
        named += ranked[0] == "fast" and worst < 0.05
    return named / runs


def test_the_simulation_matches_the_verdict_rule_on_raw_calls() -> None:
    means = list(MEANS.values())
    cv = math.sqrt(math.exp(SIGMA**2) - 1)
    planned = calls_to_name_best(means, [m * cv for m in means], probability=0.8)
    # the rule on raw calls: below 80 % a quarter under the plan's answer, at or above 80 % a quarter over it
    assert rule_on_raw_calls(math.floor(planned * 0.75), 200, seed=1) < 0.8
    assert rule_on_raw_calls(math.ceil(planned * 1.25), 200, seed=2) >= 0.8
    for calls in (5, 20):
        simulated = naming_probability(means, [m * cv for m in means], calls)
        assert simulated == pytest.approx(rule_on_raw_calls(calls, 200, seed=calls), abs=0.08)


def test_holm_separates_as_holm_adjusts() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.06, size=(300, 4))
    expected = [max(holm(row)) < 0.05 for row in p]
    assert holm_separates(p, 0.05).tolist() == expected


def test_the_verdict_s_advice_is_plan_s_answer() -> None:
    rng = np.random.default_rng(5)
    sample = summaries({n: m * np.exp(rng.normal(0, SIGMA, 4)) for n, m in MEANS.items()}, failed=1)
    finding = find(sample, "cost", level=0.95, power=0.8)
    plan = plan_replicates(sample, probability=0.8)
    assert finding.winner is None and math.isfinite(finding.replicates_needed)
    assert (plan["replicates"] == finding.replicates_needed).all()
    assert (plan["replicates_for_cost"] == finding.replicates_needed).all()
    assert f"about {finding.replicates_needed:.0f} calls per variant would name the cheapest" in finding.text
    low, high = finding.replicates_range
    assert low <= finding.replicates_needed <= high and f"({low:.0f} to " in finding.text
    assert (plan["replicates_low"] == low).all() and (plan["replicates_high"] == high).all()
    assert plan.attrs["question"] == (
        "calls per variant for the verdict to name the cheapest variant with 80% probability"
    )
    # a surer answer takes more calls; the older question is still there
    assert plan_replicates(sample, probability=0.95)["replicates"].iloc[0] > finding.replicates_needed
    assert plan_replicates(sample, detect=0.10).attrs["question"].startswith("calls per variant to detect a 10%")


def test_the_range_rescales_the_answer_by_the_gap_s_uncertainty() -> None:
    # gap 0.1 with standard error 0.05 · √2 ≈ 0.0707 (5 calls each at a relative spread of 0.25 on means 1.0
    # and 1.1 — approximately): the answer is rescaled by (g / (g ± 1.28 s))²
    low, high = answer_range(100, [1.0, 1.1, 2.0], [5, 5, 5], 0.25)
    error = 0.25 * math.sqrt(1.0 / 5 + 1.21 / 5)
    assert low == math.ceil(100 * (0.1 / (0.1 + 1.2816 * error)) ** 2)
    assert high == math.inf  # the gap is not clear of 0: no upper end
    low, high = answer_range(100, [1.0, 1.5], [20, 20], 0.1)
    assert 2 <= low < 100 < high < math.inf
    assert answer_range(math.inf, [1.0, 1.5], [20, 20], 0.1) == pytest.approx((math.nan, math.nan), nan_ok=True)


def test_equal_leaders_or_no_spread_have_no_finite_answer() -> None:
    assert calls_to_name_best([1.0, 1.0, 2.0], [0.2, 0.2, 0.4]) == math.inf
    assert math.isnan(calls_to_name_best([1.0], [0.2]))
    assert math.isnan(calls_to_name_best([1.0, 2.0], [float("nan"), 0.2]))
    assert calls_to_name_best([1.0, 5.0], [0.01, 0.01]) == 2  # far apart: the minimum
    assert math.isnan(pooled_relative_spread([1.0], [0.1], [1]))
    assert pooled_relative_spread([1.0, 2.0], [0.1, 0.2], [3, 5]) == pytest.approx(0.1)


def test_a_bad_metric_is_a_validation_error() -> None:
    sample = summaries({n: np.array([m, m * 1.1, m * 0.9]) for n, m in MEANS.items()})
    with pytest.raises(ValidationError, match="metric: must be one of cost, duration"):
        plan_replicates(sample, metric="quality")
