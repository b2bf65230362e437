"""Shared by the benchmark scripts: a sandbox in its own process (so client and server use both cores)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import httpx

from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY

AGENT = DEFAULT_ACCOUNT.agents[0].id
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def sandbox_process(latency: float = 0.0) -> Iterator[tuple[str, str, int]]:
    """(base_url, api_key, pid) of a sandbox serving from a separate process on a loopback port."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "convoi_nb.sandbox", "--port", str(port), "--db", ":memory:", "--latency", str(latency)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/healthz", timeout=1).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("sandbox process did not start")
                time.sleep(0.05)
        yield url, DEFAULT_API_KEY, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
