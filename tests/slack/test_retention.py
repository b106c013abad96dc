"""Receipts of handled Slack deliveries are kept while a repeat can come, then swept."""

from __future__ import annotations

from sqlmodel import select

from bot.domain.clock import VirtualTime
from bot.store.models import SlackEventReceipt
from tests.support.harness import Harness

# No listener wants it: only the dedup middleware's receipt is written.
EVENT = {"type": "emoji_changed", "subtype": "add", "name": "fire", "event_ts": "1.0"}


async def _receipts(harness: Harness) -> set[str]:
    async with harness.sessions() as session:
        return set((await session.exec(select(SlackEventReceipt.event_id))).all())


async def test_event_receipts_are_swept_after_an_hour_and_kept_before(
    harness: Harness, virtual_time: VirtualTime
) -> None:
    for event_id in ("EvOLD", "EvRECENT"):
        reply = await harness.driver.send_event(EVENT, event_id=event_id)
        assert reply.status == 200
        await harness.settle()
        virtual_time.advance(minutes=40)
    assert await _receipts(harness) == {"EvOLD", "EvRECENT"}

    # Now EvOLD is 80 minutes old, EvRECENT 40.
    await harness.driver.send_event(EVENT, event_id="EvNEW")
    await harness.settle()

    assert await _receipts(harness) == {"EvRECENT", "EvNEW"}
    # Still within the hour, a repeat of the recent one is dropped, not handled again.
    again = await harness.driver.send_event(EVENT, event_id="EvRECENT")
    assert again.status == 200
    await harness.settle()
    assert await _receipts(harness) == {"EvRECENT", "EvNEW"}
