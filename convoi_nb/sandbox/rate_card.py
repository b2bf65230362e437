"""The sandbox rate card: USD per minute of call time. Sandbox figures, not Convoi's real prices.

cost per minute = platform + llm[model] + tts[voice] + stt[model] + knowledge_base × number of bases
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PLATFORM_PER_MINUTE = 0.04
KNOWLEDGE_BASE_PER_MINUTE = 0.005

# model: (USD per minute, response-latency factor that stretches the conversation)
LLM_MODELS: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.006, 1.00),
    "gpt-4.1-mini": (0.008, 1.02),
    "gpt-4.1": (0.040, 1.10),
    "gpt-4o": (0.050, 1.12),
    "claude-3-5-haiku": (0.010, 1.05),
    "claude-3-5-sonnet": (0.045, 1.15),
    "llama-3.1-8b": (0.002, 0.95),
}
LLM_DEFAULT = (0.030, 1.08)

TTS_VOICES: dict[str, float] = {"rachel": 0.030, "adam": 0.030, "bella": 0.024, "alloy": 0.015, "aura-asteria": 0.010}
TTS_DEFAULT = 0.020

STT_MODELS: dict[str, float] = {"nova-2": 0.0043, "nova-3": 0.0059, "whisper-1": 0.0060}
STT_DEFAULT = 0.0050


@dataclass(frozen=True)
class Rate:
    """A call's price per minute, by part (USD).

    Attributes:
        platform: The platform's share.
        llm: The language model's.
        tts: The voice's.
        stt: The transcription's.
        knowledge_base: The knowledge bases'.
    """

    platform: float
    llm: float
    tts: float
    stt: float
    knowledge_base: float

    @property
    def per_minute(self) -> float:
        """The whole price per minute (USD)."""
        return self.platform + self.llm + self.tts + self.stt + self.knowledge_base


def rate_for(settings: Mapping[str, Any]) -> Rate:
    """The per-minute rate of a call with these effective settings (agent defaults + overrides).

    Args:
        settings: The call's effective settings.

    Returns:
        The rate, by part.
    """
    llm, _ = LLM_MODELS.get(str(settings.get("llm", {}).get("model")), LLM_DEFAULT)
    return Rate(
        platform=PLATFORM_PER_MINUTE,
        llm=llm,
        tts=TTS_VOICES.get(str(settings.get("tts", {}).get("voice_id")), TTS_DEFAULT),
        stt=STT_MODELS.get(str(settings.get("stt", {}).get("model")), STT_DEFAULT),
        knowledge_base=KNOWLEDGE_BASE_PER_MINUTE * len(settings.get("knowledge_base_ids") or ()),
    )


def latency_factor(model: Any) -> float:
    """How much a language model stretches a conversation (1.0 for the fastest).

    Args:
        model: The model's name.

    Returns:
        The factor.
    """
    return LLM_MODELS.get(str(model), LLM_DEFAULT)[1]
