"""Shared by the benchmark scripts: a sandbox in its own process (so client and server use both cores)."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from convoi_nb.experiments import Variant
from convoi_nb.sandbox.accounts import DEFAULT_ACCOUNT, DEFAULT_API_KEY
from convoi_nb.sandbox.process import spawn

AGENT = DEFAULT_ACCOUNT.agents[0].id
ROOT = Path(__file__).resolve().parent.parent

# Notebook 02's variants, shared by the calibration and sequential benches
BASELINE = "model=gpt-4o-mini, speed=1.0"
COPY = BASELINE + " (copy)"


def variants() -> list[Variant]:
    """Notebook 02's five variants plus an exact copy of its baseline (whose true difference is zero)."""
    grid = Variant.grid(None, {"llm.model": ["gpt-4o-mini", "gpt-4o"], "tts.speed": [1.0, 1.2]})
    short = Variant(
        BASELINE + ", short answers",
        {
            "llm": {"model": "gpt-4o-mini"},
            "tts": {"speed": 1.0},
            "system_prompt": "You are a support agent. Answer in one or two short sentences.",
        },
    )
    return [*grid, short, Variant(COPY, grid[0].overrides)]


@contextlib.contextmanager
def sandbox_process(latency: float = 0.0) -> Iterator[tuple[str, str, int]]:
    """(base_url, api_key, pid) of a sandbox serving from a separate process on a loopback port."""
    process, url = spawn(["--db", ":memory:", "--latency", str(latency)], cwd=str(ROOT))
    try:
        yield url, DEFAULT_API_KEY, process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def best_of(repeats: int, action: Callable[[], Any]) -> float:
    """The fastest of `repeats` runs of `action`, in seconds."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def in_child(script: str, name: str, *args: str, timeout: float = 7200) -> dict[str, Any]:
    """Run `script --child name args…` in a fresh process (its own peak RSS, no warm caches) and return the JSON
    report on its last line of output."""
    result = subprocess.run(
        [sys.executable, script, "--child", name, *args],
        capture_output=True,
        text=True,
        cwd=Path(script).parent,
        timeout=timeout,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{name} child failed:\n{result.stderr[-3000:]}")
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def peak_rss_mib() -> float:
    """This process's peak RSS. Not `ru_maxrss`: Linux folds the parent's RSS at fork into a child's, through
    exec, so every child would report at least the bench's own; VmHWM is the peak of this program alone."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the best there is
