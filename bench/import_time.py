"""`import convoi_nb` vs importing its necessary dependencies alone (pandas, pydantic, httpx, ipywidgets).

    python bench/import_time.py          # 30 rounds
    python bench/import_time.py --quick  # CI smoke run

Each round starts one fresh interpreter per side, back to back, in alternating order, so drift on the machine
hits both alike; the figures are the medians of the wall times and of the per-round ratios. Target ratio ≤ 1.15.
Then one `python -X importtime` run lists the package's own modules that cost the most (cumulative).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "import convoi_nb"
BASELINE = "import pandas, pydantic, httpx, ipywidgets"


def wall_seconds(code: str) -> float:
    """One fresh interpreter running `code`, start to exit."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
    return time.perf_counter() - started


def costliest_modules(code: str, prefix: str = "convoi_nb", top: int = 8) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the `prefix` modules `code` imports, costliest first (`-X importtime`)."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, check=True, capture_output=True, text=True
    )
    rows = []
    for line in run.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = (part.strip() for part in line.split("|"))
        if name.startswith(prefix) and cumulative.isdigit():
            rows.append((int(cumulative), name))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rounds = 3 if args.quick else args.rounds
    for code in (PACKAGE, BASELINE):  # warm the file cache and the bytecode
        wall_seconds(code)
    times: dict[str, list[float]] = {PACKAGE: [], BASELINE: []}
    for round_ in range(rounds):
        order = (PACKAGE, BASELINE) if round_ % 2 == 0 else (BASELINE, PACKAGE)
        for code in order:
            times[code].append(wall_seconds(code))
    ratios = sorted(a / b for a, b in zip(times[PACKAGE], times[BASELINE], strict=True))
    package, baseline = statistics.median(times[PACKAGE]), statistics.median(times[BASELINE])
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"`{PACKAGE}` {package * 1000:.0f} ms, `{BASELINE}` {baseline * 1000:.0f} ms (medians of {rounds} fresh "
        f"processes each, alternating); ratio {statistics.median(ratios):.3f} (range {ratios[0]:.3f}-{ratios[-1]:.3f};"
        f" target ≤ 1.15); load average {load}"
    )
    print(
        "costliest package modules (cumulative ms): "
        + ", ".join(f"{name} {micros / 1000:.0f}" for micros, name in costliest_modules(PACKAGE))
    )


if __name__ == "__main__":
    main()
