"""A clock you move by hand: backfill weeks of call history in a sandbox, or step through a call in tests."""

from __future__ import annotations

import time
from datetime import datetime

from ..errors import ValidationError


class ManualClock:
    """Epoch seconds that change only when told; pass as `SandboxSettings(clock=...)`.

    Args:
        start: The moment the clock shows first (now if None).

    Examples:
        >>> from datetime import datetime, timezone
        >>> from convoi_nb.sandbox import ManualClock
        >>> clock = ManualClock(datetime(2026, 1, 1, tzinfo=timezone.utc))
        >>> clock.advance(90)
        >>> datetime.fromtimestamp(clock(), timezone.utc).isoformat()
        '2026-01-01T00:01:30+00:00'
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start.timestamp() if start is not None else time.time()

    def __call__(self) -> float:
        """The clock's epoch seconds now.

        Returns:
            The time the clock shows.
        """
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward.

        Args:
            seconds: How far (>= 0).

        Raises:
            ValidationError: `seconds` is negative.
        """
        if not seconds >= 0:
            raise ValidationError.of_field("clock step", "seconds", f"time only moves forward (got {seconds!r})")
        self.now += seconds

    def set(self, when: datetime) -> None:
        """Move the clock forward to a moment.

        Args:
            when: The moment (not before the clock's now).
        """
        self.advance(when.timestamp() - self.now)
