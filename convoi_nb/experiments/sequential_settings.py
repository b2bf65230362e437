"""A sequential run's settings as the results store keeps them, and the decision they give on the recorded outcomes.

The settings are fixed for an experiment's life: the error budget and the boundary of the intervals
may not change once outcomes have been seen (that would void the intervals' guarantee), nor the variants compared
(that changes the pairs the budget is split over). The first sequential run records them; a later run with other
settings is refused, naming what changed. The decision is a function of the recorded outcomes in order, so the
runner's looks and `results.decision` come from the same `decision_of`, and a resumed run makes the same
eliminations.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import pandas as pd

from ..budget import Cap
from ..errors import ExperimentError, ValidationError
from ..stats.columns import KINDS, REPLICATE, design_rows
from ..stats.sequential import Decision, SequentialConfig, decide, outcomes_from_frame
from .polling import Progress

if TYPE_CHECKING:
    from ..money import Money
    from .store import ResultsStore

UNTIL_DECIDED = "decided"
UNTIL = (None, UNTIL_DECIDED)
# The sequential arguments of `run()` and their defaults: with `until=None` they must keep these.
SEQUENTIAL_DEFAULTS: dict[str, Any] = {
    "metric": "cost",
    "max_replicates": 120,
    "min_replicates": None,
    "level": 0.95,
    "tolerance": None,
    "boundary": "spending",
}


class SequentialArguments(NamedTuple):
    """The sequential arguments of `run()`, as given (see `SEQUENTIAL_DEFAULTS`)."""

    metric: str
    max_replicates: int
    min_replicates: int | None
    level: float
    tolerance: float | None
    boundary: str


class RunOptions(NamedTuple):
    """The arguments of `run()` both designs take, and the sequential one's wait."""

    concurrency: int
    progress: bool
    on_progress: Progress
    max_cost: Cap | None
    confirm: bool
    wait_timeout: float


def check_until(until: object, given: Mapping[str, Any]) -> bool:
    """Check `run()`'s `until`, and that sequential arguments come only with `until="decided"`.

    Args:
        until: The value given.
        given: The sequential arguments as given (see `SEQUENTIAL_DEFAULTS`).

    Returns:
        Whether the run is sequential.

    Raises:
        ValidationError: `until` is neither None nor "decided", or a sequential argument was set without it.
    """
    if until not in UNTIL:
        raise ValidationError.of_field(
            "argument", "until", f'must be None (the fixed design) or "decided" (waves until decided), got {until!r}'
        )
    if until is None:
        changed = [name for name, value in given.items() if value != SEQUENTIAL_DEFAULTS[name]]
        if changed:
            raise ValidationError.of_field(
                "argument",
                changed[0],
                f'applies to a sequential run only: pass until="decided" with it (got {changed[0]}='
                f"{given[changed[0]]!r} and until=None, the fixed design of `replicates` calls per variant)",
            )
    return until is not None


def sequential_config(given: Mapping[str, Any]) -> SequentialConfig:
    """The sequential configuration of `run(until="decided", ...)`, checked.

    Args:
        given: The sequential arguments (see `SEQUENTIAL_DEFAULTS`; `min_replicates` None keeps the
            configuration's default).

    Returns:
        The configuration.

    Raises:
        ValidationError: An argument out of its range (the configuration names it).
    """
    defaulted = ("min_replicates",)  # None: the configuration's default; elsewhere None is refused
    return SequentialConfig(**{k: v for k, v in given.items() if not (v is None and k in defaulted)})


def check_variants(names: Sequence[str]) -> None:
    """Refuse a sequential run of fewer than two variants (there is nothing to decide between).

    Args:
        names: The experiment's variants.

    Raises:
        ValidationError: Fewer than two variants.
    """
    if len(names) < 2:
        raise ValidationError.of_field(
            "experiment",
            "variants",
            f"a sequential run (until='decided') decides between variants: it needs at least two, got {len(names)}",
        )


def settings_record(config: SequentialConfig, variants: Sequence[str]) -> dict[str, Any]:
    """What the store records of a sequential run: its configuration and the variants it compares.

    Args:
        config: The configuration.
        variants: The variants' names, in order.

    Returns:
        The record (JSON-able).
    """
    # numpy numbers as Python ones: the record is JSON, and compared with the JSON read back later
    fields = {k: v.item() if hasattr(v, "item") else v for k, v in dataclasses.asdict(config).items()}
    return {**fields, "variants": list(variants)}


def check_same_settings(experiment: str, recorded: Mapping[str, Any], record: Mapping[str, Any]) -> None:
    """Refuse a sequential run whose settings differ from the ones the experiment's first run recorded.

    Args:
        experiment: The experiment.
        recorded: The settings recorded.
        record: This run's settings (`settings_record`).

    Raises:
        ExperimentError: A setting changed (each one named, with its recorded and its new value).
    """
    changed = sorted(k for k in {*recorded, *record} if recorded.get(k) != record.get(k))
    if changed:
        was = ", ".join(f"{k}={recorded.get(k)!r}" for k in changed)
        now = ", ".join(f"{k}={record.get(k)!r}" for k in changed)
        raise ExperimentError(
            f"experiment {experiment!r} was run until='decided' with {was}; this run asks for {now}: a sequential "
            "run's settings are fixed for its life (changing them after seeing outcomes voids its intervals): run "
            "it again with the recorded settings, or start a new experiment name"
        )


def check_fixed_allowed(store: ResultsStore, experiment: str) -> None:
    """Refuse a fixed-design run of an experiment that was run sequentially (it would add unplanned calls).

    Args:
        store: The results store.
        experiment: The experiment.

    Raises:
        ExperimentError: The experiment has sequential settings recorded.
    """
    if store.sequential(experiment) is not None:
        raise ExperimentError(
            f"experiment {experiment!r} was run until='decided' (in {store.path}): run it again with until='decided' "
            "and the same settings to continue it, or start a new experiment name for a fixed design"
        )


def config_of(experiment: str, record: Mapping[str, Any]) -> SequentialConfig:
    """The configuration a store's record holds.

    Args:
        experiment: The experiment.
        record: The recorded settings.

    Returns:
        The configuration.

    Raises:
        ExperimentError: The record does not hold a valid configuration (a damaged store).
    """
    names = {f.name for f in dataclasses.fields(SequentialConfig)}
    try:
        variants = record.get("variants")
        if not isinstance(variants, list) or not all(isinstance(v, str) for v in variants):
            raise TypeError(f"variants: {variants!r}")
        return SequentialConfig(**{k: v for k, v in record.items() if k in names})
    except (ValidationError, TypeError) as exc:
        raise ExperimentError(
            f"the sequential settings recorded for {experiment!r} are damaged ({exc}): use a new experiment name"
        ) from None


def decision_of(
    experiment: str,
    frame: pd.DataFrame,
    record: Mapping[str, Any],
    *,
    calls: int,
    spend: Money,
    out_of_budget: bool,
) -> Decision:
    """The decision of the recorded outcomes, replayed look by look.

    Args:
        experiment: The experiment.
        frame: Its results frame.
        record: Its recorded sequential settings.
        calls: Design calls created so far.
        spend: What the experiment's calls were billed.
        out_of_budget: The last run stopped because the next wave would have passed its budget.

    Returns:
        The decision.
    """
    config = config_of(experiment, record)
    design = design_rows(frame).copy()
    # A pilot's calls (estimate()/plan()) are the first replicates of the design: they count as outcomes too.
    design["kind"] = pd.Series(pd.Categorical([REPLICATE] * len(design), categories=list(KINDS)), index=design.index)
    outcomes = outcomes_from_frame(design, config.metric)
    ordered = {name: list(outcomes.get(name, [])) for name in record["variants"]}
    return decide(ordered, config, calls=calls, spend=spend, out_of_budget=out_of_budget)
