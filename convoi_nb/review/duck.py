"""The review on embedded DuckDB (the default): a view `calls` over exactly the listed files, and its guards.

DuckDB reads exactly the files the manifest lists, checked first (`files.py`): never a pattern built from the
user's path, and no Hive partitions parsed from it (`day` is each call's UTC day). The review's own queries are
Ibis expressions compiled to DuckDB SQL and run on this connection; `Review.query()` runs your SQL here, after
checking it only reads.
"""

from __future__ import annotations

import re

import duckdb
import ibis
import pyarrow as pa

from ..errors import DatasetError, ValidationError
from .expressions import TABLE
from .files import ExportedFiles

# Each call's UTC day, by arithmetic on its microseconds since the epoch: as fast as a Hive partition column, where
# CAST(created_at AS DATE) goes through the time zone library row by row (a quarter slower per query).
_UTC_DAY = "DATE '1970-01-01' + CAST(epoch_us(created_at) // 86400000000 AS INTEGER)"
_WHAT = "review query"


def connect(files: ExportedFiles) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding the view `calls` (with `day`) over the export's files.

    Args:
        files: The export's checked files.

    Returns:
        The connection.

    Raises:
        DatasetError: DuckDB cannot read the files (one changed between the check and the read).
    """
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")  # timestamps and days in UTC, as the files' days are
    db.execute("SET parquet_metadata_cache = true")  # each file's footer read once, not per query
    # Each path is a bound parameter, never SQL text: `?` takes a list of strings.
    listed = [_glob_escaped(str(file)) for file in files.files.values()]
    # A day without some metadata key reads it as NULL (union_by_name), a cost of ~8 ms a query on 90 files
    # that only datasets whose days differ in columns pay.
    schemas = list(files.schemas.values())
    union = any(not schema.equals(schemas[0]) for schema in schemas[1:])
    try:
        relation = db.read_parquet(listed, hive_partitioning=False, union_by_name=union)
        relation.project(f"*, {_UTC_DAY} AS day").create_view(TABLE)
    except duckdb.Error as exc:  # a file changed between the check and DuckDB's read
        db.close()
        raise DatasetError(f"cannot read the files of {files.root}: {exc}") from None
    return db


def schema(files: ExportedFiles) -> ibis.Schema:
    """The columns of the view `calls`, as Ibis types: the files' schemas (already read) unified, and `day`.

    No query, so opening a review costs no extra pass over the files' footers.

    Args:
        files: The export's checked files.

    Returns:
        The schema.
    """
    unified = pa.unify_schemas(list(files.schemas.values()))
    return ibis.Schema.from_pyarrow(unified.append(pa.field("day", pa.date32())))


def check_reads_only(text: str) -> None:
    """Refuse, before it runs, SQL that is not exactly one statement that reads.

    Not a transaction rolled back: SET, ATTACH and COPY are not undone by one. Not EXPLAIN: EXPLAIN ANALYZE runs
    the statement it explains, whatever it is.

    Args:
        text: The SQL.

    Raises:
        ValidationError: It is not exactly one statement that reads; the message names its kind.
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
