"""The review queries, written once as Ibis expressions over a table of calls; every engine runs these.

Ibis compiles each expression (through sqlglot) to the SQL of the engine that runs it: DuckDB by default, Spark, or
any backend a user's table lives in; `Review.sql(...)` shows that same compiled text. Nothing here builds SQL from
strings, so a parameter is always a literal the compiler quotes for its dialect.

Money: `total_cost` is the SUM of the DECIMAL column, so it stays exact; only rates (cost per minute, change ratios)
are floats, and no mean of money is taken (a DECIMAL mean is rounded to 6 places on some engines). Every total is per
currency, since amounts in two currencies never add up.
"""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import ibis.config
import ibis.expr.types as ir

TABLE = "calls"
PERIODS = ("day", "week", "month")
# dimension name -> the column it groups by (periods are derived from `day`; metadata keys are "metadata.<key>")
DIMENSIONS = {"agent": "agent_id", "agent_id": "agent_id", "status": "status", **{p: p for p in PERIODS}}
_UNITS = {"week": "W", "month": "M"}


def dimension(calls: ir.Table, name: str, column: str) -> ir.Value:
    """One `cost_by` dimension's value for each call.

    Args:
        calls: The calls.
        name: The dimension's name (`day`, `week`, `month` or another).
        column: The column it reads (`DIMENSIONS[name]` or a metadata column).

    Returns:
        The value, named `name`.
    """
    if name in _UNITS:
        # DATE_TRUNC of a date is a timestamp on DuckDB and Spark: a date again, shown as 2026-11-02
        return calls.day.cast("timestamp").truncate(_UNITS[name]).date().name(name)
    return calls[column].name(name)


def _totals(calls: ir.Table) -> dict[str, ir.Value]:
    seconds = calls.duration_seconds.sum()
    cost = calls.cost_amount.sum()
    return {
        "calls": calls.count(),
        "total_cost": cost,
        "minutes": seconds / 60,
        "cost_per_minute": cost.cast("float64") * 60 / seconds.nullif(0),
    }


def cost_by(calls: ir.Table, dimensions: Sequence[tuple[str, str]]) -> ir.Table:
    """Calls, total cost (DECIMAL), minutes and cost per minute for each combination of dimension values and currency.

    Rows are ordered by the period dimensions (day, week, month) first, oldest first; then, when there are other
    dimensions, by total cost, dearest first, and their values; then by currency.

    Args:
        calls: The calls.
        dimensions: Each dimension's name (a column of the result, in this order) and the column it reads.

    Returns:
        The expression.
    """
    keys = [dimension(calls, name, column) for name, column in dimensions]
    grouped = calls.group_by([*keys, calls.cost_currency.name("currency")]).aggregate(**_totals(calls))
    periods = [name for name, _ in dimensions if name in PERIODS]
    others = [name for name, _ in dimensions if name not in PERIODS]
    order = [*periods, *([ibis.desc("total_cost"), *others] if others else []), "currency"]
    return grouped.order_by(order)


def top_calls(calls: ir.Table, n: int) -> ir.Table:
    """The `n` most expensive calls (ties broken by id, so the answer is stable).

    Args:
        calls: The calls.
        n: How many (validated by the caller).

    Returns:
        The expression.
    """
    columns = ["id", "agent_id", "status", "created_at", "duration_seconds", "cost_amount"]
    chosen = calls.select(*columns, currency=calls.cost_currency, metadata=calls.metadata)
    return chosen.order_by([ibis.desc("cost_amount"), "id"]).limit(n)


def variant_rates(
    calls: ir.Table, experiment_column: str, variant_column: str, experiment: str | None = None
) -> ir.Table:
    """Per experiment and variant: calls, how many ended, total cost, minutes and cost per minute.

    A variant's name tells its model and voice; the cheapest per minute come first.

    Args:
        calls: The calls.
        experiment_column: The column of the experiment tag.
        variant_column: The column of the variant tag.
        experiment: Only this experiment (all when None).

    Returns:
        The expression.
    """
    tagged = calls.filter(calls[experiment_column].notnull())
    if experiment is not None:
        tagged = tagged.filter(tagged[experiment_column] == ibis.literal(experiment, type="string"))
    keys = [
        tagged[experiment_column].name("experiment"),
        tagged[variant_column].name("variant"),
        tagged.cost_currency.name("currency"),
    ]
    ended = (tagged.status == "ended").cast("int64").sum().cast("int64")  # an integer on every engine
    grouped = tagged.group_by(keys).aggregate(**_totals(tagged), ended=ended)
    return grouped.order_by(["experiment", "currency", "cost_per_minute", "variant"])


def period_change(calls: ir.Table, period: str) -> ir.Table:
    """Each period's calls, cost and minutes, and the change from the period before it.

    The period before is the previous one that had calls, per currency.

    Args:
        calls: The calls.
        period: `day`, `week` or `month` (validated by the caller).

    Returns:
        The expression.
    """
    key = dimension(calls, period, "day").name("period")
    totals = calls.group_by([key, calls.cost_currency.name("currency")]).aggregate(
        calls=calls.count(), total_cost=calls.cost_amount.sum(), minutes=calls.duration_seconds.sum() / 60
    )
    window = ibis.window(group_by="currency", order_by="period")
    before = {name: totals[name].lag().over(window) for name in ("total_cost", "calls", "minutes")}
    changed = totals.mutate(
        cost_change=totals.total_cost - before["total_cost"],
        cost_change_ratio=totals.total_cost.cast("float64") / before["total_cost"].cast("float64").nullif(0) - 1,
        calls_change=totals.calls - before["calls"],
        minutes_change=totals.minutes - before["minutes"],
    )
    return changed.order_by(["period", "currency"])


class _SparkCompilerOptions(ibis.config.Config):  # type: ignore[misc]  # Ibis ships no type information
    """The one option Ibis' Spark compiler reads (`ibis.options.pyspark`), which only its pyspark backend registers.

    Attributes:
        treat_nan_as_null: Whether a float NaN literal compiles as NULL (Ibis' default: no).
    """

    treat_nan_as_null: bool = False


def allow_spark_sql_without_pyspark() -> None:
    """Let Ibis compile Spark SQL text where pyspark is not installed (the option its backend would register)."""
    if ibis.options.pyspark is None:
        ibis.options.pyspark = _SparkCompilerOptions()
