"""What the rest of an experiment will cost and how long its calls will talk, predicted before they run.

A pure function of a results frame (see `ExperimentResults.frame()`): each variant's finished calls (ended,
failed or expired: all are billed as they happened) predict its cells still to create and its calls still in
flight, with a Student-t prediction interval for their total (`stats.total_prediction_interval`). Its low end is
never below what the calls in flight have already cost (they cannot cost less), and the estimate says how many
finished calls it rests on: at 2 per variant the interval is wide, and its low end is often only that floor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from html import escape
from typing import Any

import pandas as pd

from ..models import TERMINAL_STATUSES
from ..money import Money, format_money, to_decimal, total
from .columns import billed, design_rows
from .primitives import Prediction, check_probability, total_prediction_interval

CENT = Decimal("0.0001")  # predictions are kept to 4 places, as the API bills
NEEDS_DATA = "fewer than 2 finished calls to predict from: estimate(client) runs a pilot"
WIDE_BELOW = 5  # finished calls per variant under which the interval is called wide (t has 1–3 degrees of freedom)


def as_money(value: float) -> Decimal:
    """A predicted amount kept to 4 places, as the API bills.

    Args:
        value: The amount.

    Returns:
        The Decimal (NaN when `value` is not finite).
    """
    return to_decimal(value).quantize(CENT) if math.isfinite(value) else Decimal("NaN")


@dataclass(frozen=True)
class Estimate:
    """Predicted cost and call time of what is left of an experiment.

    Attributes:
        table: One row per variant.
        level: The prediction level.
        spent: What the finished calls so far were billed, exact.
        to_create: Cells without a call.
        in_flight: Calls still running.
        cost: The predicted cost of the calls to create and in flight, in `spent.currency` (its low end never below
            `floor`).
        call_seconds: Their predicted call time.
        floor: What the calls in flight have already cost, exact: the least the rest can cost.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> experiment = Experiment("estimated", agent.id, Variant.grid(axes={"tts.speed": [1.0, 1.2]}), replicates=5,
        ...                         store=":memory:")
        >>> estimate = experiment.estimate(client)
        >>> estimate.currency, estimate.to_create, estimate.level
        ('USD', 6, 0.9)
        >>> estimate.cost.low <= estimate.cost.estimate <= estimate.cost.high
        True
    """

    table: pd.DataFrame
    level: float
    spent: Money
    to_create: int
    in_flight: int
    cost: Prediction
    call_seconds: Prediction
    floor: Decimal = Decimal(0)

    @property
    def currency(self) -> str:
        """The calls' currency."""
        return self.spent.currency

    @property
    def known(self) -> bool:
        """Whether there were enough finished calls to predict from."""
        return math.isfinite(self.cost.estimate)

    @property
    def rests_on(self) -> tuple[int, int]:
        """The fewest and the most finished calls a variant with calls left predicts from ((0, 0): none left)."""
        left = self.table[(self.table["to_create"] + self.table["in_flight"]) > 0]
        if left.empty:
            return (0, 0)
        return (int(left["finished"].min()), int(left["finished"].max()))

    def basis(self) -> str:
        """What the interval rests on, in words: "rests on 2 finished calls per variant: wide".

        Returns:
            The sentence (empty when nothing is left to predict).
        """
        fewest, most = self.rests_on
        if not most:
            return ""
        count = f"{fewest}" if fewest == most else f"{fewest} to {most}"
        text = f"rests on {count} finished calls per variant"
        if fewest < WIDE_BELOW:
            text += ": wide"
            if self.cost.low <= float(self.floor):
                # The t interval reached below anything possible: say its low end is only the least possible.
                text += f" (its low end, {format_money(self.cost.low, self.currency)}, is only the least possible)"
        return text

    def __str__(self) -> str:
        calls = f"{self.to_create} calls to create" + (f", {self.in_flight} in flight" if self.in_flight else "")
        spent = f"; spent so far {format_money(self.spent.amount, self.currency)}"
        if not self.to_create and not self.in_flight:
            return f"this run: nothing left to run{spent}"
        if not self.known:
            return f"this run: {calls}; cost unknown ({NEEDS_DATA}){spent}"

        def money(value: float) -> str:
            return format_money(value, self.currency)

        return (
            f"this run: ~{money(self.cost.estimate)}, {self.level:.0%} between {money(self.cost.low)} and "
            f"{money(self.cost.high)} ({calls}; about {self.call_seconds.estimate / 60:,.0f} call minutes); "
            f"{self.basis()}{spent}"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))

    def _repr_html_(self) -> str:
        return f"<p>{escape(str(self))}</p>" + self.table.to_html()


def finished_spend(frame: pd.DataFrame) -> Money:
    """What the finished calls (ended, failed, expired) of a results frame were billed, exactly.

    Args:
        frame: A results frame.

    Returns:
        The total in the calls' one currency (USD when there are none).

    Raises:
        MixedCurrencyError: The calls are billed in two currencies.
    """
    created = frame[frame["id"].notna()]
    return billed(created[created["status"].isin(TERMINAL_STATUSES)], of=created)


def estimate_remaining(
    frame: pd.DataFrame, variants: Sequence[str], replicates: int, *, level: float = 0.90
) -> Estimate:
    """Predict the cells of `variants` × `replicates` not created yet plus the calls still running.

    Per variant and in total, from the variant's finished calls (see `Experiment.estimate`).

    Args:
        frame: A results frame.
        variants: The variants, in order.
        replicates: Replicates per variant in the design.
        level: The prediction level.

    Returns:
        The estimate.
    """
    check_probability("level", level)
    created = design_rows(frame[frame["id"].notna()])
    spent = finished_spend(frame)
    rows, cost_groups, seconds_groups = [], [], []
    floors: list[tuple[Decimal, float]] = []  # (cost, seconds) the calls in flight have already reached
    for variant in variants:
        mine = created[(created["variant"] == variant) & created["replicate"].between(0, replicates - 1)]
        done = mine[mine["status"].isin(TERMINAL_STATUSES)]
        costs, seconds = done["cost_amount"].to_numpy(dtype=float), done["duration_seconds"].to_numpy(dtype=float)
        to_create, running = replicates - len(mine), len(mine) - len(done)
        left = to_create + running
        flying = mine[~mine["status"].isin(TERMINAL_STATUSES)]
        paid = total((a, spent.currency) for a in flying["cost_amount"] if not pd.isna(a)).amount
        talked = float(flying["duration_seconds"].fillna(0).sum())
        floors.append((paid, talked))
        cost = at_least(total_prediction_interval([(costs, left)], level), float(paid))
        talk = at_least(total_prediction_interval([(seconds, left)], level), talked)
        cost_groups.append((costs, left))
        seconds_groups.append((seconds, left))
        rows.append(
            {
                "variant": variant,
                "finished": len(done),
                "in_flight": running,
                "to_create": to_create,
                "spent": total((a, spent.currency) for a in done["cost_amount"] if not pd.isna(a)).amount,
                "cost_estimate": as_money(cost.estimate),
                "cost_low": as_money(cost.low),
                "cost_high": as_money(cost.high),
                "call_seconds_estimate": talk.estimate,
                "call_seconds_low": talk.low,
                "call_seconds_high": talk.high,
                "currency": spent.currency,
                "note": NEEDS_DATA if left and len(done) < 2 else "",
            }
        )
    table = pd.DataFrame(rows).set_index("variant")
    floor = sum((paid for paid, _ in floors), Decimal(0))
    cost = at_least(total_prediction_interval(cost_groups, level), float(floor))
    return Estimate(
        table,
        level,
        spent,
        int(table["to_create"].sum()),
        int(table["in_flight"].sum()),
        Prediction(*(float(as_money(v)) if math.isfinite(v) else v for v in (cost.estimate, cost.low, cost.high))),
        at_least(total_prediction_interval(seconds_groups, level), sum(talked for _, talked in floors)),
        floor,
    )


def at_least(prediction: Prediction, floor: float) -> Prediction:
    """A prediction whose ends are no lower than `floor`: what is already known to be spent (or talked).

    Args:
        prediction: The prediction.
        floor: The least the predicted total can be.

    Returns:
        The prediction, each end raised to `floor` if below it (NaN stays NaN).
    """
    if not math.isfinite(prediction.estimate):
        return prediction
    return Prediction(*(max(value, floor) for value in (prediction.estimate, prediction.low, prediction.high)))


def per_call_cost(frame: pd.DataFrame, variants: Sequence[str]) -> dict[str, Decimal | None]:
    """Each variant's mean billed cost per finished call: the projection a spend cap uses.

    Args:
        frame: A results frame.
        variants: The variants.

    Returns:
        Variant → mean cost per finished design call (None without one).
    """
    # Design cells only: a listening session's calls last as long as the listener talks.
    design = design_rows(frame)
    finished = design[design["id"].notna() & design["status"].isin(TERMINAL_STATUSES)]
    out: dict[str, Decimal | None] = {}
    for variant in variants:
        amounts = [to_decimal(a) for a in finished.loc[finished["variant"] == variant, "cost_amount"] if not pd.isna(a)]
        out[variant] = sum(amounts, Decimal(0)) / len(amounts) if amounts else None
    return out
