"""Store change events and find the recent ones of a service."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.changes.models import ChangeItem
from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.store.models import ChangeRow
from bot.store.upsert import insert_if_absent


async def record_changes(
    session: AsyncSession,
    items: list[ChangeItem],
    *,
    default_environment: str,
    now: datetime,
    correlation_id: str,
) -> tuple[int, int]:
    """Insert each change once; returns (recorded, duplicates)."""
    recorded = 0
    for item in items:
        environment = item.environment or default_environment
        row_id = await insert_if_absent(
            session,
            ChangeRow,
            {
                "source": item.source,
                "external_id": item.id,
                "service": item.service,
                "environment": environment,
                "kind": item.kind.value,
                "subject": item.subject,
                "description": item.description,
                "pointer": item.pointer,
                "actor": item.actor,
                "at": item.at,
                "received_at": now,
            },
            ["source", "external_id"],
        )
        if row_id is None:
            continue
        recorded += 1
        eventlog.record(
            session,
            kind=EventKind.CHANGE_RECEIVED,
            summary=f"{item.kind.value} on {environment}/{item.service}: {item.description[:200]}",
            actor=item.actor or item.source,
            correlation_id=correlation_id,
            at=now,
            data={
                "change_id": row_id,
                "source": item.source,
                "external_id": item.id,
                "service": item.service,
                "environment": environment,
                "kind": item.kind.value,
                "pointer": item.pointer,
            },
        )
    return recorded, len(items) - recorded


async def recent_changes(
    session: AsyncSession,
    *,
    service: str,
    environment: str,
    since: datetime,
    until: datetime,
    limit: int,
) -> list[ChangeRow]:
    """The service's changes in the window, newest first."""
    result = await session.exec(
        select(ChangeRow)
        .where(
            ChangeRow.service == service,
            ChangeRow.environment == environment,
            col(ChangeRow.at) >= since,
            col(ChangeRow.at) <= until,
        )
        .order_by(col(ChangeRow.at).desc(), col(ChangeRow.id).desc())
        .limit(limit)
    )
    return list(result.all())
