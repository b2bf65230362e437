"""`Review(path)`: the cost questions over an exported dataset, as pandas frames, on DuckDB, Spark or any Ibis table.

The questions are written once, as Ibis expressions (`expressions.py`); the engine that answers them is a choice:

- `Review(path)`: embedded DuckDB (the default, `duck.py`). One machine, no service: an account's whole history
  (1,000,000 calls) answers in tens of milliseconds.
- `Review(path, backend=spark)` (a PySpark session, an Ibis pyspark backend, or `"spark"` for the active or a new
  local session; `spark.py`): when the files sit on a cluster's shared storage or outgrow one machine.
- `Review.from_table(table)`: any Ibis table of exported calls a user already has (a warehouse's table, reviewed
  in place).

Money comes back twice, by one rule for every money column of every result (`total_cost`, `cost_amount`,
`cost_change`, and any DECIMAL column of your own SQL with decimal places): the column itself holds exact `Decimal`s
(the engine's DECIMAL through Arrow, never a float; sum and compare these), and the column after it, the same name
with `_float` added (`total_cost_float`), holds the same amounts as floats, which pandas and matplotlib plot
(`review.cost_by("agent")["total_cost_float"].plot.bar()`). Totals are per currency; counts come back as integers;
days and weeks as dates; timestamps in UTC. `review.sql(...)` is the text of each query, compiled by Ibis for the
dialect asked for.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis
import ibis.backends.sql.compilers  # loaded with the review, not by its first question (~0.2 s)
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from ..errors import DatasetError, ValidationError
from ..frames import METADATA_PREFIX
from . import duck, expressions, spark
from .expressions import DIMENSIONS, PERIODS, TABLE
from .files import ExportedFiles
from .results import FLOAT_SUFFIX, to_frame

if TYPE_CHECKING:
    import pyarrow.dataset

__all__ = ["FLOAT_SUFFIX", "Review"]

# The tags `convoi_nb.experiments` puts on each call it makes (Experiment.call_metadata).
EXPERIMENT_KEY, VARIANT_KEY = "experiment", "variant"
# The dialects `Review.sql` offers (its name -> sqlglot's): each compiles every query with metadata columns intact.
DIALECTS = {
    "duckdb": "duckdb",
    "spark": "pyspark",
    "pyspark": "pyspark",
    "databricks": "databricks",
    "trino": "trino",
    "snowflake": "snowflake",
}
# Each query's parameters and their defaults (`...`: required).
QUERIES: dict[str, dict[str, Any]] = {
    "cost_by": {"by": ...},
    "top_calls": {"n": 10},
    "variant_rates": {"experiment": None},
    "period_change": {"period": "week"},
}
MAX_ROWS = 2**63 - 1  # the largest LIMIT DuckDB and Spark take (BIGINT)
_WHAT = "review query"


class Review:
    """The cost questions over the files of `client.export_calls(path)`; each method returns a pandas DataFrame.

    `Review(path)` runs them on embedded DuckDB; `Review(path, backend=spark)` asks the same questions on a PySpark
    session (the `spark` extra); `review.sql(name, dialect=...)` gives the SQL of each for another engine.

    Args:
        path: An export folder written by `client.export_calls(path)`.
        backend: The engine: None or `"duckdb"` (embedded DuckDB), a PySpark `SparkSession`, an Ibis pyspark
            backend, or `"spark"` (the active Spark session, or a new local one). Spark's session time zone is
            set to UTC (each call's day is its UTC day).

    Raises:
        ValidationError: `path` is not a path, or `backend` is none of these.
        ConfigurationError: The engine is not installed (the message names the extra) or does not start.
        DatasetError: It is no export folder, holds no calls, its files disagree with its manifest, or the engine
            cannot read them (the engine's message, without a JVM stack trace).

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.review import Review
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> for source in ("web", "web", "app"):
        ...     _ = client.create_web_call(agent.id, metadata={"source": source, "batch": "review-example"})
        >>> _ = client.export_calls("calls", metadata={"batch": "review-example"})
        >>> review = Review("calls")
        >>> review.cost_by("metadata.source")[["calls", "currency"]]
                         calls currency
        metadata.source
        web                  2      USD
        app                  1      USD
        >>> review.cost_by("agent", "day")["calls"].sum()  # two dimensions: one row per agent and UTC day
        np.int64(3)
        >>> print(review.sql("cost_by", by="day", dialect="spark"))  # the same question for Spark  # doctest: +ELLIPSIS
        SELECT ...
    """

    def __init__(self, path: str | os.PathLike[str], *, backend: Any = None) -> None:
        self._db: duckdb.DuckDBPyConnection | None = None
        self._files: ExportedFiles | None = None
        self._compiled: dict[tuple[str, str], str] = {}
        self.path: Path | None = None
        session = _spark_session(backend)  # the argument checked before the folder is read
        files = ExportedFiles.read(path)
        self.path = files.root
        if files.manifest.pending is not None:  # still answerable, but not about every call: say so once
            warnings.warn(
                f"the last export into {self.path} did not finish; run client.export_calls() on it again to "
                "complete it",
                stacklevel=2,
            )
        self._files = files
        if session is None:
            self._db = duck.connect(files)
            # The view's schema alone (no Ibis backend: binding one costs ~50 ms a review); the queries run as SQL
            # compiled from it, and `expression()` binds the backend when asked.
            self._table = ibis.table(duck.schema(files), name=TABLE)
            self.engine = "duckdb"
        else:
            _, self._table = spark.calls_table(session, list(files.files.values()))
            self.engine = "pyspark"
        self.metadata_keys = tuple(sorted(files.manifest.metadata_kinds))
        self._open = True

    @classmethod
    def from_table(cls, table: ir.Table) -> Review:
        """The review over an Ibis table of exported calls that you already have (a warehouse's, reviewed in place).

        The table has the export's columns (`id`, `agent_id`, `status`, `created_at`, `duration_seconds`,
        `cost_amount`, `cost_currency`, `metadata` and any `metadata.<key>` columns); `day` is derived from
        `created_at` when the table has none (in the engine's session time zone: keep it UTC).

        Args:
            table: The Ibis table.

        Returns:
            The review, answered by the table's own engine.

        Raises:
            ValidationError: `table` is not an Ibis table, or lacks a column the queries read.
        """
        if not isinstance(table, ir.Table):
            raise ValidationError.of_field(_WHAT, "table", f"must be an Ibis table (got {type(table).__name__})")
        needed = ["id", "agent_id", "status", "created_at", "duration_seconds", "cost_amount", "cost_currency"]
        missing = [name for name in [*needed, "metadata"] if name not in table.columns]
        if missing:
            raise ValidationError.of_field(_WHAT, "table", f"has no column {', '.join(missing)} (an export's columns)")
        if "day" not in table.columns:
            table = table.mutate(day=table.created_at.date())
        review = cls.__new__(cls)
        review._db, review._files, review._compiled = None, None, {}
        review.path = None
        review._table = table
        review.engine = _engine_of(table)
        keys = [name[len(METADATA_PREFIX) :] for name in table.columns if name.startswith(METADATA_PREFIX)]
        review.metadata_keys = tuple(sorted(keys))
        review._open = True
        return review

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

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.review import Review
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> for source in ("web", "web", "app"):
            ...     _ = client.create_web_call(agent.id, metadata={"source": source, "batch": "review-example"})
            >>> _ = client.export_calls("calls", metadata={"batch": "review-example"})
            >>> review = Review("calls")
            >>> review.cost_by("metadata.source")[["calls", "currency"]]
                             calls currency
            metadata.source
            web                  2      USD
            app                  1      USD
        """
        keys = [*_key_list(by), *more]
        frame = self._answer("cost_by", by=keys)
        return frame.set_index(keys if len(keys) > 1 else keys[0])

    def top_calls(self, n: int = 10) -> pd.DataFrame:
        """The `n` most expensive calls.

        Args:
            n: How many (a positive integer).

        Returns:
            One row per call, most expensive first.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.review import Review
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> for source in ("web", "web", "app"):
            ...     _ = client.create_web_call(agent.id, metadata={"source": source, "batch": "review-example"})
            >>> _ = client.export_calls("calls", metadata={"batch": "review-example"})
            >>> review = Review("calls")
            >>> top = review.top_calls(2)
            >>> len(top), bool(top["cost_amount_float"].is_monotonic_decreasing)
            (2, True)
        """
        return self._answer("top_calls", n=n)

    def variant_rates(self, experiment: str | None = None) -> pd.DataFrame:
        """Cost per minute by experiment and variant, for the calls that `convoi_nb.experiments` tagged.

        A grid variant's name tells its model and voice.

        Args:
            experiment: Only this experiment's calls (all tagged calls when None).

        Returns:
            One row per experiment, variant and currency, with `calls` and `ended` as integers.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.experiments import Experiment, Variant
            >>> from convoi_nb.review import Review
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> speeds = Variant.grid(axes={"tts.speed": [1.0, 1.3]})
            >>> experiment = Experiment("rates-example", agent.id, speeds, replicates=2, store=":memory:")
            >>> _ = experiment.run(client, progress=False)
            >>> _ = client.export_calls("calls", metadata={"experiment": "rates-example"})
            >>> rates = Review("calls").variant_rates("rates-example")
            >>> sorted(zip(rates["variant"], rates["calls"].tolist()))
            [('speed=1.0', 2), ('speed=1.3', 2)]
        """
        return self._answer("variant_rates", experiment=experiment)

    def period_change(self, period: str = "week") -> pd.DataFrame:
        """Calls, cost and minutes per period, with the change from the period before.

        Args:
            period: `day`, `week` or `month`.

        Returns:
            One row per period and currency.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.review import Review
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> for source in ("web", "web", "app"):
            ...     _ = client.create_web_call(agent.id, metadata={"source": source, "batch": "review-example"})
            >>> _ = client.export_calls("calls", metadata={"batch": "review-example"})
            >>> review = Review("calls")
            >>> review.period_change("week")[["calls", "currency"]]  # one row per week, with the change from the last
               calls currency
            0      3      USD
        """
        return self._answer("period_change", period=period)

    # -- SQL ---------------------------------------------------------------------------------------------

    def expression(self, name: str, **params: Any) -> ir.Table:
        """A review query as an Ibis expression over this review's table, to refine or run yourself.

        The keyword arguments are the query's parameters, as its method takes them (`by`, `n`, `experiment`,
        `period`).

        Args:
            name: `cost_by`, `top_calls`, `variant_rates` or `period_change`.

        Returns:
            The expression.

        Raises:
            ValidationError: An unknown query or parameter, a missing or invalid parameter.
        """
        self._check_open()
        table = self._table
        if self._db is not None:  # bound to this review's DuckDB connection, so the expression runs
            table = ibis.duckdb.from_connection(self._db).table(TABLE)
        return self._build(name, table, params)

    def sql(self, name: str, *, dialect: str | None = None, **params: Any) -> str:
        """The SQL text of a review query over a table `calls` (with a `day` column), compiled by Ibis.

        The keyword arguments are the query's parameters, as its method takes them (`by`, `n`, `experiment`,
        `period`). Each string parameter is a literal the compiler quotes for the dialect, never spliced text.

        Args:
            name: `cost_by`, `top_calls`, `variant_rates` or `period_change`.
            dialect: `duckdb`, `spark` (or `pyspark`), `databricks`, `trino` or `snowflake`; None for the
                review's own engine.

        Returns:
            The SQL text.

        Raises:
            ValidationError: An unknown query, dialect or parameter, a missing or invalid parameter.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.review import Review
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> for source in ("web", "web", "app"):
            ...     _ = client.create_web_call(agent.id, metadata={"source": source, "batch": "review-example"})
            >>> _ = client.export_calls("calls", metadata={"batch": "review-example"})
            >>> review = Review("calls")
            >>> print(review.sql("top_calls", n=5, dialect="duckdb"))
            SELECT
            ...
            LIMIT 5
        """
        chosen = self.engine if dialect is None else dialect
        if not isinstance(chosen, str) or chosen not in DIALECTS:
            raise ValidationError.of_field(_WHAT, "dialect", f"must be one of {', '.join(DIALECTS)} (got {dialect!r})")
        if DIALECTS[chosen] in ("pyspark", "databricks"):
            expressions.allow_spark_sql_without_pyspark()
        unbound = ibis.table(self._table.schema(), name=TABLE)
        return str(ibis.to_sql(self._build(name, unbound, params), dialect=DIALECTS[chosen]))

    def _build(self, name: str, calls: ir.Table, params: dict[str, Any]) -> ir.Table:
        """The expression of query `name` over `calls`, its parameters checked."""
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
            return expressions.cost_by(calls, [(key, self._dimension(key, keys)) for key in keys])
        if name == "top_calls":
            n = values["n"]
            if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_ROWS:
                raise ValidationError.of_field(_WHAT, "n", f"must be an integer from 1 to 2**63 - 1 (got {n!r})")
            return expressions.top_calls(calls, n)
        if name == "variant_rates":
            experiment = values["experiment"]
            if experiment is not None and not isinstance(experiment, str):
                raise ValidationError.of_field(_WHAT, "experiment", f"must be a name or None (got {experiment!r})")
            tag = self._metadata_column(EXPERIMENT_KEY, "experiment")
            return expressions.variant_rates(calls, tag, self._metadata_column(VARIANT_KEY, "experiment"), experiment)
        period = values["period"]
        if not isinstance(period, str) or period not in PERIODS:
            raise ValidationError.of_field(_WHAT, "period", f"must be one of {', '.join(PERIODS)} (got {period!r})")
        return expressions.period_change(calls, period)

    def _answer(self, name: str, **params: Any) -> pd.DataFrame:
        """Run a review query on the review's engine (on DuckDB, its compiled SQL, cached by its parameters)."""
        self._check_open()
        if self._db is None:
            expression = self._build(name, self._table, params)
            return to_frame(self._engine_call(expression.to_pyarrow))
        key = (name, repr(sorted(params.items())))
        text = self._compiled.get(key)
        if text is None:
            text = self._compiled[key] = self.sql(name, dialect="duckdb", **params)
        return self._run(text)

    def _engine_call(self, run: Callable[[], pa.Table]) -> pa.Table:
        try:
            return run()
        except Exception as exc:  # the engine's own errors (Spark's carry the JVM's stack trace): its message
            raise DatasetError(
                f"{self.engine} could not answer the review query: {spark.engine_message(exc)}"
            ) from None

    def query(self, text: str) -> pd.DataFrame:
        """Any query over the table `calls`, as a DataFrame (embedded DuckDB only).

        One statement that reads: `SELECT`, `WITH … SELECT`, `FROM calls …`, `DESCRIBE`, `SUMMARIZE`, `PIVOT … IN
        (…)`. A statement that would change the review's view of its files (DROP, CREATE, ALTER, INSERT, SET,
        ATTACH, COPY, EXPLAIN ANALYZE, …) is refused before it runs: DuckDB's own parser names its kind. On
        another engine, refine `review.expression(...)` with Ibis, or use that engine's own SQL.

        DECIMAL columns come back as exact Decimals (money), each followed by its `<name>_float` twin for plotting
        (unless your SQL already has a column of that name), or, with no decimal places, as integers (counts);
        integer columns as pandas' nullable `Int64`.

        Args:
            text: The SQL.

        Returns:
            The result.

        Raises:
            ValidationError: The SQL is not text, not one reading statement, or DuckDB refused it; the message is
                DuckDB's (a file your SQL names that cannot be read included); or this review is not on DuckDB.
            DatasetError: The review is closed, or one of its own files changed since it was opened.

        Examples:
            >>> import convoi_nb
            >>> from convoi_nb.review import Review
            >>> client = convoi_nb.connect()
            >>> agent = client.list_agents()[0]
            >>> for source in ("web", "web", "app"):
            ...     _ = client.create_web_call(agent.id, metadata={"source": source, "batch": "review-example"})
            >>> _ = client.export_calls("calls", metadata={"batch": "review-example"})
            >>> review = Review("calls")
            >>> review.query("SELECT count(*) AS n FROM calls")
               n
            0  3
        """
        if not isinstance(text, str):
            raise ValidationError.of_field(_WHAT, "text", f"must be SQL text (got {text!r})")
        self._check_open()
        if self._db is None:
            raise ValidationError.of_field(
                _WHAT,
                "text",
                f"query() runs SQL on embedded DuckDB; this review runs on {self.engine}: refine "
                "review.expression(...) with Ibis, or run review.sql(...) on that engine",
            )
        duck.check_reads_only(text)
        return self._run(text, yours=True)

    def _check_open(self) -> None:
        if not self._open:
            raise DatasetError(f"this review of {self.path} is closed; open another with Review(path)")

    def _run(self, text: str, *, yours: bool = False) -> pd.DataFrame:
        """Run SQL on DuckDB: a failure is the user's SQL (`yours`) or its files changing."""
        assert self._db is not None  # only reviews on DuckDB run SQL text
        try:
            relation: Any = self._db.sql(text)  # None for a statement without a result
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
        return to_frame(table)

    def _names_own_file(self, error: duckdb.Error) -> bool:
        message = str(error)
        return self._files is not None and any(str(path) in message for path in self._files.files.values())

    def _dimension(self, key: Any, keys: list[Any]) -> str:
        """The column of one `cost_by` dimension (`keys`: all of them, to name a repeated one)."""
        if not isinstance(key, str):
            raise ValidationError.of_field(
                _WHAT, "by", f"must be a dimension name or a list of them (got {key!r} in {keys!r})"
            )
        if keys.count(key) > 1:
            raise ValidationError.of_field(_WHAT, "by", f"names {key!r} more than once ({keys!r})")
        if key in DIMENSIONS:
            return DIMENSIONS[key]
        if key.startswith(METADATA_PREFIX):
            return self._metadata_column(key[len(METADATA_PREFIX) :], "by")
        known = ", ".join([*DIMENSIONS, *(METADATA_PREFIX + k for k in self.metadata_keys)])
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

        Raises:
            DatasetError: This review was made from a table, not from an export folder.
        """
        if self._files is None:
            raise DatasetError("this review was made from a table (Review.from_table), not from an export folder")
        return self._files.arrow()

    def close(self) -> None:
        """Close DuckDB's connection (idempotent); a Spark session stays the caller's to stop."""
        if self._db is not None:
            self._db.close()
            self._db = None
        self._open = False

    def __enter__(self) -> Review:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = repr(str(self.path)) if self.path is not None else "from a table"
        return f"Review({where}, engine: {self.engine}, metadata keys: {', '.join(self.metadata_keys) or 'none'})"


def _spark_session(backend: Any) -> Any:
    """The Spark session `backend` names, or None for embedded DuckDB."""
    if backend is None or (isinstance(backend, str) and backend == "duckdb"):
        return None
    if isinstance(backend, str) and backend == "spark":
        return spark.local_session()
    if spark.is_spark_session(backend):
        return backend
    if getattr(backend, "name", None) == "pyspark" and hasattr(backend, "_session"):  # an Ibis pyspark backend
        return backend._session
    raise ValidationError.of_field(
        _WHAT,
        "backend",
        "must be None or 'duckdb' (embedded DuckDB), 'spark', a PySpark SparkSession or an Ibis pyspark backend "
        f"(got {type(backend).__name__}); for a table you already have, use Review.from_table(table)",
    )


def _engine_of(table: ir.Table) -> str:
    """The name of the Ibis backend a table lives in (`duckdb` for an unbound table's SQL)."""
    try:
        return str(table.get_backend().name)
    except Exception:  # an unbound table has no backend (Ibis raises its own error)
        return "duckdb"


def _key_list(by: Any) -> list[Any]:
    """`cost_by`'s dimensions as a list: one name, or a list or tuple of them (each checked by `_dimension`)."""
    keys = [by] if isinstance(by, str) else list(by) if isinstance(by, (list, tuple)) else None
    if not keys:
        raise ValidationError.of_field(
            _WHAT, "by", f"must be a dimension name or a non-empty list of them, e.g. ['agent', 'week'] (got {by!r})"
        )
    return keys
