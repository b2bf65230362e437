"""The Convoi contract as pydantic models, shared by the client and the embedded sandbox.

This package imports pydantic only: never httpx, the client, the sandbox or widgets.
"""

from ._base import UTCDateTime
from .agents import Agent
from .calls import KNOWN_STATUSES, TERMINAL_STATUSES, Call, Cost, LiveKitConnection, RequestInfo, mask_token
from .catalog import KNOWN_LANGUAGES, KNOWN_LLM_MODELS, KNOWN_STT_MODELS, KNOWN_VOICES
from .error_body import ErrorBody, ErrorDetail
from .field_error import FieldError
from .lists import ListPage
from .metadata import Metadata, MetadataValue
from .overrides import KNOWLEDGE_BASE_ID_PATTERN, AgentOverrides, LLMSettings, STTSettings, TTSSettings
from .requests import AGENT_ID_PATTERN, ListCallsParams, ServedWebCallRequest, WebCallRequest
from .settings import LENIENT_CONTEXT
from .validation import dotted_path, field_errors, summarize

__all__ = [
    "AGENT_ID_PATTERN",
    "KNOWLEDGE_BASE_ID_PATTERN",
    "KNOWN_LANGUAGES",
    "KNOWN_LLM_MODELS",
    "KNOWN_STATUSES",
    "KNOWN_STT_MODELS",
    "KNOWN_VOICES",
    "LENIENT_CONTEXT",
    "TERMINAL_STATUSES",
    "Agent",
    "AgentOverrides",
    "Call",
    "Cost",
    "ErrorBody",
    "ErrorDetail",
    "FieldError",
    "LLMSettings",
    "ListCallsParams",
    "ListPage",
    "LiveKitConnection",
    "Metadata",
    "MetadataValue",
    "RequestInfo",
    "STTSettings",
    "ServedWebCallRequest",
    "TTSSettings",
    "UTCDateTime",
    "WebCallRequest",
    "dotted_path",
    "field_errors",
    "mask_token",
    "summarize",
]
