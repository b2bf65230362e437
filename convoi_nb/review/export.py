"""`client.export_calls(path, **filters)`: the paginated listing, streamed into a Parquet dataset.

One file per UTC day (`day=YYYY-MM-DD/part-0.parquet`), resumable and incremental. The listing is cut into UTC
days, listed `concurrency` at a time (`slices.py`); each day is written as soon as it is listed whole.

What a run lists (the snapshot rule): calls created before a bound fixed when the run starts, just after the
newest call the listing then holds (and recorded in the manifest, so a resumed run keeps it). A call created
during the export is left to the next run, which lists the newest day again.

How a run stays exact when it is killed and run again:
- a day is written whole (to a temporary file renamed into place), and only then does the manifest record it
  (in `pending.written`), atomically as well: the checkpoint is the set of days written;
- a run that was interrupted lists again every day of its window that it had not written, with the same
  snapshot bound: no call of a written day is listed twice, none is skipped; a day half-listed when the kill
  came is listed again from its first call and its file rewritten whole, so a re-run writes the very same files;
- a later run lists again from the start of the oldest day that still had calls in flight (or of the newest
  day, which may have gained calls) and rewrites those days: new calls are added, finished calls refreshed;
- every file types a metadata key alike: when a day brings a kind of value that changes a key's type (an
  integer key meeting a string, say), the files holding that key are rebuilt from their `metadata` JSON;
- the manifest never lists a day whose file is not complete on disk: a day is listed after its file is written,
  and unlisted before its folder is removed.

What it trusts: nothing read back from the folder. The manifest is validated (`manifest.py`) and the folder
checked against it before anything is written or removed; every file is reached through `folder.py`, which never
leaves the folder nor follows a link. One export per folder runs at a time (`ExportFolder.lock`): a second one
fails at once with a `DatasetError` rather than wait, since an export can take minutes and a notebook cell that
hangs silently is worse than one that says why. Files are written by one thread, one day at a time.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from types import TracebackType
from typing import Any

from typing_extensions import Unpack

from .._client_protocols import AsyncCallLister as AsyncConvoiClient  # the client imports this module
from .._client_protocols import CallLister as ConvoiClient
from ..errors import DatasetError
from ..frames import METADATA_PREFIX, metadata_dtype
from ..models import Call, ListCallsParams
from .folder import ExportFolder
from .manifest import DayRecord, Manifest, Pending, account_fingerprint
from .schema import BASE_SCHEMA, base_table, decoded_metadata, kinds_of, normalized, with_metadata_columns
from .slices import DayPlan, DaySlice, Stopped, Window, check_concurrency, run_tasks, run_threads, start_of

PathLike = str | os.PathLike[str]
# The snapshot bound: the newest call's time plus the API's resolution. The API writes times to the millisecond,
# truncated, so the call was made before its written time + 1 ms (`created_before` is exclusive).
_SNAPSHOT_STEP = timedelta(milliseconds=1)


@dataclass(frozen=True)
class ExportSummary:
    """What one `export_calls` run did.

    Attributes:
        path: The export folder (resolved).
        calls: Calls listed and written by this run.
        days_written: Days (re)written, newest first (with those of the run it resumed).
        days_removed: Days that no longer had any call.
        total_calls: Rows in the dataset now.
        resumed: This run finished an interrupted one.
    """

    path: Path
    calls: int
    days_written: tuple[str, ...]
    days_removed: tuple[str, ...]
    total_calls: int
    resumed: bool


@dataclass
class _Export:
    """The listing-independent part of an export, shared by the sync and async faces.

    It holds the folder's lock from `open` until its `with` block ends.
    """

    folder: ExportFolder
    manifest: Manifest
    pending: Pending
    floor: datetime | None  # the earliest creation time this run lists
    user_filters: dict[str, Any]
    resumed: bool
    leftovers: list[str]  # unlisted day folders of the interrupted run: rewritten, or removed at the end
    _resources: ExitStack = field(default_factory=ExitStack)
    _calls: int = 0

    @classmethod
    def open(cls, client: ConvoiClient | AsyncConvoiClient, path: PathLike, filters: dict[str, Any]) -> _Export:
        valid = dict(client._core.list_filters(filters))  # a bad filter fails here, before any file is touched
        wanted = Manifest(
            server=client.base_url, account=account_fingerprint(client._core.config.api_key), filters=_canonical(valid)
        )
        with ExitStack() as stack:
            folder = stack.enter_context(ExportFolder.open(path, create=True))
            _checked(folder, wanted)  # a bad folder is refused before even the lock file is made
            stack.enter_context(folder.lock())
            export = cls._begin(folder, wanted, valid)
            export._resources = stack.pop_all()
            return export

    @classmethod
    def _begin(cls, folder: ExportFolder, wanted: Manifest, valid: dict[str, Any]) -> _Export:
        manifest, leftovers = _checked(folder, wanted)  # again, under the lock
        previous = manifest.pending
        resumed = previous is not None
        pending = previous or Pending(created_after=_refresh_from(manifest))
        folder.check_writable([day for day in manifest.days if _in_window(day, pending)])
        folder.remove_temporaries(sorted(manifest.days) + leftovers)
        if previous is None:
            manifest.pending = pending
            folder.save_manifest(manifest)
        floor = _later(valid.get("created_after"), pending.created_after)
        return cls(folder, manifest, pending, floor, valid, resumed, leftovers)

    def __enter__(self) -> _Export:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._resources.close()  # the lock, then the folder's descriptor

    def newest_filters(self) -> dict[str, Any] | None:
        """The listing of the one newest call in the window.

        Returns:
            Its filters, or None when a resumed run already has its snapshot bound.
        """
        if self.pending.created_before is not None:
            return None
        window = {"created_after": self.floor, "created_before": self.user_filters.get("created_before")}
        return self.listing_filters({"page_size": 1, **{k: v for k, v in window.items() if v is not None}})

    def plan(self, newest: Call | None) -> DayPlan | None:
        """The days to list, below the snapshot bound (recorded in the manifest first).

        Args:
            newest: The newest call in the window (None if none, or when the bound is already recorded).

        Returns:
            The plan, or None when the window holds no call.
        """
        if self.pending.created_before is None:
            if newest is None:
                return None
            self.pending.created_before = newest.created_at.astimezone(timezone.utc) + _SNAPSHOT_STEP
            self.folder.save_manifest(self.manifest)
        before = _earlier(self.user_filters.get("created_before"), self.pending.created_before)
        assert before is not None
        return DayPlan(Window(self.floor, before), set(self.pending.written))

    def listing_filters(self, window: dict[str, Any]) -> dict[str, Any]:
        """The user's filters with one listing's own.

        Args:
            window: This listing's time bounds (and page size, when given).

        Returns:
            The `list_calls` filters.
        """
        return {**self.user_filters, **window}

    def write(self, day: DaySlice) -> None:
        """Write one listed day whole, then record it in the manifest (the checkpoint).

        Args:
            day: The day's calls.
        """
        if not day.rows:
            return
        name = day.day.isoformat()
        base = base_table(day.rows)
        decoded = decoded_metadata(base)
        kinds: dict[str, set[str]] = {key: set(values) for key, values in self.manifest.metadata_kinds.items()}
        found = kinds_of(decoded)
        _refuse_case_collisions([*kinds, *found], name)
        widened = []
        for key, new in found.items():
            before = kinds.setdefault(key, set())
            if before and metadata_dtype(before | new) != metadata_dtype(before):
                widened.append(key)
            before |= new
        merged = {key: sorted(values) for key, values in sorted(kinds.items())}
        if widened:
            self._retype(widened, merged, name)
        # The day's file is complete on disk before the manifest records it (write_day syncs and renames first).
        self.folder.write_day(name, with_metadata_columns(base, decoded, merged))
        manifest = self.manifest
        manifest.metadata_kinds = merged
        manifest.days[name] = DayRecord(rows=len(day.rows), in_flight=day.in_flight)
        manifest.cursor, manifest.last_day = day.rows[-1][0], name  # the listing's last call of the day
        self.pending.written = sorted({*self.pending.written, name}, reverse=True)
        self.pending.last_day = self.pending.written[-1]
        self.folder.save_manifest(manifest)
        self._calls += len(day.rows)

    def finish(self) -> ExportSummary:
        pending, manifest = self.pending, self.manifest
        stale = sorted(day for day in manifest.days if _in_window(day, pending) and day not in pending.written)
        gone = sorted(set(stale) | {day for day in self.leftovers if day not in manifest.days})
        if gone:
            # Unlisted first, removed after: the manifest never lists a day whose file is not there; a kill in
            # between leaves unlisted folders of an unfinished export, which the next run removes.
            for day in stale:  # listed again and found empty: the day's calls are gone (or filtered out now)
                del manifest.days[day]
            self.folder.save_manifest(manifest)
            self.folder.remove_days(gone)
        manifest.pending = None
        self.folder.save_manifest(manifest)
        return ExportSummary(
            self.folder.root,
            self._calls,
            tuple(pending.written),
            tuple(stale),
            sum(day.rows for day in manifest.days.values()),
            self.resumed,
        )

    def _retype(self, keys: list[str], kinds: Mapping[str, Sequence[str]], writing: str) -> None:
        """Rebuild the files that hold any of `keys`, typing every metadata column by the widened kinds."""
        columns = {METADATA_PREFIX + key for key in keys}
        for day in sorted(self.manifest.days):
            if day == writing or not columns & set(self.folder.day_metadata(day).schema.names):
                continue
            base = normalized(self.folder.read_day(day, BASE_SCHEMA.names))
            self.folder.write_day(day, with_metadata_columns(base, decoded_metadata(base), kinds))


def _checked(folder: ExportFolder, wanted: Manifest) -> tuple[Manifest, list[str]]:
    """The folder's manifest (or `wanted` for a new folder), validated with the folder's layout."""
    manifest = folder.read_manifest()
    if manifest is None:
        if not folder.is_empty():
            raise DatasetError(
                f"export path {folder.root} is a folder with other files in it and no _manifest.json; "
                "give a new or empty folder"
            )
        return wanted.model_copy(deep=True), []
    leftovers = folder.check(manifest)
    manifest.check_same_source(wanted, folder.root)
    return manifest, leftovers


def _refuse_case_collisions(keys: list[str], day: str) -> None:
    """Refuse metadata keys that differ only in case, rather than let SQL engines merge them.

    DuckDB, Spark and Trino match column names case-insensitively: `metadata.Tier` and `metadata.tier` would be
    read as one column (DuckDB renames the second).
    """
    seen: dict[str, str] = {}
    for key in sorted(set(keys)):
        other = seen.setdefault(key.casefold(), key)
        if other != key:
            raise DatasetError(
                f"calls carry metadata keys {other!r} and {key!r} (first met on {day}), which differ only in case; "
                "SQL engines read them as one column, so the export stops: rename one of them, or export the "
                "other calls with a filter"
            )


def _canonical(filters: dict[str, Any]) -> dict[str, Any]:
    """The filters that decide which calls the dataset holds, as JSON (page size does not)."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in sorted(filters.items())
        if key != "page_size"
    }


def _in_window(day: str, pending: Pending) -> bool:
    """Whether this run lists `day` again (from the start of `pending.created_after`)."""
    after = pending.created_after
    return after is None or day >= after.date().isoformat()


def _refresh_from(manifest: Manifest) -> datetime | None:
    """Where a new run starts listing: the oldest day with calls in flight, or else the newest day written."""
    if not manifest.days:
        return None
    open_days = [day for day, info in manifest.days.items() if info.in_flight]
    return _start_of(min(open_days or [max(manifest.days)]))


def _start_of(day: str | None) -> datetime | None:
    return None if day is None else start_of(date.fromisoformat(day))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((x for x in (a, b) if x is not None), default=None)


def export_calls(
    client: ConvoiClient, path: PathLike, *, concurrency: int | None = None, **filters: Unpack[ListCallsParams]
) -> ExportSummary:
    """Stream every call matching `filters` (as `list_calls`) into a Parquet dataset at `path`, one file per UTC day.

    The days are listed `concurrency` at a time, each on a thread of its own. Run it again to resume an
    interrupted export, or later to add new calls and refresh calls that were still in flight. Calls created
    while it runs are left to the next run. One export per folder runs at a time (a second one fails at once).
    LiveKit tokens are never written; folders are created 0700 and files 0600. Query it with
    `convoi_nb.review.Review(path)`. The keyword arguments are the `list_calls` filters (`agent_id`, `status`,
    `created_after`, `created_before`, `metadata`, `page_size`).

    Args:
        client: The client whose calls are exported.
        path: The export folder: new, empty, or one this function wrote for the same server, account and filters.
        concurrency: Days listed at once, so requests in flight at most (1 to 64; default 8).

    Returns:
        What the run did.

    Raises:
        ValidationError: A filter, `concurrency` or the path is invalid (nothing is written).
        DatasetError: The folder cannot be used: another source's export, an invalid manifest, files that
            disagree with it, a link, a read-only file or folder, another export running in it.

    Examples:
        >>> import convoi_nb
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> from convoi_nb.review import Review, export_calls
        >>> _ = client.create_web_call(agent.id, metadata={"source": "export"})
        >>> summary = export_calls(client, "calls")  # what client.export_calls("calls") does
        >>> summary.calls, summary.resumed
        (1, False)
        >>> export_calls(client, "calls").total_calls  # again: brought up to date, nothing twice
        1
        >>> len(Review("calls").query("SELECT id FROM calls"))
        1
    """
    workers = check_concurrency(concurrency)
    with _Export.open(client, path, dict(filters)) as export:
        newest = export.newest_filters()
        plan = export.plan(None if newest is None else next(iter(client.list_calls(**newest)), None))

        def fetch(day: date, stop: threading.Event) -> DaySlice:
            assert plan is not None
            listed = DaySlice(day, plan.window.bounds(day))
            for call in client.list_calls(**export.listing_filters(listed.bounds)):
                if stop.is_set():
                    raise Stopped
                if not listed.add(call):
                    break
            plan.below(day, listed.older)
            return listed

        if plan is not None:
            run_threads(plan, fetch, export.write, workers)
        return export.finish()


async def aexport_calls(
    client: AsyncConvoiClient, path: PathLike, *, concurrency: int | None = None, **filters: Unpack[ListCallsParams]
) -> ExportSummary:
    """`export_calls()` for the async client: the days are listed `concurrency` at a time, as tasks.

    The keyword arguments are the `list_calls` filters, as `export_calls` takes them. Files are written on the
    event loop's thread, a day at a time.

    Args:
        client: The async client whose calls are exported.
        path: The export folder (as `export_calls`).
        concurrency: Days listed at once (as `export_calls`).

    Returns:
        What the run did.

    Examples:
        >>> import asyncio, convoi_nb
        >>> from convoi_nb.review import aexport_calls
        >>> async def main():
        ...     async with await convoi_nb.aconnect() as client:
        ...         agent = (await client.list_agents())[0]
        ...         await client.create_web_call(agent.id)
        ...         return await aexport_calls(client, "calls")  # what `await client.export_calls("calls")` does
        >>> asyncio.run(main()).calls
        1
    """
    workers = check_concurrency(concurrency)
    with _Export.open(client, path, dict(filters)) as export:
        newest = export.newest_filters()
        plan = export.plan(None if newest is None else await _first(client.list_calls(**newest)))

        async def fetch(day: date) -> DaySlice:
            assert plan is not None
            listed = DaySlice(day, plan.window.bounds(day))
            # Left mid-way, the listing's generator holds no response (each page is read whole before its calls)
            async for call in client.list_calls(**export.listing_filters(listed.bounds)):
                if not listed.add(call):
                    break
            plan.below(day, listed.older)
            return listed

        if plan is not None:
            await run_tasks(plan, fetch, export.write, workers)
        return export.finish()


async def _first(calls: AsyncIterator[Call]) -> Call | None:
    async for call in calls:
        return call
    return None
