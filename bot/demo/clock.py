"""Real time that a person can move forward, for the web sandbox's "later" button."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from bot.domain.clock import utcnow


class ShiftableTime:
    """The machine's clocks plus an offset that only grows; sleeps are real.

    The web sandbox runs in real time (its outbox and sweeper wait like a server does),
    but showing an approval expire should not take half an hour: `skip` moves both
    clocks forward at once, as if the time had gone by.
    """

    def __init__(self) -> None:
        self._offset = 0.0

    def now(self) -> datetime:
        return utcnow() + timedelta(seconds=self._offset)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    def skip(self, seconds: float) -> None:
        """Jump forward; time never goes back."""
        if seconds < 0:
            raise ValueError("time does not go back")
        self._offset += seconds
