"""Numbers as the verdict's sentences and the report's tables print them: signed, never "-0".

Pure text functions shared by `stats` (the verdict's words) and `report.formatting` (the tables), so a change,
a difference or a level reads the same everywhere. A value that rounds to zero prints as zero without a sign.
"""

from __future__ import annotations

import math

from ..money import format_money

UNBOUNDED = "unbounded"


def signed(value: float, places: int = 0, unit: str = "") -> str:
    """`+12`, `-3.5`, `0`: a signed number; one that rounds to zero is `0` (never `-0` or `+0`).

    Args:
        value: The number.
        places: Decimal places.
        unit: Appended right after the number (e.g. "%").

    Returns:
        The text ("nan" when not a number, "+inf"/"-inf" when infinite).
    """
    if math.isnan(value):
        return "nan"
    text = f"{value:+.{places}f}"
    if float(text) == 0:
        return f"{0:.{places}f}{unit}"
    return text + unit


def percent(value: float) -> str:
    """A change in percent: `+12%`, `-3%`, `+0.4%` for what rounds to 0 in whole percent, `0%` at 0.0.

    Args:
        value: The change, in percent.

    Returns:
        The text.
    """
    whole = signed(value, 0, "%")
    if whole != "0%":
        return whole
    tenths = signed(value, 1, "%")  # a change under one percent keeps its first decimal, and its sign
    return "0%" if tenths == "0.0%" else tenths


def percent_interval(low: float, high: float) -> str:
    """`+5% to +19%`, or "unbounded" (a Fieller interval whose baseline mean is not separated from 0).

    Args:
        low: The lower end, in percent (-inf when unbounded).
        high: The upper end, in percent (inf when unbounded).

    Returns:
        The text.
    """
    if math.isinf(low) or math.isinf(high):
        return UNBOUNDED
    return f"{percent(low)} to {percent(high)}"


def level(value: float) -> str:
    """A confidence level in percent with the digits it needs: `95%`, `98.75%`, `98.33%`.

    Args:
        value: The level, e.g. 0.9875.

    Returns:
        The text.
    """
    return f"{100 * value:.4g}%"


def money_change(value: float, currency: str, places: int = 3) -> str:
    """A change of money: `+$0.028`, `-0.004 CHF`, `$0.000` when it rounds to zero (never `-$0.000`).

    Args:
        value: The change.
        currency: Its currency.
        places: Decimal places.

    Returns:
        The text ("n/a" when not finite).
    """
    if not math.isfinite(value):
        return format_money(value, currency, places)
    rounded = round(value, places)
    if rounded == 0:
        return format_money(0, currency, places)
    text = format_money(abs(rounded), currency, places)
    return ("+" if rounded > 0 else "-") + text
