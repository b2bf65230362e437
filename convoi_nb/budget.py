"""The spend policy, in one place: what a cap is, when a run must be confirmed first, and the ledger of a capped run.

Words, used the same way everywhere:

- **spend**: money billed, and nothing else (`results.spend()`, `summary()["spend_total"]`). A prediction of
  what calls will be billed is a *cost* estimate (`estimate()`, `plan()["estimated_cost"]`).
- **max_cost**, the cap: `None` means no cap (the run creates every missing cell); `0` is a cap of zero (no call
  is created); an amount is the most the experiment's calls, over every run, may be billed, in their currency.
  The ExperimentPanel's Budget field means the same: empty is no cap, `0` a cap of zero.
- **committed**: what the experiment's finished calls (ended, failed, expired) were billed, exact. A call in
  flight is *projected* at its variant's mean cost per finished call (or what it has cost already, if more); no
  call is created once committed plus projected plus the next call would pass the cap. Running calls are left
  to finish, so the final spend can pass the cap by what those calls go on to cost.
- **confirm_runs_over** (the client's): a run that would create more calls than this prints its estimated cost
  first and is refused unless it has a cap or `confirm=True`; `None` never asks, `0` asks before any run that
  creates a call. `connect()` sets 20 on the real service.

It lives below both the client and the experiments (it imports neither), so each can call it.

Runs of one experiment exclude each other across processes (the results store's run lock), and a listening
session's create takes the same lock, so one ledger sees every call the experiment creates.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .errors import ConfigurationError, ExperimentError, MixedCurrencyError, ValidationError
from .models import TERMINAL_STATUSES
from .money import Amount, Money, format_money, to_decimal

Cap = Money | Amount


def check_cap(cap: Cap | None) -> Money | Decimal | None:
    """Check a `max_cost` before anything is sent.

    Args:
        cap: None (no cap), an amount (0 or more, in the calls' currency) or a `Money`.

    Returns:
        None, the `Money`, or the amount as a Decimal.

    Raises:
        ValidationError: Not an amount, negative, or not finite.

    Examples:
        >>> from convoi_nb.budget import check_cap
        >>> check_cap(5), check_cap(None)
        (Decimal('5'), None)
        >>> check_cap(-1)
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ValidationError: ... max_cost: must be a finite amount of 0 or more, got -1
    """
    if cap is None or isinstance(cap, Money):
        if isinstance(cap, Money) and (not cap.amount.is_finite() or cap.amount < 0):
            raise ValidationError.of_field("argument", "max_cost", f"must be a finite amount of 0 or more, got {cap}")
        return cap
    if isinstance(cap, bool) or not isinstance(cap, (Decimal, int, float, str)):
        raise ValidationError.of_field(
            "argument", "max_cost", f"must be an amount (e.g. 5 or Decimal('5.00')), a Money or None, got {cap!r}"
        )
    try:
        amount = to_decimal(cap)
    except (ArithmeticError, ValueError):
        raise ValidationError.of_field("argument", "max_cost", f"must be an amount, got {cap!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError.of_field("argument", "max_cost", f"must be a finite amount of 0 or more, got {cap!r}")
    return amount


def cap_from_text(text: str) -> Decimal | None:
    """Read a cap typed into a text field (the ExperimentPanel's Budget).

    Args:
        text: What was typed: empty for no cap, else an amount such as "5" or "2.50" (0 is a cap of zero).

    Returns:
        None (no cap) or the amount.

    Raises:
        ValidationError: Not an amount of 0 or more.

    Examples:
        >>> from convoi_nb.budget import cap_from_text
        >>> cap_from_text("2.50"), cap_from_text("  ")
        (Decimal('2.50'), None)
    """
    text = text.strip()
    if not text:
        return None
    checked = check_cap(text)
    assert isinstance(checked, Decimal)  # text is never None or Money
    return checked


def cap_in(cap: Money | Decimal, currency: str) -> Money:
    """A checked cap in the currency the experiment's calls are billed in.

    Args:
        cap: What `check_cap` returned (not None).
        currency: The calls' currency.

    Returns:
        The cap as Money.

    Raises:
        MixedCurrencyError: A `Money` cap in another currency.
    """
    if isinstance(cap, Money):
        if cap.currency != currency:
            raise MixedCurrencyError(f"max_cost is in {cap.currency}, this experiment's calls are billed in {currency}")
        return cap
    return Money(cap, currency)


def check_threshold(threshold: object) -> int | None:
    """Validate a `confirm_runs_over` setting: a number of calls (0 or more) or None.

    Args:
        threshold: The value given.

    Returns:
        The threshold.

    Raises:
        ConfigurationError: It is not None, nor an integer of 0 or more (a bool is not a number of calls).
    """
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int) or threshold < 0:
        raise ConfigurationError(f"confirm_runs_over must be a number of calls (0 or more) or None, got {threshold!r}")
    return threshold


def needs_confirmation(creates: int, threshold: int | None) -> bool:
    """Whether a run of `creates` calls must show its cost first and be capped or confirmed.

    Args:
        creates: The calls the run would create.
        threshold: The client's `confirm_runs_over` (None: never).

    Returns:
        True when the run is larger than the threshold.

    Examples:
        >>> from convoi_nb.budget import needs_confirmation
        >>> needs_confirmation(30, 20), needs_confirmation(10, 20), needs_confirmation(1000, None)
        (True, False, False)
    """
    return threshold is not None and creates > threshold


def refusal(creates: int, threshold: int, *, panel: bool = False) -> str:
    """Why a large run without a cap or confirmation was refused, and the way on.

    Args:
        creates: The calls the run would create.
        threshold: The client's `confirm_runs_over`.
        panel: Word it for the ExperimentPanel (whose way on is its Budget field).

    Returns:
        The message.

    Examples:
        >>> from convoi_nb.budget import refusal
        >>> print(refusal(30, 20))
        this run would create 30 calls (more than confirm_runs_over=20) and nothing was created: pass max_cost=… to
        cap its spend, or confirm=True to run it uncapped
    """
    if panel:
        return (
            f"this run would create {creates} calls (more than {threshold}): set a Budget first; Estimate cost "
            "shows what the run will cost"
        )
    return (
        f"this run would create {creates} calls (more than confirm_runs_over={threshold}) and nothing was "
        "created: pass max_cost=… to cap its spend, or confirm=True to run it uncapped"
    )


def check_confirmed(creates: int, threshold: int | None, *, capped: bool, confirmed: bool) -> None:
    """Refuse a large run that has neither a cap nor a confirmation.

    Args:
        creates: The calls the run would create.
        threshold: The client's `confirm_runs_over`.
        capped: The run has a `max_cost`.
        confirmed: The run was passed `confirm=True`.

    Raises:
        ExperimentError: The run is over the threshold and neither capped nor confirmed.
    """
    if threshold is not None and needs_confirmation(creates, threshold) and not (capped or confirmed):
        raise ExperimentError(refusal(creates, threshold))


@dataclass(frozen=True)
class BudgetReport:
    """How a capped run ended.

    Attributes:
        cap: The cap.
        stopped: Whether the cap kept calls from being created.
        committed_at_stop: What finished calls had been billed when the run stopped creating.
        in_flight_at_stop: Ids of the calls then running: their cost may still pass the cap.
        cells_remaining: Cells of the experiment with no call.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> experiment = Experiment("capped", agent.id, Variant.grid(axes={"tts.speed": [1.0, 1.2]}), replicates=3,
        ...                         store=":memory:")
        >>> _ = experiment.estimate(client)  # finished calls to project the cost of the next ones from
        >>> results = experiment.run(client, max_cost=5, progress=False)
        >>> print(results.budget)
        budget $5.00: ...
        >>> results.budget.stopped in (True, False)
        True
    """

    cap: Money
    stopped: bool
    committed_at_stop: Money
    in_flight_at_stop: tuple[str, ...]
    cells_remaining: int

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


class SpendLedger:
    """The ledger of one capped run. Single-threaded (asyncio): `admit` reserves before the create is awaited.

    Args:
        cap: The cap, in the calls' currency (see `cap_in`).
        committed: What the experiment's finished calls were billed so far.
        per_call: Each variant's mean billed cost per finished call (None: none finished; the pooled mean).

    Raises:
        ExperimentError: No variant has a finished call to project from.
    """

    def __init__(self, cap: Money, committed: Decimal, per_call: Mapping[str, Decimal | None]) -> None:
        known = [v for v in per_call.values() if v is not None]
        if per_call and not known:
            raise ExperimentError(
                "max_cost needs a cost per call to project from, and this experiment has no "
                "finished call yet: run experiment.estimate(client) first (a pilot of 2 calls "
                "per variant), then run(max_cost=…)"
            )
        pooled = sum(known, Decimal(0)) / len(known) if known else Decimal(0)  # no variants: nothing to admit
        self.cap = cap
        self.committed = committed
        self._pooled = pooled
        self._per_call = {name: value if value is not None else pooled for name, value in per_call.items()}
        self._in_flight: dict[Hashable, Decimal] = {}  # call id, or (variant, replicate) while its create runs
        self._stop: tuple[Decimal, list[Hashable]] | None = None  # (committed, in flight) when it stopped

    @property
    def projected(self) -> Decimal:
        """Committed plus the projection of every call in flight."""
        return self.committed + sum(self._in_flight.values(), Decimal(0))

    @property
    def stopped(self) -> bool:
        """Whether the cap has stopped the run (for good)."""
        return self._stop is not None

    def in_flight_ids(self) -> list[str]:
        """The ids of the calls in flight.

        Returns:
            The ids.
        """
        return [k for k in self._in_flight if isinstance(k, str)]

    def admit(self, variant: str, cell: Hashable) -> bool:
        """Reserve the projected cost of one more call of `variant`, or stop for good if it would pass the cap.

        Args:
            variant: The call's variant.
            cell: The cell being created (its key while the create runs).

        Returns:
            Whether the call may be created.
        """
        if self._stop is None and self.projected + self._per_call[variant] > self.cap.amount:
            self._stop = (self.committed, list(self._in_flight))
        if self._stop is not None:
            return False
        self._in_flight[cell] = self._per_call[variant]
        return True

    def created(self, cell: Hashable, call: Mapping[str, Any]) -> None:
        """The admitted cell's call exists: track it by id.

        Args:
            cell: The cell admitted.
            call: The call created (as JSON).
        """
        self._in_flight[call["id"]] = self._in_flight.pop(cell)
        self._rename(cell, call["id"])
        self.observe(call)

    def release(self, cell: Hashable) -> None:
        """The create failed: its call does not exist (a lost answer is found and counted after the run).

        Args:
            cell: The cell admitted.
        """
        self._in_flight.pop(cell, None)
        self._rename(cell, None)

    def _rename(self, cell: Hashable, call_id: str | None) -> None:
        # A create that was under way when the run stopped: its call was in flight then too.
        if self._stop is not None and cell in self._stop[1]:
            keys = self._stop[1]
            keys.remove(cell)
            if call_id is not None:
                keys.append(call_id)

    def track(self, call: Mapping[str, Any], variant: str) -> None:
        """A call created by an earlier run and still running when this one starts.

        Args:
            call: The call (as JSON).
            variant: Its variant (one since removed is projected at the pooled mean).
        """
        self._in_flight[call["id"]] = self._per_call.get(variant, self._pooled)
        self.observe(call)

    def observe(self, call: Mapping[str, Any]) -> None:
        """A call's latest state: finished → its billed cost is committed; running → projected at least at its cost.

        Args:
            call: The call (as JSON).

        Raises:
            MixedCurrencyError: The call is billed in another currency than the cap.
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
        """How the run ended, against its cap.

        Args:
            cells_remaining: Cells of the experiment with no call.

        Returns:
            The report.
        """
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
