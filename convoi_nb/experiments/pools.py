"""Which async client an experiment's coroutines send through: the caller's own, or a twin with a pool of its own.

An `httpx.AsyncClient` belongs to the event loop that first used it. Awaited in the caller's loop
(`await experiment.arun(async_client)`, `await results.wait_async()`), an `AsyncConvoiClient` serves as it is, your
own `http_client` included. Where the package runs a loop of its own (`run()`, `wait()`, `estimate()`, `plan()`),
it needs a twin with a pool of its own (`client.to_async()`), which a client built on your own `http_client` cannot
give without dropping your settings: that is refused at once, with the way to do it instead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from ..errors import ConfigurationError, ValidationError

if TYPE_CHECKING:
    from .._client import AsyncConvoiClient, ConvoiClient

    AnyClient = ConvoiClient | AsyncConvoiClient

ASYNC_RUN = "`results = await experiment.arun(client.to_async(http_client=httpx.AsyncClient(...)))`"
ASYNC_WAIT = (
    "`await results.wait_async()` on results of an async client "
    "(`experiment.results(client.to_async(http_client=httpx.AsyncClient(...)))`)"
)


def check_client(client: object, *, sync_only: bool = False) -> None:
    """Refuse anything but a convoi_nb client.

    Args:
        client: What was passed as `client`.
        sync_only: Only a `ConvoiClient` will do (code that calls it without awaiting).

    Raises:
        ValidationError: It is not a `ConvoiClient` (or `AsyncConvoiClient`, unless `sync_only`).
    """
    from .._client import AsyncConvoiClient, ConvoiClient

    allowed = (ConvoiClient,) if sync_only else (ConvoiClient, AsyncConvoiClient)
    if not isinstance(client, allowed):
        wanted = " or ".join(kind.__name__ for kind in allowed)
        raise ValidationError.of_field("argument", "client", f"must be a {wanted}, got {type(client).__name__}")


def _yours(client: AnyClient) -> str | None:
    """The class name of the user's own httpx client, or None for a pool of the client's own."""
    from .._client import AsyncConvoiClient

    if not client.shares_http_client:
        return None
    return "httpx.AsyncClient" if isinstance(client, AsyncConvoiClient) else "httpx.Client"


def check_own_loop(client: AnyClient, doing: str, instead: str = ASYNC_RUN) -> None:
    """Refuse, before anything is sent, a client on your own httpx client where the package runs its own loop.

    Args:
        client: The client given.
        doing: What runs the loop, e.g. "experiment.run()".
        instead: The call to make instead.

    Raises:
        ConfigurationError: The client sends through your own httpx client.
    """
    yours = _yours(client)
    if yours is not None:
        raise ConfigurationError(
            f"{doing} sends its requests concurrently on an event loop of its own, through an async connection pool "
            f"of its own, and this client sends through your own {yours}, whose settings (proxies, certificates, "
            f"event hooks) must not be dropped: in async code use {instead}, with an httpx.AsyncClient configured "
            "like yours"
        )


def check_sync_in_async(client: AnyClient, doing: str) -> None:
    """Refuse, before anything is sent, a sync client on your own httpx client where async requests are needed.

    Args:
        client: The client given.
        doing: What sends, e.g. "experiment.arun()".

    Raises:
        ConfigurationError: A sync client that sends through your own httpx client.
    """
    from .._client import AsyncConvoiClient

    yours = _yours(client)
    if yours is not None and not isinstance(client, AsyncConvoiClient):
        raise ConfigurationError(
            f"{doing} sends its requests concurrently on an async connection pool, and this sync client sends "
            f"through your own {yours}, which cannot serve it: pass an AsyncConvoiClient on an httpx.AsyncClient "
            "configured like yours, e.g. `client.to_async(http_client=httpx.AsyncClient(...))`"
        )


@asynccontextmanager
async def async_api(client: AnyClient, *, own_loop: bool, doing: str) -> AsyncIterator[AsyncConvoiClient]:
    """The async client to send through, for the `async with` block.

    Args:
        client: The client given.
        own_loop: Whether the block runs on a loop the package started (then a twin is made, and closed after).
        doing: What sends, for the error.

    Yields:
        The caller's own `AsyncConvoiClient` (in the caller's loop; never closed here), or a twin.

    Raises:
        ConfigurationError: A twin is needed and the client sends through your own httpx client.
    """
    from .._client import AsyncConvoiClient

    if not own_loop and isinstance(client, AsyncConvoiClient):
        yield client
        return
    if own_loop:
        check_own_loop(client, doing)
    check_sync_in_async(client, doing)
    async with client.to_async() as api:
        yield api
