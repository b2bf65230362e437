"""A pilot's quote: how many calls an estimate's pilot would create, and whether it must be asked for first.

`experiment.estimate(client)` predicts from finished calls, and runs a pilot (the first replicates of each
variant) when there are too few. On the embedded sandbox that costs simulated money; on the real service it is
money, so there a pilot runs only when asked for: an explicit `pilot=` (calls per variant) or `confirm=True`
(the ExperimentPanel asks with Yes/Cancel). A client counts as the real service when its URL is not on this
machine (the sandbox is always served on a loopback address) or when it asks before spending
(`confirm_runs_over` set, as `connect()` does on the real service).

The most a pilot can cost is not known in advance: the API bounds neither a call's length nor its price, and a
spend cap (`convoi_nb.budget`) projects from finished calls, which a pilot is run to get. The quote says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .._hosts import is_loopback

if TYPE_CHECKING:
    from .._client import AsyncConvoiClient, ConvoiClient

    AnyClient = ConvoiClient | AsyncConvoiClient

DEFAULT_PILOT = 2  # finished calls per variant an estimate predicts from when `pilot` is not given
PLAN_PILOT = 3  # calls per variant plan() measures the spread from when `pilot` is not given
UNBOUNDED = "the most they can cost is not known in advance: the API bounds neither a call's length nor its price"


def bills_money(client: AnyClient) -> bool:
    """Whether calls created through `client` may cost real money, so a pilot must be asked for first.

    Args:
        client: The client.

    Returns:
        True unless the client talks to this machine (the sandbox) and has no `confirm_runs_over` set.
    """
    return client.confirm_runs_over is not None or not is_loopback(urlsplit(client.base_url).hostname or "")


@dataclass(frozen=True)
class PilotQuote:
    """What a pilot would create before an estimate.

    Attributes:
        experiment: The experiment's name.
        calls: Calls the pilot would create (0: its cells exist already; it only waits for them).
        per_variant: Replicates per variant the pilot completes.
        variants: Variants in the experiment.
        where: The service's URL.
        paid: Whether the calls may cost real money (see `bills_money`).
    """

    experiment: str
    calls: int
    per_variant: int
    variants: int
    where: str
    paid: bool

    @property
    def needs_asking(self) -> bool:
        """Whether the pilot creates calls that may cost money, so it runs only when asked for."""
        return self.paid and self.calls > 0

    def _calls(self) -> str:
        return f"{self.calls} call{'s' if self.calls != 1 else ''} (up to {self.per_variant} per variant)"

    def refusal(self, doing: str = "experiment.estimate()") -> str:
        """Why `estimate()` (or `plan()`) created nothing, and how to run the pilot.

        Args:
            doing: What the user called.

        Returns:
            The message.
        """
        return (
            f"{doing} would first run a pilot of {self._calls()} on {self.where}, which may bill "
            f"real money; {UNBOUNDED}. Nothing was created: pass pilot={self.per_variant} (calls per variant) or "
            "confirm=True to run it"
        )

    def question(self, before: str = "Estimate") -> str:
        """What the ExperimentPanel asks before running the pilot.

        Args:
            before: What needs the pilot ("Estimate", "Run with a Budget").

        Returns:
            The question.
        """
        return (
            f"{before} runs a pilot first: {self._calls()} on {self.where}, billed. The most they can cost is "
            "unknown (no per-call limit). Run the pilot?"
        )
