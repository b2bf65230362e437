"""The sequential decision: after each wave, which variants are clearly worse, and whether the experiment can stop.

(Skeleton: the design notes are filled in with the implementation.)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..money import Money

RUNNING = "running"
WINNER = "winner"
EQUIVALENT = "equivalent"
BUDGET = "budget"
MAX_REPLICATES = "max_replicates"
STATUSES = (RUNNING, WINNER, EQUIVALENT, BUDGET, MAX_REPLICATES)


@dataclass(frozen=True)
class SequentialConfig:
    """What a sequential experiment decides on, and when it may stop; checked when made.

    Attributes:
        metric: "cost" (per call attempt, as billed) or "duration" (seconds talked per call attempt).
        level: The confidence level of every interval, simultaneously over all looks, variants and pairs.
        min_replicates: No variant is eliminated, and no stop made, before this many replicates per variant.
        max_replicates: The experiment stops after this many replicates per variant ("max_replicates").
        tolerance: Relative margin in (0, 1): when every remaining pair's interval lies within ±tolerance of
            the leader's mean, the remaining variants are "equivalent". None: never stop for equivalence.
        planned: The tuning point n* of the confidence sequences (replicates per variant where a decision is
            expected); fixed for the experiment's life: changing it after seeing data voids the guarantee.
    """

    metric: str = "cost"
    level: float = 0.95
    min_replicates: int = 5
    max_replicates: int = 120
    tolerance: float | None = None
    planned: int = 30

    def __post_init__(self) -> None:
        """Check every field.

        Raises:
            ValidationError: A field is out of its range; the message names it.
        """


def outcomes_from_frame(frame: pd.DataFrame, metric: str) -> dict[str, list[float]]:
    """Each variant's metric values in replicate order, as far as its calls have finished.

    Args:
        frame: A results frame (`ExperimentResults.frame()`).
        metric: "cost" or "duration".

    Returns:
        Variant → values of its replicate-kind rows 0, 1, 2, … up to (not including) the first replicate whose
        call has not reached a terminal status.
    """
    raise NotImplementedError


@dataclass(frozen=True)
class Decision:
    """What the looks so far decided.

    Attributes:
        status: "running", "winner", "equivalent", "budget" or "max_replicates".
        winner: The one variant left ("winner"), else None.
        leader: The variant with the lowest mean among those still active at the last look.
        eliminated: Variant → the look at which it was dropped.
        looks: How many looks were made (replicates per still-active variant).
        calls: Calls created (as the caller passed it).
        spend: What they were billed (as the caller passed it).
        intervals: The anytime-valid intervals at the last look, one row per variant and per pair.
        history: One row per look.
        config: The configuration decided under.
    """

    status: str
    winner: str | None
    leader: str | None
    eliminated: Mapping[str, int]
    looks: int
    calls: int
    spend: Money
    intervals: pd.DataFrame
    history: pd.DataFrame
    config: SequentialConfig

    @property
    def active(self) -> tuple[str, ...]:
        """The variants not eliminated, in the experiment's order."""
        raise NotImplementedError

    @property
    def done(self) -> bool:
        """Whether the experiment has stopped (status is not "running")."""
        return self.status != RUNNING

    def __str__(self) -> str:
        raise NotImplementedError


def decide(
    outcomes: Mapping[str, Sequence[float]],
    config: SequentialConfig,
    *,
    calls: int = 0,
    spend: Money | None = None,
    out_of_budget: bool = False,
) -> Decision:
    """Replay the looks over the outcomes in order and say what they decide.

    Args:
        outcomes: Variant → its metric values in replicate order (`outcomes_from_frame`); the mapping's order is
            the experiment's order of variants.
        config: The sequential configuration.
        calls: Calls created so far (reported, not used in the decision).
        spend: What they were billed (reported; default 0 USD).
        out_of_budget: The caller's ledger cannot pay for another wave: stop with "budget".

    Returns:
        The decision.
    """
    raise NotImplementedError


def next_wave(decision: Decision) -> tuple[str, ...]:
    """The variants the next wave gives one more replicate.

    Args:
        decision: The latest decision.

    Returns:
        The active variants, or () when the experiment is done.
    """
    return () if decision.done else decision.active
