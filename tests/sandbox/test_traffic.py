"""The sandbox's request log: what reached the server, with status and idempotency key, and peak concurrency."""

from __future__ import annotations

import asyncio

import httpx

from convoi_nb.sandbox import FaultConfig, Sandbox
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY

CALLS = "/api/v1/public/calls"
AUTH = {"Authorization": f"Bearer {DEFAULT_API_KEY}"}


def test_every_api_request_is_recorded_with_its_answer(fresh_sandbox: Sandbox) -> None:
    body = {"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[0].id}
    key = "5f0e9d8c-7b6a-4594-8372-6150f4e3d2c1"
    with httpx.Client(base_url=fresh_sandbox.url, headers=AUTH) as http:
        http.post(CALLS, json=body, headers={"Idempotency-Key": key})
        http.post(CALLS, json=body, headers={"Idempotency-Key": key})  # a replay still reached the server
        http.post(CALLS, json={"type": "phone"})
        http.get("/healthz")  # not an API path
        http.get(f"{CALLS}/call_nope")
    seen = [(r.method, r.path, r.status, r.idempotency_key) for r in fresh_sandbox.traffic.records]
    assert seen == [
        ("POST", CALLS, 201, key),
        ("POST", CALLS, 200, key),
        ("POST", CALLS, 422, None),
        ("GET", f"{CALLS}/call_nope", 404, None),
    ]
    assert fresh_sandbox.traffic.count("POST", CALLS) == 3 and fresh_sandbox.traffic.count("GET") == 1
    assert all(r.finished >= r.started for r in fresh_sandbox.traffic.records)
    fresh_sandbox.traffic.reset()
    assert fresh_sandbox.traffic.records == [] and fresh_sandbox.traffic.peak_in_flight == 0


def test_peak_in_flight_counts_overlapping_requests(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(FaultConfig(latency=0.3))

    async def burst(n: int) -> None:
        async with httpx.AsyncClient(base_url=fresh_sandbox.url, headers=AUTH) as http:
            await asyncio.gather(*(http.get("/api/v1/public/agents") for _ in range(n)))

    asyncio.run(burst(1))
    assert fresh_sandbox.traffic.peak_in_flight == 1
    asyncio.run(burst(5))
    assert fresh_sandbox.traffic.peak_in_flight == 5
