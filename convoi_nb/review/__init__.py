"""Cost review at account scale.

`client.export_calls(path)` streams calls into a Parquet dataset (one file per day); `Review(path)` answers cost
questions over it as pandas frames, on embedded DuckDB by default or on Spark (`Review(path, backend=spark)`, the
`spark` extra), with the queries written once in Ibis; `Review.sql(...)` gives their SQL for a dialect. Needs the
`review` extra: `pip install "convoi_nb[review]"`.

Imports the client, models and frames; never widgets, experiments or the sandbox.
"""

from ._extras import require_extras

require_extras()  # before anything imports duckdb or pyarrow: a missing one is a ConfigurationError, not a trace

from .export import ExportSummary, aexport_calls, export_calls  # noqa: E402
from .files import arrow_dataset  # noqa: E402
from .queries import Review  # noqa: E402

__all__ = ["ExportSummary", "Review", "aexport_calls", "arrow_dataset", "export_calls"]
