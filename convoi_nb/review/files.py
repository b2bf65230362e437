"""Where an export's files live (`day=YYYY-MM-DD/part-0.parquet` under the folder, Hive-style, as Spark, Trino
and DuckDB read partitions), and the whole dataset as one Arrow dataset with the files' schemas unified.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

FILE_NAME = "part-0.parquet"
PARTITION = pa.schema([pa.field("day", pa.date32())])


def day_folder(root: Path, day: str) -> Path:
    return root / f"day={day}"


def data_files(root: Path) -> list[Path]:
    return sorted(root.glob(f"day=*/{FILE_NAME}"))


def arrow_dataset(root: Path) -> ds.Dataset:
    """Every day's file as one dataset: a metadata key missing from some days reads as null there, and `day`
    is a date column. `.to_table().to_pandas()` gives the whole frame (what `Review` avoids loading).
    """
    files = data_files(Path(root))
    schema = pa.unify_schemas([pq.read_schema(path) for path in files] + [PARTITION])
    return ds.dataset(
        [str(path) for path in files],
        schema=schema,
        format="parquet",
        partitioning=ds.partitioning(PARTITION, flavor="hive"),
        partition_base_dir=str(root),
    )
