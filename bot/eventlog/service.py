"""Append to and read the event log; rows are never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.events import EventKind
from bot.eventlog.buffer import held
from bot.store.models import EventRow


def record(
    session: AsyncSession,
    *,
    kind: EventKind,
    summary: str,
    actor: str,
    correlation_id: str,
    at: datetime,
    incident_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the log within the caller's transaction.

    A session that holds its entries (bot/eventlog/buffer.py) gets them as plain values,
    written together later in the same transaction.
    """
    entries = held(session)
    if entries is not None:
        entries.append(
            {
                "incident_id": incident_id,
                "at": at,
                "actor": actor,
                "kind": kind.value,
                "summary": summary,
                "data": data or {},
                "correlation_id": correlation_id,
            }
        )
        return
    row = EventRow(
        incident_id=incident_id,
        at=at,
        actor=actor,
        kind=kind.value,
        summary=summary,
        data=data or {},
        correlation_id=correlation_id,
    )
    session.add(row)


async def timeline(session: AsyncSession, incident_id: int) -> list[EventRow]:
    """Every entry of one incident, oldest first."""
    result = await session.exec(
        select(EventRow).where(EventRow.incident_id == incident_id).order_by(col(EventRow.id))
    )
    return list(result.all())
