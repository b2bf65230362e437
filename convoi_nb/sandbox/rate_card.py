"""The sandbox rate card: USD per minute of call time. Sandbox figures, not Convoi's real prices.

cost per minute = platform + llm[model] + tts[voice] + stt[model] + knowledge_base × number of bases
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from ..models.catalog import KNOWN_LLM_MODELS, KNOWN_STT_MODELS, KNOWN_VOICES

PLATFORM_PER_MINUTE = 0.04
KNOWLEDGE_BASE_PER_MINUTE = 0.005

T = TypeVar("T")


def _priced(names: tuple[str, ...], prices: tuple[T, ...]) -> dict[str, T]:
    """The catalog's names with their prices, given in the catalog's order (the names live there only).

    A name added to the catalog without a price here, or the reverse, fails on import rather than pricing a model
    at another's rate.
    """
    return dict(zip(names, prices, strict=True))


# (USD per minute, response-latency factor that stretches the conversation), in KNOWN_LLM_MODELS' order
# (tests/sandbox/test_rate_card.py pins a price per name, so a reordered catalog cannot reprice silently)
LLM_MODELS = _priced(
    KNOWN_LLM_MODELS,
    ((0.006, 1.00), (0.008, 1.02), (0.040, 1.10), (0.050, 1.12), (0.010, 1.05), (0.045, 1.15), (0.002, 0.95)),
)
LLM_DEFAULT = (0.030, 1.08)  # a model the catalog does not list (sent with allow_extra=True)

TTS_VOICES = _priced(KNOWN_VOICES, (0.030, 0.030, 0.024, 0.015, 0.010))  # USD per minute, in the catalog's order
TTS_DEFAULT = 0.020

STT_MODELS = _priced(KNOWN_STT_MODELS, (0.0043, 0.0059, 0.0060))
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

    Examples:
        >>> from convoi_nb.sandbox import rate_for
        >>> rate_for({"llm": {"model": "gpt-4o"}})  # USD per minute, by part
        Rate(platform=0.04, llm=0.05, tts=0.02, stt=0.005, knowledge_base=0.0)
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
