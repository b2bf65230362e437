"""Which failures are retried and how long to wait: the only module that knows tenacity.

One `RetryPolicy` drives both `tenacity.Retrying` (sync client) and `tenacity.AsyncRetrying` (async client).
tenacity is imported on the first request, not with the package: it pulls in tornado when that is installed.
"""

from __future__ import annotations

import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from ._constants import DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, DEFAULT_MAX_RETRIES, DEFAULT_MAX_RETRY_AFTER
from ._logging import get_logger
from .errors import APIConnectionError, APIStatusError, ConfigurationError

if TYPE_CHECKING:
    import tenacity

log = get_logger("convoi_nb.client")
T = TypeVar("T")
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter; `Retry-After` wins when the server sends it.

    Attributes:
        max_retries: retries after the first attempt (0: one attempt only).
        initial_backoff: seconds before the first retry; doubles each time, with jitter.
        max_backoff: the ceiling of one backoff, in seconds.
        max_retry_after: the longest `Retry-After` honoured, in seconds (a longer one is capped to it).

    Examples:
        >>> import convoi_nb
        >>> policy = convoi_nb.RetryPolicy(max_retries=2, initial_backoff=0.1)
        >>> client = convoi_nb.connect(retry=policy)
        >>> client.retry_policy
        RetryPolicy(max_retries=2, initial_backoff=0.1, max_backoff=8.0, max_retry_after=60.0)
        >>> convoi_nb.RetryPolicy(max_retries=-1)
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ConfigurationError: max_retries must be an integer >= 0, got -1
    """

    max_retries: int = DEFAULT_MAX_RETRIES
    initial_backoff: float = DEFAULT_INITIAL_BACKOFF
    max_backoff: float = DEFAULT_MAX_BACKOFF
    max_retry_after: float = DEFAULT_MAX_RETRY_AFTER

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise ConfigurationError(f"max_retries must be an integer >= 0, got {self.max_retries!r}")
        for name in ("initial_backoff", "max_backoff", "max_retry_after"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"{name} must be a finite number of seconds >= 0, got {value!r}")
        if self.max_backoff < self.initial_backoff:
            raise ConfigurationError(
                f"max_backoff ({self.max_backoff}) must not be less than initial_backoff ({self.initial_backoff})"
            )

    @cached_property
    def _tenacity(self) -> dict[str, Any]:
        """The stop/retry/wait objects: stateless, built once per policy and shared by every request."""
        import tenacity

        return {
            "stop": tenacity.stop_after_attempt(self.max_retries + 1),
            "retry": tenacity.retry_if_exception(is_retryable),
            "wait": self.wait_seconds,
            "reraise": True,
        }

    def with_max_retries(self, max_retries: int | None) -> RetryPolicy:
        """This policy with another number of retries.

        Args:
            max_retries: retries after the first attempt, or None to keep this policy's.

        Returns:
            The policy (itself when `max_retries` is None).

        Examples:
            >>> from convoi_nb import RetryPolicy
            >>> RetryPolicy().with_max_retries(0).max_retries
            0
        """
        return self if max_retries is None else replace(self, max_retries=max_retries)

    def worst_case_seconds(self, timeout: float, *, honour_retry_after: bool = True) -> float:
        """The longest one request can take, all attempts and waits included.

        Each attempt is bounded by `timeout`, each backoff by its ceiling, each `Retry-After` by `max_retry_after`.

        Args:
            timeout: seconds one attempt may take.
            honour_retry_after: count each wait as a capped `Retry-After` (the longest a server can ask).

        Returns:
            Seconds.

        Examples:
            >>> from convoi_nb import RetryPolicy
            >>> policy = RetryPolicy(max_retries=2, initial_backoff=0.1)
            >>> policy.worst_case_seconds(5.0)  # 3 attempts of 5 s, 2 waits capped at Retry-After's 60 s
            135.0
            >>> policy.worst_case_seconds(5.0, honour_retry_after=False)  # 3 × 5 s + 0.1 s + 0.2 s
            15.3
        """
        waits = [min(self.max_backoff, self.initial_backoff * 2.0**i) for i in range(self.max_retries)]
        if honour_retry_after:
            waits = [max(wait, self.max_retry_after) for wait in waits]
        return (self.max_retries + 1) * timeout + sum(waits)

    def wait_seconds(self, state: tenacity.RetryCallState) -> float:
        """How long to wait before the next attempt: the server's `Retry-After` (capped), else jittered backoff.

        Args:
            state: tenacity's record of the attempts so far.

        Returns:
            Seconds.
        """
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.max_retry_after)
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)

    def _kwargs(self, label: str) -> dict[str, Any]:
        def before_sleep(state: tenacity.RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning("%s attempt %d failed (%s); retrying in %.2fs", label, state.attempt_number, exc, wait)

        return {**self._tenacity, "before_sleep": before_sleep}

    def call(self, label: str, attempt: Callable[[int], T]) -> T:
        """`attempt(number)` until it succeeds, the error is not retryable, or the retries run out.

        Args:
            label: what is attempted, for the log line of each retry.
            attempt: called with the attempt's number (1, 2, ...).

        Returns:
            What the successful attempt returned.
        """
        import tenacity

        for trial in tenacity.Retrying(**self._kwargs(label)):
            with trial:
                return attempt(trial.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def acall(self, label: str, attempt: Callable[[int], Awaitable[T]]) -> T:
        """`call()` for a coroutine function.

        Args:
            label: what is attempted, for the log line of each retry.
            attempt: called with the attempt's number (1, 2, ...), awaited.

        Returns:
            What the successful attempt returned.
        """
        import tenacity

        async for trial in tenacity.AsyncRetrying(**self._kwargs(label)):
            with trial:
                return await attempt(trial.retry_state.attempt_number)
        raise AssertionError("unreachable: tenacity reraises the last error")


def is_retryable(exc: BaseException) -> bool:
    """Connection errors, timeouts, 408, 429 and 5xx. A 409 never is: it means a different body.

    Args:
        exc: the failure of one attempt.

    Returns:
        Whether another attempt may succeed.
    """
    if isinstance(exc, APIConnectionError):
        return True
    if isinstance(exc, APIStatusError):
        return exc.status_code in RETRYABLE_STATUS or exc.status_code >= 500
    return False


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header: delta-seconds, or an HTTP date.

    Args:
        value: the header's value, or None.

    Returns:
        Seconds from now (never negative), or None when absent or unreadable.
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
