"""One analysis of an experiment's results: built once from a results frame, read by every view of it.

`Analysis` holds the frame and computes, each at most once and only when first asked for, the per-variant
statistics (`statistics`), the comparisons against the baseline (`comparisons`), the verdict and the rating
summary; `summary()`, `compare()`, `verdict`, `plan()`, the tables, the plot and the live panel all read the same
object, so the words of a verdict and the intervals printed beside them come from one computation.

Modelled on GrowthBook's gbstats: statistics as small immutable dataclasses (`stats.summary`), each analysis
step a function of them over a configuration dataclass (`AnalysisConfig`), results as dataclasses
(`Comparison`, `Finding`, `Verdict`), no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ..errors import ValidationError
from ..money import Money
from .columns import billed, design_rows, variant_names
from .comparison import Comparison, compare_variants, comparison_frame
from .estimate import finished_spend
from .plan import plan_replicates
from .primitives import check_probability
from .ratings import quality_against_cost, summarize_ratings
from .summary import VariantSummary, summarize_variants, summary_frame
from .verdict import Verdict, cost_sentences, findings


@dataclass(frozen=True)
class AnalysisConfig:
    """How an analysis is made.

    Attributes:
        level: The confidence level of every interval and test (0.95: 95 % intervals, 5 % tests).
        seed: The seed of the median's bootstrap interval and of the simulation behind the verdict's "about N
            calls per variant" (the same seed gives the same answers).
        power: The probability of naming the best variant behind the verdict's "about N calls per variant".
        baseline: The variant the others are compared with; None: the first variant.
        rater: Rating statistics of one rater only; None: all raters pooled.
    """

    level: float = 0.95
    seed: int = 0
    power: float = 0.8
    baseline: str | None = None
    rater: str | None = None

    def __post_init__(self) -> None:
        check_probability("level", self.level)
        check_probability("power", self.power)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValidationError.of_field("argument", "seed", f"must be an integer, got {self.seed!r}")


@dataclass(frozen=True, eq=False)
class Analysis:
    """The analysis of one results frame under one configuration; immutable.

    Args:
        frame: A results frame (see `ExperimentResults.frame()`); its `variant` categories are the variants.
        config: How to analyse it.
        criteria: The rating criteria of the experiment's listening sessions (none without a session).

    Raises:
        ValidationError: The configuration's baseline is not one of the variants.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> experiment = Experiment("analysed", agent.id, Variant.grid(axes={"tts.speed": [1.0, 1.2]}), replicates=3,
        ...                         store=":memory:")
        >>> results = experiment.run(client, progress=False).wait(progress=False)
        >>> analysis = results.analysis()  # the one object summary(), compare(), verdict() and plan() read
        >>> analysis.variants
        ('speed=1.0', 'speed=1.2')
        >>> analysis.summary().equals(results.summary())
        True
    """

    frame: pd.DataFrame = field(repr=False)
    config: AnalysisConfig = field(default_factory=AnalysisConfig)
    criteria: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        names = variant_names(self.frame)
        baseline = self.config.baseline if self.config.baseline is not None else (names[0] if names else "")
        if names and baseline not in names:
            raise ValidationError.of_field(
                "argument", "baseline", f"unknown baseline {baseline!r}; variants are: {', '.join(names)}"
            )
        object.__setattr__(self, "variants", tuple(names))
        object.__setattr__(self, "baseline", baseline)
        object.__setattr__(self, "design", design_rows(self.frame))

    # Set in __post_init__ (declared for type checkers and readers).
    variants: tuple[str, ...] = field(init=False)
    baseline: str = field(init=False)
    design: pd.DataFrame = field(init=False, repr=False)

    @cached_property
    def statistics(self) -> Mapping[str, VariantSummary]:
        """Per variant, the statistics of its design cells (listening-session calls left out).

        Returns:
            Variant name → its summary.
        """
        return summarize_variants(self.design, self.variants, level=self.config.level, seed=self.config.seed)

    @cached_property
    def comparisons(self) -> Mapping[str, Mapping[str, Comparison]]:
        """Each variant but the baseline against it: variant → metric ("cost", "duration") → comparison.

        Returns:
            Variant → metric → comparison.
        """
        return compare_variants(self.statistics, self.baseline, level=self.config.level)

    @cached_property
    def has_ratings(self) -> bool:
        """Whether listening sessions rated some of the calls.

        Returns:
            True with ratings.
        """
        return "rating_outcome" in self.frame

    @cached_property
    def ratings(self) -> pd.DataFrame | None:
        """Per variant, the rating statistics (None without ratings).

        Returns:
            One row per variant, or None.
        """
        if not self.has_ratings:
            return None
        return summarize_ratings(
            self.frame, self.variants, self.criteria, level=self.config.level, rater=self.config.rater
        )

    @cached_property
    def verdict(self) -> Verdict:
        """What a reader can conclude, in words, from `statistics` and `comparisons` (and the ratings).

        Returns:
            The verdict.
        """
        level = self.config.level
        found = findings(self.statistics, level=level, power=self.config.power, seed=self.config.seed)
        currency = finished_spend(self.design).currency
        lines = cost_sentences(self.comparisons, self.baseline, level, currency)
        if self.has_ratings:
            cost = {v: float(c["cost"].difference.delta) for v, c in self.comparisons.items()}
            lines += quality_against_cost(
                self.frame, self.variants, self.baseline, self.criteria, cost, currency, level=level
            )
        return Verdict(found, lines)

    @cached_property
    def spend(self) -> Money:
        """What every call in the frame has been billed so far (listening-session calls included), exact.

        Returns:
            The total, in the calls' one currency.
        """
        return billed(self.frame[self.frame["id"].notna()])

    def summary(self) -> pd.DataFrame:
        """The per-variant statistics as a frame (see `ExperimentResults.summary`).

        Returns:
            One row per variant (a new frame on every call).
        """
        summary = summary_frame(self.statistics)
        return summary.join(self.ratings) if self.ratings is not None else summary

    def compare(self) -> pd.DataFrame:
        """The comparisons as a frame (see `ExperimentResults.compare`).

        Returns:
            One row per variant but the baseline (a new frame on every call).
        """
        return comparison_frame(self.comparisons, self.baseline)

    def plan(
        self, *, probability: float = 0.8, metric: str = "cost", detect: float | None = None, power: float = 0.8
    ) -> pd.DataFrame:
        """Calls per variant to name the cheapest (or shortest-call) variant, from these calls.

        See `ExperimentResults.plan`.

        Args:
            probability: The probability that the verdict names it.
            metric: "cost" (the cheapest) or "duration" (the shortest calls).
            detect: Instead, the relative difference to detect against each variant (the older question).
            power: With `detect`: the probability of detecting it.

        Returns:
            One row per variant.
        """
        return plan_replicates(
            self.statistics,
            probability=probability,
            metric=metric,
            detect=detect,
            power=power,
            level=self.config.level,
            seed=self.config.seed,
        )
