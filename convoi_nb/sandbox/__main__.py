"""`python -m convoi_nb.sandbox --port 8787`: serve the sandbox for other processes and tools."""

from __future__ import annotations

import argparse
import logging
from typing import Optional, Sequence

from .accounts import DEFAULT_API_KEY
from .faults import FaultConfig
from .server import Sandbox
from .settings import SandboxSettings, default_db_path
from .simulation import DEFAULT_TIME_SCALE


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m convoi_nb.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port (printed at start)")
    parser.add_argument("--db", default=str(default_db_path()), help="SQLite file, or :memory:")
    parser.add_argument("--time-scale", type=float, default=DEFAULT_TIME_SCALE,
                        help="simulated seconds per real second")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API request")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 503 after commit")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped after commit")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second before 429s")
    args = parser.parse_args(argv)
    faults = FaultConfig(latency=args.latency, error_rate=args.error_rate, drop_rate=args.drop_rate,
                         rate_limit_per_second=args.rate_limit)
    settings = SandboxSettings(db_path=args.db, time_scale=args.time_scale, seed=args.seed, faults=faults)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log = logging.getLogger("convoi_nb.sandbox")
    Sandbox(settings, host=args.host, port=args.port).serve_forever(
        lambda url: log.info("Convoi sandbox on %s (simulated calls; API key %s; db %s)", url, DEFAULT_API_KEY, args.db))


if __name__ == "__main__":
    main()
