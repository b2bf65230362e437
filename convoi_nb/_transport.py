"""The only module that imports httpx: one request in, one raw response out, httpx errors mapped.

Swapping the HTTP library means rewriting this file (and `_deadline.py`, its httpcore companion) only.
`timeout` bounds each attempt as a whole (connect, send, headers and body), not each socket read. The async client runs httpx over aiohttp's
connection pool (httpx-aiohttp): httpcore's async pool rescans every connection on each request, which
under a 32-wide sweep cost more CPU than the requests themselves.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpcore
import httpx
from httpx_aiohttp import HttpxAiohttpClient

from ._constants import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_KEEPALIVE_CONNECTIONS
from ._deadline import DeadlineBackend, deadline
from .errors import APIConnectionError, APITimeoutError

DEFAULT_LIMITS = httpx.Limits(
    max_connections=DEFAULT_MAX_CONNECTIONS, max_keepalive_connections=DEFAULT_MAX_KEEPALIVE_CONNECTIONS
)


@dataclass
class RequestSpec:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] | None = None
    content: bytes | None = None  # a JSON body, already encoded (the models serialise faster than json.dumps)
    timeout: float | None = None


@dataclass
class RawResponse:
    status_code: int
    headers: Mapping[str, str]  # case-insensitive lookups
    content: bytes
    elapsed: float


def _to_raw(response: httpx.Response, started: float) -> RawResponse:
    return RawResponse(
        status_code=response.status_code,
        headers=response.headers,  # httpx.Headers: case-insensitive, decoded only when read
        content=response.content,
        elapsed=time.perf_counter() - started,
    )


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, asyncio.TimeoutError):
        return True
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientError):
        # httpx-aiohttp maps every aiohttp connection error (refused, reset) to ConnectTimeout;
        # the aiohttp cause tells the truth.
        return isinstance(cause, asyncio.TimeoutError)
    return isinstance(exc, httpx.TimeoutException)


def _wrap(exc: BaseException, spec: RequestSpec) -> APIConnectionError:
    kind = APITimeoutError if _is_timeout(exc) else APIConnectionError
    detail = exc.__cause__ if isinstance(exc.__cause__, aiohttp.ClientError) else exc
    text = str(detail)
    return kind(f"{type(detail).__name__}: {text}" if text else type(detail).__name__, method=spec.method, url=spec.url)


def _kwargs(spec: RequestSpec) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": spec.headers, "params": spec.params, "content": spec.content}
    if spec.timeout is not None:
        kwargs["timeout"] = spec.timeout
    return kwargs


class _DeadlineHTTPTransport(httpx.HTTPTransport):
    """httpx's transport on a pool whose streams honour the attempt's deadline (see `_deadline.py`)."""

    def __init__(self, limits: httpx.Limits) -> None:
        ssl_context = httpx.create_ssl_context()  # loaded once (~30 ms), shared with the pool built below
        super().__init__(verify=ssl_context, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=DeadlineBackend(),
        )


class SyncTransport:
    def __init__(self, timeout: float, http_client: httpx.Client | None = None) -> None:
        self._owned = http_client is None
        self._timeout = timeout
        self._client = http_client or httpx.Client(timeout=timeout, transport=_DeadlineHTTPTransport(DEFAULT_LIMITS))

    def send(self, spec: RequestSpec) -> RawResponse:
        started = time.perf_counter()
        try:
            with deadline(spec.timeout or self._timeout):
                response = self._client.request(spec.method, spec.url, **_kwargs(spec))
        except httpx.TransportError as exc:
            raise _wrap(exc, spec) from exc
        return _to_raw(response, started)

    def close(self) -> None:
        if self._owned:
            self._client.close()


class AsyncTransport:
    def __init__(self, timeout: float, http_client: httpx.AsyncClient | None = None) -> None:
        self._owned = http_client is None
        self._timeout = timeout
        self._client = http_client or HttpxAiohttpClient(timeout=timeout, limits=DEFAULT_LIMITS)

    async def send(self, spec: RequestSpec) -> RawResponse:
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                self._client.request(spec.method, spec.url, **_kwargs(spec)), spec.timeout or self._timeout
            )
        except (httpx.TransportError, asyncio.TimeoutError) as exc:
            raise _wrap(exc, spec) from exc
        return _to_raw(response, started)

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()
