"""Known values offered as suggestions (the API accepts others): LLM models, TTS voices, STT models, languages."""

KNOWN_LLM_MODELS = (
    "gpt-4o-mini",
    "gpt-4.1-mini",
    "gpt-4.1",
    "gpt-4o",
    "claude-3-5-haiku",
    "claude-3-5-sonnet",
    "llama-3.1-8b",
)
KNOWN_VOICES = ("rachel", "adam", "bella", "alloy", "aura-asteria")
KNOWN_STT_MODELS = ("nova-2", "nova-3", "whisper-1")
KNOWN_LANGUAGES = ("en", "en-US", "en-GB", "de", "fr", "es", "it", "nl", "pt", "ja")
