"""OverridesForm: only what is set is sent, errors sit next to their field, values round-trip."""

from __future__ import annotations

import json
from html import unescape

import pytest

from convoi_nb.models import AgentOverrides
from convoi_nb.widgets import OverridesForm

from .conftest import Opened

AGENT_DEFAULTS = {
    "first_message": "Hello!",
    "llm": {"model": "gpt-4o-mini", "temperature": 0.7},
    "tts": {"voice_id": "rachel", "speed": 1.0},
    "stt": {"language": "en", "model": "nova-2"},
}
KB = "kb_" + "c" * 32


def test_empty_form_sends_nothing_and_shows_agent_defaults(opened: Opened) -> None:
    form = opened.widget(OverridesForm, AGENT_DEFAULTS)
    assert form.value.to_body() == {} and form.valid
    assert form.rows["llm.model"].control.placeholder == "agent default: gpt-4o-mini"
    assert form.rows["first_message"].control.placeholder == "agent default: Hello!"
    assert "0.7" in form.rows["llm.temperature"].default_label.value
    assert form.rows["llm.temperature"].slider.disabled  # not sent until ticked
    assert "inherits" in form.preview.value


def test_each_input_lands_at_its_path(opened: Opened) -> None:
    form = opened.widget(OverridesForm, AGENT_DEFAULTS)
    form.rows["first_message"].control.value = "Hi there"
    form.rows["system_prompt"].control.value = "Be brief."
    form.rows["llm.model"].control.value = "gpt-4o"
    form.rows["llm.temperature"].enabled.value = True
    form.rows["llm.temperature"].slider.value = 1.25
    form.rows["llm.extra"].control.value = '{"top_p": 0.9}'
    form.rows["tts.voice_id"].control.value = "alloy"
    form.rows["tts.speed"].set(1.1)
    form.rows["stt.language"].control.value = "de"
    form.rows["stt.model"].control.value = "nova-3"
    form.rows["stt.extra"].control.value = '{"punctuate": true}'
    form.rows["knowledge_base_ids"].control.value = [KB]
    assert not form.valid and "unknown stt setting 'punctuate'" in form.errors["stt.extra"]
    form.allow_extra_box.value = True  # a provider setting convoi_nb does not check: sent once allowed
    expected = {
        "first_message": "Hi there",
        "system_prompt": "Be brief.",
        "llm": {"top_p": 0.9, "model": "gpt-4o", "temperature": 1.25},
        "tts": {"voice_id": "alloy", "speed": 1.1},
        "stt": {"punctuate": True, "language": "de", "model": "nova-3"},
        "knowledge_base_ids": [KB],
    }
    assert form.value.to_body() == expected and form.valid
    assert json.loads(form.preview.value.split(">", 1)[1].rsplit("<", 1)[0].replace("&quot;", '"')) == expected


def test_reset_one_field_and_all_fields(opened: Opened) -> None:
    form = opened.widget(
        OverridesForm,
        AGENT_DEFAULTS,
        value=AgentOverrides(llm={"model": "gpt-4o", "temperature": 0.2}, first_message="x"),
    )
    form.rows["llm.temperature"].reset_button.click()
    assert form.value.to_body() == {"first_message": "x", "llm": {"model": "gpt-4o"}}
    form.reset_all.click()
    assert form.value.to_body() == {}


@pytest.mark.parametrize(
    ("row", "entry", "message"),
    [
        ("knowledge_base_ids", ["kb_short"], "does not match"),
        ("llm.extra", "{not json", "not valid JSON"),
        ("tts.extra", "[1, 2]", "must be a JSON object"),
        ("llm.extra", '{"temperature": 5}', "less than or equal to 2"),
    ],
)
def test_invalid_input_is_shown_next_to_its_field(row: str, entry: object, message: str, opened: Opened) -> None:
    form = opened.widget(OverridesForm, AGENT_DEFAULTS)
    form.rows["llm.model"].control.value = "gpt-4o"
    before = form.value
    form.rows[row].control.value = entry
    assert not form.valid and message in form.rows[row].error.value
    assert message in form.errors[row]
    assert form.value == before  # the last valid value is kept, nothing half-valid is exposed
    assert "fix the fields" in form.preview.value
    form.rows[row].reset_button.click()
    assert form.valid and form.rows[row].error.value == ""


def test_setting_value_fills_the_form_round_trip(opened: Opened) -> None:
    overrides = AgentOverrides(
        first_message="Hey",
        llm={"model": "claude-3-5-haiku", "temperature": 0.4, "top_p": 0.8},
        tts={"speed": 1.3, "stability": 0.2},
        stt={"language": "fr"},
        knowledge_base_ids=[KB],
    )
    form = opened.widget(OverridesForm, AGENT_DEFAULTS)
    form.value = overrides
    assert form.rows["llm.model"].control.value == "claude-3-5-haiku"
    assert form.rows["llm.temperature"].enabled.value and form.rows["llm.temperature"].slider.value == 0.4
    assert json.loads(form.rows["llm.extra"].control.value) == {"top_p": 0.8}
    assert json.loads(form.rows["tts.extra"].control.value) == {"stability": 0.2}
    rebuilt = opened.widget(OverridesForm, AGENT_DEFAULTS)
    rebuilt.value = form.value
    assert rebuilt.value.to_body() == overrides.to_body()
    assert form.value.model_dump() == overrides.model_dump()


def test_a_typo_in_a_name_or_setting_is_shown_with_the_closest_known_one(opened: Opened) -> None:
    form = opened.widget(OverridesForm, AGENT_DEFAULTS)
    assert "gpt-4o" in form.rows["llm.model"].control.options  # the catalog is offered as choices
    form.rows["llm.model"].control.value = "gpt4o"
    assert not form.valid
    assert "'gpt4o' is not a known llm model; did you mean 'gpt-4o'?" in unescape(form.rows["llm.model"].error.value)
    form.rows["llm.model"].control.value = "gpt-4o"
    form.rows["tts.extra"].control.value = '{"sped": 1.2}'
    assert "sped" in form.errors["tts.extra"] and "did you mean 'speed'?" in form.errors["tts.extra"]
    assert form.value.to_body() == {"llm": {"model": "gpt-4o"}}  # the last valid value: nothing half-valid


def test_allow_extra_sends_what_convoi_nb_does_not_know(opened: Opened) -> None:
    form = opened.widget(OverridesForm, AGENT_DEFAULTS, allow_extra=True)
    assert form.allow_extra_box.value
    form.rows["llm.model"].control.value = "gpt-5"
    form.rows["llm.extra"].control.value = '{"top_k": 40}'
    assert form.valid and form.value.to_body() == {"llm": {"top_k": 40, "model": "gpt-5"}}
    form.allow_extra = False
    assert not form.valid and set(form.errors) == {"llm.model", "llm.extra"}
