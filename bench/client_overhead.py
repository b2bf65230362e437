"""Sequential creates through ConvoiClient vs the same requests with a bare httpx.Client.

    python bench/client_overhead.py          # 100 interleaved pairs of blocks of 25 creates each way
    python bench/client_overhead.py --quick  # CI smoke run

Each pair times a block through each client back to back (order alternating), so drift on the machine hits
both alike; the figure is the median of the per-pair ratios. Target ratio ≤ 1.05. A second phase wraps timers
around the client's parts and prints where a create's time goes (validation, HTTP, retry wrapper, parsing).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from _common import AGENT, sandbox_process

from convoi_nb import ConvoiClient

BODY = {
    "type": "web",
    "agent_id": AGENT,
    "agent_overrides": {"llm": {"model": "gpt-4o", "temperature": 0.3}},
    "metadata": {"bench": "overhead"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--block-size", type=int, default=25)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.blocks, args.block_size = 4, 25
    with sandbox_process() as (url, key, _), httpx.Client() as bare, ConvoiClient(api_key=key, base_url=url) as client:
        headers = {"Authorization": f"Bearer {key}", "User-Agent": "bench"}

        def with_convoi() -> None:
            client.create_web_call(AGENT, agent_overrides=BODY["agent_overrides"], metadata=BODY["metadata"])

        def with_httpx() -> None:
            response = bare.post(
                f"{url}/api/v1/public/calls", json=BODY, headers={**headers, "Idempotency-Key": str(uuid.uuid4())}
            )
            response.raise_for_status()
            response.json()

        for warm in (with_convoi, with_httpx):
            for _ in range(10):
                warm()
        times: dict[str, list[float]] = {"convoi": [], "httpx": []}
        for block in range(args.blocks):
            order = [("convoi", with_convoi), ("httpx", with_httpx)]
            for name, action in order if block % 2 == 0 else reversed(order):
                started = time.perf_counter()
                for _ in range(args.block_size):
                    action()
                times[name].append((time.perf_counter() - started) / args.block_size)
        stages = breakdown(client, with_convoi, args.blocks * args.block_size // 4)
    convoi, bare_time = statistics.median(times["convoi"]), statistics.median(times["httpx"])
    ratios = sorted(c / b for c, b in zip(times["convoi"], times["httpx"], strict=False))
    quartiles = statistics.quantiles(ratios, n=4)
    print(
        f"ConvoiClient {convoi * 1000:.3f} ms/create, bare httpx {bare_time * 1000:.3f} ms/create "
        f"(medians of {args.blocks} blocks of {args.block_size}); ratio {statistics.median(ratios):.3f} "
        f"(interquartile {quartiles[0]:.3f}–{quartiles[2]:.3f}; target ≤ 1.05)"
    )
    client_work = stages["validate + serialise"] + stages["typed parse"] + stages["retry wrapper + status check"]
    print(
        "where a ConvoiClient create goes (µs): "
        + ", ".join(f"{name} {value:.0f}" for name, value in stages.items())
        + f"; client work {client_work:.0f} µs = {client_work / stages['HTTP round trip'] * 100:.1f}% of the round trip"
    )


def breakdown(client: ConvoiClient, create: Callable[[], None], n: int) -> dict[str, float]:
    """Per-create time in each stage, from timers wrapped around the client's parts (a separate phase, so the
    timers' own cost stays out of the ratio above)."""
    spent = {"validate + serialise": 0.0, "HTTP round trip": 0.0, "typed parse": 0.0}
    core, transport = client._core, client._transport

    def timed(stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[stage] += time.perf_counter() - started

        return wrapper

    core.create_web_call = timed("validate + serialise", core.create_web_call)  # type: ignore[method-assign]
    transport.send = timed("HTTP round trip", transport.send)  # type: ignore[method-assign]
    core.parse_call = timed("typed parse", core.parse_call)  # type: ignore[method-assign]
    started = time.perf_counter()
    for _ in range(n):
        create()
    total = time.perf_counter() - started
    spent["retry wrapper + status check"] = total - sum(spent.values())
    return {stage: seconds / n * 1e6 for stage, seconds in spent.items()}


if __name__ == "__main__":
    main()
