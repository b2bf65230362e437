"""ManualClock drives the sandbox's notion of time (history backfills, step-by-step tests)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import httpx
import pytest

from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY


def test_calls_are_stamped_with_the_manual_time() -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    clock = ManualClock(start)
    with Sandbox(SandboxSettings(clock=clock)) as sandbox:
        first = httpx.post(
            f"{sandbox.url}/api/v1/public/calls",
            headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
            json={"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[0].id},
        ).json()
        clock.advance(timedelta(days=2).total_seconds())
        second = httpx.post(
            f"{sandbox.url}/api/v1/public/calls",
            headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"},
            json={"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[0].id},
        ).json()
    assert first["created_at"] == "2026-03-01T09:00:00.000Z"
    assert second["created_at"] == "2026-03-03T09:00:00.000Z"


def test_time_only_moves_forward() -> None:
    clock = ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(datetime(2025, 1, 1, tzinfo=timezone.utc))
