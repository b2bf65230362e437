"""The export lists UTC days in parallel (issue 27, item 4), over real HTTP: exactly the serial listing's calls,
calls made exactly at midnight included once, resumable after a failure mid-way, requests in flight bounded,
calls made during the export left to the next run, a bad `concurrency` refused before anything is done."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from convoi_nb import ConvoiClient, DatasetError, ValidationError
from convoi_nb.review import export_calls
from convoi_nb.review.folder import ExportFolder
from convoi_nb.sandbox import FaultConfig, ManualClock, Sandbox, SandboxSettings

from ..conftest import make_client
from .conftest import AGENTS, START, checksum, create_week, dataset_files

MIDNIGHT = datetime(2026, 11, 2, tzinfo=timezone.utc)
DAY = timedelta(days=1)
# Creation times: two calls exactly at a midnight, the last millisecond of a day, the next midnight, four empty
# days, then midnights again (the day slices' bounds: one slice's created_before is the next one's created_after).
MOMENTS = [
    MIDNIGHT,
    MIDNIGHT,
    MIDNIGHT + timedelta(hours=12),
    MIDNIGHT + DAY - timedelta(milliseconds=1),
    MIDNIGHT + DAY,
    MIDNIGHT + DAY + timedelta(milliseconds=1),
    MIDNIGHT + 6 * DAY,
    MIDNIGHT + 7 * DAY - timedelta(milliseconds=1),
    MIDNIGHT + 7 * DAY,
    MIDNIGHT + 7 * DAY,
]


@pytest.fixture(scope="module")
def boundaries() -> Iterator[Sandbox]:
    clock = ManualClock(MIDNIGHT)
    with Sandbox(SandboxSettings(clock=clock, seed=5)) as sandbox:
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            for i, moment in enumerate(MOMENTS):
                clock.now = moment.timestamp()  # set, not advanced: a sum of steps could miss midnight by a bit
                client.create_web_call(AGENTS[i % 3], metadata={"i": i})
        clock.now = (MOMENTS[-1] + timedelta(hours=2)).timestamp()  # every call finished
        yield sandbox


def exported(root: Path) -> list[dict[str, Any]]:
    """Every row of an export, day by day."""
    return [row for name in dataset_files(root) for row in pq.read_table(root / name).to_pylist()]


def test_a_parallel_export_holds_exactly_the_serial_listing_with_calls_at_midnight(
    boundaries: Sandbox, client_factory: Callable[..., Any], tmp_path: Path
) -> None:
    api = client_factory(api_key=boundaries.api_key, base_url=boundaries.url)
    listed = list(api.list_calls())
    assert len(listed) == len(MOMENTS)
    summary = api.export_calls(tmp_path / "parallel", concurrency=3, page_size=1)  # a page per call
    rows = exported(tmp_path / "parallel")
    assert summary.calls == summary.total_calls == len(rows) == len(MOMENTS)
    assert sorted(row["id"] for row in rows) == sorted(call.id for call in listed)  # each call once, none lost
    total = sum((row["cost_amount"] for row in rows), Decimal(0))
    assert total == sum((call.cost.amount for call in listed), Decimal(0)) and isinstance(total, Decimal)
    by_id = {row["id"]: row for row in rows}
    for call in listed:  # a call made at midnight is in the day it starts, in that day's file
        day = call.created_at.astimezone(timezone.utc).date().isoformat()
        assert by_id[call.id]["created_at"] == call.created_at
        assert call.id in {r["id"] for r in pq.read_table(tmp_path / "parallel" / f"day={day}").to_pylist()}
    assert [name[4:14] for name in dataset_files(tmp_path / "parallel")] == [
        (MIDNIGHT + d * DAY).date().isoformat() for d in (0, 1, 6, 7)
    ]
    api.export_calls(tmp_path / "serial", concurrency=1, page_size=1)
    assert dataset_files(tmp_path / "parallel") == dataset_files(tmp_path / "serial")  # byte for byte


def test_a_window_bounded_at_midnights_lists_what_the_listing_does(
    boundaries: Sandbox, client_factory: Callable[..., Any], tmp_path: Path
) -> None:
    api = client_factory(api_key=boundaries.api_key, base_url=boundaries.url)
    window = {"created_after": MIDNIGHT + DAY, "created_before": MIDNIGHT + 7 * DAY}
    listed = sorted(call.id for call in api.list_calls(**window))
    summary = api.export_calls(tmp_path / "calls", concurrency=4, **window)
    assert sorted(row["id"] for row in exported(tmp_path / "calls")) == listed and summary.total_calls == len(listed)
    assert len(listed) == 4  # the midnight that opens the window is in it, the one that closes it is not


class Injected(Exception):
    """A failure the test makes after a given number of days are written."""


def test_a_failure_after_two_days_resumes_to_the_same_dataset_without_listing_them_again(
    week_client: ConvoiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_calls(week_client, tmp_path / "whole", concurrency=3, page_size=2)
    real_write, writes = ExportFolder.write_day, list[str]()

    def write(self: ExportFolder, day: str, table: Any) -> None:
        if len(writes) == 2:
            raise Injected(day)
        writes.append(day)
        real_write(self, day, table)

    monkeypatch.setattr(ExportFolder, "write_day", write)
    root = tmp_path / "calls"
    with pytest.raises(Injected):
        export_calls(week_client, root, concurrency=3, page_size=2)
    monkeypatch.undo()
    manifest = json.loads((root / "_manifest.json").read_text())
    pending = manifest["pending"]
    assert sorted(pending["written"]) == sorted(writes) == sorted(manifest["days"]) and pending["created_before"]
    done = sum(manifest["days"][day]["rows"] for day in writes)
    summary = export_calls(week_client, root, concurrency=3, page_size=2)
    assert summary.resumed and summary.calls == 36 - done  # the two days written are not listed again
    rows = exported(root)
    assert len(rows) == len({row["id"] for row in rows}) == 36  # no call twice
    assert checksum(root) == checksum(tmp_path / "whole")
    assert dataset_files(root) == dataset_files(tmp_path / "whole")


class InFlight(httpx.BaseTransport):
    """Counts the day listings in flight at once; the first `hold` of them wait for each other (up to a
    timeout), so the peak is reached whenever the export really sends that many at once."""

    def __init__(self, hold: int) -> None:
        self.inner, self.hold = httpx.HTTPTransport(), hold
        self.now = self.peak = 0
        self.changed = threading.Condition()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "created_before" not in request.url.params:  # the snapshot's probe, not a day's listing
            return self.inner.handle_request(request)
        with self.changed:
            self.now += 1
            self.peak = max(self.peak, self.now)
            self.changed.notify_all()
            self.changed.wait_for(lambda: self.peak >= self.hold, timeout=30)
        try:
            return self.inner.handle_request(request)
        finally:
            with self.changed:
                self.now -= 1


@pytest.mark.parametrize("concurrency", [1, 2, 5])
def test_requests_in_flight_never_exceed_concurrency(week: Sandbox, tmp_path: Path, concurrency: int) -> None:
    transport = InFlight(hold=concurrency)
    with ConvoiClient(api_key=week.api_key, base_url=week.url, http_client=httpx.Client(transport=transport)) as api:
        summary = api.export_calls(tmp_path / "calls", concurrency=concurrency, page_size=2)
    assert summary.total_calls == 36
    assert transport.peak == concurrency  # reached (the days are listed at once), never passed


class AsyncInFlight(httpx.AsyncBaseTransport):
    """`InFlight` for the async client."""

    def __init__(self, hold: int) -> None:
        self.inner, self.hold = httpx.AsyncHTTPTransport(), hold
        self.now = self.peak = 0
        self.reached = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "created_before" not in request.url.params:
            return await self.inner.handle_async_request(request)
        self.now += 1
        self.peak = max(self.peak, self.now)
        if self.peak >= self.hold:
            self.reached.set()
        try:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.reached.wait(), timeout=30)
            return await self.inner.handle_async_request(request)
        finally:
            self.now -= 1


@pytest.mark.parametrize("concurrency", [2, 5])
def test_async_requests_in_flight_never_exceed_concurrency(week: Sandbox, tmp_path: Path, concurrency: int) -> None:
    transport = AsyncInFlight(hold=concurrency)
    api = make_client("async", api_key=week.api_key, base_url=week.url, transport=transport)
    try:
        summary = api.export_calls(tmp_path / "calls", concurrency=concurrency, page_size=2)
    finally:
        api.close()
    assert summary.total_calls == 36 and transport.peak == concurrency


def test_calls_made_during_the_export_are_left_to_the_next_run(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with Sandbox(SandboxSettings(clock=clock, seed=3)) as sandbox:
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            create_week(client, clock)
            made: list[str] = []
            once = threading.Lock()

            class MakesACall(httpx.BaseTransport):
                inner = httpx.HTTPTransport()

                def handle_request(self, request: httpx.Request) -> httpx.Response:
                    if "created_before" in request.url.params and once.acquire(blocking=False):  # the first day's
                        clock.advance(60)
                        made.append(client.create_web_call(AGENTS[0]).id)
                    return self.inner.handle_request(request)

            http = httpx.Client(transport=MakesACall())
            with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url, http_client=http) as exporter:
                first = exporter.export_calls(tmp_path / "calls", concurrency=4)
            assert made and first.total_calls == 36 and made[0] not in {r["id"] for r in exported(tmp_path / "calls")}
            clock.advance(3600)
            second = client.export_calls(tmp_path / "calls")
            assert second.total_calls == 37 and made[0] in {r["id"] for r in exported(tmp_path / "calls")}


@pytest.mark.parametrize("bad", [0, -1, 65, True, 2.5, "4"])
def test_a_bad_concurrency_is_refused_before_anything(
    week: Sandbox, client_factory: Callable[..., Any], tmp_path: Path, bad: object
) -> None:
    api = client_factory(api_key=week.api_key, base_url=week.url)
    with pytest.raises(ValidationError, match=r"concurrency.*must be an int from 1 to 64"):
        api.export_calls(tmp_path / "calls", concurrency=bad)
    assert not (tmp_path / "calls").exists()


def test_a_slow_service_is_listed_in_parallel(week: Sandbox, tmp_path: Path) -> None:
    """With latency on every request, a parallel export and a serial one hold the same files."""
    week.set_faults(FaultConfig(latency=0.01))
    try:
        with ConvoiClient(api_key=week.api_key, base_url=week.url) as api:
            api.export_calls(tmp_path / "parallel", concurrency=6, page_size=3)
            api.export_calls(tmp_path / "serial", concurrency=1, page_size=3)
    finally:
        week.set_faults(FaultConfig())
    assert dataset_files(tmp_path / "parallel") == dataset_files(tmp_path / "serial")


def test_a_checkpoint_with_a_window_upside_down_is_refused(week_client: ConvoiClient, tmp_path: Path) -> None:
    root = tmp_path / "calls"
    export_calls(week_client, root)
    manifest = json.loads((root / "_manifest.json").read_text())
    manifest["pending"] = {
        "created_after": "2026-11-05T00:00:00Z",
        "created_before": "2026-11-04T00:00:00Z",
        "written": [],
        "last_day": None,
    }
    (root / "_manifest.json").write_text(json.dumps(manifest))
    before = dataset_files(root)
    with pytest.raises(
        DatasetError,
        match=r"not a valid export manifest .*pending.created_after must be earlier than pending.created_before",
    ):
        export_calls(week_client, root)
    assert dataset_files(root) == before
