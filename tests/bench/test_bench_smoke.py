"""The benchmark scripts run end to end at smoke size and print their ratios (no timing assertions)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("frames.py", r"10,000 calls: calls_to_frame [\d.]+ s, json_normalize \+ dtype fixes [\d.]+ s; ratio [\d.]+"),
        (
            "client_overhead.py",
            r"ConvoiClient [\d.]+ ms/create, bare httpx [\d.]+ ms/create .*ratio [\d.]+.*\n"
            r"where a ConvoiClient create goes .*HTTP round trip \d+.*client work \d+ µs",
        ),
        ("sweep.py", r"latency 50 ms: 128/128 calls at concurrency 32 .*ratio [\d.]+; .*speedup [\d.]+×.*limit: "),
        (
            "review.py",
            r"5,000 calls: history generated in [\d.]+ s; export [\d,]+ calls/s .*peak RSS \d+ MiB\)\n"
            r"CPU per call: sandbox serving the listing \d+ µs, exporting process \d+ µs.*\n"
            r"review queries \(8: .*DuckDB over the files [\d.]+ s \(peak RSS \d+ MiB\)\n"
            r"pandas on the full frame .*exact Decimal totals [\d.]+ s, DuckDB [\d.]+× faster.*\n"
            r"peak RSS of export and queries within 1 GiB: (yes|NO)",
        ),
        (
            "export.py",
            r"serial cursor walk: [\d,]+ calls/s .*\n"
            r"export, concurrency 8: [\d,]+ calls/s .*= [\d.]+× the serial walk\n"
            r"(?:.*\n)*?ceilings: .*The lowest ceiling is .*\n"
            r"exact: True \(5,000 rows, ids equal True, .*within 1 GiB: True",
        ),
        (
            "calibration.py",
            r"replicates  5, 3 experiments \(\d+ s\):\n  cost mean +[\d.]+  \(n = \d+, SE [\d.]+\)\n"
            r"(?:.*\n)*?  cost % change, printed +[\d.]+  \(n = \d+, SE [\d.]+\)\n"
            r"(?:.*\n)*?  identical pair called different +[\d.]+",
        ),
        (
            "estimate_coverage.py",
            r"3 experiments, 6 variants × 10 replicates, pilot 2: the 90% estimate contains the "
            r"realised total cost in [\d.]+ of them, the realised call time in [\d.]+",
        ),
    ],
)
def test_bench_script_runs(script: str, expected: str) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--quick"], capture_output=True, text=True, timeout=300, cwd=BENCH
    )
    assert result.returncode == 0, result.stderr
    assert re.search(expected, result.stdout), result.stdout
