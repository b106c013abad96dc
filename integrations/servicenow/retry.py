"""Bounded retries with exponential backoff for whole ServiceNow operations."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from bot.ports.adapters import AdapterError
from integrations.servicenow.client import ServiceNowError

log = logging.getLogger(__name__)

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int
    backoff_seconds: float
    max_backoff_seconds: float

    def delay(self, attempt: int, error: AdapterError) -> float:
        """Seconds to wait after failed `attempt` (1-based), honouring a Retry-After hint."""
        exponential = self.backoff_seconds * 2.0 ** (attempt - 1)
        # Jitter spreads replicas that failed together so they do not retry in lockstep.
        delay = exponential * (0.5 + random.random() / 2)
        if isinstance(error, ServiceNowError) and error.retry_after is not None:
            delay = max(delay, error.retry_after)
        return min(delay, self.max_backoff_seconds)


async def with_retries(
    operation: str,
    attempt: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """Run `attempt` until it succeeds, fails for good, or uses up the policy's attempts."""
    for number in range(1, policy.max_attempts + 1):
        try:
            return await attempt()
        except AdapterError as exc:
            if not exc.retryable or number == policy.max_attempts:
                raise
            delay = policy.delay(number, exc)
            log.warning(
                "ServiceNow %s failed (%s), attempt %d of %d; retrying in %.2fs",
                operation,
                exc.code,
                number,
                policy.max_attempts,
                delay,
            )
            await sleep(delay)
    raise AssertionError("unreachable: the last attempt returns or raises")
