"""The spend policy on its own: what a cap is, and the ledger's rule."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from convoi_nb import MixedCurrencyError
from convoi_nb.budget import SpendLedger, cap_in, check_cap
from convoi_nb.errors import ExperimentError, ValidationError
from convoi_nb.money import Money

TENTH = Decimal("0.1")


def USD(amount: Any) -> Money:
    return Money(Decimal(amount), "USD")


def call(call_id: str, status: str, amount: str) -> dict[str, Any]:
    return {"id": call_id, "status": status, "cost": {"amount": amount, "currency": "USD"}}


def test_the_ledger_admits_calls_until_the_projection_would_pass_the_cap() -> None:
    ledger = SpendLedger(USD("1.00"), Decimal("0.50"), {"a": TENTH, "b": None})
    assert ledger.admit("a", ("a", 0)) and ledger.admit("b", ("b", 0))  # b projected at the pooled 0.10
    assert ledger.projected == Decimal("0.70")
    ledger.created(("a", 0), call("call_a0", "initiated", "0"))
    assert ledger.admit("a", ("a", 1)) and ledger.admit("a", ("a", 2)) and ledger.projected == Decimal("0.90")
    assert ledger.admit("a", ("a", 3))  # exactly at the cap is allowed
    assert not ledger.admit("a", ("a", 4)) and ledger.stopped
    ledger.observe(call("call_a0", "ended", "0.3"))  # a call ending frees nothing once stopped: the stop is final
    assert not ledger.admit("a", ("a", 5))
    ledger.created(("b", 0), call("call_b0", "in_progress", "0.25"))  # was being created when it stopped
    ledger.release(("a", 1))  # a create that failed: no call
    report = ledger.report(cells_remaining=7)
    assert report.stopped and report.cells_remaining == 7
    assert report.committed_at_stop == Money(Decimal("0.50"), "USD")
    assert set(report.in_flight_at_stop) == {"call_a0", "call_b0"}
    assert "stopped by budget $1.00" in str(report) and "7 cells not created" in str(report)


def test_finished_calls_commit_their_billed_cost_and_running_ones_project_at_least_their_cost() -> None:
    ledger = SpendLedger(USD(5), Decimal(0), {"a": TENTH})
    assert ledger.admit("a", "cell")
    ledger.created("cell", call("call_1", "in_progress", "0.40"))
    assert ledger.projected == Decimal("0.40")  # it already cost more than the mean
    ledger.observe(call("call_1", "ended", "0.45"))
    assert ledger.committed == Decimal("0.45") and ledger.projected == Decimal("0.45")
    ledger.observe(call("call_1", "ended", "0.45"))  # read twice, counted once
    assert ledger.committed == Decimal("0.45") and ledger.in_flight_ids() == []
    assert ledger.admit("a", "euro")
    with pytest.raises(MixedCurrencyError, match="EUR.*USD"):
        ledger.created("euro", {"id": "call_2", "status": "initiated", "cost": {"amount": "0", "currency": "EUR"}})


@pytest.mark.parametrize(
    ("cap", "rule"),
    [
        (-1, "0 or more"),
        ("lots", "an amount"),
        (float("nan"), "finite"),
        (True, "an amount"),
        ([5], "an amount"),
    ],
)
def test_a_bad_cap_is_named(cap: Any, rule: str) -> None:
    with pytest.raises(ValidationError, match=f"max_cost: .*{rule}"):
        check_cap(cap)


def test_a_cap_in_another_currency_or_without_a_basis_is_refused() -> None:
    with pytest.raises(MixedCurrencyError, match="EUR.*USD"):
        cap_in(Money(Decimal(5), "EUR"), "USD")
    with pytest.raises(ExperimentError, match=r"estimate\(client\) first"):
        SpendLedger(USD(5), Decimal(0), {"a": None})


def test_no_cap_and_a_cap_of_zero_mean_one_thing_each() -> None:
    from convoi_nb.budget import cap_from_text

    assert check_cap(None) is None and cap_from_text("") is None and cap_from_text("  ") is None  # no cap
    assert check_cap(0) == Decimal(0) and cap_from_text("0") == Decimal(0)  # a cap of zero
    assert cap_from_text("2.50") == Decimal("2.50")
    ledger = SpendLedger(USD(0), Decimal(0), {"a": TENTH})
    assert not ledger.admit("a", "cell") and ledger.stopped  # a zero cap creates nothing
