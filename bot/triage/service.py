"""Store access for triages."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.undo import undo_refusal
from bot.store.models import ActionRow, TriageRow
from bot.triage.card import ActionView
from bot.triage.models import CheckedTriage
from policies.policy import Policy

# An undo in one of these states no longer stands in the way of asking again.
_GONE = frozenset({"denied", "expired", "failed", "withdrawn", "forbidden", "superseded"})


async def get(session: AsyncSession, triage_id: int) -> TriageRow | None:
    return await session.get(TriageRow, triage_id)


def done_row(
    incident_id: int,
    checked: CheckedTriage,
    context_tokens: int,
    correlation_id: str,
    now: datetime,
) -> TriageRow:
    """The stored record of a finished triage (first or re-run)."""
    return TriageRow(
        incident_id=incident_id,
        status="done",
        source=checked.source.value,
        model=checked.model,
        prompt_version=checked.prompt_version,
        fallback_reason=checked.fallback_reason.value if checked.fallback_reason else None,
        context_tokens=context_tokens,
        checked=checked.model_dump(mode="json"),
        correlation_id=correlation_id,
        created_at=now,
        completed_at=now,
    )


def checked_of(row: TriageRow) -> CheckedTriage:
    return CheckedTriage.model_validate(row.checked)


async def actions_of(session: AsyncSession, triage_id: int) -> list[ActionRow]:
    result = await session.exec(
        select(ActionRow).where(ActionRow.triage_id == triage_id).order_by(col(ActionRow.id))
    )
    return list(result.all())


def view_of(row: ActionRow, undoable: bool = False) -> ActionView:
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
        undoable=undoable,
        undo_of=row.undo_of,
    )


async def card_actions(
    session: AsyncSession,
    triage: TriageRow,
    checked: CheckedTriage,
    policy: Policy | None = None,
) -> list[ActionView]:
    """Stored actions when policy has decided on them, else the report's proposals."""
    assert triage.id is not None
    rows = await actions_of(session, triage.id)
    if rows:
        # An undo already asked for (and not refused) takes the offer off its action.
        undone = {r.undo_of for r in rows if r.undo_of is not None and r.state not in _GONE}
        return [
            view_of(
                row,
                policy is not None and row.id not in undone and undo_refusal(row, policy) is None,
            )
            for row in rows
        ]
    return [
        ActionView(action=a.action, target=a.target, params=a.param_map(), rationale=a.rationale)
        for a in checked.report.proposed_actions
    ]
