"""Waiting for an experiment's calls: poll the API with backoff, write each new state into the store."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .._progress import progress_bar as tqdm
from .._sync_bridge import run_sync
from ..errors import ExperimentError, NotFoundError, ValidationError, WaitTimeoutError
from ..models import TERMINAL_STATUSES
from .pools import ASYNC_WAIT, async_api, check_own_loop
from .store import ResultsStore

if TYPE_CHECKING:
    from .._client import AsyncConvoiClient, ConvoiClient

WAIT_TARGETS = {"ended": TERMINAL_STATUSES, "in_progress": TERMINAL_STATUSES | {"in_progress"}}
Progress = Callable[[int, int], None] | None  # (done, total), e.g. for a widget's progress bar


def check_wait_timeout(timeout: object, name: str = "wait_timeout") -> None:
    """Refuse a timeout that is not a positive, finite number of seconds.

    Args:
        timeout: The value given.
        name: The parameter's name.

    Raises:
        ValidationError: It is not a positive, finite number.
    """
    if isinstance(timeout, bool) or not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
        raise ValidationError.of_field("argument", name, f"must be a positive number of seconds, got {timeout!r}")


@dataclass(frozen=True)
class WaitPlan:
    """How to wait for an experiment's calls (see `ExperimentResults.wait`), checked when made.

    Args:
        until: "ended" (every call finished) or "in_progress" (every call started).
        timeout: Seconds before `WaitTimeoutError`.
        progress: Show a progress bar.
        poll_interval: Seconds before the first read again.
        max_interval: The longest pause between reads.
        concurrency: Calls read at once.
        on_progress: Called with (finished, total) after each read.

    Raises:
        ValidationError: A bad `until`, `timeout`, `concurrency` or `on_progress`.
    """

    until: str
    timeout: float
    progress: bool
    poll_interval: float
    max_interval: float
    concurrency: int
    on_progress: Progress

    def __post_init__(self) -> None:
        if self.until not in WAIT_TARGETS:
            raise ValidationError.of_field(
                "argument", "until", f"must be one of {sorted(WAIT_TARGETS)}, got {self.until!r}"
            )
        check_wait_timeout(self.timeout, "timeout")
        check_concurrency(self.concurrency)
        check_progress_callback(self.on_progress)


def check_concurrency(concurrency: object) -> None:
    """Refuse a `concurrency` that is not a positive integer.

    Args:
        concurrency: The value given.

    Raises:
        ValidationError: It is not a positive integer.
    """
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ValidationError.of_field("argument", "concurrency", f"must be a positive integer, got {concurrency!r}")


def check_progress_callback(on_progress: object) -> None:
    """Refuse an `on_progress` that is neither None nor callable.

    Args:
        on_progress: The value given.

    Raises:
        ValidationError: It cannot be called.
    """
    if on_progress is not None and not callable(on_progress):
        raise ValidationError.of_field(
            "argument", "on_progress", f"must be a function of (done, total) or None, got {on_progress!r}"
        )


class CallPoller:
    """Polls the calls one experiment recorded in `store`, through `client`.

    Args:
        client: The client the calls are read with.
        store: The results store the new states are written to.
        experiment: The experiment.
        only: Poll these calls only (a sequential run's wave); None: every call of the experiment.
    """

    def __init__(
        self,
        client: ConvoiClient | AsyncConvoiClient,
        store: ResultsStore,
        experiment: str,
        only: Collection[str] | None = None,
    ) -> None:
        self._client, self._store, self._name = client, store, experiment
        self._only = None if only is None else frozenset(only)

    def wait(self, plan: WaitPlan) -> None:
        """Poll until every call has reached `plan.until`, on an event loop of its own (see `ExperimentResults.wait`).

        Args:
            plan: How to wait.

        Raises:
            ConfigurationError: The client sends through your own httpx client (this waits on a loop of its own).
        """
        check_own_loop(self._client, "results.wait()", ASYNC_WAIT)
        run_sync(self._wait(plan, own_loop=True))

    async def await_(self, plan: WaitPlan) -> None:
        """`wait()` on the caller's event loop (an `AsyncConvoiClient` is used as it is).

        Args:
            plan: How to wait.
        """
        await self._wait(plan, own_loop=False)

    async def _wait(self, plan: WaitPlan, *, own_loop: bool) -> None:
        targets, timeout, interval, on_progress = (
            WAIT_TARGETS[plan.until],
            plan.timeout,
            plan.poll_interval,
            plan.on_progress,
        )
        name = self._name
        deadline = time.monotonic() + timeout
        only = self._only
        calls = [r.call for r in self._store.results(name) if r.call and (only is None or r.call["id"] in only)]
        bar = tqdm(total=len(calls), desc=f"{name}: waiting", unit="call", disable=not plan.progress)
        async with async_api(self._client, own_loop=own_loop, doing="results.wait_async()") as api:
            gate = asyncio.Semaphore(plan.concurrency)

            async def fetch(call_id: str) -> dict[str, Any]:
                async with gate:
                    try:
                        return (await api.get_call(call_id)).model_dump(mode="json")
                    except NotFoundError:
                        raise ExperimentError(
                            f"call {call_id} of experiment {name!r} is in the results store "
                            f"({self._store.path}) but not on {api.base_url}: the store belongs to another server "
                            "or sandbox database; use another store file or experiment name"
                        ) from None

            while True:
                pending = [c["id"] for c in calls if c["status"] not in targets]
                bar.n = len(calls) - len(pending)
                bar.refresh()
                if on_progress is not None:
                    on_progress(len(calls) - len(pending), len(calls))
                if not pending:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    bar.close()
                    raise WaitTimeoutError(
                        f"{len(pending)} of {len(calls)} calls of {name!r} still running after "
                        f"{timeout:.0f} s; call wait() again to keep waiting"
                    )
                await asyncio.sleep(min(interval, remaining))
                interval = min(interval * 1.5, plan.max_interval)
                try:  # a server that stops answering must not hold wait() past its timeout
                    fresh = await asyncio.wait_for(
                        asyncio.gather(*(fetch(i) for i in pending)), max(deadline - time.monotonic(), 0.001)
                    )
                except asyncio.TimeoutError:
                    continue  # the loop's deadline check raises WaitTimeoutError with the count
                self._store.update_calls(name, fresh)
                latest = {c["id"]: c for c in fresh}
                calls = [latest.get(c["id"], c) for c in calls]
        bar.close()
