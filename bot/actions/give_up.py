"""An action that failed or did not fix it: record why, hand the incident to humans."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.actions import service as actions
from bot.actions.common import log_action, refresh_cards
from bot.actions.escalate import escalate
from bot.actions.states import ActionState
from bot.domain.events import EventKind
from bot.outbox.service import Job
from bot.runtime import Runtime
from bot.store.models import ActionRow


@dataclass(frozen=True)
class Outcome:
    """How an action ended badly: the move, the timeline line and why humans are asked."""

    source: ActionState
    target: ActionState
    event: EventKind
    # Both follow "<action> on <target> "; the first goes to the timeline, the second
    # to the escalation.
    what: str
    reason: str
    # The column that takes the time of the move, other columns it sets, and the facts
    # the event carries.
    stamped: str
    columns: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)


async def give_up(rt: Runtime, job: Job, row: ActionRow, outcome: Outcome) -> None:
    """Move the action, log it, escalate and refresh the cards in one transaction."""
    assert row.id is not None
    now = rt.clock()
    subject = f"{row.action} on {row.target}"
    async with rt.sessions() as session, session.begin():
        # Whoever lost a race for the same move has nothing to report.
        columns = {outcome.stamped: now, **outcome.columns}
        if not await actions.move(session, row.id, outcome.source, outcome.target, **columns):
            return
        log_action(
            session,
            row,
            outcome.event,
            f"{subject} {outcome.what}",
            correlation_id=job.correlation_id,
            at=now,
            **outcome.facts,
        )
        await escalate(
            rt,
            session,
            row.incident_id,
            reason=f"{subject} {outcome.reason}",
            correlation_id=job.correlation_id,
            action=row,
        )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()
