"""`ConvoiClient` and `AsyncConvoiClient`: one surface, two thin faces over `ClientCore`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from typing_extensions import Unpack

from ._base_client import ClientCore, OverridesLike
from ._config import ClientConfig
from ._retry import RetryPolicy
from ._transport import AsyncTransport, RawResponse, RequestSpec, SyncTransport
from .errors import ConfigurationError
from .models import Agent, Call, ListCallsParams, WebCallRequest

if TYPE_CHECKING:
    import httpx


class _ClientBase:
    """Configuration, repr and shared properties of both clients."""

    _core: ClientCore

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        confirm_runs_over: int | None = None,
    ) -> None:
        config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, retry=retry
        )
        self._core = ClientCore(config)
        if confirm_runs_over is not None and (
            isinstance(confirm_runs_over, bool) or not isinstance(confirm_runs_over, int) or confirm_runs_over < 0
        ):
            raise ConfigurationError(
                f"confirm_runs_over must be a number of calls (0 or more) or None, got {confirm_runs_over!r}"
            )
        # Experiment runs creating more calls than this print their estimated cost and need max_cost or
        # confirm=True; connect() sets it on the real service (None: never asked).
        self.confirm_runs_over = confirm_runs_over

    @property
    def base_url(self) -> str:
        return self._core.config.base_url

    @property
    def timeout(self) -> float:
        return self._core.config.timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        return self._core.config.retry

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, api_key='***')"

    def _twin_options(self) -> dict[str, Any]:
        config = self._core.config
        return {
            "api_key": config.api_key.get_secret_value(),
            "base_url": config.base_url,
            "timeout": config.timeout,
            "retry": config.retry,
            "confirm_runs_over": self.confirm_runs_over,
        }

    def to_async(self) -> AsyncConvoiClient:
        """A new AsyncConvoiClient with this configuration and a connection pool of its own."""
        return AsyncConvoiClient(**self._twin_options())


class ConvoiClient(_ClientBase):
    """Synchronous client. Use as a context manager, or call `close()`, to release connections.

    >>> with ConvoiClient(api_key="sk_…", base_url="https://…") as client:
    ...     call = client.create_web_call("agt_…", metadata={"source": "notebook"})
    """

    def __init__(self, *, http_client: httpx.Client | None = None, **config: Any) -> None:
        super().__init__(**config)
        self._transport = SyncTransport(self.timeout, http_client)

    def _send(self, spec: RequestSpec) -> tuple[bytes, RawResponse, int]:
        def attempt(number: int) -> tuple[bytes, RawResponse, int]:
            raw = self._transport.send(spec)
            return self._core.read_body(raw, spec, number), raw, number

        return self.retry_policy.call(f"{spec.method} {spec.url}", attempt)

    def create_web_call(
        self,
        agent_id: str | WebCallRequest,
        *,
        participant_name: str | None = None,
        agent_overrides: OverridesLike = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | uuid.UUID | None = None,
    ) -> Call:
        """Create a web call. Retries reuse one `Idempotency-Key`, so a retry never duplicates a call.

        `agent_id` may instead be a `WebCallRequest` from `convoi_nb.build_web_call(...)`, validated once.
        """
        spec = self._core.create_web_call(
            agent_id,
            participant_name=participant_name,
            agent_overrides=agent_overrides,
            metadata=metadata,
            idempotency_key=idempotency_key,
        )
        data, raw, attempts = self._send(spec)
        return self._core.parse_call(data, raw, spec, attempts)

    def get_call(self, call_id: str) -> Call:
        spec = self._core.get_call(call_id)
        data, raw, attempts = self._send(spec)
        return self._core.parse_call(data, raw, spec, attempts)

    def list_calls(self, **filters: Unpack[ListCallsParams]) -> Iterator[Call]:
        """Every matching call, newest first, fetching pages lazily as you iterate.

        Filters: `agent_id`, `status`, `created_after` / `created_before` (aware datetimes or ISO 8601),
        `metadata` (typed equality per key), `page_size` (1–100).
        """
        return self._iterate(self._core.list_calls(filters), Call)

    def list_agents(self) -> list[Agent]:
        """The agents on this account, with their default settings."""
        return list(self._iterate(self._core.list_agents(), Agent))

    def _iterate(self, spec: RequestSpec, item: type) -> Iterator[Any]:
        while True:
            data, raw, _ = self._send(spec)
            page = self._core.parse_page(data, raw, item)
            yield from page.data
            if not page.has_more or not page.next_cursor:
                return
            spec = self._core.next_page(spec, page.next_cursor)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> ConvoiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncConvoiClient(_ClientBase):
    """Asynchronous client with the same surface; `list_calls` is an async iterator.

    `await convoi_nb.aconnect()` gives one on the real service or the embedded sandbox, as `connect()` does.

    >>> async with AsyncConvoiClient() as client:
    ...     call = await client.create_web_call("agt_…")
    """

    def __init__(self, *, http_client: httpx.AsyncClient | None = None, **config: Any) -> None:
        super().__init__(**config)
        self._transport = AsyncTransport(self.timeout, http_client)

    async def _send(self, spec: RequestSpec) -> tuple[bytes, RawResponse, int]:
        async def attempt(number: int) -> tuple[bytes, RawResponse, int]:
            raw = await self._transport.send(spec)
            return self._core.read_body(raw, spec, number), raw, number

        return await self.retry_policy.acall(f"{spec.method} {spec.url}", attempt)

    async def create_web_call(
        self,
        agent_id: str | WebCallRequest,
        *,
        participant_name: str | None = None,
        agent_overrides: OverridesLike = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | uuid.UUID | None = None,
    ) -> Call:
        """Create a web call. Retries reuse one `Idempotency-Key`, so a retry never duplicates a call.

        `agent_id` may instead be a `WebCallRequest` from `convoi_nb.build_web_call(...)`, validated once.
        """
        spec = self._core.create_web_call(
            agent_id,
            participant_name=participant_name,
            agent_overrides=agent_overrides,
            metadata=metadata,
            idempotency_key=idempotency_key,
        )
        data, raw, attempts = await self._send(spec)
        return self._core.parse_call(data, raw, spec, attempts)

    async def get_call(self, call_id: str) -> Call:
        spec = self._core.get_call(call_id)
        data, raw, attempts = await self._send(spec)
        return self._core.parse_call(data, raw, spec, attempts)

    def list_calls(self, **filters: Unpack[ListCallsParams]) -> AsyncIterator[Call]:
        """Every matching call, newest first: `async for call in client.list_calls(...)` (filters as the sync client's)."""
        return self._iterate(self._core.list_calls(filters), Call)

    async def list_agents(self) -> list[Agent]:
        return [agent async for agent in self._iterate(self._core.list_agents(), Agent)]

    async def _iterate(self, spec: RequestSpec, item: type) -> AsyncIterator[Any]:
        while True:
            data, raw, _ = await self._send(spec)
            page = self._core.parse_page(data, raw, item)
            for entry in page.data:
                yield entry
            if not page.has_more or not page.next_cursor:
                return
            spec = self._core.next_page(spec, page.next_cursor)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncConvoiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def to_sync(self) -> ConvoiClient:
        """A new ConvoiClient with this configuration and a connection pool of its own."""
        return ConvoiClient(**self._twin_options())
