"""The vocabulary of a results frame that the statistics read: the metrics compared and the kinds of call.

A results frame has one row per cell of an experiment (see `ExperimentResults.frame()`); the statistics read
`variant` (categorical: its categories are the experiment's variants, in order), `kind`, `status`, `id`,
`cost_amount`, `cost_currency`, `duration_seconds`, `create_error` and, with listening sessions, the rating
columns.
"""

from __future__ import annotations

import pandas as pd

from ..money import Money, total

# (label, column) of each metric compared, in the order tables show them
METRICS = (("cost", "cost_amount"), ("duration", "duration_seconds"))

# What a row's call is for (the `kind` column)
REPLICATE = "replicate"  # a cell of the experiment's design
PILOT = "pilot"  # a replicate created by estimate()/plan() before the run: a cell of the design too
LISTENING = "listening"  # a listening session's call: its length is the listener's doing
KINDS = (REPLICATE, PILOT, LISTENING)
DESIGN_KINDS = (REPLICATE, PILOT)


def design_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows of the design's cells (replicates and pilot calls), without listening-session calls.

    Args:
        frame: A results frame.

    Returns:
        The rows whose `kind` is a cell of the design; cost and length statistics read only these.
    """
    return frame[frame["kind"].isin(DESIGN_KINDS)]


def variant_names(frame: pd.DataFrame) -> list[str]:
    """The experiment's variants, in order: the categories of the frame's `variant` column.

    Args:
        frame: A results frame.

    Returns:
        The variant names.
    """
    return [str(name) for name in frame["variant"].cat.categories]


def billed(rows: pd.DataFrame, of: pd.DataFrame | None = None) -> Money:
    """What `rows` were billed, exactly, in the one currency of `of` (default: of `rows`).

    Args:
        rows: Rows of a results frame (those without an amount add nothing).
        of: The rows whose one currency names the total (USD when they have none or several).

    Returns:
        The total.

    Raises:
        MixedCurrencyError: The rows are billed in two currencies.
    """
    currencies = sorted(set((rows if of is None else of)["cost_currency"].dropna()))
    return total(
        ((a, c) for a, c in zip(rows["cost_amount"], rows["cost_currency"], strict=False) if not pd.isna(a)),
        currencies[0] if len(currencies) == 1 else None,
    )
