"""When ticket writes fail: keep the work, retry it later, and tell the channel once.

A failed job is parked outside its incident's lane (a `ticket.retry` job with no incident)
until its backoff is over, so the channel's own messages keep flowing meanwhile. It never
gives up: the timeline is on the incident and in the event log, and is written once the
ticket system takes it again.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.common import BOT_ACTOR, tell_channel
from bot.domain.events import EventKind
from bot.domain.retry import backoff
from bot.eventlog import service as eventlog
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.runtime import Runtime
from bot.tickets import jobs
from bot.tickets import service as tickets

log = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 5.0
RETRY_CAP_SECONDS = 300.0
# Incidents that failed together should not all come back in the same second.
JITTER = 0.2

SYSTEM_NAMES = {"servicenow": "ServiceNow"}


def system_name(adapter_name: str) -> str:
    """How people call the ticket system."""
    return SYSTEM_NAMES.get(adapter_name, adapter_name)


def retry_delay(round_: int, error: AdapterError) -> timedelta:
    """Wait before retry number `round_` (1-based); a refusal waits the longest."""
    if error.retryable:
        seconds = backoff(round_, RETRY_BASE_SECONDS, RETRY_CAP_SECONDS).total_seconds()
        # The ticket system may ask for longer (a rate limit): coming back sooner would only
        # be refused again. Never past the cap, so one bad header cannot stall the ticket.
        seconds = min(RETRY_CAP_SECONDS, max(seconds, error.retry_after or 0.0))
    else:
        seconds = RETRY_CAP_SECONDS
    return timedelta(seconds=seconds * (1 + random.uniform(0, JITTER)))


def outage_text(system: str, error: AdapterError) -> str:
    if error.retryable:
        return f"⚠️ {system} is unreachable; the timeline will be written when it is back."
    return (
        f"⚠️ {system} refused a ticket write ({error.code}); the timeline is kept "
        "and will be written once that is fixed."
    )


def recovery_text(system: str) -> str:
    return f"✅ {system} is reachable again; the timeline is being written to the ticket."


async def park(rt: Runtime, job: Job, kind: str, incident_id: int, error: AdapterError) -> None:
    """Retry `kind` for the incident later; the first failure of an outage is announced."""
    now = rt.clock()
    round_ = int(job.payload.get("round", 0)) + 1
    delay = retry_delay(round_, error)
    system = system_name(rt.adapters.ticketing.name if rt.adapters.ticketing else "tickets")
    log.warning(
        "%s for incident %s failed (%s); retry %d in %ss",
        kind,
        incident_id,
        error.code,
        round_,
        int(delay.total_seconds()),
    )
    async with rt.sessions() as session, session.begin():
        await outbox.enqueue(
            session,
            kind=jobs.RETRY,
            correlation_id=job.correlation_id,
            now=now,
            payload={"kind": kind, "incident_id": incident_id, "round": round_},
            not_before=now + delay,
        )
        if await tickets.mark_failing(session, incident_id):
            eventlog.record(
                session,
                kind=EventKind.TICKET_SYNC_FAILED,
                summary=f"{system} write failed ({error.code}); it will be retried",
                actor=BOT_ACTOR,
                correlation_id=job.correlation_id,
                at=now,
                incident_id=incident_id,
                data={
                    "operation": kind,
                    "code": error.code,
                    "retryable": error.retryable,
                    "message": error.message[:300],
                },
            )
            await tell_channel(
                session, incident_id, outage_text(system, error), job.correlation_id, now
            )
    rt.wake_outbox()


async def note_success(
    rt: Runtime, session: AsyncSession, incident_id: int, correlation_id: str, now: datetime
) -> None:
    """After a write went through: end the incident's outage, telling the channel once."""
    if await tickets.mark_recovered(session, incident_id):
        system = system_name(rt.adapters.ticketing.name if rt.adapters.ticketing else "tickets")
        await tell_channel(session, incident_id, recovery_text(system), correlation_id, now)
