"""Money totals are exact and never mix currencies."""

from __future__ import annotations

from decimal import Decimal

import pytest

from convoi_nb import Call, MixedCurrencyError, ValidationError
from convoi_nb.money import Money, total

from .models.test_responses import EXAMPLE


def test_a_total_has_no_float_drift() -> None:
    amounts = [(0.1, "USD")] * 10 + [(0.2287, "USD")] * 3
    assert sum(a for a, _ in amounts) != 1.6861  # the float sum drifts
    assert total(amounts) == Money(Decimal("1.6861"), "USD")


def test_two_currencies_are_never_added() -> None:
    with pytest.raises(MixedCurrencyError, match="EUR.*USD|USD.*EUR"):
        total([(1, "USD"), (2, "EUR")])
    with pytest.raises(MixedCurrencyError):
        Money(Decimal(1), "USD") + Money(Decimal(1), "EUR")
    assert total([], "EUR") == Money(Decimal(0), "EUR")


def test_call_costs_parse_exactly_from_the_json_text() -> None:
    call = Call.model_validate_json(
        Call.model_validate(EXAMPLE)
        .model_dump_json()
        .replace('"amount":' + str(EXAMPLE["cost"]["amount"]), '"amount":0.30000000000000004')
    )
    assert call.cost.amount == Decimal("0.30000000000000004")
    assert '"amount":0.30000000000000004' in call.model_dump_json()  # written back as a JSON number


def test_summary_refuses_to_total_two_currencies(tmp_path: object) -> None:
    import pandas as pd

    from convoi_nb.stats.summary import summarize_variants

    frame = pd.DataFrame(
        {
            "variant": ["a", "a"],
            "status": ["ended", "ended"],
            "id": ["call_1", "call_2"],
            "cost_amount": [0.1, 0.2],
            "cost_currency": ["USD", "EUR"],
            "duration_seconds": [60.0, 70.0],
            "create_error": [None, None],
        }
    )
    with pytest.raises(MixedCurrencyError):
        summarize_variants(frame, ["a"])


def test_numpy_floats_are_read_by_value() -> None:
    import numpy as np

    assert total([(np.float64(0.1), "USD"), (np.float64(0.2), "USD")]) == Money(Decimal("0.3"), "USD")


def test_ten_thousand_tiny_costs_from_the_api_total_exactly() -> None:
    body = Call.model_validate(EXAMPLE).model_dump_json()
    amount = '"amount":' + str(EXAMPLE["cost"]["amount"])
    calls = [Call.model_validate_json(body.replace(amount, '"amount":0.0001')) for _ in range(10_000)]
    assert sum(c.cost.amount for c in calls[:3]) == Decimal("0.0003")
    assert sum(float(c.cost.amount) for c in calls) != 1.0  # what a float sum would say
    summed = total((c.cost.amount, c.cost.currency) for c in calls)
    assert summed == Money(Decimal("1.0000"), "USD") and str(summed.amount) == "1.0000"
    euro = Call.model_validate_json(body.replace('"currency":"USD"', '"currency":"EUR"'))
    with pytest.raises(MixedCurrencyError, match="cannot add EUR to USD"):
        total((c.cost.amount, c.cost.currency) for c in [*calls, euro])


def test_money_holds_an_exact_decimal_whatever_it_was_given() -> None:
    # Before, Money kept what it was given: Money("1", "USD") + Money("2", "USD") was Money("12", "USD").
    assert Money("1", "USD") + Money("2", "USD") == Money(Decimal(3), "USD")
    assert Money(0.1, "USD").amount == Decimal("0.1")
    assert Money(Decimal("0.30"), "EUR") == Money(Decimal("0.3"), "EUR")


@pytest.mark.parametrize("amount", ["abc", None, True, [1], float("nan"), "Infinity", Decimal("NaN")])
def test_what_is_not_a_finite_amount_is_refused_by_name(amount: object) -> None:
    with pytest.raises(ValidationError, match="amount: must be a finite number") as info:
        total([(amount, "USD")])
    assert isinstance(info.value, ValueError)
    with pytest.raises(ValidationError, match="amount"):
        Money(amount, "USD")


@pytest.mark.parametrize("currency", [None, "", 3])
def test_a_currency_must_be_a_code(currency: object) -> None:
    with pytest.raises(ValidationError, match="currency: must be a currency code"):
        Money(Decimal(1), currency)
    if currency is not None:  # None means "the items' currency" (USD when there are none)
        with pytest.raises(ValidationError, match="currency"):
            total([], currency)
