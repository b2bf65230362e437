"""An experiment's design: one agent, override variants, replicates of each, and where the results are kept.

Running it is the runner's job (`runner`); what its calls say, the results' (`results`).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Coroutine, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import workspace
from .._base_client import build_web_call
from .._sync_bridge import run_sync
from ..errors import ExperimentError, ValidationError
from ..models import WebCallRequest
from ..stats.columns import DESIGN_KINDS, KINDS, LISTENING, REPLICATE
from . import runner
from .polling import CallPoller, Progress
from .pools import check_client
from .reconcile import canonical
from .results import ExperimentResults
from .sequential import SequentialRunner
from .sequential_settings import RunOptions, SequentialArguments, check_until, sequential_config
from .store import ResultsStore
from .variants import Variant

if TYPE_CHECKING:
    import pandas as pd

    from .._client import AsyncConvoiClient, ConvoiClient
    from ..budget import Cap
    from ..models import Call
    from ..stats.estimate import Estimate

    AnyClient = ConvoiClient | AsyncConvoiClient

DEFAULT_STORE = "convoi_experiments.sqlite3"
# Fixed namespace: the same (experiment, agent, variant, replicate) always maps to the same key.
_KEY_NAMESPACE = uuid.UUID("7c4f3a52-9a51-4d43-8a8e-9f6f2b1c0e11")


def _positive(name: str, value: Any, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError.of_field("argument", name, f"must be an integer of at least {minimum}, got {value!r}")


class Experiment:
    """`variants` × `replicates` web calls of `agent_id`, tagged and recorded in a results store.

    Re-running within 24 h returns the same calls (deterministic idempotency keys); an interrupted run resumes
    where it stopped. The store defaults to `convoi_experiments.sqlite3` in the project's working folder `.convoi_nb/`
    (`convoi_nb.workspace`: ignored by git, created on first use); `":memory:"` keeps one in-memory store per
    Experiment object.

    Args:
        name: The experiment's name: its calls are tagged with it, and found again by it.
        agent_id: The agent called.
        variants: The override variants, with unique names.
        replicates: Calls per variant.
        metadata: Tags added to every call.
        store: The results store's file (or ":memory:").

    Raises:
        ValidationError: An empty name or agent id, variants that are not a non-empty list of `Variant`s with unique
            names, replicates below 1, metadata that is not a dict, or a store that is not a path.

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> experiment = Experiment(
        ...     "greeting-temperature",
        ...     agent.id,
        ...     [Variant("cool", {"llm": {"temperature": 0.2}}), Variant("warm", {"llm": {"temperature": 0.9}})],
        ...     replicates=3,
        ...     store=":memory:",
        ... )
        >>> experiment
        Experiment('greeting-temperature', agent=agt_..., 2 variants × 3 replicates, store=':memory:')
        >>> Experiment("twins", agent.id, [Variant("a"), Variant("a")])
        Traceback (most recent call last):
        ...
        convoi_nb.errors.ValidationError: ... variant names must be unique; repeated: a
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
            raise ValidationError.of_field("experiment", "name", "must be a non-empty string")
        if not isinstance(agent_id, str) or not agent_id.strip():
            raise ValidationError.of_field(
                "experiment", "agent_id", f"must be an agent id such as 'agt_…', got {agent_id!r}"
            )
        given: object = variants  # checked as the user may pass anything
        if isinstance(given, (str, bytes)) or not isinstance(given, Sequence):
            raise ValidationError.of_field(
                "experiment", "variants", f"must be a list of Variant objects, got {type(given).__name__}"
            )
        strays = [repr(v) for v in variants if not isinstance(v, Variant)]
        if strays:
            raise ValidationError.of_field(
                "experiment",
                "variants",
                f"must be Variant objects (Variant('name', overrides)), got {', '.join(strays)}",
            )
        if not variants:
            raise ValidationError.of_field("experiment", "variants", "needs at least one variant")
        if metadata is not None and not isinstance(metadata, Mapping):
            raise ValidationError.of_field(
                "experiment", "metadata", f"must be a dict of tags, got {type(metadata).__name__}"
            )
        if store is not None and not isinstance(store, (str, os.PathLike)):
            raise ValidationError.of_field(
                "experiment",
                "store",
                f"must be a file path (str or pathlib.Path) or ':memory:', got {type(store).__name__}",
            )
        names = [v.name for v in variants]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValidationError.of_field(
                "experiment", "variants", f"variant names must be unique; repeated: {', '.join(duplicates)}"
            )
        _positive("replicates", replicates)
        self.name, self.agent_id, self.variants, self.replicates = name, agent_id, list(variants), replicates
        self.metadata = dict(metadata or {})
        self.store_path = Path(store) if store is not None else workspace.path(DEFAULT_STORE)
        self._memory_store: ResultsStore | None = None

    def __repr__(self) -> str:
        return (
            f"Experiment({self.name!r}, agent={self.agent_id}, {len(self.variants)} variants × "
            f"{self.replicates} replicates, store={str(self.store_path)!r})"
        )

    # -- the cells ----------------------------------------------------------------------------------------

    def variant(self, name: str) -> Variant:
        """The variant named `name`.

        Args:
            name: A variant's name.

        Returns:
            The variant.

        Raises:
            ExperimentError: The experiment has no such variant.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> experiment = Experiment("lookup-example", agent.id, [Variant("a")], store=":memory:")
            >>> experiment.variant("a").name
            'a'
        """
        found = next((v for v in self.variants if v.name == name), None)
        if found is None:
            raise ExperimentError(f"experiment {self.name!r} has no variant {name!r}")
        return found

    def idempotency_key(self, variant: Variant, replicate: int, kind: str = REPLICATE) -> str:
        """The cell's idempotency key: the same cell always sends the same key.

        Args:
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            kind: "replicate" or "pilot" (the design's cells: the same keys) or "listening".

        Returns:
            The key.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> experiment = Experiment("keys-example", agent.id, [Variant("a")], store=":memory:")
            >>> key = experiment.idempotency_key(experiment.variant("a"), 0)
            >>> variant = experiment.variant("a")
            >>> key == experiment.idempotency_key(variant, 0), key == experiment.idempotency_key(variant, 1)
            (True, False)
        """
        cell = f"{self.name}\x1f{self.agent_id}\x1f{variant.name}\x1f{replicate}"
        return str(uuid.uuid5(_KEY_NAMESPACE, cell if kind != LISTENING else f"{cell}\x1f{LISTENING}"))

    def call_metadata(self, variant: Variant, replicate: int, kind: str = REPLICATE) -> dict[str, Any]:
        """What each call carries: the experiment's and variant's metadata, then the tags that find it again.

        `variant_fingerprint` lets a later run see, from the server alone, that a variant has changed; a
        listening session's call also carries `kind`.

        Args:
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            kind: The cell's kind.

        Returns:
            The call's metadata.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> tags = {"team": "support"}
            >>> experiment = Experiment("tags-example", agent.id, [Variant("a")], metadata=tags, store=":memory:")
            >>> experiment.call_metadata(experiment.variant("a"), 0)
            {'team': 'support', 'experiment': 'tags-example', 'variant': 'a', 'replicate': 0,
             'variant_fingerprint': '...'}
        """
        tags: dict[str, Any] = {
            **self.metadata,
            **variant.metadata,
            "experiment": self.name,
            "variant": variant.name,
            "replicate": replicate,
            "variant_fingerprint": variant.fingerprint,
        }
        if kind == LISTENING:
            tags["kind"] = LISTENING
        return tags

    def request(self, variant: Variant, replicate: int, kind: str = REPLICATE) -> WebCallRequest:
        """The create request of one cell, validated.

        Args:
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            kind: The cell's kind.

        Returns:
            The request.

        Raises:
            ValidationError: The overrides or metadata break the API's rules.
        """
        if kind not in KINDS:
            raise ValidationError.of_field("argument", "kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
        return build_web_call(
            self.agent_id, agent_overrides=variant.overrides, metadata=self.call_metadata(variant, replicate, kind)
        )

    # -- the store ----------------------------------------------------------------------------------------

    def register(self, store: ResultsStore) -> None:
        """Record the experiment and its variants in `store` (once; later calls change nothing).

        Args:
            store: The results store.
        """
        store.register(
            self.name,
            self.agent_id,
            self.metadata,
            [(v.name, v.fingerprint, v.body, dict(v.metadata)) for v in self.variants],
        )

    def _open_store(self) -> ResultsStore:
        """The results store, checked against this design (agent, metadata, variants)."""
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
        if known is not None and canonical(json.loads(known["metadata"])) != canonical(self.metadata):
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

    # -- running it (the runner does the work) -------------------------------------------------------------

    def run(
        self,
        client: AnyClient,
        *,
        until: str | None = None,
        metric: str = "cost",
        max_replicates: int = 120,
        min_replicates: int | None = None,
        level: float = 0.95,
        tolerance: float | None = None,
        boundary: str = "spending",
        concurrency: int = 16,
        progress: bool = True,
        on_progress: Progress = None,
        max_cost: Cap | None = None,
        confirm: bool = False,
        wait_timeout: float = 900.0,
    ) -> ExperimentResults:
        """Create the experiment's calls; safe to call again (it resumes, never duplicates).

        `until=None` (the fixed design): every missing cell of `replicates` × variants, created concurrently.
        `until="decided"` (the sequential design): waves of one call per variant still compared, each waited for,
        then a look at anytime-valid intervals that drops the variants clearly worse on `metric`, until one variant
        is left ("winner"), the remaining ones are within ±`tolerance` of each other ("equivalent"), the next wave
        would pass `max_cost` ("budget"), or `max_replicates` calls per variant are reached ("max_replicates", with
        the leader); `results.decision` says which. Its settings are recorded with the experiment: a later run
        resumes with the same eliminations and must pass the same settings (a higher `max_cost` may continue a run
        its budget stopped).

        Works inside a running event loop (a notebook's) too: the creates run on an event loop of their own,
        through an async connection pool of their own (a twin of `client`). A client built on your own
        `http_client` cannot lend one without dropping your settings, so it is refused before anything is sent: in
        async code use `results = await experiment.arun(client.to_async(http_client=httpx.AsyncClient(...)))` and
        `await results.wait_async()`.

        Args:
            client: The client (sync or async) to create the calls with.
            until: None for the fixed design, "decided" for the sequential one.
            metric: Sequential: "cost" or "duration", the one compared (declared up front).
            max_replicates: Sequential: the most calls per variant.
            min_replicates: Sequential: calls per variant before any variant is dropped (None: the default, 5).
            level: Sequential: the confidence level, over every look, variant and pair at once.
            tolerance: Sequential: a relative margin in (0, 1) within which the remaining variants are
                "equivalent" (None: never stop for that).
            boundary: Sequential: how the intervals are made (see `convoi_nb.stats.sequential`): "spending"
                (repeated confidence intervals with Pocock-type error spending over `max_replicates`: the
                cheapest), "horizon" (Lai's sequence calibrated to `max_replicates`) or "lai" (Lai's sequence,
                valid however far it is read).
            concurrency: Creates in flight at once.
            progress: Show a progress bar.
            on_progress: Called with (done, total) after each create (sequential: calls created so far, and the
                most the run can create).
            max_cost: The spend cap over every run of the experiment: None is no cap, 0 a cap of zero (see
                `convoi_nb.budget`); `results.budget` says whether it stopped the run. A sequential run needs a
                cap of at least one wave, and finished calls to project from (`experiment.estimate(client)`).
            confirm: Run uncapped even over the client's `confirm_runs_over` calls (the real service: 20); a
                sequential run counts the most it can create (`max_replicates` × variants).
            wait_timeout: Sequential: seconds to wait for one wave's calls to finish.

        Returns:
            The results (fixed design: calls may still be running, `results.wait()`; sequential: every call
            finished, `results.decision`).

        Raises:
            ConfigurationError: The client sends through your own httpx client (use `arun()`, above).
            ExperimentError: The design conflicts with what the store or server holds, another run of this
                experiment is under way, a large run is neither capped nor confirmed, or a sequential run's
                settings differ from the first one's (each change named).
            ValidationError: A bad argument (sequential arguments without `until="decided"`, a single variant,
                a `max_cost` smaller than one wave), or a variant the API would refuse (before anything is sent).
            WaitTimeoutError: Sequential: a wave's calls still running after `wait_timeout` (run again to go on).

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("run-fixed", agent.id, variants, replicates=3, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)  # the fixed design: 2 × 3 calls
            >>> results
            <ExperimentResults 'run-fixed': 6 calls created, 0 failed creates>
            >>> experiment.run(client, progress=False)  # again: nothing new is created
            <ExperimentResults 'run-fixed': 6 calls created, 0 failed creates>

            The sequential design: waves until one variant is clearly cheaper, or the budget or `max_replicates`
            stops it.

            >>> models = Variant.grid(axes={"llm.model": ["gpt-4o-mini", "gpt-4o"]})
            >>> sequential = Experiment("run-decided", agent.id, models, store=":memory:")
            >>> _ = sequential.estimate(client)  # a pilot: max_cost projects the next wave's cost from its calls
            >>> results = sequential.run(client, until="decided", max_replicates=20, max_cost=20, progress=False)
            >>> results.decision.status in ("winner", "equivalent", "budget", "max_replicates")
            True
            >>> print(results.decision)  # doctest: +SKIP
            Winner on cost per call: model=gpt-4o-mini at $0.222 ($0.154 to $0.290), every other variant eliminated. ...
            >>> str(results.decision).splitlines()[-1]
            '... calls created, $... spent.'
        """
        sequential = SequentialArguments(metric, max_replicates, min_replicates, level, tolerance, boundary)
        options = RunOptions(concurrency, progress, on_progress, max_cost, confirm, wait_timeout)
        return run_sync(self._start(client, until, sequential, options, own_loop=True, doing="experiment.run()"))

    async def arun(
        self,
        client: AnyClient,
        *,
        until: str | None = None,
        metric: str = "cost",
        max_replicates: int = 120,
        min_replicates: int | None = None,
        level: float = 0.95,
        tolerance: float | None = None,
        boundary: str = "spending",
        concurrency: int = 16,
        progress: bool = True,
        on_progress: Progress = None,
        max_cost: Cap | None = None,
        confirm: bool = False,
        wait_timeout: float = 900.0,
    ) -> ExperimentResults:
        """`run()` for async code (`await experiment.arun(client)`), on your event loop.

        An `AsyncConvoiClient` is used as it is (your own `httpx.AsyncClient` included: build it with
        `AsyncConvoiClient(http_client=...)` or `client.to_async(http_client=...)`); a sync client lends a twin
        with a pool of its own, which one built on your own `httpx.Client` cannot (refused before anything is sent).
        Then `await results.wait_async()` (fixed design).

        Args:
            client: The client (sync or async) to create the calls with.
            until: None for the fixed design, "decided" for the sequential one (see `run()`).
            metric: Sequential: "cost" or "duration".
            max_replicates: Sequential: the most calls per variant.
            min_replicates: Sequential: calls per variant before any variant is dropped (None: the default).
            level: Sequential: the confidence level.
            tolerance: Sequential: the equivalence margin in (0, 1), or None.
            boundary: Sequential: how the intervals are made, as in `run()`.
            concurrency: Creates in flight at once.
            progress: Show a progress bar.
            on_progress: Called with (done, total) after each create.
            max_cost: The spend cap (None: no cap; 0: a cap of zero).
            confirm: Run uncapped even over the client's `confirm_runs_over`.
            wait_timeout: Sequential: seconds to wait for one wave's calls to finish.

        Returns:
            The results.

        Raises:
            ConfigurationError: A sync client on your own httpx client.
            ExperimentError: As `run()`.
            ValidationError: As `run()`.
            WaitTimeoutError: As `run()`.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> import asyncio
            >>> speeds = Variant.grid(axes={"tts.speed": [1.0, 1.2]})
            >>> experiment = Experiment("arun-example", agent.id, speeds, replicates=2, store=":memory:")
            >>> async def main():
            ...     async with await convoi_nb.aconnect() as aclient:
            ...         results = await experiment.arun(aclient, progress=False)
            ...         return await results.wait_async(progress=False)
            >>> asyncio.run(main())
            <ExperimentResults 'arun-example': 4 calls created, 0 failed creates>
        """
        sequential = SequentialArguments(metric, max_replicates, min_replicates, level, tolerance, boundary)
        options = RunOptions(concurrency, progress, on_progress, max_cost, confirm, wait_timeout)
        return await self._start(client, until, sequential, options, own_loop=False, doing="experiment.arun()")

    def _start(
        self,
        client: AnyClient,
        until: object,
        sequential: SequentialArguments,
        options: RunOptions,
        *,
        own_loop: bool,
        doing: str,
    ) -> Coroutine[Any, Any, ExperimentResults]:
        """The run of the design asked for (its sequential arguments checked now, before anything is sent)."""
        given = sequential._asdict()
        if not check_until(until, given):
            return runner.FixedRunner(self, client, own_loop=own_loop, doing=doing).arun(
                concurrency=options.concurrency,
                progress=options.progress,
                on_progress=options.on_progress,
                max_cost=options.max_cost,
                confirm=options.confirm,
            )
        return SequentialRunner(self, client, sequential_config(given), own_loop=own_loop, doing=doing).arun(
            concurrency=options.concurrency,
            progress=options.progress,
            on_progress=options.on_progress,
            max_cost=options.max_cost,
            confirm=options.confirm,
            wait_timeout=options.wait_timeout,
        )

    def create_cell(self, client: ConvoiClient, variant_name: str, replicate: int, kind: str = REPLICATE) -> Call:
        """The call of one cell, created with the cell's idempotency key (the recorded call, read again, if any).

        How a listening session makes its calls one at a time, resumably.

        Args:
            client: A sync client.
            variant_name: The cell's variant.
            replicate: The cell's number within its kind.
            kind: The cell's kind ("listening" for a listening session's call).

        Returns:
            The call.

        Raises:
            ExperimentError: No such variant.
            ValidationError: A bad `client`, `kind` or `replicate` (a design cell's is from 0 to `replicates` − 1;
                a listening cell's from 0).
        """
        check_client(client, sync_only=True)
        if kind not in KINDS:
            raise ValidationError.of_field("argument", "kind", f"must be one of {', '.join(KINDS)}, got {kind!r}")
        cells = self.replicates if kind in DESIGN_KINDS else None
        if (
            isinstance(replicate, bool)
            or not isinstance(replicate, int)
            or replicate < 0
            or (cells is not None and replicate >= cells)
        ):
            rule = f"from 0 to {cells - 1}" if cells is not None else "at least 0"
            raise ValidationError.of_field(
                "argument", "replicate", f"must be a whole number {rule} for a {kind} cell, got {replicate!r}"
            )
        return runner.create_cell(self, client, self.variant(variant_name), replicate, kind)

    def cells_to_create(self) -> int:
        """How many of the design's cells have no call in the store: what `run()` would create.

        The count its confirm rule uses (before the run adopts calls the server already holds, which can only
        lower it).

        Returns:
            The count (failed creates and listening sessions' calls are not design cells with a call).

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> two = [Variant("a"), Variant("b", {"tts": {"speed": 1.2}})]
            >>> experiment = Experiment("cells-example", agent.id, two, replicates=4, store=":memory:")
            >>> experiment.cells_to_create()
            8
        """
        return len(runner.missing_cells(self, self._open_store(), self.replicates))

    def estimate(
        self,
        client: AnyClient,
        *,
        pilot: int | None = None,
        confirm: bool = False,
        level: float = 0.90,
        wait_timeout: float = 300.0,
    ) -> Estimate:
        """What the rest of this experiment will cost and how long its calls will talk, with a prediction interval.

        Predicted from the finished calls in the store; a variant with fewer than `pilot` of them first gets its
        first `pilot` replicates run and waited for (a later `run()` keeps them). A pilot spends: on a client that
        may bill real money (not the embedded sandbox, or one with `confirm_runs_over` set) it runs only when
        asked for, by `pilot=` or `confirm=True`; otherwise an `ExperimentError` says how many calls it would
        create, and nothing is created. `str(estimate)` says how many finished calls the interval rests on.

        Args:
            client: The client, for the pilot.
            pilot: Finished calls per variant to predict from (at least 2: a spread needs two); None: 2, run on
                the sandbox only unless `confirm`.
            confirm: Run the default pilot on a client that may bill real money.
            level: The prediction level.
            wait_timeout: Seconds to wait for the pilot's calls.

        Returns:
            The estimate, per variant and in total.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("estimate-example", agent.id, variants, replicates=10, store=":memory:")
            >>> estimate = experiment.estimate(client)  # runs a pilot of 2 calls per variant: the sandbox bills nothing
            >>> print(estimate)
            this run: ~$..., 90% between $... and $... (16 calls to create; about ... call minutes); rests on 2
            finished calls per variant: wide; spent so far $...
            >>> estimate.to_create, estimate.cost.low <= estimate.cost.estimate <= estimate.cost.high
            (16, True)
        """
        return runner.estimate(self, client, pilot=pilot, confirm=confirm, level=level, wait_timeout=wait_timeout)

    def plan(
        self,
        client: AnyClient,
        *,
        pilot: int | None = None,
        confirm: bool = False,
        probability: float = 0.8,
        metric: str = "cost",
        detect: float | None = None,
        power: float = 0.8,
        level: float = 0.95,
        wait_timeout: float = 300.0,
    ) -> pd.DataFrame:
        """Run `pilot` replicates per variant, wait for them, and return `results.plan(...)`.

        By default: how many calls per variant make the verdict name the cheapest variant with `probability`.
        The pilot's calls are the experiment's first replicates: a later `run()` keeps them. A pilot spends: on a
        client that may bill real money (see `experiment.estimate`) it runs only with an explicit `pilot=` or
        `confirm=True`; on the embedded sandbox it runs as asked.

        Args:
            client: The client, for the pilot.
            pilot: Replicates per variant in the pilot (None: 3, which needs `confirm` where calls may cost money).
            confirm: Run the default pilot on a client that may bill real money.
            probability: The probability that the verdict names the cheapest (or shortest-call) variant.
            metric: "cost" (the cheapest) or "duration" (the shortest calls).
            detect: Instead, the relative difference in mean cost or duration to detect (`power` applies).
            power: With `detect`: the probability of detecting it.
            level: The verdict's confidence level.
            wait_timeout: Seconds to wait for the pilot's calls.

        Returns:
            Calls per variant needed, and what they would cost.

        Raises:
            ExperimentError: A pilot that may cost money, neither asked for (`pilot=`) nor confirmed (nothing created).
            ValidationError: A bad argument, before any call is made.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("plan-example", agent.id, variants, store=":memory:")
            >>> plan = experiment.plan(client, pilot=3)
            >>> plan[["pilot_calls", "replicates", "currency"]]
                     pilot_calls  replicates currency
            variant
            cool               3         ...      USD
            warm               3         ...      USD
        """
        from ..stats.plan import check_plan_arguments  # scipy loads on first use

        check_plan_arguments(probability, metric, detect, power)
        return runner.run_asked_pilot(self, client, pilot, confirm, wait_timeout).plan(
            probability=probability, metric=metric, detect=detect, power=power, level=level
        )

    def results(self, client: AnyClient | None) -> ExperimentResults:
        """The results recorded so far, without creating anything.

        Args:
            client: The client `wait()` reads the calls with (None: results to read only).

        Returns:
            The results.

        Raises:
            ValidationError: `client` is neither a convoi_nb client nor None.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> two = [Variant("a"), Variant("b", {"tts": {"speed": 1.2}})]
            >>> experiment = Experiment("results-example", agent.id, two, replicates=1, store=":memory:")
            >>> experiment.results(None)  # nothing run yet
            <ExperimentResults 'results-example': 0 calls created, 0 failed creates>
            >>> _ = experiment.run(client, progress=False)
            >>> frame = experiment.results(client).wait(progress=False).frame()
            >>> frame[["variant", "replicate"]]
              variant  replicate
            0       a          0
            1       b          0
            >>> bool(frame["status"].isin(["ended", "failed", "expired"]).all())
            True
        """
        if client is not None:
            check_client(client)
        store = self._open_store()
        return ExperimentResults(self.name, store, CallPoller(client, store, self.name) if client is not None else None)
