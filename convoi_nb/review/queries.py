"""`Review(path)`: the cost questions over an exported dataset, answered by DuckDB as pandas frames.

Money comes back twice, by one rule for every money column of every result (`total_cost`, `cost_amount`,
`cost_change`, and any DECIMAL column of your own SQL with decimal places): the column itself holds exact `Decimal`s
(DuckDB's DECIMAL through Arrow, never a float; sum and compare these), and the column after it, the same name with
`_float` added (`total_cost_float`), holds the same amounts as floats, which pandas and matplotlib plot
(`review.cost_by("agent")["total_cost_float"].plot.bar()`). Totals are per currency; counts come back as integers;
days and weeks as dates. `review.sql(...)` is the text of each query, to run on Spark or Trino over the
same files. DuckDB reads exactly the files the manifest lists, checked first (`files.py`): never a pattern
built from the user's path, and no Hive partitions parsed from it (`day` is each call's UTC day).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa

from ..errors import DatasetError, ValidationError
from ..frames import METADATA_PREFIX
from . import sql
from .files import ExportedFiles

if TYPE_CHECKING:
    import pyarrow.dataset

# The tags `convoi_nb.experiments` puts on each call it makes (Experiment.call_metadata).
EXPERIMENT_KEY, VARIANT_KEY = "experiment", "variant"
DIALECT_QUOTES = {"standard": '"', "duckdb": '"', "trino": '"', "spark": "`"}
# Each query's parameters and their defaults (`...`: required).
QUERIES: dict[str, dict[str, Any]] = {
    "cost_by": {"by": ...},
    "top_calls": {"n": 10},
    "variant_rates": {"experiment": None},
    "period_change": {"period": "week"},
}
# Each call's UTC day, by arithmetic on its microseconds since the epoch: as fast as a Hive partition column, where
# CAST(created_at AS DATE) goes through the time zone library row by row (a quarter slower per query).
_UTC_DAY = "DATE '1970-01-01' + CAST(epoch_us(created_at) // 86400000000 AS INTEGER)"
# Each exact money column `X` (a Decimal) is followed by `X_float`, the same amount as a float, which pandas and
# matplotlib plot; sum and compare the Decimal column.
FLOAT_SUFFIX = "_float"
MAX_ROWS = 2**63 - 1  # the largest LIMIT DuckDB takes (BIGINT)
_WHAT = "review query"


class Review:
    """DuckDB over the files of `client.export_calls(path)`; each method returns a pandas DataFrame.

    >>> review = Review("calls")
    >>> review.cost_by("agent"); review.cost_by("week"); review.cost_by("metadata.source")
    >>> review.cost_by("week", "agent")["total_cost_float"].unstack("agent").plot()  # cost per agent per week
    >>> review.top_calls(10); review.variant_rates(); review.period_change("week")
    >>> print(review.sql("cost_by", by="day", dialect="spark"))

    Args:
        path: An export folder written by `client.export_calls(path)`.

    Raises:
        ValidationError: `path` is not a path.
        DatasetError: It is no export folder, holds no calls, or its files disagree with its manifest.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._db: duckdb.DuckDBPyConnection | None = None
        files = ExportedFiles.read(path)
        self.path = files.root
        if files.manifest.pending is not None:  # still answerable, but not about every call: say so once
            warnings.warn(
                f"the last export into {self.path} did not finish; run client.export_calls() on it again to "
                "complete it",
                stacklevel=2,
            )
        self.metadata_keys = tuple(sorted(files.manifest.metadata_kinds))
        self._files = files
        db = duckdb.connect()
        db.execute("SET TimeZone = 'UTC'")  # timestamps and days in UTC, as the files' days are
        db.execute("SET parquet_metadata_cache = true")  # each file's footer read once, not per query
        listed = ", ".join(sql.literal(_glob_escaped(str(file))) for file in files.files.values())
        # A day without some metadata key reads it as NULL (union_by_name), a cost of ~8 ms a query on 90 files
        # that only datasets whose days differ in columns pay.
        schemas = list(files.schemas.values())
        union = "true" if any(not schema.equals(schemas[0]) for schema in schemas[1:]) else "false"
        try:
            db.execute(
                f"CREATE VIEW {sql.TABLE} AS SELECT *, {_UTC_DAY} AS day FROM read_parquet([{listed}], "
                f"hive_partitioning = false, union_by_name = {union})"
            )
        except duckdb.Error as exc:  # a file changed between the check and DuckDB's read
            db.close()
            raise DatasetError(f"cannot read the files of {self.path}: {exc}") from None
        self._db = db

    # -- the questions -------------------------------------------------------------------------------------

    def cost_by(self, by: str | Sequence[str], *more: str) -> pd.DataFrame:
        """Calls, total cost, minutes and cost per minute for each value of one or more dimensions (per currency).

        `cost_by("agent")`, `cost_by("agent", "week")` and `cost_by(["agent", "week"])` all work: the dimensions
        after `by` are more dimensions, in order. `total_cost` is
        the exact `Decimal` sum; `total_cost_float` is the same amount as a float, for plotting:
        `review.cost_by("week", "agent")["total_cost_float"].unstack("agent").plot()`.

        Args:
            by: A dimension, or a list of them: `agent`, `agent_id`, `status`, `day`, `week`, `month` or
                `metadata.<key>`.

        Returns:
            One row per combination of values and currency, indexed by the dimensions' values (a MultiIndex for
            more than one).

        Raises:
            ValidationError: No dimension, an unknown or repeated one (the message names it and the known ones).
        """
        keys = [*_key_list(by), *more]
        frame = self._run(self.sql("cost_by", by=keys))
        return frame.set_index(keys if len(keys) > 1 else keys[0])

    def top_calls(self, n: int = 10) -> pd.DataFrame:
        """The `n` most expensive calls.

        Args:
            n: How many (a positive integer).

        Returns:
            One row per call, most expensive first.
        """
        return self._run(self.sql("top_calls", n=n))

    def variant_rates(self, experiment: str | None = None) -> pd.DataFrame:
        """Cost per minute by experiment and variant, for the calls that `convoi_nb.experiments` tagged.

        A grid variant's name tells its model and voice.

        Args:
            experiment: Only this experiment's calls (all tagged calls when None).

        Returns:
            One row per experiment, variant and currency, with `calls` and `ended` as integers.
        """
        return self._run(self.sql("variant_rates", experiment=experiment))

    def period_change(self, period: str = "week") -> pd.DataFrame:
        """Calls, cost and minutes per period, with the change from the period before.

        Args:
            period: `day`, `week` or `month`.

        Returns:
            One row per period and currency.
        """
        return self._run(self.sql("period_change", period=period))

    # -- SQL ---------------------------------------------------------------------------------------------

    def sql(self, name: str, *, dialect: str = "standard", **params: Any) -> str:
        """The SQL text of a review query over a table `calls`.

        The keyword arguments are the query's parameters, as its method takes them (`by`, `n`, `experiment`,
        `period`).

        Args:
            name: `cost_by`, `top_calls`, `variant_rates` or `period_change`.
            dialect: `standard`, `duckdb`, `trino` or `spark` (which quotes names with backticks).

        Returns:
            The SQL text.

        Raises:
            ValidationError: An unknown query, dialect or parameter, a missing or invalid parameter.
        """
        quote = DIALECT_QUOTES.get(dialect) if isinstance(dialect, str) else None
        if quote is None:
            raise ValidationError.of_field(
                _WHAT, "dialect", f"must be one of {', '.join(DIALECT_QUOTES)} (got {dialect!r})"
            )
        if not isinstance(name, str) or name not in QUERIES:
            raise ValidationError.of_field(_WHAT, "name", f"must be one of {', '.join(QUERIES)} (got {name!r})")
        unknown = sorted(set(params) - set(QUERIES[name]))
        if unknown:
            raise ValidationError.of_field(
                _WHAT, unknown[0], f"is not a parameter of {name} (its parameters: {', '.join(QUERIES[name])})"
            )
        values = {**QUERIES[name], **params}
        missing = [key for key, value in values.items() if value is ...]
        if missing:
            raise ValidationError.of_field(_WHAT, missing[0], f"is required by {name}")
        if name == "cost_by":
            keys = _key_list(values["by"])
            return sql.cost_by([(key, self._dimension(key, keys, quote)) for key in keys], quote=quote)
        if name == "top_calls":
            n = values["n"]
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_ROWS:
                raise ValidationError.of_field(_WHAT, "n", f"must be an integer from 1 to 2**63 - 1 (got {n!r})")
            return sql.top_calls(n, quote=quote)
        if name == "variant_rates":
            experiment = values["experiment"]
            if experiment is not None and not isinstance(experiment, str):
                raise ValidationError.of_field(_WHAT, "experiment", f"must be a name or None (got {experiment!r})")
            for key in (EXPERIMENT_KEY, VARIANT_KEY):
                self._metadata_column(key, "experiment")
            return sql.variant_rates(
                METADATA_PREFIX + EXPERIMENT_KEY, METADATA_PREFIX + VARIANT_KEY, experiment, quote=quote
            )
        period = values["period"]
        if not isinstance(period, str) or period not in sql.PERIODS:
            raise ValidationError.of_field(_WHAT, "period", f"must be one of {', '.join(sql.PERIODS)} (got {period!r})")
        return sql.period_change(period, quote=quote)

    def query(self, text: str) -> pd.DataFrame:
        """Any query over the table `calls`, as a DataFrame.

        One statement that reads: `SELECT`, `WITH … SELECT`, `FROM calls …`, `DESCRIBE`, `SUMMARIZE`, `PIVOT … IN
        (…)`. A statement that would change the review's view of its files (DROP, CREATE, ALTER, INSERT, SET,
        ATTACH, COPY, EXPLAIN ANALYZE, …) is refused before it runs: DuckDB's own parser names its kind.

        DECIMAL columns come back as exact Decimals (money), each followed by its `<name>_float` twin for plotting
        (unless your SQL already has a column of that name), or, with no decimal places, as integers (counts);
        integer columns as pandas' nullable `Int64`.

        Args:
            text: The SQL.

        Returns:
            The result.

        Raises:
            ValidationError: The SQL is not text, not one reading statement, or DuckDB refused it; the message is
                DuckDB's (a file your SQL names that cannot be read included).
            DatasetError: The review is closed, or one of its own files changed since it was opened.
        """
        if not isinstance(text, str):
            raise ValidationError.of_field(_WHAT, "text", f"must be SQL text (got {text!r})")
        self._open_connection()
        _check_reads_only(text)
        return self._run(text, yours=True)

    def _open_connection(self) -> duckdb.DuckDBPyConnection:
        if self._db is None:
            raise DatasetError(f"this review of {self.path} is closed; open another with Review(path)")
        return self._db

    def _run(self, text: str, *, yours: bool = False) -> pd.DataFrame:
        """Run SQL; a failure is the user's SQL (`yours`) or, in the review's own queries, its files changing."""
        db = self._open_connection()
        try:
            relation: Any = db.sql(text)  # None for a statement without a result
            if relation is None:
                return pd.DataFrame()
            fetch = getattr(relation, "to_arrow_table", None) or relation.arrow  # duckdb 2 / duckdb 1
            table = fetch()
        except duckdb.Error as exc:
            if yours and not (isinstance(exc, duckdb.IOException) and self._names_own_file(exc)):
                raise ValidationError.of_field(_WHAT, "text", str(exc)) from None
            raise DatasetError(
                f"cannot read the files of {self.path} (changed since this review opened?): {exc}"
            ) from None
        return _frame(table)

    def _names_own_file(self, error: duckdb.Error) -> bool:
        message = str(error)
        return any(str(path) in message for path in self._files.files.values())

    def _dimension(self, key: Any, keys: list[Any], quote: str) -> str:
        """The SQL expression of one `cost_by` dimension (`keys`: all of them, to name a repeated one)."""
        if not isinstance(key, str):
            raise ValidationError.of_field(
                _WHAT, "by", f"must be a dimension name or a list of them (got {key!r} in {keys!r})"
            )
        if keys.count(key) > 1:
            raise ValidationError.of_field(_WHAT, "by", f"names {key!r} more than once ({keys!r})")
        if key in sql.DIMENSIONS:
            return sql.DIMENSIONS[key]
        if key.startswith(METADATA_PREFIX):
            return sql.quoted(self._metadata_column(key[len(METADATA_PREFIX) :], "by"), quote)
        known = ", ".join([*sql.DIMENSIONS, *(METADATA_PREFIX + k for k in self.metadata_keys)])
        raise ValidationError.of_field(_WHAT, "by", f"{key!r} is not a known dimension; known: {known}")

    def _metadata_column(self, key: str, field: str) -> str:
        if key not in self.metadata_keys:
            known = ", ".join(self.metadata_keys) or "none"
            raise ValidationError.of_field(_WHAT, field, f"no exported call has metadata key {key!r} (keys: {known})")
        return METADATA_PREFIX + key

    def arrow(self) -> pyarrow.dataset.Dataset:
        """The files as one pyarrow dataset (schemas unified), for tools that want Arrow rather than SQL.

        Returns:
            The dataset, over exactly the files the manifest lists.
        """
        return self._files.arrow()

    def close(self) -> None:
        """Close DuckDB's connection (idempotent)."""
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Review:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Review({str(self.path)!r}, metadata keys: {', '.join(self.metadata_keys) or 'none'})"


def _key_list(by: Any) -> list[Any]:
    """`cost_by`'s dimensions as a list: one name, or a list or tuple of them (each checked by `_dimension`)."""
    keys = [by] if isinstance(by, str) else list(by) if isinstance(by, (list, tuple)) else None
    if not keys:
        raise ValidationError.of_field(
            _WHAT, "by", f"must be a dimension name or a non-empty list of them, e.g. ['agent', 'week'] (got {by!r})"
        )
    return keys


def _check_reads_only(text: str) -> None:
    """Refuse, before it runs, SQL that is not exactly one statement that reads.

    Not a transaction rolled back: SET, ATTACH and COPY are not undone by one. Not EXPLAIN: EXPLAIN ANALYZE runs
    the statement it explains, whatever it is.
    """
    try:
        statements = duckdb.extract_statements(text)
    except duckdb.Error as exc:
        raise ValidationError.of_field(_WHAT, "text", str(exc)) from None
    if len(statements) != 1:
        raise ValidationError.of_field(
            _WHAT, "text", f"must be exactly one statement (got {len(statements) or 'none'}); run each on its own"
        )
    kind = statements[0].type
    if kind == duckdb.StatementType.SELECT:
        return
    if kind == duckdb.StatementType.MULTI:  # what DuckDB makes of a PIVOT that must first find its columns
        raise ValidationError.of_field(
            _WHAT,
            "text",
            "PIVOT must list its columns here, e.g. PIVOT calls ON status IN ('ended', 'failed') "
            "USING count(*): without IN, DuckDB runs more statements than the one query",
        )
    raise ValidationError.of_field(
        _WHAT,
        "text",
        f"must be a query that reads (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE), not a {kind.name} statement: "
        "the review's view `calls` and its settings stay as opened (refused before it ran)",
    )


def _glob_escaped(path: str) -> str:
    """`path` as a DuckDB file pattern matching only itself: `*`, `?` and `[` each in a bracket of its own."""
    return re.sub(r"[\[*?]", lambda found: f"[{found.group()}]", path)


def _frame(table: pa.Table) -> pd.DataFrame:
    """The result as pandas: integers as `Int64`, money as exact Decimals, each followed by its `_float` twin."""
    integers = {pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32()}
    frame: pd.DataFrame = table.to_pandas(types_mapper=lambda kind: pd.Int64Dtype() if kind in integers else None)
    for field in table.schema:
        if not pa.types.is_decimal(field.type):
            continue
        if field.type.scale == 0:  # DuckDB's SUM of integers is a DECIMAL(38, 0): a count
            frame[field.name] = frame[field.name].map(_integer, na_action="ignore")
            continue
        frame[field.name] = frame[field.name].map(_tidy, na_action="ignore")
        twin = field.name + FLOAT_SUFFIX
        if twin not in frame.columns:  # a column of that name in your own SQL is kept as it is
            floats = frame[field.name].map(float, na_action="ignore").astype("float64")
            frame.insert(list(frame.columns).index(field.name) + 1, twin, floats)
    return frame


def _integer(amount: Decimal) -> int:
    return int(amount)


_CENTS = Decimal("0.01")


def _tidy(amount: Decimal) -> Decimal:
    """The same amount without the column's trailing zeros (2265.150048, not 2265.150048000; 0.00, not 0E-9)."""
    exponent = amount.normalize().as_tuple().exponent
    short = amount.normalize()
    return short.quantize(_CENTS) if isinstance(exponent, int) and exponent > -2 else short
