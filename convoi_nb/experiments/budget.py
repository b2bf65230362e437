"""A spend cap for a run: no call is created once the spend committed so far plus a projection of the calls in
flight and of the next call would pass the cap. Calls already running are left to finish.

Committed spend is what the experiment's finished calls (ended, failed, expired) were billed, exact; a call in
flight is projected at its variant's mean cost per finished call (or what it has cost already, if more).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..errors import ExperimentError, MixedCurrencyError
from ..models import TERMINAL_STATUSES
from ..money import Amount, Money, format_money, to_decimal

Cap = Money | Amount


@dataclass(frozen=True)
class BudgetReport:
    """How a capped run ended: `stopped` when the cap kept calls from being created."""

    cap: Money
    stopped: bool
    committed_at_stop: Money  # billed by finished calls when the run stopped creating
    in_flight_at_stop: tuple[str, ...]  # ids of the calls then running: their cost may still pass the cap
    cells_remaining: int  # cells of the experiment with no call

    def __str__(self) -> str:
        cap = format_money(self.cap.amount, self.cap.currency)
        if not self.stopped:
            # Every cell fits by projection; a running call can still cost more than projected: results.spend()
            # is the spend as last read.
            return f"budget {cap}: not reached (every cell created within it, by projection)"
        return (
            f"stopped by budget {cap}: {format_money(self.committed_at_stop.amount, self.cap.currency)} spent "
            f"when it stopped, {len(self.in_flight_at_stop)} calls still running, {self.cells_remaining} cells "
            "not created; run(max_cost=…) again with a higher cap to continue"
        )


def _cap(cap: Cap, currency: str) -> Money:
    if isinstance(cap, Money):
        if cap.currency != currency:
            raise MixedCurrencyError(f"max_cost is in {cap.currency}, this experiment's calls are billed in {currency}")
        return cap
    if isinstance(cap, bool) or not isinstance(cap, (Decimal, int, float, str)):
        raise ExperimentError(f"max_cost must be an amount (e.g. 5 or Decimal('5.00')) or a Money, got {cap!r}")
    try:
        amount = to_decimal(cap)
    except ArithmeticError:
        raise ExperimentError(f"max_cost must be an amount, got {cap!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ExperimentError(f"max_cost must be a finite amount of 0 or more, got {cap!r}")
    return Money(amount, currency)


class SpendLedger:
    """Tracks one capped run. Single-threaded (asyncio): `admit` reserves before the create is awaited."""

    def __init__(self, cap: Cap, currency: str, committed: Decimal, per_call: dict[str, Decimal | None]) -> None:
        known = [v for v in per_call.values() if v is not None]
        if per_call and not known:
            raise ExperimentError(
                "max_cost needs a cost per call to project from, and this experiment has no "
                "finished call yet: run experiment.estimate(client) first (a pilot of 2 calls "
                "per variant), then run(max_cost=…)"
            )
        pooled = sum(known, Decimal(0)) / len(known) if known else Decimal(0)  # no variants: nothing to admit
        self.cap = _cap(cap, currency)
        self.committed = committed
        self._pooled = pooled
        self._per_call = {name: value if value is not None else pooled for name, value in per_call.items()}
        self._in_flight: dict[Hashable, Decimal] = {}  # call id, or (variant, replicate) while its create runs
        self._stop: tuple[Decimal, list[Hashable]] | None = None  # (committed, in flight) when it stopped

    @property
    def projected(self) -> Decimal:
        return self.committed + sum(self._in_flight.values(), Decimal(0))

    @property
    def stopped(self) -> bool:
        return self._stop is not None

    def in_flight_ids(self) -> list[str]:
        return [k for k in self._in_flight if isinstance(k, str)]

    def admit(self, variant: str, cell: Hashable) -> bool:
        """Reserve the projected cost of one more call of `variant`, or stop for good if it would pass the cap."""
        if self._stop is None and self.projected + self._per_call[variant] > self.cap.amount:
            self._stop = (self.committed, list(self._in_flight))
        if self._stop is not None:
            return False
        self._in_flight[cell] = self._per_call[variant]
        return True

    def created(self, cell: Hashable, call: dict[str, Any]) -> None:
        self._in_flight[call["id"]] = self._in_flight.pop(cell)
        self._rename(cell, call["id"])
        self.observe(call)

    def release(self, cell: Hashable) -> None:
        """The create failed: its call does not exist (a lost answer is found and counted after the run)."""
        self._in_flight.pop(cell, None)
        self._rename(cell, None)

    def _rename(self, cell: Hashable, call_id: str | None) -> None:
        # A create that was under way when the run stopped: its call was in flight then too.
        if self._stop is not None and cell in self._stop[1]:
            keys = self._stop[1]
            keys.remove(cell)
            if call_id is not None:
                keys.append(call_id)

    def track(self, call: dict[str, Any], variant: str) -> None:
        """A call created by an earlier run and still running when this one starts."""
        self._in_flight[call["id"]] = self._per_call.get(variant, self._pooled)  # a variant since removed: pooled
        self.observe(call)

    def observe(self, call: dict[str, Any]) -> None:
        """A call's latest state: finished → its billed cost is committed; running → projected at least at
        what it has cost so far.
        """
        if call["id"] not in self._in_flight:
            return
        billed = call.get("cost") or {}
        if billed.get("currency", self.cap.currency) != self.cap.currency:
            raise MixedCurrencyError(
                f"call {call['id']} is billed in {billed['currency']}, the cap is in "
                f"{self.cap.currency}: a cap cannot add two currencies"
            )
        cost = to_decimal(billed.get("amount") or 0)
        if call.get("status") in TERMINAL_STATUSES:
            del self._in_flight[call["id"]]
            self.committed += cost
        else:
            self._in_flight[call["id"]] = max(self._in_flight[call["id"]], cost)

    def report(self, cells_remaining: int) -> BudgetReport:
        if self._stop is None:
            return BudgetReport(self.cap, False, Money(self.committed, self.cap.currency), (), cells_remaining)
        committed, in_flight = self._stop
        return BudgetReport(
            self.cap,
            True,
            Money(committed, self.cap.currency),
            tuple(k for k in in_flight if isinstance(k, str)),
            cells_remaining,
        )
