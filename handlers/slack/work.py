"""The work Slack requests start after their ack, a bounded number at a time.

Slack wants an answer within three seconds and the answer never waits on the database
(handlers/slack/http.py). What the request then asks for (its replay receipt, the
listener's flow) runs afterwards, off the request path, and passes through one WorkPool:
at most `limit` of them hold a slot at once, the rest wait their turn in order. Nothing
waiting is dropped, and stopping the app waits a bounded time for what is under way.

Every way in takes its slot only once the request is answered:

- events are acked at once and their dispatch (the receipt, then Bolt) is `submit`ted;
  Bolt acks an event before its listener starts, so the listener's task takes a slot as
  it starts (`SlotAfterAck`, Bolt's listener start hook), queueing again behind what
  arrived meanwhile;
- commands and clicks call `ack()` in their listener; their ack (`PooledAck`, and
  `ReceiptAck` over HTTP) answers, then takes the slot for the rest of the task.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.listener.async_listener_start_handler import AsyncListenerStartHandler
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 16


class WorkPool:
    """At most `limit` tasks hold a slot at once; a task keeps its slot until it ends."""

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        if limit < 1:
            raise ValueError("a work pool needs at least one slot")
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        # Every task in the pool, waiting or holding a slot; those holding one.
        self._tasks: set[asyncio.Task[Any]] = set()
        self._holding: set[asyncio.Task[Any]] = set()

    @property
    def running(self) -> int:
        """Tasks holding a slot."""
        return len(self._holding)

    @property
    def waiting(self) -> int:
        """Tasks waiting for a slot (submitted work not yet started included)."""
        return len(self._tasks) - len(self._holding)

    def load(self) -> dict[str, int]:
        """For /readyz: how busy the pool is."""
        return {"limit": self.limit, "running": self.running, "waiting": self.waiting}

    async def enter(self) -> None:
        """The current task waits for a slot and holds it until the task ends.

        A task already holding one keeps it; a task cancelled while waiting takes none.
        """
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("WorkPool.enter needs a task")
        if task in self._holding:
            return
        self._tasks.add(task)
        try:
            await self._slots.acquire()
        except BaseException:
            self._tasks.discard(task)
            raise
        self._holding.add(task)
        task.add_done_callback(self._release)

    def _release(self, task: asyncio.Task[Any]) -> None:
        self._holding.discard(task)
        self._tasks.discard(task)
        self._slots.release()

    def submit(self, work: Callable[[], Awaitable[object]], what: str) -> asyncio.Task[None]:
        """Run `work` in a task of its own once a slot is free; a failure is logged.

        `what` names the work in the log; it never carries a request's body.
        """

        async def run() -> None:
            await self.enter()
            try:
                await work()
            except Exception as exc:
                # The type only (the traceback at debug level): driver and client
                # messages can quote what was sent.
                log.error(
                    "Slack %s failed after its ack: %s",
                    what,
                    type(exc).__name__,
                    exc_info=log.isEnabledFor(logging.DEBUG),
                )

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def idle(self) -> None:
        """Wait until nothing is waiting or running (tests, and the shutdown)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self, grace_seconds: float) -> None:
        """Wait up to `grace_seconds` for the work under way and queued, then cancel the rest."""
        try:
            await asyncio.wait_for(self.idle(), grace_seconds)
        except TimeoutError:
            left = set(self._tasks)
            log.warning(
                "stopping with %d Slack request(s) still being handled; they are cancelled",
                len(left),
            )
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)


class PooledAck(AsyncAck):
    """Answers Slack, then takes a work slot for the rest of the listener's task."""

    def __init__(self, pool: WorkPool) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated
        self._pool = pool

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        await self._pool.enter()
        await self.after_ack()
        return response

    async def after_ack(self) -> None:
        """Work of the ack itself that must not delay it (ReceiptAck's receipt)."""


class SlotAfterAck(AsyncListenerStartHandler):
    """Bolt's hook as a listener's task starts: one acked already takes its slot now.

    Events are acked by Bolt before their listener starts; commands and clicks are not
    (their listener calls ack() first), and their PooledAck takes the slot after it.
    """

    def __init__(self, pool: WorkPool) -> None:
        self._pool = pool

    async def handle(self, request: AsyncBoltRequest, response: BoltResponse | None) -> None:
        if request.context.ack.response is not None:
            await self._pool.enter()


def pool_listeners(bolt: AsyncApp, pool: WorkPool) -> None:
    """Send every listener's work after its ack through `pool`."""
    bolt.listener_runner.listener_start_handler = SlotAfterAck(pool)
