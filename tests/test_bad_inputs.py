"""Each public function and method of the client layer, fed its documented bad inputs, raises a `ConvoiError`
subclass naming the parameter (never a bare ValueError/TypeError/KeyError), before anything is sent."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

import convoi_nb
from convoi_nb import AsyncConvoiClient, ConfigurationError, ConvoiClient, ConvoiError, RetryPolicy, ValidationError
from convoi_nb.snippets import curl_snippet, python_snippet

KEY, URL = "sk_x_123456", "https://convoi.example"


def never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a request was sent: {request.method} {request.url}")


def sync_client() -> ConvoiClient:
    return ConvoiClient(api_key=KEY, base_url=URL, http_client=httpx.Client(transport=httpx.MockTransport(never)))


def async_client() -> AsyncConvoiClient:
    return AsyncConvoiClient(
        api_key=KEY, base_url=URL, http_client=httpx.AsyncClient(transport=httpx.MockTransport(never))
    )


CONSTRUCTOR = {
    "api_key not text": ({"api_key": 123}, "api_key"),
    "base_url not text": ({"base_url": 5}, "base_url"),
    "base_url no scheme": ({"base_url": "convoi.example"}, "base_url"),
    "timeout text": ({"timeout": "30"}, "timeout"),
    "timeout zero": ({"timeout": 0}, "timeout"),
    "timeout nan": ({"timeout": float("nan")}, "timeout"),
    "timeout bool": ({"timeout": True}, "timeout"),
    "max_retries negative": ({"max_retries": -1}, "max_retries"),
    "max_retries text": ({"max_retries": "3"}, "max_retries"),
    "max_retries bool": ({"max_retries": True}, "max_retries"),
    "retry not a policy": ({"retry": {"max_retries": 2}}, "retry"),
    "confirm_runs_over negative": ({"confirm_runs_over": -1}, "confirm_runs_over"),
    "confirm_runs_over text": ({"confirm_runs_over": "20"}, "confirm_runs_over"),
    "allow_insecure text": ({"allow_insecure": "yes"}, "allow_insecure"),
    "http_client not a client": ({"http_client": object()}, "http_client"),
}


@pytest.mark.parametrize("face", [ConvoiClient, AsyncConvoiClient])
@pytest.mark.parametrize(("options", "names"), CONSTRUCTOR.values(), ids=CONSTRUCTOR.keys())
def test_constructor(face: type, options: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        face(**{"api_key": KEY, "base_url": URL, **options})


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"initial_backoff": "x"}, "initial_backoff"),
        ({"max_backoff": -1}, "max_backoff"),
        ({"max_retry_after": float("inf")}, "max_retry_after"),
        ({"initial_backoff": 2, "max_backoff": 1}, "max_backoff"),
        ({"max_retries": 1.5}, "max_retries"),
    ],
)
def test_retry_policy(options: dict[str, Any], names: str) -> None:
    with pytest.raises(ConfigurationError, match=names):
        RetryPolicy(**options)


METHODS: dict[str, tuple[Callable[[Any], Any], str]] = {
    "create agent_id not text": (lambda c: c.create_web_call(123), "agent_id"),
    "create overrides not a mapping": (lambda c: c.create_web_call("agt_1", agent_overrides="fast"), "agent_overrides"),
    "create overrides out of range": (
        lambda c: c.create_web_call("agt_1", agent_overrides={"llm": {"temperature": 9}}),
        "temperature",
    ),
    "create metadata a list": (lambda c: c.create_web_call("agt_1", metadata=[1, 2]), "metadata"),
    "create participant_name not text": (lambda c: c.create_web_call("agt_1", participant_name=5), "participant_name"),
    "create idempotency_key not a uuid": (lambda c: c.create_web_call("agt_1", idempotency_key="nope"), "idempotency"),
    "create idempotency_key a number": (lambda c: c.create_web_call("agt_1", idempotency_key=5), "idempotency"),
    "create request and fields": (
        lambda c: c.create_web_call(convoi_nb.build_web_call("agt_1"), metadata={"a": 1}),
        "agent_id",
    ),
    "get_call not text": (lambda c: c.get_call(5), "call_id"),
    "get_call not an id": (lambda c: c.get_call("../agents"), "call_id"),
    "list unknown filter": (lambda c: c.list_calls(agent="agt_1"), "agent"),
    "list page_size zero": (lambda c: c.list_calls(page_size=0), "page_size"),
    "list page_size text": (lambda c: c.list_calls(page_size="10"), "page_size"),
    "list naive time": (lambda c: c.list_calls(created_after="2026-01-01T00:00:00"), "created_after"),
    "list time text": (lambda c: c.list_calls(created_after="yesterday"), "created_after"),
    "list after later than before": (
        lambda c: c.list_calls(created_after="2026-02-01T00:00:00Z", created_before="2026-01-01T00:00:00Z"),
        "created_after",
    ),
    "calls_frame include_tokens text": (lambda c: c.calls_frame(include_tokens="no"), "include_tokens"),
    "calls_frame bad filter": (lambda c: c.calls_frame(page_size=1000), "page_size"),
    "export path a number": (lambda c: c.export_calls(5), "path"),
    "export path None": (lambda c: c.export_calls(None), "path"),
    "export bad filter": (lambda c: c.export_calls("calls", page_size=0), "page_size"),
}


@pytest.mark.parametrize(("action", "names"), METHODS.values(), ids=METHODS.keys())
def test_sync_methods(action: Callable[[Any], Any], names: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with sync_client() as client, pytest.raises(ValidationError, match=names):
        action(client)
    assert list(tmp_path.iterdir()) == []  # nothing written either


@pytest.mark.parametrize(("action", "names"), METHODS.values(), ids=METHODS.keys())
def test_async_methods(
    action: Callable[[Any], Any], names: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    async def run() -> None:
        async with async_client() as client:
            result = action(client)
            if hasattr(result, "__aiter__"):
                async for _ in result:
                    pass
            else:
                await result

    with pytest.raises(ValidationError, match=names):
        asyncio.run(run())
    assert list(tmp_path.iterdir()) == []


def test_twins_refuse_a_client_of_the_wrong_kind() -> None:
    with sync_client() as client, pytest.raises(ConfigurationError, match="http_client"):
        client.to_async(http_client=object())  # type: ignore[arg-type]  # the mistake under test


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"sandbox": "yes"}, "sandbox"),
        ({"sandbox_settings": [("seed", 1)]}, "sandbox_settings"),
        ({"sandbox": True, "sandbox_settings": {"speed": 2}}, "speed"),
        ({"api_key": 5}, "api_key"),
        ({"base_url": 5, "api_key": KEY}, "base_url"),
        ({"api_key": KEY}, "base_url"),  # half a configuration
        ({"sandbox": False}, "sandbox=False"),
        ({"api_key": KEY, "base_url": URL, "timeout": -1}, "timeout"),
    ],
)
def test_connect(options: dict[str, Any], names: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match=names):
        convoi_nb.connect(**options)
    with pytest.raises(ConfigurationError, match=names):
        asyncio.run(convoi_nb.aconnect(**options))


@pytest.mark.parametrize(
    ("call", "names"),
    [
        (lambda: convoi_nb.build_web_call(5), "agent_id"),
        (lambda: convoi_nb.build_web_call("agt_1", metadata={"k": {"nested": object()}}), "metadata"),
        (lambda: convoi_nb.calls_to_frame(5), "calls"),
        (lambda: convoi_nb.calls_to_frame("call_1"), "calls"),
        (lambda: convoi_nb.calls_to_frame([5]), r"calls\[0\]"),
        (lambda: convoi_nb.calls_to_frame([], include_tokens="yes"), "include_tokens"),
        (lambda: python_snippet({"metadata": {}}), "body"),
        (lambda: curl_snippet("agt_1"), "body"),
    ],
)
def test_functions(call: Callable[[], Any], names: str) -> None:
    with pytest.raises(ValidationError, match=names):
        call()


def test_every_error_here_is_a_convoi_error() -> None:
    assert issubclass(ConfigurationError, ConvoiError) and issubclass(ValidationError, ConvoiError)
