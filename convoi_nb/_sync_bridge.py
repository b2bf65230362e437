"""Run a coroutine to completion from sync code, even inside Jupyter's already-running event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run` when no loop is running; otherwise on a fresh loop in a worker thread.

    Jupyter runs cells inside a live loop, where `asyncio.run` fails with "event loop is already running";
    a private loop in a thread avoids that without patching the kernel's loop (no nest_asyncio).

    Args:
        coroutine: the coroutine to run.

    Returns:
        What the coroutine returned.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="convoi-run") as pool:
        return pool.submit(asyncio.run, coroutine).result()
