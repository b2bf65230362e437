"""The results store: one SQLite file recording every create of an experiment as it happens.

A crash loses nothing: each outcome is committed when it arrives, and `Experiment.run()` skips what is done.
The file is private (0600) and holds no credential: LiveKit tokens are stored masked (they expire within the
hour anyway; `client.get_call(id)` returns a current one). SQLite failures become `ExperimentError`s that
name the file and what to do.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ExperimentError
from ..models import mask_token

_SCHEMA = """
CREATE TABLE IF NOT EXISTS experiments (
    name TEXT PRIMARY KEY, agent_id TEXT NOT NULL, metadata TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS variants (
    experiment TEXT NOT NULL, name TEXT NOT NULL, fingerprint TEXT NOT NULL, overrides TEXT NOT NULL,
    metadata TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (experiment, name)
);
CREATE TABLE IF NOT EXISTS results (
    experiment TEXT NOT NULL, variant TEXT NOT NULL, replicate INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL, state TEXT NOT NULL, call_id TEXT, call TEXT, request_id TEXT,
    attempts INTEGER, latency_seconds REAL, error TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (experiment, variant, replicate)
);
CREATE TABLE IF NOT EXISTS attempts (
    experiment TEXT NOT NULL, variant TEXT NOT NULL, replicate INTEGER NOT NULL,
    at REAL NOT NULL, outcome TEXT NOT NULL, detail TEXT
);
CREATE TABLE IF NOT EXISTS sessions (
    experiment TEXT NOT NULL, rater TEXT NOT NULL, seed INTEGER NOT NULL, calls_per_variant INTEGER NOT NULL,
    criteria TEXT NOT NULL, first_replicate INTEGER NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (experiment, rater)
);
CREATE TABLE IF NOT EXISTS ratings (
    experiment TEXT NOT NULL, rater TEXT NOT NULL, step INTEGER NOT NULL, variant TEXT NOT NULL,
    replicate INTEGER NOT NULL, call_id TEXT, outcome TEXT NOT NULL, scores TEXT NOT NULL, note TEXT NOT NULL,
    at REAL NOT NULL, PRIMARY KEY (experiment, rater, step)
);
"""


@dataclass(frozen=True)
class ResultRow:
    variant: str
    replicate: int
    idempotency_key: str
    state: str  # "created" | "error"
    call: dict[str, Any] | None
    request_id: str | None
    attempts: int | None
    latency_seconds: float | None
    error: str | None


def _without_token(call: dict[str, Any]) -> str:
    livekit = call.get("livekit") or {}
    if livekit.get("token"):
        call = {**call, "livekit": {**livekit, "token": mask_token(livekit["token"])}}
    return json.dumps(call)


class ResultsStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        with self._sqlite("open"):
            if self.path != ":memory:":
                file = Path(self.path)
                file.parent.mkdir(parents=True, exist_ok=True)
                if not file.exists():  # created private; SQLite gives its -wal and -shm files the same mode
                    os.close(os.open(file, os.O_CREAT | os.O_WRONLY, 0o600))
                for existing in (file, Path(f"{file}-wal"), Path(f"{file}-shm")):  # a store from an older version
                    if existing.exists() and existing.stat().st_mode & 0o077:
                        existing.chmod(0o600)
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
            self._db.row_factory = sqlite3.Row
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
                # Survives a killed process (the case that matters in a notebook) without an fsync per call,
                # which would stall the event loop that runs the creates.
                self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            self._mask_stored_tokens()

    def _mask_stored_tokens(self) -> None:
        """Older versions stored full LiveKit tokens: mask them once, in place."""
        rows = self._db.execute('SELECT rowid, call FROM results WHERE call LIKE \'%"token": "eyJ%\'').fetchall()
        if rows:
            self._db.executemany(
                "UPDATE results SET call=? WHERE rowid=?",
                [(_without_token(json.loads(r["call"])), r["rowid"]) for r in rows],
            )

    @contextmanager
    def _sqlite(self, doing: str) -> Iterator[None]:
        """Turn SQLite's and the file system's errors into one that names the file and the way out."""
        try:
            yield
        except (sqlite3.Error, OSError) as exc:
            db = getattr(self, "_db", None)
            if db is not None and db.in_transaction:
                db.execute("ROLLBACK")  # so the next write can start its own transaction
            text = str(exc)
            if "not a database" in text or "malformed" in text:
                advice = "the file is damaged or not a results store: move it away, or pass another store="
            elif "full" in text:
                advice = "the disk is full: free some space and run again (finished calls are kept)"
            elif "readonly" in text or "read-only" in text or isinstance(exc, PermissionError):
                advice = "it cannot be written here: pass store= a path in a writable folder"
            elif Path(self.path).is_dir():
                advice = "that path is a folder: pass store= a file path such as runs/results.sqlite3"
            else:
                advice = "pass store= a path to a file in a writable folder"
            raise ExperimentError(f"results store {self.path} could not {doing}: {text}; {advice}") from None

    def experiment(self, name: str) -> sqlite3.Row | None:
        with self._lock, self._sqlite("be read"):
            return self._db.execute("SELECT * FROM experiments WHERE name=?", (name,)).fetchone()

    def variants(self, experiment: str) -> list[sqlite3.Row]:
        with self._lock, self._sqlite("be read"):
            return self._db.execute(
                "SELECT * FROM variants WHERE experiment=? ORDER BY position", (experiment,)
            ).fetchall()

    def register(
        self,
        name: str,
        agent_id: str,
        metadata: dict[str, Any],
        variants: list[tuple[str, str, dict[str, Any], dict[str, Any]]],
    ) -> None:
        """Record the experiment and its variants (name, fingerprint, overrides, metadata) once."""
        with self._lock, self._sqlite("be written"):
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR IGNORE INTO experiments VALUES (?, ?, ?, ?)",
                (name, agent_id, json.dumps(metadata), time.time()),
            )
            (offset,) = self._db.execute("SELECT COUNT(*) FROM variants WHERE experiment=?", (name,)).fetchone()
            for position, (variant, fingerprint, overrides, meta) in enumerate(variants, start=offset):
                self._db.execute(
                    "INSERT OR IGNORE INTO variants VALUES (?, ?, ?, ?, ?, ?)",
                    (name, variant, fingerprint, json.dumps(overrides), json.dumps(meta), position),
                )
            self._db.execute("COMMIT")

    def record_call(
        self,
        experiment: str,
        variant: str,
        replicate: int,
        key: str,
        call: dict[str, Any],
        request_id: str | None,
        attempts: int,
        latency: float,
        *,
        outcome: str = "created",
    ) -> None:
        """`outcome` is "created" (this run's create) or "recovered" (found on the server)."""
        now = time.time()
        with self._lock, self._sqlite("be written"):
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, NULL, ?)",
                (
                    experiment,
                    variant,
                    replicate,
                    key,
                    call["id"],
                    _without_token(call),
                    request_id,
                    attempts,
                    latency,
                    now,
                ),
            )
            self._db.execute(
                "INSERT INTO attempts VALUES (?, ?, ?, ?, ?, ?)",
                (experiment, variant, replicate, now, outcome, call["id"]),
            )
            self._db.execute("COMMIT")

    def record_error(self, experiment: str, variant: str, replicate: int, key: str, error: str) -> None:
        now = time.time()
        with self._lock, self._sqlite("be written"):
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO results VALUES (?, ?, ?, ?, 'error', NULL, NULL, NULL, NULL, NULL, ?, ?) "
                "ON CONFLICT (experiment, variant, replicate) DO UPDATE SET error=excluded.error, "
                "updated_at=excluded.updated_at WHERE state='error'",
                (experiment, variant, replicate, key, error, now),
            )
            self._db.execute(
                "INSERT INTO attempts VALUES (?, ?, ?, ?, 'error', ?)", (experiment, variant, replicate, now, error)
            )
            self._db.execute("COMMIT")

    def update_calls(self, experiment: str, calls: list[dict[str, Any]]) -> None:
        """Store the latest state of calls read back from the API."""
        now = time.time()
        with self._lock, self._sqlite("be written"):
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "UPDATE results SET call=?, updated_at=? WHERE experiment=? AND call_id=?",
                [(_without_token(c), now, experiment, c["id"]) for c in calls],
            )
            self._db.execute("COMMIT")

    def done(self, experiment: str) -> set[tuple[str, int]]:
        with self._lock, self._sqlite("be read"):
            rows = self._db.execute(
                "SELECT variant, replicate FROM results WHERE experiment=? AND state='created'", (experiment,)
            ).fetchall()
        return {(r["variant"], r["replicate"]) for r in rows}

    def results(self, experiment: str) -> list[ResultRow]:
        with self._lock, self._sqlite("be read"):
            rows = self._db.execute(
                "SELECT r.* FROM results r JOIN variants v ON v.experiment=r.experiment AND v.name=r.variant "
                "WHERE r.experiment=? ORDER BY v.position, r.replicate",
                (experiment,),
            ).fetchall()
        return [
            ResultRow(
                r["variant"],
                r["replicate"],
                r["idempotency_key"],
                r["state"],
                json.loads(r["call"]) if r["call"] else None,
                r["request_id"],
                r["attempts"],
                r["latency_seconds"],
                r["error"],
            )
            for r in rows
        ]

    def attempt_count(self, experiment: str) -> int:
        with self._lock, self._sqlite("be read"):
            return int(
                self._db.execute("SELECT COUNT(*) FROM attempts WHERE experiment=?", (experiment,)).fetchone()[0]
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- listening sessions (convoi_nb.sessions): who rates which cells, and the ratings -------------------

    def register_session(
        self, experiment: str, rater: str, seed: int, calls_per_variant: int, criteria: list[str]
    ) -> sqlite3.Row:
        """Record a rater's session once, reserving the next block of listening slots past every other rater's
        (chosen inside the write transaction, so two kernels opening sessions at once get different blocks);
        a later call returns the first record.
        """
        with self._lock, self._sqlite("be written"):
            self._db.execute("BEGIN IMMEDIATE")
            (first,) = self._db.execute(
                "SELECT COALESCE(MAX(first_replicate + calls_per_variant), 1) FROM sessions WHERE experiment=?",
                (experiment,),
            ).fetchone()
            self._db.execute(
                "INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (experiment, rater, seed, calls_per_variant, json.dumps(criteria), first, time.time()),
            )
            row = self._db.execute(
                "SELECT * FROM sessions WHERE experiment=? AND rater=?", (experiment, rater)
            ).fetchone()
            self._db.execute("COMMIT")
        return row

    def sessions(self, experiment: str) -> list[sqlite3.Row]:
        with self._lock, self._sqlite("be read"):
            return self._db.execute(
                "SELECT * FROM sessions WHERE experiment=? ORDER BY created_at, rater", (experiment,)
            ).fetchall()

    def record_rating(
        self,
        experiment: str,
        rater: str,
        step: int,
        variant: str,
        replicate: int,
        call_id: str | None,
        outcome: str,
        scores: dict[str, int],
        note: str,
    ) -> None:
        with self._lock, self._sqlite("be written"):
            self._db.execute(
                "INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (experiment, rater, step, variant, replicate, call_id, outcome, json.dumps(scores), note, time.time()),
            )

    def ratings(self, experiment: str) -> list[dict[str, Any]]:
        with self._lock, self._sqlite("be read"):
            rows = self._db.execute(
                "SELECT * FROM ratings WHERE experiment=? ORDER BY rater, step", (experiment,)
            ).fetchall()
        return [{**dict(r), "scores": json.loads(r["scores"])} for r in rows]
