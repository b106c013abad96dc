"""Middleware: an Events API delivery already handled (same event_id) is acked and dropped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import delete
from sqlmodel import col

from bot.domain.clock import Clock
from bot.store.database import SessionFactory
from bot.store.models import SlackEventReceipt
from bot.store.upsert import insert_if_absent

log = logging.getLogger(__name__)

# Slack retries a delivery three times within about five minutes; a receipt older than
# this guards against nothing and goes.
RETENTION = timedelta(hours=1)
# Receipts are swept at most this often per process, in the delivery that notices.
SWEEP_EVERY = timedelta(minutes=5)


class DeduplicateEvents(AsyncMiddleware):
    """Slack retries and re-sends carry the same event_id; the database remembers them."""

    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._swept_at = clock() - SWEEP_EVERY

    async def async_process(
        self,
        *,
        req: AsyncBoltRequest,
        resp: BoltResponse,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        body = req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if not event_id:
            return await next()
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if now - self._swept_at >= SWEEP_EVERY:
                self._swept_at = now
                await session.exec(
                    delete(SlackEventReceipt).where(
                        col(SlackEventReceipt.received_at) < now - RETENTION
                    )
                )
            first = await insert_if_absent(
                session,
                SlackEventReceipt,
                {"event_id": str(event_id)[:64], "received_at": now},
                ["event_id"],
            )
        if first is None:
            retry = req.headers.get("x-slack-retry-num", ["0"])[0]
            log.info("dropping repeated Slack event %s (retry %s)", event_id, retry)
            return BoltResponse(status=200, body="")
        return await next()
