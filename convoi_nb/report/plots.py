"""The experiment's figure: each variant's change against the baseline, then the spread of its calls.

A forest plot answers "is B cheaper than A, and by how much"; below it, the cost and call length of every ended
call per variant.

matplotlib only (a PNG renders everywhere, Voilà included). Variant names go on the y axis, wrapped, so tick
labels never collide however many variants there are; there is no legend to cover data: the verdict's winner is
marked in its label and colour.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from . import formatting as fmt

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from ..stats.analysis import Analysis

PLAIN, WINNER, BASELINE = "#1f77b4", "#2ca02c", "#7f7f7f"
LABEL_WIDTH = 24  # characters per line of a variant's name on the axis


def _label(name: str, winner: str | None) -> str:
    return textwrap.fill(name + (" ★" if name == winner else ""), LABEL_WIDTH)


def _forest(axis: Axes, comparison: pd.DataFrame, label: str, title: str, winner: str | None) -> None:
    names = list(comparison.index)
    positions = np.arange(len(names))[::-1]  # the first variant on top
    for y, name in zip(positions, names, strict=False):
        row = comparison.loc[name]
        colour = WINNER if name == winner else PLAIN
        low, high = row[f"{label}_delta_pct_ci_low"], row[f"{label}_delta_pct_ci_high"]
        if np.isfinite(low) and np.isfinite(high):
            axis.hlines(y, low, high, colors=colour, linewidth=2, gid=f"{label}-interval:{name}")
        axis.plot([row[f"{label}_delta_pct"]], [y], "o", color=colour, gid=f"{label}-estimate:{name}")
    axis.axvline(0, color=BASELINE, linestyle="--", linewidth=1, gid="zero")
    axis.set_yticks(positions, [_label(n, winner) for n in names], fontsize="small")
    axis.set_ylim(-0.6, len(names) - 0.4)
    axis.set_xlabel("change of the mean vs baseline (%)")
    axis.set_title(title, fontsize="medium")


def _spread(
    axis: Axes, ended: pd.DataFrame, variants: Sequence[str], column: str, xlabel: str, winner: str | None
) -> None:
    rng = np.random.default_rng(0)  # the jitter is the same on every draw
    positions = np.arange(len(variants))[::-1]
    for y, name in zip(positions, variants, strict=False):
        values = ended.loc[ended["variant"] == name, column].to_numpy(dtype=float)
        colour = WINNER if name == winner else PLAIN
        axis.scatter(
            values,
            y + rng.uniform(-0.18, 0.18, len(values)),
            s=14,
            alpha=0.6,
            color=colour,
            gid=f"{column}-calls:{name}",
        )
        if len(values):
            axis.plot([values.mean()] * 2, [y - 0.3, y + 0.3], color="black", linewidth=2, gid=f"{column}-mean:{name}")
    axis.set_yticks(positions, [_label(n, winner) for n in variants], fontsize="small")
    axis.set_ylim(-0.6, len(variants) - 0.4)
    axis.set_xlabel(xlabel)


def plot_experiment(analysis: Analysis, title: str) -> Figure:
    """Forest plots (cost, call length) of the analysis' comparisons on top, strip plots of the ended calls below.

    Args:
        analysis: The analysis drawn: its comparisons, its verdict's cheapest variant, its design cells.
        title: The experiment's name, for the figure's title.

    Returns:
        The figure (closed in pyplot: display it, or save it).
    """
    import matplotlib.pyplot as plt

    frame, variants, baseline = analysis.design, analysis.variants, analysis.baseline
    comparison = analysis.compare()
    winner = analysis.verdict.finding("cost").winner
    ended = frame[frame["status"] == "ended"]
    currency = ended["cost_currency"].dropna().iloc[0] if ended["cost_currency"].notna().any() else ""
    others = max(len(comparison), 1)
    lines = max(max((len(textwrap.wrap(v, LABEL_WIDTH)) for v in variants), default=1), 1)
    height = 2.0 + 0.32 * lines * (others + len(variants))
    figure, axes = plt.subplots(
        2,
        2,
        figsize=(10, height),
        layout="constrained",
        sharey="row",
        gridspec_kw={"height_ratios": [others, len(variants)]},
    )
    if len(comparison):
        # compare()'s Fieller intervals at Bonferroni's level: the tables' "significant" is "excludes 0"
        each = fmt.level(float(comparison["cost_ci_level"].iloc[0]))
        _forest(axes[0, 0], comparison, "cost", f"mean cost per call vs baseline ({each} CI, Bonferroni)", winner)
        _forest(axes[0, 1], comparison, "duration", f"mean call length vs baseline ({each} CI, Bonferroni)", winner)
    else:
        for axis in axes[0]:
            axis.set_axis_off()
    _spread(axes[1, 0], ended, variants, "cost_amount", f"cost per ended call ({currency})", winner)
    _spread(axes[1, 1], ended, variants, "duration_seconds", "call length (s)", winner)
    axes[1, 0].set_title("each ended call (bar: mean)", fontsize="medium")
    verdict = f"cheapest: {winner} ★" if winner else "no variant is clearly cheapest"
    figure.suptitle(
        textwrap.fill(f"{title}: {len(ended)} ended calls; baseline: {baseline}; {verdict}", 110), fontsize="medium"
    )
    plt.close(figure)  # returned for display; not left open in pyplot's global state
    return figure
