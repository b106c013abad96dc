"""Store access for triages."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import ActionRow, TriageRow
from bot.triage.card import ActionView
from bot.triage.models import CheckedTriage


async def get(session: AsyncSession, triage_id: int) -> TriageRow | None:
    return await session.get(TriageRow, triage_id)


def checked_of(row: TriageRow) -> CheckedTriage:
    return CheckedTriage.model_validate(row.checked)


async def actions_of(session: AsyncSession, triage_id: int) -> list[ActionRow]:
    result = await session.exec(
        select(ActionRow).where(ActionRow.triage_id == triage_id).order_by(col(ActionRow.id))
    )
    return list(result.all())


def view_of(row: ActionRow) -> ActionView:
    """The card's view of a stored action."""
    outcome = row.result.get("summary") if row.result else None
    if row.error:
        outcome = row.error
    return ActionView(
        id=row.id,
        action=row.action,
        target=row.target,
        params=dict(row.params),
        rationale=row.rationale,
        state=row.state,
        params_hash=row.params_hash,
        decision=row.decision,
        reasons=tuple(r.get("text", "") for r in row.reasons),
        risk_class=row.risk_class,
        approvals_needed=row.approvals_needed,
        approvers=tuple(row.approvers),
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        plan=row.plan,
        outcome=str(outcome) if outcome else None,
    )


async def card_actions(
    session: AsyncSession, triage: TriageRow, checked: CheckedTriage
) -> list[ActionView]:
    """Stored actions when policy has decided on them, else the report's proposals."""
    assert triage.id is not None
    rows = await actions_of(session, triage.id)
    if rows:
        return [view_of(row) for row in rows]
    return [
        ActionView(action=a.action, target=a.target, params=a.param_map(), rationale=a.rationale)
        for a in checked.report.proposed_actions
    ]
