"""The files of an export as a reader sees them: exactly the day files its manifest lists, checked first.

The files are `day=YYYY-MM-DD/part-0.parquet`, Hive-style, as Spark, Trino and DuckDB read partitions; each is
checked against the manifest (calls, columns and their types, the day its calls were made) before anything reads
it. `arrow_dataset` gives the whole dataset as one Arrow dataset with the files' schemas unified.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from ..errors import DatasetError
from .folder import ExportFolder
from .manifest import Manifest
from .schema import schema_problems

PARTITION = pa.schema([pa.field("day", pa.date32())])


@dataclass(frozen=True)
class ExportedFiles:
    """An export folder's manifest and its day files, checked to agree.

    Attributes:
        root: The folder (resolved).
        manifest: Its validated manifest.
        files: Each listed day's file, by day, oldest first.
        schemas: Each file's Arrow schema, by day.
    """

    root: Path
    manifest: Manifest
    files: dict[str, Path]
    schemas: dict[str, pa.Schema]

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> ExportedFiles:
        """Open an export folder for reading.

        Args:
            path: The export folder.

        Returns:
            Its manifest and files.

        Raises:
            ValidationError: `path` is not a path.
            DatasetError: It is no export folder, holds no calls yet, or its files disagree with its manifest (a
                stray or missing file, a link, other columns or column types, other calls); the message names
                each.
        """
        with ExportFolder.open(path, create=False) as folder:
            manifest = folder.read_manifest()
            if manifest is None:
                raise DatasetError(
                    f"{folder.root} is not an export folder (no _manifest.json); make one with "
                    "client.export_calls(path)"
                )
            folder.check(manifest)
            if not manifest.days:
                raise DatasetError(f"{folder.root} holds no calls yet")
            schemas, problems = {}, []
            for day in sorted(manifest.days):
                footer = folder.day_metadata(day)
                schemas[day] = footer.schema.to_arrow_schema()
                problems += [f"{folder.day_file(day)}: {p}" for p in _file_problems(day, footer, manifest)]
            if problems:
                unfinished = (
                    " (its last export did not finish: run export_calls on it again)" if manifest.pending else ""
                )
                shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
                raise DatasetError(f"{folder.root} does not match its manifest{unfinished}: {shown}")
            return cls(folder.root, manifest, {day: folder.day_file(day) for day in schemas}, schemas)

    def arrow(self) -> ds.Dataset:
        """The files as one Arrow dataset (see `arrow_dataset`).

        Returns:
            The dataset.
        """
        schema = pa.unify_schemas([*self.schemas.values(), PARTITION])
        return ds.dataset(
            [str(path) for path in self.files.values()],
            schema=schema,
            format="parquet",
            partitioning=ds.partitioning(PARTITION, flavor="hive"),
            partition_base_dir=str(self.root),  # only the part below the folder names partitions
        )


def _file_problems(day: str, footer: pq.FileMetaData, manifest: Manifest) -> list[str]:
    problems = schema_problems(footer.schema.to_arrow_schema(), manifest.metadata_kinds)
    if footer.num_rows != manifest.days[day].rows:
        problems.append(f"it holds {footer.num_rows} calls, its manifest says {manifest.days[day].rows}")
    if not problems:  # the calls' creation times, from the footer's statistics: all on this UTC day
        column = footer.schema.names.index("created_at")
        for group in range(footer.num_row_groups):
            stats = footer.row_group(group).column(column).statistics
            if stats is None or not stats.has_min_max:
                return [*problems, "it has no statistics of created_at"]
            days = {stats.min.astimezone(timezone.utc).date(), stats.max.astimezone(timezone.utc).date()}
            if days != {date.fromisoformat(day)}:
                problems.append(f"it holds calls made on {', '.join(sorted(map(str, days)))}, not only {day}")
                break
    return problems


def arrow_dataset(path: str | os.PathLike[str]) -> ds.Dataset:
    """Every day file of an export as one Arrow dataset.

    A metadata key missing from some days reads as null there, and `day` is a date column.
    `.to_table().to_pandas()` gives the whole frame (what `Review` avoids loading).

    Args:
        path: The export folder.

    Returns:
        The dataset, over exactly the files its manifest lists.

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.review import arrow_dataset
        >>> client = convoi_nb.connect()
        >>> _ = client.create_web_call(client.list_agents()[0].id, metadata={"source": "arrow"})
        >>> _ = client.export_calls("calls")
        >>> frame = arrow_dataset("calls").to_table().to_pandas()
        >>> len(frame), "metadata.source" in frame.columns or "metadata" in frame.columns
        (1, True)
    """
    return ExportedFiles.read(path).arrow()
