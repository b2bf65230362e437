"""The request bodies of the reference page, byte for byte, and what the models refuse."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from convoi_nb.models import AgentOverrides, LLMSettings, TTSSettings, WebCallRequest

AGENT = "agt_b88d642dd68747f28305c428b2091234"
KB = "kb_3a1c" + "0" * 28

MINIMAL = {"type": "web", "agent_id": AGENT}
WITH_OVERRIDES = {
    "type": "web",
    "agent_id": AGENT,
    "participant_name": "xyz",
    "agent_overrides": {
        "first_message": "Hi, how can I help?",
        "system_prompt": "You are a concise support agent.",
        "llm": {"model": "gpt-4o-mini", "temperature": 0.7},
        "tts": {"voice_id": "rachel", "speed": 1.0},
        "stt": {"language": "en", "model": "nova-2"},
        "knowledge_base_ids": [KB],
    },
    "metadata": {"source": "landing-page", "user_ref": "u_42"},
}


def test_minimal_example_serialises_exactly() -> None:
    assert json.dumps(WebCallRequest(type="web", agent_id=AGENT).to_body()) == json.dumps(MINIMAL)


def test_overrides_example_serialises_exactly_built_from_models() -> None:
    request = WebCallRequest(
        type="web",
        agent_id=AGENT,
        participant_name="xyz",
        agent_overrides=AgentOverrides(
            first_message="Hi, how can I help?",
            system_prompt="You are a concise support agent.",
            llm=LLMSettings(model="gpt-4o-mini", temperature=0.7),
            tts=TTSSettings(voice_id="rachel", speed=1.0),
            stt={"language": "en", "model": "nova-2"},
            knowledge_base_ids=[KB],
        ),
        metadata={"source": "landing-page", "user_ref": "u_42"},
    )
    assert json.dumps(request.to_body()) == json.dumps(WITH_OVERRIDES)


def test_unset_fields_are_omitted_not_null_but_explicit_metadata_nulls_stay() -> None:
    body = WebCallRequest(
        type="web", agent_id=AGENT, agent_overrides={"llm": {"model": "gpt-4o"}}, metadata={"cleared": None}
    ).to_body()
    assert body == {
        "type": "web",
        "agent_id": AGENT,
        "agent_overrides": {"llm": {"model": "gpt-4o"}},
        "metadata": {"cleared": None},
    }


def test_llm_tts_stt_pass_through_extra_settings_when_allowed() -> None:
    overrides = AgentOverrides.from_dict(
        {
            "llm": {"model": "gpt-4o", "top_p": 0.9, "stop": ["\n", "User:"], "seed": None},
            "tts": {"stability": 0.4, "pronunciations": {"Convoi": "con-voy"}},
            "stt": {"punctuate": True},
        },
        allow_extra=True,
    )
    assert overrides.to_body() == {
        "llm": {"model": "gpt-4o", "top_p": 0.9, "stop": ["\n", "User:"], "seed": None},
        "tts": {"stability": 0.4, "pronunciations": {"Convoi": "con-voy"}},
        "stt": {"punctuate": True},
    }


def test_unknown_override_key_names_the_key() -> None:
    with pytest.raises(ValidationError, match="voice"):
        AgentOverrides.model_validate({"voice": "rachel"})


@pytest.mark.parametrize("temperature", [0, 2, 0.0, 1.5])
def test_temperature_bounds_inclusive(temperature: float) -> None:
    assert LLMSettings(temperature=temperature).temperature == temperature


def test_building_a_model_with_bad_input_raises_our_validation_error_with_full_paths() -> None:
    import convoi_nb

    with pytest.raises(convoi_nb.ValidationError) as info:
        WebCallRequest(type="web", agent_id=AGENT, agent_overrides={"llm": {"temperature": 3}, "voice": "x"})
    assert isinstance(info.value, ValueError) and not isinstance(info.value, ValidationError)
    assert [e.loc for e in info.value.errors] == ["agent_overrides.llm.temperature", "agent_overrides.voice"]
    assert str(info.value).startswith("invalid WebCallRequest: agent_overrides.llm.temperature: ")
    assert "allowed: first_message, system_prompt, llm, tts, stt, knowledge_base_ids" in str(info.value)
    with pytest.raises(convoi_nb.ValidationError, match=r"invalid LLMSettings: temperature: .*less than or equal to 2"):
        LLMSettings(temperature=3)


def test_assigning_a_bad_value_raises_our_validation_error() -> None:
    import convoi_nb

    overrides = AgentOverrides()
    with pytest.raises(convoi_nb.ValidationError, match=r"llm\.temperature"):
        overrides.llm = {"temperature": 9}
    assert overrides.llm is None


def test_model_validate_stays_pydantic_for_the_callers_that_convert_it() -> None:
    # The client, variants and widgets validate with model_validate and name the context in their own error.
    with pytest.raises(ValidationError):
        LLMSettings.model_validate({"temperature": 3})
