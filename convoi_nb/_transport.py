"""The only module that imports httpx: one request in, one raw response out, httpx errors mapped.

Swapping the HTTP library means rewriting this file only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Optional

import httpx

from .errors import APIConnectionError, APITimeoutError

DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=50)


@dataclass
class RequestSpec:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: Optional[dict[str, Any]] = None
    json: Any = None
    timeout: Optional[float] = None


@dataclass
class RawResponse:
    status_code: int
    headers: dict[str, str]
    content: bytes
    elapsed: float


def _to_raw(response: httpx.Response, started: float) -> RawResponse:
    return RawResponse(
        status_code=response.status_code,
        headers={k.lower(): v for k, v in response.headers.items()},
        content=response.content,
        elapsed=time.perf_counter() - started,
    )


def _wrap(exc: httpx.TransportError, spec: RequestSpec) -> APIConnectionError:
    kind = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
    return kind(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__, method=spec.method, url=spec.url)


def _kwargs(spec: RequestSpec) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": spec.headers, "params": spec.params, "json": spec.json}
    if spec.timeout is not None:
        kwargs["timeout"] = spec.timeout
    return kwargs


class SyncTransport:
    def __init__(self, timeout: float, http_client: Optional[httpx.Client] = None) -> None:
        self._owned = http_client is None
        self._client = http_client or httpx.Client(timeout=timeout, limits=DEFAULT_LIMITS)

    def send(self, spec: RequestSpec) -> RawResponse:
        started = time.perf_counter()
        try:
            response = self._client.request(spec.method, spec.url, **_kwargs(spec))
        except httpx.TransportError as exc:
            raise _wrap(exc, spec) from exc
        return _to_raw(response, started)

    def close(self) -> None:
        if self._owned:
            self._client.close()


class AsyncTransport:
    def __init__(self, timeout: float, http_client: Optional[httpx.AsyncClient] = None) -> None:
        self._owned = http_client is None
        self._client = http_client or httpx.AsyncClient(timeout=timeout, limits=DEFAULT_LIMITS)

    async def send(self, spec: RequestSpec) -> RawResponse:
        started = time.perf_counter()
        try:
            response = await self._client.request(spec.method, spec.url, **_kwargs(spec))
        except httpx.TransportError as exc:
            raise _wrap(exc, spec) from exc
        return _to_raw(response, started)

    async def aclose(self) -> None:
        if self._owned:
            await self._client.aclose()
