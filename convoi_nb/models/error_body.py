"""The one error body shape: `{"error": {"type", "code", "message", "param", "request_id", "errors"}}`."""

from __future__ import annotations

from ._base import ResponseModel


class FieldError(ResponseModel):
    """One rejected field: `loc` is a dotted path such as `agent_overrides.llm.temperature`."""

    loc: str
    msg: str
    type: str = "invalid"


class ErrorDetail(ResponseModel):
    type: str
    code: str
    message: str
    param: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ErrorBody(ResponseModel):
    error: ErrorDetail
