"""A chat proposal's copy in its thread stays true: edited whenever the triage card is.

The copy carries Approve/Deny like the card; after a click (or an expiry, a run, a verify)
the card is refreshed, and so is every copy, so no thread keeps buttons for a decided
action. Where each copy was posted is in the event log (`chat.proposal_posted`).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat import views
from bot.chat.audit import CHAT_ACTOR
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.ports.chat import ChatError
from bot.runtime import Runtime
from bot.store.models import ActionRow, EventRow
from bot.triage import card
from bot.triage import service as triages

log = logging.getLogger(__name__)

# The newest copies of an incident that are kept current; older threads rest.
MAX_COPIES = 5


def record_copy(
    session: AsyncSession,
    *,
    incident_id: int,
    action_id: int,
    channel: str,
    ts: str,
    text: str,
    correlation_id: str,
    at: datetime,
) -> None:
    """Remember where a proposal's copy was posted."""
    eventlog.record(
        session,
        kind=EventKind.CHAT_PROPOSAL_POSTED,
        summary=f"Proposal {action_id} posted in a thread",
        actor=CHAT_ACTOR,
        correlation_id=correlation_id,
        at=at,
        incident_id=incident_id,
        data={"action_id": action_id, "channel": channel, "ts": ts, "text": text[:3000]},
    )


async def refresh_copies(rt: Runtime, incident_id: int) -> int:
    """Edit each recent copy to show its action as it stands; returns how many were edited."""
    async with rt.sessions() as session:
        posted = list(
            (
                await session.exec(
                    select(EventRow)
                    .where(
                        EventRow.incident_id == incident_id,
                        EventRow.kind == EventKind.CHAT_PROPOSAL_POSTED.value,
                    )
                    .order_by(col(EventRow.id).desc())
                    .limit(MAX_COPIES)
                )
            ).all()
        )
        ids = [int(e.data["action_id"]) for e in posted if "action_id" in e.data]
        found = await session.exec(select(ActionRow).where(col(ActionRow.id).in_(ids)))
        actions = {a.id: a for a in found.all()}
    edited = 0
    for event in posted:
        action = actions.get(int(event.data.get("action_id", -1)))
        if action is None:
            continue
        text = str(event.data.get("text", ""))
        blocks = [
            views.section(text),
            *card.action_blocks(incident_id, 1, triages.view_of(action)),
        ]
        try:
            channel, ts = str(event.data["channel"]), str(event.data["ts"])
            await rt.chat.update(channel, ts, text[:150], blocks)
        except ChatError as exc:
            if exc.retryable:
                raise
            # A deleted thread reply is not worth failing the card's refresh over.
            log.warning("chat proposal copy %s not refreshed: %s", event.data.get("ts"), exc.code)
            continue
        edited += 1
    return edited
