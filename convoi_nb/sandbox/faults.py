"""Fault injection for tests and demos: latency, slow responses, post-commit 5xx, dropped connections, 429s.

All off by default. Failures are injected *after* the app handled the request, so a create is committed
and then reported as failed: exactly the case idempotency keys exist for.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .checks import is_number, require


@dataclass(frozen=True)
class FaultConfig:
    """What goes wrong, on purpose, with the sandbox's API requests; checked when made.

    Attributes:
        latency: Seconds added to every API request.
        slow_rate: Share of requests delayed by `slow_seconds` more.
        slow_seconds: The extra delay of a slow request.
        error_rate: Share answered 503 after the request was processed.
        drop_rate: Share whose connection drops mid-response after processing.
        rate_limit_per_second: A token bucket's rate: 429 with Retry-After beyond it (None: no limit).
        rate_limit_burst: The token bucket's size.
        seed: The seed of the draws that pick which requests fail.

    Examples:
        >>> from convoi_nb import ConvoiClient, RetryPolicy
        >>> from convoi_nb.sandbox import FaultConfig, Sandbox, SandboxSettings
        >>> faults = FaultConfig(error_rate=0.5, seed=1)  # half the requests fail (5xx); the retries absorb them
        >>> with Sandbox(SandboxSettings(faults=faults)) as sandbox:
        ...     retry = RetryPolicy(max_retries=8, initial_backoff=0.01, max_backoff=0.05)
        ...     client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, retry=retry)
        ...     len(client.list_agents())
        3
    """

    latency: float = 0.0
    slow_rate: float = 0.0
    slow_seconds: float = 0.0
    error_rate: float = 0.0
    drop_rate: float = 0.0
    rate_limit_per_second: float | None = None
    rate_limit_burst: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        """Refuse rates and delays out of range.

        Raises:
            ConfigurationError: A rate is not a share, they add up to more than 1, or a delay is negative.
        """
        for name in ("slow_rate", "error_rate", "drop_rate"):
            value = getattr(self, name)
            require(name, value, is_number(value) and 0.0 <= value <= 1.0, "must be between 0 and 1")
        rates = self.error_rate + self.drop_rate
        require("error_rate + drop_rate", rates, rates <= 1.0, "must be <= 1")
        for name in ("latency", "slow_seconds"):
            value = getattr(self, name)
            require(name, value, is_number(value) and value >= 0, "must be >= 0 seconds")
        limit = self.rate_limit_per_second
        require(
            "rate_limit_per_second", limit, limit is None or (is_number(limit) and limit > 0), "must be > 0 (or None)"
        )


class DroppedConnection(Exception):
    """Raised after the response started, so the server closes the socket mid-response."""


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], DroppedConnection))


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class _TokenBucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.capacity = rate, max(1, burst)
        self.tokens, self.stamp = float(self.capacity), time.monotonic()

    def take(self) -> int | None:
        """Take a token if there is one.

        Returns:
            None if allowed, else whole seconds to wait.
        """
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return max(1, math.ceil((1 - self.tokens) / self.rate))


class FaultInjector:
    """ASGI middleware; reads the current `FaultConfig` on every request so it can change at run time.

    Args:
        app: The app it wraps.
        config: Returns the fault configuration in force.
        reject: Answers a request with an error (`middleware.send_error`).
    """

    def __init__(self, app: ASGIApp, config: Callable[[], FaultConfig], reject: Callable[..., Awaitable[None]]) -> None:
        self.app, self._config, self._reject = app, config, reject
        self._rng: random.Random | None = None
        self._bucket: _TokenBucket | None = None
        self._seen: FaultConfig | None = None

    def _sync(self, config: FaultConfig) -> None:
        if config is not self._seen:
            self._seen = config
            self._rng = random.Random(config.seed)
            self._bucket = (
                _TokenBucket(config.rate_limit_per_second, config.rate_limit_burst)
                if config.rate_limit_per_second
                else None
            )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request, with the faults the configuration draws for it.

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive channel.
            send: The ASGI send channel.

        Raises:
            DroppedConnection: The request was drawn to lose its connection mid-response.
        """
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        config = self._config()
        self._sync(config)
        assert self._rng is not None
        if self._bucket is not None:
            wait = self._bucket.take()
            if wait is not None:
                await self._reject(
                    scope,
                    send,
                    429,
                    "rate_limited",
                    f"too many requests; retry after {wait} s",
                    {"Retry-After": str(wait)},
                )
                return
        delay = config.latency + (config.slow_seconds if self._rng.random() < config.slow_rate else 0.0)
        if delay:
            await asyncio.sleep(delay)
        roll = self._rng.random()
        if roll >= config.error_rate + config.drop_rate:
            await self.app(scope, receive, send)
            return

        async def swallow(message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)  # the work is committed; only the answer is lost
        if roll < config.error_rate:
            await self._reject(scope, send, 503, "injected_fault", "simulated server error after commit", {})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"id": "call_', "more_body": True})
        raise DroppedConnection("simulated dropped connection")
