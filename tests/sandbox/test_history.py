"""Bulk history: generated calls are served by the listing (sync and async clients) like created ones, priced by
the rate card, spread over days, agents and metadata, reproducible; those within a token's lifetime get a token
for their own room."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from convoi_nb.errors import ConfigurationError, ValidationError
from convoi_nb.sandbox import ManualClock, Sandbox, SandboxSettings, rate_for
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY, OTHER_API_KEY
from convoi_nb.sandbox.history import EXPERIMENT, VARIANTS
from convoi_nb.sandbox.process import spawn
from convoi_nb.sandbox.simulation import merge_settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def generated() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(clock=ManualClock(NOW), seed=5)) as sandbox:
        assert sandbox.generate_history(3000, days=10, seed=1, experiment_share=0.2) == 3000
        yield sandbox


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_the_listing_serves_the_generated_calls(generated: Sandbox, client_factory: Callable[..., Any]) -> None:
    api = client_factory(api_key=generated.api_key, base_url=generated.url)
    calls = list(api.list_calls())
    assert len(calls) == 3000 and len({c.id for c in calls}) == 3000
    created = [c.created_at for c in calls]
    assert created == sorted(created, reverse=True)  # newest first, like created calls
    assert NOW - timedelta(days=10) <= created[-1] and created[0] <= NOW
    assert len({c.created_at.date() for c in calls}) >= 10  # spread over the days
    assert {c.agent_id for c in calls} == {a.id for a in DEFAULT_ACCOUNT.agents}
    kinds = Counter(type(c.metadata["order_ref"]).__name__ for c in calls)
    assert kinds["int"] > kinds["str"] > 0  # a mixed-type key, as real metadata has
    tagged = [c for c in calls if c.metadata.get("experiment") == EXPERIMENT]
    assert 0.15 < len(tagged) / len(calls) < 0.25
    assert {c.metadata["variant"] for c in tagged} == {name for name, _ in VARIANTS}
    assert {c.status for c in calls} <= {"ended", "failed", "expired", "in_progress", "initiated"}
    recent = [c for c in calls if c.created_at > NOW - timedelta(hours=1)]
    assert recent and all(claims(c.livekit.token)["video"]["room"] == c.room_id for c in recent)  # its own room
    assert {c.livekit.token for c in calls if c.created_at < NOW - timedelta(hours=1)} == {""}  # long expired
    one = api.get_call(calls[-1].id)
    assert one.cost == calls[-1].cost and one.livekit.token == ""


def test_costs_follow_the_rate_card(generated: Sandbox) -> None:
    from convoi_nb import ConvoiClient

    agents = {a.id: a for a in DEFAULT_ACCOUNT.agents}
    overrides = dict(VARIANTS)
    with ConvoiClient(api_key=generated.api_key, base_url=generated.url) as client:
        ended = [c for c in client.list_calls(status="ended", page_size=100)]
    assert len(ended) > 2500
    for call in ended:
        settings = merge_settings(agents[call.agent_id].to_json(), overrides.get(call.metadata.get("variant"), {}))
        expected = rate_for(settings).per_minute * call.duration_seconds / 60
        assert float(call.cost.amount) == pytest.approx(expected, abs=2e-6), call.id
        assert 30 < call.duration_seconds < 900


def test_history_is_reproducible_and_keeps_the_listing_order() -> None:
    def ids(seed: int) -> list[tuple[str, str]]:
        with Sandbox(SandboxSettings(clock=ManualClock(NOW))) as sandbox:
            sandbox.generate_history(200, days=3, seed=seed)
            rows = sandbox.service.store.iter_calls(DEFAULT_ACCOUNT.id)
            return [(row.id, json.dumps(row.metadata)) for row in rows]

    assert ids(4) == ids(4) != ids(5)
    clock = ManualClock(NOW)
    with Sandbox(SandboxSettings(clock=clock)) as sandbox:
        with httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {sandbox.api_key}"}) as http:
            http.post("/api/v1/public/calls", json={"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[0].id})
        with pytest.raises(ConfigurationError, match="must start after the account's newest call"):
            sandbox.generate_history(10, days=1)  # older than the call above: it would list out of order
        assert sandbox.service.store.count() == 1  # nothing half-written
        assert sandbox.generate_history(10, days=1, api_key=OTHER_API_KEY) == 10  # another account is fine
        with pytest.raises(ValidationError, match="n: must be"):
            sandbox.generate_history(-1)


def test_the_command_line_generates_history_before_serving() -> None:
    process, url = spawn(["--db", ":memory:", "--history", "1500", "--history-days", "5"], timeout=60)
    try:
        health = httpx.get(f"{url}/healthz", headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}).json()
        assert health["calls"] == 1500
    finally:
        process.terminate()
        process.wait(timeout=10)
