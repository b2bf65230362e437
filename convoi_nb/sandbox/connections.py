"""Slow clients cannot hold the sandbox's connections: a request must arrive whole within a read deadline.

uvicorn closes a connection that stays idle after a response (`timeout_keep_alive`) and answers 503 beyond
`limit_concurrency`, but it sets no deadline on reading a request: a client that connects and sends nothing,
or sends its headers or body a byte at a time (slowloris), keeps the connection, and its file descriptor,
forever. `read_deadline_protocol()` makes uvicorn's httptools protocol close any connection whose request
(request line, headers and body) is not complete `seconds` after the connection opened or the request's
first bytes arrived. A request being handled or answered has no deadline; an idle connection after a response
is uvicorn's keep-alive timeout's to close.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from .._logging import get_logger

log = get_logger("convoi_nb.sandbox")


class ReadDeadlineProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, closing connections whose request does not arrive in time."""

    read_timeout = 10.0
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn narrows it
        """Start the clock on the first request as the connection opens.

        Args:
            transport: The connection's transport.
        """
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        """Parse as uvicorn does; then keep the deadline while a request is incomplete, drop it once complete.

        Args:
            data: Bytes the client sent.
        """
        super().data_received(data)
        if self._awaiting_request():
            self._arm()
        else:
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection.

        Args:
            exc: Why the connection was lost (None for an orderly close).
        """
        self._disarm()
        super().connection_lost(exc)

    def _awaiting_request(self) -> bool:
        # No request yet, the last one answered, or this one's body still arriving.
        cycle = self.cycle
        return cycle is None or cycle.response_complete or cycle.more_body

    def _arm(self) -> None:
        if self._deadline is None:  # never moved later: a byte at a time does not buy more time
            self._deadline = self.loop.call_later(self.read_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            log.debug("closed a connection whose request did not arrive within %.1f s", self.read_timeout)
            self.transport.close()


def read_deadline_protocol(seconds: float) -> type[ReadDeadlineProtocol]:
    """Uvicorn's HTTP protocol class with a read deadline of `seconds` (pass as `uvicorn.Config(http=...)`).

    Args:
        seconds: How long a request may take to arrive whole.

    Returns:
        A protocol class for this server.
    """
    return type("ReadDeadlineProtocol", (ReadDeadlineProtocol,), {"read_timeout": seconds})
