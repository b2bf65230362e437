"""`agent_overrides`: per-call changes to an agent's first message, prompt and LLM/TTS/STT settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar

import pydantic
from pydantic import Field, StringConstraints
from typing_extensions import Self

from ._base import RequestModel
from .catalog import KNOWN_LLM_MODELS, KNOWN_STT_MODELS, KNOWN_VOICES
from .exceptions import ValidationError
from .settings import SettingsModel, extra_context, unknown_setting_message
from .suggestions import unknown_key_message

KNOWLEDGE_BASE_ID_PATTERN = r"^kb_[0-9a-f]{32}$"

KnowledgeBaseId = Annotated[str, StringConstraints(pattern=KNOWLEDGE_BASE_ID_PATTERN)]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]


class LLMSettings(SettingsModel):
    """Language-model settings. These are the fields convoi_nb knows and checks.

    `model` and `temperature` are the API page's; `max_tokens` and `top_p` are the common provider settings a
    caller expects. `model` must be in `KNOWN_LLM_MODELS`. Any other key, or another model name, is refused with
    the closest known one suggested, unless built with `allow_extra=True` (the provider may take more).

    Attributes:
        model: The model's name, e.g. `gpt-4o-mini`.
        temperature: Sampling temperature, 0 to 2.
        max_tokens: The most tokens one reply may have (at least 1).
        top_p: Nucleus-sampling probability mass, 0 to 1.

    Examples:
        >>> from convoi_nb import LLMSettings
        >>> LLMSettings(model="gpt-4o", temperature=0.3)
        LLMSettings(model='gpt-4o', temperature=0.3, max_tokens=None, top_p=None)
        >>> LLMSettings(model="gpt-4")
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ValidationError: invalid LLMSettings: model: 'gpt-4' is not a known llm model; did you
        mean 'gpt-4o'? ...
    """

    section: ClassVar[str] = "llm"
    catalog: ClassVar[Mapping[str, tuple[str, tuple[str, ...]]]] = {"model": ("llm model", KNOWN_LLM_MODELS)}

    model: NonEmptyStr | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1)
    top_p: float | None = Field(default=None, ge=0, le=1)


class TTSSettings(SettingsModel):
    """Text-to-speech settings. These are the fields convoi_nb knows and checks.

    `voice_id` and `speed` are the API page's; `stability` (how steady the voice's delivery is, as ElevenLabs-
    style providers take it) is the common addition. `voice_id` must be in `KNOWN_VOICES`. Any other key, or another
    voice, is refused with the closest known one suggested, unless built with `allow_extra=True`.

    Attributes:
        voice_id: The voice, e.g. `rachel`.
        speed: Speaking rate, above 0 (1.0 is normal).
        stability: 0 (most expressive) to 1 (most steady).

    Examples:
        >>> from convoi_nb import TTSSettings
        >>> TTSSettings(voice_id="rachel", speed=1.1)
        TTSSettings(voice_id='rachel', speed=1.1, stability=None)
        >>> TTSSettings(speed=0)
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ValidationError: invalid TTSSettings: speed: ...
    """

    section: ClassVar[str] = "tts"
    catalog: ClassVar[Mapping[str, tuple[str, tuple[str, ...]]]] = {"voice_id": ("tts voice", KNOWN_VOICES)}

    voice_id: NonEmptyStr | None = None
    speed: float | None = Field(default=None, gt=0)
    stability: float | None = Field(default=None, ge=0, le=1)


class STTSettings(SettingsModel):
    """Speech-to-text settings. These are the fields convoi_nb knows and checks (the API page's two).

    `model` must be in `KNOWN_STT_MODELS`; `language` is any non-empty code (`KNOWN_LANGUAGES` are suggestions
    only). Any other key, or another model, is refused with the closest known one suggested, unless built with
    `allow_extra=True`.

    Attributes:
        language: The caller's language, e.g. `en` or `en-US`.
        model: The transcription model, e.g. `nova-2`.

    Examples:
        >>> from convoi_nb import STTSettings
        >>> STTSettings(language="de", model="nova-3")
        STTSettings(language='de', model='nova-3')
    """

    section: ClassVar[str] = "stt"
    catalog: ClassVar[Mapping[str, tuple[str, tuple[str, ...]]]] = {"model": ("stt model", KNOWN_STT_MODELS)}

    language: NonEmptyStr | None = None
    model: NonEmptyStr | None = None


SECTIONS: Mapping[str, type[SettingsModel]] = {"llm": LLMSettings, "tts": TTSSettings, "stt": STTSettings}
"""The settings sections of `agent_overrides`, by name."""


class AgentOverrides(RequestModel):
    """Exactly the six documented override keys; anything else is rejected by name.

    `AgentOverrides(...)` checks the llm/tts/stt settings against what convoi_nb knows (see `LLMSettings`);
    `AgentOverrides.from_dict(data, allow_extra=True)` sends other provider settings and names as given.

    Examples:
        >>> from convoi_nb import AgentOverrides, LLMSettings, TTSSettings
        >>> overrides = AgentOverrides(
        ...     first_message="Hi, this is a test call.",
        ...     llm=LLMSettings(model="gpt-4o", temperature=0.3),
        ...     tts=TTSSettings(speed=1.1),
        ... )
        >>> overrides.to_body()
        {'first_message': 'Hi, this is a test call.', 'llm': {'model': 'gpt-4o', 'temperature': 0.3},
         'tts': {'speed': 1.1}}
        >>> AgentOverrides(greeting="Hi")
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ValidationError: invalid AgentOverrides: greeting: unknown key 'greeting' ...
    """

    first_message: str | None = None
    system_prompt: str | None = None
    llm: LLMSettings | None = None
    tts: TTSSettings | None = None
    stt: STTSettings | None = None
    knowledge_base_ids: list[KnowledgeBaseId] | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, allow_extra: bool = False, what: str = "agent_overrides") -> Self:
        """Validate the JSON-shaped overrides, raising the package's `ValidationError`.

        Args:
            data: The overrides, as the API documents them.
            allow_extra: Also accept llm/tts/stt settings convoi_nb does not know and names outside its catalog,
                sent as given (some providers take more than convoi_nb checks).
            what: What the error message says was being validated.

        Returns:
            The validated overrides.

        Raises:
            ValidationError: Naming each bad field, its rule and, for a typo, the closest known name; also for an
                `allow_extra` that is not a bool.

        Examples:
            >>> from convoi_nb import AgentOverrides
            >>> AgentOverrides.from_dict({"llm": {"temperature": 0.3}}).llm
            LLMSettings(model=None, temperature=0.3, max_tokens=None, top_p=None)
            >>> AgentOverrides.from_dict({"llm": {"modle": "gpt-4o"}})
            Traceback (most recent call last):
            ...
            convoi_nb.errors.ValidationError: invalid agent_overrides: llm.modle: unknown llm setting 'modle'; did
            you mean 'model'? ...
            >>> AgentOverrides.from_dict({"llm": {"model": "my-model", "seed": 7}}, allow_extra=True).to_body()
            {'llm': {'model': 'my-model', 'seed': 7}}
        """
        context = extra_context(allow_extra, what)
        try:
            return cls.model_validate(dict(data), context=context)
        except pydantic.ValidationError as exc:
            raise ValidationError.from_pydantic(what, exc, cls) from None

    def to_body(self) -> dict[str, Any]:
        """The JSON object sent as `agent_overrides`.

        Returns:
            Only what was set: unset fields are left out, never sent as null.

        Examples:
            >>> from convoi_nb import AgentOverrides
            >>> AgentOverrides.from_dict({"tts": {"voice_id": "adam"}, "stt": {"language": "de"}}).to_body()
            {'tts': {'voice_id': 'adam'}, 'stt': {'language': 'de'}}
        """
        return self.model_dump(mode="json")


def path_problem(parts: list[str], *, allow_extra: bool = False) -> str | None:
    """Why a dotted path does not name a setting of `agent_overrides` (`["llm", "model"]` does).

    Args:
        parts: The path, split at its dots.
        allow_extra: Accept llm/tts/stt settings convoi_nb does not know (and paths inside them).

    Returns:
        The problem, with the closest known key suggested, or None for a path to a setting.
    """
    top, rest = parts[0], parts[1:]
    fields = list(AgentOverrides.model_fields)
    if top not in fields:
        return unknown_key_message(top, fields)
    section = SECTIONS.get(top)
    if not rest:
        return None
    if section is None:
        return f"{top} is a setting, not a section: it has no {rest[0]!r}"
    known = list(section.model_fields)
    if rest[0] in known:
        return f"{top}.{rest[0]} is a setting, not a section: it has no {rest[1]!r}" if len(rest) > 1 else None
    return None if allow_extra else unknown_setting_message(top, rest[0], known)
