"""The durable outbox: side effects enqueued in the same transaction as the facts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.store.models import OutboxRow

PENDING = "pending"
RUNNING = "running"
DONE = "done"
DEAD = "dead"


@dataclass(frozen=True)
class Job:
    """A claimed outbox entry, detached from any session."""

    id: int
    kind: str
    incident_id: int | None
    payload: dict[str, Any]
    correlation_id: str
    attempts: int


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    correlation_id: str,
    now: datetime,
    incident_id: int | None = None,
    payload: dict[str, Any] | None = None,
    coalesce: bool = False,
    not_before: datetime | None = None,
) -> None:
    """Add a job; with `coalesce`, skip it if an identical one is still waiting."""
    if coalesce:
        waiting = await session.exec(
            select(OutboxRow.id).where(
                OutboxRow.kind == kind,
                OutboxRow.incident_id == incident_id,
                OutboxRow.status == PENDING,
                OutboxRow.attempts == 0,
            )
        )
        if waiting.first() is not None:
            return
    session.add(
        OutboxRow(
            kind=kind,
            incident_id=incident_id,
            payload=payload or {},
            correlation_id=correlation_id,
            status=PENDING,
            not_before=not_before or now,
            created_at=now,
        )
    )


async def claim(
    session: AsyncSession, *, worker_id: str, now: datetime, lease: timedelta, limit: int = 8
) -> list[Job]:
    """Take due jobs, at most one per incident and only its oldest unfinished one.

    Jobs of one incident run in order (the channel before the card update); a job whose
    lease ran out (its worker died) becomes claimable again. Each claim is a conditional
    update, so two replicas never take the same job.
    """
    earlier = aliased(OutboxRow)
    blocked_by_earlier = exists().where(
        and_(
            col(earlier.incident_id) == col(OutboxRow.incident_id),
            col(earlier.id) < col(OutboxRow.id),
            col(earlier.status).in_([PENDING, RUNNING]),
        )
    )
    claimable = (col(OutboxRow.status) == PENDING) | (
        (col(OutboxRow.status) == RUNNING) & (col(OutboxRow.lease_until) < now)
    )
    candidates = await session.exec(
        select(OutboxRow)
        .where(claimable, col(OutboxRow.not_before) <= now, ~blocked_by_earlier)
        # Newest incidents first: after an outage or behind a flood, a fresh incident's
        # channel and card go out before old incidents' refreshes (one job per incident
        # per batch, so no incident can fill a batch alone).
        .order_by(col(OutboxRow.incident_id).desc().nulls_last(), col(OutboxRow.id))
        .limit(limit)
    )
    jobs: list[Job] = []
    for row in candidates.all():
        assert row.id is not None
        # Read before the update: the ORM synchronizes the loaded row with the UPDATE's
        # values, so reading `row.attempts` afterwards would count this claim twice.
        attempts = row.attempts + 1
        taken = await session.exec(
            update(OutboxRow)
            .where(col(OutboxRow.id) == row.id, col(OutboxRow.status) == row.status)
            .where(
                (col(OutboxRow.lease_until).is_(None))
                if row.lease_until is None
                else (col(OutboxRow.lease_until) == row.lease_until)
            )
            .values(
                status=RUNNING,
                claimed_by=worker_id,
                lease_until=now + lease,
                attempts=OutboxRow.attempts + 1,
            )
        )
        if taken.rowcount == 1:
            jobs.append(
                Job(
                    id=row.id,
                    kind=row.kind,
                    incident_id=row.incident_id,
                    payload=dict(row.payload),
                    correlation_id=row.correlation_id,
                    attempts=attempts,
                )
            )
    return jobs


async def complete(session: AsyncSession, job_id: int, now: datetime) -> None:
    await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == job_id)
        .values(status=DONE, done_at=now, lease_until=None, last_error=None)
    )


async def retry_later(session: AsyncSession, job_id: int, at: datetime, error: str) -> None:
    await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == job_id)
        .values(status=PENDING, not_before=at, lease_until=None, last_error=error[:2000])
    )


async def give_up(session: AsyncSession, job_id: int, now: datetime, error: str) -> None:
    await session.exec(
        update(OutboxRow)
        .where(col(OutboxRow.id) == job_id)
        .values(status=DEAD, done_at=now, lease_until=None, last_error=error[:2000])
    )


async def pending_count(session: AsyncSession, due_by: datetime | None = None) -> int:
    """Jobs not finished; with `due_by`, only those that may run by then."""
    query = select(OutboxRow.id).where(col(OutboxRow.status).in_([PENDING, RUNNING]))
    if due_by is not None:
        query = query.where(col(OutboxRow.not_before) <= due_by)
    result = await session.exec(query)
    return len(result.all())


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest pending job may run (None when nothing is pending)."""
    result = await session.exec(
        select(func.min(col(OutboxRow.not_before))).where(col(OutboxRow.status) == PENDING)
    )
    return result.one()
