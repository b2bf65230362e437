"""What an experiment produced, as the user holds it: a frame per call, summaries, comparisons, plots, exports.

Reads the results store and hands the numbers to `analysis`; waiting for calls is `polling`'s job.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import ExperimentError
from ..frames import calls_to_frame, scalar_column
from ..money import Money, total
from .analysis import Verdict, compare_variants, plan_replicates, summarize_variants, verdict
from .budget import BudgetReport
from .estimate import finished_spend
from .plots import plot_experiment
from .polling import CallPoller, Progress
from .ratings import add_rating_columns, criteria_of, quality_against_cost, summarize_ratings
from .store import ResultsStore
from .tables import comparison_table, summary_table
from .variants import flatten

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from pandas.io.formats.style import Styler

OVERRIDE_PREFIX = "override."


class ExperimentResults:
    """The calls of experiment `name` in `store`; `poller` (if any) lets `wait()` refresh them."""

    def __init__(self, name: str, store: ResultsStore, poller: CallPoller | None = None) -> None:
        self.name, self._store, self._poller = name, store, poller
        self.budget: BudgetReport | None = None  # set by a run(max_cost=…)

    def __repr__(self) -> str:
        rows = self._store.results(self.name)
        created = sum(r.state == "created" for r in rows)
        stopped = "; stopped by its budget" if self.budget is not None and self.budget.stopped else ""
        return (
            f"<ExperimentResults {self.name!r}: {created} calls created, {len(rows) - created} failed creates{stopped}>"
        )

    def spend(self) -> Money:
        """What the calls created so far have been billed, exactly, as last read (`wait()` reads them again)."""
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

        `until="in_progress"` waits only until every call has started. Raises `TimeoutError` after
        `timeout` seconds, keeping what it saw; call `wait()` again to continue.
        """
        if self._poller is None:
            raise ExperimentError("these results were opened without a client; use experiment.results(client)")
        if not (isinstance(timeout, (int, float)) and math.isfinite(timeout) and timeout > 0):
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        if not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        self._poller.wait(
            until,
            timeout=timeout,
            progress=progress,
            poll_interval=poll_interval,
            max_interval=max_interval,
            concurrency=concurrency,
            on_progress=on_progress,
        )
        return self

    # -- tables -------------------------------------------------------------------------------------

    def frame(self, *, include_tokens: bool = False) -> pd.DataFrame:
        """One row per (variant, replicate): the call's columns plus variant, replicate, idempotency key,
        `override.*` settings, create latency, request id and attempts. Failed creates are rows too
        (`create_error` set, call columns empty).
        """
        rows = self._store.results(self.name)
        frame = calls_to_frame([r.call or {} for r in rows], include_tokens=include_tokens)
        frame.insert(0, "replicate", pd.array([r.replicate for r in rows], dtype="Int64"))
        frame.insert(0, "variant", pd.Categorical([r.variant for r in rows], categories=self.variant_names))
        frame.insert(0, "experiment", pd.array([self.name] * len(rows), dtype="string"))
        frame["idempotency_key"] = pd.array([r.idempotency_key for r in rows], dtype="string")
        frame["request_id"] = pd.array([r.request_id for r in rows], dtype="string")
        frame["attempts"] = pd.array([r.attempts for r in rows], dtype="Int64")
        frame["create_latency_seconds"] = pd.array([r.latency_seconds for r in rows], dtype="float64")
        frame["create_error"] = pd.array([r.error if r.state == "error" else None for r in rows], dtype="string")
        settings = {v["name"]: flatten(json.loads(v["overrides"])) for v in self._store.variants(self.name)}
        for path in dict.fromkeys(p for flat in settings.values() for p in flat):
            frame[OVERRIDE_PREFIX + path] = scalar_column([_cell(settings.get(r.variant, {}).get(path)) for r in rows])
        ratings = self._store.ratings(self.name)
        if ratings:  # listening sessions (convoi_nb.sessions) rated some of these calls
            frame = add_rating_columns(frame, ratings, self.criteria)
        return frame

    @property
    def criteria(self) -> list[str]:
        """The rating criteria of this experiment's listening sessions (none without a session)."""
        return criteria_of(self._store.sessions(self.name))

    @property
    def variant_names(self) -> list[str]:
        return [v["name"] for v in self._store.variants(self.name)]

    def _recorded_variants(self) -> list[str]:
        names = self.variant_names
        if not names:
            raise ExperimentError(
                f"experiment {self.name!r} has nothing recorded in {self._store.path} yet: run() it first"
            )
        return names

    def summary(self, *, level: float = 0.95, seed: int = 0, rater: str | None = None) -> pd.DataFrame:
        """Per variant, one row:

        - outcomes: `n` cells, `ended`, `failed`, `expired`, `create_errors`, `pending`, `failure_rate`;
        - statistics of the calls that *ended* (failed and expired ones are counted above, never averaged in):
          `cost_mean`/`duration_mean` with `*_ci_low`/`*_ci_high`, a Student-t interval at `level`;
          `*_sd`; `*_median` with a seeded BCa bootstrap interval (`*_median_ci_low/high`); `*_p95` (no
          interval: too few calls for one); `cost_per_minute` of ended calls;
        - money, exact: `spend_total` (a Decimal: every billed call, ended, failed or still running, including
          calls whose create answer was lost and that `run()` found on the server), `cost_per_attempt` (spend
          per call created), `currency`. Amounts in two currencies are never added (`MixedCurrencyError`);
        - `note`: why the statistics are NaN (fewer than 2 ended calls);
        - statistics and spend cover the sweep's cells (replicates 0…N-1), not listening-session calls;
        - with listening sessions: `rating.<criterion>_mean` with `_ci_low`/`_ci_high` (Student-t) and `_n`, over
          the calls rated (not skipped or marked broken) that did not fail or expire; `ratings_excluded` counts
          the ratings left out, `ratings_skipped` the skips. All raters pooled, or `rater=` one of them.
        """
        frame, names = self.frame(), self._recorded_variants()
        summary = summarize_variants(_sweep(frame), names, level=level, seed=seed)
        if "rating_outcome" in frame:
            summary = summary.join(summarize_ratings(frame, names, self.criteria, level=level, rater=rater))
        return summary

    def compare(self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
        """Each variant against `baseline` (default: the first variant), for cost and for duration of ended
        calls: `*_delta` (difference of means) with Welch's `level` interval, `*_p_value`, `*_p_adjusted`
        (Holm, over the variants compared) and `*_significant` (adjusted p below 1 − level), and the relative
        change `*_delta_pct` with a seeded BCa bootstrap interval.
        """
        return compare_variants(
            _sweep(self.frame()), self._recorded_variants(), self._baseline(baseline), level=level, seed=seed
        )

    def verdict(
        self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0, power: float = 0.8
    ) -> Verdict:
        """What a reader can conclude. The cheapest (and the shortest-call) variant is named only when it is
        separated from every other variant after Holm adjustment; otherwise "no clear winner", with about how
        many calls per variant would separate the top two at the spread seen (`power`). `str(verdict)` is
        the text; `verdict.findings` the structured results.
        """
        frame, names, baseline = self.frame(), self._recorded_variants(), self._baseline(baseline)
        comparison = compare_variants(_sweep(frame), names, baseline, level=level, seed=seed)
        found = verdict(_sweep(frame), names, baseline, level=level, seed=seed, power=power, comparison=comparison)
        if "rating_outcome" not in frame:
            return found
        currency = finished_spend(_sweep(frame)).currency
        cost = {v: float(comparison.loc[v, "cost_delta"]) for v in comparison.index}
        lines = quality_against_cost(frame, names, baseline, self.criteria, cost, currency, level=level)
        return Verdict(found.findings, found.comparisons + lines)

    def plan(self, *, detect: float = 0.10, power: float = 0.8, level: float = 0.95) -> pd.DataFrame:
        """From the calls so far (a pilot): calls per variant needed to detect a relative difference `detect`
        in mean cost and in mean duration with `power`, and the estimated spend for that many calls
        (`estimated_spend`, Decimal; `.attrs["total_spend"]` for all variants).
        """
        plan = plan_replicates(_sweep(self.frame()), self._recorded_variants(), detect=detect, power=power, level=level)
        plan.attrs["total_spend"] = sum((s for s in plan["estimated_spend"] if s.is_finite()), Decimal(0))
        return plan

    def _baseline(self, baseline: str | None) -> str:
        names = self._recorded_variants()
        baseline = baseline or names[0]
        if baseline not in names:
            raise ValueError(f"unknown baseline {baseline!r}; variants are: {', '.join(names)}")
        return baseline

    def summary_table(self, *, level: float = 0.95, seed: int = 0) -> Styler:
        """`summary()` for reading: money with its currency, call lengths in s or min, each mean with its
        interval in one cell, failures and running calls counted (a pandas `Styler`; `.data` is the text).
        """
        return summary_table(self.summary(level=level, seed=seed), level)

    def compare_table(self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0) -> Styler:
        """`compare()` for reading: each variant's change against the baseline in % with its interval, the
        change per call in money, and whether it holds after Holm's adjustment (a pandas `Styler`).
        """
        return comparison_table(
            self.compare(baseline, level=level, seed=seed), self.summary(level=level, seed=seed), level
        )

    def plot(self, baseline: str | None = None, *, level: float = 0.95, seed: int = 0) -> Figure:
        """A forest plot of each variant's change in mean cost and call length against the baseline, with
        intervals from `compare()` and the verdict's cheapest variant marked ★, then every ended call per
        variant (cost and length, bar at the mean).
        """
        baseline = self._baseline(baseline)
        frame, names = _sweep(self.frame()), self._recorded_variants()
        comparison = compare_variants(frame, names, baseline, level=level, seed=seed)
        winner = verdict(frame, names, baseline, level=level, seed=seed, comparison=comparison).finding("cost").winner
        return plot_experiment(frame, names, comparison, baseline, winner, self.name, level)

    def to_csv(self, path: str | Path, **kwargs: Any) -> Path:
        self.frame().to_csv(path, index=False, **kwargs)
        return Path(path)

    def to_parquet(self, path: str | Path, **kwargs: Any) -> Path:
        self.frame().to_parquet(path, index=False, **kwargs)
        return Path(path)


def _sweep(frame: pd.DataFrame) -> pd.DataFrame:
    """The sweep's cells: cost and length statistics leave out listening-session calls (replicates below zero),
    whose length is the listener's doing; `frame()` has both.
    """
    return frame[frame["replicate"] >= 0]


def _cell(value: Any) -> Any:
    # A list (knowledge_base_ids) becomes one readable cell.
    return ",".join(map(str, value)) if isinstance(value, list) else value
