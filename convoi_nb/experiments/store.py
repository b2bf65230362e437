"""The results store: one SQLite file recording every create of an experiment as it happens.

A crash loses nothing: each outcome is committed when it arrives, and a run skips what is done. The file is
created private (0600), in folders created private (0700) where they are missing; an existing file readable by
others is tightened (group and other bits removed, never a bit added), and a read-only file stays read-only: it
opens for reading, and a write raises an `ExperimentError` that says so. It holds no credential: LiveKit tokens are
stored masked (they expire within the hour anyway; `client.get_call(id)` returns a current one). SQLite failures
become `ExperimentError`s that name the file and what to do. Runs of one experiment exclude each other through a
lock file beside the store (`run_lock`).

Each row of `results` is a cell: (variant, kind, replicate), where `kind` is "replicate" or "pilot" (the design's
cells, numbered 0…N-1 together) or "listening" (a listening session's calls, numbered 0, 1, … apart).

A sequential run (`run(until="decided")`) records its settings once in `sequential` (so a resumed run uses the same
ones) and why it last stopped (so a budget stop is remembered). The table was added within format 2: a store
without it gets it when opened for writing (an empty table changes nothing for a version that does not know it),
and a read-only one without it has no sequential run.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._file_lock import exclusive
from ..errors import ExperimentError
from ..models import mask_token
from ..stats.columns import DESIGN_KINDS, LISTENING, REPLICATE

FORMAT = 2  # PRAGMA user_version of a store this version writes; others are refused, not migrated (0.x)
_SCHEMA = f"""
CREATE TABLE experiments (
    name TEXT PRIMARY KEY, agent_id TEXT NOT NULL, metadata TEXT NOT NULL, created_at REAL NOT NULL
);
CREATE TABLE variants (
    experiment TEXT NOT NULL, name TEXT NOT NULL, fingerprint TEXT NOT NULL, overrides TEXT NOT NULL,
    metadata TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (experiment, name)
);
CREATE TABLE results (
    experiment TEXT NOT NULL, variant TEXT NOT NULL, kind TEXT NOT NULL, replicate INTEGER NOT NULL,
    idempotency_key TEXT NOT NULL, state TEXT NOT NULL, call_id TEXT, call TEXT, request_id TEXT,
    attempts INTEGER, latency_seconds REAL, error TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (experiment, variant, kind, replicate)
);
CREATE TABLE sessions (
    experiment TEXT NOT NULL, rater TEXT NOT NULL, seed INTEGER NOT NULL, calls_per_variant INTEGER NOT NULL,
    criteria TEXT NOT NULL, first_replicate INTEGER NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (experiment, rater)
);
CREATE TABLE ratings (
    experiment TEXT NOT NULL, rater TEXT NOT NULL, step INTEGER NOT NULL, variant TEXT NOT NULL,
    replicate INTEGER NOT NULL, call_id TEXT, outcome TEXT NOT NULL, scores TEXT NOT NULL, note TEXT NOT NULL,
    at REAL NOT NULL, PRIMARY KEY (experiment, rater, step)
);
PRAGMA user_version = {FORMAT};
"""
# Added within format 2 (see the module's docstring): created when missing, on every writable open.
_SEQUENTIAL = """
CREATE TABLE IF NOT EXISTS sequential (
    experiment TEXT PRIMARY KEY, config TEXT NOT NULL, stop TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL
);
"""
_DESIGN = "(" + ", ".join(f"'{k}'" for k in DESIGN_KINDS) + ")"


@dataclass(frozen=True)
class ResultRow:
    """One cell's record.

    Attributes:
        variant: The cell's variant.
        kind: "replicate", "pilot" or "listening".
        replicate: The cell's number within its kind.
        idempotency_key: The key its create sends.
        state: "created" or "error".
        call: The call as last read (JSON), or None.
        request_id: The create's request id.
        attempts: Attempts the create took.
        latency_seconds: How long the create took.
        error: Why the create failed (state "error").
    """

    variant: str
    kind: str
    replicate: int
    idempotency_key: str
    state: str
    call: dict[str, Any] | None
    request_id: str | None
    attempts: int | None
    latency_seconds: float | None
    error: str | None


def _without_token(call: Mapping[str, Any]) -> str:
    livekit = call.get("livekit") or {}
    if livekit.get("token"):
        call = {**call, "livekit": {**livekit, "token": mask_token(livekit["token"])}}
    return json.dumps(call)


def _tighten(file: Path) -> None:
    """Remove group and other permission bits; never add one (a read-only file stays read-only)."""
    if file.is_symlink() or not file.exists():
        return
    mode = stat.S_IMODE(file.stat().st_mode)
    if mode & 0o077:
        file.chmod(mode & ~0o077)


def _make_private_parents(folder: Path) -> None:
    """Create the missing folders of `folder`, each private (0700); folders that exist are left as they are."""
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    for each in reversed(missing):  # outermost first; `Path.mkdir(parents=True)` would give the parents 0755
        each.mkdir(mode=0o700, exist_ok=True)


class ResultsStore:
    """An experiment results store (SQLite).

    Args:
        path: The store's file, or ":memory:".

    Raises:
        ExperimentError: The file cannot be opened as a results store (named, with the way out).

    Examples:
        >>> import convoi_nb
        >>> from convoi_nb.experiments import Experiment, Variant
        >>> client = convoi_nb.connect()
        >>> agent = client.list_agents()[0]
        >>> experiment = Experiment("stored", agent.id, [Variant("a")], replicates=2, store="results.sqlite3")
        >>> _ = experiment.run(client, progress=False)
        >>> from convoi_nb.experiments import ResultsStore
        >>> store = ResultsStore("results.sqlite3")  # the file survives the notebook: reopen it any time
        >>> [(row.variant, row.replicate, row.state) for row in store.results("stored")]
        [('a', 0, 'created'), ('a', 1, 'created')]
        >>> store.close()
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.Lock()
        self._writes = 0
        self._run_locks: dict[str, threading.Lock] = {}
        self.read_only = False
        with self._sqlite("open"):
            if self.path == ":memory:":
                self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            else:
                file = Path(self.path)
                _make_private_parents(file.parent)
                if not file.exists():  # created private; SQLite gives its -wal and -shm files the same mode
                    os.close(os.open(file, os.O_CREAT | os.O_WRONLY, 0o600))
                for existing in (file, Path(f"{file}-wal"), Path(f"{file}-shm")):
                    _tighten(existing)
                # Read-only by its owner's choice (no owner write bit; root could write it anyway): read only.
                self.read_only = file.is_file() and not file.stat().st_mode & stat.S_IWUSR
                uri = f"{file.resolve().as_uri()}?mode=ro" if self.read_only else self.path
                self._db = sqlite3.connect(
                    uri, uri=self.read_only, check_same_thread=False, isolation_level=None, timeout=30
                )
            self._db.row_factory = sqlite3.Row
            self._prepare()

    def _prepare(self) -> None:
        tables = self._db.execute("SELECT COUNT(*) FROM sqlite_master WHERE type='table'").fetchone()[0]
        if not tables:
            self._check_writable("be set up")
            if self.path != ":memory:":
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(_SCHEMA)
        (version,) = self._db.execute("PRAGMA user_version").fetchone()
        if version != FORMAT:
            raise ExperimentError(
                f"results store {self.path} was written by another version of convoi_nb (format {version}; this "
                f"version reads format {FORMAT}): pass another store= path, or open it with the version that wrote it"
            )
        if self.path != ":memory:" and not self.read_only:
            self._db.execute("PRAGMA journal_mode=WAL")
            # Survives a killed process (the case that matters in a notebook) without an fsync per call,
            # which would stall the event loop that runs the creates.
            self._db.execute("PRAGMA synchronous=NORMAL")
        if not self.read_only:
            self._db.executescript(_SEQUENTIAL)

    def _check_writable(self, doing: str) -> None:
        if self.read_only:
            raise ExperimentError(
                f"results store {self.path} is read-only (its file has no write permission) and could not {doing}: "
                "make it writable (chmod u+w) to add to it, or pass another store= path"
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

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (refused on a read-only store)."""
        self._check_writable("be written")
        with self._lock, self._sqlite("be written"):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self._writes += 1

    def _read(self, sql: str, parameters: Sequence[Any]) -> list[sqlite3.Row]:
        with self._lock, self._sqlite("be read"):
            return self._db.execute(sql, parameters).fetchall()

    def revision(self) -> tuple[int, int]:
        """A value that changes whenever anything is written to the store, by this object or any other.

        Returns:
            (writes through this object, SQLite's data_version for other connections' commits).
        """
        with self._lock, self._sqlite("be read"):
            (version,) = self._db.execute("PRAGMA data_version").fetchone()
        return (self._writes, int(version))

    # -- experiments and their cells ----------------------------------------------------------------------

    def experiment(self, name: str) -> sqlite3.Row | None:
        """The experiment's record.

        Args:
            name: The experiment.

        Returns:
            Its row (agent_id, metadata, created_at), or None.
        """
        rows = self._read("SELECT * FROM experiments WHERE name=?", (name,))
        return rows[0] if rows else None

    def variants(self, experiment: str) -> list[sqlite3.Row]:
        """The experiment's variants, in order.

        Args:
            experiment: The experiment.

        Returns:
            Their rows (name, fingerprint, overrides, metadata, position).
        """
        return self._read("SELECT * FROM variants WHERE experiment=? ORDER BY position", (experiment,))

    def register(
        self,
        name: str,
        agent_id: str,
        metadata: Mapping[str, Any],
        variants: Sequence[tuple[str, str, Mapping[str, Any], Mapping[str, Any]]],
    ) -> None:
        """Record the experiment and its variants once (new variants are added after the known ones).

        Args:
            name: The experiment.
            agent_id: Its agent.
            metadata: Its metadata.
            variants: (name, fingerprint, overrides, metadata) of each variant.
        """
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO experiments VALUES (?, ?, ?, ?)",
                (name, agent_id, json.dumps(metadata), time.time()),
            )
            (offset,) = db.execute("SELECT COUNT(*) FROM variants WHERE experiment=?", (name,)).fetchone()
            for position, (variant, fingerprint, overrides, meta) in enumerate(variants, start=offset):
                db.execute(
                    "INSERT OR IGNORE INTO variants VALUES (?, ?, ?, ?, ?, ?)",
                    (name, variant, fingerprint, json.dumps(overrides), json.dumps(meta), position),
                )

    def record_call(
        self,
        experiment: str,
        variant: str,
        replicate: int,
        key: str,
        call: Mapping[str, Any],
        request_id: str | None,
        attempts: int,
        latency: float,
        *,
        kind: str = REPLICATE,
    ) -> None:
        """Record the call created for a cell (its token masked).

        Args:
            experiment: The experiment.
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            key: The idempotency key sent.
            call: The call (JSON).
            request_id: The create's request id.
            attempts: Attempts the create took (0: found on the server).
            latency: Seconds the create took.
            kind: The cell's kind.
        """
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, 'created', ?, ?, ?, ?, ?, NULL, ?)",
                (
                    experiment,
                    variant,
                    kind,
                    replicate,
                    key,
                    call["id"],
                    _without_token(call),
                    request_id,
                    attempts,
                    latency,
                    time.time(),
                ),
            )

    def record_error(
        self, experiment: str, variant: str, replicate: int, key: str, error: str, *, kind: str = REPLICATE
    ) -> None:
        """Record a failed create (a cell with a call keeps its call).

        Args:
            experiment: The experiment.
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            key: The idempotency key sent.
            error: What went wrong.
            kind: The cell's kind.
        """
        with self._write() as db:
            db.execute(
                "INSERT INTO results VALUES (?, ?, ?, ?, ?, 'error', NULL, NULL, NULL, NULL, NULL, ?, ?) "
                "ON CONFLICT (experiment, variant, kind, replicate) DO UPDATE SET error=excluded.error, "
                "updated_at=excluded.updated_at WHERE state='error'",
                (experiment, variant, kind, replicate, key, error, time.time()),
            )

    def update_calls(self, experiment: str, calls: Sequence[Mapping[str, Any]]) -> None:
        """Store the latest state of calls read back from the API.

        Args:
            experiment: The experiment.
            calls: The calls (JSON).
        """
        now = time.time()
        with self._write() as db:
            db.executemany(
                "UPDATE results SET call=?, updated_at=? WHERE experiment=? AND call_id=?",
                [(_without_token(c), now, experiment, c["id"]) for c in calls],
            )

    def done(self, experiment: str) -> set[tuple[str, int]]:
        """The design's cells that have a call.

        Args:
            experiment: The experiment.

        Returns:
            (variant, replicate) of each (pilot calls included; listening calls are not design cells).
        """
        rows = self._read(
            f"SELECT variant, replicate FROM results WHERE experiment=? AND state='created' AND kind IN {_DESIGN}",
            (experiment,),
        )
        return {(r["variant"], r["replicate"]) for r in rows}

    def call_of(self, experiment: str, variant: str, replicate: int, kind: str) -> dict[str, Any] | None:
        """The call recorded for one cell.

        Args:
            experiment: The experiment.
            variant: The cell's variant.
            replicate: The cell's number within its kind.
            kind: The cell's kind.

        Returns:
            The call as last read (JSON), or None.
        """
        rows = self._read(
            "SELECT call FROM results WHERE experiment=? AND variant=? AND kind=? AND replicate=? AND call IS NOT NULL",
            (experiment, variant, kind, replicate),
        )
        return json.loads(rows[0]["call"]) if rows else None

    def results(self, experiment: str) -> list[ResultRow]:
        """Every cell's record: the design's in (variant, replicate) order, then the listening calls.

        Args:
            experiment: The experiment.

        Returns:
            The records.
        """
        rows = self._read(
            "SELECT r.* FROM results r JOIN variants v ON v.experiment=r.experiment AND v.name=r.variant "
            f"WHERE r.experiment=? ORDER BY v.position, r.kind = '{LISTENING}', r.replicate",
            (experiment,),
        )
        return [
            ResultRow(
                r["variant"],
                r["kind"],
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

    # -- sequential runs: their settings, fixed for the experiment's life, and why the last one stopped -----

    def sequential(self, experiment: str) -> tuple[dict[str, Any], str | None] | None:
        """The settings a sequential run of the experiment recorded, and why the last one stopped.

        Args:
            experiment: The experiment.

        Returns:
            (settings, stop) where stop is a decision's status or None (still running, or interrupted); None when
            the experiment was never run sequentially.
        """
        known = self._read("SELECT name FROM sqlite_master WHERE type='table' AND name='sequential'", ())
        if not known:  # a read-only store of a version before sequential runs
            return None
        rows = self._read("SELECT config, stop FROM sequential WHERE experiment=?", (experiment,))
        if not rows:
            return None
        config = json.loads(rows[0]["config"])
        if not isinstance(config, dict):
            raise ExperimentError(
                f"results store {self.path} holds damaged sequential settings for {experiment!r}: "
                "pass another store= path, or use a new experiment name"
            )
        return config, rows[0]["stop"]

    def record_sequential(self, experiment: str, config: Mapping[str, Any]) -> None:
        """Record a sequential run's settings once (a later call keeps the first).

        Args:
            experiment: The experiment.
            config: The settings (JSON-able).
        """
        now = time.time()
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO sequential VALUES (?, ?, NULL, ?, ?)",
                (experiment, json.dumps(dict(config), sort_keys=True), now, now),
            )

    def record_stop(self, experiment: str, stop: str | None) -> None:
        """Record why the experiment's sequential run stopped (None: it is running again).

        Args:
            experiment: The experiment.
            stop: A decision's status, or None.
        """
        with self._write() as db:
            db.execute("UPDATE sequential SET stop=?, updated_at=? WHERE experiment=?", (stop, time.time(), experiment))

    @contextmanager
    def run_lock(self, experiment: str, *, then: str = "run() again") -> Iterator[None]:
        """Hold the experiment's run lock: one run of an experiment at a time, across processes and clients.

        A file lock (released by the OS if the process dies) on a hidden file beside the store, one per
        experiment; an in-memory store locks within the process.

        Args:
            experiment: The experiment.
            then: What the user does once the other run has ended, for the error.

        Yields:
            Nothing; the lock is held inside the `with` block.

        Raises:
            ExperimentError: Another run of the experiment holds it, or the store is read-only.
        """
        self._check_writable("record a run")
        busy = ExperimentError(
            f"experiment {experiment!r} is already running (another process, kernel or client is running it with "
            f"results store {self.path}): runs of one experiment take turns, so that one spend cap sees every call; "
            f"wait for that run to end, then {then}"
        )
        if self.path == ":memory:":
            lock = self._run_locks.setdefault(experiment, threading.Lock())
            if not lock.acquire(blocking=False):
                raise busy
            try:
                yield
            finally:
                lock.release()
            return
        file = Path(self.path)
        digest = hashlib.sha256(experiment.encode()).hexdigest()[:16]
        with ExitStack() as held:
            # Only taking the lock is the store's doing: an error raised inside the run is the run's own.
            with self._sqlite("lock a run"):
                held.enter_context(exclusive(file.parent / f".{file.name}.{digest}.lock", busy))
            yield

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    # -- listening sessions (convoi_nb.sessions): who rates which cells, and the ratings -------------------

    def register_session(
        self, experiment: str, rater: str, seed: int, calls_per_variant: int, criteria: Sequence[str]
    ) -> sqlite3.Row:
        """Record a rater's session once, reserving the next block of listening cells past every other rater's.

        The block is chosen inside the write transaction, so two kernels opening sessions at once get different
        blocks; a later call returns the first record.

        Args:
            experiment: The experiment.
            rater: The rater.
            seed: The session's order seed.
            calls_per_variant: Calls per variant the rater hears.
            criteria: The criteria rated.

        Returns:
            The session's record (`first_replicate` is the first listening cell of its block).
        """
        with self._write() as db:
            (first,) = db.execute(
                "SELECT COALESCE(MAX(first_replicate + calls_per_variant), 0) FROM sessions WHERE experiment=?",
                (experiment,),
            ).fetchone()
            db.execute(
                "INSERT OR IGNORE INTO sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
                (experiment, rater, seed, calls_per_variant, json.dumps(list(criteria)), first, time.time()),
            )
            row: sqlite3.Row = db.execute(
                "SELECT * FROM sessions WHERE experiment=? AND rater=?", (experiment, rater)
            ).fetchone()
        return row

    def sessions(self, experiment: str) -> list[sqlite3.Row]:
        """The experiment's listening sessions.

        Args:
            experiment: The experiment.

        Returns:
            Their records, oldest first.
        """
        return self._read("SELECT * FROM sessions WHERE experiment=? ORDER BY created_at, rater", (experiment,))

    def record_rating(
        self,
        experiment: str,
        rater: str,
        step: int,
        variant: str,
        replicate: int,
        call_id: str | None,
        outcome: str,
        scores: Mapping[str, int],
        note: str,
    ) -> None:
        """Record one step of a listening session.

        Args:
            experiment: The experiment.
            rater: The rater.
            step: The step's index.
            variant: The listening cell's variant.
            replicate: The listening cell's number.
            call_id: Its call.
            outcome: "rated", "skipped" or "broken".
            scores: Criterion → 1–5 (empty unless rated).
            note: The rater's note.
        """
        with self._write() as db:
            db.execute(
                "INSERT INTO ratings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (experiment, rater, step, variant, replicate, call_id, outcome, json.dumps(scores), note, time.time()),
            )

    def ratings(self, experiment: str) -> list[dict[str, Any]]:
        """The experiment's ratings.

        Args:
            experiment: The experiment.

        Returns:
            One dict per step rated, by rater and step (`scores` decoded).
        """
        rows = self._read("SELECT * FROM ratings WHERE experiment=? ORDER BY rater, step", (experiment,))
        return [{**dict(r), "scores": json.loads(r["scores"])} for r in rows]
