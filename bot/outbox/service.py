"""The durable outbox: side effects enqueued in the same transaction as the facts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Protocol

from sqlalchemy import and_, bindparam, delete, exists, func, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.outbox.lane_names import ORDERED, SLACK, lane_for
from bot.store.models import OutboxRow
from bot.store.types import UTCDateTime

PENDING = "pending"
RUNNING = "running"
DONE = "done"
DEAD = "dead"


class LeaseHolder(Protocol):
    async def hold(self) -> None:
        """Extend the job's lease, or raise `LeaseLost` when another worker has it now."""
        ...


@dataclass(frozen=True)
class Claim:
    """Who holds a running job: the worker and its claim's number (the attempt count).

    Every claim raises `attempts`, so (worker, attempts) names one claim: a worker whose
    lease ran out and whose job was claimed again can no longer match it.
    """

    worker_id: str
    attempts: int


@dataclass(frozen=True)
class Job:
    """A claimed outbox entry, detached from any session."""

    id: int
    kind: str
    incident_id: int | None
    payload: dict[str, Any]
    correlation_id: str
    attempts: int
    lane: str = SLACK
    lease: LeaseHolder | None = field(default=None, compare=False, repr=False)

    async def hold(self) -> None:
        """Call before each external step: keeps the lease while the job is alive, and
        stops a job that lost it (raises `LeaseLost`) before it repeats another's work."""
        if self.lease is not None:
            await self.lease.hold()


@cache
def _waiting_query(without_incident: bool) -> SelectOfScalar[int]:
    """Built once, against the table: every coalesced enqueue (a card refresh per batch
    of a storm's alerts) asks it."""
    table = OutboxRow.__table__  # type: ignore[attr-defined]
    incident = (
        table.c.incident_id.is_(None)
        if without_incident
        else table.c.incident_id == bindparam("waiting_incident")
    )
    return (
        select(table.c.id)
        .where(
            table.c.kind == bindparam("waiting_kind"),
            incident,
            table.c.status == PENDING,
            table.c.attempts == 0,
        )
        .limit(1)
    )


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
    lane: str | None = None,
) -> None:
    """Add a job; with `coalesce`, skip it if an identical one is still waiting.

    The lane is the kind's (`lane_names.lane_for`) unless given. A job whose incident
    travels in its payload is stored against that incident too, so its lane, its
    retries and its giving up are the incident's.
    """
    if incident_id is None and isinstance((payload or {}).get("incident_id"), int):
        incident_id = int((payload or {})["incident_id"])
    if coalesce:
        waiting = await session.exec(
            _waiting_query(incident_id is None),
            params={"waiting_kind": kind, "waiting_incident": incident_id},
        )
        if waiting.first() is not None:
            return
    session.add(
        OutboxRow(
            kind=kind,
            lane=lane or lane_for(kind),
            incident_id=incident_id,
            payload=payload or {},
            correlation_id=correlation_id,
            status=PENDING,
            not_before=not_before or now,
            created_at=now,
        )
    )


@cache
def _candidates_query() -> SelectOfScalar[OutboxRow]:
    """The claim query, built once: building it is most of a claim's cost on a busy outbox."""
    now = bindparam("now", type_=UTCDateTime())
    earlier = aliased(OutboxRow)
    blocked_by_earlier = exists().where(
        and_(
            col(OutboxRow.lane).in_(ORDERED),
            col(earlier.lane).in_(ORDERED),
            col(earlier.incident_id) == col(OutboxRow.incident_id),
            col(earlier.id) < col(OutboxRow.id),
            col(earlier.status).in_([PENDING, RUNNING]),
        )
    )
    claimable = (col(OutboxRow.status) == PENDING) | (
        (col(OutboxRow.status) == RUNNING) & (col(OutboxRow.lease_until) < now)
    )
    return (
        select(OutboxRow)
        .where(claimable, col(OutboxRow.not_before) <= now, ~blocked_by_earlier)
        # Newest incidents first: after an outage or behind a flood, a fresh incident's
        # channel and card go out before old incidents' refreshes (one job per incident
        # per batch, so no incident can fill a batch alone).
        .order_by(col(OutboxRow.incident_id).desc().nulls_last(), col(OutboxRow.id))
        .limit(bindparam("limit"))
    )


async def claim(
    session: AsyncSession, *, worker_id: str, now: datetime, lease: timedelta, limit: int = 8
) -> list[Job]:
    """Take due jobs; of an incident's jobs in the ordered lanes, only its oldest one.

    An incident's Slack and ticket jobs run in one order (the channel before the card
    update, the handoff before the ticket is resolved with it); the other lanes' jobs
    never wait for them nor hold them up. A job whose lease ran out (its worker
    died) becomes claimable again. Each claim is a conditional update, so two replicas
    never take the same job.
    """
    candidates = await session.exec(_candidates_query(), params={"now": now, "limit": limit})
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
                    lane=row.lane,
                )
            )
    return jobs


async def _finish(
    session: AsyncSession, job_id: int, claim: Claim | None, **values: object
) -> bool:
    """Update a job, fenced by its claim: False when another worker holds it now."""
    query = update(OutboxRow).where(col(OutboxRow.id) == job_id)
    if claim is not None:
        query = query.where(
            col(OutboxRow.status) == RUNNING,
            col(OutboxRow.claimed_by) == claim.worker_id,
            col(OutboxRow.attempts) == claim.attempts,
        )
    result = await session.exec(query.values(**values))
    return bool(result.rowcount == 1)


async def renew(session: AsyncSession, job_id: int, claim: Claim, until: datetime) -> bool:
    """Extend a running job's lease while `claim` still holds it."""
    return await _finish(session, job_id, claim, lease_until=until)


async def complete(
    session: AsyncSession, job_id: int, now: datetime, claim: Claim | None = None
) -> bool:
    return await _finish(
        session, job_id, claim, status=DONE, done_at=now, lease_until=None, last_error=None
    )


async def retry_later(
    session: AsyncSession, job_id: int, at: datetime, error: str, claim: Claim | None = None
) -> bool:
    return await _finish(
        session,
        job_id,
        claim,
        status=PENDING,
        not_before=at,
        lease_until=None,
        last_error=error[:2000],
    )


async def give_up(
    session: AsyncSession, job_id: int, now: datetime, error: str, claim: Claim | None = None
) -> bool:
    return await _finish(
        session,
        job_id,
        claim,
        status=DEAD,
        done_at=now,
        lease_until=None,
        last_error=error[:2000],
    )


async def sweep_finished(session: AsyncSession, finished_before: datetime) -> int:
    """Delete jobs done or given up before then; a given-up one's reason stays in the log."""
    result = await session.exec(
        delete(OutboxRow).where(
            col(OutboxRow.status).in_([DONE, DEAD]),
            col(OutboxRow.done_at) < finished_before,
        )
    )
    return int(result.rowcount or 0)


async def pending_count(session: AsyncSession, due_by: datetime | None = None) -> int:
    """Jobs not finished; with `due_by`, only those that may run by then."""
    query = (
        select(func.count())
        .select_from(OutboxRow)
        .where(col(OutboxRow.status).in_([PENDING, RUNNING]))
    )
    if due_by is not None:
        query = query.where(col(OutboxRow.not_before) <= due_by)
    result = await session.exec(query)
    return int(result.one())


async def next_due(session: AsyncSession) -> datetime | None:
    """When the earliest pending job may run (None when nothing is pending)."""
    result = await session.exec(
        select(func.min(col(OutboxRow.not_before))).where(col(OutboxRow.status) == PENDING)
    )
    return result.one()


async def backlog(session: AsyncSession, now: datetime) -> dict[str, object]:
    """What waits in the outbox: jobs not finished, the oldest one's age, and dead jobs."""
    waiting = await session.exec(
        select(func.count(), func.min(col(OutboxRow.created_at))).where(
            col(OutboxRow.status).in_([PENDING, RUNNING])
        )
    )
    count, oldest = waiting.one()
    dead = await session.exec(
        select(func.count()).select_from(OutboxRow).where(col(OutboxRow.status) == DEAD)
    )
    age = (now - oldest).total_seconds() if oldest is not None else 0.0
    return {"pending": int(count), "oldest_seconds": round(age, 1), "dead": int(dead.one())}
