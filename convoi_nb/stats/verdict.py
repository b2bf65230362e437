"""What a reader can conclude, in words, from the analysis' own numbers.

A winner is named only when the data separate it from every other variant; each variant is set against the
baseline in words, with the very numbers and intervals the summary and comparison hold.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import ValidationError
from .columns import METRICS
from .comparison import Comparison
from .primitives import NAN, difference, holm, replicates_to_separate
from .summary import VariantSummary

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
        replicates_needed: Calls per variant to separate leader and runner-up at the observed spread.
        text: The finding in words.
    """

    metric: str
    winner: str | None
    leader: str | None
    runner_up: str | None
    p_adjusted: float
    replicates_needed: float
    text: str


@dataclass(frozen=True)
class Verdict:
    """The findings, then each variant against the baseline in words; `str()` is the text.

    Attributes:
        findings: One finding per metric.
        comparisons: One sentence per variant (and per rating criterion) against the baseline.
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


def find(summaries: Mapping[str, VariantSummary], label: str, *, level: float, power: float) -> Finding:
    """The finding about one metric: the leader, and whether Holm's adjustment separates it from every other.

    Args:
        summaries: Variant name → summary.
        label: The metric, "cost" or "duration".
        level: The confidence level; separated means every adjusted p-value is below 1 − level.
        power: The power for "about N calls per variant would separate them".

    Returns:
        The finding.
    """
    alpha = 1 - level
    usable = [v for v, s in summaries.items() if s.ended >= 2]
    if len(usable) < 2:
        text = f"No verdict on {LOWER_IS[label]}: fewer than two variants have 2 ended calls."
        return Finding(label, None, None, None, NAN, NAN, text)
    ranked = sorted(usable, key=lambda v: summaries[v].metrics[label].mean)
    leader, runner_up = ranked[0], ranked[1]
    values = {v: summaries[v].metrics[label].values for v in ranked}
    adjusted = holm([difference(values[leader], values[v], level).p_value for v in ranked[1:]])
    worst = NAN if any(math.isnan(p) for p in adjusted) else max(adjusted)
    shown = _show(label, summaries[leader])
    if worst < alpha:
        text = (
            f"{LOWER_IS[label].capitalize()}: {leader} at {shown}, separated from every other variant "
            f"(Holm-adjusted p ≤ {worst:.3g})."
        )
        return Finding(label, leader, leader, runner_up, worst, NAN, text)
    first, second = summaries[leader].metrics[label], summaries[runner_up].metrics[label]
    needed = replicates_to_separate(
        first.mean, first.sd, second.mean, second.sd, alpha=alpha / (len(usable) - 1), power=power
    )
    more = (
        f"; about {needed:.0f} calls per variant would separate them at the spread seen ({power:.0%} power)"
        if math.isfinite(needed)
        else ""
    )
    text = (
        f"{NO_CLEAR[label]}: {leader} ({shown}) and {runner_up} ({_show(label, summaries[runner_up])}) are not "
        f"separated at this sample size (Holm-adjusted p = {worst:.2g}){more}."
    )
    return Finding(label, None, leader, runner_up, worst, needed, text)


def cost_sentences(comparisons: Mapping[str, Mapping[str, Comparison]], baseline: str, level: float) -> list[str]:
    """Each variant's cost against the baseline in words, with the comparison's own interval.

    Args:
        comparisons: Variant → metric → comparison.
        baseline: The baseline's name.
        level: The confidence level the comparisons were made at.

    Returns:
        One sentence per variant with a cost difference.
    """
    lines = []
    for variant, metrics in comparisons.items():
        c = metrics["cost"]
        if math.isnan(c.difference.delta):
            continue
        interval = f"{level:.0%} CI {c.delta_pct_ci.low:+.0f}% to {c.delta_pct_ci.high:+.0f}%"
        if c.significant:
            direction = "more" if c.difference.delta > 0 else "less"
            lines.append(
                f"{variant} costs {abs(c.delta_pct):.0f}% {direction} per call than {baseline} "
                f"({interval}; significant after Holm adjustment)."
            )
        else:
            lines.append(
                f"{variant} vs {baseline}: no cost difference this sample can tell apart ({c.delta_pct:+.0f}%, "
                f"{interval})."
            )
    return lines


def findings(summaries: Mapping[str, VariantSummary], *, level: float, power: float) -> list[Finding]:
    """One finding per metric.

    Args:
        summaries: Variant name → summary.
        level: The confidence level.
        power: The power for the advice on calls needed.

    Returns:
        The findings, cost first.
    """
    return [find(summaries, label, level=level, power=power) for label, _ in METRICS]
