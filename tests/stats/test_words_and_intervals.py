"""The verdict's words never disagree with the interval printed beside them, and no number reads "-0"."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convoi_nb.stats.comparison import compare_variants
from convoi_nb.stats.verdict import cost_sentences
from convoi_nb.stats.wording import money_change, percent, signed

from .samples import summaries

PERCENT = re.compile(r"CI ([+-]?[\d.]+)% to ([+-]?[\d.]+)%")
MONEY = re.compile(r"CI ([+-]?[\d.]+) to ([+-]?[\d.]+) USD per call")
MORE_OR_LESS = re.compile(r"^(\S+) costs [\d.$]+%? (more|less) per call than base \(")
NONE = re.compile(r"^(\S+) vs base: no cost difference this sample can tell apart \(")


def random_experiment(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """3 to 6 variants of 2 to 12 log-normal costs each, some equal to the baseline, some up to 40 % apart."""
    k, calls = int(rng.integers(3, 7)), int(rng.integers(2, 13))
    shifts = [0.0] + [float(rng.choice([0.0, rng.uniform(-0.4, 0.4)])) for _ in range(k - 1)]
    sigma = float(rng.uniform(0.1, 0.5))
    names = ["base"] + [f"v{i}" for i in range(1, k)]
    return {n: 0.2 * (1 + s) * np.exp(rng.normal(0, sigma, calls)) for n, s in zip(names, shifts, strict=True)}


@pytest.mark.parametrize("seed", range(6))
def test_the_sentence_says_more_or_less_exactly_when_its_printed_interval_excludes_zero(seed: int) -> None:
    rng = np.random.default_rng(seed)
    called = 0
    for _ in range(40):
        sample = summaries(random_experiment(rng))
        comparisons = compare_variants(sample, "base", level=0.95)
        lines = [line for line in cost_sentences(comparisons, "base", 0.95, "USD") if not line.startswith("(")]
        assert len(lines) == len(comparisons)
        for line, (variant, metrics) in zip(lines, comparisons.items(), strict=True):
            c = metrics["cost"]
            found = PERCENT.search(line) or MONEY.search(line)
            assert found, line
            low, high = float(found[1]), float(found[2])
            says, none = MORE_OR_LESS.match(line), NONE.match(line)
            assert (says is None) != (none is None) and (says or none)[1] == variant, line
            if says:  # the printed interval lies on one side of 0, the side the words name
                assert (low >= 0 and says[2] == "more") or (high <= 0 and says[2] == "less"), line
                assert (c.difference.delta > 0) == (says[2] == "more") and c.significant
                called += 1
            else:  # the printed interval holds 0
                assert low <= 0 <= high and not c.significant, line
            assert c.significant == (
                c.delta_pct_ci.low > 0 or c.delta_pct_ci.high < 0 or c.difference.low > 0 or c.difference.high < 0
            )
            assert c.p_adjusted < 0.05 if c.significant else c.p_adjusted >= 0.05 or np.isnan(c.p_adjusted)
            assert "-0%" not in line and "-0 " not in line and "+0%" not in line
    assert called  # the property was exercised on both sides


def test_the_level_of_the_printed_intervals_is_stated() -> None:
    sample = summaries(
        {n: np.array([0.2, 0.21, 0.22, 0.19]) * (1 + i / 10) for i, n in enumerate("base a b c d".split())}
    )
    lines = cost_sentences(compare_variants(sample, "base", level=0.95), "base", 0.95)
    assert all("98.75% CI" in line for line in lines[:4])
    assert lines[4] == (
        "(Each interval against base is at 98.75%: Bonferroni over the 4 variants compared, so together they hold "
        "with 95%; a difference is called only when its interval excludes 0.)"
    )


def test_a_change_that_rounds_to_zero_is_printed_without_a_sign() -> None:
    # a mean 0.3 % below the baseline's: main printed "(-0%, 95 % CI …)"
    base = np.array([0.20, 0.22, 0.18, 0.21, 0.19])
    sample = summaries({"base": base, "same": base * 0.997})
    line = cost_sentences(compare_variants(sample, "base"), "base", 0.95)[0]
    assert line.startswith("same vs base: no cost difference this sample can tell apart (-0.3%, 95% CI ")
    assert "-0%" not in line
    assert percent(-0.04) == "0%" and percent(0.04) == "0%" and percent(-0.3) == "-0.3%" and percent(-12.4) == "-12%"
    assert signed(-0.04, 1) == "0.0" and signed(2.0, 1) == "+2.0" and signed(-2.04, 1) == "-2.0"
    assert money_change(-0.0001, "USD") == "$0.000" and money_change(-0.0279, "USD") == "-$0.028"
