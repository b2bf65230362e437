"""How a reader sees an experiment's numbers, as text.

Money with its currency, call lengths in seconds or minutes, changes in percent, each estimate with its interval
in one piece of text. Pure text functions.
"""

from __future__ import annotations

import math
from decimal import Decimal

from ..money import format_money
from ..stats.ratings import spans_scale
from ..stats.wording import UNBOUNDED, money_change, percent
from ..stats.wording import level as level  # a confidence level as text, re-exported for the tables

NA = "–"
NBSP = "\u00a0"


def _finite(*values: float) -> bool:
    return all(v is not None and isinstance(v, (int, float, Decimal)) and math.isfinite(v) for v in values)


def money_places(value: float) -> int:
    """Enough decimals for three significant digits of a per-call amount, never more than 4.

    Args:
        value: The amount.

    Returns:
        Decimal places.
    """
    size = abs(value)
    return 2 if size >= 1 else 3 if size >= 0.01 else 4


def money(value: float, currency: str, places: int | None = None) -> str:
    """An amount with its currency: `$0.198`, `0.0012 CHF`.

    Args:
        value: The amount.
        currency: Its currency.
        places: Decimal places (default: three significant digits).

    Returns:
        The text ("–" when not finite).
    """
    if not _finite(value):
        return NA
    return format_money(value, currency, money_places(value) if places is None else places)


def money_with_interval(value: float, low: float, high: float, currency: str) -> str:
    """`$0.198 [0.181, 0.215]`: the interval in the estimate's unit and decimals.

    Args:
        value: The estimate.
        low: The interval's lower end.
        high: Its upper end.
        currency: The currency.

    Returns:
        The text.
    """
    if not _finite(value):
        return NA
    places = money_places(value)
    if not _finite(low, high):
        return money(value, currency, places)
    return f"{money(value, currency, places)} [{low:.{places}f}, {high:.{places}f}]"


def seconds(value: float) -> str:
    """`42 s`, `147 s`, or `12.3 min` from ten minutes on.

    Args:
        value: Seconds.

    Returns:
        The text.
    """
    if not _finite(value):
        return NA
    return f"{value:.0f} s" if abs(value) < 600 else f"{value / 60:.1f} min"


def seconds_with_interval(value: float, low: float, high: float) -> str:
    """`147 s [130, 164]`, or `12.3 min [11.0, 13.6]`: one unit for the estimate and its interval.

    Args:
        value: The estimate, in seconds.
        low: The interval's lower end.
        high: Its upper end.

    Returns:
        The text.
    """
    if not _finite(value):
        return NA
    if not _finite(low, high):
        return seconds(value)
    if abs(value) < 600:
        return f"{value:.0f} s [{low:.0f}, {high:.0f}]"
    return f"{value / 60:.1f} min [{low / 60:.1f}, {high / 60:.1f}]"


def percent_with_interval(value: float, low: float, high: float) -> str:
    """`+12% [+5%, +19%]`: a relative change and its interval, never "-0%".

    "[unbounded]" for a Fieller interval whose baseline mean is not separated from 0.

    Args:
        value: The change, in percent.
        low: The interval's lower end (-inf when unbounded).
        high: Its upper end (inf when unbounded).

    Returns:
        The text.
    """
    if not _finite(value):
        return NA
    if math.isinf(low) or math.isinf(high):
        return f"{percent(value)} [{UNBOUNDED}]"
    if not _finite(low, high):
        return percent(value)
    return f"{percent(value)} [{percent(low)}, {percent(high)}]"


def money_delta(value: float, currency: str) -> str:
    """A change per call in money, signed: `+$0.028`, `-$0.004`, `$0.000` (never `-$0.000`).

    Args:
        value: The change.
        currency: Its currency.

    Returns:
        The text ("–" when not finite).
    """
    if not _finite(value):
        return NA
    return money_change(value, currency, money_places(value))


def rating_with_interval(value: float, low: float, high: float) -> str:
    """`4.2 [3.6, 4.8]` on the 1–5 scale; `4.0 (not enough ratings to tell)` when the interval spans the scale.

    Args:
        value: The mean rating.
        low: The interval's lower end.
        high: Its upper end.

    Returns:
        The text.
    """
    if not _finite(value):
        return NA
    if spans_scale(low, high):
        return f"{value:.1f} (not enough ratings to tell)"
    return f"{value:.1f} [{low:.1f}, {high:.1f}]"


def p_value(value: float) -> str:
    """`p = 0.031` or `p < 0.001`, kept on one line.

    Args:
        value: The p-value.

    Returns:
        The text.
    """
    if not _finite(value):
        return NA
    text = "p < 0.001" if value < 0.001 else f"p = {value:.3f}" if value < 0.1 else f"p = {value:.2f}"
    return text.replace(" ", NBSP)  # "p = 0.019" stays on one line
