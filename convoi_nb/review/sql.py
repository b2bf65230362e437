"""The review queries as SQL text over a table `calls` (the exported files).

Standard SQL that DuckDB, Spark SQL and Trino all run: GROUP BY, window LAG, CAST, date_trunc, LIMIT. Identifiers
are double-quoted (the standard); Spark SQL wants backticks, so each builder takes the quote character.

Money: `total_cost` is SUM of the DECIMAL column, so it stays exact; only rates (cost per minute, change ratios)
are DOUBLE. Every total is per currency, since amounts in two currencies never add up.
"""

from __future__ import annotations

from collections.abc import Sequence

TABLE = "calls"
PERIODS = {
    "day": "day",
    "week": "CAST(date_trunc('week', day) AS DATE)",
    "month": "CAST(date_trunc('month', day) AS DATE)",
}
# dimension name -> column expression (metadata keys are added as "metadata.<key>")
DIMENSIONS = {"agent": "agent_id", "agent_id": "agent_id", "status": "status", **PERIODS}
_SORTED_BY_KEY = {"day", "week", "month"}


def quoted(name: str, quote: str = '"') -> str:
    """An identifier, quoted.

    Args:
        name: The column or table name.
        quote: The dialect's quote character (a quote inside the name is doubled).

    Returns:
        The quoted identifier.
    """
    return quote + name.replace(quote, quote * 2) + quote


def literal(text: str) -> str:
    """A string literal.

    Args:
        text: The string (a single quote inside it is doubled).

    Returns:
        The SQL literal.
    """
    return "'" + text.replace("'", "''") + "'"


def _totals() -> str:
    return (
        "COUNT(*) AS calls, SUM(cost_amount) AS total_cost, SUM(duration_seconds) / 60.0 AS minutes, "
        "CAST(SUM(cost_amount) AS DOUBLE) * 60.0 / NULLIF(SUM(duration_seconds), 0) AS cost_per_minute"
    )


def cost_by(dimensions: Sequence[tuple[str, str]], *, quote: str = '"') -> str:
    """Calls, total cost (DECIMAL), minutes and cost per minute for each combination of dimension values and currency.

    Rows are ordered by the period dimensions (day, week, month) first, oldest first; then, when there are other
    dimensions, by total cost, dearest first, and their values; then by currency.

    Args:
        dimensions: Each dimension's name (a column of the result, in this order) and its SQL expression over
            `calls`.
        quote: The dialect's quote character.

    Returns:
        The SQL text.
    """
    names = [quoted(name, quote) for name, _ in dimensions]
    expressions = [expression for _, expression in dimensions]
    periods = [quoted(name, quote) for name, _ in dimensions if name in _SORTED_BY_KEY]
    others = [quoted(name, quote) for name, _ in dimensions if name not in _SORTED_BY_KEY]
    order = ", ".join([*periods, *(["total_cost DESC", *others] if others else [])])
    selected = ", ".join(f"{expression} AS {name}" for expression, name in zip(expressions, names, strict=True))
    return (
        f"SELECT {selected}, cost_currency AS currency, {_totals()}\n"
        f"FROM {TABLE}\nGROUP BY {', '.join(expressions)}, cost_currency\nORDER BY {order}, currency"
    )


def top_calls(n: int, *, quote: str = '"') -> str:
    """The `n` most expensive calls (ties broken by id, so the answer is stable).

    Args:
        n: How many (validated by the caller).
        quote: The dialect's quote character.

    Returns:
        The SQL text.
    """
    return (
        "SELECT id, agent_id, status, created_at, duration_seconds, cost_amount, cost_currency AS currency, "
        f"metadata\nFROM {TABLE}\nORDER BY cost_amount DESC, id\nLIMIT {int(n)}"
    )


def variant_rates(
    experiment_column: str, variant_column: str, experiment: str | None = None, *, quote: str = '"'
) -> str:
    """Per experiment and variant: calls, how many ended, total cost, minutes and cost per minute.

    A variant's name tells its model and voice; the cheapest per minute come first.

    Args:
        experiment_column: The column of the experiment tag.
        variant_column: The column of the variant tag.
        experiment: Only this experiment (all when None).
        quote: The dialect's quote character.

    Returns:
        The SQL text.
    """
    exp, var = quoted(experiment_column, quote), quoted(variant_column, quote)
    where = f"{exp} IS NOT NULL" + (f" AND {exp} = {literal(experiment)}" if experiment is not None else "")
    return (
        f"SELECT {exp} AS experiment, {var} AS variant, cost_currency AS currency, {_totals()}, "
        "CAST(SUM(CASE WHEN status = 'ended' THEN 1 ELSE 0 END) AS BIGINT) AS ended\n"
        f"FROM {TABLE}\nWHERE {where}\nGROUP BY {exp}, {var}, cost_currency\n"
        "ORDER BY experiment, currency, cost_per_minute, variant"
    )


def period_change(period: str, *, quote: str = '"') -> str:
    """Each period's calls, cost and minutes, and the change from the period before it.

    The period before is the previous one that had calls, per currency.

    Args:
        period: `day`, `week` or `month` (validated by the caller).
        quote: The dialect's quote character.

    Returns:
        The SQL text.
    """
    expression = PERIODS[period]
    previous = "LAG({0}) OVER (PARTITION BY currency ORDER BY period)"
    return (
        f"WITH totals AS (\n  SELECT {expression} AS period, cost_currency AS currency, COUNT(*) AS calls, "
        "SUM(cost_amount) AS total_cost, SUM(duration_seconds) / 60.0 AS minutes\n"
        f"  FROM {TABLE}\n  GROUP BY {expression}, cost_currency\n)\n"
        "SELECT period, currency, calls, total_cost, minutes,\n"
        f"  total_cost - {previous.format('total_cost')} AS cost_change,\n"
        f"  CAST(total_cost AS DOUBLE) / NULLIF(CAST({previous.format('total_cost')} AS DOUBLE), 0) - 1 "
        "AS cost_change_ratio,\n"
        f"  calls - {previous.format('calls')} AS calls_change,\n"
        f"  minutes - {previous.format('minutes')} AS minutes_change\n"
        "FROM totals\nORDER BY period, currency"
    )
