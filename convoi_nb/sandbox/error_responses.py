"""Sandbox error responses: one body shape for every failure, always with the request id."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.responses import JSONResponse

from ..models import ErrorBody, ErrorDetail, FieldError

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    409: "idempotency_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
}


class HTTPProblem(Exception):
    """An API error the sandbox answers with: raised inside the app, turned into the documented error body.

    Args:
        status: The HTTP status.
        code: The error's code.
        message: What went wrong, for the caller.
        param: The request field or header at fault, if one is.
        errors: Each field's error, for a validation failure.
        headers: Extra response headers (such as Retry-After).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.param = status, code, message, param
        self.errors = list(errors or ())
        self.headers = headers or {}


def error_response(exc: HTTPProblem, request_id: str) -> JSONResponse:
    """The response for an API error: every documented key, always.

    Args:
        exc: The error.
        request_id: The request's id.

    Returns:
        The JSON error response.
    """
    body = ErrorBody(
        error=ErrorDetail(
            type=_TYPES.get(exc.status, "api_error"),
            code=exc.code,
            message=exc.message,
            param=exc.param,
            request_id=request_id,
            errors=exc.errors,
        )
    )
    # Every documented key, always: `param` is null and `errors` empty where they do not apply.
    return JSONResponse(body.model_dump(mode="json"), status_code=exc.status, headers=exc.headers)
