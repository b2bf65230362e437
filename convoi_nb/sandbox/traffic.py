"""What reached the sandbox: every API request with its answer, and how many were in flight at once.

For tests and demos of client code ("did my re-run send anything?", "does `concurrency=8` hold?"), in the
spirit of stripe-mock's request log. Kept in memory, bounded, and free of secrets: no headers but the
idempotency key, no bodies.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_RECORDS = 100_000


@dataclass(frozen=True)
class RequestRecord:
    """One API request the sandbox served.

    Attributes:
        method: The HTTP method.
        path: The request path.
        status: The response status; None if the connection dropped before a response started.
        idempotency_key: The `Idempotency-Key` header, if sent.
        started: `time.monotonic()` when the request arrived.
        finished: `time.monotonic()` when it was done.
    """

    method: str
    path: str
    status: int | None
    idempotency_key: str | None
    started: float
    finished: float


class TrafficLog:
    """The API requests (paths under `/api/`) one sandbox app has served; `RecordTraffic` fills it.

    Args:
        max_records: The most requests kept (the oldest go first).

    Examples:
        >>> import uuid
        >>> from convoi_nb import ConvoiClient
        >>> from convoi_nb.sandbox import Sandbox
        >>> with Sandbox() as sandbox:
        ...     client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
        ...     agent = client.list_agents()[0]
        ...     key = uuid.uuid4()
        ...     _ = [client.create_web_call(agent.id, idempotency_key=key) for _ in range(2)]
        ...     log = sandbox.traffic  # what the sandbox served: count requests, read their Idempotency-Keys
        ...     keys = {record.idempotency_key for record in log.records if record.method == "POST"}
        ...     print(log.count("POST", "/api/v1/public/calls"), keys == {str(key)})
        2 True
    """

    def __init__(self, max_records: int = MAX_RECORDS) -> None:
        self._records: deque[RequestRecord] = deque(maxlen=max_records)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._peak = 0

    def _arrived(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._peak = max(self._peak, self._in_flight)

    def _finished(self, record: RequestRecord) -> None:
        with self._lock:
            self._in_flight -= 1
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        """Finished requests, oldest first."""
        with self._lock:
            return list(self._records)

    @property
    def peak_in_flight(self) -> int:
        """The most API requests the server was handling at one moment since the last `reset()`."""
        with self._lock:
            return self._peak

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """Finished requests, optionally only those with this method and path prefix.

        Args:
            method: Only requests with this HTTP method.
            path: Only requests whose path starts with this.

        Returns:
            How many.
        """
        return sum(
            1
            for r in self.records
            if (method is None or r.method == method) and (path is None or r.path.startswith(path))
        )

    def reset(self) -> None:
        """Forget the finished requests and start the peak count again."""
        with self._lock:
            self._records.clear()
            self._peak = self._in_flight


class RecordTraffic:
    """ASGI middleware that writes each API request into a `TrafficLog`.

    Args:
        app: The app it wraps.
        log: Where the requests go.
    """

    def __init__(self, app: ASGIApp, log: TrafficLog) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request and record it (API paths only).

        Args:
            scope: The ASGI scope.
            receive: The ASGI receive channel.
            send: The ASGI send channel.
        """
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        started = time.monotonic()
        status: int | None = None

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self.log._arrived()
        try:
            await self.app(scope, receive, watched_send)
        finally:
            key = dict(scope.get("headers", [])).get(b"idempotency-key")
            self.log._finished(
                RequestRecord(
                    scope["method"],
                    scope["path"],
                    status,
                    key.decode("latin-1") if key is not None else None,
                    started,
                    time.monotonic(),
                )
            )
