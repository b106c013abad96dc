"""Client-side pacing so a burst of incidents queues instead of hitting 429s."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.domain.clock import REAL_TIME, TimeSource


@dataclass
class _Bucket:
    tokens: float
    updated: float


class Pacer:
    """Token buckets by key; `acquire` waits until the key may make one more call."""

    def __init__(self, time: TimeSource = REAL_TIME) -> None:
        self._time = time
        self._buckets: dict[str, _Bucket] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def acquire(self, key: str, rate_per_second: float, burst: float) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = self._time.monotonic()
            bucket = self._buckets.setdefault(key, _Bucket(tokens=burst, updated=now))
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate_per_second)
            bucket.updated = now
            if bucket.tokens < 1:
                wait = (1 - bucket.tokens) / rate_per_second
                await self._time.sleep(wait)
                bucket.tokens = 1.0
                bucket.updated = self._time.monotonic()
            bucket.tokens -= 1
