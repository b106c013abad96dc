"""Storm reads and conditional writes: is a storm on, the storm incident, subsiding."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES, IncidentStatus
from bot.domain.signals import Signal, SignalStatus
from bot.eventlog import service as eventlog
from bot.incidents import jobs as incident_jobs
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.store.models import IncidentRow, SignalRow
from bot.store.upsert import insert_if_absent
from bot.storms import jobs
from bot.storms.keys import STORM, STORM_ACTOR, storm_key
from policies.autonomy import breaker_reason
from policies.decisions import Reason, ReasonCode
from policies.engine_inputs import AlertingService, History, window_start
from policies.policy import Policy

# How often an open storm looks whether its breaker has closed when no alert comes.
CHECK_EVERY = timedelta(seconds=60)


# One advisory lock for every storm decision (a constant, so no two environments can be
# locked in opposite orders).
DECISION_LOCK = 0x53544F524D


async def serialize_decision(session: AsyncSession) -> None:
    """Hold the storm decision lock until the transaction ends.

    On PostgreSQL two replicas counting at once would each miss the other's uncommitted
    alerts, and a storm of simultaneous alerts would open an incident each. Under the lock
    each decision sees every earlier one committed. SQLite already runs one writing
    transaction at a time.
    """
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.exec(select(func.pg_advisory_xact_lock(DECISION_LOCK)))


def is_storm(incident: IncidentRow) -> bool:
    return incident.kind == STORM


async def alerting_services(
    session: AsyncSession, environment: str, since: datetime, excluding: Collection[int] = ()
) -> History:
    """Services with a firing alert in the environment since `since`, as the breaker sees them.

    `excluding` are signals stored ahead of their turn (a batch's later deliveries).
    """
    query = (
        select(SignalRow.service, func.min(SignalRow.received_at))
        .where(
            SignalRow.environment == environment,
            col(SignalRow.received_at) >= since,
            SignalRow.status == SignalStatus.FIRING.value,
        )
        .group_by(col(SignalRow.service))
    )
    if excluding:
        query = query.where(col(SignalRow.id).not_in(sorted(excluding)))
    result = await session.exec(query)
    return History(services_alerting=tuple(AlertingService(s, at) for s, at in result.all() if at))


async def breaker(
    session: AsyncSession,
    policy: Policy,
    environment: str,
    now: datetime,
    excluding: Collection[int] = (),
) -> Reason | None:
    """The policy's circuit breaker over one environment's alerts: a Reason while it is open."""
    window = policy.rules.limits.circuit_breaker.window_minutes
    since = window_start(now, window)
    history = await alerting_services(session, environment, since, excluding)
    return breaker_reason(history, policy, now)


def joining(environment: str) -> Reason:
    """Why an alert joins the environment's open storm without counting the breaker again."""
    return Reason(
        ReasonCode.CIRCUIT_BREAKER_OPEN,
        f"a storm is open in {environment[:100]}; new alerts join it until it subsides",
    )


async def active(session: AsyncSession, environment: str) -> IncidentRow | None:
    """The environment's storm incident while new alerts still join it."""
    return await incidents.find_open(session, storm_key(environment))


async def open_or_attach(
    session: AsyncSession, signal: Signal, now: datetime
) -> tuple[IncidentRow, bool]:
    """The environment's storm incident, opening it if none; True when opened here.

    Its fixed `open_group_key` makes it one per environment: a replica that loses the
    race to open it reads the winner's row.
    """
    key = storm_key(signal.environment)
    existing = await incidents.find_open(session, key)
    if existing is not None:
        return existing, False
    values: dict[str, Any] = {
        "correlation_id": uuid.uuid4().hex,
        "title": f"Alert storm in {signal.environment}"[:500],
        "service": STORM,
        "environment": signal.environment,
        "subject": None,
        "severity": signal.severity.value,
        "status": IncidentStatus.TRIGGERED.value,
        "source": STORM,
        "kind": STORM,
        "group_key": key,
        "open_group_key": key,
        "signal_resolved": False,
        "signal_count": 0,
        "links": [],
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
        opened = await incidents.get(session, int(new_id))
        assert opened is not None
        return opened, True
    winner = await incidents.find_open(session, key)
    assert winner is not None, "conflict on the storm key without a row holding it"
    return winner, False


async def started(
    session: AsyncSession, storm: IncidentRow, reason: Reason, correlation_id: str, now: datetime
) -> None:
    """Queue what a new storm sets off: its channel and card, the subsiding check, one page."""
    assert storm.id is not None
    await outbox.enqueue(
        session,
        kind=jobs.OPEN_CHANNEL,
        incident_id=storm.id,
        correlation_id=correlation_id,
        now=now,
    )
    await outbox.enqueue(
        session,
        kind=jobs.REQUEST_PAGE,
        incident_id=storm.id,
        correlation_id=correlation_id,
        now=now,
        payload={"reason": reason.text[:500]},
    )
    await schedule_check(session, storm.id, correlation_id, now)


async def schedule_check(
    session: AsyncSession, storm_id: int, correlation_id: str, now: datetime
) -> None:
    await outbox.enqueue(
        session,
        kind=jobs.CHECK,
        correlation_id=correlation_id,
        now=now,
        not_before=now + CHECK_EVERY,
        payload={"incident_id": storm_id},
    )


async def refresh_card(
    session: AsyncSession, storm_id: int, correlation_id: str, now: datetime
) -> None:
    # One pending edit shows every alert since it was queued, so a storm costs Slack a
    # card edit per pacing slot, not one per alert.
    await outbox.enqueue(
        session,
        kind=jobs.REFRESH_CARD,
        incident_id=storm_id,
        correlation_id=correlation_id,
        now=now,
        coalesce=True,
    )


async def subside(
    session: AsyncSession, storm: IncidentRow, why: str, correlation_id: str, now: datetime
) -> bool:
    """Stop the storm taking new alerts (it stays open for responders); True if this did it.

    A conditional update, so of two replicas noticing at once exactly one announces it.
    """
    assert storm.id is not None
    result = await session.exec(
        update(IncidentRow)
        .where(
            col(IncidentRow.id) == storm.id,
            col(IncidentRow.open_group_key) == storm_key(storm.environment),
        )
        .values(
            open_group_key=None,
            storm_subsided_at=now,
            updated_at=now,
            version=IncidentRow.version + 1,
        )
    )
    if result.rowcount != 1:
        return False
    eventlog.record(
        session,
        kind=EventKind.STORM_SUBSIDED,
        summary=f"The storm subsided: {why[:300]}",
        actor=STORM_ACTOR,
        correlation_id=correlation_id,
        at=now,
        incident_id=storm.id,
        data={"why": why[:500]},
    )
    await outbox.enqueue(
        session,
        kind=incident_jobs.POST_NOTE,
        incident_id=storm.id,
        correlation_id=correlation_id,
        now=now,
        payload={
            "text": f"🌤️ The storm has subsided ({why[:300]}). New alerts open their own "
            "incidents again; this incident stays open until a responder resolves it."
        },
    )
    await refresh_card(session, storm.id, correlation_id, now)
    return True


async def incident_of_fingerprint(
    session: AsyncSession, source: str, fingerprint: str
) -> IncidentRow | None:
    """The open incident holding this alert's latest firing signal (a storm or a split)."""
    result = await session.exec(
        select(SignalRow.incident_id)
        .where(
            SignalRow.source == source,
            SignalRow.fingerprint == fingerprint,
            col(SignalRow.incident_id).is_not(None),
        )
        .order_by(col(SignalRow.id).desc())
        .limit(1)
    )
    incident_id = result.first()
    if incident_id is None:
        return None
    incident = await incidents.get(session, incident_id)
    if incident is None or IncidentStatus(incident.status) not in OPEN_STATUSES:
        return None
    return incident
