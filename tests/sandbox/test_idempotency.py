"""Idempotency: concurrent duplicates collapse into one call; keys live 24 hours."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from convoi_nb import AsyncConvoiClient
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY

AGENT = DEFAULT_ACCOUNT.agents[0].id


class FakeClock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_200_concurrent_creates_with_50_keys_make_50_calls(fresh_sandbox: Sandbox) -> None:
    keys = [str(uuid.uuid4()) for _ in range(50)]

    async def storm() -> list[Any]:
        async with AsyncConvoiClient(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url) as client:
            jobs = [
                client.create_web_call(AGENT, metadata={"key": key}, idempotency_key=key)
                for _ in range(4)
                for key in keys
            ]
            return await asyncio.gather(*jobs)

    calls = asyncio.run(storm())
    assert len(calls) == 200
    by_key: dict[str, set[str]] = {}
    for call in calls:
        by_key.setdefault(call.request_info.idempotency_key, set()).add(call.id)
    assert len(by_key) == 50 and all(len(ids) == 1 for ids in by_key.values())
    assert fresh_sandbox.service.store.count() == 50
    assert sum(not c.request_info.replayed for c in calls) == 50


def test_key_expires_after_24_hours() -> None:
    clock = FakeClock()
    with Sandbox(SandboxSettings(clock=clock)) as sandbox:

        def create() -> httpx.Response:
            return httpx.post(
                f"{sandbox.url}/api/v1/public/calls",
                headers={
                    "Authorization": f"Bearer {DEFAULT_API_KEY}",
                    "Idempotency-Key": "9b1d3e2a-4c5f-4a6b-8d7e-0f1a2b3c4d5e",
                },
                json={"type": "web", "agent_id": AGENT},
            )

        first = create()
        clock.now += 24 * 3600 - 1
        replay = create()
        clock.now += 2
        fresh = create()
    assert (first.status_code, replay.status_code, fresh.status_code) == (201, 200, 201)
    assert replay.json()["id"] == first.json()["id"] != fresh.json()["id"]


def test_keys_are_per_account(fresh_sandbox: Sandbox) -> None:
    from convoi_nb.sandbox.accounts import OTHER_ACCOUNT, OTHER_API_KEY

    def create(api_key: str, agent_id: str) -> httpx.Response:
        return httpx.post(
            f"{fresh_sandbox.url}/api/v1/public/calls",
            json={"type": "web", "agent_id": agent_id},
            headers={"Idempotency-Key": "0b7c6e1a-2d3f-4e5a-9b8c-7d6e5f4a3b2c", "Authorization": f"Bearer {api_key}"},
        )

    mine, theirs = create(DEFAULT_API_KEY, AGENT), create(OTHER_API_KEY, OTHER_ACCOUNT.agents[0].id)
    # Each account's key still works as a key: a repeat replays that account's own call.
    mine_again, theirs_again = create(DEFAULT_API_KEY, AGENT), create(OTHER_API_KEY, OTHER_ACCOUNT.agents[0].id)
    assert [r.status_code for r in (mine, theirs, mine_again, theirs_again)] == [201, 201, 200, 200]
    assert mine_again.json()["id"] == mine.json()["id"] != theirs.json()["id"] == theirs_again.json()["id"]
    assert fresh_sandbox.service.store.count() == 2
