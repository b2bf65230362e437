"""What an experiment produced, as the user holds it: a frame per call, summaries, comparisons, plots, exports.

Reads the results store and hands the numbers to `analysis`; waiting for calls is `polling`'s job.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import pandas as pd

from ..errors import ExperimentError
from ..frames import calls_to_frame, scalar_column
from .analysis import compare_variants, plot_variants, summarize_variants
from .polling import CallPoller, Progress
from .store import ResultsStore
from .variants import flatten

if TYPE_CHECKING:
    from matplotlib.figure import Figure

OVERRIDE_PREFIX = "override."


class ExperimentResults:
    """The calls of experiment `name` in `store`; `poller` (if any) lets `wait()` refresh them."""

    def __init__(self, name: str, store: ResultsStore, poller: Optional[CallPoller] = None) -> None:
        self.name, self._store, self._poller = name, store, poller

    def __repr__(self) -> str:
        rows = self._store.results(self.name)
        created = sum(r.state == "created" for r in rows)
        return f"<ExperimentResults {self.name!r}: {created} calls created, {len(rows) - created} failed creates>"

    def wait(self, until: str = "ended", *, timeout: float = 120.0, progress: bool = True,
             poll_interval: float = 0.2, max_interval: float = 2.0, concurrency: int = 16,
             on_progress: Progress = None) -> "ExperimentResults":
        """Poll the calls until each is `ended` (or failed/expired: finished either way), with backoff.

        `until="in_progress"` waits only until every call has started. Raises `TimeoutError` after
        `timeout` seconds, keeping what it saw; call `wait()` again to continue.
        """
        if self._poller is None:
            raise ExperimentError("these results were opened without a client; use experiment.results(client)")
        self._poller.wait(until, timeout=timeout, progress=progress, poll_interval=poll_interval,
                          max_interval=max_interval, concurrency=concurrency, on_progress=on_progress)
        return self

    # -- tables -------------------------------------------------------------------------------------

    def frame(self, *, include_tokens: bool = False) -> pd.DataFrame:
        """One row per (variant, replicate): the call's columns plus variant, replicate, idempotency key,
        `override.*` settings, create latency, request id and attempts. Failed creates are rows too
        (`create_error` set, call columns empty)."""
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
        return frame

    @property
    def variant_names(self) -> list[str]:
        return [v["name"] for v in self._store.variants(self.name)]

    def summary(self, *, seed: int = 0, n_resamples: int = 2000) -> pd.DataFrame:
        """Per variant: counts by outcome, failure rate, mean/median/p95 duration and cost of *ended* calls,
        cost per minute, and seeded bootstrap 95% CIs of the means. Failed and expired calls (and failed
        creates) are excluded from the statistics but counted."""
        return summarize_variants(self.frame(), self.variant_names, seed=seed, n_resamples=n_resamples)

    def compare(self, baseline: Optional[str] = None, *, seed: int = 0, n_resamples: int = 2000) -> pd.DataFrame:
        """Each variant against `baseline` (default: the first variant): differences of mean cost and
        duration of ended calls, with bootstrap 95% CIs, and relative change."""
        names = self.variant_names
        baseline = baseline or names[0]
        if baseline not in names:
            raise ValueError(f"unknown baseline {baseline!r}; variants are: {', '.join(names)}")
        return compare_variants(self.frame(), names, baseline, seed=seed, n_resamples=n_resamples)

    def plot(self) -> "Figure":
        """Cost vs duration per ended call, and per-variant box plots of cost and duration."""
        return plot_variants(self.frame(), self.variant_names, self.name)

    def to_csv(self, path: Union[str, Path], **kwargs: Any) -> Path:
        self.frame().to_csv(path, index=False, **kwargs)
        return Path(path)

    def to_parquet(self, path: Union[str, Path], **kwargs: Any) -> Path:
        self.frame().to_parquet(path, index=False, **kwargs)
        return Path(path)


def _cell(value: Any) -> Any:
    # A list (knowledge_base_ids) becomes one readable cell.
    return ",".join(map(str, value)) if isinstance(value, list) else value
