"""The names convoi_nb knows: LLM models, TTS voices, STT models (checked), and languages (suggested only).

One list each, read by the request models (a name outside it is refused unless the caller passes
`allow_extra=True`: the real service may know models this catalog does not), by the widgets (offered as choices)
and by the sandbox's rate card, which prices these names in this order: add a name at the end, with its price there.
Languages are only suggested: BCP 47 has far more codes than a list could hold, so `stt.language` is not checked.
"""

from __future__ import annotations

KNOWN_LLM_MODELS = (
    "gpt-4o-mini",
    "gpt-4.1-mini",
    "gpt-4.1",
    "gpt-4o",
    "claude-3-5-haiku",
    "claude-3-5-sonnet",
    "llama-3.1-8b",
)
"""The LLM models the service is known to accept (`llm.model`); others need `allow_extra=True`."""
KNOWN_VOICES = ("rachel", "adam", "bella", "alloy", "aura-asteria")
"""The TTS voices the service is known to accept (`tts.voice`)."""
KNOWN_STT_MODELS = ("nova-2", "nova-3", "whisper-1")
"""The STT models the service is known to accept (`stt.model`)."""
KNOWN_LANGUAGES = ("en", "en-US", "en-GB", "de", "fr", "es", "it", "nl", "pt", "ja")
"""The STT languages the service is known to accept (`stt.language`)."""
