"""Retries: bounded, backed off, Retry-After honoured, and one Idempotency-Key across all attempts."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from convoi_nb import (
    APIConnectionError,
    APITimeoutError,
    ConflictError,
    IdempotencyConflictError,
    InvalidRequestError,
    RetryPolicy,
    ServerError,
)
from convoi_nb._retry import parse_retry_after
from convoi_nb.sandbox import FaultConfig

from .models.test_responses import EXAMPLE

AGENT = "agt_b88d642dd68747f28305c428b2091234"


def error(status: int, code: str, headers: dict | None = None) -> httpx.Response:
    body = {"error": {"type": "api_error", "code": code, "message": code.replace("_", " ")}}
    return httpx.Response(status, json=body, headers={"x-request-id": f"req_{status}", **(headers or {})})


def scripted(*steps: Any) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport that plays `steps` in order: a Response, or an exception to raise."""
    seen: list[httpx.Request] = []
    queue = list(steps)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = queue.pop(0)
        if isinstance(step, Exception):
            raise step
        return step

    return httpx.MockTransport(handler), seen


def client_with(client_factory: Callable[..., Any], transport: httpx.MockTransport, **options: Any) -> Any:
    return client_factory(api_key="sk_test_key", base_url="https://convoi.test", transport=transport, **options)


def test_503_503_drop_then_success_reuses_one_key(client_factory: Callable[..., Any]) -> None:
    transport, seen = scripted(
        error(503, "unavailable"),
        error(503, "unavailable"),
        httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
        httpx.Response(201, json=EXAMPLE, headers={"x-request-id": "req_ok"}),
    )
    call = client_with(client_factory, transport).create_web_call(AGENT, metadata={"a": 1})
    keys = {r.headers["Idempotency-Key"] for r in seen}
    assert len(seen) == 4 and len(keys) == 1
    assert [json.loads(r.content) for r in seen] == [json.loads(seen[0].content)] * 4
    assert call.id == EXAMPLE["id"]
    assert call.request_info.attempts == 4 and call.request_info.request_id == "req_ok"
    assert call.request_info.idempotency_key == keys.pop()


def test_caller_key_is_sent_verbatim_on_every_attempt(client_factory: Callable[..., Any]) -> None:
    key = "6f1c4b7e-0d4e-4b8a-9d3c-2f1e0a9b8c7d"
    transport, seen = scripted(error(502, "bad_gateway"), httpx.Response(201, json=EXAMPLE))
    client_with(client_factory, transport).create_web_call(AGENT, idempotency_key=key)
    assert [r.headers["Idempotency-Key"] for r in seen] == [key, key]


def test_gets_are_retried_too(client_factory: Callable[..., Any]) -> None:
    transport, seen = scripted(httpx.ConnectError("refused"), error(500, "boom"), httpx.Response(200, json=EXAMPLE))
    call = client_with(client_factory, transport).get_call("call_01HXAAAA")
    assert len(seen) == 3 and call.request_info.attempts == 3
    assert "Idempotency-Key" not in seen[0].headers


def test_retries_are_bounded_and_the_last_error_surfaces(client_factory: Callable[..., Any]) -> None:
    transport, seen = scripted(*[error(503, "unavailable")] * 3)
    client = client_with(
        client_factory, transport, retry=RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.02)
    )
    with pytest.raises(ServerError) as info:
        client.create_web_call(AGENT)
    assert len(seen) == 3
    assert info.value.status_code == 503 and info.value.request_id == "req_503"


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid_request", InvalidRequestError),
        (422, "invalid_request", InvalidRequestError),
        (409, "idempotency_conflict", IdempotencyConflictError),
    ],
)
def test_client_errors_are_not_retried(client_factory: Callable[..., Any], status: int, code: str, kind: type) -> None:
    transport, seen = scripted(error(status, code))
    with pytest.raises(kind):
        client_with(client_factory, transport).create_web_call(AGENT)
    assert len(seen) == 1


def test_408_is_retried_and_no_409_is(client_factory: Callable[..., Any]) -> None:
    transport, seen = scripted(error(408, "timeout"), httpx.Response(201, json=EXAMPLE))
    client_with(client_factory, transport).create_web_call(AGENT)
    assert len(seen) == 2
    # The contract defines one 409 (a key reused with another body); whatever its code, a 409 is final.
    transport, seen = scripted(error(409, "idempotency_key_in_use"), httpx.Response(201, json=EXAMPLE))
    with pytest.raises(ConflictError):
        client_with(client_factory, transport).create_web_call(AGENT)
    assert len(seen) == 1


def test_max_retries_zero_means_one_attempt(client_factory: Callable[..., Any]) -> None:
    transport, seen = scripted(error(503, "unavailable"))
    with pytest.raises(ServerError):
        client_with(client_factory, transport, retry=None, max_retries=0).create_web_call(AGENT)
    assert len(seen) == 1


def test_429_retry_after_from_the_sandbox_is_honoured(
    client_factory: Callable[..., Any], fresh_sandbox: Any, agent_id: str
) -> None:
    fresh_sandbox.set_faults(FaultConfig(rate_limit_per_second=1.0, rate_limit_burst=1))
    client = client_factory(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url)
    first = client.create_web_call(agent_id)
    started = time.monotonic()
    second = client.create_web_call(agent_id)  # over the limit: 429 with Retry-After: 1, then success
    waited = time.monotonic() - started
    assert waited >= 1.0
    assert second.request_info.attempts == 2 and second.id != first.id
    assert fresh_sandbox.service.store.count() == 2


def test_timeouts_become_api_timeout_errors(
    client_factory: Callable[..., Any], fresh_sandbox: Any, agent_id: str
) -> None:
    fresh_sandbox.set_faults(FaultConfig(slow_rate=1.0, slow_seconds=1.0))
    client = client_factory(
        api_key=fresh_sandbox.api_key,
        base_url=fresh_sandbox.url,
        timeout=0.2,
        retry=RetryPolicy(max_retries=1, initial_backoff=0.01, max_backoff=0.01),
    )
    with pytest.raises(APITimeoutError):
        client.get_call("call_whatever")


def test_refused_connection_is_a_connection_error(client_factory: Callable[..., Any]) -> None:
    with socket.socket() as reserved:
        # Bound but never listening, and held for the whole test: connections are refused, and no other
        # process can take the port meanwhile.
        reserved.bind(("127.0.0.1", 0))
        port = reserved.getsockname()[1]
        client = client_factory(
            api_key="sk_test_key",
            base_url=f"http://127.0.0.1:{port}",
            retry=RetryPolicy(max_retries=1, initial_backoff=0.01, max_backoff=0.01),
        )
        with pytest.raises(APIConnectionError) as info:
            client.list_agents()
    assert not isinstance(info.value, APITimeoutError)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("1", 1.0), ("2.5", 2.5), ("-3", 0.0), ("soon", None), (None, None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header) == expected


def test_backoff_grows_and_is_capped() -> None:
    import tenacity

    policy = RetryPolicy(initial_backoff=0.5, max_backoff=2.0)
    waits = []
    for attempt in range(1, 6):
        state = tenacity.RetryCallState(None, None, (), {})
        state.attempt_number = attempt
        state.outcome = None
        waits.append(policy.wait_seconds(state))
    assert 0.25 <= waits[0] <= 0.5 and 0.5 <= waits[1] <= 1.0 and all(1.0 <= w <= 2.0 for w in waits[3:])


@pytest.mark.parametrize("content", [b"<html>oops</html>", b"", b'{"id": 5}'])
def test_a_malformed_success_body_is_a_typed_error(client_factory: Callable[..., Any], content: bytes) -> None:
    from convoi_nb import APIStatusError

    transport, _ = scripted(httpx.Response(201, content=content, headers={"x-request-id": "req_bad"}))
    with pytest.raises(APIStatusError, match="unexpected response body") as info:
        client_with(client_factory, transport).create_web_call(AGENT)
    assert info.value.request_id == "req_bad" and info.value.status_code == 201


def test_the_default_policy_is_the_documented_one() -> None:
    """3 retries by default, exponential backoff with jitter (0.5 s doubling, capped at 8 s): as documented in
    docs/explanation/idempotency-and-reconciliation.md."""
    from convoi_nb import ConvoiClient

    stamps: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        return error(503, "unavailable")

    client = ConvoiClient(
        api_key="sk_test_key",
        base_url="https://convoi.test",
        http_client=httpx.Client(transport=httpx.MockTransport(handler)),
    )
    assert client.retry_policy == RetryPolicy(max_retries=3, initial_backoff=0.5, max_backoff=8.0)
    with pytest.raises(ServerError):
        client.get_call("call_01HXAAAA")
    client.close()
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert len(stamps) == 4  # one attempt and three retries
    # Each wait is drawn from [ceiling/2, ceiling] with ceiling 0.5, 1, 2 s; slack above for a loaded machine.
    for gap, ceiling in zip(gaps, (0.5, 1.0, 2.0), strict=False):
        assert ceiling / 2 <= gap <= ceiling + 0.5, gaps
