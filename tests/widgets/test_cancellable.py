"""CancellableRun: Stop from another thread cancels a run, before it starts or while it waits."""

from __future__ import annotations

import asyncio
import threading

from convoi_nb.widgets._cancellable import CancellableRun


def test_a_stop_while_it_waits_cancels_it_from_another_thread() -> None:
    runner = CancellableRun()
    assert not runner.stop()  # nothing armed, nothing to stop
    started = threading.Event()
    outcome: list[object] = []

    async def forever() -> str:
        started.set()
        await asyncio.Event().wait()
        return "never"

    runner.arm()
    worker = threading.Thread(target=lambda: outcome.append(runner.run(forever())))
    worker.start()
    assert started.wait(30)
    assert runner.stop()
    worker.join(30)
    assert outcome == [None] and runner.stopped and not runner.stop()


def test_a_stop_before_the_run_starts_keeps_it_from_running() -> None:
    runner = CancellableRun()
    ran: list[bool] = []

    async def work() -> int:
        ran.append(True)
        return 1

    runner.arm()
    assert runner.stop()
    assert runner.run(work()) is None and ran == [] and runner.stopped
    assert runner.run(work()) == 1 and ran == [True] and not runner.stopped  # the stop was for that run only
