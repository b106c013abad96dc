""" "Was this escalation needed?" on an escalation's handoff: the answers make escalation
precision (/metrics, App Home, the report)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.runtime import Runtime
from bot.store.models import EventRow

NEEDED_ACTION_ID = "sj_escalation_needed"
NOT_NEEDED_ACTION_ID = "sj_escalation_not_needed"


def escalation_of(events: Sequence[EventRow], correlation_id: str) -> EventRow | None:
    """The escalation a handoff was posted for: the one that shares its correlation id."""
    return next(
        (e for e in events if e.kind == EventKind.ESCALATED and e.correlation_id == correlation_id),
        None,
    )


def feedback_blocks(escalation_event_id: int) -> list[dict[str, Any]]:
    value = str(escalation_event_id)
    return [
        {
            "type": "section",
            "block_id": f"escalation-feedback-{escalation_event_id}",
            "text": {"type": "mrkdwn", "text": "*Was this escalation needed?*"},
        },
        {
            "type": "actions",
            "block_id": f"escalation-feedback-buttons-{escalation_event_id}",
            "elements": [
                {
                    "type": "button",
                    "action_id": NEEDED_ACTION_ID,
                    "text": {"type": "plain_text", "text": "Yes, it was"},
                    "value": value,
                },
                {
                    "type": "button",
                    "action_id": NOT_NEEDED_ACTION_ID,
                    "text": {"type": "plain_text", "text": "No, not needed"},
                    "value": value,
                },
            ],
        },
    ]


async def record_feedback(rt: Runtime, user_id: str, value: str, needed: bool) -> str:
    """Record one responder's answer; a later answer for the same escalation replaces it."""
    if not value.isdigit() or len(value) > 18:
        return "This button names no escalation."
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        escalation = await session.get(EventRow, int(value))
        if escalation is None or escalation.kind != EventKind.ESCALATED.value:
            return "This button names no escalation."
        eventlog.record(
            session,
            kind=EventKind.ESCALATION_FEEDBACK,
            summary=f"<@{user_id}> said the escalation was {'' if needed else 'not '}needed",
            actor=f"slack:{user_id}",
            correlation_id=uuid.uuid4().hex,
            at=now,
            incident_id=escalation.incident_id,
            data={"escalation_event_id": escalation.id, "needed": needed, "by": user_id},
        )
    return "Thanks, recorded: " + ("it was needed." if needed else "it was not needed.")
