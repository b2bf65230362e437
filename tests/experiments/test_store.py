"""The results store: private, token-free, and every SQLite failure an ExperimentError naming the file."""

from __future__ import annotations

import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from convoi_nb import ConvoiClient
from convoi_nb.errors import ExperimentError
from convoi_nb.experiments import Experiment, ResultsStore, Variant
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT

AGENT = DEFAULT_ACCOUNT.agents[0].id
JWT = re.compile(rb"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")


@pytest.fixture()
def reliable_sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxSettings(expire_rate=0, fail_rate=0)) as sandbox:
        yield sandbox


def test_store_files_are_private_and_hold_no_token(tmp_path: Path) -> None:
    path = tmp_path / "runs" / "r.sqlite3"
    with Sandbox(SandboxSettings(expire_rate=0, fail_rate=0)) as sandbox:
        client = ConvoiClient(api_key=sandbox.api_key, base_url=sandbox.url)
        results = Experiment("private", AGENT, [Variant("a")], 3, store=path).run(client, progress=False)
        results.wait(timeout=30, progress=False)
        frame = results.frame(include_tokens=True)
    files = sorted(path.parent.iterdir())
    assert path in files
    for file in files:  # the database and its -wal / -shm companions
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
        assert not JWT.search(file.read_bytes()), f"{file.name} holds a LiveKit JWT"
    assert frame["livekit_token"].str.endswith("(masked)").all()  # stored masked, so masked even on request


def test_the_folders_the_store_creates_are_private_and_the_others_left_alone(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)  # a folder the user made: not the store's to change
    ResultsStore(tmp_path / "runs" / "2026" / "r.sqlite3").close()
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755
    for created in (tmp_path / "runs", tmp_path / "runs" / "2026"):
        assert stat.S_IMODE(created.stat().st_mode) == 0o700, created
    ResultsStore(tmp_path / "runs" / "again.sqlite3").close()  # existing folders are fine as they are
    assert stat.S_IMODE((tmp_path / "runs").stat().st_mode) == 0o700


def test_a_directory_as_store_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ExperimentError, match=re.escape(str(tmp_path)) + ".*folder"):
        ResultsStore(tmp_path)


def test_a_corrupt_store_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    path.write_bytes(b"this is not a database, it is a text file" * 100)
    with pytest.raises(ExperimentError, match=re.escape(str(path)) + ".*damaged or not a results store"):
        ResultsStore(path)


def test_an_unwritable_location_fails_before_anything_is_sent(fresh_sandbox: Sandbox) -> None:
    client = ConvoiClient(api_key=fresh_sandbox.api_key, base_url=fresh_sandbox.url)
    # /proc refuses new files even to root (chmod would not stop root, who runs CI)
    with pytest.raises(ExperimentError, match="/proc/convoi.sqlite3.*writable"):
        Experiment("nowhere", AGENT, [Variant("a")], 2, store="/proc/convoi.sqlite3").run(client, progress=False)
    assert fresh_sandbox.traffic.count("POST") == 0


def test_a_full_disk_is_explained_and_the_next_write_still_works(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "r.sqlite3")
    store.register("full", AGENT, {}, [("a", "f", {}, {})])
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count={pages}")  # SQLite's own "disk full" (SQLITE_FULL)
    with pytest.raises(ExperimentError, match="disk is full"):
        for replicate in range(500):
            store.record_error("full", "a", replicate, f"key-{replicate}", "x" * 2000)
    store._db.execute("PRAGMA max_page_count=1073741823")
    store.record_error("full", "a", 9999, "key-last", "fits again")  # no transaction was left open
    assert [r.replicate for r in store.results("full")][-1] == 9999


def test_a_store_of_another_format_is_refused_not_migrated(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # what a 0.x version before the `kind` column wrote
        db.execute("CREATE TABLE results (experiment TEXT, variant TEXT, replicate INTEGER)")
    with pytest.raises(ExperimentError, match=re.escape(str(path)) + r".*another version.*format 0.*store="):
        ResultsStore(path)


def test_a_store_readable_by_others_is_tightened_by_removing_bits_only(tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    ResultsStore(path).close()
    path.chmod(0o664)
    ResultsStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # group and other bits removed
    path.chmod(0o444)  # the user made it read-only
    ResultsStore(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o400  # still read-only: no write bit was added


def test_a_read_only_store_reads_and_refuses_writes_clearly(reliable_sandbox: Sandbox, tmp_path: Path) -> None:
    path = tmp_path / "r.sqlite3"
    client = ConvoiClient(api_key=reliable_sandbox.api_key, base_url=reliable_sandbox.url)
    experiment = Experiment("archived", AGENT, [Variant("a")], 2, store=path)
    experiment.run(client, progress=False).wait(timeout=30, progress=False)
    before = path.read_bytes()
    path.chmod(0o444)
    results = Experiment("archived", AGENT, [Variant("a")], 2, store=path).results(client)
    assert results.summary().loc["a", "ended"] == 2  # an archived store still reads
    more = Experiment("archived", AGENT, [Variant("a")], 3, store=path)
    with pytest.raises(ExperimentError, match=re.escape(str(path)) + r" is read-only.*chmod u\+w"):
        more.run(client, progress=False)
    with pytest.raises(ExperimentError, match="is read-only"):
        ResultsStore(path).update_calls("archived", [])
    assert stat.S_IMODE(path.stat().st_mode) == 0o400 and path.read_bytes() == before  # tightened, never written
    assert len(client.calls_frame(metadata={"experiment": "archived"})) == 2  # nothing was created
