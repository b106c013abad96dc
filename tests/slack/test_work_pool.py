"""The work pool: at most `limit` Slack requests are worked on at once, none is lost.

Work and listeners here wait on events the test sets; nothing waits on the wall clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

import pytest
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.work import PooledAck, WorkPool, pool_listeners
from integrations.slack.emulator import SlackEmulator
from tests.support.harness import BOT_TOKEN

T = TypeVar("T")
BOUND = 10.0


async def bounded(awaitable: Awaitable[T]) -> T:
    return await asyncio.wait_for(awaitable, BOUND)


async def let_run(turns: int = 100) -> None:
    """Give every other task `turns` chances to run."""
    for _ in range(turns):
        await asyncio.sleep(0)


class Gauge:
    """Slow work: counts who runs at once, each waits until the test lets it finish."""

    def __init__(self) -> None:
        self.running = 0
        self.most = 0
        self.started: list[str] = []
        self.finished: list[str] = []
        self.go: dict[str, asyncio.Event] = {}
        self._changed = asyncio.Condition()

    async def work(self, name: str) -> None:
        gate = self.go.setdefault(name, asyncio.Event())
        self.running += 1
        self.most = max(self.most, self.running)
        self.started.append(name)
        async with self._changed:
            self._changed.notify_all()
        try:
            await gate.wait()
        finally:
            self.running -= 1
            self.finished.append(name)

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait until the work started so far makes `predicate` hold."""
        async with self._changed:
            await bounded(self._changed.wait_for(predicate))

    def release(self, name: str) -> None:
        self.go.setdefault(name, asyncio.Event()).set()


async def test_submitted_work_beyond_the_limit_waits_its_turn_in_order() -> None:
    pool = WorkPool(2)
    gauge = Gauge()
    names = [f"w{i}" for i in range(5)]
    for name in names:
        pool.submit(partial(gauge.work, name), "work")

    await gauge.until(lambda: len(gauge.started) == 2)
    await let_run()
    assert gauge.started == ["w0", "w1"]
    assert pool.load() == {"limit": 2, "running": 2, "waiting": 3}

    gauge.release("w1")
    await gauge.until(lambda: len(gauge.started) == 3)
    assert gauge.started == ["w0", "w1", "w2"] and gauge.running == 2

    for name in names:
        gauge.release(name)
    await bounded(pool.idle())

    assert sorted(gauge.finished) == names
    assert gauge.most == 2
    assert pool.load() == {"limit": 2, "running": 0, "waiting": 0}


async def test_a_failure_is_logged_by_its_type_and_frees_its_slot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = WorkPool(1)

    async def fails() -> None:
        raise ValueError("the body said xoxb-secret")

    pool.submit(fails, "event")
    done = asyncio.Event()

    async def then() -> None:
        done.set()

    pool.submit(then, "event")
    await bounded(pool.idle())

    assert done.is_set()
    assert "Slack event failed after its ack: ValueError" in caplog.text
    assert "secret" not in caplog.text


async def test_close_waits_for_queued_work_then_cancels_what_outlives_the_grace(
    caplog: pytest.LogCaptureFixture,
) -> None:
    pool = WorkPool(1)
    gauge = Gauge()
    for name in ("a", "b"):
        pool.submit(partial(gauge.work, name), "work")
    await gauge.until(lambda: gauge.started == ["a"])

    closing = asyncio.create_task(pool.close(BOUND))
    gauge.release("a")
    gauge.release("b")
    await bounded(closing)
    # The queued one was not dropped: it ran before close returned.
    assert gauge.finished == ["a", "b"]

    pool.submit(partial(gauge.work, "stuck"), "work")
    await gauge.until(lambda: "stuck" in gauge.started)
    await bounded(pool.close(0))

    assert gauge.finished == ["a", "b", "stuck"]
    assert "1 Slack request(s) still being handled" in caplog.text
    assert pool.load()["running"] == 0


# ---- through Bolt: listeners take their slot after the ack


def bolt_app(emulator: SlackEmulator, pool: WorkPool) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=BOT_TOKEN, base_url=emulator.api_url),
        signing_secret="unused",
        process_before_response=False,
        request_verification_enabled=False,
    )
    pool_listeners(app, pool)
    return app


def event(n: int) -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body={
            "type": "event_callback",
            "team_id": "T0SANDBOX",
            "api_app_id": "A0SMOKE",
            "event_id": f"Ev{n}",
            "event": {"type": "app_mention", "user": "U0ALICE", "text": f"#{n}", "ts": f"{n}.0"},
        },
        mode="socket_mode",
    )


def command(pool: WorkPool, text: str) -> AsyncBoltRequest:
    return AsyncBoltRequest(
        body={
            "team_id": "T0SANDBOX",
            "api_app_id": "A0SMOKE",
            "command": "/slow",
            "text": text,
            "user_id": "U0BOB",
            "channel_id": "C0GENERAL",
        },
        mode="socket_mode",
        context={"ack": PooledAck(pool)},
    )


async def test_listeners_beyond_the_limit_wait_and_all_run(emulator: SlackEmulator) -> None:
    limit, extra = 3, 4
    pool = WorkPool(limit)
    app = bolt_app(emulator, pool)
    gauge = Gauge()

    @app.event("app_mention")
    async def mentioned(event: dict[str, Any]) -> None:
        await gauge.work(event["text"])

    names = [f"#{n}" for n in range(limit + extra)]
    for n in range(limit + extra):
        pool.submit(partial(app.async_dispatch, event(n)), "event")

    await gauge.until(lambda: len(gauge.started) == limit)
    await let_run()
    assert gauge.running == limit and pool.running == limit
    for name in names:
        gauge.release(name)
    await bounded(pool.idle())

    assert sorted(gauge.finished) == sorted(names)
    assert gauge.most == limit


async def test_a_command_is_acked_while_every_slot_is_taken(emulator: SlackEmulator) -> None:
    pool = WorkPool(2)
    app = bolt_app(emulator, pool)
    gauge = Gauge()

    @app.event("app_mention")
    async def mentioned(event: dict[str, Any]) -> None:
        await gauge.work(event["text"])

    @app.command("/slow")
    async def slow(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        await gauge.work(command["text"])

    for n in range(2):
        pool.submit(partial(app.async_dispatch, event(n)), "event")
    await gauge.until(lambda: gauge.running == 2)

    response = await bounded(app.async_dispatch(command(pool, "cmd")))
    await let_run()

    # Answered with the pool full; the listener's work waits for a slot.
    assert response.status == 200
    assert "cmd" not in gauge.started and pool.waiting == 1
    gauge.release("#0")
    await gauge.until(lambda: "cmd" in gauge.started)
    assert gauge.running == 2
    for name in ("#1", "cmd"):
        gauge.release(name)
    await bounded(pool.idle())
    assert gauge.most == 2 and sorted(gauge.finished) == ["#0", "#1", "cmd"]
