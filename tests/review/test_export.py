"""client.export_calls over real HTTP (sync and async clients): day files, one schema shared with the frames,
metadata types that widen safely, resumption after a fault or a kill, incremental re-runs, no secrets."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from convoi_nb import APIConnectionError, ConvoiClient, DatasetError, ValidationError, calls_to_frame
from convoi_nb.review import Review, export_calls
from convoi_nb.review import folder as folder_module
from convoi_nb.review.folder import ExportFolder
from convoi_nb.review.manifest import Manifest
from convoi_nb.review.schema import ARROW_TYPES, MONEY, TIMESTAMP
from convoi_nb.sandbox import FaultConfig, ManualClock, Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_API_KEY, OTHER_API_KEY

from ..conftest import leaks_in
from .conftest import DAYS, START, checksum, create_week, dataset_files

ROOT = Path(__file__).resolve().parents[2]


def test_export_writes_one_file_per_day_with_the_listings_calls(week_api: Any, tmp_path: Path) -> None:
    summary = week_api.export_calls(tmp_path / "calls", page_size=4)  # many pages, days split across them
    listed = {call.id: call for call in week_api.list_calls()}
    files = dataset_files(tmp_path / "calls")
    days = [START.date() + timedelta(days=d) for d in range(len(files))]
    assert list(files) == [f"day={day.isoformat()}/part-0.parquet" for day in days] and len(files) >= DAYS
    assert summary.calls == summary.total_calls == len(listed) == 36 and not summary.resumed
    rows = [row for name in files for row in pq.read_table(tmp_path / "calls" / name).to_pylist()]
    assert sorted(row["id"] for row in rows) == sorted(listed)  # every call once
    for row in rows:
        call = listed[row["id"]]
        assert row["cost_amount"] == call.cost.amount and isinstance(row["cost_amount"], Decimal)  # exact
        assert row["created_at"] == call.created_at and row["status"] == call.status
        assert json.loads(row["metadata"]) == call.metadata
        assert row["created_at"].date().isoformat() in {n[4:14] for n in files}


def test_the_files_share_the_frames_dtypes_and_hold_no_token(week_api: Any, tmp_path: Path) -> None:
    week_api.export_calls(tmp_path / "calls")
    frame = calls_to_frame(week_api.list_calls())
    for name in dataset_files(tmp_path / "calls"):
        schema = pq.read_schema(tmp_path / "calls" / name)
        assert "livekit_token" not in schema.names and not any("token" in n for n in schema.names)
        assert schema.field("created_at").type == schema.field("updated_at").type == TIMESTAMP
        assert pa.types.is_dictionary(schema.field("status").type)  # a category in pandas, as in the frame
        assert schema.field("cost_amount").type == MONEY
        for column in (n for n in schema.names if n.startswith("metadata.")):
            # the same per-key decision as calls_to_frame over all the calls
            assert schema.field(column).type == ARROW_TYPES[str(frame[column].dtype)], column
    back = pq.read_table(tmp_path / "calls" / name).to_pandas()
    assert str(back["created_at"].dtype).endswith(", UTC]") and str(back["status"].dtype) == "category"


def test_a_mixed_type_key_and_a_late_key_export_and_read_back(week_api: Any, tmp_path: Path) -> None:
    """order_ref is an integer in the older calls and text in the newer ones; campaign appears late."""
    week_api.export_calls(tmp_path / "calls", page_size=5)
    root = tmp_path / "calls"
    kinds = json.loads((root / "_manifest.json").read_text())["metadata_kinds"]
    assert kinds["order_ref"] == ["int53", "string"]
    tables = {name: pq.read_table(root / name) for name in dataset_files(root)}
    oldest, newest = tables[min(tables)], tables[max(tables)]
    # The newest day is written first (newest first): the oldest day, written later, met the text and was typed
    # as text from the start; the days before that had been rebuilt once the key widened.
    for table in tables.values():
        assert table.schema.field("metadata.order_ref").type == pa.string()
    assert oldest.column("metadata.order_ref").to_pylist()[0] == "0"  # the integer's JSON text, as in frames
    assert "metadata.campaign" in newest.schema.names and "metadata.campaign" not in oldest.schema.names


def test_widening_rebuilds_files_written_earlier(tmp_path: Path, client_factory: Callable[..., Any]) -> None:
    """A key that is an integer on the days written first and text on an older day: the earlier files are
    rebuilt, so the dataset never holds one column in two types."""
    clock = ManualClock(START)
    with Sandbox(SandboxSettings(clock=clock)) as sandbox:
        api = client_factory(api_key=sandbox.api_key, base_url=sandbox.url)
        agent = api.list_agents()[0].id
        for i, ref in enumerate(["A-1", "A-2", 7, 8, 9.5]):  # oldest first: text, then integers, then a float
            api.create_web_call(agent, metadata={"ref": ref, "flag": i % 2 == 0})
            clock.advance(86400)
        api.export_calls(tmp_path / "calls", page_size=1)
    tables = [pq.read_table(tmp_path / "calls" / name) for name in dataset_files(tmp_path / "calls")]
    assert [t.column("metadata.ref").to_pylist() for t in tables] == [["A-1"], ["A-2"], ["7"], ["8"], ["9.5"]]
    assert {t.schema.field("metadata.flag").type for t in tables} == {pa.bool_()}


class Outage:
    """Lets `pages` listing requests through, then fails every request (a fault the sandbox itself cannot
    make: its faults come after the answer, where a retry heals them)."""

    def __init__(self, pages: int) -> None:
        self.pages = pages

    def check(self, request: httpx.Request) -> None:
        if request.method == "GET" and request.url.path.endswith("/calls"):
            self.pages -= 1
            if self.pages < 0:
                raise httpx.ConnectError("network gone", request=request)


class FailingTransport(httpx.BaseTransport):
    def __init__(self, pages: int) -> None:
        self.inner, self.outage = httpx.HTTPTransport(), Outage(pages)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.outage.check(request)
        return self.inner.handle_request(request)


class AsyncFailingTransport(httpx.AsyncBaseTransport):
    def __init__(self, pages: int) -> None:
        self.inner, self.outage = httpx.AsyncHTTPTransport(), Outage(pages)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.outage.check(request)
        return await self.inner.handle_async_request(request)


def test_an_interrupted_export_resumes_to_the_same_dataset(
    week: Sandbox, client_factory: Callable[..., Any], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    kind = request.node.callspec.params["client_factory"]
    whole = client_factory(api_key=week.api_key, base_url=week.url)
    whole.export_calls(tmp_path / "whole", page_size=4)
    transport = FailingTransport(4) if kind == "sync" else AsyncFailingTransport(4)
    broken = client_factory(api_key=week.api_key, base_url=week.url, transport=transport)
    with pytest.raises(APIConnectionError):  # one day at a time, so the outage lands after whole days
        broken.export_calls(tmp_path / "resumed", page_size=4, concurrency=1)
    manifest = json.loads((tmp_path / "resumed" / "_manifest.json").read_text())
    written = manifest["pending"]["written"]
    assert 1 <= len(written) < DAYS and manifest["last_day"] == written[-1] and manifest["cursor"]
    with pytest.warns(UserWarning, match="did not finish"):
        Review(tmp_path / "resumed").close()  # what it has is readable, and said to be partial
    summary = whole.export_calls(tmp_path / "resumed", page_size=4)
    assert summary.resumed and summary.calls < 36  # the written days were not listed again
    assert checksum(tmp_path / "resumed") == checksum(tmp_path / "whole")
    assert dataset_files(tmp_path / "resumed") == dataset_files(tmp_path / "whole")  # byte for byte
    assert checksum(tmp_path / "whole")[0] == 36


KILLED_EXPORT = """
import sys
from convoi_nb import ConvoiClient
ConvoiClient(api_key=sys.argv[1], base_url=sys.argv[2]).export_calls(sys.argv[3], page_size=2)
"""


def test_an_export_killed_halfway_and_run_again_equals_one_run(tmp_path: Path) -> None:
    clock = ManualClock(START)
    with Sandbox(SandboxSettings(clock=clock, seed=3)) as sandbox:
        with ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client:
            create_week(client, clock)
            client.export_calls(tmp_path / "whole", page_size=2)
            sandbox.set_faults(FaultConfig(latency=0.03))  # slow pages, so the kill lands mid-export
            target = tmp_path / "killed"
            child = subprocess.Popen(
                [sys.executable, "-c", KILLED_EXPORT, sandbox.api_key, sandbox.url, str(target)], cwd=ROOT
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and child.poll() is None:
                try:
                    pending = json.loads((target / "_manifest.json").read_text())["pending"]
                except (OSError, ValueError, KeyError):
                    pending = None
                if pending and pending["written"]:  # at least one day written: kill it now
                    break
                time.sleep(0.005)
            assert child.poll() is None, "the export finished before it could be killed"
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            sandbox.set_faults(FaultConfig())
            assert json.loads((target / "_manifest.json").read_text())["pending"] is not None
            assert client.export_calls(target, page_size=2).resumed
        assert checksum(target) == checksum(tmp_path / "whole")
        assert dataset_files(target) == dataset_files(tmp_path / "whole")


def test_a_later_run_adds_new_calls_and_refreshes_calls_in_flight(
    tmp_path: Path, client_factory: Callable[..., Any]
) -> None:
    clock = ManualClock(START)
    with Sandbox(SandboxSettings(clock=clock, seed=3)) as sandbox:
        api = client_factory(api_key=sandbox.api_key, base_url=sandbox.url)
        create_week(api, clock, settle=False)  # the last call is still waiting for its participant
        first = api.export_calls(tmp_path / "calls")
        manifest = json.loads((tmp_path / "calls" / "_manifest.json").read_text())
        assert sum(day["in_flight"] for day in manifest["days"].values()) >= 1
        clock.advance(3600)
        agent = api.list_agents()[0].id
        api.create_web_call(agent, metadata={"source": "web", "order_ref": "ORD-new"})
        clock.advance(3600)
        again = api.export_calls(tmp_path / "calls")
        api.export_calls(tmp_path / "fresh")  # one run over the same server state, for comparison
    assert again.calls < first.calls and set(again.days_written) <= {max(manifest["days"])}  # only the last day
    assert again.total_calls == first.total_calls + 1
    assert checksum(tmp_path / "calls") == checksum(tmp_path / "fresh")
    statuses = {
        row["status"]
        for name in dataset_files(tmp_path / "calls")
        for row in pq.read_table(tmp_path / "calls" / name, columns=["status"]).to_pylist()
    }
    assert statuses <= {"ended", "failed", "expired"}  # the call in flight was refreshed


def test_the_export_holds_no_key_and_no_token(week_api: Any, tmp_path: Path) -> None:
    week_api.export_calls(tmp_path / "calls")
    tokens = [call.livekit.token for call in week_api.list_calls()]
    assert tokens and all(tokens)
    for path in (tmp_path / "calls").rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert leaks_in(data) == [], path
            assert DEFAULT_API_KEY.encode() not in data
            assert not any(token.encode() in data or token[-24:].encode() in data for token in tokens), path


def test_bad_export_targets_are_named(week: Sandbox, week_api: Any, tmp_path: Path) -> None:
    (tmp_path / "file.parquet").write_text("x")
    with pytest.raises(DatasetError, match="is a file"):
        week_api.export_calls(tmp_path / "file.parquet")
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("x")
    with pytest.raises(DatasetError, match="other files in it"):
        week_api.export_calls(tmp_path / "busy")
    with pytest.raises(ValidationError, match="page_size"):
        week_api.export_calls(tmp_path / "never", page_size=0)
    assert not (tmp_path / "never").exists()  # refused before anything was written
    week_api.export_calls(tmp_path / "calls", agent_id=week_api.list_agents()[0].id)
    with pytest.raises(DatasetError, match="filtered by"):
        week_api.export_calls(tmp_path / "calls")
    other = ConvoiClient(api_key=OTHER_API_KEY, base_url=week.url)
    with pytest.raises(DatasetError, match="another account"):
        other.export_calls(tmp_path / "calls", agent_id=week_api.list_agents()[0].id)
    elsewhere = ConvoiClient(api_key=week.api_key, base_url=week.url.replace("127.0.0.1", "localhost"))
    with pytest.raises(DatasetError, match="from server"):
        elsewhere.export_calls(tmp_path / "calls", agent_id=week_api.list_agents()[0].id)
    (tmp_path / "calls" / "_manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match="_manifest.json is not a valid export manifest.*Invalid JSON"):
        week_api.export_calls(tmp_path / "calls")


class Paused(httpx.BaseTransport):
    """Holds the first listing request until `release` is set, after telling `entered`: an export caught while it
    holds its folder's lock, without a sleep."""

    def __init__(self) -> None:
        self.inner, self.entered, self.release = httpx.HTTPTransport(), threading.Event(), threading.Event()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/calls") and not self.entered.is_set():
            self.entered.set()
            assert self.release.wait(60)
        return self.inner.handle_request(request)


def test_two_exports_into_one_folder_one_fails_fast(week: Sandbox, week_client: ConvoiClient, tmp_path: Path) -> None:
    """Issue 28, item 9: two exports at once failed on their shared temporary file; now the second one is told."""
    root = tmp_path / "calls"
    export_calls(week_client, root)  # a first run, so the second ones rewrite the newest day
    paused = Paused()
    slow = ConvoiClient(api_key=week.api_key, base_url=week.url, http_client=httpx.Client(transport=paused))
    outcome: dict[str, Any] = {}

    def first() -> None:
        try:
            outcome["summary"] = export_calls(slow, root)
        except BaseException as exc:  # reported to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert paused.entered.wait(60)  # the first export holds the lock and waits inside its listing
        with pytest.raises(DatasetError, match=rf"another export into {root} is running \(it holds _export.lock\)"):
            export_calls(week_client, root)
    finally:
        paused.release.set()
        thread.join(60)
        slow.close()
    assert "error" not in outcome and outcome["summary"].total_calls == 36
    assert export_calls(week_client, root).total_calls == 36  # the lock is free again
    assert not [p for p in root.rglob("*.tmp")]


class Injected(Exception):
    """A failure the test makes at one exact point of an export."""


def listed_files_are_complete(root: Path) -> None:
    """The invariant of a manifest about to be saved: every day it lists has its whole file on disk."""
    for day, info in json.loads((root / "_manifest.json").read_text())["days"].items():
        assert pq.read_metadata(root / f"day={day}" / "part-0.parquet").num_rows == info["rows"], day


@pytest.mark.parametrize("fault", ["after the file", "inside the file"])
def test_the_manifest_never_lists_a_day_before_its_file_is_complete(
    week_client: ConvoiClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """Issue 28: saving the manifest before a day's file is complete passed every export test (a kill caught it
    only when it landed in that window). Here every manifest save checks the files of the days it lists, and the
    third day's write fails either just after its file is complete, or in the middle of writing it; a re-run
    recovers exactly. With the two writes swapped, the first save already lists a day whose file is missing."""
    export_calls(week_client, tmp_path / "whole", page_size=4)
    root = tmp_path / "calls"
    real_save, real_write = ExportFolder.save_manifest, ExportFolder.write_day
    saves: list[dict[str, Any]] = []

    def save(self: ExportFolder, manifest: Manifest) -> None:
        for day, info in manifest.days.items():  # what this save is about to promise
            assert pq.read_metadata(self.day_file(day)).num_rows == info.rows, f"{day} listed before its file"
        real_save(self, manifest)
        saves.append(json.loads((root / "_manifest.json").read_text()))

    writes = []

    def write(self: ExportFolder, day: str, table: Any) -> None:
        writes.append(day)
        if len(writes) == 3 and fault == "inside the file":
            monkeypatch.setattr(folder_module.pq, "write_table", half_then_fail)
        real_write(self, day, table)
        if len(writes) == 3:
            raise Injected(day)

    def half_then_fail(table: Any, handle: Any) -> None:
        handle.write(b"PAR1 half a file")
        raise Injected("mid-file")

    monkeypatch.setattr(ExportFolder, "save_manifest", save)
    monkeypatch.setattr(ExportFolder, "write_day", write)
    with pytest.raises(Injected):
        export_calls(week_client, root, page_size=4)
    monkeypatch.undo()
    third = writes[2]
    manifest = json.loads((root / "_manifest.json").read_text())
    assert manifest["pending"] and third not in manifest["days"] and len(manifest["days"]) == 2
    listed_files_are_complete(root)
    if fault == "after the file":
        assert (root / f"day={third}" / "part-0.parquet").exists()  # on disk, not yet listed
    else:
        assert [p.name for p in (root / f"day={third}").iterdir()] == []  # the half file was removed
    summary = export_calls(week_client, root, page_size=4)
    assert summary.resumed and summary.total_calls == 36
    assert checksum(root) == checksum(tmp_path / "whole")  # no call lost, none twice
    assert dataset_files(root) == dataset_files(tmp_path / "whole")
    assert not [p for p in root.rglob("*.tmp")] and len(saves) >= 3


def test_metadata_keys_differing_only_in_case_are_refused(tmp_path: Path) -> None:
    """Issue 28, item 8: `Tier` and `tier` became one column `metadata.tier` (DuckDB renamed the other)."""
    clock = ManualClock(START)
    with (
        Sandbox(SandboxSettings(clock=clock)) as sandbox,
        ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url) as client,
    ):
        agent = client.list_agents()[0].id
        client.create_web_call(agent, metadata={"tier": "lower"})
        clock.advance(86400)  # the other spelling on another day: caught across files too
        client.create_web_call(agent, metadata={"Tier": "UPPER"})
        clock.advance(3600)
        with pytest.raises(DatasetError, match=r"metadata keys 'Tier' and 'tier' .* differ only in case"):
            export_calls(client, tmp_path / "calls")
        client.create_web_call(agent, metadata={"Tier": "UPPER", "tier": "lower"})
        with pytest.raises(DatasetError, match=r"metadata keys 'Tier' and 'tier'"):
            export_calls(client, tmp_path / "one-call")


def test_an_export_failure_shows_no_key_in_traceback_locals(week_client: ConvoiClient, tmp_path: Path) -> None:
    """Issue 28, item 3, for the export's own frames: the key is hashed inside one expression, never held."""
    root = tmp_path / "calls"
    export_calls(week_client, root)
    (root / "_manifest.json").chmod(0o400)
    with pytest.raises(DatasetError) as caught:
        export_calls(week_client, root)
    shown = "".join(traceback.TracebackException.from_exception(caught.value, capture_locals=True).format())
    assert "_Export" in shown and "wanted" in shown  # the export's frames and locals are there
    assert week_client._core.config.api_key.get_secret_value() not in shown and leaks_in(shown.encode()) == []
