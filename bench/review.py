"""Cost review at account scale: generated history → export through the HTTP listing → DuckDB review queries,
against the same aggregations in pandas on the full frame.

    python bench/review.py           # 1,000,000 calls
    python bench/review.py --quick   # 5,000 calls (CI smoke run)

The sandbox serves from its own process; the export, the DuckDB queries and the pandas baseline each run in a
child process of their own, which reports its own peak RSS (VmHWM), so no step's memory hides another's.
Targets: export and queries each ≤ 1 GiB peak RSS; DuckDB ≥ 5× faster than pandas.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, best_of, process_cpu_seconds

from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_API_KEY
from convoi_nb.sandbox.process import spawn

QUESTIONS = ("agent", "day", "week", "status", "metadata.source", "top", "variants", "week change")


def peak_rss_mib() -> float:
    """This process's peak RSS. Not `ru_maxrss`: Linux folds the parent's RSS at fork into a child's, through
    exec, so every child would report at least the bench's own; VmHWM is the peak of this program alone."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024  # kB
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux: the best there is


# -- the children --------------------------------------------------------------------------------------------


def child_export(url: str, folder: str) -> dict[str, Any]:
    from convoi_nb import ConvoiClient

    started, cpu = time.perf_counter(), time.process_time()
    with ConvoiClient(api_key=DEFAULT_API_KEY, base_url=url) as client:
        summary = client.export_calls(folder)
    return {
        "calls": summary.calls,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
        "rss": peak_rss_mib(),
    }


def child_duckdb(folder: str) -> dict[str, Any]:
    from convoi_nb.review import Review

    with Review(folder) as review:

        def run() -> None:
            for by in ("agent", "day", "week", "status", "metadata.source"):
                review.cost_by(by)
            review.top_calls(10)
            review.variant_rates()
            review.period_change("week")

        seconds = best_of(3, run)
    return {"seconds": seconds, "rss": peak_rss_mib()}


def child_pandas(folder: str) -> dict[str, Any]:
    """The same eight answers from the whole frame in pandas: once with the exact Decimal amounts (the totals
    DuckDB gives), once with float64 amounts (the frames' dtype: faster, not exact)."""
    import pandas as pd

    from convoi_nb.review import arrow_dataset

    started = time.perf_counter()
    frame = arrow_dataset(Path(folder)).to_table().to_pandas()
    load = time.perf_counter() - started
    week = frame["created_at"].dt.floor("D") - pd.to_timedelta(frame["created_at"].dt.weekday, unit="D")

    def totals(keys: list[Any], rows: Any) -> Any:
        return rows.groupby(keys, observed=True).agg(
            calls=("id", "count"), total_cost=("cost_amount", "sum"), seconds=("duration_seconds", "sum")
        )

    def run() -> None:
        for key in ("agent_id", "day", "status", "metadata.source"):
            totals([key, "cost_currency"], frame)
        totals([week, "cost_currency"], frame)
        if frame["cost_amount"].dtype == "float64":
            frame.nlargest(10, "cost_amount")  # the fast way, for floats only
        else:
            frame.sort_values(["cost_amount", "id"], ascending=[False, True]).head(10)
        tagged = frame[frame["metadata.experiment"].notna()]
        totals(["metadata.experiment", "metadata.variant", "cost_currency"], tagged)
        weekly = totals([week, "cost_currency"], frame)
        weekly["total_cost"].diff()

    exact = best_of(1, run)  # Decimal objects: slow enough that one round tells
    frame["cost_amount"] = frame["cost_amount"].astype("float64")
    return {"exact": exact, "float": best_of(3, run), "load": load, "rss": peak_rss_mib(), "rows": len(frame)}


CHILDREN = {"export": child_export, "duckdb": child_duckdb, "pandas": child_pandas}


def in_child(name: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", name, *args],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        timeout=3600,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{name} child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 calls (CI smoke run)")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--days", type=float, default=90.0, help="days the history spreads over")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](*args.child[1:])))
        return
    n = args.calls or (5_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory(prefix="convoi-review-bench-") as tmp:
        db, folder = Path(tmp) / "sandbox.sqlite3", Path(tmp) / "calls"
        sandbox = Sandbox(SandboxSettings(db_path=db))
        started = time.perf_counter()
        sandbox.generate_history(n, days=args.days)
        generated = time.perf_counter() - started
        sandbox.stop()
        process, url = spawn(["--db", str(db)], cwd=str(ROOT))
        try:
            served = process_cpu_seconds(process.pid)
            export = in_child("export", url, str(folder))
            served = process_cpu_seconds(process.pid) - served
        finally:
            process.terminate()
            process.wait(timeout=10)
        size = sum(p.stat().st_size for p in folder.rglob("*.parquet"))
        duck = in_child("duckdb", str(folder))
        frame = in_child("pandas", str(folder))
    assert export["calls"] == frame["rows"] == n, (export, frame)
    print(
        f"{n:,} calls: history generated in {generated:.1f} s; export {export['calls'] / export['seconds']:,.0f} "
        f"calls/s ({export['seconds']:.1f} s, {size / 2**20:.0f} MiB of Parquet, peak RSS "
        f"{export['rss']:.0f} MiB)"
    )
    print(
        f"CPU per call: sandbox serving the listing {served / n * 1e6:.0f} µs, exporting process "
        f"{export['cpu'] / n * 1e6:.0f} µs (pages are fetched one after another, so the two add up)"
    )
    print(
        f"review queries ({len(QUESTIONS)}: {', '.join(QUESTIONS)}): DuckDB over the files {duck['seconds']:.3f} s "
        f"(peak RSS {duck['rss']:.0f} MiB)"
    )
    print(
        f"pandas on the full frame (loaded in {frame['load']:.1f} s, peak RSS {frame['rss']:.0f} MiB): exact Decimal "
        f"totals {frame['exact']:.3f} s, DuckDB {frame['exact'] / duck['seconds']:.1f}× faster; float64 totals "
        f"{frame['float']:.3f} s, DuckDB {frame['float'] / duck['seconds']:.1f}× faster; counting the load, "
        f"DuckDB {(frame['float'] + frame['load']) / duck['seconds']:.1f}× faster"
    )
    within = max(export["rss"], duck["rss"]) <= 1024
    print(f"peak RSS of export and queries within 1 GiB: {'yes' if within else 'NO'}")


if __name__ == "__main__":
    main()
