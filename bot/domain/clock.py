"""The one place time is read and waited on, so tests and policy can inject it.

`Clock` is the narrow "what time is it" that policy and flows take. `TimeSource` adds the
monotonic clock and `sleep`, for everything that waits: Slack pacing and 429 retries,
action and adapter retries, outbox backoff and draining. Production runs on `REAL_TIME`;
tests run on `VirtualTime`, where a sleep moves the clock instead of waiting, so a test
of a ten-minute verification window takes milliseconds and proves the same thing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class TimeSource(Protocol):
    """Wall-clock time, a monotonic clock for measuring intervals, and waiting."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; only differences mean anything."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` (at least yield to the event loop)."""
        ...


class RealTime:
    """The machine's clocks and asyncio's sleep."""

    def now(self) -> datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def __repr__(self) -> str:
        return "RealTime()"


REAL_TIME: TimeSource = RealTime()


class VirtualTime:
    """Time that passes only when someone sleeps or the test moves it.

    `sleep` adds its seconds to the clock and yields once, so whatever waits (a paced
    Slack call, a retry's backoff, an outbox job's `not_before`) is due at once, and every
    reading of the clock, wall or monotonic, agrees that the time went by. Concurrent
    sleeps add up rather than overlap: the clock may run ahead of what a real run would
    show, never behind, so nothing happens earlier than it may. Every sleep is recorded
    in `sleeps`, so a test can assert the exact waits asked for.
    """

    def __init__(self, start: datetime | None = None, *, monotonic_start: float = 1000.0) -> None:
        self._start = start if start is not None else utcnow()
        if self._start.tzinfo is None:
            raise ValueError("VirtualTime needs a timezone-aware start")
        self._monotonic_start = monotonic_start
        self._elapsed = 0.0
        self.sleeps: list[float] = []

    @property
    def elapsed(self) -> float:
        """Seconds the clock has moved since it started."""
        return self._elapsed

    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def __call__(self) -> datetime:
        """A `Clock` too, for code that only reads the time."""
        return self.now()

    def monotonic(self) -> float:
        return self._monotonic_start + self._elapsed

    def advance(self, seconds: float = 0.0, **units: float) -> None:
        """Move the clock forward (`advance(30)`, `advance(minutes=11)`); never back."""
        step = seconds + timedelta(**units).total_seconds()
        if step < 0:
            raise ValueError("time does not go back")
        self._elapsed += step

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))
        # Yield like a real sleep would, so other tasks run in between.
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"VirtualTime(now={self.now().isoformat()})"
