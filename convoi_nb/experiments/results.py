"""What an experiment produced, as the user holds it: the frame of its calls and the views of one analysis of it.

Every view (`summary`, `compare`, `verdict`, `plan`, the tables, the plot) reads an `Analysis` built from one
read of the results frame, and the same analysis serves every view until the store changes; waiting for calls is
`polling`'s job.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..budget import BudgetReport
from ..errors import ExperimentError
from ..money import Money, total
from ..stats.analysis import Analysis, AnalysisConfig
from ..stats.columns import variant_names
from ..stats.ratings import criteria_of
from ..stats.sequential import BUDGET
from .frame import results_frame
from .polling import CallPoller, Progress, WaitPlan
from .sequential_settings import decision_of
from .store import ResultsStore

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure
    from pandas.io.formats.style import Styler

    from ..stats.sequential import Decision
    from ..stats.verdict import Verdict


class ExperimentResults:
    """The calls of one experiment in its results store, and what they say.

    Args:
        name: The experiment.
        store: Its results store.
        poller: What `wait()` refreshes the calls with (None: results opened without a client).

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
        ...             Variant("warm", {"llm": {"temperature": 0.9}})]
        >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
        >>> results = experiment.run(client, progress=False).wait(progress=False)
        >>> results
        <ExperimentResults 'results-methods': 8 calls created, 0 failed creates>
    """

    def __init__(self, name: str, store: ResultsStore, poller: CallPoller | None = None) -> None:
        self.name, self._store, self._poller = name, store, poller
        self.budget: BudgetReport | None = None  # set by a run(max_cost=…)
        self._analysis: tuple[tuple[Any, ...], Analysis] | None = None  # (store revision, config), analysis
        self._decision: tuple[tuple[int, int], Decision | None] | None = None  # (store revision, decision)

    def __repr__(self) -> str:
        rows = self._store.results(self.name)
        created = sum(r.state == "created" for r in rows)
        stopped = "; stopped by its budget" if self.budget is not None and self.budget.stopped else ""
        return (
            f"<ExperimentResults {self.name!r}: {created} calls created, {len(rows) - created} failed creates{stopped}>"
        )

    def spend(self) -> Money:
        """What the calls created so far have been billed, exactly, as last read (`wait()` reads them again).

        Returns:
            The total, in the calls' one currency.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> spent = results.spend()
            >>> spent.currency, spent.amount > 0
            ('USD', True)
        """
        calls = [r.call for r in self._store.results(self.name) if r.call]
        currencies = sorted({c["cost"]["currency"] for c in calls})
        return total(
            ((c["cost"]["amount"], c["cost"]["currency"]) for c in calls),
            currencies[0] if len(currencies) == 1 else None,
        )

    def wait(
        self,
        until: str = "ended",
        *,
        timeout: float = 120.0,
        progress: bool = True,
        poll_interval: float = 0.2,
        max_interval: float = 2.0,
        concurrency: int = 16,
        on_progress: Progress = None,
    ) -> ExperimentResults:
        """Poll the calls until each is `ended` (or failed/expired: finished either way), with backoff.

        It polls on an event loop of its own, through a connection pool of its own: a client built on your own
        `http_client` cannot lend it one, so with such a client use `await results.wait_async()` (async code).

        Args:
            until: "ended" (every call finished) or "in_progress" (every call started).
            timeout: Seconds to wait before raising `WaitTimeoutError` (what was seen is kept: wait() again).
            progress: Show a progress bar.
            poll_interval: Seconds before the first read again; it grows by half each time.
            max_interval: The longest pause between reads.
            concurrency: Calls read at once.
            on_progress: Called with (finished, total) after each read.

        Returns:
            These results, refreshed.

        Raises:
            ConfigurationError: The client sends through your own httpx client (use `wait_async()`).
            ExperimentError: The results were opened without a client.
            ValidationError: A bad `until`, `timeout`, `concurrency` or `on_progress`.
            WaitTimeoutError: Calls still running after `timeout` seconds.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> bool(results.frame()["status"].isin(["ended", "failed", "expired"]).all())  # every call finished
            True
        """
        plan = WaitPlan(until, timeout, progress, poll_interval, max_interval, concurrency, on_progress)
        self._checked_poller().wait(plan)
        return self

    async def wait_async(
        self,
        until: str = "ended",
        *,
        timeout: float = 120.0,
        progress: bool = True,
        poll_interval: float = 0.2,
        max_interval: float = 2.0,
        concurrency: int = 16,
        on_progress: Progress = None,
    ) -> ExperimentResults:
        """`wait()` for async code: `await results.wait_async()` polls on your event loop.

        An `AsyncConvoiClient` (the one `arun()` or `experiment.results()` was given) is used as it is, your own
        `httpx.AsyncClient` included.

        Args:
            until: "ended" (every call finished) or "in_progress" (every call started).
            timeout: Seconds to wait before raising `WaitTimeoutError` (what was seen is kept: wait again).
            progress: Show a progress bar.
            poll_interval: Seconds before the first read again; it grows by half each time.
            max_interval: The longest pause between reads.
            concurrency: Calls read at once.
            on_progress: Called with (finished, total) after each read.

        Returns:
            These results, refreshed.

        Raises:
            ConfigurationError: A sync client on your own httpx client (it cannot serve async requests).
            ExperimentError: The results were opened without a client.
            ValidationError: A bad `until`, `timeout`, `concurrency` or `on_progress`.
            WaitTimeoutError: Calls still running after `timeout` seconds.
        """
        plan = WaitPlan(until, timeout, progress, poll_interval, max_interval, concurrency, on_progress)
        await self._checked_poller().await_(plan)
        return self

    def _checked_poller(self) -> CallPoller:
        if self._poller is None:
            raise ExperimentError("these results were opened without a client; use experiment.results(client)")
        return self._poller

    # -- the frame and its analysis ---------------------------------------------------------------------

    def frame(self, *, include_tokens: bool = False) -> pd.DataFrame:
        """One row per cell: the call's columns plus the cell's bookkeeping (read from the store now).

        Columns: the call's columns, `variant`, `replicate`, `idempotency_key`, `override.*` settings, create
        latency, request id and attempts. Failed creates are rows too (`create_error` set, call columns empty).

        Args:
            include_tokens: Keep the LiveKit token column (stored masked, so masked anyway).

        Returns:
            A new frame.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> frame = results.frame()
            >>> frame[["variant", "replicate", "override.llm.temperature"]].head(3)
              variant  replicate  override.llm.temperature
            0    cool          0                       0.2
            1    cool          1                       0.2
            2    cool          2                       0.2
        """
        return results_frame(self._store, self.name, include_tokens=include_tokens)

    @property
    def criteria(self) -> list[str]:
        """The rating criteria of this experiment's listening sessions (none without a session)."""
        return criteria_of(self._store.sessions(self.name))

    @property
    def variant_names(self) -> list[str]:
        """The experiment's variants as recorded, in order."""
        return [v["name"] for v in self._store.variants(self.name)]

    def analysis(
        self,
        baseline: str | None = None,
        *,
        level: float = 0.95,
        seed: int = 0,
        power: float = 0.8,
        rater: str | None = None,
    ) -> Analysis:
        """The analysis every view reads: built from one read of the frame, kept until the store changes.

        Args:
            baseline: The variant the others are compared with (default: the first).
            level: The confidence level of intervals and tests.
            seed: The seed of the bootstrap intervals.
            power: The power behind "about N calls per variant would separate them".
            rater: Rating statistics of one rater only (default: all raters pooled).

        Returns:
            The analysis (the same object for the same arguments while nothing is recorded).

        Raises:
            ExperimentError: Nothing is recorded for this experiment yet.
            ValidationError: A bad level, power or seed, or an unknown baseline.
        """
        config = AnalysisConfig(level=level, seed=seed, power=power, baseline=baseline, rater=rater)
        key = (self._store.revision(), config)
        if self._analysis is not None and self._analysis[0] == key:
            return self._analysis[1]
        frame = self.frame()
        if not variant_names(frame):
            raise ExperimentError(
                f"experiment {self.name!r} has nothing recorded in {self._store.path} yet: run() it first"
            )
        analysis = Analysis(frame, config, tuple(criteria_of(self._store.sessions(self.name))))
        self._analysis = (key, analysis)
        return analysis

    @property
    def decision(self) -> Decision | None:
        """What a sequential run (`run(until="decided")`) decided from the outcomes recorded so far.

        The looks are replayed over the recorded outcomes in order, so this is the decision the run made (and the
        one a resumed run goes on from): `status` ("running", "winner", "equivalent", "budget" or
        "max_replicates"), `winner`, `leader`, `eliminated` (variant → look), `looks`, `calls` (design calls
        created), `spend` (as `spend()`), the anytime-valid `intervals` and the `history` of looks. Computed once
        per change of the store. None for an experiment that was never run sequentially (a fixed design: read
        `verdict()`).

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> results.decision is None  # a fixed-design run decides nothing
            True
        """
        revision = self._store.revision()
        if self._decision is not None and self._decision[0] == revision:
            return self._decision[1]
        recorded = self._store.sequential(self.name)
        decision = None
        if recorded is not None:
            settings, stop = recorded
            decision = decision_of(
                self.name,
                self.frame(),
                settings,
                calls=len(self._store.done(self.name)),
                spend=self.spend(),
                out_of_budget=stop == BUDGET,
            )
        self._decision = (revision, decision)
        return decision

    def summary(self, *, level: float = 0.95, seed: int = 0, rater: str | None = None) -> pd.DataFrame:
        """Per variant, one row of what its calls say.

        - outcomes: `n` cells, `ended`, `failed`, `expired`, `create_errors`, `pending`, `failure_rate`;
        - statistics of the calls that *ended* (failed and expired ones are counted above, never averaged in):
          `cost_mean`/`duration_mean` with `*_ci_low`/`*_ci_high`, a Student-t interval at `level`;
          `*_sd`; `*_median` with a seeded BCa bootstrap interval (`*_median_ci_low/high`); `*_p95` (no
          interval: too few calls for one); `cost_per_minute` of ended calls;
        - money, exact: `spend_total` (a Decimal: every billed call, ended, failed or still running, including
          calls whose create answer was lost and that `run()` found on the server), `cost_per_attempt` (spend
          per call created), `currency`. Amounts in two currencies are never added (`MixedCurrencyError`);
        - `note`: why the statistics are NaN (fewer than 2 ended calls);
        - statistics and spend cover the design's cells (replicates and pilot calls), not listening-session calls;
        - with listening sessions: `rating.<criterion>_mean` with `_ci_low`/`_ci_high` (Student-t) and `_n`, over
          the calls rated (not skipped or marked broken) that did not fail or expire; `ratings_excluded` counts
          the ratings left out, `ratings_skipped` the skips.

        Args:
            level: The confidence level of the intervals.
            seed: The seed of the bootstrap intervals.
            rater: Ratings of one rater only (default: all raters pooled).

        Returns:
            One row per variant.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> results.summary()[["n", "ended", "cost_mean", "cost_ci_low", "cost_ci_high"]]
                     n  ended  cost_mean  cost_ci_low  cost_ci_high
            variant
            cool     4      ...
            warm     4      ...
        """
        return self.analysis(level=level, seed=seed, rater=rater).summary()

    def compare(self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
        """Each variant against `baseline`, for cost and for duration of ended calls.

        `*_delta` (difference of means) with Welch's interval, `*_p_value`, `*_p_adjusted` (Bonferroni, over the
        variants compared), the relative change `*_delta_pct` with Fieller's interval, both intervals at
        `*_ci_level` (Bonferroni's: 1 − (1 − level) / variants compared, so together they hold with `level`), and
        `*_significant` (those intervals exclude 0; the adjusted p is below 1 − level).

        Args:
            baseline: The variant the others are compared with (default: the first).
            level: The confidence level.
            seed: The seed of the bootstrap intervals.

        Returns:
            One row per variant but the baseline.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> results.compare(baseline="cool")[["baseline", "cost_delta", "cost_delta_pct"]]
                    baseline  cost_delta  cost_delta_pct
            variant
            warm        cool  ...
        """
        return self.analysis(baseline, level=level, seed=seed).compare()

    def verdict(
        self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0, power: float = 0.8
    ) -> Verdict:
        """What a reader can conclude.

        The cheapest (and the shortest-call) variant is named only when it is separated from every other variant
        after Holm adjustment; otherwise "no clear winner", with about how many calls per variant would name it
        with probability `power` at the means and spread seen (`plan()`'s computation). `str(verdict)` is the
        text; `verdict.findings` the structured results.

        Args:
            baseline: The variant the others are compared with (default: the first).
            level: The confidence level.
            seed: The seed of the bootstrap intervals.
            power: The probability behind the advice on calls needed.

        Returns:
            The verdict.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> first = str(results.verdict()).splitlines()[0]  # one line per metric, then the comparisons
            >>> first.startswith(("Cheapest per call: ", "No clear cheapest variant: "))
            True
        """
        return self.analysis(baseline, level=level, seed=seed, power=power).verdict

    def plan(
        self,
        *,
        probability: float = 0.8,
        metric: str = "cost",
        detect: float | None = None,
        power: float = 0.8,
        level: float = 0.95,
    ) -> pd.DataFrame:
        """From the calls so far (a pilot): calls per variant for the verdict to name the cheapest variant.

        A seeded simulation of `verdict()`'s own rule at the means seen, a spread proportional to each mean
        (pooled over the variants) and the share of calls that ended, taken as the truth.

        Args:
            probability: The probability that the verdict names the cheapest (or shortest-call) variant.
            metric: "cost" (the cheapest) or "duration" (the shortest calls): which answer is `replicates`.
            detect: Instead, the relative difference in mean cost and duration to detect, e.g. 0.10 (the older
                question; `power` applies).
            power: With `detect`: the probability of detecting it.
            level: The verdict's confidence level.

        Returns:
            One row per variant with `replicates` (calls per variant in all, the pilot's included) and
            `estimated_cost` (Decimal: what that many calls would cost); `.attrs["total_estimated_cost"]` for
            all variants and `.attrs["question"]` in words.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> results.plan()[["pilot_calls", "replicates"]]
                     pilot_calls  replicates
            variant
            cool               4         ...
            warm               4         ...
        """
        return self.analysis(level=level).plan(probability=probability, metric=metric, detect=detect, power=power)

    def summary_table(self, *, level: float = 0.95, seed: int = 0) -> Styler:
        """`summary()` for reading: money with its currency, call lengths in s or min, intervals in one cell.

        Args:
            level: The confidence level.
            seed: The seed of the bootstrap intervals.

        Returns:
            A pandas `Styler` (`.data` is the text).

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> type(results.summary_table()).__name__  # a pandas Styler: shown as a table in a notebook
            'Styler'
        """
        from ..report.tables import summary_table

        return summary_table(self.analysis(level=level, seed=seed))

    def compare_table(self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0) -> Styler:
        """`compare()` for reading: each change in % with its interval, in money, and whether it holds after Holm.

        Args:
            baseline: The variant the others are compared with (default: the first).
            level: The confidence level.
            seed: The seed of the bootstrap intervals.

        Returns:
            A pandas `Styler`.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> type(results.compare_table()).__name__
            'Styler'
        """
        from ..report.tables import comparison_table

        return comparison_table(self.analysis(baseline, level=level, seed=seed))

    def plot(self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0) -> Figure:
        """A forest plot of each variant's change against the baseline, then every ended call per variant.

        The intervals are `compare()`'s; the verdict's cheapest variant is marked ★.

        Args:
            baseline: The variant the others are compared with (default: the first).
            level: The confidence level.
            seed: The seed of the bootstrap intervals.

        Returns:
            A matplotlib figure.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> figure = results.plot()
            >>> type(figure).__name__, len(figure.axes) >= 1
            ('Figure', True)
        """
        from ..report.plots import plot_experiment

        return plot_experiment(self.analysis(baseline, level=level, seed=seed), self.name)

    def to_csv(self, path: str | Path, **kwargs: Any) -> Path:
        """Write `frame()` to a CSV file.

        Args:
            path: The file to write (other keyword arguments go to `DataFrame.to_csv`).

        Returns:
            The path written.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> variants = [Variant("cool", {"llm": {"temperature": 0.2}}),
            ...             Variant("warm", {"llm": {"temperature": 0.9}})]
            >>> experiment = Experiment("results-methods", agent.id, variants, replicates=4, store=":memory:")
            >>> results = experiment.run(client, progress=False).wait(progress=False)
            >>> path = results.to_csv("results.csv")
            >>> path.name, path.stat().st_size > 0
            ('results.csv', True)
        """
        self.frame().to_csv(path, index=False, **kwargs)
        return Path(path)

    def to_parquet(self, path: str | Path, **kwargs: Any) -> Path:
        """Write `frame()` to a Parquet file.

        Args:
            path: The file to write (other keyword arguments go to `DataFrame.to_parquet`).

        Returns:
            The path written.
        """
        self.frame().to_parquet(path, index=False, **kwargs)
        return Path(path)
