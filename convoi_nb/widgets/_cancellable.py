"""`CancellableRun`: a coroutine run on an event loop of the calling thread's own, cancellable from any thread.

The ExperimentPanel's Stop, pressed on the kernel's thread, cancels a run on the panel's worker thread.

Cancelling is safe for an experiment's run at any await: every call created is recorded in the store as it is
created, and a later run resumes from the store (calls whose create was cut short are found on the server).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class CancellableRun:
    """One run at a time; a `stop()` after `arm()` cancels it, whether it comes before or during `run()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed = False  # a run is expected or under way
        self._requested = False  # stop() was called for it
        self._cancel: Callable[[], Any] | None = None  # cancels the task under way
        self.stopped = False  # the last run was cancelled by stop()

    def arm(self) -> None:
        """Expect a run: from now on `stop()` cancels it, even before `run()` starts it."""
        with self._lock:
            self._armed, self._requested = True, False

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T | None:
        """Run `coroutine` to its end on a new event loop in this thread.

        Args:
            coroutine: What to run.

        Returns:
            What it returned, or None when `stop()` cancelled it.
        """
        loop = asyncio.new_event_loop()
        task = loop.create_task(coroutine)
        with self._lock:
            self._armed, self.stopped = True, False
            if self._requested:  # Stop came first: the task is cancelled before its first step
                task.cancel()
            self._cancel = lambda: loop.call_soon_threadsafe(task.cancel)
        try:
            return loop.run_until_complete(task)
        except asyncio.CancelledError:
            self.stopped = True
            return None
        finally:
            with self._lock:
                self._armed, self._requested, self._cancel = False, False, None
            loop.close()

    def stop(self) -> bool:
        """Cancel the run under way (or the one armed and about to start).

        Returns:
            Whether there was a run to stop.
        """
        with self._lock:
            if not self._armed:
                return False
            self._requested = True
            if self._cancel is not None:
                self._cancel()
            return True
