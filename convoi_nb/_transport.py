"""The only module that imports httpx: one request in, one raw response out, httpx errors mapped.

Swapping the HTTP library means rewriting this file (and `_deadline.py`, its httpcore companion) only.
`timeout` bounds each attempt as a whole (connect, send, headers and body), not each socket read. The async
client runs httpx over aiohttp's connection pool (httpx-aiohttp), imported when the first async client is made:
httpcore's async pool rescans every connection on each request, which under a 32-wide sweep cost more CPU than
the requests themselves.

The API key reaches the wire at the last moment, so the request specs, header dicts and locals that travel
through the stack never hold it in clear: `BearerAuth` writes the `Authorization` header inside httpx's auth flow
(httpx masks it in every `Headers` repr); on the async client's own aiohttp pool `_AiohttpBearer` writes it
inside aiohttp's middleware chain, after aiohttp's `_request` has built its plain header dict.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpcore
import httpx
from pydantic import SecretStr

from ._constants import DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_KEEPALIVE_CONNECTIONS
from ._deadline import DeadlineBackend, deadline
from .errors import APIConnectionError, APITimeoutError, ConfigurationError

if TYPE_CHECKING:
    import aiohttp

DEFAULT_LIMITS = httpx.Limits(
    max_connections=DEFAULT_MAX_CONNECTIONS, max_keepalive_connections=DEFAULT_MAX_KEEPALIVE_CONNECTIONS
)


@dataclass
class RequestSpec:
    """One API request, before it is sent: no credential in it (see `BearerAuth`)."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] | None = None
    content: bytes | None = None  # a JSON body, already encoded (the models serialise faster than json.dumps)
    timeout: float | None = None

    def __repr__(self) -> str:
        # Header names only and the body's size: a body may carry the user's metadata, a header a credential.
        body = f", content=<{len(self.content)} bytes>" if self.content is not None else ""
        return f"RequestSpec({self.method} {self.url}, headers={sorted(self.headers)}, params={self.params}{body})"


@dataclass
class RawResponse:
    """One HTTP answer: status, headers and body bytes."""

    status_code: int
    headers: Mapping[str, str]  # case-insensitive lookups
    content: bytes
    elapsed: float

    def __repr__(self) -> str:
        # Never the body: a call's JSON holds its LiveKit token.
        return f"RawResponse(status_code={self.status_code}, content=<{len(self.content)} bytes>)"


class BearerAuth(httpx.Auth):
    """Adds `Authorization: Bearer <key>` to each request as httpx sends it; the key stays masked until then.

    Args:
        key: the API key.
    """

    def __init__(self, key: SecretStr) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Write the header (httpx masks it in `Headers` reprs) and send the request.

        Args:
            request: the request httpx is about to send.

        Yields:
            The request, with its `Authorization` header.
        """
        request.headers["Authorization"] = "Bearer " + self._key.get_secret_value()
        yield request

    def __repr__(self) -> str:
        return "BearerAuth('**********')"


class _AiohttpBearer:
    """An aiohttp client middleware that adds the `Authorization` header to the request aiohttp sends.

    Args:
        key: the API key.
    """

    def __init__(self, key: SecretStr) -> None:
        self._key = key

    async def __call__(
        self,
        request: aiohttp.ClientRequest,
        handler: Callable[[aiohttp.ClientRequest], Awaitable[aiohttp.ClientResponse]],
    ) -> aiohttp.ClientResponse:
        request.headers["Authorization"] = "Bearer " + self._key.get_secret_value()
        return await handler(request)

    def __repr__(self) -> str:
        return "_AiohttpBearer('**********')"


def _own_async_client(timeout: float, key: SecretStr) -> httpx.AsyncClient:
    """An httpx client over aiohttp pools of this package's own, authenticating in aiohttp's middleware chain.

    Every transport httpx builds for it, the direct one and one per proxy it finds in the environment, gets a
    session with the middleware: a proxied request carries the header too.
    """
    import aiohttp  # ~0.2 s to import: only when the first async client is made
    from httpx_aiohttp import HttpxAiohttpClient

    bearer = _AiohttpBearer(key)

    def authenticated(transport: Any) -> Any:
        def session() -> aiohttp.ClientSession:  # made on the transport's first request, inside the event loop
            connector = aiohttp.TCPConnector(
                keepalive_timeout=DEFAULT_LIMITS.keepalive_expiry,
                ssl=transport.ssl_context,
                limit=DEFAULT_MAX_CONNECTIONS,
            )
            return aiohttp.ClientSession(connector=connector, middlewares=(bearer,))

        transport.client = session
        return transport

    class OwnPool(HttpxAiohttpClient):
        # httpx-aiohttp's own extension points, called by httpx.AsyncClient.__init__ for each transport
        def _init_transport(self, *args: Any, **kwargs: Any) -> Any:
            return authenticated(super()._init_transport(*args, **kwargs))

        def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> Any:
            return authenticated(super()._init_proxy_transport(*args, **kwargs))

    client: httpx.AsyncClient = OwnPool(timeout=timeout, limits=DEFAULT_LIMITS)
    return client


def _to_raw(response: httpx.Response, started: float) -> RawResponse:
    return RawResponse(
        status_code=response.status_code,
        headers=response.headers,  # httpx.Headers: case-insensitive, decoded only when read
        content=response.content,
        elapsed=time.perf_counter() - started,
    )


def _aiohttp_error(exc: BaseException | None) -> bool:
    aiohttp = sys.modules.get("aiohttp")  # not loaded: the error cannot be one of its own
    return aiohttp is not None and isinstance(exc, aiohttp.ClientError)


def _is_timeout(exc: BaseException) -> bool:
    if isinstance(exc, asyncio.TimeoutError):
        return True
    if _aiohttp_error(exc.__cause__):
        # httpx-aiohttp maps every aiohttp connection error (refused, reset) to ConnectTimeout;
        # the aiohttp cause tells the truth.
        return isinstance(exc.__cause__, asyncio.TimeoutError)
    return isinstance(exc, httpx.TimeoutException)


def _wrap(exc: BaseException, spec: RequestSpec) -> APIConnectionError:
    kind = APITimeoutError if _is_timeout(exc) else APIConnectionError
    detail = exc.__cause__ if exc.__cause__ is not None and _aiohttp_error(exc.__cause__) else exc
    text = str(detail)
    return kind(f"{type(detail).__name__}: {text}" if text else type(detail).__name__, method=spec.method, url=spec.url)


def _kwargs(spec: RequestSpec, auth: BearerAuth | None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"headers": spec.headers, "params": spec.params, "content": spec.content}
    if auth is not None:
        kwargs["auth"] = auth
    if spec.timeout is not None:
        kwargs["timeout"] = spec.timeout
    return kwargs


class _DeadlineHTTPTransport(httpx.HTTPTransport):
    """httpx's transport on a pool whose streams honour the attempt's deadline (see `_deadline.py`).

    Args:
        limits: the pool's connection limits.
    """

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


def _checked(http_client: object, expected: type[Any], face: str) -> None:
    if http_client is None or isinstance(http_client, expected):
        return
    if isinstance(http_client, httpx.Client):
        got = "an httpx.Client, which serves ConvoiClient"
    elif isinstance(http_client, httpx.AsyncClient):
        got = "an httpx.AsyncClient, which serves AsyncConvoiClient"
    else:
        got = f"a {type(http_client).__name__}"
    raise ConfigurationError(f"http_client for {face} must be an httpx.{expected.__name__}, got {got}")


class SyncTransport:
    """Sends requests on the sync client's pool (or the user's `httpx.Client`, which it never closes).

    Args:
        timeout: seconds one attempt may take as a whole.
        key: the API key, written into each request by `BearerAuth`.
        http_client: the user's own `httpx.Client`, or None for a pool of this transport's own.
    """

    def __init__(self, timeout: float, key: SecretStr, http_client: httpx.Client | None = None) -> None:
        _checked(http_client, httpx.Client, "ConvoiClient")
        self.user_client = http_client
        self._timeout = timeout
        self._auth = BearerAuth(key)
        self._client = http_client or httpx.Client(timeout=timeout, transport=_DeadlineHTTPTransport(DEFAULT_LIMITS))

    def send(self, spec: RequestSpec) -> RawResponse:
        """One attempt of `spec`.

        Args:
            spec: the request.

        Returns:
            The answer, whatever its status.

        Raises:
            APITimeoutError: the attempt outlived its timeout.
            APIConnectionError: the connection failed or broke.
        """
        started = time.perf_counter()
        try:
            with deadline(spec.timeout or self._timeout):
                response = self._client.request(spec.method, spec.url, **_kwargs(spec, self._auth))
        except httpx.TransportError as exc:
            raise _wrap(exc, spec) from exc
        return _to_raw(response, started)

    def close(self) -> None:
        """Close the pool, unless it is the user's."""
        if self.user_client is None:
            self._client.close()


class AsyncTransport:
    """Sends requests on the async client's pool (or the user's `httpx.AsyncClient`, which it never closes).

    Args:
        timeout: seconds one attempt may take as a whole.
        key: the API key, written into each request by `BearerAuth`.
        http_client: the user's own `httpx.AsyncClient`, or None for a pool of this transport's own.
    """

    def __init__(self, timeout: float, key: SecretStr, http_client: httpx.AsyncClient | None = None) -> None:
        _checked(http_client, httpx.AsyncClient, "AsyncConvoiClient")
        self.user_client = http_client
        self._timeout = timeout
        # The user's client authenticates in httpx's auth flow; our own pool in aiohttp's middleware.
        self._auth = BearerAuth(key) if http_client is not None else None
        self._client = http_client or _own_async_client(timeout, key)

    async def send(self, spec: RequestSpec) -> RawResponse:
        """One attempt of `spec`.

        Args:
            spec: the request.

        Returns:
            The answer, whatever its status.

        Raises:
            APITimeoutError: the attempt outlived its timeout.
            APIConnectionError: the connection failed or broke.
        """
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                self._client.request(spec.method, spec.url, **_kwargs(spec, self._auth)), spec.timeout or self._timeout
            )
        except (httpx.TransportError, asyncio.TimeoutError) as exc:
            raise _wrap(exc, spec) from exc
        return _to_raw(response, started)

    async def aclose(self) -> None:
        """Close the pool, unless it is the user's."""
        if self.user_client is None:
            await self._client.aclose()
