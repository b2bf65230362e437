"""`to_async()` / `to_sync()`: the twin has the same configuration and keeps the user's own HTTP client, or says
clearly why it cannot (a sync `httpx.Client` cannot serve an async client, nor the reverse). A twin of the same
face shares the user's client, which the user keeps and closes."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from convoi_nb import AsyncConvoiClient, ConfigurationError, ConvoiClient, RetryPolicy

from .models.test_responses import EXAMPLE

RETRY = RetryPolicy(max_retries=1, initial_backoff=0.01, max_backoff=0.01)


def test_to_async_without_a_user_client_builds_its_own_pool(sandbox: Any, agent_id: str) -> None:
    with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, timeout=7, retry=RETRY) as client:
        twin = client.to_async()

        async def use() -> str:
            async with twin:
                return (await twin.create_web_call(agent_id)).id

        assert asyncio.run(use()).startswith("call_")
        assert (twin.base_url, twin.timeout, twin.retry_policy) == (client.base_url, 7.0, RETRY)


def test_to_async_with_a_user_sync_client_demands_an_async_one(sandbox: Any) -> None:
    own = httpx.Client()
    with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=own) as client:
        with pytest.raises(ConfigurationError, match=r"to_async\(http_client=httpx.AsyncClient"):
            client.to_async()
    own.close()


def test_to_async_sends_through_the_users_async_client(sandbox: Any) -> None:
    seen: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    async def run() -> None:
        mine = httpx.AsyncClient(event_hooks={"request": [hook]})
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=httpx.Client()) as client:
            twin = client.to_async(http_client=mine)
            await twin.list_agents()
            await twin.aclose()
        assert not mine.is_closed  # the user's client is theirs to close
        await mine.aclose()

    asyncio.run(run())
    assert len(seen) == 1 and seen[0].headers["Authorization"] == f"Bearer {sandbox.api_key}"


def test_to_sync_keeps_or_demands_the_users_client(sandbox: Any) -> None:
    seen: list[httpx.Request] = []
    mine = httpx.Client(event_hooks={"request": [seen.append]})

    async def make() -> AsyncConvoiClient:
        return AsyncConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=httpx.AsyncClient())

    twin_source = asyncio.run(make())
    with pytest.raises(ConfigurationError, match=r"to_sync\(http_client=httpx.Client"):
        twin_source.to_sync()
    with twin_source.to_sync(http_client=mine) as twin:
        twin.list_agents()
    assert len(seen) == 1 and not mine.is_closed
    mine.close()


def test_a_client_of_the_wrong_kind_is_refused_clearly() -> None:
    with pytest.raises(ConfigurationError, match="must be an httpx.Client"):
        ConvoiClient(api_key="sk_x_123456", base_url="https://x.example", http_client=httpx.AsyncClient())  # type: ignore[arg-type]  # the mistake under test
    with pytest.raises(ConfigurationError, match="must be an httpx.AsyncClient"):
        AsyncConvoiClient(api_key="sk_x_123456", base_url="https://x.example", http_client=httpx.Client())  # type: ignore[arg-type]  # the mistake under test
    with pytest.raises(ConfigurationError, match="must be an httpx.AsyncClient, got an httpx.Client"):
        ConvoiClient(api_key="sk_x_123456", base_url="https://x.example").to_async(http_client=httpx.Client())  # type: ignore[arg-type]  # the mistake under test


def test_the_twin_of_a_mocked_client_uses_the_mock() -> None:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=EXAMPLE)

    client = ConvoiClient(api_key="sk_x_123456", base_url="https://x.example", http_client=httpx.Client())
    twin = client.to_async(http_client=httpx.AsyncClient(transport=httpx.MockTransport(reply)))
    call = asyncio.run(twin.get_call("call_01HXAAAA"))
    assert call.id == EXAMPLE["id"]


def test_the_async_pool_authenticates_through_an_environment_proxy_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx builds one transport per proxy it finds in the environment: each carries the key's middleware."""
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
    client = AsyncConvoiClient(api_key="sk_x_secret_123456", base_url="https://x.example")
    pool = client._transport._client
    transports = [pool._transport, *(t for t in pool._mounts.values() if t is not None)]
    assert len(transports) >= 2  # the direct transport and the proxy's

    async def middlewares() -> list[Any]:
        sessions = [transport.client() for transport in transports]
        found = [session._middlewares for session in sessions]
        for session in sessions:
            await session.close()
        return found

    for found in asyncio.run(middlewares()):
        assert [type(m).__name__ for m in found] == ["_AiohttpBearer"]
        assert "secret" not in repr(found)


def test_an_async_client_makes_a_new_async_client_with_a_pool_of_its_own(sandbox: Any, agent_id: str) -> None:
    """Code with its own event loop (an experiment's run) needs an async pool of its own, from either face."""

    async def main() -> None:
        async with AsyncConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            async with client.to_async() as twin:
                assert twin is not client and twin._transport is not client._transport
                assert (await twin.create_web_call(agent_id)).agent_id == agent_id

    asyncio.run(main())


def test_a_sync_client_on_the_users_client_makes_a_sync_twin_on_it(sandbox: Any) -> None:
    """Same face, same HTTP client: the twin shares the user's pool, and the user's client stays theirs."""
    seen: list[httpx.Request] = []
    mine = httpx.Client(event_hooks={"request": [seen.append]})
    with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=mine, timeout=7) as client:
        with client.to_sync() as twin:
            assert twin.shares_http_client and twin.timeout == 7.0
            twin.list_agents()
    assert len(seen) == 1 and not mine.is_closed
    mine.close()


def test_an_async_client_on_the_users_client_makes_an_async_twin_on_it(sandbox: Any) -> None:
    seen: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request)

    async def run() -> None:
        mine = httpx.AsyncClient(event_hooks={"request": [hook]})
        async with AsyncConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=mine) as client:
            async with client.to_async() as twin:
                assert twin.shares_http_client and twin is not client
                await twin.list_agents()
        assert not mine.is_closed  # the user's client is theirs to close
        await mine.aclose()

    asyncio.run(run())
    assert len(seen) == 1


def test_the_cross_face_refusals_read_well(sandbox: Any) -> None:
    async def make() -> AsyncConvoiClient:
        return AsyncConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=httpx.AsyncClient())

    with pytest.raises(ConfigurationError) as refused:
        asyncio.run(make()).to_sync()
    assert "your own httpx.AsyncClient, which cannot send the requests of the ConvoiClient" in str(refused.value)
    assert "an ConvoiClient" not in str(refused.value)
    with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=httpx.Client()) as client:
        with pytest.raises(ConfigurationError, match="your own httpx.Client, which cannot send the requests of the"):
            client.to_async()


def test_each_client_says_whether_it_shares_the_users_http_client() -> None:
    options: dict[str, Any] = {"api_key": "sk_x_123456", "base_url": "https://x.example"}
    assert not ConvoiClient(**options).shares_http_client
    assert not AsyncConvoiClient(**options).shares_http_client
    assert ConvoiClient(**options, http_client=httpx.Client()).shares_http_client
    assert AsyncConvoiClient(**options, http_client=httpx.AsyncClient()).shares_http_client
    assert not ConvoiClient(**options).to_sync().shares_http_client  # a pool of its own, as its source has
    with pytest.raises(AttributeError):
        ConvoiClient(**options).shares_http_client = True  # type: ignore[misc]  # read-only: the mistake under test
