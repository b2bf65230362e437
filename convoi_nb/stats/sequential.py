"""The sequential decision: after each wave, which variants are clearly worse, and whether the experiment can stop.

An experiment run `until="decided"` creates calls in waves, one replicate per active variant; look k comes after
wave k. For every pair of variants A, B the j-th ended call of A is paired with the j-th ended call of B; calls
are independent draws, so the differences d_j = x_A,j − x_B,j are i.i.d. with mean μ_A − μ_B, and a confidence
sequence (CS) for their mean is a CS for the difference. `decide` replays the looks over the recorded outcomes in
order, so a decision is a function of the outcomes only (a resumed run repeats it):

- a variant whose pair CS against any other active variant lies wholly above 0 (it costs more, or its calls are
  longer) is eliminated at that look: it gets no further replicate;
- "winner" when one variant is left; "equivalent" when `tolerance` is given and every remaining pair's CS lies
  within ±tolerance × the leader's mean; "max_replicates" after `max_replicates` looks ("no winner; leader X");
  "budget" when the caller's ledger cannot pay for another wave; otherwise "running", and `next_wave` names the
  variants that get one more replicate.

No elimination and no stop happens before `min_replicates` looks.

## Which intervals, and why

The intervals must hold at every look at once (the runner looks after every wave, the live panel at any time)
at 5–120 calls per variant on skewed costs. Measured on this sandbox (sequential-notes, bench/sequential.py):
Welch's interval re-read after every wave misses 0.30 of the time instead of 0.05; the asymptotic CS of
Waudby-Smith et al. (2023, arXiv 2103.06476; GrowthBook, PostHog) misses 0.20–0.26 at these sizes; a betting CS
(Waudby-Smith & Ramdas 2024) needs a hard per-call bound and is 35× wider. Three boundaries built on the t
statistic, exact for Gaussian values with unknown variance whatever their mean and scale, are available
(`SequentialConfig.boundary`):

- "spending" (the default; `spending`): the repeated confidence intervals of a group-sequential design
  (Jennison & Turnbull 1989; 2000, ch. 9) with Lan & DeMets' (1983) Pocock-type error-spending function over
  the `max_replicates` looks, its boundaries set for the t statistic on seeded Gaussian paths (not its normal
  approximation, which misleads at 5–20 calls; Bowyer et al. 2025). No bound before `min_replicates` values.
- "horizon" (`horizon`): Lai's (1976) t-based confidence sequence, its level calibrated so that it misses with
  probability α (not the 0.4–0.5·α it spends) within `max_replicates` looks.
- "lai" (`confidence_sequence`): Lai's sequence as published, valid over an infinite horizon.

Why a finite horizon is enough here: the runner never looks past `max_replicates` (decide() reads no replicate
beyond it, and a changed configuration on the same store is refused), a look between waves sees no new data, and
a run stopped early by hand, by the budget or by a decision has used a subset of the looks the guarantee
covers. Only "lai" would stay valid for someone who went on past `max_replicates` with the same data. The
finite-horizon boundaries are what meets the efficiency the issue asks for: on notebook 02's set plus a copy of
the baseline (bench/sequential.py, 500 runs, 120 looks), "lai" / "horizon" / "spending" (Lai's tuned for 30) use
1.06× / 0.90× / 0.80× the calls and 0.91× / 0.77× / 0.69× the spend of a fixed design that names the cheapest as
often; the bounds are 0.9× and 0.8×. An O'Brien–Fleming-type spending function keeps its early intervals too
wide for eliminations to pay (1.04× the calls and 0.99× the spend, 200 runs). Every constant (the levels, the
thresholds) comes from the Gaussian model; the one choice the bench informed is between these two standard
spending shapes (Pocock-type is the one built for stopping early, which eliminations need).

The guarantee is exact (up to a Monte Carlo error the calibration makes conservative) for Gaussian values; on the
sandbox's log-normal costs it is measured: the differences of two identical variants' calls are symmetric with
tails heavier than Gaussian, where the t statistic errs on the safe side. The identical pair over 60 looks is
called different 0.022 ± 0.007 of the time (the bench's 500 runs; 0.029 ± 0.004 over 1,500), against 0.27 for
Welch re-run after every wave. The issue's bound there, 0.03, is stricter than the nominal 0.05, which a boundary
that spends its whole budget reaches on Gaussian data: the sandbox's tails are what keeps it under.

The error budget α = 1 − level is split evenly over *every* pair, α / C(K, 2) each (Bonferroni). With K identical
variants every pair can produce a false elimination, so only a split over all C(K, 2) pairs bounds "any
elimination among K identical variants" by α; α / (K − 1) per pair, as the prototype used, sums to α·K/2 over the
pairs (0.15 for six variants) and measured 0.062 ± 0.011 for six identical variants over 120 looks (500 runs),
above the 0.05 the issue requires. The same union bound makes every pair's interval cover at once at every look,
so the true best variant is eliminated, and a wrong winner named, with probability at most α. Each variant's own
mean gets an interval at α / K (one family, simultaneous over variants); those intervals are shown, never used
to eliminate (an interval on each arm's level lets a verdict flip late).

`planned` (n*, Lai's g; used by "horizon" and "lai"), `min_replicates` and `max_replicates` (the spending
boundary's first look and horizon) are fixed for the experiment's life: choosing them again after seeing data
voids the guarantee.

## What an outcome is

The statistics of a metric are those of the calls that *ended*, as in the fixed design's summary, so the
decision and the summary speak of the same "cost per call" and "call length": a failed or expired call is a
finished replicate without a value (counted in calls and spend, never averaged in), and the j-th ended call of
one variant is paired with the j-th ended call of the other (still i.i.d. differences: whether a call ends is
decided call by call). Averaging failed calls in as what they were billed would make a variant whose calls drop
half-way look cheaper, and adds the spread of the drops to every difference (on the sandbox it takes about 1.75×
the calls to separate the same pair). A replicate whose call has not reached a terminal status (or whose create
failed: no call to read yet) ends its variant's sequence there, so the order of outcomes never depends on which
call happened to finish first.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ValidationError
from ..models import TERMINAL_STATUSES
from ..money import Money, format_money
from .columns import METRICS, REPLICATE
from .confidence_sequence import lai_sequence, lai_tuning
from .horizon import horizon_level
from .primitives import check_probability
from .spending import spending_sequence

RUNNING = "running"
"""Decision status: no stop yet."""
WINNER = "winner"
"""Decision status: one variant is left, the others clearly worse."""
EQUIVALENT = "equivalent"
"""Decision status: the remaining variants are within the tolerance of each other."""
BUDGET = "budget"
"""Decision status: the next wave would pass the spending cap."""
MAX_REPLICATES = "max_replicates"
"""Decision status: the most calls per variant were made, with no decision (the leader is named)."""
STATUSES = (RUNNING, WINNER, EQUIVALENT, BUDGET, MAX_REPLICATES)
"""Every status a `Decision` can have."""
SPENDING = "spending"
HORIZON = "horizon"
LAI = "lai"
BOUNDARIES = (SPENDING, HORIZON, LAI)

ENDED = "ended"
COLUMNS = dict(METRICS)  # metric → its column of the results frame
UNITS = {"duration": "s"}  # the cost's unit is the spend's currency
WHAT = "sequential configuration"
INTERVAL_COLUMNS = [
    "kind",
    "variant",
    "other",
    "n",
    "estimate",
    "low",
    "high",
    "unit",
    "level",
    "active",
    "eliminated_at",
]
HISTORY_COLUMNS = ["look", "replicates", "active", "active_variants", "eliminated", "leader", "leader_mean", "status"]


def _is_int(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass(frozen=True)
class SequentialConfig:
    """What a sequential experiment decides on, and when it may stop; checked when made.

    Attributes:
        metric: "cost" (billed per call attempt) or "duration" (seconds talked per call attempt); declared up
            front: deciding on both would halve the error budget of each.
        level: The confidence level of every interval, simultaneously over all looks and pairs.
        min_replicates: No variant is eliminated, and no stop made, before this many looks (>= 2); the
            spending boundary's first bound.
        max_replicates: The experiment stops after this many looks ("max_replicates"); >= min_replicates. The
            horizon the "spending" and "horizon" boundaries hold up to: fixed for the experiment's life.
        tolerance: A relative margin in (0, 1): when every remaining pair's interval lies within ±tolerance × the
            leader's mean, the remaining variants are "equivalent". None: never stop for equivalence.
        planned: The tuning point n* of Lai's sequences (boundary "horizon" or "lai"): the replicates per
            variant where a decision is expected, where the intervals are tightest; the spending boundary has
            none. Fixed for the experiment's life: changing it after seeing data voids the guarantee.
        boundary: "spending" (default): repeated confidence intervals with Pocock-type error spending over the
            `max_replicates` looks (`stats.spending`); "horizon": Lai's sequences calibrated to hold up to
            `max_replicates` values (`stats.horizon`); "lai": Lai's uncalibrated sequences, valid however far
            they are read, and wider. The module docstring says why.
    """

    metric: str = "cost"
    level: float = 0.95
    min_replicates: int = 5
    max_replicates: int = 120
    tolerance: float | None = None
    planned: int = 30
    boundary: str = SPENDING

    def __post_init__(self) -> None:
        """Check every field.

        Raises:
            ValidationError: A field is out of its range; the message names it and the rule.
        """
        if self.metric not in COLUMNS:
            raise ValidationError.of_field(WHAT, "metric", f"must be one of {', '.join(COLUMNS)}, got {self.metric!r}")
        check_probability("level", self.level)
        if not _is_int(self.min_replicates) or self.min_replicates < 2:
            raise ValidationError.of_field(
                WHAT, "min_replicates", f"must be an integer >= 2, got {self.min_replicates!r}"
            )
        if not _is_int(self.max_replicates) or self.max_replicates < self.min_replicates:
            raise ValidationError.of_field(
                WHAT,
                "max_replicates",
                f"must be an integer >= min_replicates ({self.min_replicates}), got {self.max_replicates!r}",
            )
        if self.tolerance is not None:
            check_probability("tolerance", self.tolerance)
        if not _is_int(self.planned) or self.planned < 1:
            raise ValidationError.of_field(WHAT, "planned", f"must be a positive integer, got {self.planned!r}")
        if self.boundary not in BOUNDARIES:
            raise ValidationError.of_field(
                WHAT, "boundary", f"must be one of {', '.join(BOUNDARIES)}, got {self.boundary!r}"
            )

    @property
    def alpha(self) -> float:
        """The error budget, 1 − level."""
        return 1 - self.level

    def pair_alpha(self, variants: int) -> float:
        """The error budget of one pair's sequence: α split evenly over every pair (Bonferroni).

        Args:
            variants: How many variants the experiment has.

        Returns:
            α / C(variants, 2).
        """
        return self.alpha / max(math.comb(variants, 2), 1)

    def variant_alpha(self, variants: int) -> float:
        """The error budget of one variant's own sequence: α split over the variants.

        Args:
            variants: How many variants the experiment has.

        Returns:
            α / variants.
        """
        return self.alpha / max(variants, 1)

    def sequence_parameters(self, share: float) -> tuple[float, float]:
        """Lai's (α in A, g) for a sequence with error budget `share`: what "horizon" and "lai" use.

        Args:
            share: The sequence's error budget (`pair_alpha` or `variant_alpha`).

        Returns:
            (`share`, g) for "lai"; else (the horizon-calibrated level, g), computed once per
            (share, planned, max_replicates) and cached. g is `lai_tuning(share, planned)` either way.
        """
        g = lai_tuning(share, self.planned)
        if self.boundary == LAI:
            return share, g
        return horizon_level(share, self.planned, self.max_replicates), g

    def sequence(self, values: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
        """The intervals of one sequence (a variant's values, or a pair's differences) under this boundary.

        Args:
            values: The values in the order they arrived (finite).
            share: The sequence's error budget (`pair_alpha` or `variant_alpha`).

        Returns:
            (low, high) after 1, 2, … values; (−inf, inf) where there is no bound yet.
        """
        if self.boundary == SPENDING:
            return spending_sequence(values, share=share, first=self.min_replicates, horizon=self.max_replicates)
        level, g = self.sequence_parameters(share)
        return lai_sequence(values, alpha=level, planned=self.planned, tuning=g)


def outcomes_from_frame(frame: pd.DataFrame, metric: str) -> dict[str, list[float]]:
    """Each variant's metric values in replicate order, as far as its calls have finished.

    Only rows of kind "replicate" count (pilot calls and listening sessions are not waves). A variant's list
    runs from replicate 0 up to, not including, the first replicate that is missing, whose call has not reached
    a terminal status (ended, failed, expired) or whose create failed: so the sequence, and every decision made
    from it, depends only on recorded outcomes, never on which call of a wave finished first. An ended call
    gives its value; a failed or expired one NaN: finished, counted in calls and spend, never averaged in (as
    in the fixed design's summary).

    Args:
        frame: A results frame (`ExperimentResults.frame()`).
        metric: "cost" or "duration".

    Returns:
        Variant → one entry per finished replicate (NaN for a failed or expired call), for every variant of the
        frame (in its order), possibly empty.

    Raises:
        ValidationError: `metric` is not "cost" or "duration".
    """
    if metric not in COLUMNS:
        raise ValidationError.of_field("argument", "metric", f"must be one of {', '.join(COLUMNS)}, got {metric!r}")
    column = COLUMNS[metric]
    rows = frame[frame["kind"] == REPLICATE]
    found: dict[str, list[float]] = {}
    for name in [str(v) for v in frame["variant"].cat.categories]:
        mine = rows[rows["variant"] == name].sort_values("replicate", kind="stable")
        values: list[float] = []
        for replicate, status, value in zip(mine["replicate"], mine["status"], mine[column], strict=True):
            if pd.isna(replicate) or int(replicate) != len(values):
                break  # a gap (or a duplicate): the replicate len(values) has no finished call yet
            if pd.isna(status) or status not in TERMINAL_STATUSES:
                break  # still running, or its create failed: no call to read yet
            values.append(float(value) if status == ENDED and not pd.isna(value) else math.nan)
        found[name] = values
    return found


@dataclass(frozen=True)
class Decision:
    """What the looks so far decided; `str()` says it in words from the numbers of `intervals`.

    Attributes:
        status: "running", "winner", "equivalent", "budget" or "max_replicates".
        winner: The one variant left ("winner"), else None.
        leader: The active variant with the lowest mean at the last look (None before any look).
        eliminated: Variant → the look at which it was dropped, in the order they left.
        looks: How many looks were made: replicates per variant still active.
        calls: Calls created (as the caller passed it).
        spend: What they were billed (as the caller passed it).
        intervals: The anytime-valid intervals at the last look: one row per variant (`kind` "variant": the
            mean, at level 1 − α/K) and per pair (`kind` "pair": mean of `variant` minus `other`, at level
            1 − α/C(K, 2)), with `n` values used (an eliminated variant's up to the look it left), `estimate`,
            `low`, `high` (−inf/inf while no bound exists yet), `unit`, `level`, `active` and `eliminated_at`.
        history: One row per look: `look`, `replicates`, `active` (how many), `active_variants`, `eliminated`
            (at that look, comma-separated), `leader`, `leader_mean`, `status` after that look.
        config: The configuration decided under.
        variants: Every variant, in the experiment's order.
        eliminated_by: Eliminated variant → the variant its pair interval showed it clearly worse than.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> models = Variant.grid(axes={"llm.model": ["gpt-4o-mini", "gpt-4o"]})
        >>> experiment = Experiment("decided", agent.id, models, store=":memory:")
        >>> decision = experiment.run(client, until="decided", max_replicates=12, progress=False).decision
        >>> decision.status in ("winner", "equivalent", "max_replicates"), decision.looks >= 1
        (True, True)
        >>> sorted(decision.variants)
        ['model=gpt-4o', 'model=gpt-4o-mini']
    """

    status: str
    winner: str | None
    leader: str | None
    eliminated: Mapping[str, int]
    looks: int
    calls: int
    spend: Money
    intervals: pd.DataFrame = field(repr=False, compare=False)
    history: pd.DataFrame = field(repr=False, compare=False)
    config: SequentialConfig
    variants: tuple[str, ...] = ()
    eliminated_by: Mapping[str, str] = field(default_factory=dict)

    @property
    def active(self) -> tuple[str, ...]:
        """The variants not eliminated, in the experiment's order."""
        return tuple(v for v in self.variants if v not in self.eliminated)

    @property
    def done(self) -> bool:
        """Whether the experiment has stopped (status is not "running")."""
        return self.status != RUNNING

    def __str__(self) -> str:
        return describe(self)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


@dataclass(frozen=True)
class _Track:
    """One confidence sequence over a stream of values: the running mean and interval after 1, 2, … values."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray

    @classmethod
    def of(cls, values: np.ndarray, share: float, config: SequentialConfig) -> _Track:
        low, high = config.sequence(values, share)
        return cls(np.cumsum(values) / np.arange(1, len(values) + 1), low, high)

    def at(self, m: int) -> tuple[float, float, float]:
        # (estimate, low, high) after m values; (NaN, −inf, inf) before the first
        if m == 0:
            return math.nan, -math.inf, math.inf
        return float(self.mean[m - 1]), float(self.low[m - 1]), float(self.high[m - 1])


@dataclass(frozen=True)
class _Streams:
    """The outcomes of a decision's variants: which replicates have a value, and the sequences over them."""

    names: list[str]
    counts: dict[str, np.ndarray]  # variant → values among its first k replicates, k = 0, 1, …
    variants: dict[str, _Track]
    pairs: dict[tuple[str, str], _Track]  # (a, b), a before b → the CS of mean(a − b)

    @classmethod
    def of(cls, data: Mapping[str, np.ndarray], config: SequentialConfig) -> _Streams:
        names = list(data)
        values = {n: data[n][~np.isnan(data[n])] for n in names}
        counts = {n: np.concatenate([[0], np.cumsum(~np.isnan(data[n]))]) for n in names}
        per_variant, per_pair = config.variant_alpha(len(names)), config.pair_alpha(len(names))
        pairs = {}
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                # the j-th value of a against the j-th of b: i.i.d. differences with mean μ_a − μ_b
                m = min(len(values[a]), len(values[b]))
                pairs[(a, b)] = _Track.of(values[a][:m] - values[b][:m], per_pair, config)
        tracks = {n: _Track.of(values[n], per_variant, config) for n in names}
        return cls(names, counts, tracks, pairs)

    def variant_at(self, name: str, k: int) -> tuple[int, tuple[float, float, float]]:
        # (values used, (estimate, low, high)) of a variant's mean after its first k replicates
        m = int(self.counts[name][k])
        return m, self.variants[name].at(m)

    def pair_at(self, a: str, b: str, k: int) -> tuple[int, tuple[float, float, float]]:
        # (differences used, (estimate, low, high)) of mean(a − b) after the first k replicates of each
        m = int(min(self.counts[a][k], self.counts[b][k]))
        return m, self.pairs[(a, b)].at(m)


def _interval_rows(
    streams: _Streams, used: Mapping[str, int], config: SequentialConfig, unit: str
) -> list[dict[str, Any]]:
    # One row per variant, then per pair, each at the last look where it (both) was still in: the CS holds at
    # every look, that one included.
    k = len(streams.names)
    found: list[tuple[str, str, str | None, tuple[int, tuple[float, float, float]], float]] = [
        ("variant", n, None, streams.variant_at(n, used[n]), config.variant_alpha(k)) for n in streams.names
    ]
    found += [
        ("pair", a, b, streams.pair_at(a, b, min(used[a], used[b])), config.pair_alpha(k)) for a, b in streams.pairs
    ]
    return [
        {
            "kind": kind,
            "variant": variant,
            "other": other,
            "n": n,
            "estimate": estimate,
            "low": low,
            "high": high,
            "unit": unit,
            "level": 1 - alpha,
        }
        for kind, variant, other, (n, (estimate, low, high)), alpha in found
    ]


def decide(
    outcomes: Mapping[str, Sequence[float]],
    config: SequentialConfig,
    *,
    calls: int = 0,
    spend: Money | None = None,
    out_of_budget: bool = False,
) -> Decision:
    """Replay the looks over the outcomes in order and say what they decide (deterministic).

    Look k is made once every variant still in has k finished replicates, and reads only the first k of each
    (replicates beyond the last look, or of a variant after it left, are not read). A NaN outcome is a replicate
    that finished without a value (a failed or expired call: counted, never averaged in); each variant's mean
    and each pair's difference are over the values present, the j-th value of one variant paired with the j-th
    of the other.

    Args:
        outcomes: Variant → its metric values in replicate order (`outcomes_from_frame`); the mapping's order is
            the experiment's order of variants (at least two).
        config: The sequential configuration.
        calls: Calls created so far (reported, not used in the decision).
        spend: What they were billed (reported; default 0 USD). Its currency is the cost's unit.
        out_of_budget: The caller's ledger cannot pay for another wave: stop with "budget" unless the looks
            already stopped.

    Returns:
        The decision.

    Raises:
        ValidationError: Fewer than two variants, or a value that is infinite.
    """
    names = [str(n) for n in outcomes]
    if len(names) < 2:
        raise ValidationError.of_field(
            "argument", "outcomes", f"needs at least two variants to compare, got {len(names)}"
        )
    data = {n: np.asarray(outcomes[n], dtype=float)[: config.max_replicates] for n in names}
    for name, values in data.items():
        if values.ndim != 1 or np.isinf(values).any():
            raise ValidationError.of_field(
                "argument", f"outcomes[{name!r}]", "must be a sequence of numbers (NaN: finished without a value)"
            )
    spend = spend if spend is not None else Money(Decimal(0), "USD")
    unit = UNITS.get(config.metric, spend.currency)
    streams = _Streams.of(data, config)

    eliminated: dict[str, int] = {}
    beaten_by: dict[str, str] = {}
    history: list[dict[str, Any]] = []
    status, looks, leader = RUNNING, 0, None
    for k in range(1, config.max_replicates + 1):
        active = [n for n in names if n not in eliminated]
        if any(len(data[n]) < k for n in active):
            break  # the wave of look k is not complete
        looks = k
        means = {n: streams.variant_at(n, k)[1][0] for n in active}
        leaving: dict[str, str] = {}  # variant → the variant it is clearly worse than (the first found)
        if k >= config.min_replicates:
            for a, b in streams.pairs:
                if a in means and b in means:
                    _, (_, low, high) = streams.pair_at(a, b, k)
                    if low > 0:
                        leaving.setdefault(a, b)  # a − b > 0: a is clearly worse (costs more, talks longer)
                    elif high < 0:
                        leaving.setdefault(b, a)
        if len(leaving) == len(active):  # only possible when pairs read different counts: keep the best in
            leaving.pop(min(active, key=lambda n: (math.isnan(means[n]), means[n], names.index(n))))
        for name in names:
            if name in leaving:
                eliminated[name] = k
                beaten_by[name] = leaving[name]
        remaining = [n for n in active if n not in eliminated]
        # the lowest mean (a variant without a value yet last); never eliminated: its pair estimates are <= 0
        leader = min(remaining, key=lambda n: (math.isnan(means[n]), means[n], names.index(n)))
        if k >= config.min_replicates:
            if len(remaining) == 1:
                status = WINNER
            elif config.tolerance is not None and _equivalent(streams, remaining, k, config.tolerance * means[leader]):
                status = EQUIVALENT
            elif k >= config.max_replicates:
                status = MAX_REPLICATES
        history.append(
            {
                "look": k,
                "replicates": k,
                "active": len(remaining),
                "active_variants": ", ".join(remaining),
                "eliminated": ", ".join(n for n in names if n in leaving),
                "leader": leader,
                "leader_mean": means[leader],
                "status": status,
            }
        )
        if status != RUNNING:
            break
    if status == RUNNING and out_of_budget:
        status = BUDGET
        if history:
            history[-1]["status"] = BUDGET
    used = {n: eliminated.get(n, looks) for n in names}
    intervals = pd.DataFrame(
        _interval_rows(streams, used, config, unit),
        columns=INTERVAL_COLUMNS[:9],
    )
    intervals["active"] = [
        (v not in eliminated) and (o is None or o not in eliminated)
        for v, o in zip(intervals["variant"], intervals["other"], strict=True)
    ]
    intervals["eliminated_at"] = pd.array(
        [
            eliminated.get(v) if o is None else None
            for v, o in zip(intervals["variant"], intervals["other"], strict=True)
        ],
        dtype="Int64",
    )
    return Decision(
        status=status,
        winner=leader if status == WINNER else None,
        leader=leader,
        eliminated=eliminated,
        looks=looks,
        calls=calls,
        spend=spend,
        intervals=intervals,
        history=pd.DataFrame(history, columns=HISTORY_COLUMNS),
        config=config,
        variants=tuple(names),
        eliminated_by=beaten_by,
    )


def _equivalent(streams: _Streams, remaining: Sequence[str], k: int, margin: float) -> bool:
    # every remaining pair's interval inside ±margin (a pair without a bound yet is not inside)
    inside = [
        -margin <= low and high <= margin
        for a, b in streams.pairs
        if a in remaining and b in remaining
        for _, (_, low, high) in [streams.pair_at(a, b, k)]
    ]
    return bool(inside) and all(inside)


def _amount(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.0f} s" if unit == "s" else format_money(value, unit, places=3)


def _interval_text(row: Mapping[str, Any]) -> str:
    if not (math.isfinite(row["low"]) and math.isfinite(row["high"])):
        return "no bound yet"
    return f"{_amount(row['low'], row['unit'])} to {_amount(row['high'], row['unit'])}"


def describe(decision: Decision) -> str:
    """The decision in words, with the numbers of its `intervals`.

    Args:
        decision: The decision.

    Returns:
        A few sentences: the stop (or where the run stands), the leader's mean and its interval, how each other
        remaining variant differs from it, who left at which look, calls and spend.
    """
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in decision.intervals.to_dict("records")]
    metric = "cost per call" if decision.config.metric == "cost" else "call length"
    if decision.leader is None:
        return f"No look yet: every variant needs its first finished replicate ({decision.calls} calls created)."
    lead = next(r for r in records if r["kind"] == "variant" and r["variant"] == decision.leader)
    leader = f"{decision.leader} at {_amount(lead['estimate'], lead['unit'])} ({_interval_text(lead)})"
    if decision.status == WINNER:
        head = f"Winner on {metric}: {leader}, every other variant eliminated."
    elif decision.status == EQUIVALENT:
        head = (
            f"Equivalent on {metric}: the remaining variants are within ±{decision.config.tolerance or 0:.0%} of "
            f"the leader, {leader}."
        )
    elif decision.status == MAX_REPLICATES:
        head = f"No winner after {decision.looks} replicates per variant (the maximum); leader {leader}."
    elif decision.status == BUDGET:
        head = f"Stopped by the budget after {decision.looks} replicates per variant: no winner; leader {leader}."
    else:
        head = f"Running: look {decision.looks}; leader so far {leader}."
    lines = [head + f" Intervals hold at {decision.config.level:.0%} over every look at once (anytime-valid)."]
    for other in decision.variants:
        if other == decision.leader:
            continue
        than = decision.eliminated_by.get(other, decision.leader)  # an eliminated variant: against its better
        row = _against(records, other, than)
        difference = f"{other} − {than}: {_amount(row['estimate'], row['unit'])} ({_interval_text(row)})"
        look = decision.eliminated.get(other)
        lines.append(f"{difference}; {'still in' if look is None else f'eliminated at look {look}'}.")
    lines.append(
        f"{decision.calls} calls created, {format_money(decision.spend.amount, decision.spend.currency)} spent."
    )
    return "\n".join(lines)


def _against(records: Sequence[Mapping[str, Any]], name: str, other: str) -> dict[str, Any]:
    # the pair row of `name` and `other`, said as `name` minus `other`
    for row in records:
        if row["kind"] == "pair" and {row["variant"], row["other"]} == {name, other}:
            if row["variant"] == name:
                return dict(row)
            return {**row, "estimate": -row["estimate"], "low": -row["high"], "high": -row["low"]}
    raise AssertionError(f"no pair row for {name} and {other}")  # decide() makes one for every pair


def next_wave(decision: Decision) -> tuple[str, ...]:
    """The variants the next wave gives one more replicate: replicate number `decision.looks` of each.

    Args:
        decision: The latest decision.

    Returns:
        The active variants, or () when the experiment is done.
    """
    return () if decision.done else decision.active


__all__ = [
    "BUDGET",
    "EQUIVALENT",
    "MAX_REPLICATES",
    "RUNNING",
    "STATUSES",
    "WINNER",
    "Decision",
    "SequentialConfig",
    "decide",
    "describe",
    "next_wave",
    "outcomes_from_frame",
]
