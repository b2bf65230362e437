"""`ConvoiClient` and `AsyncConvoiClient`: one surface, two thin faces over `ClientCore`."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator, Mapping, Optional, Union

import tenacity

from ._base_client import ClientCore, OverridesInput
from ._config import ClientConfig
from ._retry import RetryPolicy
from ._transport import AsyncTransport, RawResponse, RequestSpec, SyncTransport
from .models import Agent, Call

if TYPE_CHECKING:
    import httpx
    import pandas as pd


class _Face:
    """Configuration, repr and shared properties of both clients."""

    _core: ClientCore

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry: Optional[RetryPolicy] = None,
    ) -> None:
        config = ClientConfig.resolve(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries, retry=retry
        )
        self._core = ClientCore(config)

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

    def to_async(self) -> "AsyncConvoiClient":
        """A new AsyncConvoiClient with this configuration and a connection pool of its own."""
        clone = AsyncConvoiClient.__new__(AsyncConvoiClient)
        clone._core = ClientCore(self._core.config)
        clone._transport = AsyncTransport(self.timeout)
        return clone


class ConvoiClient(_Face):
    """Synchronous client. Use as a context manager, or call `close()`, to release connections.

    >>> with ConvoiClient(api_key="sk_…", base_url="https://…") as client:
    ...     call = client.create_web_call("agt_…", metadata={"source": "notebook"})
    """

    def __init__(self, *, http_client: "Optional[httpx.Client]" = None, **config: Any) -> None:
        super().__init__(**config)
        self._transport = SyncTransport(self.timeout, http_client)

    def _send(self, spec: RequestSpec) -> tuple[Any, RawResponse, int]:
        for attempt in tenacity.Retrying(**self._core.retrying_kwargs(spec)):
            with attempt:
                number = attempt.retry_state.attempt_number
                raw = self._transport.send(spec)
                return self._core.check(raw, spec, number), raw, number
        raise AssertionError("unreachable: tenacity reraises the last error")

    def create_web_call(
        self,
        agent_id: str,
        *,
        participant_name: Optional[str] = None,
        agent_overrides: OverridesInput = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Union[str, uuid.UUID, None] = None,
    ) -> Call:
        """Create a web call. Retries reuse one `Idempotency-Key`, so a retry never duplicates a call."""
        spec = self._core.create_web_call(
            agent_id, participant_name=participant_name, agent_overrides=agent_overrides,
            metadata=metadata, idempotency_key=idempotency_key,
        )
        data, raw, attempts = self._send(spec)
        return self._core.call(data, raw, spec, attempts)

    def get_call(self, call_id: str) -> Call:
        spec = self._core.get_call(call_id)
        data, raw, attempts = self._send(spec)
        return self._core.call(data, raw, spec, attempts)

    def list_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        created_after: Union[datetime, str, None] = None,
        created_before: Union[datetime, str, None] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        page_size: int = 100,
    ) -> Iterator[Call]:
        """Every matching call, newest first, fetching pages lazily as you iterate."""
        spec = self._core.list_calls(
            agent_id=agent_id, status=status, created_after=created_after,
            created_before=created_before, metadata=metadata, page_size=page_size,
        )
        return self._iterate(spec, Call)

    def list_agents(self) -> list[Agent]:
        """The agents on this account, with their default settings."""
        return list(self._iterate(self._core.list_agents(), Agent))

    def calls_frame(self, *, include_tokens: bool = False, **filters: Any) -> "pd.DataFrame":
        """`list_calls(**filters)`, every page, straight into a typed DataFrame (see `frames.calls_to_frame`)."""
        from .frames import calls_to_frame

        return calls_to_frame(self.list_calls(**filters), include_tokens=include_tokens)

    def _iterate(self, spec: RequestSpec, item: type) -> Iterator[Any]:
        while True:
            data, raw, _ = self._send(spec)
            page = self._core.page(data, raw, item)
            yield from page.data
            if not page.has_more or not page.next_cursor:
                return
            spec = self._core.next_page(spec, page.next_cursor)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> "ConvoiClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncConvoiClient(_Face):
    """Asynchronous client with the same surface; `list_calls` is an async iterator.

    >>> async with AsyncConvoiClient() as client:
    ...     call = await client.create_web_call("agt_…")
    """

    def __init__(self, *, http_client: "Optional[httpx.AsyncClient]" = None, **config: Any) -> None:
        super().__init__(**config)
        self._transport = AsyncTransport(self.timeout, http_client)

    async def _send(self, spec: RequestSpec) -> tuple[Any, RawResponse, int]:
        async for attempt in tenacity.AsyncRetrying(**self._core.retrying_kwargs(spec)):
            with attempt:
                number = attempt.retry_state.attempt_number
                raw = await self._transport.send(spec)
                return self._core.check(raw, spec, number), raw, number
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def create_web_call(
        self,
        agent_id: str,
        *,
        participant_name: Optional[str] = None,
        agent_overrides: OverridesInput = None,
        metadata: Optional[Mapping[str, Any]] = None,
        idempotency_key: Union[str, uuid.UUID, None] = None,
    ) -> Call:
        """Create a web call. Retries reuse one `Idempotency-Key`, so a retry never duplicates a call."""
        spec = self._core.create_web_call(
            agent_id, participant_name=participant_name, agent_overrides=agent_overrides,
            metadata=metadata, idempotency_key=idempotency_key,
        )
        data, raw, attempts = await self._send(spec)
        return self._core.call(data, raw, spec, attempts)

    async def get_call(self, call_id: str) -> Call:
        spec = self._core.get_call(call_id)
        data, raw, attempts = await self._send(spec)
        return self._core.call(data, raw, spec, attempts)

    def list_calls(
        self,
        *,
        agent_id: Optional[str] = None,
        status: Optional[str] = None,
        created_after: Union[datetime, str, None] = None,
        created_before: Union[datetime, str, None] = None,
        metadata: Optional[Mapping[str, Any]] = None,
        page_size: int = 100,
    ) -> AsyncIterator[Call]:
        """Every matching call, newest first: `async for call in client.list_calls(...)`."""
        spec = self._core.list_calls(
            agent_id=agent_id, status=status, created_after=created_after,
            created_before=created_before, metadata=metadata, page_size=page_size,
        )
        return self._iterate(spec, Call)

    async def list_agents(self) -> list[Agent]:
        return [agent async for agent in self._iterate(self._core.list_agents(), Agent)]

    async def calls_frame(self, *, include_tokens: bool = False, **filters: Any) -> "pd.DataFrame":
        """`list_calls(**filters)`, every page, into a typed DataFrame."""
        from .frames import calls_to_frame

        return calls_to_frame([c async for c in self.list_calls(**filters)], include_tokens=include_tokens)

    async def _iterate(self, spec: RequestSpec, item: type) -> AsyncIterator[Any]:
        while True:
            data, raw, _ = await self._send(spec)
            page = self._core.page(data, raw, item)
            for entry in page.data:
                yield entry
            if not page.has_more or not page.next_cursor:
                return
            spec = self._core.next_page(spec, page.next_cursor)

    async def aclose(self) -> None:
        await self._transport.aclose()

    async def __aenter__(self) -> "AsyncConvoiClient":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
