"""The summary and the comparison as a reader takes them in.

One formatted cell per estimate with its interval, units and currency from the data, counts of what failed or is
still running, significance after adjustment marked, narrow enough for a notebook's output area (long variant
names wrap).

`summary()` and `compare()` stay plain numeric frames for code; these return pandas `Styler`s (they render in
JupyterLab, Notebook, VS Code and Voilà) built from the same analysis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from . import formatting as fmt

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler
    from pandas.io.formats.style_render import CSSDict

    from ..stats.analysis import Analysis

# Wrapping, not scrolling: a variant name or an interval breaks onto a second line before the table outgrows
# JupyterLab's output area.
TABLE_STYLES: list[CSSDict] = [
    {"selector": "", "props": [("max-width", "100%"), ("border-collapse", "collapse"), ("font-size", "12px")]},
    {
        "selector": "th, td",
        "props": [
            ("white-space", "normal"),
            ("padding", "2px 6px"),
            ("text-align", "right"),
            ("vertical-align", "top"),
        ],
    },
    # A variant name may be one long word; a number never breaks (only the spaces in a cell do). A short name
    # ("baseline") is never squeezed into breaking mid-word: the heading keeps room for it.
    {
        "selector": "th.row_heading",
        "props": [("min-width", "6em"), ("max-width", "14em"), ("text-align", "left"), ("overflow-wrap", "anywhere")],
    },
    {"selector": "td", "props": [("max-width", "13em")]},
    {
        "selector": "caption",
        "props": [("caption-side", "bottom"), ("text-align", "left"), ("font-size", "11px"), ("color", "#555")],
    },
]


def _styled(table: pd.DataFrame, caption: str) -> Styler:
    table.index.name = None
    return table.style.set_table_styles(TABLE_STYLES).set_caption(caption)


def _outcomes(row: pd.Series[Any]) -> str:
    parts = [
        f"{row[k]} {label}"
        for k, label in (("failed", "failed"), ("expired", "expired"), ("create_errors", "create errors"))
        if row[k]
    ]
    return ", ".join(parts) or "none"


def _rating_counts(row: pd.Series[Any], criteria: list[str]) -> str:
    """How many calls the ratings rest on, and how many were left out (skipped, broken, failed or expired)."""
    rated = max(_count(row[f"rating.{criterion}_n"]) for criterion in criteria)
    skipped, excluded = _count(row["ratings_skipped"]), _count(row["ratings_excluded"])
    parts = [
        f"{rated} rated",
        *([f"{skipped} skipped"] if skipped else []),
        *([f"{excluded} not counted"] if excluded else []),
    ]
    return ", ".join(parts)


def _count(value: Any) -> int:
    """A count from the summary (missing, for a variant nobody rated, is none)."""
    return 0 if pd.isna(value) else int(value)


def criteria_in(summary: pd.DataFrame) -> list[str]:
    """The rating criteria a summary has columns for.

    Args:
        summary: A `summary()` frame.

    Returns:
        The criteria, in column order.
    """
    return [
        c[len("rating.") : -len("_mean")] for c in summary.columns if c.startswith("rating.") and c.endswith("_mean")
    ]


def summary_table(analysis: Analysis) -> Styler:
    """One row per variant: calls, ratings (if any), what went wrong, means with intervals, cost per minute, spend.

    A listening session's ratings, with intervals and how many calls they rest on, come right after the calls.

    Args:
        analysis: The analysis whose summary is shown.

    Returns:
        The table, as a pandas `Styler` (`.data` holds the text of each cell).
    """
    summary, level = analysis.summary(), analysis.config.level
    criteria = criteria_in(summary)
    rows = {}
    for variant, row in summary.iterrows():
        currency = row["currency"]
        calls = f"{row['ended']} ended of {row['n']}" + (f", {row['pending']} running" if row["pending"] else "")
        rows[variant] = {"calls": calls}
        # Listening sessions' ratings, when there are any, come first: they are what a reader of a rated experiment
        # looks for, and a wide table must not push them out of sight behind the cost columns.
        for criterion in criteria:
            rows[variant][f"{criterion} [{level:.0%} CI]"] = fmt.rating_with_interval(
                row[f"rating.{criterion}_mean"], row[f"rating.{criterion}_ci_low"], row[f"rating.{criterion}_ci_high"]
            )
        if criteria:
            rows[variant]["ratings"] = _rating_counts(row, criteria)
        rows[variant] |= {
            "not ended": _outcomes(row),
            f"cost per call [{level:.0%} CI]": fmt.money_with_interval(
                row["cost_mean"], row["cost_ci_low"], row["cost_ci_high"], currency
            ),
            f"call length [{level:.0%} CI]": fmt.seconds_with_interval(
                row["duration_mean"], row["duration_ci_low"], row["duration_ci_high"]
            ),
            "per minute": fmt.money(row["cost_per_minute"], currency),
            "spend": fmt.money(row["spend_total"], currency, 2),
        }
    notes = sorted({n for n in summary["note"] if n})
    rated = (
        " Ratings (1-5): means of the calls rated; skipped calls, and calls marked broken, failed or expired, are "
        "counted, not averaged in."
        if criteria
        else ""
    )
    caption = (
        f"Means of the calls that ended, with {level:.0%} Student-t intervals; failed and expired calls are "
        "counted, not averaged in. Spend: every billed call, summed exactly, shown to the cent."
        + rated
        + (" Note: " + "; ".join(notes) + "." if notes else "")
    )
    return _styled(pd.DataFrame.from_dict(rows, orient="index"), caption)


def _significance(row: pd.Series[Any], label: str) -> str:
    mark = "significant" if row[f"{label}_significant"] else "not separated"
    return f"{mark} ({fmt.p_value(row[f'{label}_p_adjusted'])})"


def comparison_table(analysis: Analysis) -> Styler:
    """One row per variant against the baseline, from the analysis' comparisons.

    The relative change of mean cost and of mean call length with their intervals, the change per call in money,
    and whether it is significant: Fieller's interval at Bonferroni's level excludes 0.

    Args:
        analysis: The analysis whose comparisons are shown.

    Returns:
        The table, as a pandas `Styler`.
    """
    comparison, level = analysis.compare(), analysis.config.level
    currencies = {name: s.currency for name, s in analysis.statistics.items()}
    rows = {}
    for variant, row in comparison.iterrows():
        currency = currencies[str(variant)]
        rows[variant] = {
            "cost per call vs baseline": fmt.percent_with_interval(
                row["cost_delta_pct"], row["cost_delta_pct_ci_low"], row["cost_delta_pct_ci_high"]
            ),
            "per call": fmt.money_delta(row["cost_delta"], currency),
            "cost, Bonferroni": _significance(row, "cost"),
            "call length": fmt.percent_with_interval(
                row["duration_delta_pct"], row["duration_delta_pct_ci_low"], row["duration_delta_pct_ci_high"]
            ),
            "length, Bonferroni": _significance(row, "duration"),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    baseline = comparison["baseline"].iloc[0] if len(comparison) else ""
    caption = (
        f"Change of the mean against the baseline ({baseline}) with Fieller's interval at "
        f"{fmt.level(float(comparison['cost_ci_level'].iloc[0])) if len(rows) else fmt.level(level)} each "
        f"(Bonferroni over the {len(rows)} comparisons: together they hold with {fmt.level(level)}); "
        "'significant': that interval excludes 0 (p shown after Bonferroni's adjustment)."
    )
    styler = _styled(table, caption)
    if len(table):
        bold = {
            "cost, Bonferroni": comparison["cost_significant"],
            "length, Bonferroni": comparison["duration_significant"],
        }

        def significant_in_bold(cells: pd.DataFrame) -> pd.DataFrame:
            css = pd.DataFrame("", index=cells.index, columns=cells.columns)
            for column, flags in bold.items():
                css.loc[flags[flags].index, column] = "font-weight: bold"
            return css

        styler = styler.apply(significant_in_bold, axis=None)
    return styler
