"""llm/tts/stt settings and catalog names are checked, with the closest known one suggested (issue 25, item 1)."""

from __future__ import annotations

import pickle

import pydantic
import pytest

import convoi_nb
from convoi_nb.models import (
    KNOWN_LLM_MODELS,
    AgentOverrides,
    LLMSettings,
    ServedWebCallRequest,
    STTSettings,
    TTSSettings,
    WebCallRequest,
)
from convoi_nb.models.overrides import path_problem
from convoi_nb.models.suggestions import closest

AGENT = "agt_b88d642dd68747f28305c428b2091234"


@pytest.mark.parametrize(
    ("overrides", "loc", "message"),
    [
        (
            {"llm": {"modle": "gpt-4o"}},
            "agent_overrides.llm.modle",
            "unknown llm setting 'modle'; did you mean 'model'? (known: model, temperature, max_tokens, top_p; "
            "pass allow_extra=True to send it anyway)",
        ),
        (
            {"tts": {"sped": 1.2}},
            "agent_overrides.tts.sped",
            "unknown tts setting 'sped'; did you mean 'speed'? (known: voice_id, speed, stability; "
            "pass allow_extra=True to send it anyway)",
        ),
        (
            {"llm": {"model": "gpt4o"}},
            "agent_overrides.llm.model",
            f"'gpt4o' is not a known llm model; did you mean 'gpt-4o'? (known: {', '.join(KNOWN_LLM_MODELS)}; "
            "pass allow_extra=True to send it anyway)",
        ),
        ({"stt": {"langauge": "en"}}, "agent_overrides.stt.langauge", "did you mean 'language'?"),
        ({"tts": {"voice_id": "bela"}}, "agent_overrides.tts.voice_id", "'bela' is not a known tts voice; did you"),
        ({"stt": {"model": "Nova-3"}}, "agent_overrides.stt.model", "did you mean 'nova-3'?"),
    ],
)
def test_the_issues_examples_are_refused_with_the_full_path_and_a_suggestion(
    overrides: dict, loc: str, message: str
) -> None:
    with pytest.raises(convoi_nb.ValidationError) as info:
        convoi_nb.build_web_call(AGENT, agent_overrides=overrides)
    assert [(e.loc, e.type) for e in info.value.errors][0][0] == loc
    assert message in info.value.errors[0].msg
    assert "pydantic" not in str(info.value) and "errors.pydantic.dev" not in str(info.value)


def test_the_top_level_typo_gets_a_suggestion_too() -> None:
    with pytest.raises(
        convoi_nb.ValidationError, match=r"'frist_message' is not allowed; did you mean 'first_message'"
    ):
        AgentOverrides.from_dict({"frist_message": "Hi"})


def test_a_name_far_from_every_known_one_lists_them_without_a_guess() -> None:
    with pytest.raises(convoi_nb.ValidationError) as info:
        LLMSettings(model="mistral-large")
    assert "did you mean" not in str(info.value) and "known: gpt-4o-mini, gpt-4.1-mini" in str(info.value)


def test_every_unknown_setting_is_named_at_once_and_the_models_raise_ours() -> None:
    with pytest.raises(convoi_nb.ValidationError) as info:
        AgentOverrides(llm={"modle": "x", "tempreature": 0.3}, tts={"voice_id": "rachle"})
    assert [e.loc for e in info.value.errors] == ["llm.modle", "llm.tempreature", "tts.voice_id"]
    assert {e.type for e in info.value.errors} == {"unknown_setting", "not_in_catalog"}
    assert "did you mean 'temperature'" in str(info.value) and "did you mean 'rachel'" in str(info.value)
    for model in (LLMSettings, TTSSettings, STTSettings):
        with pytest.raises(convoi_nb.ValidationError, match="setting 'x'"):
            model(x=1)


def test_a_key_with_braces_is_quoted_not_read_as_a_placeholder() -> None:
    with pytest.raises(convoi_nb.ValidationError, match=r"unknown llm setting '\{model\}'"):
        LLMSettings(**{"{model}": 1})


def test_allow_extra_sends_provider_settings_and_names_as_given() -> None:
    body = {"llm": {"model": "gpt-5", "top_k": 40, "stop": ["User:"]}, "tts": {"voice_id": "my-clone", "style": 0.2}}
    assert AgentOverrides.from_dict(body, allow_extra=True).to_body() == body
    request = convoi_nb.build_web_call(AGENT, agent_overrides=body, allow_extra=True)
    assert request.to_body()["agent_overrides"] == body
    # Extras are still checked to be JSON, and the known fields keep their rules.
    with pytest.raises(convoi_nb.ValidationError, match=r"llm\.top_k: must be a JSON value"):
        AgentOverrides.from_dict({"llm": {"top_k": {1, 2}}}, allow_extra=True)
    with pytest.raises(convoi_nb.ValidationError, match=r"llm\.temperature: .*less than or equal to 2"):
        AgentOverrides.from_dict({"llm": {"temperature": 3, "top_k": 4}}, allow_extra=True)


def test_allow_extra_never_lets_an_unknown_top_level_key_through() -> None:
    with pytest.raises(convoi_nb.ValidationError, match="'sst' is not allowed; did you mean 'stt'"):
        AgentOverrides.from_dict({"sst": {"model": "nova-2"}}, allow_extra=True)


@pytest.mark.parametrize("flag", ["yes", 1, None])
def test_allow_extra_must_be_a_bool(flag: object) -> None:
    with pytest.raises(convoi_nb.ValidationError, match="allow_extra: must be True or False"):
        AgentOverrides.from_dict({}, allow_extra=flag)  # type: ignore[arg-type]  # the wrong type is the test


def test_an_instance_built_with_allow_extra_stays_lenient_and_equals_a_checked_one_without_extras() -> None:
    lenient = LLMSettings.model_validate({"model": "gpt-5", "top_k": 4}, context={"allow_extra": True})
    lenient.temperature = 0.2  # assignment validates again, as the instance was built
    assert lenient.model_dump(mode="json") == {"model": "gpt-5", "temperature": 0.2, "top_k": 4}
    assert pickle.loads(pickle.dumps(lenient)) == lenient
    plain = AgentOverrides.from_dict({"llm": {"model": "gpt-4o"}}, allow_extra=True)
    assert plain == AgentOverrides(llm={"model": "gpt-4o"})
    checked = LLMSettings(model="gpt-4o")
    with pytest.raises(convoi_nb.ValidationError, match="'gpt-5' is not a known llm model"):
        checked.model = "gpt-5"


def test_a_checked_overrides_object_is_sent_as_built() -> None:
    built = AgentOverrides.from_dict({"stt": {"model": "nova-4", "smart_format": True}}, allow_extra=True)
    request = convoi_nb.build_web_call(AGENT, agent_overrides=built)  # no allow_extra needed: already checked
    assert request.to_body()["agent_overrides"] == {"stt": {"model": "nova-4", "smart_format": True}}


def test_the_server_side_type_is_lenient_where_the_service_is_and_strict_elsewhere() -> None:
    served = pydantic.TypeAdapter(ServedWebCallRequest)
    body = {"type": "web", "agent_id": AGENT, "agent_overrides": {"llm": {"model": "gpt-5", "top_k": 4}}}
    assert isinstance(served.validate_python(body), WebCallRequest)
    with pytest.raises(pydantic.ValidationError) as info:
        served.validate_python({**body, "agent_overrides": {"voice": "x", "llm": {"temperature": 3}}})
    assert {tuple(e["loc"]) for e in info.value.errors()} == {
        ("agent_overrides", "voice"),
        ("agent_overrides", "llm", "temperature"),
    }
    with pytest.raises(convoi_nb.ValidationError):  # the client's own validation stays strict
        convoi_nb.build_web_call(AGENT, agent_overrides=body["agent_overrides"])


@pytest.mark.parametrize(
    ("path", "allow_extra", "problem"),
    [
        ("llm.model", False, None),
        ("knowledge_base_ids", False, None),
        ("llm", False, None),
        ("llm.modle", False, "unknown llm setting 'modle'; did you mean 'model'?"),
        ("llm.modle", True, None),
        ("tts.pronunciations.Convoi", True, None),
        ("lm.model", True, "unknown key 'lm' is not allowed; did you mean 'llm'?"),
        ("llm.model.name", True, "llm.model is a setting, not a section"),
        ("system_prompt.text", False, "system_prompt is a setting, not a section"),
    ],
)
def test_dotted_paths_name_known_settings(path: str, allow_extra: bool, problem: str | None) -> None:
    found = path_problem(path.split("."), allow_extra=allow_extra)
    assert found == problem if problem is None else problem in (found or "")


def test_closest_ignores_case_and_gives_up_on_strangers() -> None:
    assert closest("GPT-4O", KNOWN_LLM_MODELS) == "gpt-4o"
    assert closest("zzz", KNOWN_LLM_MODELS) is None
