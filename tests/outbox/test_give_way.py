"""Intake goes first: the worker waits for it to go quiet, but never longer than its bound."""

from __future__ import annotations

import asyncio

from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.outbox.worker import JobHandler, OutboxWorker
from tests.support.harness import Harness

KIND = "test.give_way"


async def _enqueue(harness: Harness) -> None:
    async with harness.sessions() as session, session.begin():
        await outbox.enqueue(session, kind=KIND, correlation_id="give-way", now=harness.app.clock())


class _Intake:
    """Stands in for the intake's `quiet()`: busy until `finish()`; counts who waited."""

    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.waited = asyncio.Event()

    async def quiet(self) -> None:
        self.waited.set()
        await self.done.wait()


def _worker_for(
    harness: Harness, intake: _Intake, bound: float, handler: JobHandler, concurrency: int = 4
) -> OutboxWorker:
    return OutboxWorker(
        harness.sessions,
        {KIND: handler},
        time=harness.time,
        poll_seconds=0.01,
        concurrency=concurrency,
        give_way=intake.quiet,
        give_way_seconds=bound,
    )


async def _worker(
    harness: Harness, intake: _Intake, bound: float
) -> tuple[OutboxWorker, asyncio.Event]:
    ran = asyncio.Event()

    async def handler(_job: Job) -> None:
        ran.set()

    return _worker_for(harness, intake, bound, handler), ran


async def test_jobs_wait_while_alerts_are_being_committed(harness: Harness) -> None:
    await _enqueue(harness)
    intake = _Intake()
    worker, ran = await _worker(harness, intake, bound=3600)
    running = asyncio.create_task(worker.run_forever())
    try:
        await asyncio.wait_for(intake.waited.wait(), 10)
        for _ in range(50):
            await asyncio.sleep(0)
        assert not ran.is_set()  # still giving way

        intake.done.set()
        await asyncio.wait_for(ran.wait(), 10)  # a guard, not a wait: it runs at once
    finally:
        worker.stop()
        await running


async def test_jobs_still_run_when_the_intake_never_goes_quiet(harness: Harness) -> None:
    await _enqueue(harness)
    intake = _Intake()  # never finishes
    worker, ran = await _worker(harness, intake, bound=0.01)
    running = asyncio.create_task(worker.run_forever())
    try:
        await asyncio.wait_for(ran.wait(), 10)
        assert intake.waited.is_set() and not intake.done.is_set()
    finally:
        worker.stop()
        await running


async def test_stopping_ends_the_wait_for_the_intake(harness: Harness) -> None:
    intake = _Intake()  # never finishes
    worker, _ran = await _worker(harness, intake, bound=3600)
    running = asyncio.create_task(worker.run_forever())
    await asyncio.wait_for(intake.waited.wait(), 10)
    worker.stop()
    await asyncio.wait_for(running, 10)  # a guard: it returns at once, not in an hour


async def _most_at_once(harness: Harness, intake: _Intake, bound: float) -> int:
    """Runs four jobs on a worker that may run four at once; how many ran together."""
    for _ in range(4):
        await _enqueue(harness)
    running_now, most, ran, finished = [0], [0], [0], asyncio.Event()

    async def handler(_job: Job) -> None:
        running_now[0] += 1
        most[0] = max(most[0], running_now[0])
        for _ in range(20):
            await asyncio.sleep(0)
        running_now[0] -= 1
        ran[0] += 1
        if ran[0] == 4:
            finished.set()

    worker = _worker_for(harness, intake, bound, handler, concurrency=4)
    running = asyncio.create_task(worker.run_forever())
    try:
        await asyncio.wait_for(finished.wait(), 10)
    finally:
        worker.stop()
        await running
    return most[0]


async def test_while_the_intake_stays_busy_jobs_run_one_at_a_time(harness: Harness) -> None:
    busy = _Intake()  # never finishes
    assert await _most_at_once(harness, busy, bound=0.01) == 1


async def test_once_the_intake_is_quiet_jobs_run_together_again(harness: Harness) -> None:
    quiet = _Intake()
    quiet.done.set()
    assert await _most_at_once(harness, quiet, bound=3600) == 4
