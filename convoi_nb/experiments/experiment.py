"""An experiment: one agent, several override variants, replicates of each, run concurrently and resumably."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._base_client import build_web_call
from .._client import AsyncConvoiClient, ConvoiClient
from .._logging import get_logger
from .._progress import progress_bar as tqdm
from .._sync_bridge import run_sync
from ..errors import APIError, ExperimentError, IdempotencyConflictError
from ..models import TERMINAL_STATUSES, Call, WebCallRequest
from .budget import Cap, SpendLedger
from .estimate import Estimate, estimate_remaining, finished_spend, per_call_cost
from .polling import CallPoller, Progress
from .results import ExperimentResults
from .store import ResultsStore
from .variants import Variant

if TYPE_CHECKING:
    import pandas as pd

log = get_logger("convoi_nb.experiments")
DEFAULT_STORE = "convoi_experiments.sqlite3"
# Fixed namespace: the same (experiment, agent, variant, replicate) always maps to the same key.
_KEY_NAMESPACE = uuid.UUID("7c4f3a52-9a51-4d43-8a8e-9f6f2b1c0e11")
AnyClient = ConvoiClient | AsyncConvoiClient
OBSERVE_INTERVAL = 2.0  # seconds between reads of the running calls during a capped run


class Experiment:
    """`variants` × `replicates` web calls of `agent_id`, tagged and recorded in a results store.

    Re-running within 24 h returns the same calls (deterministic idempotency keys); an interrupted run
    resumes where it stopped. The store defaults to `convoi_experiments.sqlite3` in the working directory
    (next to the notebook).
    """

    def __init__(
        self,
        name: str,
        agent_id: str,
        variants: Sequence[Variant],
        replicates: int = 5,
        *,
        metadata: Mapping[str, Any] | None = None,
        store: str | Path | None = None,
    ) -> None:
        if not name or not isinstance(name, str):
            raise ExperimentError("an experiment needs a non-empty name")
        if not variants:
            raise ExperimentError("an experiment needs at least one variant")
        names = [v.name for v in variants]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ExperimentError(f"variant names must be unique; repeated: {', '.join(duplicates)}")
        if not isinstance(replicates, int) or replicates < 1:
            raise ExperimentError(f"replicates must be a positive integer, got {replicates!r}")
        self.name, self.agent_id, self.variants, self.replicates = name, agent_id, list(variants), replicates
        self.metadata = dict(metadata or {})
        self.store_path = Path(store) if store is not None else Path.cwd() / DEFAULT_STORE
        self._memory_store: ResultsStore | None = None

    def __repr__(self) -> str:
        return (
            f"Experiment({self.name!r}, agent={self.agent_id}, {len(self.variants)} variants × "
            f"{self.replicates} replicates, store={str(self.store_path)!r})"
        )

    def idempotency_key(self, variant: Variant, replicate: int) -> str:
        return str(uuid.uuid5(_KEY_NAMESPACE, f"{self.name}\x1f{self.agent_id}\x1f{variant.name}\x1f{replicate}"))

    def call_metadata(self, variant: Variant, replicate: int) -> dict[str, Any]:
        """What each call carries: the experiment's and variant's metadata, then the tags that find it again
        (`variant_fingerprint` lets a later run see, from the server alone, that a variant has changed).
        """
        return {
            **self.metadata,
            **variant.metadata,
            "experiment": self.name,
            "variant": variant.name,
            "replicate": replicate,
            "variant_fingerprint": variant.fingerprint,
        }

    def register(self, store: ResultsStore) -> None:
        """Record the experiment and its variants in `store` (once; later calls change nothing)."""
        store.register(
            self.name,
            self.agent_id,
            self.metadata,
            [(v.name, v.fingerprint, v.body, dict(v.metadata)) for v in self.variants],
        )

    def _open_store(self) -> ResultsStore:
        if str(self.store_path) == ":memory:":  # one in-memory store per experiment, or nothing would resume
            if self._memory_store is None:
                self._memory_store = ResultsStore(":memory:")
            store = self._memory_store
        else:
            store = ResultsStore(self.store_path)
        known = store.experiment(self.name)
        if known is not None and known["agent_id"] != self.agent_id:
            raise ExperimentError(
                f"experiment {self.name!r} was run with agent {known['agent_id']}; "
                "use a new experiment name for another agent"
            )
        if known is not None and _json(json.loads(known["metadata"])) != _json(self.metadata):
            raise ExperimentError(
                f"experiment {self.name!r} was run with metadata {known['metadata']}, now "
                f"{json.dumps(self.metadata)}: resuming would tag its calls two ways; keep the metadata or use "
                "a new experiment name"
            )
        for row in store.variants(self.name):
            current = next((v for v in self.variants if v.name == row["name"]), None)
            if current is not None and current.fingerprint != row["fingerprint"]:
                raise ExperimentError(
                    f"variant {row['name']!r} of experiment {self.name!r} was run before with other overrides "
                    "or metadata; give the changed variant a new name (or start a new experiment)"
                )
        return store

    def run(
        self,
        client: AnyClient,
        *,
        concurrency: int = 16,
        progress: bool = True,
        on_progress: Progress = None,
        max_cost: Cap | None = None,
        confirm: bool = False,
    ) -> ExperimentResults:
        """Create every missing call concurrently; safe to call again (it resumes, never duplicates).

        `max_cost` caps what the experiment spends (all its calls, over every run): no call is created once
        the spend of its finished calls plus a projection of those running would pass it; running calls are
        left to finish, and `results.budget` says whether the cap stopped the run. Runs over the client's
        `confirm_runs_over` calls (the real service: 20) print their estimated cost first and need `max_cost`
        or `confirm=True`.
        """
        return run_sync(
            self.arun(
                client,
                concurrency=concurrency,
                progress=progress,
                on_progress=on_progress,
                max_cost=max_cost,
                confirm=confirm,
            )
        )

    async def arun(
        self,
        client: AnyClient,
        *,
        concurrency: int = 16,
        progress: bool = True,
        on_progress: Progress = None,
        max_cost: Cap | None = None,
        confirm: bool = False,
    ) -> ExperimentResults:
        """`run()` for async code (`await experiment.arun(client)`)."""
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ExperimentError(f"concurrency must be a positive integer, got {concurrency!r}")
        store = self._open_store()
        # Build and validate every request once, before sending anything: a bad variant fails here, not halfway.
        requests = {(v.name, r): self._request(v, r) for v in self.variants for r in range(self.replicates)}
        conflicts: list[str] = []
        failures: list[tuple[str, int, str]] = []  # (variant, replicate, error) of each failed create
        total = len(self.variants) * self.replicates
        # A pool of its own: an async pool belongs to the loop that first used it, and run() has its own loop.
        async with client.to_async() as api:
            # Check the server's calls before the store records anything, so a refused run leaves no trace.
            on_server = await self._server_calls(api)
            self.register(store)
            self._adopt(store, on_server)
            done = store.done(self.name)
            # Replicate by replicate, so a run stopped by its budget leaves every variant with as many calls.
            todo = [(v, r) for r in range(self.replicates) for v in self.variants if (v.name, r) not in done]
            self._confirm_large_run(client, store, len(todo), max_cost is not None or confirm)
            ledger = await self._ledger(api, store, max_cost) if max_cost is not None and todo else None
            finished = len(done)  # a disabled tqdm does not count, so keep our own tally for on_progress
            bar = tqdm(total=total, initial=finished, desc=f"{self.name}: creating", unit="call", disable=not progress)
            gate = asyncio.Semaphore(concurrency)

            async def create(variant: Variant, replicate: int) -> None:
                nonlocal finished
                key = self.idempotency_key(variant, replicate)
                async with gate:
                    if ledger is not None and not ledger.admit(variant.name, (variant.name, replicate)):
                        return
                    started = time.perf_counter()
                    try:
                        call = await api.create_web_call(requests[variant.name, replicate], idempotency_key=key)
                    except IdempotencyConflictError:
                        conflicts.append(variant.name)
                        store.record_error(self.name, variant.name, replicate, key, "idempotency conflict")
                    except APIError as exc:
                        failures.append((variant.name, replicate, str(exc)))
                        store.record_error(self.name, variant.name, replicate, key, str(exc))
                    else:
                        info = call.request_info
                        record = call.model_dump(mode="json")
                        store.record_call(
                            self.name,
                            variant.name,
                            replicate,
                            key,
                            record,
                            info.request_id if info else None,
                            info.attempts if info else 1,
                            time.perf_counter() - started,
                        )
                        if ledger is not None:
                            ledger.created((variant.name, replicate), record)
                    if ledger is not None:
                        ledger.release((variant.name, replicate))  # no-op once created
                bar.update(1)
                finished += 1
                if on_progress is not None:
                    on_progress(finished, total)

            creates = asyncio.gather(*(create(v, r) for v, r in todo))
            if ledger is not None:
                await _while_observing(creates, api, store, self.name, ledger)
            else:
                await creates
            if failures and not conflicts:
                # A failed create may have been committed with its answer lost: find it now, so its cost is
                # counted and the next run() does not need to send it again.
                try:
                    found = self._adopt(store, await self._server_calls(api))
                except ExperimentError:
                    found = set()  # the summary says spend may be missing them; run() again finds them
                failures = [f for f in failures if f[:2] not in found]
        bar.close()
        if conflicts:
            raise ExperimentError(
                f"the server already holds calls for variants {sorted(set(conflicts))} of {self.name!r} with other "
                "overrides (same idempotency keys, different bodies); rename those variants or the experiment"
            )
        if failures:
            log.warning(
                "%d of %d creates failed; run() again to retry them. First: %s#%d: %s",
                len(failures),
                len(todo),
                *failures[0],
            )
        results = ExperimentResults(self.name, store, CallPoller(client, store, self.name))
        if max_cost is not None:
            remaining = total - len(store.done(self.name))
            if ledger is None:  # nothing was left to create: the cap was not needed
                spent = finished_spend(self._frame(store))
                ledger = SpendLedger(max_cost, spent.currency, spent.amount, {})
            results.budget = ledger.report(remaining)
            if results.budget.stopped:
                log.warning("%s", results.budget)
        return results

    def create_cell(self, client: ConvoiClient, variant_name: str, replicate: int) -> Call:
        """The call of one cell, created with the cell's idempotency key (the recorded call, read again, if the
        store has it): how a listening session makes its calls one at a time, resumably.
        """
        variant = next((v for v in self.variants if v.name == variant_name), None)
        if variant is None:
            raise ExperimentError(f"experiment {self.name!r} has no variant {variant_name!r}")
        store = self._open_store()
        self.register(store)
        recorded = next(
            (r for r in store.results(self.name) if (r.variant, r.replicate) == (variant_name, replicate) and r.call),
            None,
        )
        if recorded is not None:
            return client.get_call(recorded.call["id"])
        key = self.idempotency_key(variant, replicate)
        started = time.perf_counter()
        call = client.create_web_call(self._request(variant, replicate), idempotency_key=key)
        info = call.request_info
        store.record_call(
            self.name,
            variant_name,
            replicate,
            key,
            call.model_dump(mode="json"),
            info.request_id if info else None,
            info.attempts if info else 1,
            time.perf_counter() - started,
        )
        return call

    def estimate(
        self, client: AnyClient, *, pilot: int = 2, level: float = 0.90, wait_timeout: float = 300.0
    ) -> Estimate:
        """What the rest of this experiment will cost and how long its calls will talk, per variant and in
        total, with a `level` prediction interval. Predicted from the finished calls in the store; a variant
        with fewer than `pilot` of them first gets its first `pilot` replicates run and waited for (a later
        `run()` keeps them).
        """
        if not isinstance(pilot, int) or pilot < 2:
            raise ExperimentError(f"pilot must be an integer of at least 2 (a spread needs two calls), got {pilot!r}")
        frame = self._frame(self._open_store())
        sweep = frame[frame["replicate"] >= 0]
        finished = sweep[sweep["status"].isin(TERMINAL_STATUSES)].groupby("variant", observed=False).size()
        if any(finished.get(v.name, 0) < min(pilot, self.replicates) for v in self.variants):
            self._pilot(client, pilot, wait_timeout)
            frame = self._frame(self._open_store())
        return estimate_remaining(frame, [v.name for v in self.variants], self.replicates, level=level)

    def _pilot(self, client: AnyClient, pilot: int, wait_timeout: float) -> ExperimentResults:
        pilot_run = Experiment(
            self.name,
            self.agent_id,
            self.variants,
            min(pilot, self.replicates),
            metadata=self.metadata,
            store=self.store_path,
        )
        pilot_run._memory_store = self._open_store() if str(self.store_path) == ":memory:" else None
        # Asked for by estimate()/plan() (a few calls per variant): not the large run confirm_runs_over guards.
        return pilot_run.run(client, progress=False, confirm=True).wait(timeout=wait_timeout, progress=False)

    def _frame(self, store: ResultsStore) -> pd.DataFrame:
        return ExperimentResults(self.name, store).frame()

    def _confirm_large_run(self, client: AnyClient, store: ResultsStore, creates: int, allowed: bool) -> None:
        """Print, once and before any create, what a large run will cost; refuse it unless capped or confirmed."""
        threshold = client.confirm_runs_over
        if threshold is None or creates <= threshold:
            return
        frame = self._frame(store) if store.variants(self.name) else None
        if frame is not None and len(frame):
            line = str(estimate_remaining(frame, [v.name for v in self.variants], self.replicates))
        else:
            line = f"this run: {creates} calls to create; cost unknown (experiment.estimate(client) runs a pilot)"
        print(f"convoi_nb: experiment {self.name!r} on {client.base_url}: {line}")
        if not allowed:
            raise ExperimentError(
                f"this run would create {creates} calls (more than confirm_runs_over={threshold}) and nothing was "
                "created: pass max_cost=… to cap its spend, or confirm=True to run it uncapped"
            )

    async def _ledger(self, api: AsyncConvoiClient, store: ResultsStore, max_cost: Cap) -> SpendLedger:
        """A ledger of what the experiment has spent so far (calls still running are read again first)."""
        rows = [r for r in store.results(self.name) if r.call]
        running = {r.call["id"]: r.variant for r in rows if r.call["status"] not in TERMINAL_STATUSES}
        fresh = await _read_calls(api, list(running)) if running else []
        store.update_calls(self.name, fresh)
        frame = self._frame(store)
        names = [v.name for v in self.variants]
        spent = finished_spend(frame)
        ledger = SpendLedger(max_cost, spent.currency, spent.amount, per_call_cost(frame, names))
        for call in fresh:
            if call["status"] not in TERMINAL_STATUSES:
                ledger.track(call, running[call["id"]])
        return ledger

    def plan(
        self,
        client: AnyClient,
        *,
        pilot: int = 3,
        detect: float = 0.10,
        power: float = 0.8,
        level: float = 0.95,
        wait_timeout: float = 300.0,
    ) -> pd.DataFrame:
        """Run `pilot` replicates per variant (the first replicates of this experiment: a later `run()` keeps
        them), wait for them, and return `results.plan(...)`: calls per variant to detect a relative
        difference `detect` in mean cost or duration with `power`, and what they would cost.
        """
        return self._pilot(client, pilot, wait_timeout).plan(detect=detect, power=power, level=level)

    def results(self, client: AnyClient) -> ExperimentResults:
        """The results recorded so far, without creating anything."""
        store = self._open_store()
        return ExperimentResults(self.name, store, CallPoller(client, store, self.name))

    async def _server_calls(self, api: AsyncConvoiClient) -> dict[tuple[str, int], Call]:
        """This experiment's calls on the server, by (variant, replicate), checked against what this run would
        send; raises `ExperimentError` if one was made with other settings or metadata, or if the server cannot
        be listed (then nothing is created: past the 24 h idempotency window only this check prevents
        duplicates).
        """
        by_name = {v.name: v for v in self.variants}
        try:
            calls = [c async for c in api.list_calls(agent_id=self.agent_id, metadata={"experiment": self.name})]
        except APIError as exc:
            raise ExperimentError(
                f"could not list the server's calls of {self.name!r} to check them before "
                f"creating ({exc}); nothing was created: run() again"
            ) from None
        found: dict[tuple[str, int], Call] = {}
        for call in calls:
            tags = call.metadata
            variant, replicate = by_name.get(tags.get("variant")), tags.get("replicate")
            if variant is None or type(replicate) is not int:
                continue  # a variant no longer in this experiment
            expected = self.call_metadata(variant, replicate)
            if "variant_fingerprint" not in tags:  # made by a version before fingerprints: the tags it has must match
                expected.pop("variant_fingerprint")
            changed = sorted(k for k in {*tags, *expected} if _json(tags.get(k)) != _json(expected.get(k)))
            if changed:
                what = (
                    "overrides or metadata of variant " + repr(variant.name)
                    if "variant_fingerprint" in changed
                    else "metadata (" + ", ".join(changed) + ")"
                )
                raise ExperimentError(
                    f"the server holds call {call.id} of experiment {self.name!r} made with other {what}; "
                    "rename the changed variant or the experiment (nothing was created)"
                )
            if 0 <= replicate < self.replicates:  # below zero: a listening session's call, never a sweep cell
                found.setdefault((variant.name, replicate), call)
        return found

    def _adopt(self, store: ResultsStore, calls: dict[tuple[str, int], Call]) -> set[tuple[str, int]]:
        """Record the server's calls for cells the store has no call for; returns those cells."""
        done = store.done(self.name)
        adopted = {cell for cell in calls if cell not in done}
        by_name = {v.name: v for v in self.variants}
        for name, replicate in sorted(adopted):
            store.record_call(
                self.name,
                name,
                replicate,
                self.idempotency_key(by_name[name], replicate),
                calls[name, replicate].model_dump(mode="json"),
                None,
                0,
                0.0,
                outcome="recovered",
            )
        if adopted:
            log.info("adopted %d calls of %r found on the server but not in the store", len(adopted), self.name)
        return adopted

    def _request(self, variant: Variant, replicate: int) -> WebCallRequest:
        return build_web_call(
            self.agent_id, agent_overrides=variant.overrides, metadata=self.call_metadata(variant, replicate)
        )


async def _read_calls(api: AsyncConvoiClient, ids: list[str]) -> list[dict[str, Any]]:
    gate = asyncio.Semaphore(8)

    async def read(call_id: str) -> dict[str, Any]:
        async with gate:
            return (await api.get_call(call_id)).model_dump(mode="json")

    return list(await asyncio.gather(*(read(i) for i in ids)))


async def _while_observing(
    creates: asyncio.Future[Any],
    api: AsyncConvoiClient,
    store: ResultsStore,
    name: str,
    ledger: SpendLedger,
    interval: float = OBSERVE_INTERVAL,
) -> None:
    """Await the creates while reading the running calls every `interval`, so that calls ending during a long
    sweep commit their real cost to the ledger.
    """
    while True:
        done, _ = await asyncio.wait({creates}, timeout=interval)
        if done:
            creates.result()
            return
        ids = ledger.in_flight_ids()
        try:
            calls = await _read_calls(api, ids) if ids else []
        except APIError as exc:  # the projection stands until the next read
            log.debug("could not read running calls of %r: %s", name, exc)
            continue
        store.update_calls(name, calls)
        for call in calls:
            ledger.observe(call)


def _json(value: Any) -> str:
    """Canonical JSON text: 1, 1.0 and true are three different tags."""
    return json.dumps(value, sort_keys=True)
