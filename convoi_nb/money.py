"""Money: exact sums in one currency. A float never carries a total, and two currencies are never added."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .errors import MixedCurrencyError

Amount = Decimal | int | float | str
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def to_decimal(amount: Amount) -> Decimal:
    """A float is read through its shortest repr (0.1 → Decimal('0.1')), the text it was parsed from."""
    if isinstance(amount, Decimal):
        return amount
    # float() first: a numpy float's repr is "np.float64(…)"
    return Decimal(repr(float(amount))) if isinstance(amount, float) else Decimal(amount)


@dataclass(frozen=True)
class Money:
    amount: Decimal
    currency: str

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise MixedCurrencyError(f"cannot add {other.currency} to {self.currency}; total each currency apart")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(items: Iterable[tuple[Amount, str]], currency: str | None = None) -> Money:
    """The exact sum of (amount, currency) pairs; `currency` names it when there are none (default USD)."""
    result: Money | None = None
    for amount, unit in items:
        money = Money(to_decimal(amount), unit)
        result = money if result is None else result + money
    if result is None:
        return Money(Decimal(0), currency or "USD")
    if currency is not None and result.currency != currency:
        raise MixedCurrencyError(f"expected {currency}, got {result.currency}")
    return result


def format_money(amount: Amount, currency: str, places: int = 2) -> str:
    """`$4.10`, `€0.198`, `4.10 CHF`: the currency's symbol when it has a common one, else its code after."""
    value = to_decimal(amount)
    if not value.is_finite():
        return "n/a"
    text = f"{value:,.{places}f}"
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{text} {currency}"
    return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
