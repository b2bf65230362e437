"""The client as the layers above it use it, as protocols: they type against these, not the client classes.

The client's own methods delegate to frames and review (imported when first called), so those modules must not
import the client classes back; they name one of these protocols instead, and the import graph stays one-way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Protocol

from typing_extensions import Unpack

from ._base_client import ClientCore
from .models import Call, ListCallsParams


class CallLister(Protocol):
    """A sync client, as a consumer of its call listing sees it (`ConvoiClient` is one)."""

    _core: ClientCore

    @property
    def base_url(self) -> str:
        """The service's root URL."""
        ...

    def list_calls(self, **filters: Unpack[ListCallsParams]) -> Iterator[Call]:
        """Every matching call, newest first.

        `filters`: as `ConvoiClient.list_calls`.

        Returns:
            An iterator over the calls.
        """
        ...


class AsyncCallLister(Protocol):
    """An async client, as a consumer of its call listing sees it (`AsyncConvoiClient` is one)."""

    _core: ClientCore

    @property
    def base_url(self) -> str:
        """The service's root URL."""
        ...

    def list_calls(self, **filters: Unpack[ListCallsParams]) -> AsyncIterator[Call]:
        """Every matching call, newest first, as an async iterator.

        `filters`: as `AsyncConvoiClient.list_calls`.

        Returns:
            An async iterator over the calls.
        """
        ...
