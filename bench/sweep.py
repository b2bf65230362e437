"""Concurrent experiment sweep vs the ideal bound and vs a sequential loop of the same client.

    python bench/sweep.py            # full size: 1,000 creates, concurrency 32, 200 ms and 50 ms latency
    python bench/sweep.py --quick    # CI smoke run

Prints, per injected latency: wall time, ideal bound ceil(N/C)·latency, their ratio (target ≤ 1.10), the
speedup over a sequential loop (a timed sample, scaled; target ≥ 28× at 200 ms), and which limit was hit.
"""

from __future__ import annotations

import argparse
import math
import os
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

from _common import AGENT, process_cpu_seconds, sandbox_process

from convoi_nb import ConvoiClient
from convoi_nb.experiments import Experiment, Variant

VARIANTS = [
    Variant("base"),
    Variant("gpt-4o", {"llm": {"model": "gpt-4o"}}),
    Variant("fast", {"tts": {"speed": 1.2}}),
    Variant("warm", {"llm": {"temperature": 1.0}}),
]


def measure(n: int, concurrency: int, latency: float, sample: int) -> None:
    with sandbox_process(latency) as (url, key, pid), TemporaryDirectory() as tmp:
        client = ConvoiClient(api_key=key, base_url=url)
        client.create_web_call(AGENT)  # warm the connection and the server
        started = time.perf_counter()
        for _ in range(sample):
            client.create_web_call(AGENT, metadata={"bench": "sequential"})
        per_call = (time.perf_counter() - started) / sample
        experiment = Experiment(
            f"sweep-{uuid.uuid4().hex[:8]}",
            AGENT,
            VARIANTS,
            replicates=n // len(VARIANTS),
            store=Path(tmp) / "sweep.sqlite3",
        )
        server_cpu, client_cpu = process_cpu_seconds(pid), sum(os.times()[:2])
        started = time.perf_counter()
        results = experiment.run(client, concurrency=concurrency, progress=False)
        wall = time.perf_counter() - started
        server_busy = (process_cpu_seconds(pid) - server_cpu) / wall
        client_busy = (sum(os.times()[:2]) - client_cpu) / wall
        created = results.frame()["id"].notna().sum()
        client.close()
    total = len(VARIANTS) * (n // len(VARIANTS))
    ideal = math.ceil(total / concurrency) * latency
    ratio = wall / ideal
    speedup = per_call * total / wall
    # The server is one event loop (one core at most); client and server share the machine's 2 cores.
    busy = f"server {server_busy:.2f} + client {client_busy:.2f} cores busy"
    limit = (
        "latency: within 10% of the ideal bound"
        if ratio <= 1.10
        else f"server CPU: its single event loop is saturated ({busy})"
        if server_busy > 0.75
        else f"CPU: both cores ({busy})"
        if server_busy + client_busy > 1.6
        else f"request bursts queueing on the server ({busy})"
    )
    print(
        f"latency {latency * 1000:.0f} ms: {created}/{total} calls at concurrency {concurrency} in {wall:.2f} s; "
        f"ideal {ideal:.2f} s; ratio {ratio:.3f}; sequential {per_call * 1000:.1f} ms/call "
        f"(sample of {sample}) → speedup {speedup:.1f}× (ideal {concurrency}×); limit: {limit}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.2, 0.05])
    parser.add_argument("--sample", type=int, default=20, help="sequential creates timed to estimate the loop")
    parser.add_argument("--quick", action="store_true", help="small smoke run (CI)")
    args = parser.parse_args()
    if args.quick:
        args.n, args.latency, args.sample = 128, [0.05], 5
    for latency in args.latency:
        measure(args.n, args.concurrency, latency, args.sample)


if __name__ == "__main__":
    main()
