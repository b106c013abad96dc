"""The expiry sweeper: proposals nobody decided are retired on time, and their cards edited.

A click after the deadline is refused anyway; the sweeper makes the card say so before
anyone clicks, so a responder never sees a live button for something that cannot run.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel import col, select

from bot.actions.states import ActionState
from bot.approvals.flows import expire_proposal
from bot.domain.clock import TimeSource
from bot.runtime import Runtime
from bot.store.models import ActionRow

log = logging.getLogger(__name__)
SWEEP_SECONDS = 30.0
# Proposals retired per sweep; a backlog drains over the next sweeps.
SWEEP_BATCH = 200


async def sweep_expired(rt: Runtime) -> int:
    """Retire every waiting proposal whose expiry has passed; returns how many."""
    now = rt.clock()
    retired = 0
    async with rt.sessions() as session, session.begin():
        due = await session.exec(
            select(ActionRow)
            .where(
                ActionRow.state == ActionState.AWAITING_APPROVAL.value,
                col(ActionRow.expires_at) <= now,
            )
            .order_by(col(ActionRow.expires_at))
            .limit(SWEEP_BATCH)
        )
        for row in due.all():
            before = row.state
            await expire_proposal(session, row, uuid.uuid4().hex, now)
            retired += row.state != before
    if retired:
        rt.wake_outbox()
    return retired


async def sweep_forever(rt: Runtime, time: TimeSource, every: float = SWEEP_SECONDS) -> None:
    """Sweep on the time source until cancelled; a failed sweep is retried next time."""
    while True:
        try:
            await sweep_expired(rt)
        except Exception:
            log.exception("expiry sweep failed; will try again")
        await time.sleep(every)
