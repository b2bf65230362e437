"""Every exception convoi_nb raises. Catch `ConvoiError` for all of them.

```
ConvoiError
├── ConfigurationError            missing or contradictory settings (ValueError)
├── ValidationError               bad input, caught before anything is sent (ValueError)
├── ExperimentError               an experiment cannot run as defined (convoi_nb.experiments)
├── MixedCurrencyError            amounts in two currencies were to be added (ValueError)
├── DatasetError                  an export folder cannot be written or read as asked (convoi_nb.review)
├── WaitTimeoutError              calls did not reach the awaited status in time (TimeoutError)
├── SandboxError                  the embedded sandbox could not start or serve (RuntimeError)
└── APIError
    ├── APIConnectionError        the request never got an HTTP answer
    │   └── APITimeoutError
    └── APIStatusError            an HTTP error answer: status_code, message, code, param, request_id
        ├── InvalidRequestError   400, 413, 415, 422 (carries the field errors)
        ├── AuthenticationError   401
        ├── PermissionDeniedError 403
        ├── NotFoundError         404
        ├── ConflictError         409
        │   └── IdempotencyConflictError   same Idempotency-Key, different body
        ├── RateLimitError        429 (retry_after)
        └── ServerError           5xx
```

Every error pickles and unpickles to an error of the same class with the same message and attributes, so one
raised in a worker process (multiprocessing, joblib, Spark) reaches the parent intact.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .models import FieldError, field_errors, summarize
from .models.wire import IDEMPOTENCY_CONFLICT

if TYPE_CHECKING:
    import pydantic

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "ConfigurationError",
    "ConflictError",
    "ConvoiError",
    "DatasetError",
    "ExperimentError",
    "IdempotencyConflictError",
    "InvalidRequestError",
    "MixedCurrencyError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ServerError",
    "SandboxError",
    "ValidationError",
    "WaitTimeoutError",
    "status_error",
]


def _rebuild(cls: type[ConvoiError], args: tuple[Any, ...], state: dict[str, Any]) -> ConvoiError:
    """Recreate a pickled error without calling its `__init__` (whose parameters differ from `args`)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class ConvoiError(Exception):
    """Base of every convoi_nb exception."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's default pickling calls cls(*self.args), which fails for the keyword-only constructors below.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ConfigurationError(ConvoiError, ValueError):
    """A setting is missing or contradictory (for example an API key without a base URL)."""


class ValidationError(ConvoiError, ValueError):
    """Input rejected on the client before any request was sent. `errors` names each field and rule."""

    def __init__(self, what: str, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__(f"invalid {what}: {summarize(self.errors)}")

    @classmethod
    def from_pydantic(cls, what: str, exc: pydantic.ValidationError, model: Any = None) -> ValidationError:
        """The one way a pydantic error becomes ours: each field by its dotted path, with the rule it broke."""
        return cls(what, field_errors(exc.errors(), model))

    @classmethod
    def of_field(cls, what: str, loc: str, msg: str) -> ValidationError:
        return cls(what, [FieldError(loc=loc, msg=msg, type="value_error")])


class MixedCurrencyError(ConvoiError, ValueError):
    """Amounts in different currencies cannot be added; total each currency on its own."""


class ExperimentError(ConvoiError):
    """The experiment cannot run as defined (a variant changed under an old name, a store from another server…)."""


class DatasetError(ConvoiError):
    """A call dataset (`client.export_calls`, `convoi_nb.review`) cannot be used as asked: the path is a file,
    the folder holds something else or another server's or account's export, the manifest is damaged.
    """


class WaitTimeoutError(ConvoiError, TimeoutError):
    """Calls did not reach the awaited status within the time allowed; also a built-in `TimeoutError`."""


class SandboxError(ConvoiError, RuntimeError):
    """The embedded sandbox could not start or is not running; also a built-in `RuntimeError`."""


class APIError(ConvoiError):
    """Anything that went wrong on the wire or on the server."""


class APIConnectionError(APIError):
    """The request got no HTTP answer (refused, reset, dropped mid-response)."""

    def __init__(self, message: str = "connection error", *, method: str = "", url: str = "") -> None:
        self.method, self.url = method, url
        super().__init__(f"{message} ({method} {url})" if method else message)


class APITimeoutError(APIConnectionError, TimeoutError):
    """An attempt took longer than the client's `timeout` (its whole time, not one socket read); also a
    built-in `TimeoutError`.
    """


class APIStatusError(APIError):
    """The server answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str = "",
        param: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        self.status_code = status_code
        self.message = message
        self.code = code
        self.param = param
        self.request_id = request_id
        self.body = body
        rid = f", request_id={request_id}" if request_id else ""
        super().__init__(f"HTTP {status_code} {code or 'error'}: {message}{rid}")


class InvalidRequestError(APIStatusError):
    """400/413/415/422: the server rejected the request; `errors` lists the fields."""

    def __init__(self, message: str, *, errors: Sequence[FieldError] = (), **kwargs: Any) -> None:
        self.errors = list(errors)
        super().__init__(message, **kwargs)


class AuthenticationError(APIStatusError):
    """401: missing or wrong API key."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not do this."""


class NotFoundError(APIStatusError):
    """404: no such object on this account."""


class ConflictError(APIStatusError):
    """409: the request conflicts with the server's state."""


class IdempotencyConflictError(ConflictError):
    """409: this Idempotency-Key was used before with a different request body."""


class RateLimitError(APIStatusError):
    """429: too many requests; `retry_after` is the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(APIStatusError):
    """5xx: the server failed. Creates are retried safely with the same Idempotency-Key."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: InvalidRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: InvalidRequestError,
    415: InvalidRequestError,
    422: InvalidRequestError,
    429: RateLimitError,
}


def status_error(status_code: int, code: str) -> type[APIStatusError]:
    """The exception class for an error status and error code."""
    if status_code == 409 and code == IDEMPOTENCY_CONFLICT:
        return IdempotencyConflictError
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, APIStatusError)
