"""Kill the sandbox process, restart it on the same SQLite file: calls and keys survive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(db: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-m", "convoi_nb.sandbox", "--port", str(port), "--db", str(db)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(process.stderr.read().decode() if process.stderr else "sandbox did not start")


def test_replay_after_kill_and_restart(tmp_path: Path) -> None:
    db, port, key = tmp_path / "sandbox.sqlite3", free_port(), str(uuid.uuid4())
    url = f"http://127.0.0.1:{port}/api/v1/public/calls"
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "Idempotency-Key": key}
    body = {"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[1].id, "metadata": {"survives": True}}

    first_process = start(db, port)
    try:
        first = httpx.post(url, json=body, headers=headers)
    finally:
        os.kill(first_process.pid, signal.SIGKILL)  # no clean shutdown
        first_process.wait()

    second_process = start(db, port)
    try:
        replay = httpx.post(url, json=body, headers=headers)
        read = httpx.get(f"{url}/{first.json()['id']}", headers=headers)
        health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
    finally:
        second_process.terminate()
        second_process.wait(timeout=10)
    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    assert read.json()["metadata"] == {"survives": True}
    assert health["calls"] == 1


def test_a_sandbox_file_from_before_the_request_column_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    from convoi_nb.sandbox.store import Store

    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE calls (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, account TEXT NOT NULL,"
                " agent_id TEXT NOT NULL, created_at REAL NOT NULL, room_id TEXT NOT NULL, participant_identity TEXT NOT NULL,"
                " participant_name TEXT, livekit_url TEXT NOT NULL, token TEXT NOT NULL, metadata TEXT NOT NULL,"
                " settings TEXT NOT NULL, seed INTEGER NOT NULL)")
    old.execute("INSERT INTO calls VALUES (1, 'call_old', 'acct', 'agt_x', 0, 'room', 'public-x', NULL, 'ws://x', 't',"
                " '{}', '{}', 1)")
    old.commit()
    old.close()
    row = Store(path).get("acct", "call_old")
    assert row is not None and row.request == {}
