"""Commands and clicks are acked first, then their replay receipt is written.

The receipt (handlers/slack/replay.py) is what keeps a replayed request from being acted
on twice, on any replica; it needs the database, and the ack must never wait on the
database. So handlers/slack/http.py hands Bolt this `ack` for the request: the answer goes
back to Slack at once, then the listener's task waits for a work slot
(handlers/slack/work.py), and only then is the receipt recorded. A request some replica
already recorded stops there, before the listener does any work.
"""

from __future__ import annotations

import asyncio

from handlers.slack.replay import ReplayGuard
from handlers.slack.work import PooledAck, WorkPool


class Replayed(asyncio.CancelledError):
    """Ends a replayed request's listener task after its ack.

    Bolt runs the listener in a task of its own once acked and reports an Exception
    there as a listener failure (a traceback in the log); a cancellation ends the task
    quietly, which is what a dropped replay is.
    """


class ReceiptAck(PooledAck):
    """Acks, takes a work slot, then records the receipt; raises Replayed if seen before."""

    def __init__(self, replays: ReplayGuard, digest: str, pool: WorkPool) -> None:
        super().__init__(pool)
        self._replays = replays
        self._digest = digest

    async def after_ack(self) -> None:
        if not await self._replays.first_time(self._digest):
            raise Replayed(self._digest[:12])
