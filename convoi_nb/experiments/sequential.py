"""Running an experiment until it is decided: waves of one call per active variant, a look after each.

`SequentialRunner` does one run of `run(until="decided")`. It lists and checks the server's calls and records
the design (as the fixed design's runner does), records the sequential settings once (a later run must use the
same), waits for calls an interrupted run left running, then repeats: look (`stats.sequential.decide` over the
recorded outcomes in order), stop if decided, else create the next wave (one replicate more for each active
variant, numbered on from the variant's last) and wait for it to finish. With `max_cost`, a wave is created only
when its projected cost fits the cap (`convoi_nb.budget`): otherwise the run stops with status "budget", and the
store remembers why.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._logging import get_logger
from .._progress import progress_bar as tqdm
from ..budget import Cap, SpendLedger, cap_in, check_cap
from ..errors import ValidationError, WaitTimeoutError
from ..models import TERMINAL_STATUSES
from ..money import Money
from ..stats.columns import DESIGN_KINDS, REPLICATE
from ..stats.estimate import finished_spend, per_call_cost
from ..stats.sequential import BUDGET, Decision, SequentialConfig, next_wave
from .polling import CallPoller, Progress, WaitPlan, check_concurrency, check_progress_callback, check_wait_timeout
from .pools import async_api, check_client, check_own_loop, check_sync_in_async
from .reconcile import adopt, server_calls
from .results import ExperimentResults
from .runner import CreateOutcome, confirm_large_run, conflict_error, create_one
from .sequential_settings import check_same_settings, check_variants, decision_of, settings_record
from .store import ResultsStore

if TYPE_CHECKING:
    from .._client import AsyncConvoiClient, ConvoiClient
    from .design import Design
    from .variants import Variant

    AnyClient = ConvoiClient | AsyncConvoiClient

log = get_logger("convoi_nb.experiments")
WAVE_POLL_INTERVAL = 0.05  # seconds before a wave's calls are read again the first time (it grows by half each time)


class SequentialRunner:
    """One run of a sequential design: waves until the decision stops it.

    Args:
        experiment: The experiment.
        client: The client (sync or async) to create the calls with.
        config: The sequential configuration (checked).
        own_loop: Whether it runs on an event loop of its own (`run()`); see `FixedRunner`.
        doing: What the user called, for errors.
    """

    def __init__(
        self,
        experiment: Design,
        client: AnyClient,
        config: SequentialConfig,
        *,
        own_loop: bool = False,
        doing: str = "experiment.arun()",
    ) -> None:
        self.experiment, self.client, self.config, self.own_loop, self.doing = (
            experiment,
            client,
            config,
            own_loop,
            doing,
        )
        self.names = [v.name for v in experiment.variants]
        self.record = settings_record(config, self.names)

    async def arun(
        self,
        *,
        concurrency: int = 16,
        progress: bool = True,
        on_progress: Progress = None,
        max_cost: Cap | None = None,
        confirm: bool = False,
        wait_timeout: float = 900.0,
    ) -> ExperimentResults:
        """Run waves until the experiment is decided; see `Experiment.run` for the arguments.

        Args:
            concurrency: Creates in flight at once within a wave.
            progress: Show a progress bar (calls per variant, up to `max_replicates`).
            on_progress: Called with (calls created, most the run can create) after each create.
            max_cost: The spend cap (None: no cap).
            confirm: Run uncapped even over the client's `confirm_runs_over` (counted at the most the run can create).
            wait_timeout: Seconds to wait for one wave's calls to finish.

        Returns:
            The results; `results.decision` says how the run stopped.

        Raises:
            ConfigurationError: A client the run cannot send through (see `Experiment.run`).
            ExperimentError: The settings differ from the experiment's first sequential run, the design conflicts
                with the store or server, another run is under way, or a large run is neither capped nor confirmed.
            ValidationError: A bad argument, a variant the API would refuse, one variant only, or a `max_cost`
                smaller than one wave (all before anything is created).
            WaitTimeoutError: A wave's calls were still running after `wait_timeout` (run again to go on).
        """
        check_client(self.client)
        if self.own_loop:
            check_own_loop(self.client, self.doing)
        else:
            check_sync_in_async(self.client, self.doing)
        check_progress_callback(on_progress)
        check_concurrency(concurrency)
        check_wait_timeout(wait_timeout)
        cap = check_cap(max_cost)
        check_variants(self.names)
        experiment = self.experiment
        # Validate every variant's request before anything is sent: a bad variant fails here, not mid-run.
        for variant in experiment.variants:
            experiment.request(variant, 0, REPLICATE)
        store = experiment._open_store()
        recorded = store.sequential(experiment.name)
        if recorded is not None:
            check_same_settings(experiment.name, recorded[0], self.record)
        with store.run_lock(experiment.name):
            return await self._arun(store, concurrency, progress, on_progress, cap, confirm, wait_timeout)

    async def _arun(
        self,
        store: ResultsStore,
        concurrency: int,
        progress: bool,
        on_progress: Progress,
        cap: Money | Decimal | None,
        confirm: bool,
        wait_timeout: float,
    ) -> ExperimentResults:
        experiment, config, name = self.experiment, self.config, self.experiment.name
        results = ExperimentResults(name, store, CallPoller(self.client, store, name))
        most = config.max_replicates * len(self.names)
        async with async_api(self.client, own_loop=self.own_loop, doing=self.doing) as api:
            # Check the server's calls before the store records anything, so a refused run leaves no trace.
            on_server = await server_calls(experiment, api, config.max_replicates)
            experiment.register(store)
            adopt(experiment, store, on_server)
            # What an interrupted run left running belongs to its last wave: those outcomes come first.
            await self._wait(api, store, self._running(store), wait_timeout)
            decision = self._look(results, store, out_of_budget=False)
            created = len(store.done(name))
            if not decision.done:  # a decided experiment creates nothing: nothing to confirm
                confirm_large_run(
                    experiment,
                    self.client,
                    store,
                    config.max_replicates,
                    max(most - created, 0),
                    capped=cap is not None,
                    confirmed=confirm,
                )
            ledger = self._ledger(results, cap) if cap is not None else None
            if cap is not None:
                self._check_one_wave(results, cap, self._wave(store, decision))
            store.record_sequential(name, self.record)
            store.record_stop(name, None)  # running again: a budget stop is remembered only until then
            bar = tqdm(
                total=config.max_replicates, desc=f"{name}: calls per variant", unit="call", disable=not progress
            )
            gate = asyncio.Semaphore(concurrency)

            async def create(variant: Variant, replicate: int) -> CreateOutcome:
                nonlocal created
                request = experiment.request(variant, replicate)
                async with gate:
                    made = await create_one(api, store, experiment, variant, replicate, REPLICATE, request)
                if ledger is not None:  # the reservation becomes the call, or is given back
                    if made.record is not None:
                        ledger.created((variant.name, replicate), made.record)
                    else:
                        ledger.release((variant.name, replicate))
                created += made.record is not None
                if on_progress is not None:
                    on_progress(created, most)
                return made

            try:
                while not decision.done:
                    self._show(bar, store, decision)
                    wave = self._wave(store, decision)
                    if not wave:
                        break
                    if cap is not None:
                        ledger = self._ledger(results, cap)  # exact: every earlier call has finished
                        if not admit_wave(ledger, wave):
                            store.record_stop(name, BUDGET)
                            decision = self._look(results, store, out_of_budget=True)
                            break
                    made = await _all_or_cancelled([create(v, r) for v, r in wave])
                    conflicts = [v.name for (v, _), m in zip(wave, made, strict=True) if m.conflict]
                    if conflicts:
                        raise conflict_error(experiment, conflicts)
                    await self._wait(api, store, [m.record["id"] for m in made if m.record is not None], wait_timeout)
                    decision = self._look(results, store, out_of_budget=False)
                    failed = [(v.name, r, m.error) for (v, r), m in zip(wave, made, strict=True) if m.record is None]
                    if failed:
                        log.warning(
                            "%d of %d creates of a wave failed and the run stopped: run() again to retry them. "
                            "First: %s#%d: %s",
                            len(failed),
                            len(wave),
                            *failed[0],
                        )
                        break
            finally:
                self._show(bar, store, decision)
                bar.close()
            store.record_stop(name, decision.status if decision.done else None)
        if ledger is not None:
            results.budget = ledger.report(self._remaining(store, decision))
            if results.budget.stopped:
                log.warning("%s", results.budget)
        return results

    def _look(self, results: ExperimentResults, store: ResultsStore, *, out_of_budget: bool) -> Decision:
        """The decision of the outcomes recorded now (the same function `results.decision` reads)."""
        name = self.experiment.name
        return decision_of(
            name,
            results.frame(),
            self.record,
            calls=len(store.done(name)),
            spend=results.spend(),
            out_of_budget=out_of_budget,
        )

    def _remaining(self, store: ResultsStore, decision: Decision) -> int:
        """Calls the active variants could still get before `max_replicates` (none once decided otherwise)."""
        if decision.done and decision.status != BUDGET:
            return 0
        done = store.done(self.experiment.name)
        return sum(max(self.config.max_replicates - sum(1 for v, _ in done if v == n), 0) for n in decision.active)

    def _running(self, store: ResultsStore) -> list[str]:
        """The ids of the design's calls not finished as last read."""
        return [
            r.call["id"]
            for r in store.results(self.experiment.name)
            if r.call and r.kind in DESIGN_KINDS and r.call["status"] not in TERMINAL_STATUSES
        ]

    def _wave(self, store: ResultsStore, decision: Decision) -> list[tuple[Variant, int]]:
        """The next wave's cells: one replicate more for each active variant, those behind first.

        Each variant's next cell is its first without a call (a failed create is tried again under the same key).
        Only the variants furthest behind get one, so a wave an interrupted run left half made is completed before
        a new one starts, and every active variant has as many calls after each wave.
        """
        done = store.done(self.experiment.name)
        nexts: dict[str, int] = {}
        for name in next_wave(decision):
            replicate = 0
            while (name, replicate) in done:
                replicate += 1
            if replicate < self.config.max_replicates:
                nexts[name] = replicate
        behind = min(nexts.values(), default=0)
        return [(self.experiment.variant(n), r) for n, r in nexts.items() if r == behind]

    async def _wait(self, api: AsyncConvoiClient, store: ResultsStore, ids: list[str], timeout: float) -> None:
        """Wait until the calls `ids` have finished, recording each new state."""
        if not ids:
            return
        plan = WaitPlan("ended", timeout, False, WAVE_POLL_INTERVAL, 2.0, 16, None)
        try:
            await CallPoller(api, store, self.experiment.name, only=ids).await_(plan)
        except WaitTimeoutError as exc:
            raise WaitTimeoutError(
                f"{exc}. The run stopped before its next look; run(until='decided') again to go on: it waits for "
                "these calls first, then continues from the store"
            ) from None

    def _ledger(self, results: ExperimentResults, cap: Money | Decimal) -> SpendLedger:
        """A ledger of what the experiment has spent (exact when every call has finished, as between waves)."""
        frame = results.frame()
        spent = finished_spend(frame)
        return SpendLedger(cap_in(cap, spent.currency), spent.amount, per_call_cost(frame, self.names))

    def _check_one_wave(
        self, results: ExperimentResults, cap: Money | Decimal, wave: list[tuple[Variant, int]]
    ) -> None:
        """Refuse a cap that could not pay for one wave even with nothing spent yet."""
        frame = results.frame()
        per_call = per_call_cost(frame, self.names)
        empty = SpendLedger(cap_in(cap, finished_spend(frame).currency), Decimal(0), per_call)
        if wave and not admit_wave(empty, wave):
            known = {v.name: per_call[v.name] for v, _ in wave}
            means = ", ".join(f"{n} {Money(m, empty.cap.currency)}" for n, m in known.items() if m is not None)
            raise ValidationError.of_field(
                "argument",
                "max_cost",
                f"is smaller than one wave of this sequential run: {empty.cap} cannot pay for one call of each of "
                f"the {len(wave)} variants compared (mean cost per call so far: {means}); nothing was created",
            )

    def _show(self, bar: Any, store: ResultsStore, decision: Decision) -> None:
        """Show the calls per variant so far, and how many variants are still compared (or how the run stopped)."""
        done = store.done(self.experiment.name)
        most = max((sum(1 for v, _ in done if v == name) for name in self.names), default=0)
        bar.n = min(most, self.config.max_replicates)
        bar.set_postfix_str(decision.status if decision.done else f"{len(decision.active)} active", refresh=False)
        bar.refresh()


def admit_wave(ledger: SpendLedger, wave: list[tuple[Variant, int]]) -> bool:
    """Reserve a whole wave in the ledger, or none of it: a wave is created whole or not at all.

    Args:
        ledger: The ledger.
        wave: The wave's cells.

    Returns:
        Whether every cell was admitted (if not, the ledger has stopped for good and holds none of them).
    """
    admitted: list[tuple[str, int]] = []
    for variant, replicate in wave:
        cell = (variant.name, replicate)
        if not ledger.admit(variant.name, cell):
            for each in admitted:
                ledger.release(each)
            return False
        admitted.append(cell)
    return True


async def _all_or_cancelled(creates: list[Coroutine[Any, Any, CreateOutcome]]) -> list[CreateOutcome]:
    """Await a wave's creates; if one raises (or the run is cancelled), cancel the others before going on.

    So an interrupted run leaves no create running on a connection pool that is about to close.
    """
    tasks = [asyncio.ensure_future(c) for c in creates]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
