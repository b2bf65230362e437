"""What an experiment produced: a frame per call, per-variant summaries with bootstrap CIs, comparisons, plots."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from .._sync_bridge import run_sync
from ..errors import NotFoundError
from ..frames import calls_to_frame, scalar_column
from ..models import TERMINAL_STATUSES
from .errors import ExperimentError
from .stats import bootstrap_ci, bootstrap_diff_ci
from .store import ResultsStore
from .variants import flatten

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .experiment import AnyClient, Experiment

WAIT_TARGETS = {"ended": TERMINAL_STATUSES, "in_progress": TERMINAL_STATUSES | {"in_progress"}}
OVERRIDE_PREFIX = "override."


class ExperimentResults:
    def __init__(self, experiment: "Experiment", store: ResultsStore, client: "AnyClient") -> None:
        self.experiment, self._store, self._client = experiment, store, client

    def __repr__(self) -> str:
        rows = self._store.results(self.experiment.name)
        created = sum(r.state == "created" for r in rows)
        return f"<ExperimentResults {self.experiment.name!r}: {created} calls created, {len(rows) - created} failed creates>"

    # -- waiting ------------------------------------------------------------------------------------

    def wait(self, until: str = "ended", *, timeout: float = 120.0, progress: bool = True,
             poll_interval: float = 0.2, max_interval: float = 2.0, concurrency: int = 16,
             on_progress: Optional[Callable[[int, int], None]] = None) -> "ExperimentResults":
        """Poll the calls until each is `ended` (or failed/expired: finished either way), with backoff.

        `until="in_progress"` waits only until every call has started. Raises `TimeoutError` after
        `timeout` seconds, keeping what it saw; call `wait()` again to continue.
        """
        if until not in WAIT_TARGETS:
            raise ValueError(f"until must be one of {sorted(WAIT_TARGETS)}, got {until!r}")
        run_sync(self._wait(WAIT_TARGETS[until], timeout, progress, poll_interval, max_interval, concurrency,
                            on_progress))
        return self

    async def _wait(self, targets: frozenset, timeout: float, progress: bool, interval: float,
                    max_interval: float, concurrency: int, on_progress: Optional[Callable[[int, int], None]]) -> None:
        name = self.experiment.name
        deadline = time.monotonic() + timeout
        calls = [r.call for r in self._store.results(name) if r.call]
        bar = tqdm(total=len(calls), desc=f"{name}: waiting", unit="call", disable=not progress)
        async with self._client.to_async() as api:
            gate = asyncio.Semaphore(concurrency)

            async def fetch(call_id: str) -> dict[str, Any]:
                async with gate:
                    try:
                        return (await api.get_call(call_id)).model_dump(mode="json")
                    except NotFoundError:
                        raise ExperimentError(
                            f"call {call_id} of experiment {name!r} is in the results store "
                            f"({self._store.path}) but not on {api.base_url}: the store belongs to another server "
                            "or sandbox database; use another store file or experiment name") from None

            while True:
                pending = [c["id"] for c in calls if c["status"] not in targets]
                bar.n = len(calls) - len(pending)
                bar.refresh()
                if on_progress is not None:
                    on_progress(len(calls) - len(pending), len(calls))
                if not pending:
                    break
                if time.monotonic() >= deadline:
                    bar.close()
                    raise TimeoutError(f"{len(pending)} of {len(calls)} calls of {name!r} still running after "
                                       f"{timeout:.0f} s; call wait() again to keep waiting")
                await asyncio.sleep(interval)
                interval = min(interval * 1.5, max_interval)
                fresh = await asyncio.gather(*(fetch(i) for i in pending))
                self._store.update_calls(name, fresh)
                latest = {c["id"]: c for c in fresh}
                calls = [latest.get(c["id"], c) for c in calls]
        bar.close()

    # -- tables -------------------------------------------------------------------------------------

    def frame(self, *, include_tokens: bool = False) -> pd.DataFrame:
        """One row per (variant, replicate): the call's columns plus variant, replicate, idempotency key,
        `override.*` settings, create latency, request id and attempts. Failed creates are rows too
        (`create_error` set, call columns empty)."""
        rows = self._store.results(self.experiment.name)
        frame = calls_to_frame([r.call or {} for r in rows], include_tokens=include_tokens)
        frame.insert(0, "replicate", pd.array([r.replicate for r in rows], dtype="Int64"))
        frame.insert(0, "variant", pd.Categorical([r.variant for r in rows], categories=self.variant_names))
        frame.insert(0, "experiment", pd.array([self.experiment.name] * len(rows), dtype="string"))
        frame["idempotency_key"] = pd.array([r.idempotency_key for r in rows], dtype="string")
        frame["request_id"] = pd.array([r.request_id for r in rows], dtype="string")
        frame["attempts"] = pd.array([r.attempts for r in rows], dtype="Int64")
        frame["create_latency_seconds"] = pd.array([r.latency_seconds for r in rows], dtype="float64")
        frame["create_error"] = pd.array([r.error if r.state == "error" else None for r in rows], dtype="string")
        settings = {v["name"]: flatten(_json(v["overrides"])) for v in self._store.variants(self.experiment.name)}
        for path in dict.fromkeys(p for flat in settings.values() for p in flat):
            frame[OVERRIDE_PREFIX + path] = scalar_column([_cell(settings.get(r.variant, {}).get(path)) for r in rows])
        return frame

    @property
    def variant_names(self) -> list[str]:
        return [v["name"] for v in self._store.variants(self.experiment.name)]

    def summary(self, *, seed: int = 0, n_resamples: int = 2000) -> pd.DataFrame:
        """Per variant: counts by outcome, failure rate, mean/median/p95 duration and cost of *ended* calls,
        cost per minute, and seeded bootstrap 95% CIs of the means. Failed and expired calls (and failed
        creates) are excluded from the statistics but counted."""
        frame = self.frame()
        out = []
        for variant in self.variant_names:
            rows = frame[frame["variant"] == variant]
            ended = rows[rows["status"] == "ended"]
            durations, costs = ended["duration_seconds"].to_numpy(), ended["cost_amount"].to_numpy()
            minutes = durations.sum() / 60
            n = len(rows)
            unsuccessful = int(rows["status"].isin(["failed", "expired"]).sum() + rows["create_error"].notna().sum())
            d_low, d_high = bootstrap_ci(durations, seed=seed, n_resamples=n_resamples)
            c_low, c_high = bootstrap_ci(costs, seed=seed, n_resamples=n_resamples)
            out.append({
                "variant": variant, "n": n, "ended": len(ended),
                "failed": int((rows["status"] == "failed").sum()), "expired": int((rows["status"] == "expired").sum()),
                "create_errors": int(rows["create_error"].notna().sum()),
                "pending": int(rows["status"].isin(["initiated", "in_progress"]).sum()),
                "failure_rate": unsuccessful / n if n else np.nan,
                "duration_mean": _stat(np.mean, durations), "duration_ci_low": d_low, "duration_ci_high": d_high,
                "duration_median": _stat(np.median, durations), "duration_p95": _stat(_p95, durations),
                "cost_mean": _stat(np.mean, costs), "cost_ci_low": c_low, "cost_ci_high": c_high,
                "cost_median": _stat(np.median, costs), "cost_p95": _stat(_p95, costs),
                "cost_per_minute": costs.sum() / minutes if minutes else np.nan,
            })
        return pd.DataFrame(out).set_index("variant")

    def compare(self, baseline: Optional[str] = None, *, seed: int = 0, n_resamples: int = 2000) -> pd.DataFrame:
        """Each variant against `baseline` (default: the first variant): differences of mean cost and
        duration of ended calls, with bootstrap 95% CIs, and relative change."""
        names = self.variant_names
        baseline = baseline or names[0]
        if baseline not in names:
            raise ValueError(f"unknown baseline {baseline!r}; variants are: {', '.join(names)}")
        frame = self.frame()
        ended = frame[frame["status"] == "ended"]
        groups = {v: ended[ended["variant"] == v] for v in names}
        base = groups[baseline]
        rows = []
        for variant in names:
            if variant == baseline:
                continue
            row: dict[str, Any] = {"variant": variant, "baseline": baseline}
            for column, label in (("cost_amount", "cost"), ("duration_seconds", "duration")):
                a, b = groups[variant][column].to_numpy(), base[column].to_numpy()
                delta = _stat(np.mean, a) - _stat(np.mean, b)
                low, high = bootstrap_diff_ci(a, b, seed=seed, n_resamples=n_resamples)
                row.update({f"{label}_delta": delta, f"{label}_delta_ci_low": low, f"{label}_delta_ci_high": high,
                            f"{label}_delta_pct": 100 * delta / _stat(np.mean, b) if len(b) else np.nan,
                            f"{label}_significant": bool(low > 0 or high < 0)})
            rows.append(row)
        return pd.DataFrame(rows).set_index("variant")

    def plot(self) -> "Figure":
        """Cost vs duration per ended call, and per-variant box plots of cost and duration."""
        import matplotlib.pyplot as plt

        frame = self.frame()
        ended = frame[frame["status"] == "ended"]
        names = self.variant_names
        figure, (scatter, cost_box, duration_box) = plt.subplots(1, 3, figsize=(15, 4.5))
        for variant in names:
            rows = ended[ended["variant"] == variant]
            scatter.scatter(rows["duration_seconds"], rows["cost_amount"], label=variant, alpha=0.75)
        scatter.set(xlabel="duration (s)", ylabel="cost (USD)", title="cost vs duration (ended calls)")
        scatter.legend(fontsize="small")
        for axis, column, label in ((cost_box, "cost_amount", "cost (USD)"),
                                    (duration_box, "duration_seconds", "duration (s)")):
            axis.boxplot([ended.loc[ended["variant"] == v, column].to_numpy() for v in names])
            axis.set_xticks(range(1, len(names) + 1), names, rotation=20, ha="right", fontsize="small")
            axis.set(ylabel=label, title=f"{label.split(' ')[0]} by variant")
        figure.suptitle(f"{self.experiment.name}: {len(ended)} ended calls")
        figure.tight_layout()
        plt.close(figure)  # returned for display; not left open in pyplot's global state
        return figure

    def to_csv(self, path: Union[str, Path], **kwargs: Any) -> Path:
        self.frame().to_csv(path, index=False, **kwargs)
        return Path(path)

    def to_parquet(self, path: Union[str, Path], **kwargs: Any) -> Path:
        self.frame().to_parquet(path, index=False, **kwargs)
        return Path(path)


def _json(text: str) -> Any:
    import json

    return json.loads(text)


def _cell(value: Any) -> Any:
    # A list (knowledge_base_ids) becomes one readable cell.
    return ",".join(map(str, value)) if isinstance(value, list) else value


def _p95(values: np.ndarray) -> float:
    return float(np.percentile(values, 95))


def _stat(function: Any, values: np.ndarray) -> float:
    return float(function(values)) if len(values) else float("nan")
