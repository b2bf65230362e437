"""The analysis on constructed frames: Bonferroni's level decides "significant" against the baseline (the printed
intervals are at that level), Holm's names a winner, and every view reads one analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from convoi_nb.errors import ValidationError
from convoi_nb.stats.analysis import Analysis, AnalysisConfig
from convoi_nb.stats.primitives import difference, family_level, holm
from convoi_nb.stats.wording import percent_interval

BASE = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
# Shifts whose Welch p-values against BASE are 0.043, 0.027 and 0.017: each below 0.05 raw, none after Holm
# (0.017 × 3 = 0.050, 0.027 × 2 = 0.054, 0.043 → 0.054), nor after Bonferroni (× 3).
SHIFTS = {"b": 2.5, "c": 2.8, "d": 3.1}


def frame_of(values: dict[str, np.ndarray]) -> pd.DataFrame:
    """A results frame of ended calls: cost = value / 10 (USD), length = value × 10 s."""
    rows = [
        {
            "variant": name,
            "kind": "replicate",
            "replicate": i,
            "status": "ended",
            "id": f"call_{name}_{i}",
            "cost_amount": float(v) / 10,
            "cost_currency": "USD",
            "duration_seconds": float(v) * 10,
            "create_error": None,
        }
        for name, sample in values.items()
        for i, v in enumerate(sample)
    ]
    frame = pd.DataFrame(rows)
    frame["variant"] = pd.Categorical(frame["variant"], categories=list(values))
    frame["create_error"] = frame["create_error"].astype("string")
    return frame


@pytest.fixture()
def analysis() -> Analysis:
    return Analysis(frame_of({"a": BASE, **{name: BASE + shift for name, shift in SHIFTS.items()}}))


def test_significance_is_adjusted_not_raw(analysis: Analysis) -> None:
    compared = analysis.compare()
    raw = [difference((BASE + SHIFTS[v]) / 10, BASE / 10).p_value for v in SHIFTS]
    assert all(p < 0.05 for p in raw)  # every variant "differs" on its own...
    assert compared["cost_p_value"].tolist() == pytest.approx(raw)
    assert compared["cost_p_adjusted"].tolist() == pytest.approx([min(1.0, 3 * p) for p in raw])
    assert all(p >= 0.05 for p in compared["cost_p_adjusted"])  # ...none after Bonferroni's adjustment
    assert not compared["cost_significant"].any() and not compared["duration_significant"].any()
    # the printed intervals are at Bonferroni's level, and so include 0 (the raw 95 % ones would not)
    assert (compared["cost_ci_level"] == family_level(0.95, 3)).all()
    assert ((compared["cost_delta_pct_ci_low"] < 0) & (compared["cost_delta_pct_ci_high"] > 0)).all()
    assert ((compared["cost_delta_ci_low"] < 0) & (compared["cost_delta_ci_high"] > 0)).all()
    sentences = analysis.verdict.comparisons
    assert len(sentences) == 4 and all("no cost difference this sample can tell apart" in s for s in sentences[:3])
    assert "98.33%: Bonferroni over the 3 variants compared" in sentences[3]


def test_the_verdict_prints_the_intervals_of_the_same_computation(analysis: Analysis) -> None:
    verdict = analysis.verdict
    assert verdict is analysis.verdict  # computed once
    leader = analysis.statistics["a"].metrics["cost"]
    cost = verdict.finding("cost")
    assert cost.leader == "a" and f"[{leader.ci.low:.3f}, {leader.ci.high:.3f}]" in cost.text
    for line, (variant, comparison) in zip(verdict.comparisons[:-1], analysis.comparisons.items(), strict=True):
        ci = comparison["cost"].delta_pct_ci
        assert line.startswith(variant) and f"98.33% CI {percent_interval(ci.low, ci.high)}" in line
    summary = analysis.summary()
    assert summary.loc["a", "cost_ci_low"] == leader.ci.low  # the table reads the same numbers


def test_a_bad_configuration_is_a_validation_error() -> None:
    with pytest.raises(ValidationError, match="level: must be a number strictly between 0 and 1"):
        AnalysisConfig(level=95)
    with pytest.raises(ValidationError, match="power"):
        AnalysisConfig(power=0)
    with pytest.raises(ValidationError, match="baseline: unknown baseline 'z'"):
        Analysis(frame_of({"a": BASE, "b": BASE}), AnalysisConfig(baseline="z"))


def test_the_headline_names_no_winner_that_only_raw_p_values_would_separate(analysis: Analysis) -> None:
    # "a" leads on both metrics; against each other variant its raw p is below 0.05, its Holm-adjusted p is not.
    raw = [difference(BASE / 10, (BASE + SHIFTS[v]) / 10).p_value for v in SHIFTS]
    assert max(raw) < 0.05 <= max(holm(raw))
    for metric in ("cost", "duration"):
        found = analysis.verdict.finding(metric)
        assert found.leader == "a" and found.winner is None
        assert found.p_adjusted == pytest.approx(max(holm(raw)))
        assert "not separated" in found.text and "Holm-adjusted" in found.text
