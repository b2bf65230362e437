"""Error statuses map onto the documented exception tree."""

from __future__ import annotations

import pytest

from convoi_nb import errors
from convoi_nb.errors import status_error


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
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
    ],
)
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


def _examples() -> list[errors.ConvoiError]:
    """One instance of every error class, built the way the package builds it, with every attribute set."""
    field = errors.FieldError(loc="agent_overrides.llm.temperature", msg="must be <= 2", type="less_than_equal")
    status = {"status_code": 500, "code": "boom", "param": "agent_id", "request_id": "req_1", "body": {"a": 1}}
    built: list[errors.ConvoiError] = [
        errors.ConfigurationError("CONVOI_BASE_URL is missing"),
        errors.ValidationError("web call", [field]),
        errors.MixedCurrencyError("USD and EUR"),
        errors.ExperimentError("variant changed"),
        errors.DatasetError("manifest damaged"),
        errors.WaitTimeoutError("2 calls still running"),
        errors.SandboxError("did not start"),
        errors.APIError("wire"),
        errors.APIConnectionError("refused", method="POST", url="http://127.0.0.1:1/api"),
        errors.APITimeoutError("timed out", method="GET", url="http://127.0.0.1:1/api"),
        errors.APIStatusError("boom", **status),
        errors.InvalidRequestError("bad", errors=[field], **{**status, "status_code": 422}),
        errors.AuthenticationError("no key", **{**status, "status_code": 401}),
        errors.PermissionDeniedError("no", **{**status, "status_code": 403}),
        errors.NotFoundError("gone", **{**status, "status_code": 404}),
        errors.ConflictError("conflict", **{**status, "status_code": 409}),
        errors.IdempotencyConflictError("other body", **{**status, "status_code": 409}),
        errors.RateLimitError("slow down", retry_after=1.5, **{**status, "status_code": 429}),
        errors.ServerError("boom", **{**status, "status_code": 503}),
    ]
    return built


def test_every_error_class_has_an_example() -> None:
    classes = {getattr(errors, n) for n in errors.__all__ if isinstance(getattr(errors, n), type)}
    assert classes == {type(e) for e in _examples()} | {errors.ConvoiError}


@pytest.mark.parametrize("error", _examples(), ids=lambda e: type(e).__name__)
def test_every_error_pickles_to_an_equal_error(error: errors.ConvoiError) -> None:
    import pickle

    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert copy.args == error.args and str(copy) == str(error)
    assert vars(copy) == vars(error)
