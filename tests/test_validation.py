"""Bad input is refused on the client, names the field and the rule, and sends nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from convoi_nb import ValidationError
from convoi_nb.sandbox import Sandbox
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

AGENT = "agt_b88d642dd68747f28305c428b2091234"
KB = "kb_" + "ab" * 16
NESTED: Any = 1
for _ in range(2000):
    NESTED = [NESTED]
EXTRA = {"allow_extra": True}

# (create_web_call keyword arguments, field path named in the error, fragment of the rule)
MALFORMED: list[tuple[dict[str, Any], str, str]] = [
    ({"agent_id": None}, "agent_id", "valid string"),
    ({"agent_id": ""}, "agent_id", "required format"),
    ({"agent_id": 42}, "agent_id", "valid string"),
    ({"agent_id": "agent_123"}, "agent_id", "required format"),
    ({"agent_id": "agt_has space"}, "agent_id", "required format"),
    ({"participant_name": 7}, "participant_name", "valid string"),
    ({"participant_name": ""}, "participant_name", "at least 1"),
    ({"participant_name": "x" * 129}, "participant_name", "at most 128"),
    ({"agent_overrides": "be nice"}, "agent_overrides", "valid dictionary"),
    ({"agent_overrides": {"voice": "rachel"}}, "agent_overrides.voice", "unknown key 'voice'"),
    ({"agent_overrides": {"first_message": 1}}, "agent_overrides.first_message", "valid string"),
    ({"agent_overrides": {"system_prompt": ["a"]}}, "agent_overrides.system_prompt", "valid string"),
    ({"agent_overrides": {"llm": "gpt-4o"}}, "agent_overrides.llm", "valid dictionary"),
    ({"agent_overrides": {"llm": {"temperature": 2.5}}}, "agent_overrides.llm.temperature", "less than or equal to 2"),
    (
        {"agent_overrides": {"llm": {"temperature": -0.1}}},
        "agent_overrides.llm.temperature",
        "greater than or equal to 0",
    ),
    ({"agent_overrides": {"llm": {"temperature": "hot"}}}, "agent_overrides.llm.temperature", "valid number"),
    ({"agent_overrides": {"llm": {"temperature": True}}}, "agent_overrides.llm.temperature", "valid number"),
    ({"agent_overrides": {"llm": {"model": ""}}}, "agent_overrides.llm.model", "at least 1"),
    ({"agent_overrides": {"tts": {"speed": 0}}}, "agent_overrides.tts.speed", "greater than 0"),
    ({"agent_overrides": {"tts": {"speed": -1.0}}}, "agent_overrides.tts.speed", "greater than 0"),
    ({"agent_overrides": {"tts": {"voice_id": 3}}}, "agent_overrides.tts.voice_id", "valid string"),
    ({"agent_overrides": {"stt": {"language": None, "model": 2}}}, "agent_overrides.stt.model", "valid string"),
    ({"agent_overrides": {"knowledge_base_ids": "kb_1"}}, "agent_overrides.knowledge_base_ids", "valid list"),
    (
        {"agent_overrides": {"knowledge_base_ids": ["kb_123"]}},
        "agent_overrides.knowledge_base_ids[0]",
        "required format",
    ),
    (
        {"agent_overrides": {"knowledge_base_ids": [KB.upper().replace("KB_", "kb_")]}},
        "agent_overrides.knowledge_base_ids[0]",
        "required format",
    ),
    (
        {"agent_overrides": {"knowledge_base_ids": [KB, "xb_" + "0" * 32]}},
        "agent_overrides.knowledge_base_ids[1]",
        "required format",
    ),
    ({"agent_overrides": {"tts": {"speed": float("inf")}}}, "agent_overrides.tts.speed", "finite number"),
    ({"agent_overrides": {"tts": {"speed": float("nan")}}}, "agent_overrides.tts.speed", "finite number"),
    ({"agent_overrides": {"llm": {"temperature": float("nan")}}}, "agent_overrides.llm.temperature", "finite number"),
    ({"agent_overrides": {"llm": {"top_p": float("nan")}}}, "agent_overrides.llm.top_p", "finite number"),
    ({"agent_overrides": {"llm": {"top_p": 1.5}}}, "agent_overrides.llm.top_p", "less than or equal to 1"),
    ({"agent_overrides": {"llm": {"max_tokens": 0}}}, "agent_overrides.llm.max_tokens", "greater than or equal to 1"),
    ({"agent_overrides": {"tts": {"stability": float("inf")}}}, "agent_overrides.tts.stability", "finite number"),
    # Provider settings convoi_nb does not check are still checked to be JSON, with allow_extra=True too.
    ({**EXTRA, "agent_overrides": {"llm": {"stop": {"a", "b"}}}}, "agent_overrides.llm.stop", "is a set"),
    (
        {**EXTRA, "agent_overrides": {"stt": {"keywords": [("a", 1)]}}},
        "agent_overrides.stt.keywords",
        "item 0 is a tuple",
    ),
    (
        {**EXTRA, "agent_overrides": {"llm": {"logit_bias": {50256: -100}}}},
        "agent_overrides.llm.logit_bias",
        "non-string key 50256",
    ),
    ({**EXTRA, "agent_overrides": {"llm": {"tool": object()}}}, "agent_overrides.llm.tool", "must be a JSON value"),
    # What convoi_nb does not know: refused by name, with the closest known one, unless allow_extra=True.
    ({"agent_overrides": {"llm": {"modle": "gpt-4o"}}}, "agent_overrides.llm.modle", "did you mean 'model'?"),
    ({"agent_overrides": {"tts": {"sped": 1.2}}}, "agent_overrides.tts.sped", "did you mean 'speed'?"),
    (
        {"agent_overrides": {"llm": {"model": "gpt4o"}}},
        "agent_overrides.llm.model",
        "'gpt4o' is not a known llm model; did you mean 'gpt-4o'?",
    ),
    ({"agent_overrides": {"tts": {"voice_id": "Rachel"}}}, "agent_overrides.tts.voice_id", "did you mean 'rachel'?"),
    ({"agent_overrides": {"stt": {"model": "nova2"}}}, "agent_overrides.stt.model", "did you mean 'nova-2'?"),
    ({"agent_overrides": {"frist_message": "Hi"}}, "agent_overrides.frist_message", "did you mean 'first_message'?"),
    ({"agent_overrides": {"llm": {"top_k": 5}}, "allow_extra": "no"}, "allow_extra", "must be True or False"),
    ({"metadata": ["source", "x"]}, "metadata", "valid dictionary"),
    ({"metadata": {"tags": ["a", "b"]}}, "metadata", "JSON scalar"),
    ({"metadata": {"nested": {"a": 1}}}, "metadata", "JSON scalar"),
    ({"metadata": {1: "one"}}, "metadata", "non-empty strings"),
    ({"metadata": {"ratio": float("nan")}}, "metadata", "finite"),
    ({"metadata": {f"k{i}": i for i in range(51)}}, "metadata", "at most 50 keys"),
    ({"metadata": {"note": "x" * 1001}}, "metadata", "longer than 1000"),
    ({"idempotency_key": "not-a-uuid"}, "idempotency_key", "must be a UUID"),
    ({"metadata": {"note": "caf\udce9"}}, "metadata.note", "lone surrogate"),
    ({"agent_overrides": {"system_prompt": "ok \ud800"}}, "agent_overrides.system_prompt", "lone surrogate"),
    (
        {**EXTRA, "agent_overrides": {"llm": {"deep": NESTED}}},
        "agent_overrides.llm.deep",
        "nested deeper than 32 levels",
    ),
    ({"agent_overrides": {"system_prompt": "x" * 70_000}}, "body", "the API accepts at most 65536"),
]


@pytest.fixture()
def offline(client_factory: Callable[..., Any]) -> tuple[Any, list[httpx.Request]]:
    """A client whose transport records anything sent (and nothing should be)."""
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(500)

    return client_factory(
        api_key="sk_test_key", base_url="https://convoi.test", transport=httpx.MockTransport(handler)
    ), sent


@pytest.mark.parametrize(("kwargs", "path", "rule"), MALFORMED, ids=[f"{c[1]}-{i}" for i, c in enumerate(MALFORMED)])
def test_malformed_create_raises_before_sending(offline: tuple[Any, list], kwargs: dict, path: str, rule: str) -> None:
    client, sent = offline
    arguments = {"agent_id": AGENT, **kwargs}
    with pytest.raises(ValidationError) as info:
        client.create_web_call(arguments.pop("agent_id"), **arguments)
    assert any(e.loc == path for e in info.value.errors), info.value.errors
    assert rule in str(info.value)
    assert path in str(info.value)
    assert sent == []


@pytest.mark.parametrize("call_id", ["", "abc", "call_", "call_../../agents", None])
def test_bad_call_id_is_refused_before_sending(offline: tuple[Any, list], call_id: Any) -> None:
    client, sent = offline
    with pytest.raises(ValidationError, match="call_id"):
        client.get_call(call_id)
    assert sent == []


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 101}, "page_size"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": __import__("datetime").datetime(2026, 1, 1)}, "created_before"),
        ({"created_after": __import__("datetime").date(2026, 1, 1)}, "created_after"),
        ({"created_after": 1_767_225_600}, "created_after"),
        ({"metadata": {"blob": b"x"}}, "metadata"),
        ({"metadata": {"when": __import__("datetime").datetime(2026, 1, 1)}}, "metadata"),
        ({"created_after": "2026-02-01T00:00:00Z", "created_before": "2026-01-01T00:00:00Z"}, "created_after"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_list_filters_are_refused_before_sending(offline: tuple[Any, list], filters: dict, field: str) -> None:
    client, sent = offline
    with pytest.raises(ValidationError, match=field):
        list(client.list_calls(**filters))
    assert sent == []


# -- llm/tts/stt settings and catalog names, over real HTTP (issue 25, item 1) -----------------------------------

PROVIDER_EXTRAS = {"llm": {"model": "gpt-5", "top_k": 40}, "tts": {"voice_id": "my-clone", "style": 0.3}}


def test_allow_extra_reaches_the_sandbox_and_is_kept_as_sent(api: Any, sandbox: Sandbox, agent_id: str) -> None:
    call = api.create_web_call(agent_id, agent_overrides=PROVIDER_EXTRAS, allow_extra=True)
    assert call.status == "initiated"
    assert stored_request(sandbox, call.id)["agent_overrides"] == PROVIDER_EXTRAS


def test_a_typo_is_refused_before_sending_and_a_valid_request_still_works(
    client_factory: Callable[..., Any], fresh_sandbox: Sandbox, agent_id: str
) -> None:
    api = client_factory(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url)
    for typo in ({"llm": {"modle": "gpt-4o"}}, {"tts": {"sped": 1.2}}, {"llm": {"model": "gpt4o"}}):
        with pytest.raises(ValidationError, match="did you mean"):
            api.create_web_call(agent_id, agent_overrides=typo)
    assert fresh_sandbox.traffic.count("POST") == 0  # nothing reached the server
    valid = {"llm": {"model": "gpt-4o", "temperature": 0.3, "max_tokens": 300, "top_p": 0.9}, "tts": {"stability": 0.5}}
    call = api.create_web_call(agent_id, agent_overrides=valid)
    assert stored_request(fresh_sandbox, call.id)["agent_overrides"] == valid


def test_the_sandbox_takes_provider_settings_as_the_service_does_but_not_unknown_top_level_keys(
    sandbox: Sandbox, agent_id: str
) -> None:
    url = sandbox.url + "/api/v1/public/calls"
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}
    body = {"type": "web", "agent_id": agent_id, "agent_overrides": PROVIDER_EXTRAS}
    created = httpx.post(url, headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert stored_request(sandbox, created.json()["id"])["agent_overrides"] == PROVIDER_EXTRAS
    refused = httpx.post(url, headers=headers, json={**body, "agent_overrides": {"frist_message": "Hi"}})
    assert refused.status_code == 422
    assert "did you mean 'first_message'" in refused.json()["error"]["message"]


def test_expected_outcome_takes_what_an_allow_extra_variant_sends(sandbox: Sandbox, agent_id: str) -> None:
    assert sandbox.expected_outcome(agent_id, PROVIDER_EXTRAS).mean_cost > 0


def stored_request(sandbox: Sandbox, call_id: str) -> dict[str, Any]:
    """The body exactly as the sandbox received and recorded it."""
    row = sandbox.service.store.get(DEFAULT_ACCOUNT.id, call_id)
    assert row is not None
    return row.request


def test_allow_extra_goes_to_build_web_call_when_the_request_is_built_there(offline: tuple[Any, list]) -> None:
    from convoi_nb import build_web_call

    client, sent = offline
    request = build_web_call(AGENT, agent_overrides=PROVIDER_EXTRAS, allow_extra=True)
    with pytest.raises(ValidationError, match="allow_extra: give it to build_web_call"):
        client.create_web_call(request, allow_extra=True)
    assert sent == []
