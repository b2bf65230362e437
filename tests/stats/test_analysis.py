"""The analysis on constructed frames: Holm's adjustment decides "significant", and every view reads one analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from convoi_nb.errors import ValidationError
from convoi_nb.stats.analysis import Analysis, AnalysisConfig
from convoi_nb.stats.primitives import difference, holm

BASE = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
# Shifts whose Welch p-values against BASE are 0.043, 0.027 and 0.017: each below 0.05 raw, none after Holm
# (0.017 × 3 = 0.050, 0.027 × 2 = 0.054, 0.043 → 0.054).
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


def test_significance_is_holm_adjusted_not_raw(analysis: Analysis) -> None:
    compared = analysis.compare()
    raw = [difference((BASE + SHIFTS[v]) / 10, BASE / 10).p_value for v in SHIFTS]
    assert all(p < 0.05 for p in raw)  # every variant "differs" on its own...
    assert compared["cost_p_value"].tolist() == pytest.approx(raw)
    assert compared["cost_p_adjusted"].tolist() == pytest.approx(holm(raw))
    assert all(p >= 0.05 for p in compared["cost_p_adjusted"])  # ...none after Holm's adjustment
    assert not compared["cost_significant"].any() and not compared["duration_significant"].any()
    sentences = analysis.verdict.comparisons
    assert len(sentences) == 3 and all("no cost difference this sample can tell apart" in s for s in sentences)


def test_the_verdict_prints_the_intervals_of_the_same_computation(analysis: Analysis) -> None:
    verdict = analysis.verdict
    assert verdict is analysis.verdict  # computed once
    leader = analysis.statistics["a"].metrics["cost"]
    cost = verdict.finding("cost")
    assert cost.leader == "a" and f"[{leader.ci.low:.3f}, {leader.ci.high:.3f}]" in cost.text
    for line, (variant, comparison) in zip(verdict.comparisons, analysis.comparisons.items(), strict=True):
        ci = comparison["cost"].delta_pct_ci
        assert line.startswith(variant) and f"CI {ci.low:+.0f}% to {ci.high:+.0f}%" in line
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
