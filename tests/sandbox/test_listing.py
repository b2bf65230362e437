"""Listing filters on the sandbox, checked against each call's own state: status, created_after/before, agent."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

START = datetime(2026, 11, 2, 9, 0, tzinfo=timezone.utc)


@pytest.fixture()
def history() -> Iterator[tuple[Sandbox, ManualClock]]:
    clock = ManualClock(START)
    # Many failures and expiries, so every terminal status is present among a few calls.
    with Sandbox(SandboxSettings(clock=clock, expire_rate=0.3, fail_rate=0.3, seed=2)) as sandbox:
        yield sandbox, clock


def test_status_and_time_filters_match_each_calls_state(
    history: tuple[Sandbox, ManualClock], client_factory: Callable[..., Any]
) -> None:
    sandbox, clock = history
    api = client_factory(api_key=sandbox.api_key, base_url=sandbox.url)
    agents = [a.id for a in DEFAULT_ACCOUNT.agents]
    early = [api.create_web_call(agents[i % 2]) for i in range(12)]
    clock.advance(3600)  # the early calls have all finished by now
    cutoff = datetime.fromtimestamp(clock.now, timezone.utc)
    late = [api.create_web_call(agents[0]) for _ in range(3)]  # not joined yet: initiated
    truth = {c.id: api.get_call(c.id) for c in early + late}
    by_status: dict[str, set[str]] = {}
    for call in truth.values():
        by_status.setdefault(call.status, set()).add(call.id)
    assert {"ended", "failed", "expired", "initiated"} <= set(by_status)  # the filter has something to tell apart
    for status, ids in by_status.items():
        listed = [c.id for c in api.list_calls(status=status, page_size=2)]  # across pages too
        assert set(listed) == ids and len(listed) == len(ids), status
    assert {c.id for c in api.list_calls(created_before=cutoff)} == {c.id for c in early}
    assert {c.id for c in api.list_calls(created_after=cutoff)} == {c.id for c in late}
    window = list(
        api.list_calls(
            created_after=START - timedelta(minutes=1), created_before=cutoff, agent_id=agents[1], status="ended"
        )
    )
    assert {c.id for c in window} == {c.id for c in early if c.agent_id == agents[1]} & by_status["ended"]
    assert list(api.list_calls(status="in_progress")) == []


STORED = [{"f": 1.0}, {"f": 2}, {"s": "1"}, {"s": "one"}, {"b": True}, {"t": "true"}, {"n": None}, {"q": '"x"'}]


@pytest.mark.parametrize(
    ("wanted", "matches"),
    [
        ({"f": 1}, [{"f": 1.0}]),  # numbers compare as numbers
        ({"f": 1.0}, [{"f": 1.0}]),
        ({"s": 1}, []),  # a number never matches a string
        ({"s": "1"}, [{"s": "1"}]),
        ({"s": "one"}, [{"s": "one"}]),
        ({"b": 1}, []),  # nor a boolean a number
        ({"b": True}, [{"b": True}]),
        ({"t": True}, []),
        ({"t": "true"}, [{"t": "true"}]),
        ({"n": None}, [{"n": None}]),
        ({"q": '"x"'}, [{"q": '"x"'}]),  # a string that looks like JSON still matches itself
        ({"q": "x"}, []),
    ],
)
def test_metadata_filters_use_typed_equality(
    fresh_sandbox: Sandbox, client_factory: Callable[..., Any], wanted: dict, matches: list
) -> None:
    api = client_factory(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url)
    agent = DEFAULT_ACCOUNT.agents[0].id
    for metadata in STORED:
        api.create_web_call(agent, metadata=metadata)
    assert [c.metadata for c in api.list_calls(metadata=wanted)] == matches
