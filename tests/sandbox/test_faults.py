"""Post-commit failures and dropped connections never turn into duplicate calls."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from convoi_nb import AsyncConvoiClient, RetryPolicy, ServerError
from convoi_nb.errors import ConfigurationError
from convoi_nb.sandbox import FaultConfig, Sandbox
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

AGENT = DEFAULT_ACCOUNT.agents[0].id


def test_500_creates_through_20_percent_faults_make_500_distinct_calls(fresh_sandbox: Sandbox) -> None:
    fresh_sandbox.set_faults(FaultConfig(error_rate=0.1, drop_rate=0.1, seed=11))

    async def run() -> list[Any]:
        retry = RetryPolicy(max_retries=8, initial_backoff=0.005, max_backoff=0.05)
        async with AsyncConvoiClient(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url, retry=retry) as client:
            gate = asyncio.Semaphore(32)

            async def one(i: int) -> Any:
                async with gate:
                    return await client.create_web_call(AGENT, metadata={"i": i})

            return await asyncio.gather(*(one(i) for i in range(500)))

    calls = asyncio.run(run())
    assert len({c.id for c in calls}) == 500
    assert fresh_sandbox.service.store.count() == 500
    assert sorted(c.metadata["i"] for c in calls) == list(range(500))
    retried = [c for c in calls if c.request_info.attempts > 1]
    assert len(retried) > 50  # the faults really happened...
    assert sum(c.request_info.replayed for c in calls) >= len(retried) * 0.9  # ...and retries were replays


def test_injected_503_is_reported_after_commit(fresh_sandbox: Sandbox, client_factory: Any) -> None:
    fresh_sandbox.set_faults(FaultConfig(error_rate=1.0))
    client = client_factory(
        api_key=fresh_sandbox.api_key,
        base_url=fresh_sandbox.url,
        retry=RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.01),
    )
    with pytest.raises(ServerError) as info:
        client.create_web_call(AGENT)
    assert info.value.status_code == 503 and info.value.code == "injected_fault"
    assert fresh_sandbox.service.store.count() == 1  # committed once, replayed on both retries


def test_fault_rates_are_validated() -> None:
    with pytest.raises(ConfigurationError, match="error_rate"):
        FaultConfig(error_rate=1.5)
    with pytest.raises(ConfigurationError, match="<= 1"):
        FaultConfig(error_rate=0.6, drop_rate=0.6)
