"""Which failures are retried and how long to wait, on top of tenacity (one policy for sync and async)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import tenacity

from .errors import APIConnectionError, APIStatusError, RateLimitError

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
# 409 codes that mean "try again": the same key is still being processed by another request.
RETRYABLE_CONFLICT_CODES = frozenset({"idempotency_key_in_use", "lock_timeout"})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter; `Retry-After` wins when the server sends it."""

    max_retries: int = 3
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        if self.initial_backoff < 0 or self.max_backoff < self.initial_backoff:
            raise ValueError("need 0 <= initial_backoff <= max_backoff")

    def tenacity_kwargs(self) -> dict[str, Any]:
        """The same arguments for `tenacity.Retrying` and `tenacity.AsyncRetrying`."""
        return {
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "retry": tenacity.retry_if_exception(is_retryable),
            "wait": self.wait_seconds,
            "reraise": True,
        }

    def wait_seconds(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.max_retry_after)
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)


def is_retryable(exc: BaseException) -> bool:
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, APIStatusError):
        if exc.status_code == 409:
            return exc.code in RETRYABLE_CONFLICT_CODES
        return exc.status_code in RETRYABLE_STATUS or isinstance(exc, RateLimitError) or exc.status_code >= 500
    return False


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds form; HTTP dates are rare for APIs)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
