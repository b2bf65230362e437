"""The client against the sandbox over real HTTP; every test runs for the sync and the async client."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from convoi_nb import (
    AuthenticationError,
    Call,
    IdempotencyConflictError,
    InvalidRequestError,
    NotFoundError,
)
from convoi_nb.sandbox import OTHER_API_KEY
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, OTHER_ACCOUNT


def test_create_minimal_call(api: Any, agent_id: str) -> None:
    call = api.create_web_call(agent_id)
    assert isinstance(call, Call)
    assert call.id.startswith("call_") and call.object == "call" and call.type == "web"
    assert call.status == "initiated" and call.agent_id == agent_id
    assert call.livekit.participant_identity.startswith("public-")
    assert call.cost.amount == 0.0 and call.duration_seconds == 0.0
    assert call.request_info.request_id.startswith("req_")
    assert call.request_info.attempts == 1 and not call.request_info.replayed
    uuid.UUID(call.request_info.idempotency_key)  # a UUID was generated


def test_create_with_overrides_and_metadata_then_read_back(api: Any, agent_id: str) -> None:
    call = api.create_web_call(
        agent_id,
        participant_name="Ada",
        agent_overrides={"llm": {"model": "gpt-4o", "temperature": 0.2}, "tts": {"speed": 1.2}},
        metadata={"source": "landing-page", "user_ref": "u_42", "n": 3},
    )
    again = api.get_call(call.id)
    assert again.id == call.id and again.room_id == call.room_id
    assert again.metadata == {"source": "landing-page", "user_ref": "u_42", "n": 3}
    assert again.livekit.token == call.livekit.token


def test_same_idempotency_key_returns_the_original_call(api: Any, agent_id: str) -> None:
    key = uuid.uuid4()
    first = api.create_web_call(agent_id, metadata={"k": 1}, idempotency_key=key)
    second = api.create_web_call(agent_id, metadata={"k": 1}, idempotency_key=str(key))
    assert second.id == first.id
    assert second.request_info.replayed and not first.request_info.replayed


def test_same_key_different_body_is_a_conflict(api: Any, agent_id: str) -> None:
    key = uuid.uuid4()
    api.create_web_call(agent_id, metadata={"k": 1}, idempotency_key=key)
    with pytest.raises(IdempotencyConflictError) as info:
        api.create_web_call(agent_id, metadata={"k": 2}, idempotency_key=key)
    assert info.value.status_code == 409 and info.value.code == "idempotency_conflict"
    assert info.value.request_id.startswith("req_")


def test_unknown_agent_is_not_found_with_request_id(api: Any) -> None:
    with pytest.raises(NotFoundError) as info:
        api.create_web_call("agt_" + "f" * 32)
    assert info.value.status_code == 404
    assert info.value.param == "agent_id"
    assert info.value.request_id and info.value.request_id in str(info.value)


def test_another_accounts_agent_is_not_found(api: Any) -> None:
    with pytest.raises(NotFoundError):
        api.create_web_call(OTHER_ACCOUNT.agents[0].id)


def test_another_accounts_call_is_not_found(client_factory: Any, sandbox: Any, api: Any) -> None:
    other = client_factory(api_key=OTHER_API_KEY, base_url=sandbox.url)
    theirs = other.create_web_call(OTHER_ACCOUNT.agents[0].id)
    with pytest.raises(NotFoundError):
        api.get_call(theirs.id)


def test_wrong_key_is_an_authentication_error(client_factory: Any, sandbox: Any, agent_id: str) -> None:
    client = client_factory(api_key="sk_wrong_key_123", base_url=sandbox.url)
    with pytest.raises(AuthenticationError) as info:
        client.create_web_call(agent_id)
    assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
    assert "sk_wrong_key_123" not in str(info.value)


def test_unknown_call_is_not_found(api: Any) -> None:
    with pytest.raises(NotFoundError):
        api.get_call("call_doesnotexist")


def test_list_agents_returns_the_account_agents(api: Any) -> None:
    agents = api.list_agents()
    assert [a.id for a in agents] == [a.id for a in DEFAULT_ACCOUNT.agents]
    assert agents[0].llm["model"] and agents[0].tts["voice_id"]


def test_list_calls_paginates_and_filters(api: Any, agent_id: str) -> None:
    tag = uuid.uuid4().hex
    created = [api.create_web_call(agent_id, metadata={"batch": tag, "i": i}) for i in range(7)]
    listed = list(api.list_calls(metadata={"batch": tag}, page_size=3))
    assert [c.id for c in listed] == [c.id for c in reversed(created)]  # newest first, across 3 pages
    assert list(api.list_calls(metadata={"batch": tag, "i": 4}, page_size=2))[0].id == created[4].id
    since = created[0].created_at - timedelta(seconds=1)
    assert len(list(api.list_calls(agent_id=agent_id, created_after=since, metadata={"batch": tag}))) == 7
    future = datetime.now(timezone.utc) + timedelta(days=1)
    assert list(api.list_calls(created_after=future)) == []


def test_list_with_unknown_cursor_is_invalid(api: Any, sandbox: Any) -> None:
    import httpx

    response = httpx.get(
        f"{sandbox.url}/api/v1/public/calls",
        params={"starting_after": "call_nope"},
        headers={"Authorization": f"Bearer {sandbox.api_key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"
    with pytest.raises(InvalidRequestError):
        raise_for(api, response)


def raise_for(api: Any, response: Any) -> None:
    """Feed a raw response through the client's own error mapping."""
    from convoi_nb._transport import RawResponse, RequestSpec

    client = getattr(api, "client", api)
    raw = RawResponse(response.status_code, response.headers, response.content, 0.0)
    client._core.check(raw, RequestSpec("GET", str(response.url)), 1)


def test_context_manager_closes(sandbox: Any, agent_id: str) -> None:
    from convoi_nb import ConvoiClient

    with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
        assert client.create_web_call(agent_id).status == "initiated"
    assert client._transport._client.is_closed


def test_async_client_context_manager_and_iteration(sandbox: Any, agent_id: str) -> None:
    import asyncio

    from convoi_nb import AsyncConvoiClient

    async def scenario() -> tuple[Any, Any]:
        async with AsyncConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            call = await client.create_web_call(agent_id, metadata={"async": "yes"})
            listed = [c async for c in client.list_calls(metadata={"async": "yes"})]
            return client, (call, listed)

    client, (call, listed) = asyncio.run(scenario())
    assert call.id in [c.id for c in listed]
    assert client._transport._client.is_closed


LIST = "/api/v1/public/calls"


def test_list_calls_fetches_pages_only_as_they_are_consumed(fresh_sandbox: Any, agent_id: str) -> None:
    from convoi_nb import ConvoiClient

    with ConvoiClient(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url) as client:
        for _ in range(7):
            client.create_web_call(agent_id)
        fresh_sandbox.traffic.reset()
        calls = client.list_calls(page_size=2)
        assert fresh_sandbox.traffic.count("GET", LIST) == 0  # nothing fetched until iterated
        first = [next(calls), next(calls)]
        assert fresh_sandbox.traffic.count("GET", LIST) == 1
        first.append(next(calls))
        assert fresh_sandbox.traffic.count("GET", LIST) == 2
        assert len(first + list(calls)) == 7 and fresh_sandbox.traffic.count("GET", LIST) == 4


def test_async_list_calls_fetches_pages_only_as_they_are_consumed(fresh_sandbox: Any, agent_id: str) -> None:
    import asyncio

    from convoi_nb import AsyncConvoiClient

    async def scenario() -> list[int]:
        seen = []
        async with AsyncConvoiClient(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url) as client:
            for _ in range(5):
                await client.create_web_call(agent_id)
            fresh_sandbox.traffic.reset()
            calls = client.list_calls(page_size=2)
            seen.append(fresh_sandbox.traffic.count("GET", LIST))
            for _ in range(3):
                await calls.__anext__()
                seen.append(fresh_sandbox.traffic.count("GET", LIST))
        return seen

    assert asyncio.run(scenario()) == [0, 1, 1, 2]
