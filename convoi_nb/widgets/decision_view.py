"""A sequential run's decision as the ExperimentPanel shows it: the stop in words, one row per variant.

Every interval shown is a row of `decision.intervals`: anytime-valid confidence sequences, which hold at every look
at once. So they stay valid however often the panel refreshes, and when the user stops the run by hand; the
label says so. A variant that was eliminated is greyed, with the look at which it left.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from ..money import format_money

if TYPE_CHECKING:
    from ..stats.sequential import Decision

GREY = "#9ca3af"
CELL = "text-align:left;padding:0 1em 0 0"
BEST = {"cost": "cheapest", "duration": "shortest calls"}


def amount(value: float, unit: str) -> str:
    """A mean or a difference in the metric's unit: money to 3 places, seconds whole.

    Args:
        value: The number.
        unit: "s", or the currency of a cost.

    Returns:
        The text.
    """
    return f"{value:,.0f} s" if unit == "s" else format_money(value, unit, places=3)


def interval(row: Mapping[str, Any]) -> str:
    """An interval row's bounds, or "no bound yet" while the sequence has none (its first few looks).

    Args:
        row: A row of `decision.intervals`.

    Returns:
        The text.
    """
    if not (math.isfinite(row["low"]) and math.isfinite(row["high"])):
        return "no bound yet"
    return f"{amount(row['low'], row['unit'])} to {amount(row['high'], row['unit'])}"


def stop_reason(decision: Decision, *, stopped_by_hand: bool = False) -> str:
    """Why the run stopped (or where it stands), in words.

    Args:
        decision: The decision.
        stopped_by_hand: The user pressed Stop before the run decided.

    Returns:
        One sentence.
    """
    config = decision.config
    leader = decision.leader or "none yet"
    if decision.status == "winner":
        return (
            f"Decided: {decision.winner} is the {BEST.get(config.metric, 'best')}; every other variant was eliminated."
        )
    if decision.status == "equivalent":
        return f"Decided: the variants left are equivalent, within ±{(config.tolerance or 0):.0%} of {leader}."
    if decision.status == "budget":
        return f"Stopped by the budget: the next wave would pass it. No winner; leader {leader}."
    if decision.status == "max_replicates":
        return f"Stopped at the maximum, {config.max_replicates} calls per variant. No winner; leader {leader}."
    if stopped_by_hand:
        return f"Stopped by hand after look {decision.looks}: not decided; leader so far {leader}."
    return f"Running: look {decision.looks}; leader so far {leader}."


def _pair(rows: list[dict[str, Any]], name: str, other: str) -> dict[str, Any] | None:
    """The pair row of `name` and `other`, as `name` minus `other`."""
    for row in rows:
        if row["kind"] == "pair" and {row["variant"], row["other"]} == {name, other}:
            if row["variant"] == name:
                return row
            return {**row, "estimate": -row["estimate"], "low": -row["high"], "high": -row["low"]}
    return None


def decision_html(decision: Decision, *, stopped_by_hand: bool = False) -> str:
    """The decision as HTML: the stop reason, the intervals' label, a row per variant, calls and spend.

    Args:
        decision: The decision (`results.decision`).
        stopped_by_hand: The user pressed Stop before the run decided.

    Returns:
        The HTML (every value escaped).
    """
    config = decision.config
    rows: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in decision.intervals.to_dict("records")]
    means = {row["variant"]: row for row in rows if row["kind"] == "variant"}
    metric = "cost per call" if config.metric == "cost" else "call length"
    leader = decision.leader
    head = ["variant", "calls", f"mean {metric}", "interval", "difference", "status"]
    body = []
    for name in decision.variants:
        mean = means.get(name)
        if mean is None:
            continue
        look = decision.eliminated.get(name)
        than = decision.eliminated_by.get(name, leader)  # an eliminated variant: against the one that beat it
        pair = _pair(rows, name, than) if than and name != leader else None
        versus = "leader" if name == leader else ""
        if pair is not None:
            versus = f"vs {than}: {amount(pair['estimate'], pair['unit'])} ({interval(pair)})"
        cells = [
            name,
            str(mean["n"]),
            amount(mean["estimate"], mean["unit"]) if math.isfinite(mean["estimate"]) else "n/a",
            interval(mean),
            versus,
            "in" if look is None else f"left at look {look}",
        ]
        style = f" style='color:{GREY}'" if look is not None else ""
        body.append(f"<tr{style}>" + "".join(f"<td style='{CELL}'>{escape(c)}</td>" for c in cells) + "</tr>")
    label = f"anytime-valid {config.level:.0%} intervals: they hold however often you look" + (
        ", and stay valid now that you stopped" if stopped_by_hand and not decision.done else ""
    )
    spend = format_money(decision.spend.amount, decision.spend.currency)
    return (
        f"<p><b>{escape(stop_reason(decision, stopped_by_hand=stopped_by_hand))}</b></p>"
        f"<p><i>{escape(label)}</i></p>"
        "<table><thead><tr>" + "".join(f"<th style='{CELL}'>{escape(h)}</th>" for h in head) + "</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
        f"<p>{decision.calls} calls created, {escape(spend)} spent, {decision.looks} looks</p>"
    )
