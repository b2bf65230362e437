"""`estimate_remaining` on hand-made frames: its low end is never below what is already spent, and it says what
the interval rests on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pandas as pd

from convoi_nb.stats.columns import KINDS
from convoi_nb.stats.estimate import estimate_remaining


def frame(rows: list[tuple[str, int, str, float]], variants: list[str]) -> pd.DataFrame:
    """A results frame of (variant, replicate, status, cost) rows: calls of 60 s each, in USD."""
    data: dict[str, Any] = {
        "variant": pd.Categorical([r[0] for r in rows], categories=variants),
        "replicate": pd.array([r[1] for r in rows], dtype="Int64"),
        "kind": pd.Categorical(["replicate"] * len(rows), categories=list(KINDS)),
        "id": [f"call_{i}" for i in range(len(rows))],
        "status": [r[2] for r in rows],
        "cost_amount": [Decimal(str(r[3])) for r in rows],
        "cost_currency": ["USD"] * len(rows),
        "duration_seconds": [60.0] * len(rows),
        "create_error": pd.array([None] * len(rows), dtype="string"),
    }
    return pd.DataFrame(data)


def test_the_low_end_is_never_below_what_calls_in_flight_already_cost() -> None:
    """Two finished calls far apart put the t interval's low end below zero; the calls in flight have already
    cost $1.50, so the rest cannot cost less (it used to read $0.00)."""
    rows = [("a", 0, "ended", 0.1), ("a", 1, "ended", 0.9), ("a", 2, "in_progress", 0.7), ("a", 3, "in_progress", 0.8)]
    estimate = estimate_remaining(frame(rows, ["a"]), ["a"], 10)
    assert estimate.floor == Decimal("1.5")
    assert estimate.cost.low == 1.5 and estimate.cost.low < estimate.cost.estimate < estimate.cost.high
    assert estimate.call_seconds.low >= 120.0  # the same for call time: 2 × 60 s already talked
    text = str(estimate)
    assert "rests on 2 finished calls per variant: wide (its low end, $1.50, is only the least possible)" in text


def test_what_it_rests_on_names_the_fewest_and_the_most_finished_calls() -> None:
    rows = [("a", r, "ended", 0.4 + r / 100) for r in range(6)] + [("b", r, "ended", 0.5 + r / 100) for r in range(8)]
    estimate = estimate_remaining(frame(rows, ["a", "b"]), ["a", "b"], 10)
    assert estimate.rests_on == (6, 8) and estimate.floor == 0
    assert "rests on 6 to 8 finished calls per variant; spent so far" in str(estimate)  # enough: not "wide"
    assert estimate_remaining(frame(rows, ["a", "b"]), ["a", "b"], 7).rests_on == (6, 6)  # only a has calls left
