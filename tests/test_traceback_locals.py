"""No API key and no LiveKit token in a traceback rendered with every frame's local variables.

Sentry (locals on by default), IPython's `%xmode Verbose` (saved in the notebook) and `pytest --showlocals`
print the repr of every local of every frame, chained exceptions included. Each failure kind a user can meet is
produced here against the real sandbox over HTTP (MockTransport only for a 422, which a validating client never
provokes), for the sync and the async client, and its verbose traceback is searched.
"""

from __future__ import annotations

import asyncio
import re
import socket
import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from convoi_nb import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncConvoiClient,
    AuthenticationError,
    ConfigurationError,
    ConvoiClient,
    ConvoiError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    ValidationError,
    connect,
)
from convoi_nb.sandbox import FaultConfig

JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
NO_RETRY = RetryPolicy(max_retries=0)
FAST = RetryPolicy(max_retries=2, initial_backoff=0.01, max_backoff=0.02)
WRONG_KEY = "sk_live_wrongkey_0123456789"


def verbose(exc: BaseException) -> str:
    """The traceback as Sentry or `%xmode Verbose` shows it: every frame's locals, causes and contexts."""
    return "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())


def secrets_in(text: str, *keys: str) -> list[str]:
    return [f"key {key[:8]}…" for key in keys if key in text] + JWT.findall(text)


def failure(kind: str, action: Callable[[Any], Any], options: dict[str, Any]) -> BaseException:
    """The exception `action(client)` raises on a fresh sync or async client built with `options`.

    This frame catches it, so it is the traceback's first: the key in `options` is a SecretStr (what a careful
    user's own frame holds is theirs to mind; the package's frames are what is checked).
    """
    options = {**options, "api_key": SecretStr(options["api_key"])}
    if kind == "sync":
        with ConvoiClient(**options) as client:
            try:
                action(client)
            except Exception as exc:
                return exc
        raise AssertionError("no failure")

    async def run() -> BaseException:
        async with AsyncConvoiClient(**options) as client:
            try:
                result = action(client)
                if hasattr(result, "__aiter__"):
                    async for _ in result:
                        pass
                else:
                    await result
            except Exception as exc:
                return exc
        raise AssertionError("no failure")

    return asyncio.run(run())


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def check(exc: BaseException, expected: type[BaseException], *keys: str) -> str:
    assert isinstance(exc, expected), repr(exc)
    text = verbose(exc)
    assert " = " in text  # the locals were captured
    assert secrets_in(text, *keys) == []
    return text


def test_404(kind: str, sandbox: Any) -> None:
    exc = failure(
        kind, lambda c: c.get_call("call_doesnotexist"), {"api_key": sandbox.api_key, "base_url": sandbox.url}
    )
    check(exc, NotFoundError, sandbox.api_key)


def test_404_on_create(kind: str, sandbox: Any) -> None:
    exc = failure(
        kind, lambda c: c.create_web_call("agt_" + "f" * 32), {"api_key": sandbox.api_key, "base_url": sandbox.url}
    )
    check(exc, NotFoundError, sandbox.api_key)


def test_401(kind: str, sandbox: Any, agent_id: str) -> None:
    exc = failure(kind, lambda c: c.create_web_call(agent_id), {"api_key": WRONG_KEY, "base_url": sandbox.url})
    check(exc, AuthenticationError, WRONG_KEY)


def test_409(kind: str, sandbox: Any, agent_id: str) -> None:
    options = {"api_key": sandbox.api_key, "base_url": sandbox.url}
    key = "7c9e6679-7425-40de-944b-e07fc1f90ae7" if kind == "sync" else "16fd2706-8baf-433b-82eb-8c7fada847da"

    def twice(client: Any) -> Any:
        if kind == "sync":
            client.create_web_call(agent_id, metadata={"n": 1}, idempotency_key=key)
            return client.create_web_call(agent_id, metadata={"n": 2}, idempotency_key=key)

        async def both() -> Any:
            await client.create_web_call(agent_id, metadata={"n": 1}, idempotency_key=key)
            return await client.create_web_call(agent_id, metadata={"n": 2}, idempotency_key=key)

        return both()

    check(failure(kind, twice, options), APIError, sandbox.api_key)


def test_422_from_the_service(kind: str) -> None:
    """A 422 the client's own validation would never let through: scripted (MockTransport)."""
    body = {"error": {"type": "invalid_request_error", "code": "invalid_request", "message": "agent_id: bad"}}

    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json=body)

    http = httpx.Client if kind == "sync" else httpx.AsyncClient
    options = {
        "api_key": WRONG_KEY,
        "base_url": "https://convoi.test",
        "http_client": http(transport=httpx.MockTransport(reply)),
    }
    check(failure(kind, lambda c: c.create_web_call("agt_x"), options), InvalidRequestError, WRONG_KEY)


def test_5xx_after_retries(kind: str, fresh_sandbox: Any, agent_id: str) -> None:
    fresh_sandbox.set_faults(FaultConfig(error_rate=1.0))
    options = {"api_key": fresh_sandbox.api_key, "base_url": fresh_sandbox.url, "retry": FAST}
    check(failure(kind, lambda c: c.create_web_call(agent_id), options), ServerError, fresh_sandbox.api_key)


def test_429(kind: str, fresh_sandbox: Any, agent_id: str) -> None:
    fresh_sandbox.set_faults(FaultConfig(rate_limit_per_second=0.01, rate_limit_burst=1))
    options = {"api_key": fresh_sandbox.api_key, "base_url": fresh_sandbox.url, "retry": NO_RETRY}

    def two(client: Any) -> Any:
        if kind == "sync":
            client.list_agents()
            return client.list_agents()

        async def both() -> Any:
            await client.list_agents()
            return await client.list_agents()

        return both()

    check(failure(kind, two, options), RateLimitError, fresh_sandbox.api_key)


def test_connection_refused(kind: str, sandbox: Any) -> None:
    options = {"api_key": sandbox.api_key, "base_url": f"http://127.0.0.1:{closed_port()}", "retry": FAST}
    exc = failure(kind, lambda c: c.get_call("call_x"), options)
    check(exc, APIConnectionError, sandbox.api_key)
    assert not isinstance(exc, APITimeoutError)


def test_timeout(kind: str, fresh_sandbox: Any, agent_id: str) -> None:
    fresh_sandbox.set_faults(FaultConfig(slow_rate=1.0, slow_seconds=2.0))
    options = {"api_key": fresh_sandbox.api_key, "base_url": fresh_sandbox.url, "retry": NO_RETRY, "timeout": 0.3}
    check(failure(kind, lambda c: c.create_web_call(agent_id), options), APITimeoutError, fresh_sandbox.api_key)


def test_validation_error_before_sending(kind: str, sandbox: Any, agent_id: str) -> None:
    options = {"api_key": sandbox.api_key, "base_url": sandbox.url}
    exc = failure(kind, lambda c: c.create_web_call(agent_id, agent_overrides={"llm": {"temperature": 5}}), options)
    check(exc, ValidationError, sandbox.api_key)


def test_failure_in_the_middle_of_list_calls(kind: str, fresh_sandbox: Any, agent_id: str) -> None:
    """Pages of calls (with their tokens) were read; the next page fails: the frames hold what was read."""
    options = {"api_key": fresh_sandbox.api_key, "base_url": fresh_sandbox.url, "retry": FAST}
    tokens: list[str] = []
    with ConvoiClient(**options) as client:
        tokens += [client.create_web_call(agent_id).livekit.token for _ in range(3)]

    def read_two_pages_then_fail(client: Any) -> Any:
        calls = client.list_calls(page_size=1)
        if kind == "sync":
            next(calls)
            next(calls)  # two pages read
            fresh_sandbox.set_faults(FaultConfig(error_rate=1.0))
            return list(calls)

        async def rest() -> Any:
            await calls.__anext__()
            await calls.__anext__()
            fresh_sandbox.set_faults(FaultConfig(error_rate=1.0))
            return [call async for call in calls]

        return rest()

    exc = failure(kind, read_two_pages_then_fail, options)
    text = check(exc, ServerError, fresh_sandbox.api_key, *tokens)
    assert "_iterate" in text  # the generator's frame, with the page it had read, was rendered


@pytest.mark.parametrize(
    "options",
    [
        {"timeout": -1},
        {"base_url": "http://convoi.example"},  # plain http to another host
        {"max_retries": "3"},
    ],
    ids=["timeout", "insecure", "max_retries"],
)
def test_configuration_errors(kind: str, options: dict[str, Any]) -> None:
    """The constructor's frames hold the key only in its masked form."""
    face = ConvoiClient if kind == "sync" else AsyncConvoiClient
    with pytest.raises(ConfigurationError) as info:
        face(**{"api_key": WRONG_KEY, "base_url": "https://convoi.example", **options})
    check(info.value, ConfigurationError, WRONG_KEY)


def test_connect_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError) as info:
        connect(api_key=WRONG_KEY)  # a key without a URL
    check(info.value, ConfigurationError, WRONG_KEY)


def test_the_search_finds_a_leak() -> None:
    """The check itself: a local holding the key or a token is found."""
    from .models.test_responses import TOKEN

    def leaky(key: str, token: str) -> None:
        raise ConvoiError("boom")

    with pytest.raises(ConvoiError) as info:
        leaky(WRONG_KEY, TOKEN)
    assert set(secrets_in(verbose(info.value), WRONG_KEY)) == {f"key {WRONG_KEY[:8]}…", TOKEN}
