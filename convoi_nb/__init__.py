"""convoi_nb: a notebook-first toolkit for Convoi's voice-agent API."""

from . import _display, money, review  # noqa: F401  (_display gives Call its card; review adds export_calls)
from ._base_client import build_web_call
from ._client import AsyncConvoiClient, ConvoiClient
from ._connect import aconnect, connect
from ._retry import RetryPolicy
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    ConvoiError,
    DatasetError,
    ExperimentError,
    IdempotencyConflictError,
    InvalidRequestError,
    MixedCurrencyError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    SandboxError,
    ServerError,
    ValidationError,
    WaitTimeoutError,
)
from .frames import calls_to_frame
from .models import (
    Agent,
    AgentOverrides,
    Call,
    Cost,
    LiveKitConnection,
    LLMSettings,
    STTSettings,
    TTSSettings,
    WebCallRequest,
)

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "Agent",
    "AgentOverrides",
    "AsyncConvoiClient",
    "AuthenticationError",
    "Call",
    "ConfigurationError",
    "ConflictError",
    "ConvoiClient",
    "ConvoiError",
    "Cost",
    "DatasetError",
    "ExperimentError",
    "IdempotencyConflictError",
    "InvalidRequestError",
    "LLMSettings",
    "LiveKitConnection",
    "MixedCurrencyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "RetryPolicy",
    "STTSettings",
    "SandboxError",
    "ServerError",
    "TTSSettings",
    "ValidationError",
    "WaitTimeoutError",
    "WebCallRequest",
    "__version__",
    "aconnect",
    "build_web_call",
    "calls_to_frame",
    "connect",
]
