"""Error statuses map onto the documented exception tree."""

from __future__ import annotations

import pytest

from convoi_nb import errors
from convoi_nb.errors import status_error


@pytest.mark.parametrize(("status", "code", "kind"), [
    (400, "invalid_json", errors.InvalidRequestError),
    (401, "invalid_api_key", errors.AuthenticationError),
    (403, "forbidden", errors.PermissionDeniedError),
    (404, "call_not_found", errors.NotFoundError),
    (409, "idempotency_conflict", errors.IdempotencyConflictError),
    (409, "idempotency_key_in_use", errors.ConflictError),
    (413, "body_too_large", errors.InvalidRequestError),
    (415, "unsupported_media_type", errors.InvalidRequestError),
    (422, "invalid_request", errors.InvalidRequestError),
    (429, "rate_limited", errors.RateLimitError),
    (500, "", errors.ServerError),
    (503, "injected_fault", errors.ServerError),
    (418, "teapot", errors.APIStatusError),
])
def test_status_maps_to_class(status: int, code: str, kind: type) -> None:
    assert status_error(status, code) is kind


def test_tree_shape() -> None:
    assert issubclass(errors.APITimeoutError, errors.APIConnectionError)
    assert issubclass(errors.IdempotencyConflictError, errors.ConflictError)
    assert issubclass(errors.ValidationError, ValueError) and issubclass(errors.ValidationError, errors.ConvoiError)
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, errors.ConvoiError)
            assert name in errors.__doc__  # the docstring draws the whole tree


def test_status_error_message_carries_everything() -> None:
    exc = errors.RateLimitError("slow down", status_code=429, code="rate_limited", request_id="req_1", retry_after=2)
    assert str(exc) == "HTTP 429 rate_limited: slow down, request_id=req_1"
    assert exc.retry_after == 2 and exc.message == "slow down"
