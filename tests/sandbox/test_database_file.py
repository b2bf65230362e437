"""The sandbox's database file: private, free of LiveKit tokens, and never made writable when it was not."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from convoi_nb.errors import SandboxError
from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY
from convoi_nb.sandbox.store import Store

from ..conftest import leaks_in
from .test_livekit import api_verify

AGENT = DEFAULT_ACCOUNT.agents[0].id
CALLS = "/api/v1/public/calls"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def http_on(db: Path) -> Iterator[tuple[Sandbox, httpx.Client]]:
    with (
        Sandbox(SandboxSettings(db_path=db)) as sandbox,
        httpx.Client(base_url=sandbox.url, headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"}) as http,
    ):
        yield sandbox, http


def create(http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post(CALLS, json={"type": "web", "agent_id": AGENT, **body})


def test_a_new_database_and_the_folders_made_for_it_are_private(tmp_path: Path) -> None:
    db = tmp_path / "made" / "for-it" / "sandbox.sqlite3"
    with http_on(db) as (_, http):
        assert create(http).status_code == 201
        sidecars = [p for p in db.parent.iterdir() if p != db]
        assert {mode(p) for p in [db, *sidecars]} == {0o600} and sidecars  # the WAL and its index too
    assert (mode(tmp_path / "made"), mode(db.parent)) == (0o700, 0o700)


def test_the_database_keeps_no_token_and_the_token_read_back_still_joins(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    with http_on(db) as (sandbox, http):
        call = create(http, participant_name="Ada").json()
        token = call["livekit"]["token"]
        read = http.get(f"{CALLS}/{call['id']}").json()["livekit"]["token"]
        listed = http.get(CALLS).json()["data"][0]["livekit"]["token"]
        claims = api_verify(sandbox.settings.livekit, read)
        stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert read == listed == token  # signed again from what is stored: the same token
    assert claims.video.room == call["room_id"] and claims.identity == call["livekit"]["participant_identity"]
    assert claims.name == "Ada"
    assert b"room_" in stored and leaks_in(stored) == []
    assert token.encode() not in stored and token.split(".")[2].encode() not in stored


def test_tokens_an_older_version_stored_are_masked_when_the_file_is_opened(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    with http_on(db) as (sandbox, http):
        call = create(http).json()
    token = call["livekit"]["token"]
    with sqlite3.connect(db) as old:  # as versions before 1 left it: the full token, user_version 0
        old.execute("UPDATE calls SET token=?", (token,))
        old.execute("PRAGMA user_version = 0")
    Store(db).close()
    with sqlite3.connect(db) as opened:
        (kept,) = opened.execute("SELECT token FROM calls").fetchone()
    assert kept.endswith("(masked)") and token not in kept


def test_an_existing_file_loses_group_and_other_bits(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    Store(db).close()
    db.chmod(0o664)
    Store(db).close()
    assert mode(db) == 0o600


def test_a_read_only_file_stays_read_only_and_a_write_is_refused_clearly(tmp_path: Path) -> None:
    db = tmp_path / "sandbox.sqlite3"
    with http_on(db) as (_, http):
        call = create(http, metadata={"kept": True}).json()
    db.chmod(0o444)
    before = db.read_bytes()
    with http_on(db) as (sandbox, http):
        assert http.get(f"{CALLS}/{call['id']}").json()["metadata"] == {"kept": True}
        refused = create(http)
        with pytest.raises(SandboxError, match=r"read-only.*chmod u\+w") as raised:
            sandbox.generate_history(10)
    assert mode(db) == 0o400  # group and other bits removed; no write bit added
    assert db.read_bytes() == before
    assert refused.status_code == 503 and "read-only" in refused.json()["error"]["message"]
    assert str(db) in str(raised.value)


def test_a_file_from_another_version_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    """No migration: a file whose tables differ is named, with the way out."""
    db = tmp_path / "old.sqlite3"
    with sqlite3.connect(db) as old:
        old.execute("CREATE TABLE calls (seq INTEGER PRIMARY KEY, id TEXT)")
    with pytest.raises(SandboxError, match="not written by this version") as raised:
        Store(db)
    assert str(db) in str(raised.value) and "move it away" in str(raised.value)


def test_a_file_that_is_no_database_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "notes.sqlite3"
    db.write_text("not a database, just notes\n" * 100)
    with pytest.raises(SandboxError, match="could not be opened") as raised:
        Store(db)
    assert str(db) in str(raised.value)
