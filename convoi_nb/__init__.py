"""convoi_nb: a notebook-first toolkit for Convoi's voice-agent API.

`import convoi_nb` loads the client, the models and the errors only. pandas code (`calls_to_frame`) and the
subpackages (`review`, `experiments`, `widgets`, `sessions`) load on first use, so a script that only makes
calls never pays for DuckDB, pyarrow, matplotlib, scipy or statsmodels.
"""

import importlib
from typing import TYPE_CHECKING, Any

from . import money  # noqa: F401  (convoi_nb.money.total() without a further import; it is light)
from ._base_client import build_web_call
from ._client import AsyncConvoiClient, ConvoiClient
from ._connect import aconnect, connect
from ._display import register_call_card
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

register_call_card()  # a Call on a cell's last line shows its card in Jupyter

if TYPE_CHECKING:
    from . import experiments, review, sessions, widgets  # noqa: F401  (loaded by __getattr__ below)
    from .frames import calls_to_frame

_LAZY_SUBMODULES = frozenset({"experiments", "frames", "review", "sessions", "widgets"})
_LAZY_NAMES = {"calls_to_frame": "frames"}


def __getattr__(name: str) -> Any:
    """Load a subpackage, or a name that lives in one, on first access (PEP 562).

    Args:
        name: the attribute asked for.

    Returns:
        The submodule or the name.

    Raises:
        AttributeError: no such attribute.
    """
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _LAZY_NAMES:
        value = getattr(importlib.import_module(f".{_LAZY_NAMES[name]}", __name__), name)
        globals()[name] = value  # once loaded, an ordinary attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY_SUBMODULES, *_LAZY_NAMES})
