"""bench/import_time.py runs end to end at smoke size and prints both medians and the ratio (no timing assertion)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_import_time_bench_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "import_time.py"), "--quick"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"`import convoi_nb` \d+ ms, `import pandas, pydantic, httpx, ipywidgets` \d+ ms .*ratio [\d.]+ .*"
        r"load average [\d.]+ [\d.]+ [\d.]+\ncostliest package modules \(cumulative ms\): convoi_nb \d+",
        result.stdout,
    ), result.stdout
