"""Outcome memory: how earlier incidents' actions on the same subject and class ended."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.states import ActionState
from bot.domain.subject import Subject
from bot.store.models import ActionRow, TriageRow
from policies.engine_inputs import PastOutcome

# Final states that say whether an executed action worked.
OUTCOME_STATES = frozenset(
    {
        ActionState.VERIFIED.value,
        ActionState.UNVERIFIED.value,
        ActionState.FAILED.value,
        ActionState.INTERRUPTED.value,
    }
)
# Enough history to judge; a subject with more outcomes in the window is judged by these.
_LIMIT = 500


async def past_outcomes(
    session: AsyncSession, subject: Subject, *, days: int, now: datetime, exclude_incident: int
) -> tuple[PastOutcome, ...]:
    """Executed actions of other incidents about `subject` that ended within `days`."""
    since = now - timedelta(days=days)
    result = await session.exec(
        select(ActionRow, TriageRow.checked)
        .join(TriageRow, col(TriageRow.id) == col(ActionRow.triage_id), isouter=True)
        .where(
            col(ActionRow.state).in_(sorted(OUTCOME_STATES)),
            col(ActionRow.finished_at) >= since,
            col(ActionRow.incident_id) != exclude_incident,
            col(ActionRow.environment) == subject.environment,
        )
        .order_by(col(ActionRow.id).desc())
        .limit(_LIMIT)
    )
    found: list[PastOutcome] = []
    for row, checked in result.all():
        if not row.subject or row.finished_at is None:
            continue
        if Subject.model_validate(row.subject).key != subject.key:
            continue
        report = (checked or {}).get("report") or {}
        found.append(
            PastOutcome(
                action=row.action,
                subject_key=subject.key,
                incident_class=str(report.get("incident_class", "")),
                outcome=row.state,
                incident_id=row.incident_id,
                at=row.verified_at or row.finished_at,
            )
        )
    return tuple(found)
