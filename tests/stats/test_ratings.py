"""Ratings against the baseline: an interval as wide as the rating scale says "not enough ratings to tell"."""

from __future__ import annotations

import pandas as pd

from convoi_nb.report import formatting as fmt
from convoi_nb.stats.ratings import quality_against_cost, spans_scale


def rated(scores: dict[str, list[int]]) -> pd.DataFrame:
    """A frame of rated listening calls: variant → its scores on "helpful"."""
    rows = [
        {"variant": v, "status": "ended", "rating_outcome": "rated", "rating.helpful": s}
        for v, values in scores.items()
        for s in values
    ]
    return pd.DataFrame(rows)


def sentences(scores: dict[str, list[int]]) -> list[str]:
    names = list(scores)
    return quality_against_cost(
        rated(scores), names, names[0], ["helpful"], {n: -0.00001 for n in names}, "USD", level=0.95
    )


def test_two_ratings_each_are_not_enough_to_tell() -> None:
    # main printed "b vs a on helpful: no difference these ratings can tell apart (+2.0, 95 % CI -4.0 to +4.0)"
    (line,) = sentences({"a": [1, 3], "b": [5, 3]})
    assert line == (
        "b vs a on helpful: not enough ratings to tell (2 and 2 ratings: the 95% interval spans the whole scale), "
        "at $0.000 per call."
    )


def test_enough_ratings_give_a_direction_with_the_interval_that_decided_it() -> None:
    (line,) = sentences({"a": [1, 2, 1, 2, 1, 2], "b": [5, 4, 5, 4, 5, 4]})
    assert line.startswith("b rates 3.0 higher on helpful than a (95% CI +2.") and line.endswith("at $0.000 per call.")
    lines = sentences({"a": [3, 4, 3, 4, 3, 4, 3, 4], "b": [3, 4, 4, 3, 3, 4, 4, 3], "c": [5, 4, 5, 4, 5, 4, 5, 4]})
    assert lines[0].startswith("b vs a on helpful: no difference these ratings can tell apart (0.0, 97.5% CI -0.")
    assert lines[1].startswith("c rates 1.0 higher on helpful than a (97.5% CI +")  # Bonferroni over 2


def test_a_mean_rating_whose_interval_spans_the_scale_is_not_shown_as_one() -> None:
    assert spans_scale(1.0, 5.0) and spans_scale(float("nan"), float("nan")) and not spans_scale(3.2, 4.6)
    assert fmt.rating_with_interval(3.0, 1.0, 5.0) == "3.0 (not enough ratings to tell)"
    assert fmt.rating_with_interval(4.2, 3.6, 4.8) == "4.2 [3.6, 4.8]"
