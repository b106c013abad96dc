"""Paging jobs: page humans for an incident, and keep the page in step with it."""

from __future__ import annotations

from bot.domain.events import EventKind
from bot.eventlog import service as eventlog
from bot.incidents import jobs as incident_jobs
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.pager import Page
from bot.runtime import Runtime
from bot.store.models import IncidentRow

PAGE_SEVERITY = {"critical": "critical", "error": "error", "warning": "warning", "info": "info"}


def dedup_key(incident: IncidentRow) -> str:
    """One key per incident, so repeated pages (retries, replicas) collapse into one."""
    return f"smokejumper-{incident.correlation_id}"


async def _incident(rt: Runtime, job: Job) -> IncidentRow | None:
    async with rt.sessions() as session:
        return await incidents.get(session, int(job.payload["incident_id"]))


async def page_job(rt: Runtime, job: Job) -> None:
    pager = rt.adapters.pager
    incident = await _incident(rt, job)
    if pager is None or incident is None or incident.id is None:
        return
    reason = str(job.payload.get("reason", ""))
    by = str(job.payload.get("by", ""))
    key = dedup_key(incident)
    now = rt.clock()
    links: tuple[tuple[str, str], ...] = tuple(
        (link["url"], link.get("title", "source")[:100])
        for link in incident.links[:3]
        if link.get("url", "").startswith(("http://", "https://"))
    )
    await pager.trigger(
        Page(
            dedup_key=key,
            summary=f"[{incident.service}] {incident.title}"[:1000],
            severity=PAGE_SEVERITY.get(incident.severity, "error"),
            source="smokejumper",
            timestamp=now,
            links=links,
            details={
                "incident": str(incident.id),
                "service": incident.service,
                "environment": incident.environment,
                "channel": incident.channel_name or "",
                "reason": reason,
            },
        )
    )
    async with rt.sessions() as session, session.begin():
        await incidents.set_fields(session, incident.id, pager_dedup_key=key, paged_at=now)
        eventlog.record(
            session,
            kind=EventKind.PAGED,
            summary=f"Paged on-call through {pager.name}: {reason[:300]}",
            actor="smokejumper",
            correlation_id=job.correlation_id,
            at=now,
            incident_id=incident.id,
            data={"dedup_key": key, "pager": pager.name, "reason": reason, "by": by},
        )
        who = f" at the request of {by}" if by else ""
        await outbox.enqueue(
            session,
            kind=incident_jobs.POST_NOTE,
            incident_id=incident.id,
            correlation_id=job.correlation_id,
            now=now,
            payload={
                "text": f"📟 Paged on-call through {pager.name}{who}: {reason[:300]}"
                f" (dedup key `{key}`; PagerDuty's updates will follow here)"
            },
        )


async def acknowledge_job(rt: Runtime, job: Job) -> None:
    incident = await _incident(rt, job)
    if rt.adapters.pager is None or incident is None or incident.pager_dedup_key is None:
        return
    await rt.adapters.pager.acknowledge(incident.pager_dedup_key, rt.clock())


async def resolve_job(rt: Runtime, job: Job) -> None:
    incident = await _incident(rt, job)
    if rt.adapters.pager is None or incident is None or incident.pager_dedup_key is None:
        return
    await rt.adapters.pager.resolve(incident.pager_dedup_key, rt.clock())
