"""The results store: one SQLite file recording every create of an experiment as it happens.

A crash loses nothing: each outcome is committed when it arrives, and `Experiment.run()` skips what is done.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Union

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
"""


@dataclass(frozen=True)
class ResultRow:
    variant: str
    replicate: int
    idempotency_key: str
    state: str  # "created" | "error"
    call: Optional[dict[str, Any]]
    request_id: Optional[str]
    attempts: Optional[int]
    latency_seconds: Optional[float]
    error: Optional[str]


class ResultsStore:
    def __init__(self, path: Union[str, Path]) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            # Survives a killed process (the case that matters in a notebook) without an fsync per call,
            # which would stall the event loop that runs the creates.
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def _write(self, sql: str, args: tuple) -> None:
        with self._lock:
            self._db.execute(sql, args)

    def experiment(self, name: str) -> Optional[sqlite3.Row]:
        with self._lock:
            return self._db.execute("SELECT * FROM experiments WHERE name=?", (name,)).fetchone()

    def variants(self, experiment: str) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute("SELECT * FROM variants WHERE experiment=? ORDER BY position",
                                    (experiment,)).fetchall()

    def register(self, name: str, agent_id: str, metadata: dict[str, Any],
                 variants: list[tuple[str, str, dict[str, Any], dict[str, Any]]]) -> None:
        """Record the experiment and its variants (name, fingerprint, overrides, metadata) once."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR IGNORE INTO experiments VALUES (?, ?, ?, ?)",
                             (name, agent_id, json.dumps(metadata), time.time()))
            (offset,) = self._db.execute("SELECT COUNT(*) FROM variants WHERE experiment=?", (name,)).fetchone()
            for position, (variant, fingerprint, overrides, meta) in enumerate(variants, start=offset):
                self._db.execute("INSERT OR IGNORE INTO variants VALUES (?, ?, ?, ?, ?, ?)",
                                 (name, variant, fingerprint, json.dumps(overrides), json.dumps(meta), position))
            self._db.execute("COMMIT")

    def record_call(self, experiment: str, variant: str, replicate: int, key: str, call: dict[str, Any],
                    request_id: Optional[str], attempts: int, latency: float) -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, NULL, ?)",
                (experiment, variant, replicate, key, call["id"], json.dumps(call), request_id, attempts, latency, now))
            self._db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, 'created', ?)",
                             (experiment, variant, replicate, now, call["id"]))
            self._db.execute("COMMIT")

    def record_error(self, experiment: str, variant: str, replicate: int, key: str, error: str) -> None:
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT INTO results VALUES (?, ?, ?, ?, 'error', NULL, NULL, NULL, NULL, NULL, ?, ?) "
                "ON CONFLICT (experiment, variant, replicate) DO UPDATE SET error=excluded.error, "
                "updated_at=excluded.updated_at WHERE state='error'",
                (experiment, variant, replicate, key, error, now))
            self._db.execute("INSERT INTO attempts VALUES (?, ?, ?, ?, 'error', ?)",
                             (experiment, variant, replicate, now, error))
            self._db.execute("COMMIT")

    def update_calls(self, experiment: str, calls: list[dict[str, Any]]) -> None:
        """Store the latest state of calls read back from the API."""
        now = time.time()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("UPDATE results SET call=?, updated_at=? WHERE experiment=? AND call_id=?",
                                 [(json.dumps(c), now, experiment, c["id"]) for c in calls])
            self._db.execute("COMMIT")

    def done(self, experiment: str) -> set[tuple[str, int]]:
        with self._lock:
            rows = self._db.execute("SELECT variant, replicate FROM results WHERE experiment=? AND state='created'",
                                    (experiment,)).fetchall()
        return {(r["variant"], r["replicate"]) for r in rows}

    def results(self, experiment: str) -> list[ResultRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT r.* FROM results r JOIN variants v ON v.experiment=r.experiment AND v.name=r.variant "
                "WHERE r.experiment=? ORDER BY v.position, r.replicate", (experiment,)).fetchall()
        return [ResultRow(r["variant"], r["replicate"], r["idempotency_key"], r["state"],
                          json.loads(r["call"]) if r["call"] else None, r["request_id"], r["attempts"],
                          r["latency_seconds"], r["error"]) for r in rows]

    def attempt_count(self, experiment: str) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM attempts WHERE experiment=?", (experiment,)).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
