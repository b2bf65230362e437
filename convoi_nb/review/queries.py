"""`Review(path)`: the cost questions over an exported dataset, answered by DuckDB as pandas frames.

Totals come back as exact `Decimal`s (DuckDB's DECIMAL through Arrow, never a float), per currency; days and
weeks as dates. `review.sql(...)` is the text of each query, to run on Spark or Trino over the same files.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import DatasetError, ValidationError
from ..frames import METADATA_PREFIX
from . import sql
from .files import FILE_NAME, arrow_dataset, data_files
from .manifest import Manifest

if TYPE_CHECKING:
    import pyarrow.dataset

# The tags `convoi_nb.experiments` puts on each call it makes (Experiment.call_metadata).
EXPERIMENT_KEY, VARIANT_KEY = "experiment", "variant"
DIALECT_QUOTES = {"standard": '"', "duckdb": '"', "trino": '"', "spark": "`"}


class Review:
    """DuckDB over the files of `client.export_calls(path)`; each method returns a pandas DataFrame.

    >>> review = Review("calls")
    >>> review.cost_by("agent"); review.cost_by("week"); review.cost_by("metadata.source")
    >>> review.top_calls(10); review.variant_rates(); review.period_change("week")
    >>> print(review.sql("cost_by", by="day", dialect="spark"))
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        manifest = Manifest.load(self.path) if self.path.is_dir() else None
        if manifest is None:
            raise DatasetError(
                f"{self.path} is not an export folder (no _manifest.json); make one with client.export_calls(path)"
            )
        if not manifest.days:
            raise DatasetError(f"{self.path} holds no calls yet")
        if manifest.pending is not None:  # still answerable, but not about every call: say so once
            warnings.warn(
                f"the last export into {self.path} did not finish; run client.export_calls() on it "
                "again to complete it",
                stacklevel=2,
            )
        self.metadata_keys = tuple(sorted(manifest.metadata_kinds))
        self._db = duckdb.connect()
        self._db.execute("SET TimeZone = 'UTC'")  # timestamps and days in UTC, as the files' days are
        self._db.execute("SET parquet_metadata_cache = true")  # each file's footer read once, not per query
        files = sql.literal((self.path / "day=*" / FILE_NAME).as_posix())
        # A day without some metadata key reads it as NULL (union_by_name), a cost of ~8 ms a query on 90 files
        # that only datasets whose days differ in columns pay. The `day` folder names are DATEs.
        union = "true" if _schemas_differ(data_files(self.path)) else "false"
        self._db.execute(
            f"CREATE VIEW {sql.TABLE} AS SELECT * FROM read_parquet({files}, hive_partitioning = true, "
            f"union_by_name = {union}, hive_types = {{'day': DATE}})"
        )

    # -- the questions -------------------------------------------------------------------------------------

    def cost_by(self, by: str) -> pd.DataFrame:
        """Calls, total cost, minutes and cost per minute for each agent, day, week, month, status or
        `metadata.<key>` value (per currency), indexed by it.
        """
        return self.query(self.sql("cost_by", by=by)).set_index(by)

    def top_calls(self, n: int = 10) -> pd.DataFrame:
        """The `n` most expensive calls."""
        return self.query(self.sql("top_calls", n=n))

    def variant_rates(self, experiment: str | None = None) -> pd.DataFrame:
        """Cost per minute by experiment and variant (a grid variant's name tells its model and voice), for the
        calls that `convoi_nb.experiments` tagged.
        """
        return self.query(self.sql("variant_rates", experiment=experiment))

    def period_change(self, period: str = "week") -> pd.DataFrame:
        """Calls, cost and minutes per day, week or month, with the change from the period before."""
        return self.query(self.sql("period_change", period=period))

    # -- SQL ---------------------------------------------------------------------------------------------

    def sql(self, name: str, *, dialect: str = "standard", **params: Any) -> str:
        """The SQL text of a review query over a table `calls` (`cost_by`, `top_calls`, `variant_rates`,
        `period_change`; same parameters as the methods). `dialect="spark"` quotes names with backticks.
        """
        quote = DIALECT_QUOTES.get(dialect)
        if quote is None:
            raise ValidationError.of_field(
                "review query", "dialect", f"must be one of {', '.join(DIALECT_QUOTES)} (got {dialect!r})"
            )
        if name == "cost_by":
            by = params["by"]
            return sql.cost_by(by, self._dimension(by, quote), quote=quote)
        if name == "top_calls":
            n = params.get("n", 10)
            if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                raise ValidationError.of_field("review query", "n", f"must be a positive integer (got {n!r})")
            return sql.top_calls(n, quote=quote)
        if name == "variant_rates":
            for key in (EXPERIMENT_KEY, VARIANT_KEY):
                self._metadata_column(key, "experiment")
            return sql.variant_rates(
                METADATA_PREFIX + EXPERIMENT_KEY, METADATA_PREFIX + VARIANT_KEY, params.get("experiment"), quote=quote
            )
        if name == "period_change":
            period = params.get("period", "week")
            if period not in sql.PERIODS:
                raise ValidationError.of_field(
                    "review query", "period", f"must be one of {', '.join(sql.PERIODS)} (got {period!r})"
                )
            return sql.period_change(period, quote=quote)
        raise ValidationError.of_field(
            "review query", "name", f"must be cost_by, top_calls, variant_rates or period_change (got {name!r})"
        )

    def query(self, text: str) -> pd.DataFrame:
        """Any SQL over the table `calls`, as a DataFrame (DECIMAL columns as exact Decimals)."""
        relation = self._db.sql(text)
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow  # duckdb 2 / duckdb 1
        table = fetch()
        frame = table.to_pandas()
        for field in table.schema:
            if pa.types.is_decimal(field.type):
                frame[field.name] = frame[field.name].map(_tidy, na_action="ignore")
        return frame

    def _dimension(self, by: Any, quote: str) -> str:
        if isinstance(by, str) and by in sql.DIMENSIONS:
            return sql.DIMENSIONS[by]
        if isinstance(by, str) and by.startswith(METADATA_PREFIX):
            return sql.quoted(self._metadata_column(by[len(METADATA_PREFIX) :], "by"), quote)
        raise ValidationError.of_field(
            "review query", "by", f"must be one of {', '.join(sql.DIMENSIONS)} or 'metadata.<key>' (got {by!r})"
        )

    def _metadata_column(self, key: str, field: str) -> str:
        if key not in self.metadata_keys:
            known = ", ".join(self.metadata_keys) or "none"
            raise ValidationError.of_field(
                "review query", field, f"no exported call has metadata key {key!r} (keys: {known})"
            )
        return METADATA_PREFIX + key

    def arrow(self) -> pyarrow.dataset.Dataset:
        """The files as one pyarrow dataset (schemas unified), for tools that want Arrow rather than SQL."""
        return arrow_dataset(self.path)

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Review:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Review({str(self.path)!r}, metadata keys: {', '.join(self.metadata_keys) or 'none'})"


def _schemas_differ(files: list[Path]) -> bool:
    first = pq.read_schema(files[0])
    return any(not pq.read_schema(path).equals(first) for path in files[1:])


_CENTS = Decimal("0.01")


def _tidy(amount: Decimal) -> Decimal:
    """The same amount without the column's trailing zeros (2265.150048, not 2265.150048000; 0.00, not 0E-9)."""
    short = amount.normalize()
    return short.quantize(_CENTS) if short.as_tuple().exponent > -2 else short  # type: ignore[operator]
