"""Commands and clicks are acked first, then their replay receipt is written.

The receipt (handlers/slack/replay.py) is what keeps a replayed request from being acted
on twice, on any replica; it needs the database, and the ack must never wait on the
database. So handlers/slack/http.py hands Bolt this `ack` for the request: the answer goes
back to Slack at once, and only then is the receipt recorded. A request some replica
already recorded stops there, before the listener does any work.
"""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.response import BoltResponse

from handlers.slack.replay import ReplayGuard


class Replayed(asyncio.CancelledError):
    """Ends a replayed request's listener task after its ack.

    Bolt runs the listener in a task of its own once acked and reports an Exception
    there as a listener failure (a traceback in the log); a cancellation ends the task
    quietly, which is what a dropped replay is.
    """


class ReceiptAck(AsyncAck):
    """Acks, then records the request's receipt; raises Replayed if it was seen before."""

    def __init__(self, replays: ReplayGuard, digest: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # Bolt leaves it unannotated
        self._replays = replays
        self._digest = digest

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        if not await self._replays.first_time(self._digest):
            raise Replayed(self._digest[:12])
        return response
