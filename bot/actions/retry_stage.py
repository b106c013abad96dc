"""The one retry stage for adapter calls: wait, call, and on failure back off or stop.

Adapters only say whether a failure is recoverable (`AdapterError.retryable`) and what
the far side asked for (`retry_after`); attempts, backoff, the timeout and the shared
circuit breaker live here, in the style of Alertmanager's notify retry stage.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.domain.retry import backoff
from bot.domain.steps import before_external_step
from bot.ports.adapters import AdapterError
from bot.runtime import Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")

# No single wait between two attempts of one action is longer than this: an action that
# needs longer belongs to a human, not to a loop holding its outbox job.
MAX_WAIT_SECONDS = 30.0


async def with_retries(
    rt: Runtime,
    adapter: str,
    call: Callable[[], Awaitable[T]],
    *,
    on_breaker_opened: Callable[[], Awaitable[None]],
) -> tuple[T, int]:
    """Run `call` until it succeeds, fails for good, uses up the policy's attempts, or the
    adapter's breaker is open; return the result and the number of attempts made."""
    max_attempts = rt.policy.rules.limits.max_retries + 1
    timeout = rt.settings.action_timeout_seconds
    attempt = 0
    while True:
        attempt += 1
        # A running outbox job holds its lease first; one taken over stops here.
        await before_external_step()
        async with rt.sessions() as session:
            allowed = await rt.breakers.allows(session, adapter, rt.clock())
        if not allowed:
            raise AdapterError(
                "circuit_open",
                f"{adapter} failed repeatedly; calls are paused for a while",
                retryable=False,
            )
        try:
            result = await asyncio.wait_for(call(), timeout=timeout)
        except TimeoutError:
            error = AdapterError(
                "timeout", f"{adapter} did not answer within {timeout:g}s", retryable=True
            )
        except AdapterError as exc:
            error = exc
        else:
            async with rt.sessions() as session, session.begin():
                await rt.breakers.succeeded(session, adapter, rt.clock())
            return result, attempt
        async with rt.sessions() as session, session.begin():
            opened = await rt.breakers.failed(session, adapter, rt.clock())
        if opened:
            log.warning("circuit breaker opened for %s", adapter)
            await on_breaker_opened()
        if not error.retryable or attempt >= max_attempts:
            raise error
        await rt.time.sleep(_wait(rt, attempt, error))


def _wait(rt: Runtime, attempt: int, error: AdapterError) -> float:
    """Exponential backoff, or longer when the far side asked for it, within the cap."""
    delay = backoff(attempt, rt.settings.action_retry_base_seconds, MAX_WAIT_SECONDS)
    asked = error.retry_after or 0.0
    return min(max(delay.total_seconds(), asked), MAX_WAIT_SECONDS)
