"""The export against a serial cursor walk of the same listing, with a service some milliseconds away.

    python bench/export.py                         # 1,000,000 calls over 90 days, --latency 0.05
    python bench/export.py --calls 100000          # what fits a loaded machine's time
    python bench/export.py --quick                 # 5,000 calls (smoke run)

One sandbox process serves a generated history with `--latency` seconds added to every request. A child process
walks the listing one page after another (the serial baseline: `list_calls`, counting calls and summing their
Decimal cost); another exports it (`export_calls(concurrency=…)`), reporting its peak RSS. The export's files
must hold exactly the walk's calls: the same count, the same ids, the same Decimal total.

What bounds the export, printed from the same run:
- latency: `concurrency` requests in flight, each a page of `page_size` calls taking at least `--latency`;
- the sandbox: one process; its CPU per call served, measured during the export, gives its ceiling;
- the exporting process: its own CPU per call (parsing pages, writing Parquet) gives its ceiling.
On 2 cores the sandbox and the exporter share the machine, so the smaller ceiling is the one that binds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from _common import ROOT, in_child, peak_rss_mib, process_cpu_seconds

from convoi_nb.sandbox import Sandbox, SandboxSettings
from convoi_nb.sandbox.accounts import DEFAULT_API_KEY
from convoi_nb.sandbox.process import spawn

PAGE_SIZE = 100


def child_walk(url: str) -> dict[str, Any]:
    from convoi_nb import ConvoiClient

    started, cpu = time.perf_counter(), time.process_time()
    calls, total, ids = 0, Decimal(0), 0
    with ConvoiClient(api_key=DEFAULT_API_KEY, base_url=url) as client:
        for call in client.list_calls(page_size=PAGE_SIZE):
            calls += 1
            total += call.cost.amount
            ids ^= hash(call.id) & (2**64 - 1)  # order-free digest of the ids (PYTHONHASHSEED fixed below)
    return {
        "calls": calls,
        "total": str(total),
        "ids": ids,
        "seconds": time.perf_counter() - started,
        "cpu": time.process_time() - cpu,
    }


def child_export(url: str, folder: str, concurrency: str) -> dict[str, Any]:
    import pyarrow.compute as pc

    from convoi_nb import ConvoiClient
    from convoi_nb.review import arrow_dataset

    started, cpu = time.perf_counter(), time.process_time()
    with ConvoiClient(api_key=DEFAULT_API_KEY, base_url=url) as client:
        summary = client.export_calls(folder, concurrency=int(concurrency), page_size=PAGE_SIZE)
    seconds, used, rss = time.perf_counter() - started, time.process_time() - cpu, peak_rss_mib()
    ids, total, rows = 0, Decimal(0), 0
    for batch in arrow_dataset(folder).to_batches(columns=["id", "cost_amount"]):
        rows += batch.num_rows
        total += pc.sum(batch.column("cost_amount")).as_py() or Decimal(0)
        for call_id in batch.column("id").to_pylist():
            ids ^= hash(call_id) & (2**64 - 1)
    return {
        "calls": summary.calls,
        "rows": rows,
        "total": str(total),
        "ids": ids,
        "seconds": seconds,
        "cpu": used,
        "rss": rss,
    }


CHILDREN = {"walk": child_walk, "export": child_export}


def measured(pid: int, name: str, *args: str) -> tuple[dict[str, Any], float]:
    """A child's report and the sandbox's CPU seconds while it ran."""
    before = process_cpu_seconds(pid)
    report = in_child(__file__, name, *args)
    return report, process_cpu_seconds(pid) - before


def machine() -> str:
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    return f"nproc {os.cpu_count()}; uptime: {load}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5,000 calls (smoke run)")
    parser.add_argument("--calls", type=int, default=None, help="calls in the history (default 1,000,000)")
    parser.add_argument("--days", type=float, default=90.0, help="days the history spreads over")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the sandbox adds to every request")
    parser.add_argument("--concurrency", type=int, default=8, help="the export's days listed at once")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]](*args.child[1:])))
        return
    n = args.calls or (5_000 if args.quick else 1_000_000)
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="convoi-export-bench-") as tmp:
        db, folder = Path(tmp) / "sandbox.sqlite3", Path(tmp) / "calls"
        started = time.perf_counter()
        with Sandbox(SandboxSettings(db_path=db)) as sandbox:
            sandbox.generate_history(n, days=args.days)
        print(f"{n:,} calls over {args.days:g} days generated in {time.perf_counter() - started:.1f} s", flush=True)
        process, url = spawn(["--db", str(db), "--latency", str(args.latency)], cwd=str(ROOT))
        try:
            walk, walk_cpu = measured(process.pid, "walk", url)
            export, served = measured(process.pid, "export", url, str(folder), str(args.concurrency))
        finally:
            process.terminate()
            process.wait(timeout=10)
    same_total = Decimal(export["total"]) == Decimal(walk["total"])
    exact = export["rows"] == walk["calls"] == n and export["ids"] == walk["ids"] and same_total
    walk_rate, export_rate = n / walk["seconds"], n / export["seconds"]
    bounds = {
        "latency": args.concurrency * PAGE_SIZE / args.latency,
        "the sandbox's CPU (one process)": n / served,
        "the exporting process's CPU": n / export["cpu"],
    }
    binding = min(bounds, key=bounds.__getitem__)
    print(
        f"serial cursor walk: {walk_rate:,.0f} calls/s ({walk['seconds']:.1f} s; latency bound "
        f"{PAGE_SIZE / args.latency:,.0f} calls/s: one page of {PAGE_SIZE} per {args.latency * 1000:.0f} ms)"
    )
    print(
        f"export, concurrency {args.concurrency}: {export_rate:,.0f} calls/s ({export['seconds']:.1f} s, peak RSS "
        f"{export['rss']:.0f} MiB) = {export_rate / walk_rate:.2f}× the serial walk"
    )
    print(
        f"CPU per call: sandbox {served / n * 1e6:.0f} µs serving the export ({walk_cpu / n * 1e6:.0f} µs serving "
        f"the walk), exporting process {export['cpu'] / n * 1e6:.0f} µs"
    )
    print(
        f"busy during the export: the sandbox {served / export['seconds']:.0%} of a core, the exporting process "
        f"{export['cpu'] / export['seconds']:.0%} of a core (of {os.cpu_count()} cores shared with other work: see "
        "the load average)"
    )
    print(
        "ceilings: "
        + "; ".join(f"{name} {rate:,.0f} calls/s" for name, rate in bounds.items())
        + f". The lowest ceiling is {binding}: the export runs at {export_rate / bounds[binding]:.0%} of it (below it, "
        "the rest is the machine's cores shared with other work: see how busy each process was, and the load)"
    )
    print(
        f"exact: {exact} ({export['rows']:,} rows, ids equal {export['ids'] == walk['ids']}, Decimal total "
        f"{export['total']} vs the walk's {walk['total']}); within 1 GiB: {export['rss'] <= 1024}; "
        f"≥ 2.5× the walk: {export_rate / walk_rate >= 2.5}"
    )
    print(machine())
    if not exact:
        sys.exit("the export does not hold exactly the listing's calls")


if __name__ == "__main__":
    main()
