"""Money: exact sums in one currency. A float never carries a total, and two currencies are never added."""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .errors import MixedCurrencyError, ValidationError

Amount = Decimal | int | float | str
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def to_decimal(amount: Amount) -> Decimal:
    """An amount as an exact Decimal, for code that has checked its type (`Money` and `total()` check it).

    A float is read through its shortest repr (0.1 → `Decimal('0.1')`), the text it was parsed from, not its
    binary value. NaN and infinity pass through (an estimate with too few calls is NaN).

    Args:
        amount: A Decimal, an int, a float (numpy's too) or the text of a number.

    Returns:
        The amount.

    Raises:
        decimal.InvalidOperation: `amount` is text that does not read as a number (an `ArithmeticError`; the
            caller names the setting it came from, as `run(max_cost=…)` does).

    Examples:
        >>> from convoi_nb.money import to_decimal
        >>> to_decimal(0.1), to_decimal(3), to_decimal("4.10")
        (Decimal('0.1'), Decimal('3'), Decimal('4.10'))
    """
    value: object = amount  # numpy numbers arrive too: checked against the numeric tower
    if isinstance(value, Decimal):
        return value
    if isinstance(value, numbers.Integral):
        return Decimal(int(value))
    if isinstance(value, numbers.Real):
        return Decimal(repr(float(value)))  # float() first: a numpy float's repr is "np.float64(…)"
    return Decimal(amount)  # text; anything else fails here as Decimal() would


def _finite(amount: object) -> Decimal:
    """A billed amount, or a `ValidationError` saying why it is not one."""
    if not isinstance(amount, bool) and isinstance(amount, (Decimal, numbers.Real, str)):
        try:
            value = to_decimal(amount)  # type: ignore[arg-type]  # a numpy number is Real, not float
        except ArithmeticError:
            pass
        else:
            if value.is_finite():
                return value
    raise ValidationError.of_field("amount", "amount", f"must be a finite number or its text, got {amount!r}")


def _currency(currency: object) -> str:
    if not isinstance(currency, str) or not currency.strip():
        raise ValidationError.of_field("amount", "currency", f"must be a currency code such as 'USD', got {currency!r}")
    return currency


@dataclass(frozen=True)
class Money:
    """An exact amount in one currency. Adding two in different currencies raises `MixedCurrencyError`.

    Args:
        amount: The amount; an int, float or text is converted exactly (`to_decimal`).
        currency: Its currency code (`"USD"`).

    Raises:
        ValidationError: The amount is not a finite number, or the currency is not a code.

    Examples:
        >>> from convoi_nb.money import Money
        >>> Money("0.1", "USD") + Money(0.2, "USD")  # exact: not 0.30000000000000004
        Money(amount=Decimal('0.3'), currency='USD')
        >>> Money(1, "USD") + Money(1, "EUR")
        Traceback (most recent call last):
        ...
        convoi_nb.errors.MixedCurrencyError: cannot add EUR to USD; total each currency apart
    """

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "amount", _finite(self.amount))
        _currency(self.currency)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if other.currency != self.currency:
            raise MixedCurrencyError(f"cannot add {other.currency} to {self.currency}; total each currency apart")
        return Money(self.amount + other.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def total(items: Iterable[tuple[Amount, str]], currency: str | None = None) -> Money:
    """The exact sum of amounts in one currency.

    Args:
        items: `(amount, currency)` pairs.
        currency: The currency of the total: names it when there are no items (default USD), and must match
            theirs when there are.

    Returns:
        The sum, as `Money`.

    Raises:
        MixedCurrencyError: The items are in two currencies, or not in `currency`.
        ValidationError: `items` is not an iterable of pairs, an amount is not a finite number, or a currency is not
            a code.

    Examples:
        >>> import convoi_nb
        >>> convoi_nb.money.total([("0.10", "USD"), (0.2, "USD")])
        Money(amount=Decimal('0.30'), currency='USD')
        >>> convoi_nb.money.total([], currency="EUR")
        Money(amount=Decimal('0'), currency='EUR')

        The cost of calls, exactly:

        >>> client = convoi_nb.connect()
        >>> calls = list(client.list_calls(page_size=5))
        >>> spent = convoi_nb.money.total((call.cost.amount, call.cost.currency) for call in calls)
        >>> spent.currency
        'USD'
    """
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Iterable):
        raise ValidationError.of_field(
            "argument", "items", f"must be an iterable of (amount, currency) pairs, got {type(items).__name__}"
        )
    result: Money | None = None
    for position, item in enumerate(items):
        if isinstance(item, (str, bytes)) or not isinstance(item, Sequence) or len(item) != 2:
            raise ValidationError.of_field(
                "argument", f"items[{position}]", f"must be an (amount, currency) pair, got {item!r}"
            )
        amount, unit = item
        money = Money(_finite(amount), unit)
        result = money if result is None else result + money
    if result is None:
        return Money(Decimal(0), _currency(currency) if currency is not None else "USD")
    if currency is not None and result.currency != currency:
        raise MixedCurrencyError(f"expected {currency}, got {result.currency}")
    return result


def format_money(amount: Amount, currency: str, places: int = 2) -> str:
    """An amount as a reader sees it: `$4.10`, `€0.198`, `4.10 CHF`.

    Args:
        amount: The amount (NaN or infinity shows as `n/a`).
        currency: Its currency code: its symbol is shown when it has a common one, else the code after.
        places: Decimal places shown.

    Returns:
        The text.

    Examples:
        >>> from convoi_nb.money import format_money
        >>> format_money("4.1", "USD"), format_money("0.198", "EUR", 3), format_money(4.1, "CHF")
        ('$4.10', '€0.198', '4.10 CHF')
        >>> format_money(float("nan"), "USD")
        'n/a'
    """
    value = to_decimal(amount)
    if not value.is_finite():
        return "n/a"
    text = f"{value:,.{places}f}"
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{text} {currency}"
    return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"
