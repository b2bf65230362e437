"""Running an experiment's fixed design: every missing cell created concurrently, resumably, within its spend policy.

`FixedRunner` does one run: it lists and checks the server's calls (`reconcile`), records the design, asks the
spend policy (`budget`) whether the run may go ahead and keeps its ledger, creates the missing cells replicate by
replicate, and finds creates whose answer was lost. A pilot is a `FixedRunner` over the first replicates, its calls
of kind "pilot". A sequential design (waves, looks) is `sequential.SequentialRunner`, with the helpers here.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._logging import get_logger
from .._progress import progress_bar as tqdm
from .._sync_bridge import run_sync
from ..budget import Cap, SpendLedger, cap_in, check_cap, check_confirmed, needs_confirmation
from ..errors import APIError, ExperimentError, IdempotencyConflictError, ValidationError
from ..models import TERMINAL_STATUSES, Call, WebCallRequest
from ..money import Money
from ..stats.columns import PILOT, REPLICATE, design_rows
from ..stats.estimate import Estimate, estimate_remaining, finished_spend, per_call_cost
from ..stats.primitives import check_probability
from .pilot import DEFAULT_PILOT, PLAN_PILOT, PilotQuote, bills_money
from .polling import CallPoller, Progress, check_concurrency, check_progress_callback, check_wait_timeout
from .pools import async_api, check_client, check_own_loop, check_sync_in_async
from .reconcile import adopt, server_calls
from .results import ExperimentResults
from .sequential_settings import check_fixed_allowed
from .store import ResultsStore

if TYPE_CHECKING:
    import pandas as pd

    from .._client import AsyncConvoiClient, ConvoiClient
    from .design import Design
    from .variants import Variant

    AnyClient = ConvoiClient | AsyncConvoiClient

log = get_logger("convoi_nb.experiments")
OBSERVE_INTERVAL = 2.0  # seconds between reads of the running calls during a capped run


def record_created(
    store: ResultsStore, experiment: Design, variant: Variant, replicate: int, kind: str, call: Call, started: float
) -> dict[str, Any]:
    """Record a call just created for a cell: the one way a create reaches the store.

    Args:
        store: The results store.
        experiment: The experiment.
        variant: The cell's variant.
        replicate: The cell's number within its kind.
        kind: The cell's kind.
        call: The call created.
        started: `time.perf_counter()` when the create was sent.

    Returns:
        The call as recorded (JSON).
    """
    info = call.request_info
    record = call.model_dump(mode="json")
    store.record_call(
        experiment.name,
        variant.name,
        replicate,
        experiment.idempotency_key(variant, replicate, kind),
        record,
        info.request_id if info else None,
        info.attempts if info else 1,
        time.perf_counter() - started,
        kind=kind,
    )
    return record


def create_cell(experiment: Design, client: ConvoiClient, variant: Variant, replicate: int, kind: str) -> Call:
    """Create (or read again, if recorded) the call of one cell, synchronously.

    Args:
        experiment: The experiment.
        client: A sync client.
        variant: The cell's variant.
        replicate: The cell's number within its kind.
        kind: The cell's kind.

    Returns:
        The call.

    Raises:
        ExperimentError: A run of the experiment is under way (a create takes the run lock, so that a capped run's
            ledger sees every call the experiment creates).
    """
    request = experiment.request(variant, replicate, kind)
    store = experiment._open_store()
    experiment.register(store)
    recorded = store.call_of(experiment.name, variant.name, replicate, kind)
    if recorded is not None:
        return client.get_call(recorded["id"])
    with store.run_lock(experiment.name, then="create this call again"):
        started = time.perf_counter()
        call = client.create_web_call(request, idempotency_key=experiment.idempotency_key(variant, replicate, kind))
        record_created(store, experiment, variant, replicate, kind, call, started)
    return call


@dataclass(frozen=True)
class CreateOutcome:
    """What one create of a run came to.

    Attributes:
        record: The call created, as recorded (JSON); None when the create failed.
        error: Why it failed (recorded in the store too), else None.
        conflict: The server holds the cell's key for another body (the variant changed under its name).
    """

    record: dict[str, Any] | None
    error: str | None = None
    conflict: bool = False


async def create_one(
    api: AsyncConvoiClient,
    store: ResultsStore,
    experiment: Design,
    variant: Variant,
    replicate: int,
    kind: str,
    request: WebCallRequest,
) -> CreateOutcome:
    """Create one cell's call with its idempotency key, and record what came of it (a run's one way to create).

    Args:
        api: An async client.
        store: The results store.
        experiment: The experiment.
        variant: The cell's variant.
        replicate: The cell's number within its kind.
        kind: The cell's kind.
        request: The cell's create request, validated.

    Returns:
        The call recorded, or why the create failed.
    """
    key = experiment.idempotency_key(variant, replicate, kind)
    started = time.perf_counter()
    try:
        call = await api.create_web_call(request, idempotency_key=key)
    except IdempotencyConflictError:
        store.record_error(experiment.name, variant.name, replicate, key, "idempotency conflict")
        return CreateOutcome(None, "idempotency conflict", conflict=True)
    except APIError as exc:
        store.record_error(experiment.name, variant.name, replicate, key, str(exc))
        return CreateOutcome(None, str(exc))
    return CreateOutcome(record_created(store, experiment, variant, replicate, kind, call, started))


def conflict_error(experiment: Design, variants: list[str]) -> ExperimentError:
    """The error of a run whose creates met calls made with other overrides under the same keys.

    Args:
        experiment: The experiment.
        variants: The variants whose creates conflicted.

    Returns:
        The error, to raise.
    """
    return ExperimentError(
        f"the server already holds calls for variants {sorted(set(variants))} of {experiment.name!r} with "
        "other overrides (same idempotency keys, different bodies); rename those variants or the experiment"
    )


def confirm_large_run(
    experiment: Design,
    client: AnyClient,
    store: ResultsStore,
    replicates: int,
    creates: int,
    *,
    capped: bool,
    confirmed: bool,
) -> None:
    """Print, once and before any create, what a large run will cost; refuse it unless capped or confirmed.

    Args:
        experiment: The experiment.
        client: The client (its `confirm_runs_over` is the rule's threshold).
        store: Its results store.
        replicates: Replicates per variant the run may reach.
        creates: The most calls the run may create.
        capped: The run has a `max_cost`.
        confirmed: The run was passed `confirm=True`.
    """
    threshold = client.confirm_runs_over
    if not needs_confirmation(creates, threshold):
        return
    frame = _frame(store, experiment.name) if store.variants(experiment.name) else None
    if frame is not None and len(frame):
        names = [v.name for v in experiment.variants]
        line = str(estimate_remaining(frame, names, replicates))
    else:
        line = f"this run: {creates} calls to create; cost unknown (experiment.estimate(client) runs a pilot)"
    print(f"convoi_nb: experiment {experiment.name!r} on {client.base_url}: {line}")
    check_confirmed(creates, threshold, capped=capped, confirmed=confirmed)


def missing_cells(experiment: Design, store: ResultsStore, replicates: int) -> list[tuple[Variant, int]]:
    """The design's cells with no call in the store: what a run creates (the panel's confirm rule counts these too).

    Args:
        experiment: The experiment.
        store: Its results store.
        replicates: Replicates per variant the run completes.

    Returns:
        (variant, replicate) of each, replicate by replicate, so a run stopped by its budget leaves every variant
        with as many calls.
    """
    done = store.done(experiment.name)
    return [(v, r) for r in range(replicates) for v in experiment.variants if (v.name, r) not in done]


class FixedRunner:
    """One run of a fixed design: the missing cells of `replicates` × variants.

    Args:
        experiment: The experiment.
        client: The client (sync or async) to create the calls with.
        replicates: How many replicates per variant this run completes (default: the experiment's).
        kind: The kind its calls are recorded as: "replicate", or "pilot" for a pilot's.
        own_loop: Whether it runs on an event loop of its own (`run()`): then it sends through a twin of `client`
            with a pool of its own; otherwise an `AsyncConvoiClient` is used as it is, on the caller's loop.
        doing: What the user called, for errors.
    """

    def __init__(
        self,
        experiment: Design,
        client: AnyClient,
        *,
        replicates: int | None = None,
        kind: str = REPLICATE,
        own_loop: bool = False,
        doing: str = "experiment.arun()",
    ) -> None:
        self.experiment, self.client, self.kind, self.own_loop, self.doing = experiment, client, kind, own_loop, doing
        self.replicates = experiment.replicates if replicates is None else replicates

    async def arun(
        self,
        *,
        concurrency: int = 16,
        progress: bool = True,
        on_progress: Progress = None,
        max_cost: Cap | None = None,
        confirm: bool = False,
    ) -> ExperimentResults:
        """Create every missing cell; see `Experiment.run` for the arguments.

        Args:
            concurrency: Creates in flight at once.
            progress: Show a progress bar.
            on_progress: Called with (done, total) after each create.
            max_cost: The spend cap (None: no cap; 0: a cap of zero).
            confirm: Run uncapped even over the client's `confirm_runs_over`.

        Returns:
            The results.

        Raises:
            ConfigurationError: It runs on a loop of its own and the client sends through your own httpx client.
            ValidationError: A bad `client`, `concurrency`, `on_progress` or `max_cost`.
        """
        check_client(self.client)
        if self.own_loop:
            check_own_loop(self.client, self.doing)
        else:
            check_sync_in_async(self.client, self.doing)
        check_progress_callback(on_progress)
        check_concurrency(concurrency)
        cap = check_cap(max_cost)
        experiment = self.experiment
        store = experiment._open_store()
        if self.kind == REPLICATE:
            check_fixed_allowed(store, experiment.name)
        # Build and validate every request once, before sending anything: a bad variant fails here, not halfway.
        requests = {
            (v.name, r): experiment.request(v, r, self.kind)
            for v in experiment.variants
            for r in range(self.replicates)
        }
        with store.run_lock(experiment.name):
            return await self._arun(store, requests, concurrency, progress, on_progress, cap, confirm)

    async def _arun(
        self,
        store: ResultsStore,
        requests: dict[tuple[str, int], WebCallRequest],
        concurrency: int,
        progress: bool,
        on_progress: Progress,
        cap: Money | Decimal | None,
        confirm: bool,
    ) -> ExperimentResults:
        experiment, client = self.experiment, self.client
        conflicts: list[str] = []
        failures: list[tuple[str, int, str]] = []  # (variant, replicate, error) of each failed create
        total = len(experiment.variants) * self.replicates
        async with async_api(client, own_loop=self.own_loop, doing=self.doing) as api:
            # Check the server's calls before the store records anything, so a refused run leaves no trace.
            on_server = await server_calls(experiment, api)
            experiment.register(store)
            adopt(experiment, store, on_server)
            done = store.done(experiment.name)
            todo = missing_cells(experiment, store, self.replicates)
            if self.kind != PILOT:  # a pilot is asked for (a few calls per variant): not the run the rule guards
                confirm_large_run(
                    experiment, client, store, self.replicates, len(todo), capped=cap is not None, confirmed=confirm
                )
            ledger = await self._ledger(api, store, cap) if cap is not None and todo else None
            finished = len(done)  # a disabled tqdm does not count, so keep our own tally for on_progress
            bar = tqdm(
                total=total, initial=finished, desc=f"{experiment.name}: creating", unit="call", disable=not progress
            )
            gate = asyncio.Semaphore(concurrency)

            async def create(variant: Variant, replicate: int) -> None:
                nonlocal finished
                cell = (variant.name, replicate)
                async with gate:
                    if ledger is not None and not ledger.admit(variant.name, cell):
                        return
                    made = await create_one(api, store, experiment, variant, replicate, self.kind, requests[cell])
                    if made.conflict:
                        conflicts.append(variant.name)
                    elif made.record is None:
                        failures.append((variant.name, replicate, made.error or ""))
                    elif ledger is not None:
                        ledger.created(cell, made.record)
                    if ledger is not None:
                        ledger.release(cell)  # no-op once created
                bar.update(1)
                finished += 1
                if on_progress is not None:
                    on_progress(finished, total)

            creates = asyncio.gather(*(create(v, r) for v, r in todo))
            if ledger is not None:
                await observe_while(creates, api, store, experiment.name, ledger)
            else:
                await creates
            if failures and not conflicts:
                # A failed create may have been committed with its answer lost: find it now, so its cost is
                # counted and the next run() does not need to send it again.
                try:
                    found = adopt(experiment, store, await server_calls(experiment, api))
                except ExperimentError:
                    found = set()  # the summary says spend may be missing them; run() again finds them
                failures = [f for f in failures if f[:2] not in found]
        bar.close()
        if conflicts:
            raise conflict_error(experiment, conflicts)
        if failures:
            log.warning(
                "%d of %d creates failed; run() again to retry them. First: %s#%d: %s",
                len(failures),
                len(todo),
                *failures[0],
            )
        results = ExperimentResults(experiment.name, store, CallPoller(client, store, experiment.name))
        if cap is not None:
            remaining = total - len(store.done(experiment.name))
            if ledger is None:  # nothing was left to create: the cap was not needed
                spent = finished_spend(results.frame())
                ledger = SpendLedger(cap_in(cap, spent.currency), spent.amount, {})
            results.budget = ledger.report(remaining)
            if results.budget.stopped:
                log.warning("%s", results.budget)
        return results

    async def _ledger(self, api: AsyncConvoiClient, store: ResultsStore, cap: Money | Decimal) -> SpendLedger:
        """A ledger of what the experiment has spent so far (calls still running are read again first)."""
        name = self.experiment.name
        rows = [r for r in store.results(name) if r.call]
        running = {r.call["id"]: r.variant for r in rows if r.call and r.call["status"] not in TERMINAL_STATUSES}
        fresh = await read_calls(api, list(running)) if running else []
        store.update_calls(name, fresh)
        frame = _frame(store, name)
        spent = finished_spend(frame)
        ledger = SpendLedger(
            cap_in(cap, spent.currency), spent.amount, per_call_cost(frame, [v.name for v in self.experiment.variants])
        )
        for call in fresh:
            if call["status"] not in TERMINAL_STATUSES:
                ledger.track(call, running[call["id"]])
        return ledger


def _frame(store: ResultsStore, name: str) -> pd.DataFrame:
    return ExperimentResults(name, store).frame()


def _check_pilot(client: AnyClient, pilot: int, wait_timeout: float, doing: str) -> None:
    """Refuse, before anything is sent, what a pilot cannot run with (the same checks for plan and estimate)."""
    if isinstance(pilot, bool) or not isinstance(pilot, int) or pilot < 2:
        raise ValidationError.of_field(
            "argument", "pilot", f"must be an integer of at least 2 (a spread needs two calls), got {pilot!r}"
        )
    check_wait_timeout(wait_timeout)
    check_client(client)
    check_own_loop(client, doing)


def _check_confirm(confirm: object) -> None:
    if not isinstance(confirm, bool):
        raise ValidationError.of_field("argument", "confirm", f"must be True or False, got {confirm!r}")


def run_pilot(
    experiment: Design, client: AnyClient, pilot: int, wait_timeout: float, doing: str = "experiment.plan()"
) -> ExperimentResults:
    """Run the first `pilot` replicates of each variant (kind "pilot") and wait for them to finish.

    Args:
        experiment: The experiment.
        client: The client.
        pilot: Replicates per variant (at most the experiment's).
        wait_timeout: Seconds to wait for the calls.
        doing: What the user called, for errors.

    Returns:
        The experiment's results, the pilot's calls finished.

    Raises:
        ConfigurationError: The client sends through your own httpx client (a pilot runs on a loop of its own).
        ValidationError: A bad `client`, `pilot` or `wait_timeout`.
    """
    _check_pilot(client, pilot, wait_timeout, doing)
    runner = FixedRunner(
        experiment, client, replicates=min(pilot, experiment.replicates), kind=PILOT, own_loop=True, doing=doing
    )
    return run_sync(runner.arun(progress=False)).wait(timeout=wait_timeout, progress=False)


def quote_pilot(experiment: Design, client: AnyClient, pilot: int) -> PilotQuote:
    """What a pilot of `pilot` replicates per variant would create now, and whether it must be asked for.

    Args:
        experiment: The experiment.
        client: The client the pilot would run with.
        pilot: Replicates per variant (at most the experiment's).

    Returns:
        The quote (its `calls` are the cells of those replicates with no call in the store).
    """
    per_variant = min(pilot, experiment.replicates)
    creates = len(missing_cells(experiment, experiment._open_store(), per_variant))
    return PilotQuote(
        experiment.name, creates, per_variant, len(experiment.variants), client.base_url, bills_money(client)
    )


def refuse_unasked_pilot(experiment: Design, client: AnyClient, pilot: int, *, asked: bool, doing: str) -> None:
    """Refuse, before anything is created, a pilot that may cost real money and was not asked for.

    Args:
        experiment: The experiment.
        client: The client the pilot would run with.
        pilot: Replicates per variant the pilot would complete.
        asked: Whether the user gave `pilot=` or `confirm=True`.
        doing: What the user called, for the message.

    Raises:
        ExperimentError: The pilot would create calls that may bill real money, and `asked` is False.
    """
    quote = quote_pilot(experiment, client, pilot)
    if quote.needs_asking and not asked:
        raise ExperimentError(quote.refusal(doing))


def run_asked_pilot(
    experiment: Design, client: AnyClient, pilot: int | None, confirm: bool, wait_timeout: float
) -> ExperimentResults:
    """`plan()`'s pilot: checked, refused where it may cost money unless asked for, then run and waited for.

    Args:
        experiment: The experiment.
        client: The client.
        pilot: Replicates per variant (None: `PLAN_PILOT`, which needs `confirm` where calls may cost money).
        confirm: Run the default pilot on a client that may bill real money.
        wait_timeout: Seconds to wait for the calls.

    Returns:
        The experiment's results, the pilot's calls finished.

    Raises:
        ExperimentError: A pilot that may cost money, neither asked for nor confirmed (nothing created).
        ValidationError: A bad `client`, `pilot`, `confirm` or `wait_timeout`.
    """
    size = PLAN_PILOT if pilot is None else pilot
    _check_pilot(client, size, wait_timeout, "experiment.plan()")
    _check_confirm(confirm)
    refuse_unasked_pilot(experiment, client, size, asked=pilot is not None or confirm, doing="experiment.plan()")
    return run_pilot(experiment, client, size, wait_timeout)


def estimate(
    experiment: Design, client: AnyClient, *, pilot: int | None, confirm: bool, level: float, wait_timeout: float
) -> Estimate:
    """What the rest of the experiment will cost (see `Experiment.estimate`), after a pilot if one is needed.

    Args:
        experiment: The experiment.
        client: The client, for the pilot.
        pilot: Finished calls per variant to predict from (None: 2, and a pilot that may cost money needs
            `confirm`).
        confirm: Run the pilot on a client that may bill real money without an explicit `pilot`.
        level: The prediction level.
        wait_timeout: Seconds to wait for the pilot's calls.

    Returns:
        The estimate.

    Raises:
        ConfigurationError: The client sends through your own httpx client (a pilot runs on a loop of its own).
        ExperimentError: A pilot that may cost money, neither asked for (`pilot=`) nor confirmed (nothing created).
        ValidationError: A bad `client`, `pilot`, `confirm`, `level` or `wait_timeout`.
    """
    size = DEFAULT_PILOT if pilot is None else pilot
    _check_pilot(client, size, wait_timeout, "experiment.estimate()")
    check_probability("level", level)  # before a pilot, not after it
    _check_confirm(confirm)
    names = [v.name for v in experiment.variants]
    frame = _frame(experiment._open_store(), experiment.name)
    design = design_rows(frame)
    finished = design[design["status"].isin(TERMINAL_STATUSES)].groupby("variant", observed=False).size()
    if any(finished.get(name, 0) < min(size, experiment.replicates) for name in names):
        refuse_unasked_pilot(
            experiment, client, size, asked=pilot is not None or confirm, doing="experiment.estimate()"
        )
        frame = run_pilot(experiment, client, size, wait_timeout, "experiment.estimate()").frame()
    return estimate_remaining(frame, names, experiment.replicates, level=level)


async def read_calls(api: AsyncConvoiClient, ids: list[str]) -> list[dict[str, Any]]:
    """Read calls again, eight at a time.

    Args:
        api: An async client.
        ids: The calls' ids.

    Returns:
        The calls (as JSON), in the order of `ids`.
    """
    gate = asyncio.Semaphore(8)

    async def read(call_id: str) -> dict[str, Any]:
        async with gate:
            return (await api.get_call(call_id)).model_dump(mode="json")

    return list(await asyncio.gather(*(read(i) for i in ids)))


async def observe_while(
    creates: asyncio.Future[Any],
    api: AsyncConvoiClient,
    store: ResultsStore,
    name: str,
    ledger: SpendLedger,
    interval: float = OBSERVE_INTERVAL,
) -> None:
    """Await the creates while reading the running calls every `interval`.

    So calls ending during a long run commit their billed cost to the ledger.

    Args:
        creates: The creates under way.
        api: An async client.
        store: The results store (the calls read are recorded).
        name: The experiment.
        ledger: The run's ledger.
        interval: Seconds between reads.
    """
    while True:
        done, _ = await asyncio.wait({creates}, timeout=interval)
        if done:
            creates.result()
            return
        ids = ledger.in_flight_ids()
        try:
            calls = await read_calls(api, ids) if ids else []
        except APIError as exc:  # the projection stands until the next read
            log.debug("could not read running calls of %r: %s", name, exc)
            continue
        store.update_calls(name, calls)
        for call in calls:
            ledger.observe(call)
