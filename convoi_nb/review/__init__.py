"""Cost review at account scale: `client.export_calls(path)` streams calls into a Parquet dataset (one file per
day), `Review(path)` answers cost questions over it with DuckDB, as pandas frames; `Review.sql(...)` gives the
standard SQL text, which Spark or Trino run over the same files.

Imports the client, models and frames; never widgets, experiments or the sandbox.
"""

from .export import ExportSummary, aexport_calls, export_calls
from .files import arrow_dataset
from .queries import Review

__all__ = ["ExportSummary", "Review", "aexport_calls", "arrow_dataset", "export_calls"]
