"""Replay protection: a signed Slack request already handled is acked and dropped.

The signature only proves Slack sent a request within five minutes; anyone holding a
captured one could send it again in that window. Every replica shares the database, so
a receipt written by one is seen by all.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from sqlalchemy import delete

from bot.domain.clock import Clock
from bot.store.database import SessionFactory
from bot.store.models import SlackRequestReceipt
from bot.store.upsert import insert_if_absent

log = logging.getLogger(__name__)

# Slack's signature window: an older request fails verification, so its receipt can go.
WINDOW = timedelta(minutes=5)
# Receipts are swept at most this often per process, in the request that notices.
SWEEP_EVERY = timedelta(minutes=1)


def request_digest(timestamp: str, body: bytes) -> str:
    """What a replay repeats exactly: the signed timestamp and the body."""
    return hashlib.sha256(timestamp.encode() + b":" + body).hexdigest()


class ReplayGuard:
    def __init__(self, sessions: SessionFactory, clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._swept_at = self._clock() - SWEEP_EVERY

    async def first_time(self, digest: str) -> bool:
        """Record `digest`; False when some replica already handled it."""
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if now - self._swept_at >= SWEEP_EVERY:
                self._swept_at = now
                await session.exec(
                    delete(SlackRequestReceipt).where(
                        SlackRequestReceipt.received_at < now - 2 * WINDOW  # type: ignore[arg-type]
                    )
                )
            first = await insert_if_absent(
                session, SlackRequestReceipt, {"digest": digest, "received_at": now}, ["digest"]
            )
        if first is None:
            log.info("dropping a replayed Slack request (%s…)", digest[:12])
            return False
        return True

    async def forget(self, digest: str) -> None:
        """Drop the receipt of a request that was refused, so refusals leave no rows."""
        async with self._sessions() as session, session.begin():
            await session.exec(
                delete(SlackRequestReceipt).where(
                    SlackRequestReceipt.digest == digest  # type: ignore[arg-type]
                )
            )
