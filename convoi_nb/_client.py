"""`ConvoiClient` and `AsyncConvoiClient`: one surface, two thin faces over `ClientCore`.

Every public method is defined here, in the class bodies. The ones that build on other layers (`calls_frame`,
`export_calls`) delegate to them, importing them on first use: pandas code and the review's DuckDB and pyarrow
load only when called, and those layers never import this module back.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr
from typing_extensions import Unpack

from ._base_client import ClientCore, OverridesLike
from ._config import ClientConfig, KeyLike, as_secret
from ._retry import RetryPolicy
from ._transport import AsyncTransport, RawResponse, RequestSpec, SyncTransport
from .budget import check_threshold
from .errors import ConfigurationError, ValidationError
from .models import Agent, Call, ListCallsParams, WebCallRequest

if TYPE_CHECKING:
    import httpx
    import pandas as pd

    from .review.export import ExportSummary

PathLike = str | os.PathLike[str]


def _check_path(path: object) -> None:
    if not isinstance(path, (str, os.PathLike)):
        raise ValidationError.of_field(
            "export", "path", f"must be a folder path (str or pathlib.Path), got a {type(path).__name__}"
        )


def _review_export() -> ModuleType:
    """`convoi_nb.review.export`, imported on first use (its package names the extra to install if it is missing)."""
    return importlib.import_module(".review.export", __package__)


class _ClientBase:
    """Configuration, repr, the read-only settings and the twins both faces share."""

    _core: ClientCore
    _transport: SyncTransport | AsyncTransport

    def _configure(
        self,
        key: SecretStr | None,
        *,
        base_url: str | None,
        timeout: float | None,
        max_retries: int | None,
        retry: RetryPolicy | None,
        confirm_runs_over: int | None,
        allow_insecure: bool,
    ) -> None:
        config = ClientConfig.resolve(
            api_key=key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            allow_insecure=allow_insecure,
        )
        self._core = ClientCore(config)
        self._allow_insecure = allow_insecure
        # Experiment runs creating more calls than this print their estimated cost and need max_cost or
        # confirm=True; connect() sets it on the real service (None: never asked). The rule is budget's.
        self.confirm_runs_over = check_threshold(confirm_runs_over)

    @property
    def base_url(self) -> str:
        """The service's root URL, without a trailing slash."""
        return self._core.config.base_url

    @property
    def timeout(self) -> float:
        """Seconds one request attempt may take as a whole."""
        return self._core.config.timeout

    @property
    def retry_policy(self) -> RetryPolicy:
        """Which failures are retried, how often and how long apart."""
        return self._core.config.retry

    def __repr__(self) -> str:
        # Safe on a client whose constructor failed: a traceback with locals shows `self` from inside __init__.
        core = getattr(self, "_core", None)
        where = repr(core.config.base_url) if core is not None else "<not configured>"
        return f"{type(self).__name__}(base_url={where}, api_key='***')"

    def _twin_options(self) -> dict[str, Any]:
        config = self._core.config
        return {
            "api_key": config.api_key,  # stays a SecretStr: the twin never sees the key in clear
            "base_url": config.base_url,
            "timeout": config.timeout,
            "retry": config.retry,
            "confirm_runs_over": self.confirm_runs_over,
            "allow_insecure": self._allow_insecure,
        }

    @property
    def shares_http_client(self) -> bool:
        """Whether this client sends through the `http_client=` you gave it, rather than a pool of its own.

        That HTTP client is yours: this client (and any same-face twin made from it) shares its pool, and never
        closes it. Code that needs a pool of its own, such as an experiment's event loop, can ask this first.
        """
        return self._transport.user_client is not None

    def to_async(self, *, http_client: httpx.AsyncClient | None = None) -> AsyncConvoiClient:
        """A new `AsyncConvoiClient` with this configuration, from either face.

        Code that runs its own event loop, as experiments do, needs an async client whose pool belongs to that loop.

        Args:
            http_client: the `httpx.AsyncClient` to send through. None: an async client that sends through your own
                `httpx.AsyncClient` gives its twin that same client (sharing its pool, which you keep and close; like
                any `httpx.AsyncClient`, use it on the event loop that first used it); a sync one sending through
                your own `httpx.Client` refuses (a sync client cannot serve async requests, and your proxies or
                certificates must not be dropped silently); otherwise the twin gets a connection pool of its own.

        Returns:
            The async client; close it with `await client.aclose()` (your own `http_client` stays open).

        Raises:
            ConfigurationError: this sync client uses your own `httpx.Client` and no `http_client` was given.

        Examples:
            >>> import asyncio, convoi_nb
            >>> client = convoi_nb.connect()
            >>> twin = client.to_async()  # the same key, URL, timeout and retries; a pool of its own
            >>> async def names():
            ...     try:
            ...         return [agent.name for agent in await twin.list_agents()]
            ...     finally:
            ...         await twin.aclose()
            >>> asyncio.run(names()) == [agent.name for agent in client.list_agents()]
            True
        """
        if http_client is None and isinstance(self._transport, AsyncTransport):
            http_client = self._transport.user_client  # same face: your client serves the twin too
        elif http_client is None and self._transport.user_client is not None:
            raise _no_twin_for("httpx.Client", "AsyncConvoiClient", "to_async(http_client=httpx.AsyncClient(...))")
        return AsyncConvoiClient(http_client=http_client, **self._twin_options())

    def to_sync(self, *, http_client: httpx.Client | None = None) -> ConvoiClient:
        """A new `ConvoiClient` with this configuration, from either face.

        Args:
            http_client: the `httpx.Client` to send through. None: a sync client that sends through your own
                `httpx.Client` gives its twin that same client (sharing its pool, which you keep and close); an
                async one sending through your own `httpx.AsyncClient` refuses (an async client cannot serve sync
                requests, and your proxies or certificates must not be dropped silently); otherwise the twin gets
                a connection pool of its own.

        Returns:
            The sync client; close it with `client.close()` (your own `http_client` stays open).

        Raises:
            ConfigurationError: this async client uses your own `httpx.AsyncClient` and no `http_client` was given.
        """
        if http_client is None and isinstance(self._transport, SyncTransport):
            http_client = self._transport.user_client  # same face: your client serves the twin too
        elif http_client is None and self._transport.user_client is not None:
            raise _no_twin_for("httpx.AsyncClient", "ConvoiClient", "to_sync(http_client=httpx.Client(...))")
        return ConvoiClient(http_client=http_client, **self._twin_options())


def _no_twin_for(yours: str, twin: str, wanted: str) -> ConfigurationError:
    return ConfigurationError(
        f"this client sends through your own {yours}, which cannot send the requests of the {twin} it would make; "
        f"pass {wanted} configured the same way (proxies, certificates, event hooks) as http_client=, so your "
        "settings are not silently dropped"
    )


class ConvoiClient(_ClientBase):
    """Synchronous client. Use as a context manager, or call `close()`, to release connections.

    `convoi_nb.connect()` builds one from the environment (or on the embedded sandbox); build one yourself for the
    real service with `ConvoiClient(api_key="sk_…", base_url="https://…")`.

    Args:
        api_key: the API key (a string or a `pydantic.SecretStr`); `CONVOI_API_KEY` when None.
        base_url: the service's URL; `CONVOI_BASE_URL` when None. Must be `https://`, except to this machine
            (localhost, 127.0.0.0/8, ::1).
        timeout: seconds one request attempt may take as a whole (connect, send, answer); 30 when None.
        max_retries: retries after a failed attempt (connection errors, timeouts, 408, 429, 5xx); 3 when None.
        retry: the whole retry policy (backoff, `Retry-After` cap); `max_retries` overrides its count.
        confirm_runs_over: experiment runs creating more calls than this show their estimated cost first and need
            `max_cost=` or `confirm=True`; None never asks.
        allow_insecure: accept a plain `http://` URL to another host (the key then travels unencrypted).
        http_client: your own `httpx.Client` (proxies, certificates, event hooks); never closed by this client.

    Examples:
        >>> from convoi_nb import ConvoiClient
        >>> from convoi_nb.sandbox import Sandbox
        >>> with Sandbox() as sandbox, ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
        ...     agent = client.list_agents()[0]
        ...     call = client.create_web_call(agent.id, metadata={"source": "notebook"})
        >>> call.status, call.metadata
        ('initiated', {'source': 'notebook'})
        >>> client  # the key never shows
        ConvoiClient(base_url='http://127.0.0.1:...', api_key='***')
    """

    _transport: SyncTransport

    def __init__(
        self,
        *,
        api_key: KeyLike | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        confirm_runs_over: int | None = None,
        allow_insecure: bool = False,
        http_client: httpx.Client | None = None,
    ) -> None:
        key = as_secret(api_key)
        del api_key  # only the masked form from here on: no traceback's locals show the key
        self._configure(
            key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            confirm_runs_over=confirm_runs_over,
            allow_insecure=allow_insecure,
        )
        self._transport = SyncTransport(self.timeout, self._core.config.api_key, http_client)

    def _send(self, spec: RequestSpec) -> tuple[RawResponse, int]:
        def attempt(number: int) -> tuple[RawResponse, int]:
            return self._core.check(self._transport.send(spec), spec, number), number

        return self.retry_policy.call(f"{spec.method} {spec.url}", attempt)

    def create_web_call(
        self,
        agent_id: str | WebCallRequest,
        *,
        participant_name: str | None = None,
        agent_overrides: OverridesLike = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | uuid.UUID | None = None,
        allow_extra: bool = False,
    ) -> Call:
        """Create a web call. Retries reuse one `Idempotency-Key`, so a retry never duplicates a call.

        Args:
            agent_id: the agent that answers (`agt_…`), or a `WebCallRequest` from `convoi_nb.build_web_call(...)`,
                validated once (then pass none of the fields below).
            participant_name: the caller's display name in LiveKit.
            agent_overrides: settings that replace the agent's defaults for this call: an `AgentOverrides`, or its
                JSON-shaped dict (`{"llm": {"temperature": 0.3}}`).
            metadata: your own JSON values, kept with the call and filterable in `list_calls(metadata=...)`.
            idempotency_key: a UUID; the same key and body return the original call instead of a new one.
            allow_extra: send llm/tts/stt settings convoi_nb does not know, and model or voice names outside its
                catalog (`convoi_nb.models.catalog`), as given; by default each is refused with the closest known one.

        Returns:
            The new call (`call.request_info` says how many attempts it took).

        Raises:
            ValidationError: a bad field, named with its rule; nothing was sent.
            APIStatusError: the service refused (a subclass per status: `NotFoundError`, ...).
            APIConnectionError: no answer after the retries.

        Examples:
            >>> import uuid, convoi_nb
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> key = uuid.uuid4()
            >>> fields = dict(
            ...     participant_name="Ada",
            ...     agent_overrides={"llm": {"temperature": 0.3}},
            ...     metadata={"source": "docs"},
            ... )
            >>> call = client.create_web_call(agent.id, idempotency_key=key, **fields)
            >>> call.id, call.status, call.livekit.masked_token
            ('call_...', 'initiated', '... (masked)')
            >>> again = client.create_web_call(agent.id, idempotency_key=key, **fields)
            >>> again.id == call.id, again.request_info.replayed  # the same key and body: the same call
            (True, True)
            >>> client.create_web_call(agent.id, agent_overrides={"llm": {"modle": "gpt-4o"}})
            Traceback (most recent call last):
            ...
            convoi_nb.errors.ValidationError: ... did you mean 'model'?...
        """
        spec = self._core.create_web_call(
            agent_id,
            participant_name=participant_name,
            agent_overrides=agent_overrides,
            metadata=metadata,
            idempotency_key=idempotency_key,
            allow_extra=allow_extra,
        )
        raw, attempts = self._send(spec)
        return self._core.parse_call(raw, spec, attempts)

    def get_call(self, call_id: str) -> Call:
        """The call as it is now (status, duration, cost).

        Args:
            call_id: the call's id (`call_…`).

        Returns:
            The call.

        Raises:
            ValidationError: `call_id` does not look like a call id; nothing was sent.
            NotFoundError: no such call on this account.

        Examples:
            >>> import time, convoi_nb
            >>> client = convoi_nb.connect()
            >>> call = client.create_web_call(client.list_agents()[0].id)
            >>> while not call.is_terminal:  # initiated → in_progress → ended (or failed, expired)
            ...     time.sleep(0.05)
            ...     call = client.get_call(call.id)
            >>> call.status in ("ended", "failed", "expired"), call.cost.currency
            (True, 'USD')
        """
        spec = self._core.get_call(call_id)
        raw, attempts = self._send(spec)
        return self._core.parse_call(raw, spec, attempts)

    def list_calls(self, **filters: Unpack[ListCallsParams]) -> Iterator[Call]:
        """Every matching call, newest first, fetching pages lazily as you iterate.

        `filters`: `agent_id`, `status`, `created_after` / `created_before` (aware datetimes or ISO 8601),
        `metadata` (typed equality per key), `page_size` (1-100).

        Returns:
            An iterator over the calls.

        Raises:
            ValidationError: an unknown or bad filter, raised here, before any request.

        Examples:
            >>> import convoi_nb
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> made = [client.create_web_call(agent.id, metadata={"batch": "list-example"}).id for _ in range(3)]
            >>> found = [call.id for call in client.list_calls(metadata={"batch": "list-example"}, page_size=2)]
            >>> sorted(found) == sorted(made)  # every page, two calls at a time
            True
        """
        return self._iterate(self._core.list_calls(filters), Call)

    def list_agents(self) -> list[Agent]:
        """The agents on this account, with their default settings.

        Returns:
            The agents.

        Examples:
            >>> import convoi_nb
            >>> client = convoi_nb.connect()
            >>> [(agent.name, agent.llm["model"]) for agent in client.list_agents()]  # the sandbox's three
            [('Support Desk', 'gpt-4o-mini'), ('Sales Concierge', 'gpt-4o'), ('Clinic Scheduler', 'gpt-4.1-mini')]
        """
        return list(self._iterate(self._core.list_agents(), Agent))

    def calls_frame(self, *, include_tokens: bool = False, **filters: Unpack[ListCallsParams]) -> pd.DataFrame:
        """`list_calls(**filters)`, every page, as a typed DataFrame (see `convoi_nb.calls_to_frame`).

        `filters`: as `list_calls`.

        Args:
            include_tokens: keep the full LiveKit tokens (masked by default).

        Returns:
            One row per call.

        Examples:
            >>> import convoi_nb
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> _ = [client.create_web_call(agent.id, metadata={"batch": "frame-example", "n": n}) for n in range(2)]
            >>> frame = client.calls_frame(metadata={"batch": "frame-example"})
            >>> frame[["status", "metadata.n"]]
              status  metadata.n
            0  ...           1
            1  ...           0
            >>> bool(frame["livekit_token"].str.endswith("(masked)").all())  # tokens masked unless include_tokens=True
            True
        """
        from .frames import calls_to_frame

        return calls_to_frame(self.list_calls(**filters), include_tokens=include_tokens)

    def export_calls(
        self, path: PathLike, *, concurrency: int | None = None, **filters: Unpack[ListCallsParams]
    ) -> ExportSummary:
        """Stream the matching calls into a Parquet dataset in the folder `path`, one file per UTC day.

        The UTC days are listed `concurrency` at a time; calls created while it runs are left to the next run.
        Resumable and incremental: run it again to finish an interrupted export or bring it up to date. Needs
        the `review` extra (`pip install "convoi_nb[review]"`); read it with `convoi_nb.review.Review(path)`.

        `filters`: as `list_calls` (except `created_after`/`created_before`, which the export manages).

        Args:
            path: the export folder (created if missing); nothing is written outside it.
            concurrency: UTC days listed at once, so requests in flight at most (1 to 64; default 8).

        Returns:
            What the run wrote.

        Raises:
            ConfigurationError: the `review` extra (pyarrow, DuckDB) is not installed.

        Examples:
            >>> import convoi_nb
            >>> client = convoi_nb.connect()
            >>> _ = client.create_web_call(client.list_agents()[0].id, metadata={"batch": "export-example"})
            >>> summary = client.export_calls("calls", metadata={"batch": "export-example"})
            >>> summary.calls
            1
            >>> int(convoi_nb.review.Review("calls").cost_by("agent")["calls"].sum())
            1
        """
        _check_path(path)
        summary: ExportSummary = _review_export().export_calls(self, path, concurrency=concurrency, **filters)
        return summary

    def _iterate(self, spec: RequestSpec, item: type) -> Iterator[Any]:
        while True:
            page = self._core.parse_page(self._send(spec)[0], item)
            yield from page.data
            if not page.has_more or not page.next_cursor:
                return
            spec = self._core.next_page(spec, page.next_cursor)

    def close(self) -> None:
        """Release the connections (your own `http_client` stays open).

        Examples:
            >>> import convoi_nb
            >>> client = convoi_nb.connect()
            >>> client.close()  # or: with convoi_nb.connect() as client: ...
        """
        self._transport.close()

    def __enter__(self) -> ConvoiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncConvoiClient(_ClientBase):
    """Asynchronous client with the same surface; `list_calls` is an async iterator.

    `await convoi_nb.aconnect()` gives one on the real service or the embedded sandbox, as `connect()` does.

    Args:
        api_key: the API key (a string or a `pydantic.SecretStr`); `CONVOI_API_KEY` when None.
        base_url: the service's URL; `CONVOI_BASE_URL` when None. Must be `https://`, except to this machine
            (localhost, 127.0.0.0/8, ::1).
        timeout: seconds one request attempt may take as a whole (connect, send, answer); 30 when None.
        max_retries: retries after a failed attempt (connection errors, timeouts, 408, 429, 5xx); 3 when None.
        retry: the whole retry policy (backoff, `Retry-After` cap); `max_retries` overrides its count.
        confirm_runs_over: experiment runs creating more calls than this show their estimated cost first and need
            `max_cost=` or `confirm=True`; None never asks.
        allow_insecure: accept a plain `http://` URL to another host (the key then travels unencrypted).
        http_client: your own `httpx.AsyncClient`; never closed by this client.

    Examples:
        In a notebook, `await` works at the top level of a cell; in a script, inside `asyncio.run(...)`:

        >>> import asyncio, convoi_nb
        >>> async def main():
        ...     async with await convoi_nb.aconnect() as client:
        ...         agent = (await client.list_agents())[0]
        ...         call = await client.create_web_call(agent.id, metadata={"source": "async-example"})
        ...         listed = [c.id async for c in client.list_calls(metadata={"source": "async-example"})]
        ...         return call.id in listed, type(client).__name__
        >>> asyncio.run(main())
        (True, 'AsyncConvoiClient')
    """

    _transport: AsyncTransport

    def __init__(
        self,
        *,
        api_key: KeyLike | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        retry: RetryPolicy | None = None,
        confirm_runs_over: int | None = None,
        allow_insecure: bool = False,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        key = as_secret(api_key)
        del api_key  # only the masked form from here on: no traceback's locals show the key
        self._configure(
            key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            confirm_runs_over=confirm_runs_over,
            allow_insecure=allow_insecure,
        )
        self._transport = AsyncTransport(self.timeout, self._core.config.api_key, http_client)

    async def _send(self, spec: RequestSpec) -> tuple[RawResponse, int]:
        async def attempt(number: int) -> tuple[RawResponse, int]:
            return self._core.check(await self._transport.send(spec), spec, number), number

        return await self.retry_policy.acall(f"{spec.method} {spec.url}", attempt)

    async def create_web_call(
        self,
        agent_id: str | WebCallRequest,
        *,
        participant_name: str | None = None,
        agent_overrides: OverridesLike = None,
        metadata: Mapping[str, Any] | None = None,
        idempotency_key: str | uuid.UUID | None = None,
        allow_extra: bool = False,
    ) -> Call:
        """Create a web call. Retries reuse one `Idempotency-Key`, so a retry never duplicates a call.

        Args:
            agent_id: the agent that answers (`agt_…`), or a `WebCallRequest` from `convoi_nb.build_web_call(...)`,
                validated once (then pass none of the fields below).
            participant_name: the caller's display name in LiveKit.
            agent_overrides: settings that replace the agent's defaults for this call: an `AgentOverrides`, or its
                JSON-shaped dict (`{"llm": {"temperature": 0.3}}`).
            metadata: your own JSON values, kept with the call and filterable in `list_calls(metadata=...)`.
            idempotency_key: a UUID; the same key and body return the original call instead of a new one.
            allow_extra: send llm/tts/stt settings convoi_nb does not know, and model or voice names outside its
                catalog (`convoi_nb.models.catalog`), as given; by default each is refused with the closest known one.

        Returns:
            The new call (`call.request_info` says how many attempts it took).

        Raises:
            ValidationError: a bad field, named with its rule; nothing was sent.
            APIStatusError: the service refused (a subclass per status: `NotFoundError`, ...).
            APIConnectionError: no answer after the retries.
        """
        spec = self._core.create_web_call(
            agent_id,
            participant_name=participant_name,
            agent_overrides=agent_overrides,
            metadata=metadata,
            idempotency_key=idempotency_key,
            allow_extra=allow_extra,
        )
        raw, attempts = await self._send(spec)
        return self._core.parse_call(raw, spec, attempts)

    async def get_call(self, call_id: str) -> Call:
        """The call as it is now (status, duration, cost).

        Args:
            call_id: the call's id (`call_…`).

        Returns:
            The call.

        Raises:
            ValidationError: `call_id` does not look like a call id; nothing was sent.
            NotFoundError: no such call on this account.
        """
        spec = self._core.get_call(call_id)
        raw, attempts = await self._send(spec)
        return self._core.parse_call(raw, spec, attempts)

    def list_calls(self, **filters: Unpack[ListCallsParams]) -> AsyncIterator[Call]:
        """Every matching call, newest first: `async for call in client.list_calls(...)`.

        `filters`: as `ConvoiClient.list_calls`.

        Returns:
            An async iterator over the calls.

        Raises:
            ValidationError: an unknown or bad filter, raised here, before any request.
        """
        return self._iterate(self._core.list_calls(filters), Call)

    async def list_agents(self) -> list[Agent]:
        """The agents on this account, with their default settings.

        Returns:
            The agents.
        """
        return [agent async for agent in self._iterate(self._core.list_agents(), Agent)]

    async def calls_frame(self, *, include_tokens: bool = False, **filters: Unpack[ListCallsParams]) -> pd.DataFrame:
        """`list_calls(**filters)`, every page, as a typed DataFrame (see `convoi_nb.calls_to_frame`).

        `filters`: as `list_calls`.

        Args:
            include_tokens: keep the full LiveKit tokens (masked by default).

        Returns:
            One row per call.
        """
        from .frames import calls_to_frame, check_include_tokens

        check_include_tokens(include_tokens)  # before any page is fetched
        calls = self.list_calls(**filters)
        return calls_to_frame([call async for call in calls], include_tokens=include_tokens)

    async def export_calls(
        self, path: PathLike, *, concurrency: int | None = None, **filters: Unpack[ListCallsParams]
    ) -> ExportSummary:
        """Stream the matching calls into a Parquet dataset in the folder `path`, one file per UTC day.

        As `ConvoiClient.export_calls`; the days are listed as tasks on this event loop.

        `filters`: as `list_calls` (except `created_after`/`created_before`, which the export manages).

        Args:
            path: the export folder (created if missing); nothing is written outside it.
            concurrency: UTC days listed at once, so requests in flight at most (1 to 64; default 8).

        Returns:
            What the run wrote.

        Raises:
            ConfigurationError: the `review` extra (pyarrow, DuckDB) is not installed.
        """
        _check_path(path)
        summary: ExportSummary = await _review_export().aexport_calls(self, path, concurrency=concurrency, **filters)
        return summary

    async def _iterate(self, spec: RequestSpec, item: type) -> AsyncIterator[Any]:
        while True:
            page = self._core.parse_page((await self._send(spec))[0], item)
            for entry in page.data:
                yield entry
            if not page.has_more or not page.next_cursor:
                return
            spec = self._core.next_page(spec, page.next_cursor)

    async def aclose(self) -> None:
        """Release the connections (your own `http_client` stays open)."""
        await self._transport.aclose()

    async def __aenter__(self) -> AsyncConvoiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
