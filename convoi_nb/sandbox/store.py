"""SQLite persistence for calls and idempotency records (stdlib sqlite3, WAL for files).

One connection guarded by a lock: the idempotency check and the insert happen in one critical section,
so concurrent requests with one key create exactly one call.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from ..models.wire import IDEMPOTENCY_WINDOW_SECONDS

_SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    account TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    room_id TEXT NOT NULL,
    participant_identity TEXT NOT NULL,
    participant_name TEXT,
    livekit_url TEXT NOT NULL,
    token TEXT NOT NULL,
    metadata TEXT NOT NULL,
    settings TEXT NOT NULL,
    seed INTEGER NOT NULL,
    request TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS calls_account ON calls (account, seq);
CREATE TABLE IF NOT EXISTS idempotency (
    account TEXT NOT NULL,
    key TEXT NOT NULL,
    body_hash TEXT NOT NULL,
    call_id TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (account, key)
);
"""


@dataclass(frozen=True)
class CallRow:
    seq: int
    id: str
    account: str
    agent_id: str
    created_at: float
    room_id: str
    participant_identity: str
    participant_name: str | None
    livekit_url: str
    token: str
    metadata: dict[str, Any]
    settings: dict[str, Any]
    seed: int
    request: dict[str, Any]  # the validated body as received, for inspection and tests

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> CallRow:
        data = dict(row)
        for column in ("metadata", "settings", "request"):
            data[column] = json.loads(data[column])
        return cls(**data)


INSERT_COLUMNS = (
    "seq",
    "id",
    "account",
    "agent_id",
    "created_at",
    "room_id",
    "participant_identity",
    "participant_name",
    "livekit_url",
    "token",
    "metadata",
    "settings",
    "seed",
    "request",
)


class IdempotencyMismatch(Exception):
    """The key was used before with another body."""


class Store:
    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        columns = {row["name"] for row in self._db.execute("PRAGMA table_info(calls)")}
        if "request" not in columns:  # a sandbox file written by an older version
            self._db.execute("ALTER TABLE calls ADD COLUMN request TEXT NOT NULL DEFAULT '{}'")

    def create_once(
        self,
        account: str,
        key: str | None,
        body_hash: str,
        now: float,
        build: Callable[[int], dict[str, Any]],
    ) -> tuple[CallRow, bool]:
        """Insert the call `build(seq)` returns, unless `key` already names one: then (that call, True)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                if key is not None:
                    found = self._db.execute(
                        "SELECT body_hash, call_id, created_at FROM idempotency WHERE account=? AND key=?",
                        (account, key),
                    ).fetchone()
                    if found and now - found["created_at"] < IDEMPOTENCY_WINDOW_SECONDS:
                        if found["body_hash"] != body_hash:
                            raise IdempotencyMismatch(key)
                        row = self._db.execute("SELECT * FROM calls WHERE id=?", (found["call_id"],)).fetchone()
                        self._db.execute("COMMIT")
                        return CallRow.from_sql(row), True
                (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM calls").fetchone()
                data = build(int(seq))
                self._db.execute(
                    "INSERT INTO calls (seq, id, account, agent_id, created_at, room_id, participant_identity,"
                    " participant_name, livekit_url, token, metadata, settings, seed, request)"
                    " VALUES (:seq, :id, :account, :agent_id, :created_at, :room_id, :participant_identity,"
                    " :participant_name, :livekit_url, :token, :metadata, :settings, :seed, :request)",
                    {**data, "seq": seq, **{c: json.dumps(data[c]) for c in ("metadata", "settings", "request")}},
                )
                if key is not None:
                    self._db.execute(
                        "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?)",
                        (account, key, body_hash, data["id"], now),
                    )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return CallRow(seq=int(seq), **{k: v for k, v in data.items() if k != "seq"}), False

    def insert_history(
        self, account: str, earliest: float, rows: Callable[[int], Iterable[tuple[Any, ...]]], *, batch: int = 50_000
    ) -> int:
        """Insert many calls at once (one transaction, `executemany` in batches): `rows(first_seq)` yields each
        row as a tuple in `INSERT_COLUMNS` order, seqs counting up from `first_seq`, oldest call first.

        The listing is newest first by seq, so history must not start before the account's newest call.
        """
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                newest = self._db.execute("SELECT MAX(created_at) FROM calls WHERE account=?", (account,)).fetchone()[0]
                if newest is not None and newest > earliest:
                    raise ValueError(
                        "generated history must start after the account's newest call "
                        f"(created at epoch {newest:.3f}); generate it into a fresh sandbox first"
                    )
                (first,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM calls").fetchone()
                placeholders = ", ".join("?" * len(INSERT_COLUMNS))
                statement = f"INSERT INTO calls ({', '.join(INSERT_COLUMNS)}) VALUES ({placeholders})"
                source, count = iter(rows(int(first))), 0
                while chunk := list(islice(source, batch)):
                    self._db.executemany(statement, chunk)
                    count += len(chunk)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return count

    def get(self, account: str, call_id: str) -> CallRow | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM calls WHERE account=? AND id=?", (account, call_id)).fetchone()
        return CallRow.from_sql(row) if row else None

    def iter_calls(
        self,
        account: str,
        *,
        before_seq: int | None = None,
        agent_id: str | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        batch: int = 500,
    ) -> Iterator[CallRow]:
        """Calls newest first, read in batches so a long scan never holds the lock for long."""
        where, args = ["account = ?"], [account]
        for clause, value in (
            ("agent_id = ?", agent_id),
            ("created_at >= ?", created_after),
            ("created_at < ?", created_before),
        ):
            if value is not None:
                where.append(clause)
                args.append(value)
        cursor_seq = before_seq
        while True:
            extra = " AND seq < ?" if cursor_seq is not None else ""
            params = [*args, *([cursor_seq] if cursor_seq is not None else []), batch]
            with self._lock:
                rows = self._db.execute(
                    f"SELECT * FROM calls WHERE {' AND '.join(where)}{extra} ORDER BY seq DESC LIMIT ?", params
                ).fetchall()
            if not rows:
                return
            for row in rows:
                yield CallRow.from_sql(row)
            cursor_seq = rows[-1]["seq"]

    def count(self, account: str | None = None) -> int:
        with self._lock:
            if account is None:
                return int(self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM calls WHERE account=?", (account,)).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
