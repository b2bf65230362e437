"""bench/sequential.py runs end to end at smoke size and prints every row of its table (no bound asserted: a few
runs a row say nothing about a 0.01 rate)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
RATE = r"[\d.]+ ± [\d.]+"


def test_sequential_bench_prints_its_table() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "sequential.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCH,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(
        rf"identical pair, 60 looks \(4 runs\): called different {RATE} \(bound ≤ 0.03: (met|NOT MET)\)", out
    )
    assert re.search(rf"Welch re-run after every wave {RATE}", out)
    assert re.search(rf"six identical variants, 120 looks \(4 runs\): any elimination {RATE}", out)
    for rule in ["spending boundary \\(the default\\)"] + [f"horizon boundary, tuned for {n}" for n in (30, 10, 60)]:
        assert re.search(
            rf"notebook 02 \+ copy, {rule} \(4 runs\): right winner {RATE}, wrong winner {RATE} .*"
            rf"every pair covered at the stop {RATE}",
            out,
        )
    assert "notebook 02 + copy, lai boundary, tuned for 30 (4 runs)" in out
    assert re.search(r"Gaussian paths \(100,000\), a pair, 60 looks, target 0.0500: spending boundary misses", out)
    assert re.search(r"calls to a decision [\d.]+ ± [\d.]+ .*fixed design", out)
    assert len(re.findall(r"heavy tails \(σ 0.4, 10 % failed\)", out)) == 3
