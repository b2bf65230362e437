"""What running an experiment needs of its design: the cells, their keys, tags and requests, and its store.

`Experiment` is one; the runner and the reconciliation with the server depend on this protocol, not on
`Experiment`, so the design's module can use them without a circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..models import WebCallRequest
    from .store import ResultsStore
    from .variants import Variant


class Design(Protocol):
    """An experiment's design, as a runner sees it (see `Experiment` for each member).

    Attributes:
        name: The experiment's name.
        agent_id: The agent called.
        variants: The variants, in order.
        replicates: Calls per variant.
    """

    name: str
    agent_id: str
    variants: list[Variant]
    replicates: int

    def variant(self, name: str) -> Variant:
        """The variant named `name`.

        Args:
            name: A variant's name.

        Returns:
            The variant.
        """

    def idempotency_key(self, variant: Variant, replicate: int, kind: str = ...) -> str:
        """The cell's idempotency key.

        Args:
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            kind: The cell's kind.

        Returns:
            The key.
        """

    def call_metadata(self, variant: Variant, replicate: int, kind: str = ...) -> dict[str, Any]:
        """The cell's call metadata.

        Args:
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            kind: The cell's kind.

        Returns:
            The metadata.
        """

    def request(self, variant: Variant, replicate: int, kind: str = ...) -> WebCallRequest:
        """The cell's create request.

        Args:
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            kind: The cell's kind.

        Returns:
            The request.
        """

    def register(self, store: ResultsStore) -> None:
        """Record the design in `store`.

        Args:
            store: The results store.
        """

    def _open_store(self) -> ResultsStore:
        """The results store, checked against the design."""
