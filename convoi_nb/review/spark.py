"""The review on Spark: the export's files as a Spark table, behind an Ibis pyspark backend.

Needs the `spark` extra (`pip install "convoi_nb[spark]"`) and Java 17 or later. The session reads exactly the files
the manifest lists (checked first, as for DuckDB), so a cluster's session must see the folder at the same path
(a shared file system). Spark's session time zone is set to UTC, deliberately and for the whole session: each
call's `day` is its UTC day, and timestamps come back in UTC (Ibis' pyspark backend sets it too when it connects).
A failure inside Spark is a `DatasetError` carrying Spark's own message, without the JVM's stack trace.
"""

from __future__ import annotations

import importlib
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ibis.expr.types as ir

from ..errors import ConfigurationError, DatasetError
from .expressions import TABLE

SPARK_EXTRA = 'pip install "convoi_nb[spark]"'
_VIEWS = itertools.count()


def import_pyspark() -> Any:
    """`pyspark.sql`, or say how to install it.

    Returns:
        The module.

    Raises:
        ConfigurationError: pyspark (or Ibis' pyspark backend) is not installed; the message names the extra.
    """
    try:
        module = importlib.import_module("pyspark.sql")
        importlib.import_module("ibis.backends.pyspark")
    except ImportError as exc:
        raise ConfigurationError(
            f"the review on Spark needs pyspark, which is not installed ({exc}): {SPARK_EXTRA} (and Java 17+)"
        ) from None
    return module


def local_session() -> Any:
    """The active Spark session, or a new local one (`local[*]`).

    Returns:
        The session.

    Raises:
        ConfigurationError: pyspark is not installed, or Spark cannot start (no Java, most often).
    """
    sql = import_pyspark()
    try:
        return sql.SparkSession.builder.master("local[*]").appName("convoi_nb review").getOrCreate()
    except Exception as exc:  # pyspark raises its own errors, py4j's or OSError when Java is missing
        raise ConfigurationError(f"Spark did not start (is Java 17+ installed?): {engine_message(exc)}") from None


def is_spark_session(backend: object) -> bool:
    """Whether `backend` is a PySpark session (without importing pyspark when it is not installed).

    Args:
        backend: What the user passed.

    Returns:
        True for a `pyspark.sql.SparkSession`.
    """
    return any(cls.__module__.startswith("pyspark.") and cls.__name__ == "SparkSession" for cls in type(backend).mro())


def calls_table(session: Any, files: Sequence[Path]) -> tuple[Any, ir.Table]:
    """The listed files as one Spark table, with each call's UTC `day`, seen through Ibis.

    Args:
        session: A PySpark session.
        files: The export's day files (checked against its manifest).

    Returns:
        The Ibis pyspark backend and the table of calls.

    Raises:
        DatasetError: Spark cannot read the files; the message is Spark's, without the JVM's stack trace.
    """
    import ibis

    import_pyspark()
    functions = importlib.import_module("pyspark.sql.functions")
    try:
        session.conf.set("spark.sql.session.timeZone", "UTC")
        frame = session.read.option("mergeSchema", "true").parquet(*(str(path) for path in files))
        frame = frame.withColumn("day", functions.to_date(frame["created_at"]))
        name = f"convoi_nb_{TABLE}_{next(_VIEWS)}"
        frame.createOrReplaceTempView(name)
        backend = ibis.pyspark.connect(session)
        session.conf.set("spark.sql.session.timeZone", "UTC")  # whatever connect() set: days are UTC days
        return backend, backend.table(name)
    except Exception as exc:  # AnalysisException, SparkException, Py4JJavaError: all carry the JVM's trace
        raise DatasetError(f"Spark cannot read the files of {files[0].parent.parent}: {engine_message(exc)}") from None


def engine_message(error: BaseException) -> str:
    """An engine's error as its message alone: the first paragraph, without a JVM stack trace.

    Args:
        error: The engine's exception.

    Returns:
        The message.
    """
    text = str(error).strip() or type(error).__name__
    for marker in ("\n\nJVM stacktrace:", "\n\tat ", "\nJVM stacktrace:", "\n: "):
        text = text.split(marker, 1)[0]
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("at ")]
    return " ".join(line.strip() for line in lines[:6])
