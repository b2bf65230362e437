"""`python -m convoi_nb.sandbox --port 8787`: serve the sandbox for other processes and tools.

Loopback only by default. Another host (`--host 0.0.0.0`) needs `--allow-remote` and a key of your own
(`--api-key` or CONVOI_SANDBOX_API_KEY): the demo keys are in the docs for anyone to read.

`python -m convoi_nb.sandbox reset` removes this project's sandbox databases (`sandbox.sqlite3` and
`standalone.sqlite3` in the working folder `.convoi_nb/`, with their `-wal`/`-shm`/`-journal` files) and nothing
else: the next sandbox starts with no calls.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Sequence

from .. import workspace
from ..errors import ConvoiError
from . import db_file
from .accounts import DEFAULT_API_KEY
from .faults import FaultConfig
from .server import Sandbox, remote_problem
from .settings import DB_ENV, REMOTE_MAX_CONNECTIONS, REQUEST_TIMEOUT, SandboxSettings, default_db_path
from .simulation import DEFAULT_TIME_SCALE

API_KEY_ENV = "CONVOI_SANDBOX_API_KEY"
# The databases the sandboxes keep in the working folder by default (settings.default_db_path's names).
DATABASES = ("sandbox.sqlite3", "standalone.sqlite3")


def build_parser() -> argparse.ArgumentParser:
    """The command line's options.

    Returns:
        The parser.
    """
    parser = argparse.ArgumentParser(prog="python -m convoi_nb.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="loopback unless --allow-remote")
    parser.add_argument("--allow-remote", action="store_true", help="serve on a non-loopback host (requires --api-key)")
    parser.add_argument(
        "--api-key",
        default=os.environ.get(API_KEY_ENV),
        help=f"a key of your own instead of the demo keys (or set {API_KEY_ENV})",
    )
    parser.add_argument("--port", type=int, default=8787, help="0 picks a free port (printed at start)")
    parser.add_argument(
        "--db",
        default=None,
        help=f"SQLite file, or :memory: (default: ${DB_ENV}, else standalone.sqlite3 in the project's working "
        "folder .convoi_nb/: its own file, not the notebooks')",
    )
    parser.add_argument(
        "--time-scale", type=float, default=DEFAULT_TIME_SCALE, help="simulated seconds per real second"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API request")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered 503 after commit")
    parser.add_argument("--drop-rate", type=float, default=0.0, help="share of connections dropped after commit")
    parser.add_argument(
        "--history",
        type=int,
        default=0,
        metavar="N",
        help="first write N simulated past calls into the database (bulk, for scale tests)",
    )
    parser.add_argument("--history-days", type=float, default=30.0, help="days the --history calls spread over")
    parser.add_argument("--rate-limit", type=float, default=None, help="requests per second before 429s")
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=REQUEST_TIMEOUT,
        help="seconds a request may take to arrive whole; slower connections are closed",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=None,
        help=f"connections served at once before 503s (default: no cap on loopback, {REMOTE_MAX_CONNECTIONS} remote)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a sandbox until interrupted (or, given `reset` first, remove this project's sandbox databases).

    Args:
        argv: The command line's arguments (sys.argv's if None).
    """
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["reset"]:
        reset(arguments[1:])
        return
    parser = build_parser()
    args = parser.parse_args(arguments)
    problem = remote_problem(args.host, args.allow_remote, args.api_key, flags=True)
    if problem:
        parser.error(problem)
    try:
        faults = FaultConfig(
            latency=args.latency,
            error_rate=args.error_rate,
            drop_rate=args.drop_rate,
            rate_limit_per_second=args.rate_limit,
        )
        if args.db is None:
            args.db = str(default_db_path("standalone"))
        settings = SandboxSettings(
            db_path=args.db,
            time_scale=args.time_scale,
            seed=args.seed,
            faults=faults,
            api_key=args.api_key,
            request_timeout=args.request_timeout,
            max_connections=args.max_connections,
        )
        sandbox = Sandbox(settings, host=args.host, port=args.port, allow_remote=args.allow_remote)
    except ConvoiError as exc:  # a bad setting, or a database file that cannot be used
        parser.error(str(exc))
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    log = logging.getLogger("convoi_nb.sandbox")
    key = "your --api-key" if args.api_key else f"API key {DEFAULT_API_KEY}"
    if args.history:
        started = time.perf_counter()
        written = sandbox.generate_history(args.history, days=args.history_days, seed=args.seed)
        log.info("wrote %d simulated past calls in %.1f s", written, time.perf_counter() - started)
    sandbox.serve_forever(lambda url: log.info("Convoi sandbox on %s (simulated calls; %s; db %s)", url, key, args.db))


def reset(argv: Sequence[str] = ()) -> list[str]:
    """`python -m convoi_nb.sandbox reset`: remove this project's sandbox databases, and print what was removed.

    Only `sandbox.sqlite3` and `standalone.sqlite3` (and their `-wal`, `-shm`, `-journal` files) in the working
    folder, as regular files, never through a symbolic link; a database `CONVOI_SANDBOX_DB` names is shared, so it
    is left alone (and said so). Stop the kernels and servers using the database first.

    Args:
        argv: The arguments after `reset` (only `--help`).

    Returns:
        The names of the files removed.
    """
    parser = argparse.ArgumentParser(
        prog="python -m convoi_nb.sandbox reset",
        description="Remove this project's sandbox databases (sandbox.sqlite3, standalone.sqlite3) from its working "
        "folder .convoi_nb/, and nothing else. Stop the kernels and servers using them first.",
    )
    parser.parse_args(argv)
    folder = workspace.locate()
    try:
        removed, left = db_file.remove(folder, DATABASES)
    except ConvoiError as exc:
        parser.error(str(exc))
    if removed:
        print(f"removed from {folder}: {', '.join(removed)}")
    else:
        print(f"no sandbox database in {folder}: nothing to remove")
    if left:
        print(f"left as they are (not regular files, so not the sandbox's): {', '.join(left)}")
    if os.environ.get(DB_ENV):
        print(f"{DB_ENV} is set ({os.environ[DB_ENV]}): that database is shared, so it was left as it is")
    print("kept: everything else in the folder (the experiments' results store, exports, your notebook copies)")
    return removed


if __name__ == "__main__":
    main()
