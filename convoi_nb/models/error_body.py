"""The one error body shape: `{"error": {"type", "code", "message", "param", "request_id", "errors"}}`."""

from __future__ import annotations

from ._base import ResponseModel
from .field_error import FieldError


class ErrorDetail(ResponseModel):
    """What went wrong: the error's type and code, a message, the parameter and request id, the field errors."""

    type: str
    code: str
    message: str
    param: str | None = None
    request_id: str | None = None
    errors: list[FieldError] | None = None


class ErrorBody(ResponseModel):
    """Every error answer of the API: `{"error": {...}}`."""

    error: ErrorDetail
