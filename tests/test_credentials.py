"""A malformed or misplaced API key gets a clear ConfigurationError, and no error or log line carries a key."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from convoi_nb import AuthenticationError, ConfigurationError

SECRET = "sk_live_Zq8vW3nX5tR7yL2m"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (SECRET + "\n", "leading or trailing whitespace"),
        (" " + SECRET, "leading or trailing whitespace"),
        (SECRET + "\r\n", "leading or trailing whitespace"),
        (SECRET[:8] + "ключ" + SECRET[8:], "non-ASCII character at position 9"),
        (SECRET[:8] + " " + SECRET[8:], "whitespace or a control character at position 9"),
        (SECRET[:8] + "\x00" + SECRET[8:], "whitespace or a control character"),
    ],
)
def test_a_malformed_key_is_refused_when_the_client_is_made(
    client_factory: Callable[..., Any], key: str, problem: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        client_factory(api_key=key, base_url="https://api.convoi.test")
    assert problem in str(info.value)
    _assert_no_secret(info.value)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"api_key": 12345}, "api_key must be a string"),
        ({"api_key": SECRET.encode()}, "api_key must be a string"),
        ({"base_url": f"https://user:{SECRET}@api.convoi.test"}, "must not carry credentials"),
        ({"base_url": "http://"}, "no host name"),
        ({"timeout": float("nan")}, "finite number"),
    ],
)
def test_other_bad_settings_are_explained_without_the_key(
    client_factory: Callable[..., Any], options: dict, problem: str
) -> None:
    settings = {"api_key": SECRET, "base_url": "https://api.convoi.test", **options}
    with pytest.raises(ConfigurationError, match=problem) as info:
        client_factory(**settings)
    _assert_no_secret(info.value)


def test_a_secret_str_key_is_accepted(client_factory: Callable[..., Any]) -> None:
    from pydantic import SecretStr

    client = client_factory(api_key=SecretStr(SECRET), base_url="https://api.convoi.test")
    assert SECRET not in repr(client)


def test_swapped_key_and_url_do_not_echo_the_key(client_factory: Callable[..., Any]) -> None:
    with pytest.raises(ConfigurationError, match="swapped") as info:
        client_factory(api_key="https://api.convoi.test", base_url=SECRET)
    _assert_no_secret(info.value)


def test_a_key_from_the_environment_is_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from convoi_nb import ConvoiClient

    monkeypatch.setenv("CONVOI_API_KEY", SECRET + "\n")
    monkeypatch.setenv("CONVOI_BASE_URL", "https://api.convoi.test")
    with pytest.raises(ConfigurationError, match="whitespace") as info:
        ConvoiClient()
    _assert_no_secret(info.value)


def test_rejected_key_and_debug_logs_hold_no_secret(
    client_factory: Callable[..., Any], sandbox: Any, agent_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # httpx and httpcore log every request step at DEBUG
    client = client_factory(api_key=SECRET, base_url=sandbox.url)
    with pytest.raises(AuthenticationError) as info:
        client.create_web_call(agent_id)
    _assert_no_secret(info.value)
    # The sync client runs on httpcore (DEBUG logs every request step); the async one on aiohttp via httpx.
    assert any(r.name.startswith(("httpcore", "httpx")) for r in caplog.records), (
        "the HTTP stack's log was not captured"
    )
    logged = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert SECRET not in logged and SECRET[-8:] not in logged


def _assert_no_secret(exc: BaseException) -> None:
    texts = [str(exc), repr(exc), str(exc.__cause__), str(exc.__context__), str(getattr(exc, "body", ""))]
    for text in texts:
        assert SECRET not in text and SECRET[-8:] not in text, text
