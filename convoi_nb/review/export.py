"""`client.export_calls(path, **filters)`: the paginated listing, streamed into a Parquet dataset, one file per
day (`day=YYYY-MM-DD/part-0.parquet`, UTC days), resumable and incremental.

How a run stays exact when it is killed and run again:
- the listing is newest first, so the calls of one day arrive together; a day is written whole (to a temporary
  file renamed into place), and only then does the manifest record it (its last call as the cursor, the day as
  the last written), atomically as well;
- a run that was interrupted resumes with `created_before` = the start of the last day it wrote: no call of a
  written day is listed twice, no call below it is skipped; a day half-listed when the kill came is listed
  again from its first call and its file rewritten whole, so a re-run writes the very same files;
- a later run lists again from the start of the oldest day that still had calls in flight (or of the newest
  day, which may have gained calls) and rewrites those days: new calls are added, finished calls refreshed;
- every file types a metadata key alike: when a day brings a kind of value that changes a key's type (an
  integer key meeting a string, say), the files holding that key are rebuilt from their `metadata` JSON.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime, time, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq
from typing_extensions import Unpack

from .._client_protocols import AsyncCallLister as AsyncConvoiClient  # the client imports this module
from .._client_protocols import CallLister as ConvoiClient
from ..errors import DatasetError
from ..frames import METADATA_PREFIX, metadata_dtype
from ..models import Call, ListCallsParams
from .files import FILE_NAME, day_folder
from .manifest import NAME as MANIFEST
from .manifest import Manifest, account_fingerprint
from .schema import BASE_SCHEMA, base_table, call_row, decoded_metadata, kinds_of, normalized, with_metadata_columns

if TYPE_CHECKING:
    import pyarrow as pa

PathLike = str | Path


@dataclass(frozen=True)
class ExportSummary:
    """What one `export_calls` run did."""

    path: Path
    calls: int  # calls listed and written by this run
    days_written: tuple[str, ...]  # days (re)written, newest first (with those of the run it resumed)
    days_removed: tuple[str, ...]  # days that no longer had any call
    total_calls: int  # rows in the dataset now
    resumed: bool  # this run finished an interrupted one


@dataclass
class _Export:
    """The listing-independent part of an export, shared by the sync and async faces."""

    root: Path
    manifest: Manifest
    window: dict[str, Any]  # created_after / created_before for this run's listing
    user_filters: dict[str, Any]
    resumed: bool
    _day: str | None = None
    _rows: list[tuple[Any, ...]] = field(default_factory=list)
    _in_flight: int = 0
    _calls: int = 0

    @classmethod
    def open(cls, client: ConvoiClient | AsyncConvoiClient, path: PathLike, filters: dict[str, Any]) -> _Export:
        valid = dict(client._core.list_filters(filters))  # a bad filter fails here, before any file is touched
        root = _folder(Path(path))
        wanted = Manifest(
            server=client.base_url,
            account=account_fingerprint(client._core.config.api_key.get_secret_value()),
            filters=_canonical(valid),
        )
        manifest = Manifest.load(root)
        if manifest is None:
            manifest = wanted
        else:
            manifest.check_same_source(wanted, root)
        resumed = manifest.pending is not None
        if not resumed:
            manifest.pending = {"created_after": _refresh_from(manifest), "written": []}
            manifest.save(root)
        window = {
            "created_after": _later(valid.get("created_after"), manifest.pending["created_after"]),
            "created_before": _earlier(valid.get("created_before"), _start_of(manifest.pending.get("last_day"))),
        }
        return cls(root, manifest, window, valid, resumed)

    def listing_filters(self) -> dict[str, Any]:
        return {**self.user_filters, **{k: v for k, v in self.window.items() if v is not None}}

    def add(self, call: Call) -> None:
        day = call.created_at.astimezone(timezone.utc).date().isoformat()
        if day != self._day:
            if self._day is not None and (day > self._day or day in self.manifest.pending["written"]):
                raise DatasetError(
                    f"the listing went back to day {day} after day {self._day} (call {call.id}): "
                    "calls must come newest first; the export stopped and resumes on the next run"
                )
            self._flush()
            self._day = day
        self._rows.append(call_row(call))
        self._in_flight += not call.is_terminal
        self._calls += 1

    def finish(self) -> ExportSummary:
        self._flush()
        pending = self.manifest.pending
        after = pending["created_after"]
        stale = sorted(
            day for day in self.manifest.days if (after is None or day >= after[:10]) and day not in pending["written"]
        )
        for day in stale:  # listed again and found empty: the day's calls are gone (or filtered out now)
            shutil.rmtree(day_folder(self.root, day), ignore_errors=True)
            del self.manifest.days[day]
        self.manifest.pending = None
        self.manifest.save(self.root)
        return ExportSummary(
            self.root,
            self._calls,
            tuple(pending["written"]),
            tuple(stale),
            sum(day["rows"] for day in self.manifest.days.values()),
            self.resumed,
        )

    def _flush(self) -> None:
        if self._day is None or not self._rows:
            return
        base = base_table(self._rows)
        decoded = decoded_metadata(base)
        kinds = {key: set(values) for key, values in self.manifest.metadata_kinds.items()}
        widened = []
        for key, found in kinds_of(decoded).items():
            before = kinds.setdefault(key, set())
            if before and metadata_dtype(before | found) != metadata_dtype(before):
                widened.append(key)
            before |= found
        merged = {key: sorted(values) for key, values in sorted(kinds.items())}
        if widened:
            self._retype(widened, merged)
        _write(day_folder(self.root, self._day), with_metadata_columns(base, decoded, merged))
        manifest, pending = self.manifest, self.manifest.pending
        manifest.metadata_kinds = merged
        manifest.days[self._day] = {"rows": len(self._rows), "in_flight": self._in_flight}
        manifest.cursor, manifest.last_day = self._rows[-1][0], self._day  # the listing's last call of the day
        pending["written"].append(self._day)
        pending["last_day"] = self._day
        manifest.save(self.root)
        self._rows, self._in_flight = [], 0

    def _retype(self, keys: list[str], kinds: dict[str, list[str]]) -> None:
        """Rebuild the files that hold any of `keys`, typing every metadata column by the widened kinds."""
        columns = {METADATA_PREFIX + key for key in keys}
        for day in sorted(self.manifest.days):
            folder = day_folder(self.root, day)
            if day == self._day or not columns & set(pq.read_schema(folder / FILE_NAME).names):
                continue
            base = normalized(pq.read_table(folder / FILE_NAME, columns=BASE_SCHEMA.names))
            _write(folder, with_metadata_columns(base, decoded_metadata(base), kinds))


def _write(folder: Path, table: pa.Table) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".{FILE_NAME}.tmp"  # a leading dot: Spark, Trino and DuckDB's glob skip it
    pq.write_table(table, temporary)
    temporary.replace(folder / FILE_NAME)


def _folder(path: Path) -> Path:
    if path.exists() and not path.is_dir():
        raise DatasetError(f"export path {path} is a file; give a folder (it is created if missing)")
    if path.is_dir() and not (path / MANIFEST).exists() and any(path.iterdir()):
        raise DatasetError(
            f"export path {path} is a folder with other files in it and no _manifest.json; give a new or empty folder"
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatasetError(f"cannot create export folder {path}: {exc.strerror}") from None
    return path


def _canonical(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that decide which calls the dataset holds, as JSON (page size does not)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in sorted(filters.items())
        if key != "page_size"
    }


def _refresh_from(manifest: Manifest) -> str | None:
    """Where a new run starts listing: the oldest day with calls in flight, or else the newest day written."""
    if not manifest.days:
        return None
    open_days = [day for day, info in manifest.days.items() if info["in_flight"]]
    return _start_of(min(open_days or [max(manifest.days)])).isoformat()  # type: ignore[union-attr]


def _start_of(day: str | None) -> datetime | None:
    return None if day is None else datetime.combine(datetime.fromisoformat(day).date(), time(), timezone.utc)


def _later(a: datetime | None, b: str | None) -> datetime | None:
    other = datetime.fromisoformat(b) if b else None
    return max((x for x in (a, other) if x is not None), default=None)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((x for x in (a, b) if x is not None), default=None)


def export_calls(client: ConvoiClient, path: PathLike, **filters: Unpack[ListCallsParams]) -> ExportSummary:
    """Stream every call matching `filters` (as `list_calls`) into a Parquet dataset at `path`, one file per
    UTC day. Run it again to resume an interrupted export, or later to add new calls and refresh calls that
    were still in flight. LiveKit tokens are never written. Query it with `convoi_nb.review.Review(path)`.
    """
    export = _Export.open(client, path, dict(filters))
    for call in client.list_calls(**export.listing_filters()):
        export.add(call)
    return export.finish()


async def aexport_calls(client: AsyncConvoiClient, path: PathLike, **filters: Unpack[ListCallsParams]) -> ExportSummary:
    """`export_calls()` for the async client (files are written between pages, a day at a time)."""
    export = _Export.open(client, path, dict(filters))
    async for call in client.list_calls(**export.listing_filters()):
        export.add(call)
    return export.finish()
