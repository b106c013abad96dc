"""Split a service out of a storm into an incident of its own, in one transaction.

Its alerts move with it; it gets its own channel and triage; its later alerts join it
(its open_group_key is the service's split key) rather than the storm.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES, IncidentStatus
from bot.domain.signals import Severity, SignalStatus
from bot.eventlog import service as eventlog
from bot.incidents import jobs as incident_jobs
from bot.incidents import service as incidents
from bot.incidents.opened import incident_opened
from bot.outbox import service as outbox
from bot.slack_text import clip, escape
from bot.store.models import IncidentRow, SignalRow
from bot.store.upsert import insert_if_absent
from bot.storms import service as storms
from bot.storms.keys import split_key

SERVICES_NAMED = 12


@dataclass(frozen=True)
class SplitResult:
    """What the responder is told; `incident_id` is the split-out incident when one exists."""

    message: str
    incident_id: int | None = None


async def _storm_services(session: AsyncSession, storm_id: int) -> list[str]:
    result = await session.exec(
        select(SignalRow.service).where(SignalRow.incident_id == storm_id).distinct()
    )
    return sorted(result.all())


def _who(actor: str) -> str:
    return f"<@{actor.removeprefix('slack:')}>" if actor.startswith("slack:") else escape(actor)


def _match(wanted: str, services: list[str]) -> str | None:
    if wanted in services:
        return wanted
    folded = [s for s in services if s.casefold() == wanted.casefold()]
    return folded[0] if len(folded) == 1 else None


async def split_service(
    session: AsyncSession,
    storm: IncidentRow,
    wanted: str,
    *,
    actor: str,
    correlation_id: str,
    now: datetime,
) -> SplitResult:
    """Move the service's alerts out of the storm into their own incident."""
    assert storm.id is not None
    if not storms.is_storm(storm):
        return SplitResult(f"#{storm.id} is not a storm incident; there is nothing to split.")
    if IncidentStatus(storm.status) not in OPEN_STATUSES:
        return SplitResult(f"Storm #{storm.id} is {storm.status}; nothing can be split out.")
    services = await _storm_services(session, storm.id)
    service = _match(wanted.strip(), services)
    if service is None:
        named = ", ".join(f"`{escape(s)}`" for s in services[:SERVICES_NAMED])
        hidden = len(services) - SERVICES_NAMED
        more = f" and {hidden} more" if hidden > 0 else ""
        return SplitResult(
            f"No alerts from `{escape(clip(wanted, 80))}` in storm #{storm.id}."
            + (f" Its services: {named}{more}." if services else " It holds no alerts.")
        )
    moved = await session.exec(
        select(SignalRow)
        .where(SignalRow.incident_id == storm.id, SignalRow.service == service)
        .order_by(col(SignalRow.id))
    )
    signals = list(moved.all())
    firing = [s for s in signals if s.status == SignalStatus.FIRING.value] or signals
    latest = firing[-1]
    severity = max((Severity(s.severity) for s in signals), key=lambda s: s.rank)
    key = split_key(storm.environment, service)
    values: dict[str, Any] = {
        "correlation_id": uuid.uuid4().hex,
        "title": f"{service}: {latest.summary}"[:500],
        "service": service,
        "environment": storm.environment,
        "subject": latest.subject,
        "severity": severity.value,
        "status": IncidentStatus.TRIGGERED.value,
        "source": latest.source,
        "kind": "incident",
        "split_from_id": storm.id,
        "group_key": key,
        "open_group_key": key,
        "signal_resolved": False,
        "signal_count": 0,
        "links": list(latest.links)[:8],
        "topic_set": False,
        "responders_invited": False,
        "card_pinned": False,
        "announced": False,
        "version": 1,
        "triggered_at": now,
        "updated_at": now,
    }
    new_id = await insert_if_absent(session, IncidentRow, values, ["open_group_key"])
    opened = new_id is not None
    target = await incidents.get(session, int(new_id)) if new_id is not None else None
    if target is None:
        # Split out before (a second click, another replica): its stragglers follow it.
        target = await incidents.find_open(session, key)
    assert target is not None and target.id is not None
    await session.exec(
        update(SignalRow)
        .where(col(SignalRow.incident_id) == storm.id, col(SignalRow.service) == service)
        .values(incident_id=target.id)
    )
    count = len(signals)
    await session.exec(
        update(IncidentRow)
        .where(col(IncidentRow.id) == target.id)
        .values(signal_count=IncidentRow.signal_count + count, updated_at=now)
    )
    await incidents.set_fields(
        session, storm.id, signal_count=IncidentRow.signal_count - count, updated_at=now
    )
    data = {"service": service, "storm_id": storm.id, "incident_id": target.id, "signals": count}
    eventlog.record(
        session,
        kind=EventKind.INCIDENT_SPLIT,
        summary=f"{service} split out to #{target.id} ({count} alerts)",
        actor=actor,
        correlation_id=correlation_id,
        at=now,
        incident_id=storm.id,
        data=data,
    )
    if opened:
        await incident_opened(
            session,
            target,
            actor=actor,
            summary=f"Split out of storm #{storm.id} with {count} alerts",
            correlation_id=correlation_id,
            now=now,
            data={**data, "title": target.title, "environment": target.environment},
        )
    else:
        await outbox.enqueue(
            session,
            kind=incident_jobs.REFRESH_CARD,
            incident_id=target.id,
            correlation_id=correlation_id,
            now=now,
            coalesce=True,
        )
    await outbox.enqueue(
        session,
        kind=incident_jobs.POST_NOTE,
        incident_id=storm.id,
        correlation_id=correlation_id,
        now=now,
        payload={
            "text": f"✂️ {escape(service)} ({count} alerts) split out to incident #{target.id} "
            f"by {_who(actor)}; its new alerts go there."
        },
    )
    await storms.refresh_card(session, storm.id, correlation_id, now)
    return SplitResult(f"✂️ Split `{escape(service)}` out to incident #{target.id}.", target.id)
