"""SQLite persistence for calls and idempotency records (stdlib sqlite3, WAL for files).

One connection guarded by a lock: the idempotency check and the insert happen in one critical section,
so concurrent requests with one key create exactly one call.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from ..errors import ConfigurationError, SandboxError
from ..models import mask_token
from ..models.wire import IDEMPOTENCY_WINDOW_SECONDS
from .db_file import prepare

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
    request TEXT NOT NULL
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
    """One call as stored.

    Attributes:
        seq: Its insertion number (the listing's order).
        id: The call's id.
        account: The account's id.
        agent_id: The agent's id.
        created_at: Epoch seconds it was created, by the sandbox clock.
        room_id: Its LiveKit room.
        participant_identity: The browser participant's identity.
        participant_name: The participant's display name, if one was sent.
        livekit_url: The LiveKit server's URL.
        token: The token masked (signed again on read), or "" for generated history.
        metadata: The call's metadata.
        settings: Its effective settings.
        seed: The seed of its simulated story.
        request: The validated body as received, for inspection and tests.
    """

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
    request: dict[str, Any]

    @classmethod
    def from_sql(cls, row: sqlite3.Row) -> CallRow:
        """A call from its database row.

        Args:
            row: The row.

        Returns:
            The call.
        """
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


_IDEMPOTENCY_COLUMNS = ("account", "key", "body_hash", "call_id", "created_at")
_VERSION = 1  # PRAGMA user_version: 1 = tokens stored masked


_NAMED_INSERT = f"INSERT INTO calls ({', '.join(INSERT_COLUMNS)}) VALUES ({', '.join(':' + c for c in INSERT_COLUMNS)})"


class IdempotencyMismatch(Exception):
    """The key was used before with another body."""


class Store:
    """The sandbox's calls and idempotency records in one SQLite file (or in memory).

    The file is private and holds no credential (see `db_file` and `livekit`). A read-only file is opened
    read-only: reads work, and a write raises a `SandboxError` that names the file.

    Args:
        path: The SQLite file (created if missing), or ":memory:".

    Raises:
        SandboxError: The file cannot be opened or was written by another version of convoi_nb.
    """

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        self.read_only = False
        self._lock = threading.Lock()
        try:
            self._db = self._open()
        except (sqlite3.Error, OSError) as exc:
            raise SandboxError(
                f"the sandbox database {self.path} could not be opened ({exc}): point db_path (or "
                f'CONVOI_SANDBOX_DB) at another file, or ":memory:"'
            ) from None

    def _open(self) -> sqlite3.Connection:
        memory = self.path == ":memory:"
        self.read_only = not memory and not prepare(Path(self.path))
        # A read-only file is opened read-only, so SQLite itself refuses any write into it.
        target = f"{Path(self.path).resolve().as_uri()}?mode=ro" if self.read_only else self.path
        db = sqlite3.connect(target, uri=self.read_only, check_same_thread=False, isolation_level=None)
        db.row_factory = sqlite3.Row
        self._check_schema(db)
        if not self.read_only:
            if not memory:
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
        if not self.read_only and db.execute("PRAGMA user_version").fetchone()[0] < _VERSION:
            # Versions before 1 stored each call's full LiveKit token: masked once, in place.
            db.create_function("mask_token", 1, mask_token, deterministic=True)
            db.execute("UPDATE calls SET token = mask_token(token) WHERE token <> ''")
            db.execute(f"PRAGMA user_version = {_VERSION}")
        return db

    def _check_schema(self, db: sqlite3.Connection) -> None:
        for table, expected in (("calls", INSERT_COLUMNS), ("idempotency", _IDEMPOTENCY_COLUMNS)):
            found = tuple(row["name"] for row in db.execute(f"PRAGMA table_info({table})"))
            if found != expected and (found or self.read_only):  # a writable file gets missing tables made
                raise SandboxError(
                    f"the sandbox database {self.path} was not written by this version of convoi_nb (its "
                    f"{table} table has columns {list(found)}, not {list(expected)}): move it away, or point "
                    "db_path (or CONVOI_SANDBOX_DB) at a new file"
                )

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the lock for one write transaction; a read-only database is refused with a clear error."""
        with self._lock:
            if self.read_only:
                raise SandboxError(
                    f"the sandbox database {self.path} is read-only, so no call can be created or generated: "
                    "make it writable (chmod u+w), or point db_path (or CONVOI_SANDBOX_DB) at another file"
                )
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def create_once(
        self,
        account: str,
        key: str | None,
        body_hash: str,
        now: float,
        build: Callable[[int], dict[str, Any]],
    ) -> tuple[CallRow, bool]:
        """Insert the call `build(seq)` returns, unless `key` already names one (one transaction).

        Args:
            account: The account's id.
            key: The request's idempotency key, if any.
            body_hash: The request body's hash (a key reused with another body is refused).
            now: Epoch seconds now, by the sandbox clock.
            build: Given the new call's seq, returns its columns.

        Returns:
            The call, and whether it was an earlier call replayed.

        Raises:
            IdempotencyMismatch: The key was used within the window with another body.
        """
        with self._writing():
            if key is not None:
                found = self._db.execute(
                    "SELECT body_hash, call_id, created_at FROM idempotency WHERE account=? AND key=?",
                    (account, key),
                ).fetchone()
                if found and now - found["created_at"] < IDEMPOTENCY_WINDOW_SECONDS:
                    if found["body_hash"] != body_hash:
                        raise IdempotencyMismatch(key)
                    row = self._db.execute("SELECT * FROM calls WHERE id=?", (found["call_id"],)).fetchone()
                    return CallRow.from_sql(row), True
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM calls").fetchone()
            data = build(int(seq))
            self._db.execute(
                _NAMED_INSERT,
                {**data, "seq": seq, **{c: json.dumps(data[c]) for c in ("metadata", "settings", "request")}},
            )
            if key is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO idempotency VALUES (?, ?, ?, ?, ?)",
                    (account, key, body_hash, data["id"], now),
                )
        return CallRow(seq=int(seq), **{k: v for k, v in data.items() if k != "seq"}), False

    def insert_history(
        self, account: str, earliest: float, rows: Callable[[int], Iterable[tuple[Any, ...]]], *, batch: int = 50_000
    ) -> int:
        """Insert many calls at once (one transaction, `executemany` in batches).

        The listing is newest first by seq, so history must not start before the account's newest call.

        Args:
            account: The account's id.
            earliest: Epoch seconds the oldest new call was created.
            rows: Given the first free seq, yields each row as a tuple in `INSERT_COLUMNS` order, seqs counting
                up from it, oldest call first.
            batch: Rows per `executemany`.

        Returns:
            How many calls were inserted.

        Raises:
            ConfigurationError: The account has calls newer than `earliest`.
        """
        with self._writing():
            newest = self._db.execute("SELECT MAX(created_at) FROM calls WHERE account=?", (account,)).fetchone()[0]
            if newest is not None and newest > earliest:
                raise ConfigurationError(
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
        return count

    def get(self, account: str, call_id: str) -> CallRow | None:
        """One call of an account.

        Args:
            account: The account's id.
            call_id: The call's id.

        Returns:
            The call, or None if the account has none by that id.
        """
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
        """Calls newest first, read in batches so a long scan never holds the lock for long.

        Args:
            account: The account's id.
            before_seq: Only calls inserted before this one (a page's cursor).
            agent_id: Only this agent's calls.
            created_after: Only calls created at or after this epoch second.
            created_before: Only calls created before this epoch second.
            batch: Rows read per query.

        Yields:
            Each matching call.
        """
        where: list[str] = ["account = ?"]
        args: list[str | float] = [account]
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
        """How many calls are stored.

        Args:
            account: Only this account's (all accounts' if None).

        Returns:
            The count.
        """
        with self._lock:
            if account is None:
                return int(self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM calls WHERE account=?", (account,)).fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()
