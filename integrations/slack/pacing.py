"""Client-side pacing so a burst of incidents queues instead of hitting 429s."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from bot.domain.clock import REAL_TIME, TimeSource

# Idle buckets are looked for at most this often (monotonic seconds), so a call costs no
# scan of every channel ever paced.
PRUNE_EVERY = 60.0


@dataclass
class _Bucket:
    tokens: float
    updated: float
    rate: float
    burst: float

    def full_at(self) -> float:
        """When the bucket is full again: from then on it is the same as a new one."""
        return self.updated + max(0.0, self.burst - self.tokens) / self.rate


class Pacer:
    """Token buckets by key; `acquire` waits until the key may make one more call.

    One bucket per channel would otherwise stay for the life of the process; a bucket
    that has refilled says nothing a new one would not, so it is dropped.
    """

    def __init__(self, time: TimeSource = REAL_TIME) -> None:
        self._time = time
        self._buckets: dict[str, _Bucket] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._pruned_at = time.monotonic()

    @property
    def keys(self) -> frozenset[str]:
        """The keys that have a bucket now."""
        return frozenset(self._buckets)

    async def acquire(self, key: str, rate_per_second: float, burst: float) -> None:
        self._prune()
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = self._time.monotonic()
            bucket = self._buckets.setdefault(
                key, _Bucket(tokens=burst, updated=now, rate=rate_per_second, burst=burst)
            )
            bucket.rate, bucket.burst = rate_per_second, burst
            bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate_per_second)
            bucket.updated = now
            if bucket.tokens < 1:
                wait = (1 - bucket.tokens) / rate_per_second
                await self._time.sleep(wait)
                bucket.tokens = 1.0
                bucket.updated = self._time.monotonic()
            bucket.tokens -= 1

    def _prune(self) -> None:
        now = self._time.monotonic()
        if now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        for key, bucket in list(self._buckets.items()):
            lock = self._locks.get(key)
            if bucket.full_at() <= now and (lock is None or not lock.locked()):
                del self._buckets[key]
                self._locks.pop(key, None)
