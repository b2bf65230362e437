"""Configuration from arguments and environment, and the headers every request carries."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import convoi_nb
from convoi_nb import ConfigurationError, ConvoiClient

from .models.test_responses import EXAMPLE


def test_environment_supplies_key_and_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOI_API_KEY", "sk_env_key_1")
    monkeypatch.setenv("CONVOI_BASE_URL", "https://convoi.example/")
    client = ConvoiClient()
    assert client.base_url == "https://convoi.example"


def test_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOI_BASE_URL", "https://env.example")
    assert ConvoiClient(api_key="sk_x_123456", base_url="https://arg.example").base_url == "https://arg.example"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_url": "https://x"}, "CONVOI_API_KEY"),
        ({"api_key": "sk_x_123456"}, "CONVOI_BASE_URL"),
        ({"api_key": "sk_x_123456", "base_url": "ftp://x"}, "http:// or https://"),
        ({"api_key": "sk_x_123456", "base_url": "https://x", "timeout": 0}, "timeout"),
        ({"api_key": "sk_x_123456", "base_url": "https://x", "max_retries": -1}, "max_retries"),
    ],
)
def test_missing_or_bad_configuration_is_explained(monkeypatch: pytest.MonkeyPatch, kwargs: dict, message: str) -> None:
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match=message):
        ConvoiClient(**kwargs)


def test_every_request_carries_auth_user_agent_and_json(client_factory: Any) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json=EXAMPLE)

    client = client_factory(
        api_key="sk_test_key", base_url="https://convoi.test/", transport=httpx.MockTransport(handler)
    )
    client.create_web_call("agt_abc", participant_name="xyz")
    request = seen[0]
    assert str(request.url) == "https://convoi.test/api/v1/public/calls"
    assert request.headers["Authorization"] == "Bearer sk_test_key"
    assert request.headers["User-Agent"] == f"convoi_nb/{convoi_nb.__version__}"
    assert request.headers["Content-Type"] == "application/json"
    assert request.content == b'{"type":"web","agent_id":"agt_abc","participant_name":"xyz"}'


def test_one_connection_pool_is_reused(sandbox: Any, agent_id: str) -> None:
    with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
        pool = client._transport._client
        for _ in range(3):
            client.create_web_call(agent_id)
        assert client._transport._client is pool
        connections = pool._transport._pool.connections
        assert len(connections) == 1  # keep-alive: three requests, one socket


# -- plain http:// -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.convoi.example", "http://10.0.0.5:8080", "http://[2001:db8::1]/"])
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure=True") as info:
        ConvoiClient(api_key="sk_x_123456", base_url=url)
    assert "unencrypted" in str(info.value)


@pytest.mark.parametrize("url", ["http://api.convoi.example", "http://10.0.0.5:8080"])
def test_allow_insecure_opts_in(url: str) -> None:
    client = ConvoiClient(api_key="sk_x_123456", base_url=url, allow_insecure=True)
    assert client.base_url == url
    assert client.to_async()._allow_insecure  # the twin keeps the choice


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000", "http://127.0.0.1:9", "http://127.8.9.10", "http://[::1]:8000", "https://x.example"],
)
def test_loopback_and_https_need_no_opt_in(url: str) -> None:
    assert ConvoiClient(api_key="sk_x_123456", base_url=url).base_url == url


def test_connect_refuses_plain_http_and_accepts_the_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    monkeypatch.delenv("CONVOI_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="allow_insecure"):
        convoi_nb.connect(api_key="sk_x_123456", base_url="http://convoi.example")
    client = convoi_nb.connect(api_key="sk_x_123456", base_url="http://convoi.example", allow_insecure=True)
    assert client.base_url == "http://convoi.example"


async def _aconnect(**options: Any) -> Any:
    client = await convoi_nb.aconnect(**options)
    await client.aclose()
    return client


def test_aconnect_refuses_plain_http_and_accepts_the_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    monkeypatch.delenv("CONVOI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="allow_insecure"):
        asyncio.run(_aconnect(api_key="sk_x_123456", base_url="http://convoi.example"))
    client = asyncio.run(_aconnect(api_key="sk_x_123456", base_url="http://convoi.example", allow_insecure=True))
    assert client.base_url == "http://convoi.example"


def test_the_environment_url_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVOI_BASE_URL", "http://convoi.example")
    with pytest.raises(ConfigurationError, match="allow_insecure"):
        ConvoiClient(api_key="sk_x_123456")


# -- the key never travels in clear through the stack -----------------------------------------------------


def test_the_request_spec_and_config_hold_no_key() -> None:
    client = ConvoiClient(api_key="sk_x_secret_123456", base_url="https://x.example")
    spec = client._core.get_call("call_1")
    assert "Authorization" not in spec.headers
    for text in (repr(spec), repr(client._core.config), repr(client._transport._auth), repr(client)):
        assert "secret" not in text
