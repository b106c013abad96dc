"""Store access for actions; every state change is a conditional update."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.states import ActionState, allowed
from bot.store.models import ActionRow


async def get(session: AsyncSession, action_id: int) -> ActionRow | None:
    return await session.get(ActionRow, action_id)


async def of_incident(session: AsyncSession, incident_id: int) -> list[ActionRow]:
    result = await session.exec(
        select(ActionRow).where(ActionRow.incident_id == incident_id).order_by(col(ActionRow.id))
    )
    return list(result.all())


async def move(
    session: AsyncSession,
    action_id: int,
    source: ActionState,
    target: ActionState,
    *,
    version: int | None = None,
    **values: Any,
) -> bool:
    """Move one action from `source` to `target` if it is still there; True if this call did.

    The WHERE clause carries the expected state (and version when given), so of two
    workers, clicks or replicas racing for the same move exactly one wins.
    """
    if not allowed(source, target):
        raise ValueError(f"an action cannot go from {source} to {target}")
    conditions = [col(ActionRow.id) == action_id, col(ActionRow.state) == source.value]
    if version is not None:
        conditions.append(col(ActionRow.version) == version)
    result = await session.exec(
        update(ActionRow)
        .where(*conditions)
        .values(state=target.value, version=ActionRow.version + 1, **values)
    )
    return bool(result.rowcount == 1)


async def add_approver(
    session: AsyncSession, row: ActionRow, user_id: str, approvers: list[str]
) -> bool:
    """Record a first of two approvals, if nobody changed the action since it was read."""
    result = await session.exec(
        update(ActionRow)
        .where(
            col(ActionRow.id) == row.id,
            col(ActionRow.state) == ActionState.AWAITING_APPROVAL.value,
            col(ActionRow.version) == row.version,
        )
        .values(approvers=approvers, version=ActionRow.version + 1)
    )
    return bool(result.rowcount == 1)
