"""What a reader can conclude, in words, from the analysis' own numbers.

A winner is named only when the data separate it from every other variant (Holm over the leader against each
other); without one, how many calls per variant would name it comes from `naming`'s simulation of this very rule
(the same computation as `plan()`). Each variant is set against the baseline in words with the comparison's own
interval: the sentence says "more"/"less" exactly when that printed interval excludes 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from .columns import METRICS
from .comparison import Comparison
from .naming import answer_range, calls_to_name_best, pooled_relative_spread
from .primitives import NAN, difference, holm
from .summary import VariantSummary
from .wording import level as show_level
from .wording import money_change, percent, percent_interval, signed

LOWER_IS = {"cost": "cheapest per call", "duration": "shortest calls"}
NO_CLEAR = {"cost": "No clear cheapest variant", "duration": "No clear shortest-call variant"}


@dataclass(frozen=True)
class Finding:
    """One conclusion about one metric: a `winner` only when the data separate it from every other variant.

    Attributes:
        metric: "cost" or "duration".
        winner: The variant separated from every other one, or None.
        leader: The lowest mean, separated or not (None with too few ended calls).
        runner_up: The second lowest mean.
        p_adjusted: The largest Holm-adjusted p-value of the leader against the others.
        replicates_needed: Calls per variant with which this rule would name the cheapest (shortest) variant
            with the analysis' probability, at the means and spread seen (`calls_needed`); NaN with a winner.
        text: The finding in words.
        replicates_range: Where `replicates_needed` would lie with the gap between the two best variants at
            either end of its 80 % interval (`naming.answer_range`).
    """

    metric: str
    winner: str | None
    leader: str | None
    runner_up: str | None
    p_adjusted: float
    replicates_needed: float
    text: str
    replicates_range: tuple[float, float] = (NAN, NAN)


@dataclass(frozen=True)
class Verdict:
    """The findings, then each variant against the baseline in words; `str()` is the text.

    Attributes:
        findings: One finding per metric.
        comparisons: One sentence per variant (and per rating criterion) against the baseline.

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> client = convoi_nb.connect()
        >>> models = Variant.grid(axes={"llm.model": ["gpt-4o-mini", "gpt-4o"]})
        >>> experiment = Experiment("verdict", client.list_agents()[0].id, models, replicates=4, store=":memory:")
        >>> verdict = experiment.run(client, progress=False).wait(progress=False).verdict()
        >>> [finding.metric for finding in verdict.findings]
        ['cost', 'duration']
        >>> verdict.finding("cost").leader in ("model=gpt-4o-mini", "model=gpt-4o")
        True
    """

    findings: list[Finding]
    comparisons: list[str] = field(default_factory=list)

    def finding(self, metric: str) -> Finding:
        """The finding about one metric.

        Args:
            metric: "cost" or "duration".

        Returns:
            The finding.

        Raises:
            ValidationError: No finding about that metric.
        """
        for found in self.findings:
            if found.metric == metric:
                return found
        known = ", ".join(f.metric for f in self.findings)
        raise ValidationError.of_field("argument", "metric", f"must be one of {known}, got {metric!r}")

    def __str__(self) -> str:
        return "\n".join([f.text for f in self.findings] + self.comparisons)

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


def _show(label: str, summary: VariantSummary) -> str:
    metric = summary.metrics[label]
    if label == "cost":
        return f"{metric.mean:.3f} {summary.currency} per call [{metric.ci.low:.3f}, {metric.ci.high:.3f}]"
    return f"{metric.mean:.0f} s [{metric.ci.low:.0f}, {metric.ci.high:.0f}]"


def separation(summaries: Mapping[str, VariantSummary], label: str) -> tuple[list[str], float]:
    """The verdict's rule: the variants ranked by mean, and the leader's largest Holm-adjusted p against the others.

    The leader is named when that p-value is below 1 − level. Only variants with 2 ended calls take part.

    Args:
        summaries: Variant name → summary.
        label: The metric, "cost" or "duration".

    Returns:
        The variants with 2 ended calls, lowest mean first, and the largest adjusted p-value (NaN when one is
        undefined or fewer than two variants take part).
    """
    ranked = sorted((v for v, s in summaries.items() if s.ended >= 2), key=lambda v: summaries[v].metrics[label].mean)
    if len(ranked) < 2:
        return ranked, NAN
    values = {v: summaries[v].metrics[label].values for v in ranked}
    adjusted = holm([difference(values[ranked[0]], values[v]).p_value for v in ranked[1:]])
    return ranked, NAN if any(math.isnan(p) for p in adjusted) else max(adjusted)


def pilot_truth(summaries: Mapping[str, VariantSummary], label: str) -> tuple[list[float], list[int], float, float]:
    """What `calls_needed` takes as the truth, from the variants with 2 ended calls.

    Their means, their ended calls, the relative spread pooled over them and the share of their calls that ended.

    Args:
        summaries: Variant name → summary.
        label: The metric, "cost" or "duration".

    Returns:
        (means, ended counts, coefficient of variation, end rate).
    """
    usable = [s for s in summaries.values() if s.ended >= 2]
    means = [s.metrics[label].mean for s in usable]
    counts = [s.ended for s in usable]
    spread = pooled_relative_spread(means, [s.metrics[label].sd for s in usable], counts)
    finished = sum(s.ended + s.failed + s.expired for s in usable)
    return means, counts, spread, sum(counts) / finished if finished else 1.0


def calls_needed(
    summaries: Mapping[str, VariantSummary], label: str, *, probability: float, level: float, seed: int = 0
) -> float:
    """Calls per variant with which `find` names the lowest-mean variant with `probability`, if these are the truth.

    The means seen, a spread proportional to each mean (the relative spread pooled over the variants) and the
    share of calls that ended (`pilot_truth`), put into `naming.calls_to_name_best`: a simulation of `find`'s own
    rule.

    Args:
        summaries: Variant name → summary (a pilot's, or the calls so far).
        label: The metric, "cost" or "duration".
        probability: The probability of naming it.
        level: The verdict's confidence level.
        seed: The seed of the simulation.

    Returns:
        Calls per variant (inf when more than 10,000; NaN when fewer than two variants have 2 ended calls).
    """
    means, _, spread, end_rate = pilot_truth(summaries, label)
    return calls_to_name_best(
        means, [abs(m) * spread for m in means], probability=probability, end_rate=end_rate, level=level, seed=seed
    )


def find(summaries: Mapping[str, VariantSummary], label: str, *, level: float, power: float, seed: int = 0) -> Finding:
    """The finding about one metric: the leader, and whether Holm's adjustment separates it from every other.

    Args:
        summaries: Variant name → summary.
        label: The metric, "cost" or "duration".
        level: The confidence level; separated means every adjusted p-value is below 1 − level.
        power: The probability of naming the best variant behind "about N calls per variant would".
        seed: The seed of that simulation.

    Returns:
        The finding.
    """
    ranked, worst = separation(summaries, label)
    if len(ranked) < 2:
        text = f"No verdict on {LOWER_IS[label]}: fewer than two variants have 2 ended calls."
        return Finding(label, None, None, None, NAN, NAN, text)
    leader, runner_up = ranked[0], ranked[1]
    shown = _show(label, summaries[leader])
    if worst < 1 - level:
        text = (
            f"{LOWER_IS[label].capitalize()}: {leader} at {shown}, separated from every other variant "
            f"(Holm-adjusted p ≤ {worst:.3g})."
        )
        return Finding(label, leader, leader, runner_up, worst, NAN, text)
    needed = calls_needed(summaries, label, probability=power, level=level, seed=seed)
    means, counts, spread, _ = pilot_truth(summaries, label)
    low, high = answer_range(needed, means, counts, spread)
    more = (
        f"; about {needed:.0f} calls per variant would name the {LOWER_IS[label].split()[0]} with "
        f"{power:.0%} probability at the means and spread seen ({low:.0f} to "
        f"{'more than 10,000' if math.isinf(high) else f'{high:.0f}'} for how uncertain the gap between them "
        "still is; see plan())"
        if math.isfinite(needed)
        else ""
    )
    text = (
        f"{NO_CLEAR[label]}: {leader} ({shown}) and {runner_up} ({_show(label, summaries[runner_up])}) are not "
        f"separated at this sample size (Holm-adjusted p = {worst:.2g}){more}."
    )
    return Finding(label, None, leader, runner_up, worst, needed, text, (low, high))


def cost_sentence(comparison: Comparison, currency: str = "") -> str:
    """One variant's cost against the baseline in words, with the comparison's own interval beside them.

    "More"/"less" exactly when the printed interval excludes 0: Fieller's % interval, or, when that is unbounded
    (the baseline's mean not separated from 0), Welch's interval of the difference per call.

    Args:
        comparison: The cost comparison.
        currency: The currency of the difference per call.

    Returns:
        The sentence.
    """
    c, shown = comparison, show_level(comparison.interval_level)
    d, bounded = c.difference, math.isfinite(c.delta_pct_ci.low) and math.isfinite(c.delta_pct_ci.high)
    if bounded or math.isnan(c.delta_pct_ci.low):
        interval = f"{shown} CI {percent_interval(c.delta_pct_ci.low, c.delta_pct_ci.high)}"
    else:  # the % change is unbounded: the difference per call, which is not, is what decides
        interval = (
            f"{shown} CI {signed(d.low, 3)} to {signed(d.high, 3)} {currency} per call; the % change is "
            f"unbounded: {c.baseline}'s mean is not separated from 0"
        ).replace("  ", " ")
    if c.direction:
        size = percent(abs(c.delta_pct)) if bounded else money_change(abs(d.delta), currency).lstrip("+")
        return f"{c.variant} costs {size.lstrip('+')} {c.direction} per call than {c.baseline} ({interval})."
    return (
        f"{c.variant} vs {c.baseline}: no cost difference this sample can tell apart "
        f"({percent(c.delta_pct)}, {interval})."
    )


def cost_sentences(
    comparisons: Mapping[str, Mapping[str, Comparison]], baseline: str, level: float, currency: str = ""
) -> list[str]:
    """Each variant's cost against the baseline in words, then what level the intervals are at.

    Args:
        comparisons: Variant → metric → comparison.
        baseline: The baseline's name.
        level: The level the comparisons hold at together.
        currency: The currency of the differences per call.

    Returns:
        One sentence per variant with a cost difference, and a last one on the intervals' level.
    """
    shown = [c["cost"] for c in comparisons.values() if not math.isnan(c["cost"].difference.delta)]
    lines = [cost_sentence(c, currency) for c in shown]
    if len(comparisons) > 1 and shown:
        lines.append(
            f"(Each interval against {baseline} is at {show_level(shown[0].interval_level)}: Bonferroni over the "
            f"{len(comparisons)} variants compared, so together they hold with {show_level(level)}; a difference "
            "is called only when its interval excludes 0.)"
        )
    return lines


def findings(summaries: Mapping[str, VariantSummary], *, level: float, power: float, seed: int = 0) -> list[Finding]:
    """One finding per metric.

    Args:
        summaries: Variant name → summary.
        level: The confidence level.
        power: The probability of naming the best variant, for the advice on calls needed.
        seed: The seed of that advice's simulation.

    Returns:
        The findings, cost first.
    """
    return [find(summaries, label, level=level, power=power, seed=seed) for label, _ in METRICS]
