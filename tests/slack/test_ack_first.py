"""Slack gets its answer before any database access, and the work after it still happens.

The database is held up on purpose (the replay receipt waits on an event the test sets),
and the work pool is filled on purpose (a listener waits on one): the acks come back all
the same, and what they started runs, once, when the way is clear.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable
from typing import Any, TypeVar

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.store.models import SlackRequestReceipt
from handlers.slack import events as event_listeners
from handlers.slack.replay import ReplayGuard
from integrations.slack.emulator import SlackEmulator
from tests.support.database import DatabaseTarget
from tests.support.harness import Harness, start_harness, stop_harness

T = TypeVar("T")

# A bound for what must happen, so a regression fails instead of hanging; never a pause.
BOUND = 10.0


async def bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, BOUND)


class SlowReceipts:
    """The replay receipt's database write, held until the test opens `gate`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.gate = asyncio.Event()
        self.reached = asyncio.Event()
        self.answers: list[bool] = []
        original = ReplayGuard.first_time

        async def first_time(guard: ReplayGuard, digest: str) -> bool:
            self.reached.set()
            await self.gate.wait()
            first = await original(guard, digest)
            self.answers.append(first)
            return first

        monkeypatch.setattr(ReplayGuard, "first_time", first_time)


class SlowHome:
    """The App Home listener, held (holding its work slot) until the test opens `gate`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()
        original = event_listeners.home_view

        async def home_view(rt: Any) -> dict[str, Any]:
            self.entered.set()
            await self.gate.wait()
            return await original(rt)

        monkeypatch.setattr(event_listeners, "home_view", home_view)


def home_opened(harness: Harness, user: str) -> str:
    """An app_home_opened delivery as Slack sends it, the same bytes every time."""
    return json.dumps(
        {
            "token": "verification-token",
            "team_id": harness.emulator.state.team_id,
            "api_app_id": "A0SMOKE",
            "event": {
                "type": "app_home_opened",
                "user": user,
                "channel": "D0HOME",
                "tab": "home",
                "event_ts": "1763700000.000100",
            },
            "type": "event_callback",
            "event_id": "Ev0HOME0001",
            "event_time": 1763700000,
        }
    )


async def request_receipts(harness: Harness) -> int:
    async with harness.sessions() as session:
        result = await session.exec(select(func.count()).select_from(SlackRequestReceipt))
        return int(result.one())


def publishes(harness: Harness) -> int:
    return len(harness.emulator.state.calls_to("views.publish"))


async def test_an_event_is_acked_while_the_database_is_held_up(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = SlowReceipts(monkeypatch)

    reply = await bounded(harness.driver.app_home_opened("U0ALICE"))

    # Answered while the receipt's write has not come back (it cannot: the gate is shut).
    assert reply.status == 200
    await bounded(database.reached.wait())
    assert database.answers == [] and publishes(harness) == 0

    database.gate.set()
    await bounded(harness.settle())

    assert database.answers == [True]
    assert publishes(harness) == 1
    assert "U0ALICE" in harness.emulator.state.home_views


@pytest.mark.both_databases
async def test_a_replayed_event_is_acked_and_acted_on_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = SlowReceipts(monkeypatch)
    body = home_opened(harness, "U0ALICE")
    timestamp = int(harness.time.now().timestamp())

    replies = [
        await bounded(
            harness.driver.post_signed(body, content_type="application/json", timestamp=timestamp)
        )
        for _ in range(2)
    ]

    assert [r.status for r in replies] == [200, 200]
    database.gate.set()
    await bounded(harness.settle())
    # The receipt check, now after the ack, still drops the copy.
    assert sorted(database.answers) == [False, True]
    assert publishes(harness) == 1
    assert await request_receipts(harness) == 1


async def test_an_event_nothing_handles_leaves_no_receipt(harness: Harness) -> None:
    event = {"type": "emoji_changed", "subtype": "add", "name": "fire", "event_ts": "1.0"}

    reply = await harness.driver.send_event(event)
    await bounded(harness.settle())

    assert reply.status == 200
    assert await request_receipts(harness) == 0


async def test_a_failure_after_the_ack_is_logged_without_what_was_sent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = ReplayGuard.first_time

    async def failing(guard: ReplayGuard, digest: str) -> bool:
        raise RuntimeError("connection to db failed; the body said U0SECRET")

    monkeypatch.setattr(ReplayGuard, "first_time", failing)
    reply = await harness.driver.app_home_opened("U0SECRET")
    await bounded(harness.settle())

    assert reply.status == 200
    assert "Slack event failed after its ack: RuntimeError" in caplog.text
    assert "U0SECRET" not in caplog.text
    assert publishes(harness) == 0

    # Nothing is left broken: the next event is handled.
    monkeypatch.setattr(ReplayGuard, "first_time", original)
    await harness.driver.app_home_opened("U0ALICE")
    await bounded(harness.settle())
    assert publishes(harness) == 1


async def test_a_command_is_acked_while_the_database_is_held_up(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = SlowReceipts(monkeypatch)

    reply = await bounded(
        harness.driver.slash_command(user_id="U0BOB", channel_id="C0GENERAL", text="help")
    )

    assert reply.status == 200
    await bounded(database.reached.wait())
    assert harness.emulator.state.response_posts == []
    database.gate.set()
    await bounded(harness.settle())
    assert len(harness.emulator.state.response_posts) == 1


@pytest.fixture
async def one_slot(
    database: DatabaseTarget, emulator: SlackEmulator, virtual_time: Any
) -> AsyncIterator[Harness]:
    h = await start_harness(database, emulator, time=virtual_time, slack_work_concurrency=1)
    yield h
    await stop_harness(h)


async def test_a_command_is_acked_while_the_work_pool_is_full(
    one_slot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = one_slot
    home = SlowHome(monkeypatch)
    await bounded(harness.driver.app_home_opened("U0ALICE"))
    await bounded(home.entered.wait())
    assert harness.app.slack_work.running == 1

    reply = await bounded(
        harness.driver.slash_command(user_id="U0BOB", channel_id="C0GENERAL", text="help")
    )

    # Answered at once; its work waits for the one slot.
    assert reply.status == 200
    assert harness.app.slack_work.waiting == 1
    assert harness.emulator.state.response_posts == []
    home.gate.set()
    await bounded(harness.settle())
    assert len(harness.emulator.state.response_posts) == 1
    assert publishes(harness) == 1


async def test_stopping_waits_for_the_work_under_way_and_queued(
    database: DatabaseTarget,
    emulator: SlackEmulator,
    virtual_time: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = await start_harness(database, emulator, time=virtual_time, slack_work_concurrency=1)
    home = SlowHome(monkeypatch)
    await bounded(harness.driver.app_home_opened("U0ALICE"))
    await bounded(home.entered.wait())
    await bounded(
        harness.driver.slash_command(user_id="U0BOB", channel_id="C0GENERAL", text="help")
    )
    pool = harness.app.slack_work
    assert (pool.running, pool.waiting) == (1, 1)
    closing = asyncio.Event()
    close = pool.close

    async def spied_close(grace_seconds: float) -> None:
        closing.set()
        await close(grace_seconds)

    monkeypatch.setattr(pool, "close", spied_close)

    stopping = asyncio.create_task(stop_harness(harness))
    await bounded(closing.wait())
    assert (pool.running, pool.waiting) == (1, 1)
    home.gate.set()
    await bounded(stopping)

    # Both finished before the database was let go: the one running and the one queued.
    assert (pool.running, pool.waiting) == (0, 0)
    assert publishes(harness) == 1
    assert len(emulator.state.response_posts) == 1
