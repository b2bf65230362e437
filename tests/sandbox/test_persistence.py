"""Kill the sandbox process, restart it on the same SQLite file: calls and keys survive."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import httpx
import pytest

from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY
from convoi_nb.sandbox.process import spawn


def start(db: Path) -> tuple[subprocess.Popen, str]:
    """The standalone sandbox on a port of its own choosing (no port picked here and reused): (process, url)."""
    return spawn(["--db", str(db)])


def test_replay_after_kill_and_restart(tmp_path: Path) -> None:
    db, key = tmp_path / "sandbox.sqlite3", str(uuid.uuid4())
    headers = {"Authorization": f"Bearer {DEFAULT_API_KEY}", "Idempotency-Key": key}
    body = {"type": "web", "agent_id": DEFAULT_ACCOUNT.agents[1].id, "metadata": {"survives": True}}

    first_process, base = start(db)
    url = f"{base}/api/v1/public/calls"
    try:
        first = httpx.post(url, json=body, headers=headers)
    finally:
        os.kill(first_process.pid, signal.SIGKILL)  # no clean shutdown
        first_process.wait()

    second_process, base = start(db)  # most likely on another port: the file is what carries over
    url = f"{base}/api/v1/public/calls"
    try:
        replay = httpx.post(url, json=body, headers=headers)
        read = httpx.get(f"{url}/{first.json()['id']}", headers=headers)
        health = httpx.get(f"{base}/healthz", headers=headers).json()
    finally:
        second_process.terminate()
        second_process.wait(timeout=10)
    assert first.status_code == 201 and replay.status_code == 200
    assert replay.json()["id"] == first.json()["id"]
    assert read.json()["metadata"] == {"survives": True}
    assert health["calls"] == 1


def test_standalone_server_keeps_its_own_file_unless_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from convoi_nb.sandbox.__main__ import build_parser
    from convoi_nb.sandbox.settings import DB_ENV, default_db_path

    monkeypatch.delenv(DB_ENV, raising=False)
    monkeypatch.delenv("CONVOI_NB_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert build_parser().parse_args([]).db is None  # chosen when it serves: --help creates no folder
    assert not (tmp_path / ".convoi_nb").exists()
    standalone = default_db_path("standalone")
    assert standalone != default_db_path()  # the notebooks' embedded sandbox
    assert standalone == tmp_path / ".convoi_nb" / "standalone.sqlite3"
    assert default_db_path() == tmp_path / ".convoi_nb" / "sandbox.sqlite3"
    monkeypatch.setenv(DB_ENV, ":memory:")  # one variable still points both at the same place
    assert default_db_path("standalone") == ":memory:" == default_db_path()
    monkeypatch.setenv(DB_ENV, "~/shared.sqlite3")
    assert default_db_path() == Path.home() / "shared.sqlite3" == default_db_path("standalone")
