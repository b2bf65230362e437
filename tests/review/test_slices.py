"""The day plan and slice bounds of the parallel export, without a server."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from convoi_nb import ValidationError
from convoi_nb.review.slices import DEFAULT_CONCURRENCY, DayPlan, Window, check_concurrency

BEFORE = datetime(2026, 11, 10, 12, 30, tzinfo=timezone.utc)


def call_on(day: date) -> Any:
    return SimpleNamespace(created_at=datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc))


def test_concurrency_defaults_and_bounds() -> None:
    assert check_concurrency(None) == DEFAULT_CONCURRENCY and check_concurrency(1) == 1 and check_concurrency(64) == 64
    for bad in (0, 65, True, 1.0, "2"):
        with pytest.raises(ValidationError, match="concurrency"):
            check_concurrency(bad)


def test_a_slice_ends_at_the_next_midnight_clipped_to_the_window() -> None:
    after = datetime(2026, 11, 8, 6, tzinfo=timezone.utc)
    window = Window(after, BEFORE)
    assert window.bounds(date(2026, 11, 9)) == {
        "created_after": after,  # the window's start, not the day's (see the module)
        "created_before": datetime(2026, 11, 10, tzinfo=timezone.utc),
    }
    assert window.bounds(date(2026, 11, 10))["created_before"] == BEFORE
    assert Window(None, BEFORE).bounds(date(2026, 11, 9)) == {
        "created_before": datetime(2026, 11, 10, tzinfo=timezone.utc)
    }


def test_the_plan_goes_down_from_the_snapshot_skips_gaps_and_written_days_and_stops() -> None:
    plan = DayPlan(Window(None, BEFORE), done={"2026-11-09"})
    assert plan.take() == date(2026, 11, 10)
    assert plan.take() == date(2026, 11, 8)  # 9 was written by the interrupted run
    plan.below(date(2026, 11, 8), call_on(date(2026, 11, 2)))  # the first call past the 8th: on the 2nd
    assert plan.take() == date(2026, 11, 2)
    assert plan.take() == date(2026, 11, 1)
    plan.below(date(2026, 11, 1), None)  # nothing older
    assert plan.take() is None


def test_a_window_with_a_start_ends_the_plan_there() -> None:
    plan = DayPlan(Window(datetime(2026, 11, 9, 23, tzinfo=timezone.utc), BEFORE), done=set())
    assert [plan.take(), plan.take(), plan.take()] == [date(2026, 11, 10), date(2026, 11, 9), None]


def test_a_snapshot_at_midnight_does_not_list_the_day_it_opens() -> None:
    plan = DayPlan(Window(None, datetime(2026, 11, 10, tzinfo=timezone.utc)), done=set())
    assert plan.take() == date(2026, 11, 10) - timedelta(days=1)
