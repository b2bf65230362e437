"""The API key and LiveKit tokens never show in reprs, errors or log records."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from convoi_nb import AuthenticationError, ConvoiClient
from convoi_nb._logging import get_logger, redact


def test_client_repr_and_str_hide_the_key(api: Any, sandbox: Any) -> None:
    for text in (repr(api), str(api), repr(ConvoiClient(api_key="sk_live_supersecret", base_url=sandbox.url))):
        assert sandbox.api_key not in text and "supersecret" not in text
        assert "***" in text


def test_logs_of_a_whole_session_hold_no_key_or_token(
    api: Any, sandbox: Any, agent_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    call = api.create_web_call(agent_id, participant_name="Ada")
    api.get_call(call.id)
    list(api.list_calls(page_size=5))
    text = caplog.text + " ".join(str(r.__dict__) for r in caplog.records)
    assert "POST" in caplog.text and "-> 201" in caplog.text and "attempt 1" in caplog.text
    assert sandbox.api_key not in text
    assert call.livekit.token not in text and call.livekit.token[:24] not in text


def test_filter_redacts_what_user_code_logs_through_the_package_logger(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    from .models.test_responses import TOKEN as jwt

    get_logger("convoi_nb.test").info("headers %s token=%s", {"Authorization": "Bearer sk_live_abcdef123"}, jwt)
    assert "sk_live_abcdef123" not in caplog.text and jwt not in caplog.text
    assert "[REDACTED" in caplog.text


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        ("authorization='Bearer xyz123'", "xyz123"),
        ("token eyJa1234.eyJb5678.sig_nature here", "eyJa1234.eyJb5678.sig_nature"),
        ("key sk_sandbox_convoi_nb_demo", "sk_sandbox_convoi_nb_demo"),
    ],
)
def test_redact_patterns(text: str, secret: str) -> None:
    cleaned = redact(text)
    assert "REDACTED" in cleaned
    # No piece of the secret survives (a partial mask would still leak it).
    assert secret not in cleaned and secret[-6:] not in cleaned and secret[:6] not in cleaned, cleaned


def test_auth_error_does_not_echo_the_key(client_factory: Any, sandbox: Any, agent_id: str) -> None:
    client = client_factory(api_key="sk_live_leakcheck_999", base_url=sandbox.url)
    with pytest.raises(AuthenticationError) as info:
        client.create_web_call(agent_id)
    assert "leakcheck" not in repr(info.value) and "leakcheck" not in str(info.value.body)
