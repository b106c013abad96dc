"""Two replicas and a slow Slack: a running job keeps its lease, so nothing is posted twice."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.domain.clock import VirtualTime
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.outbox.worker import OutboxWorker
from bot.store.models import OutboxRow
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, generic_alert, post_signed, start_harness, stop_harness

# Two workers claiming from one table: what PostgreSQL must get right.
pytestmark = pytest.mark.both_databases

INCIDENTS = 4
STALLED = "test.stalled"
SLACK_SECONDS_PER_CALL = 13.0


def _posts(emulator: SlackEmulator) -> Counter[tuple[str, str]]:
    """Every message the bot posted, keyed by channel and what it says (block id or text)."""
    posted: Counter[tuple[str, str]] = Counter()
    for channel_id in list(emulator.state.messages):
        for message in emulator.state.messages_in(channel_id):
            if message.user != emulator.state.bot_user_id:
                continue
            blocks = message.blocks or []
            key = str(blocks[0].get("block_id")) if blocks else message.text
            posted[(channel_id, key)] += 1
    return posted


async def test_two_replicas_with_slack_at_13_seconds_a_call_post_nothing_twice(
    harness: Harness, database: DatabaseTarget, emulator: SlackEmulator, virtual_time: VirtualTime
) -> None:
    for n in range(INCIDENTS):
        alert = generic_alert(dedup_key=f"slow-{n}", service=f"slow-{n}")
        reply = await post_signed(harness, "/alerts/generic", alert)
        assert reply.status == 202, reply.body
    replica = await start_harness(database, emulator, time=virtual_time)
    emulator.slow_down(SLACK_SECONDS_PER_CALL)
    start = virtual_time.now()
    try:
        await asyncio.gather(harness.drain(), replica.drain())
    finally:
        await stop_harness(replica)

    # Opening a channel takes more than the two-minute lease at this pace: the leases
    # had to be held, not merely outlived.
    assert (virtual_time.now() - start).total_seconds() > 2 * 60 * INCIDENTS / 2
    channels = harness.incident_channels()
    assert len(channels) == INCIDENTS
    posted = _posts(emulator)
    twice = {key: n for key, n in posted.items() if n > 1}
    assert twice == {}
    [announce] = [c for c in emulator.state.channels.values() if c.name == "incidents"]
    announcements = [key for key in posted if key[0] == announce.id]
    assert len(announcements) == INCIDENTS
    topics = Counter(
        call.params.get("channel")
        for call in emulator.state.calls
        if call.method == "conversations.setTopic" and call.error is None
    )
    assert sorted(topics.values()) == [1] * INCIDENTS
    incidents = await harness.incidents()
    assert all(i.announced and i.card_pinned and i.channel_id for i in incidents)


async def test_a_job_whose_lease_was_taken_stops_at_its_next_step_and_records_nothing(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    steps: list[str] = []
    second = OutboxWorker(harness.sessions, {}, time=virtual_time, lease=timedelta(minutes=2))

    async def stalled(job: Job) -> None:
        await job.hold()
        steps.append(f"first run, claim {job.attempts}")
        # The worker stalls past its lease; meanwhile another replica claims the job.
        virtual_time.advance(minutes=3)
        assert await second.run_once() == 1
        await job.hold()
        steps.append("first run went on")  # never: the lease is gone

    async def quick(job: Job) -> None:
        await job.hold()
        steps.append(f"second run, claim {job.attempts}")

    harness.app.worker._handlers[STALLED] = stalled
    second._handlers[STALLED] = quick
    async with harness.sessions() as session, session.begin():
        await outbox.enqueue(
            session, kind=STALLED, correlation_id="lease-test", now=virtual_time.now()
        )

    assert await harness.app.worker.run_once() == 1

    assert steps == ["first run, claim 1", "second run, claim 2"]
    async with harness.sessions() as session:
        [row] = (await session.exec(select(OutboxRow))).all()
    # Done by the second run; the first neither completed nor rescheduled it after.
    assert (row.status, row.attempts, row.claimed_by) == ("done", 2, second.worker_id)
    assert row.last_error is None


async def test_a_running_job_that_holds_its_lease_is_not_claimed_again(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    claimed: list[int] = []
    second = OutboxWorker(harness.sessions, {}, time=virtual_time, lease=timedelta(minutes=2))

    async def slow(job: Job) -> None:
        for _ in range(5):
            await job.hold()
            virtual_time.advance(minutes=1)  # five minutes in all, a step a minute
            claimed.append(await second.run_once())

    harness.app.worker._handlers[STALLED] = slow
    async with harness.sessions() as session, session.begin():
        await outbox.enqueue(
            session, kind=STALLED, correlation_id="lease-test", now=virtual_time.now()
        )

    assert await harness.app.worker.run_once() == 1

    assert claimed == [0, 0, 0, 0, 0]
    async with harness.sessions() as session:
        [row] = (await session.exec(select(OutboxRow))).all()
    assert (row.status, row.attempts) == ("done", 1)


async def test_any_slack_call_of_a_job_holds_its_lease_without_being_asked(
    harness: Harness, virtual_time: VirtualTime, emulator: SlackEmulator
) -> None:
    """A job that never calls hold() itself still stops at its next Slack call."""
    general = next(c for c in emulator.state.channels.values() if c.name == "incidents")
    second = OutboxWorker(harness.sessions, {}, time=virtual_time, lease=timedelta(minutes=2))

    async def posting(_job: Job) -> None:
        chat = harness.app.runtime.chat
        await chat.post(general.id, "first note", [])
        virtual_time.advance(minutes=3)
        assert await second.run_once() == 1  # another replica takes the job over
        await chat.post(general.id, "second note", [])  # never sent

    async def noop(_job: Job) -> None:
        return None

    harness.app.worker._handlers[STALLED] = posting
    second._handlers[STALLED] = noop
    async with harness.sessions() as session, session.begin():
        await outbox.enqueue(
            session, kind=STALLED, correlation_id="lease-test", now=virtual_time.now()
        )

    assert await harness.app.worker.run_once() == 1

    texts = [m.text for m in emulator.state.messages_in(general.id)]
    assert "first note" in texts and "second note" not in texts
    async with harness.sessions() as session:
        [row] = (await session.exec(select(OutboxRow))).all()
    assert (row.status, row.claimed_by) == ("done", second.worker_id)
