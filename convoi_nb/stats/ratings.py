"""Listeners' ratings next to cost: per-criterion means with intervals, and quality weighed against cost.

The comparisons never name a winner the data do not separate, and say "not enough ratings to tell" when an
interval is as wide as the rating scale itself.

A rating counts only when the rater rated the call (not skipped, not "broken") and the call did not fail or
expire: the others are recorded and counted (`ratings_excluded`), never averaged in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .columns import LISTENING
from .primitives import NAN, Difference, difference, family_level, mean_interval
from .wording import level as show_level
from .wording import money_change, signed

PREFIX = "rating."
SCALE = (1.0, 5.0)
UNUSABLE_STATUSES = ("failed", "expired")


def criteria_of(sessions: Sequence[Mapping[str, Any]] | Sequence[Any]) -> list[str]:
    """Every criterion any rater's session asked for, in the order first seen.

    Args:
        sessions: The sessions' records in the store.

    Returns:
        The criteria.
    """
    return list(dict.fromkeys(c for s in sessions for c in json.loads(s["criteria"])))


def add_rating_columns(
    frame: pd.DataFrame, ratings: Sequence[Mapping[str, Any]], criteria: Sequence[str]
) -> pd.DataFrame:
    """Add `rater`, `rating_outcome`, `rating.<criterion>` (1–5) and `rating_note` on the rated listening cells' rows.

    Args:
        frame: A results frame without rating columns.
        ratings: The ratings recorded (each of a listening cell).
        criteria: The criteria rated.

    Returns:
        The frame, with the columns added.
    """
    by_cell = {(r["variant"], r["replicate"]): r for r in ratings}
    cells = zip(frame["variant"].astype(str), frame["kind"], frame["replicate"], strict=False)
    found = [by_cell.get((variant, replicate)) if kind == LISTENING else None for variant, kind, replicate in cells]
    frame["rater"] = pd.array([r["rater"] if r else None for r in found], dtype="string")
    frame["rating_outcome"] = pd.array([r["outcome"] if r else None for r in found], dtype="string")
    for criterion in criteria:
        frame[PREFIX + criterion] = pd.array([r["scores"].get(criterion) if r else None for r in found], dtype="Int64")
    frame["rating_note"] = pd.array([r["note"] if r else None for r in found], dtype="string")
    return frame


def spans_scale(low: float, high: float) -> bool:
    """Whether an interval of a mean rating, or of a difference of two, tells nothing the scale does not.

    True when it is missing (NaN) or at least as wide as the 1–5 scale.

    Args:
        low: The interval's lower end.
        high: Its upper end.

    Returns:
        True when the ratings are too few to tell anything.
    """
    return not (np.isfinite(low) and np.isfinite(high)) or high - low >= SCALE[1] - SCALE[0]


def _usable(frame: pd.DataFrame) -> pd.Series[bool]:
    return (frame["rating_outcome"] == "rated").fillna(False) & ~frame["status"].isin(UNUSABLE_STATUSES)


def summarize_ratings(
    frame: pd.DataFrame, variants: Sequence[str], criteria: Sequence[str], *, level: float, rater: str | None = None
) -> pd.DataFrame:
    """Per variant: each criterion's mean rating with its Student-t interval and count, and the ratings left out.

    Args:
        frame: A results frame with rating columns.
        variants: The variants, in order.
        criteria: The rating criteria.
        level: The confidence level of the intervals.
        rater: One rater's ratings only, or None for all raters pooled.

    Returns:
        One row per variant: `rating.<criterion>_mean`, `_ci_low`, `_ci_high`, `_n`, then `ratings_excluded` (a
        failed or expired call, or marked broken) and `ratings_skipped`.
    """
    rows = frame if rater is None else frame[frame["rater"] == rater]
    rated = rows[rows["rating_outcome"].notna()]
    usable = rated[_usable(rated)]
    out = []
    for variant in variants:
        mine, good = rated[rated["variant"] == variant], usable[usable["variant"] == variant]
        record: dict[str, Any] = {"variant": variant}
        for criterion in criteria:
            values = good[PREFIX + criterion].dropna().to_numpy(dtype=float)
            interval = mean_interval(values, level)
            # A mean rating lies on the scale: the interval is cut to it (few ratings give wide t intervals).
            record.update(
                {
                    f"{PREFIX}{criterion}_mean": float(values.mean()) if len(values) else NAN,
                    f"{PREFIX}{criterion}_ci_low": max(interval.low, SCALE[0]),
                    f"{PREFIX}{criterion}_ci_high": min(interval.high, SCALE[1]),
                    f"{PREFIX}{criterion}_n": len(values),
                }
            )
        record["ratings_excluded"] = int(
            (
                (mine["rating_outcome"] == "broken")
                | ((mine["rating_outcome"] == "rated") & mine["status"].isin(UNUSABLE_STATUSES))
            ).sum()
        )
        record["ratings_skipped"] = int((mine["rating_outcome"] == "skipped").sum())
        out.append(record)
    return pd.DataFrame(out).set_index("variant")


def quality_against_cost(
    frame: pd.DataFrame,
    variants: Sequence[str],
    baseline: str,
    criteria: Sequence[str],
    cost_delta: Mapping[str, float],
    currency: str,
    *,
    level: float,
) -> list[str]:
    """One line per variant and criterion: the difference in mean rating against the baseline, next to cost.

    Welch's interval at Bonferroni's level over the variants compared (as the cost comparisons): "higher"/"lower"
    exactly when the printed interval excludes 0; "not enough ratings to tell" when it spans the whole scale.

    Args:
        frame: A results frame with rating columns.
        variants: The variants, in order.
        baseline: The variant the others are compared with.
        criteria: The rating criteria.
        cost_delta: Variant → its difference in mean cost per call against the baseline.
        currency: The currency of that difference.
        level: The level the comparisons hold at together.

    Returns:
        The sentences.
    """
    usable = frame[_usable(frame)] if "rating_outcome" in frame else frame.iloc[0:0]
    others = [v for v in variants if v != baseline]
    each = family_level(level, len(others))
    lines = []
    for criterion in criteria:
        column = PREFIX + criterion
        values = {v: usable.loc[usable["variant"] == v, column].dropna().to_numpy(dtype=float) for v in variants}
        for variant in others:
            d = difference(values[variant], values[baseline], each)
            if np.isnan(d.delta):
                continue
            cost = cost_delta.get(variant, NAN)
            money = f"{money_change(cost, currency)} per call" if np.isfinite(cost) else "an unknown cost difference"
            counts = (len(values[variant]), len(values[baseline]))
            lines.append(_rating_sentence(variant, baseline, criterion, d, show_level(each), counts) + f" at {money}.")
    return lines


def _rating_sentence(
    variant: str, baseline: str, criterion: str, d: Difference, shown: str, counts: tuple[int, int]
) -> str:
    if spans_scale(d.low, d.high):
        return (
            f"{variant} vs {baseline} on {criterion}: not enough ratings to tell ({counts[0]} and {counts[1]} "
            f"ratings: the {shown} interval spans the whole scale),"
        )
    span = SCALE[1] - SCALE[0]  # a difference of two mean ratings lies within ±4
    interval = f"{shown} CI {signed(max(d.low, -span), 1)} to {signed(min(d.high, span), 1)}"
    if d.low > 0 or d.high < 0:
        direction = "higher" if d.low > 0 else "lower"
        return f"{variant} rates {abs(d.delta):.1f} {direction} on {criterion} than {baseline} ({interval})"
    return (
        f"{variant} vs {baseline} on {criterion}: no difference these ratings can tell apart "
        f"({signed(d.delta, 1)}, {interval}),"
    )
