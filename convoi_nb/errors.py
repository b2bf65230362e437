"""Every exception convoi_nb raises. Catch `ConvoiError` for all of them.

The tree, with the built-in exception each one also is in parentheses (so an `except ValueError` or
`except TimeoutError` written before keeps working):

```
ConvoiError
├── ConfigurationError (ValueError)          a setting is missing, malformed or contradictory
├── ValidationError (ValueError)             an argument or request field refused before anything is sent
├── ExperimentError (ValueError)             an experiment cannot run as defined
├── MixedCurrencyError (ValueError)          amounts in two currencies were to be added
├── DatasetError                             an export folder cannot be written or read as asked
├── WaitTimeoutError (TimeoutError)          calls did not reach the awaited status in time
├── SandboxError (RuntimeError)              the embedded sandbox could not start or is not running
└── APIError                                 something went wrong on the wire or on the server
    ├── APIConnectionError                   the request got no HTTP answer
    │   └── APITimeoutError (TimeoutError)   an attempt outlasted the client's timeout
    └── APIStatusError                       an HTTP error answer: status_code, message, code, param, request_id
        ├── InvalidRequestError              400, 413, 415, 422 (errors lists the fields)
        ├── AuthenticationError              401
        ├── PermissionDeniedError            403
        ├── NotFoundError                    404
        ├── ConflictError                    409
        │   └── IdempotencyConflictError     409: the same Idempotency-Key with a different body
        ├── RateLimitError                   429 (retry_after)
        └── ServerError                      5xx
```

Every error pickles and unpickles to an error of the same class with the same message and attributes, so one
raised in a worker process (multiprocessing, joblib, Spark) reaches the parent intact; like every built-in
exception, the copy carries no `__cause__` (see `ConvoiError`). `ConvoiError` and `ValidationError` are defined in
`convoi_nb.models.exceptions`, so that the models can raise them; this module is their public home.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .models import FieldError
from .models.exceptions import ConvoiError, ValidationError
from .models.wire import IDEMPOTENCY_CONFLICT

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
    "SandboxError",
    "ServerError",
    "ValidationError",
    "WaitTimeoutError",
    "status_error",
]


class ConfigurationError(ConvoiError, ValueError):
    """A setting is missing, malformed or contradictory; also a built-in `ValueError`.

    A client option (`base_url`, `timeout`, retries), an environment variable, a sandbox setting.

    Examples:
        >>> import convoi_nb
        >>> try:
        ...     convoi_nb.connect(base_url="https://api.example.com")
        ... except convoi_nb.ConfigurationError as error:  # also a ValueError, and a ConvoiError
        ...     print(isinstance(error, (ValueError, convoi_nb.ConvoiError)), error)
        True base_url= is set but api_key= (or CONVOI_API_KEY) is not: ...
    """


class MixedCurrencyError(ConvoiError, ValueError):
    """Amounts in different currencies cannot be added; total each currency on its own. Also a `ValueError`.

    Examples:
        >>> import convoi_nb
        >>> convoi_nb.money.total([(1, "USD"), (1, "EUR")])
        Traceback (most recent call last):
        ...
        convoi_nb.errors.MixedCurrencyError: cannot add EUR to USD; total each currency apart
    """


class ExperimentError(ConvoiError, ValueError):
    """The experiment cannot run as defined; also a built-in `ValueError`, like every other input error.

    An argument out of range (replicates, concurrency, a cap), or a definition that conflicts with what its store
    recorded (a variant changed under an old name, a store from another server).
    """


class DatasetError(ConvoiError):
    """A call dataset (`client.export_calls`, `convoi_nb.review`) cannot be used as asked.

    The path is a file, the folder holds something else or another server's or account's export, the manifest is
    damaged.
    """


class WaitTimeoutError(ConvoiError, TimeoutError):
    """Calls did not reach the awaited status within the time allowed; also a built-in `TimeoutError`.

    Raised by waits that poll calls (`results.wait(timeout=…)`); what was seen is kept, so waiting again
    continues.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> experiment = Experiment("slow", agent.id, [Variant("a")], replicates=1, store=":memory:")
        >>> results = experiment.run(client, progress=False)
        >>> try:
        ...     results.wait(timeout=0.001, progress=False)
        ... except convoi_nb.WaitTimeoutError as error:  # also a TimeoutError; what was seen is kept: wait() again
        ...     print(type(error).__name__)
        WaitTimeoutError
    """


class SandboxError(ConvoiError, RuntimeError):
    """The embedded sandbox could not start or is not running; also a built-in `RuntimeError`."""


class APIError(ConvoiError):
    """Anything that went wrong on the wire or on the server."""


class APIConnectionError(APIError):
    """The request got no HTTP answer (refused, reset, dropped mid-response).

    Args:
        message: What happened.
        method: The HTTP method of the request, if known.
        url: Its URL, if known (never carries credentials: the client refuses such a base URL).
    """

    def __init__(self, message: str = "connection error", *, method: str = "", url: str = "") -> None:
        self.method, self.url = method, url
        super().__init__(f"{message} ({method} {url})" if method else message)


class APITimeoutError(APIConnectionError, TimeoutError):
    """An attempt took longer than the client's `timeout`; also a built-in `TimeoutError`.

    The timeout bounds an attempt's whole time, not one socket read.
    """


class APIStatusError(APIError):
    """The server answered with an error status.

    Args:
        message: The server's message.
        status_code: The HTTP status.
        code: The error code of the body (`"call_not_found"`), or "" if the body had none.
        param: The parameter the error is about, if the server named one.
        request_id: The server's request id (`X-Request-Id`), to quote to support.
        body: The parsed error body (or the start of an unparsable one).

    Examples:
        >>> import uuid, convoi_nb
        >>> client = convoi_nb.connect()
        >>> try:
        ...     client.get_call("call_doesnotexist")
        ... except convoi_nb.APIStatusError as error:  # here its subclass NotFoundError
        ...     print(type(error).__name__, error.status_code, error.request_id.startswith("req_"))
        NotFoundError 404 True

        The same `Idempotency-Key` with another body is a conflict:

        >>> agent = client.list_agents()[0]
        >>> key = uuid.uuid4()
        >>> _ = client.create_web_call(agent.id, metadata={"n": 1}, idempotency_key=key)
        >>> client.create_web_call(agent.id, metadata={"n": 2}, idempotency_key=key)
        Traceback (most recent call last):
        ...
        convoi_nb.errors.IdempotencyConflictError: ...
    """

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
    """400/413/415/422: the server rejected the request; `errors` lists the fields.

    Args:
        message: The server's message.
        errors: The field errors of the body.

    The other keyword arguments are `APIStatusError`'s.
    """

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
    """429: too many requests; `retry_after` is the server's hint in seconds, if any.

    Args:
        message: The server's message.
        retry_after: Seconds to wait, from the `Retry-After` header.

    The other keyword arguments are `APIStatusError`'s.
    """

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
    """The exception class for an error answer.

    Args:
        status_code: The HTTP status (400 or more).
        code: The error code of the body ("" if none).

    Returns:
        The class to raise: by status, with 409 `idempotency_conflict` as `IdempotencyConflictError`, any 5xx as
        `ServerError`, and any other status as `APIStatusError`.
    """
    if status_code == 409 and code == IDEMPOTENCY_CONFLICT:
        return IdempotencyConflictError
    if status_code >= 500:
        return ServerError
    return _BY_STATUS.get(status_code, APIStatusError)
