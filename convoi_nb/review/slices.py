"""The export's listing cut into UTC days, each listed on its own, a bounded number at a time.

A slice is one UTC day of the export's window. Its listing asks for the calls created before the next day's start
(`created_before`, exclusive, as the listing reads it; clipped to the window) and reads them newest first until
the first call created before the day's start (the day's first page is `created_before`'s own, read without a
cursor). Neighbouring slices meet at the same instant, exclusive above and inclusive below, so a call created
exactly at midnight is in the day it starts, once. The listing's order is its contract (newest first); a call
listed out of that order, or outside its slice, stops the export with a `DatasetError` rather than be misfiled.

Why not `created_after` = the day's start as well: a listing then scans, after the day's last call, every older
call for one more match; a service without an index on creation time (the sandbox's SQLite store) pays a scan of
the whole history per day. Reading one call past the day costs at most one page per day, and tells where the next
day with calls is. The window's own start, when it has one, is still sent (`created_after`).

Within a slice the pages follow the listing's cursor, one after another; up to `concurrency` slices are listed
at once, so at most that many requests are in flight; the days listed while earlier ones are written make at
most twice that many days' rows held in memory.

Which days to list is found as the listing goes (`DayPlan`): from the newest day down; the first call a slice
reads past its day names the next day that has calls (the days between hold none), and a listing that ends says
that no older day is left. So an export needs no count of days up front, and skips gaps of any length.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from ..errors import DatasetError, ValidationError
from ..models import Call
from .schema import call_row

DEFAULT_CONCURRENCY = 8
MAX_CONCURRENCY = 64
_ONE_DAY = timedelta(days=1)


def check_concurrency(value: object) -> int:
    """The number of days listed at once, checked (None gives the default).

    Args:
        value: What the caller passed as `concurrency`.

    Returns:
        An int from 1 to `MAX_CONCURRENCY`.

    Raises:
        ValidationError: Not an int in that range.
    """
    if value is None:
        return DEFAULT_CONCURRENCY
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_CONCURRENCY:
        raise ValidationError.of_field(
            "export",
            "concurrency",
            f"must be an int from 1 to {MAX_CONCURRENCY} (requests in flight at once), got {value!r}",
        )
    return value


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of `day`.

    Args:
        day: A calendar day.

    Returns:
        The aware datetime.
    """
    return datetime.combine(day, time(), timezone.utc)


@dataclass(frozen=True)
class Window:
    """The span of creation times one export run lists: `[after, before)`, `after` None for no lower bound.

    Attributes:
        after: The earliest creation time listed (inclusive), or None.
        before: The snapshot: calls created at or after it are left to the next run (exclusive).
    """

    after: datetime | None
    before: datetime

    def bounds(self, day: date) -> dict[str, datetime]:
        """The listing filters of one day's slice: the next day's start, clipped to the window (see the module).

        Args:
            day: The slice's UTC day.

        Returns:
            `created_before`, and the window's `created_after` when it has one.
        """
        before = min(start_of(day + _ONE_DAY), self.before)
        return {"created_before": before, **({"created_after": self.after} if self.after is not None else {})}


class DayPlan:
    """The days still to list, newest first, shared by the workers (thread-safe).

    Args:
        window: The run's window.
        done: Days an interrupted run already wrote (skipped).
    """

    def __init__(self, window: Window, done: set[str]) -> None:
        self.window, self._done = window, frozenset(done)
        self._next: date | None = (window.before - timedelta(microseconds=1)).astimezone(timezone.utc).date()
        self._stop: date | None = None if window.after is None else window.after.astimezone(timezone.utc).date()
        self._lock = threading.Lock()

    def take(self) -> date | None:
        """The next day to list, or None when none is left.

        Returns:
            A UTC day, or None.
        """
        with self._lock:
            while self._next is not None and (self._stop is None or self._next >= self._stop):
                day, self._next = self._next, self._next - _ONE_DAY if self._next > date.min else None
                if day.isoformat() not in self._done:
                    return day
            return None

    def below(self, day: date, newest_older: Call | None) -> None:
        """Record what a slice read past its day: the newest call created before `day`, or None (none is).

        Args:
            day: A day just listed.
            newest_older: The newest call created before `day` in the window, or None.
        """
        with self._lock:
            if newest_older is None:  # nothing below `day`: no day under it is handed out
                self._stop = day if self._stop is None else max(self._stop, day)
            else:  # the days between hold nothing: jump to the probe's day
                found = newest_older.created_at.astimezone(timezone.utc).date()
                if self._next is not None and found < self._next:
                    self._next = found


@dataclass
class DaySlice:
    """One day's calls as rows, in the listing's order (newest first).

    Attributes:
        day: The UTC day.
        bounds: The slice's listing filters.
        rows: Each call as `schema.call_row` gives it.
        in_flight: How many of them had not finished.
        older: The first call listed past the day (the newest older one), if any.
    """

    day: date
    bounds: dict[str, datetime]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    in_flight: int = 0

    older: Call | None = None
    _last: datetime | None = None

    def add(self, call: Call) -> bool:
        """Add one listed call, or keep it as the first one older than the day (the slice ends there).

        Args:
            call: The next call of the slice's listing.

        Returns:
            False once the listing has gone past the day: read no more.

        Raises:
            DatasetError: The call is newer than the one listed before it, or than the slice's end.
        """
        created = call.created_at.astimezone(timezone.utc)
        end = self.bounds["created_before"]
        if created >= end or (self._last is not None and created > self._last):
            raise DatasetError(
                f"the listing returned call {call.id}, created at {created.isoformat()}, out of its order (newest "
                f"first, before {min(end, self._last or end).isoformat()}): the export stopped rather than misfile "
                "it (what it wrote is kept, and the next run resumes)"
            )
        self._last = created
        if created.date() != self.day:
            self.older = call
            return False
        self.rows.append(call_row(call))
        self.in_flight += not call.is_terminal
        return True


class Stopped(Exception):
    """A worker's listing stopped because another worker failed (never reaches the caller)."""


def run_threads(
    plan: DayPlan, fetch: Callable[[date, threading.Event], DaySlice], write: Callable[[DaySlice], None], workers: int
) -> None:
    """List the plan's days on `workers` threads and write each finished day on this one.

    A day is handed to a thread only when one is free, and the threads go on listing while finished days are
    written, so at most `2 × workers` days are held; on any failure (a request, a write, an interrupt) the other
    threads stop at their next call and the failure is raised.

    Args:
        plan: The days to list.
        fetch: Lists one day (stopping with `Stopped` once the event is set).
        write: Writes one finished day.
        workers: Threads, each with one request in flight at most.
    """
    stop = threading.Event()
    with ThreadPoolExecutor(workers, thread_name_prefix="convoi-export") as pool:
        running: set[Future[DaySlice]] = set()
        try:
            while True:
                while len(running) < workers and (day := plan.take()) is not None:
                    running.add(pool.submit(fetch, day, stop))
                if not running:
                    return
                done, running = wait(running, return_when=FIRST_COMPLETED)
                finished = [future.result() for future in done]
                while len(running) < workers and (day := plan.take()) is not None:  # listing goes on while writing
                    running.add(pool.submit(fetch, day, stop))
                for listed in finished:
                    write(listed)
        except BaseException:
            stop.set()
            for future in running:
                future.cancel()
            raise


async def run_tasks(
    plan: DayPlan, fetch: Callable[[date], Awaitable[DaySlice]], write: Callable[[DaySlice], None], workers: int
) -> None:
    """`run_threads` for the async client: `workers` tasks on this event loop.

    Args:
        plan: The days to list.
        fetch: Lists one day.
        write: Writes one finished day.
        workers: Tasks, each with one request in flight at most.
    """
    running: set[asyncio.Future[DaySlice]] = set()
    try:
        while True:
            while len(running) < workers and (day := plan.take()) is not None:
                running.add(asyncio.ensure_future(fetch(day)))
            if not running:
                return
            done, running = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            finished = [task.result() for task in done]
            while len(running) < workers and (day := plan.take()) is not None:
                running.add(asyncio.ensure_future(fetch(day)))
            for listed in finished:  # on a thread, one at a time: the loop goes on listing meanwhile
                await asyncio.to_thread(write, listed)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
