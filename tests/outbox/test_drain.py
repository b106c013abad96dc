"""The outbox on the app's time source: backoff and waiting jobs move the clock, not the test."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from sqlmodel import select

from bot.domain.clock import VirtualTime
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.ports.chat import ChatError
from bot.store.models import OutboxRow
from tests.support.harness import Harness

# Claims and the due-time query run on both backends.
pytestmark = pytest.mark.both_databases

LATER = "test.later"
FLAKY = "test.flaky"


async def _enqueue(harness: Harness, kind: str, not_before: datetime | None = None) -> None:
    now = harness.app.clock()
    async with harness.sessions() as session, session.begin():
        await outbox.enqueue(
            session, kind=kind, correlation_id="drain-test", now=now, not_before=not_before
        )


async def test_drain_moves_the_clock_to_a_waiting_job_and_runs_it(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    ran: list[datetime] = []

    async def later(_job: Job) -> None:
        ran.append(virtual_time.now())

    harness.app.worker._handlers[LATER] = later
    start = virtual_time.now()
    await _enqueue(harness, LATER, not_before=start + timedelta(minutes=5))

    await harness.drain_due()
    assert ran == []  # not due: left queued, and no time passed for it
    assert virtual_time.now() == start

    await harness.drain()
    assert ran == [start + timedelta(minutes=5)]
    assert virtual_time.sleeps == [300.0]


async def test_a_failing_job_backs_off_on_the_clock_until_it_succeeds(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    attempts: list[datetime] = []

    async def flaky(_job: Job) -> None:
        attempts.append(virtual_time.now())
        if len(attempts) < 4:
            raise ChatError("internal_error", "Slack said no", retryable=True)

    harness.app.worker._handlers[FLAKY] = flaky
    await _enqueue(harness, FLAKY)

    await harness.drain()

    # Each retry waited out the worker's exponential backoff on the virtual clock, exactly.
    gaps = [(b - a).total_seconds() for a, b in pairwise(attempts)]
    assert len(attempts) == 4
    assert gaps == virtual_time.sleeps
    first = virtual_time.sleeps[0]
    assert first >= 1.0
    assert virtual_time.sleeps == [first, 2 * first, 4 * first]
    async with harness.sessions() as session:
        assert await outbox.pending_count(session) == 0


async def test_the_first_retry_waits_the_base_delay_and_the_last_attempt_is_the_limit(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    seen: list[int] = []

    async def failing(job: Job) -> None:
        seen.append(job.attempts)
        raise ChatError("internal_error", "Slack said no", retryable=True)

    worker = harness.app.worker
    worker._handlers[FLAKY] = failing
    await _enqueue(harness, FLAKY)

    await harness.drain()

    # One claim is one attempt: 1, 2, 3 … and the first retry waits the base delay.
    assert seen == list(range(1, worker.max_attempts + 1))
    assert virtual_time.sleeps[0] == 1.0


async def test_finished_jobs_are_deleted_after_a_week_and_waiting_ones_never(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    async def done(_job: Job) -> None:
        return None

    async def refused(_job: Job) -> None:
        raise ChatError("invalid_blocks", "Slack refused the blocks", retryable=False)

    worker = harness.app.worker
    worker._handlers[LATER] = done
    worker._handlers[FLAKY] = refused
    await _enqueue(harness, LATER)
    await _enqueue(harness, FLAKY)
    await harness.drain()  # one done, one given up
    await _enqueue(harness, LATER, not_before=virtual_time.now() + timedelta(days=30))

    virtual_time.advance(days=6, hours=23)
    await worker.run_once()
    assert sorted(r.status for r in await _rows(harness)) == ["dead", "done", "pending"]

    virtual_time.advance(hours=2)
    await worker.run_once()
    assert [r.status for r in await _rows(harness)] == ["pending"]


async def _rows(harness: Harness) -> list[OutboxRow]:
    async with harness.sessions() as session:
        return list((await session.exec(select(OutboxRow))).all())


async def test_a_retry_waits_at_least_what_the_far_side_asked_for(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    attempts: list[datetime] = []

    async def throttled(_job: Job) -> None:
        attempts.append(virtual_time.now())
        if len(attempts) == 1:
            # PagerDuty or ServiceNow answered 429 with Retry-After: 30.
            raise AdapterError("rate_limited", "slow down (429)", retryable=True, retry_after=30)

    harness.app.worker._handlers[FLAKY] = throttled
    await _enqueue(harness, FLAKY)
    await harness.drain()

    assert len(attempts) == 2
    # The backoff alone would have waited 1 s; the Retry-After wins.
    assert attempts[1] - attempts[0] == timedelta(seconds=30)
