"""`agent_overrides`: per-call changes to an agent's first message, prompt and LLM/TTS/STT settings."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from ._base import RequestModel, SettingsModel

KNOWLEDGE_BASE_ID_PATTERN = r"^kb_[0-9a-f]{32}$"

KnowledgeBaseId = Annotated[str, StringConstraints(pattern=KNOWLEDGE_BASE_ID_PATTERN)]
NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]


class LLMSettings(SettingsModel):
    """Language-model settings; any further provider setting is passed through."""

    model: NonEmptyStr | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)


class TTSSettings(SettingsModel):
    """Text-to-speech settings; any further provider setting is passed through."""

    voice_id: NonEmptyStr | None = None
    speed: float | None = Field(default=None, gt=0)


class STTSettings(SettingsModel):
    """Speech-to-text settings; any further provider setting is passed through."""

    language: NonEmptyStr | None = None
    model: NonEmptyStr | None = None


class AgentOverrides(RequestModel):
    """Exactly the six documented override keys; anything else is rejected by name."""

    first_message: str | None = None
    system_prompt: str | None = None
    llm: LLMSettings | None = None
    tts: TTSSettings | None = None
    stt: STTSettings | None = None
    knowledge_base_ids: list[KnowledgeBaseId] | None = None

    def to_body(self) -> dict[str, Any]:
        """The JSON object sent as `agent_overrides`.

        Returns:
            Only what was set: unset fields are left out, never sent as null.
        """
        return self.model_dump(mode="json")
