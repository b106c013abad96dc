"""Incident reads and conditional writes."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.domain.lifecycle import (
    OPEN_STATUSES,
    TIMESTAMP_OF,
    IncidentStatus,
    LifecycleAction,
    TransitionRefused,
    next_status,
)
from bot.domain.signals import Signal
from bot.domain.subject import Subject, service_subject
from bot.incidents.pending import withdraw_pending
from bot.store.models import IncidentRow
from bot.store.upsert import insert_if_absent


async def get(session: AsyncSession, incident_id: int) -> IncidentRow | None:
    return await session.get(IncidentRow, incident_id, populate_existing=True)


async def find_open(session: AsyncSession, group_key: str) -> IncidentRow | None:
    result = await session.exec(select(IncidentRow).where(IncidentRow.open_group_key == group_key))
    return result.first()


_NO_AUTOFLUSH = {"autoflush": False}


@cache
def _open_id_query() -> SelectOfScalar[int | None]:
    """Built once: grouping asks it for every new alert, and building it cost more than
    running it."""
    return select(col(IncidentRow.id)).where(IncidentRow.open_group_key == bindparam("group_key"))


async def find_open_id(session: AsyncSession, group_key: str) -> int | None:
    """The id of the open incident holding `group_key`, without loading the incident.

    Pending rows are not flushed for it: incidents are inserted at once, never left
    pending, so none of them can change its answer.
    """
    result = await session.exec(
        _open_id_query(), params={"group_key": group_key}, execution_options=_NO_AUTOFLUSH
    )
    return result.first()


async def find_by_channel(session: AsyncSession, channel_id: str) -> IncidentRow | None:
    result = await session.exec(select(IncidentRow).where(IncidentRow.channel_id == channel_id))
    return result.first()


async def list_open(session: AsyncSession, limit: int = 50) -> list[IncidentRow]:
    result = await session.exec(
        select(IncidentRow)
        .where(col(IncidentRow.status).in_([s.value for s in OPEN_STATUSES]))
        .order_by(col(IncidentRow.id).desc())
        .limit(limit)
    )
    return list(result.all())


async def open_or_attach(
    session: AsyncSession, signal: Signal, group_key: str, now: datetime
) -> tuple[IncidentRow, bool]:
    """The open incident for this group, creating it if none; True when created.

    The unique `open_group_key` makes a concurrent twin impossible: whichever writer
    loses the race reads the winner's row instead.
    """
    existing = await find_open(session, group_key)
    if existing is not None:
        return existing, False
    values: dict[str, Any] = {
        "correlation_id": uuid.uuid4().hex,
        "title": signal.summary[:500],
        "service": signal.service,
        "environment": signal.environment,
        "subject": signal.subject.model_dump(mode="json") if signal.subject else None,
        "severity": signal.severity.value,
        "status": IncidentStatus.TRIGGERED.value,
        "source": signal.source,
        "group_key": group_key,
        "open_group_key": group_key,
        "signal_resolved": False,
        "signal_count": 0,
        "links": [link.model_dump() for link in signal.links],
        "topic_set": False,
        "responders_invited": False,
        "card_pinned": False,
        "announced": False,
        "version": 1,
        "triggered_at": now,
        "updated_at": now,
    }
    new_id = await insert_if_absent(session, IncidentRow, values, ["open_group_key"])
    if new_id is not None:
        incident = await get(session, int(new_id))
        assert incident is not None
        return incident, True
    winner = await find_open(session, group_key)
    assert winner is not None, "conflict on open_group_key without a row holding it"
    return winner, False


async def declare(
    session: AsyncSession,
    *,
    title: str,
    service: str,
    environment: str,
    severity: str,
    now: datetime,
) -> IncidentRow:
    """Open an incident by hand (no signal, no grouping)."""
    row = IncidentRow(
        correlation_id=uuid.uuid4().hex,
        title=title,
        service=service,
        environment=environment,
        severity=severity,
        status=IncidentStatus.TRIGGERED.value,
        source="manual",
        subject=service_subject(service, environment, "declared by hand").model_dump(mode="json"),
        group_key=uuid.uuid4().hex,
        signal_count=0,
        triggered_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


def incident_subject(incident: IncidentRow) -> Subject:
    """The subject an incident is about; older rows know only their service."""
    if incident.subject:
        return Subject.model_validate(incident.subject)
    return service_subject(incident.service, incident.environment, "incident service")


async def set_fields(session: AsyncSession, incident_id: int, **values: Any) -> None:
    """Write fields of one incident and bump its version."""
    await session.exec(
        update(IncidentRow)
        .where(col(IncidentRow.id) == incident_id)
        .values(version=IncidentRow.version + 1, **values)
    )


async def transition(
    session: AsyncSession, incident_id: int, action: LifecycleAction, now: datetime
) -> tuple[IncidentStatus, IncidentStatus]:
    """Apply one lifecycle action as a conditional update; return (old, new) statuses.

    Raises TransitionRefused when the table forbids it or a concurrent writer moved
    the incident first.
    """
    incident = await get(session, incident_id)
    if incident is None:
        raise LookupError(f"incident {incident_id} does not exist")
    current = IncidentStatus(incident.status)
    target = next_status(current, action)
    values: dict[str, Any] = {"status": target.value, "updated_at": now}
    stamp = TIMESTAMP_OF.get(target)
    if stamp is not None and getattr(incident, stamp) is None:
        values[stamp] = now
    # Leaving the open states frees the group, so the next alert opens a fresh incident;
    # a reopened incident does not reclaim it, since a newer one may hold it by then.
    if target not in OPEN_STATUSES:
        values["open_group_key"] = None
    result = await session.exec(
        update(IncidentRow)
        .where(col(IncidentRow.id) == incident_id, col(IncidentRow.status) == current.value)
        .values(version=IncidentRow.version + 1, **values)
    )
    if result.rowcount != 1:
        fresh = await get(session, incident_id)
        raise TransitionRefused(IncidentStatus(fresh.status) if fresh else current, action)
    if target not in OPEN_STATUSES:
        # Buttons of an ended incident stop offering what can no longer run.
        await withdraw_pending(session, incident, target.value, now)
    return current, target
