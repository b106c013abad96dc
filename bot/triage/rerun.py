"""Re-triage: the triage again with the newest signals, changes and outcomes; the card is
edited in place and the event log says what changed against the previous triage."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.propose import propose_actions
from bot.actions.states import ActionState
from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.runtime import Runtime
from bot.store.models import ActionRow, EventRow, IncidentRow, TriageRow
from bot.triage import jobs
from bot.triage import service as triages
from bot.triage.assemble import assemble_context
from bot.triage.context import estimate_tokens, render_untrusted
from bot.triage.flows import context_limits
from bot.triage.models import CheckedTriage
from bot.triage.run import run_triage

log = logging.getLogger(__name__)

RERUN_TRIAGE = "triage.rerun"
BOT_ACTOR = "smokejumper"


async def request_retriage(
    rt: Runtime, session: AsyncSession, incident: IncidentRow, actor: str, why: str
) -> str:
    """Queue a re-triage of an open incident (coalesced with one already waiting)."""
    assert incident.id is not None
    now = rt.clock()
    correlation_id = uuid.uuid4().hex
    await outbox.enqueue(
        session,
        kind=RERUN_TRIAGE,
        incident_id=incident.id,
        correlation_id=correlation_id,
        now=now,
        payload={"actor": actor, "why": why[:200], "from_triage": incident.triage_id},
        coalesce=True,
    )
    return correlation_id


async def rerun_triage_job(rt: Runtime, job: Job) -> None:
    """Triage again; the newer triage replaces the old one on the card, with what changed."""
    assert job.incident_id is not None
    async with rt.sessions() as session:
        incident = await incidents.get(session, job.incident_id)
        if incident is None or incident.status not in OPEN_STATUSES:
            return
        previous = await triages.get(session, incident.triage_id) if incident.triage_id else None
        context = await assemble_context(
            session,
            incident,
            runbooks=rt.runbooks,
            runbooks_version=rt.runbooks_version,
            now=rt.clock(),
            limits=context_limits(rt),
        )
        said = await _conversation(session, job.incident_id, previous)
    context_tokens = estimate_tokens(render_untrusted(context, rt.settings.triage_budget_tokens))
    run = await run_triage(context, rt.triager, rt.runbooks)
    checked, now = run.checked, rt.clock()
    old = triages.checked_of(previous) if previous is not None else None
    async with rt.sessions() as session, session.begin():
        row = triages.done_row(job.incident_id, checked, context_tokens, job.correlation_id, now)
        session.add(row)
        await session.flush()
        previous_id = previous.id if previous is not None else None
        claimed = await session.exec(
            update(IncidentRow)
            .where(
                col(IncidentRow.id) == job.incident_id,
                col(IncidentRow.triage_id).is_(None)
                if previous_id is None
                else col(IncidentRow.triage_id) == previous_id,
            )
            .values(triage_id=row.id, updated_at=now, version=IncidentRow.version + 1)
        )
        if claimed.rowcount != 1:
            # Another triage landed meanwhile; this one compared against a stale one.
            await session.rollback()
            return
        superseded = await _supersede(session, previous_id, now, job.correlation_id)
        changed = what_changed(old, checked, context.changes, said, superseded)
        eventlog.record(
            session,
            kind=EventKind.TRIAGE_RERUN,
            summary="Re-triage: " + ("; ".join(changed) if changed else "nothing changed")[:400],
            actor=str(job.payload.get("actor") or BOT_ACTOR),
            correlation_id=job.correlation_id,
            at=now,
            incident_id=job.incident_id,
            data={
                "triage_id": row.id,
                "previous_triage_id": previous_id,
                "what_changed": changed,
                "why": job.payload.get("why", ""),
                "conversation_entries": len(said),
                "hypothesis": checked.report.hypothesis,
                "classification": checked.report.classification.value,
                "confidence": checked.report.confidence,
                "source": checked.source.value,
            },
        )
        incident = await incidents.get(session, job.incident_id)
        assert incident is not None
        await propose_actions(rt, session, incident, row, checked, job.correlation_id)
        await outbox.enqueue(
            session,
            kind=jobs.REFRESH_TRIAGE_CARD,
            incident_id=job.incident_id,
            correlation_id=job.correlation_id,
            now=now,
            coalesce=True,
        )
    rt.wake_outbox()


async def _conversation(
    session: AsyncSession, incident_id: int, previous: TriageRow | None
) -> list[EventRow]:
    """What responders said since the previous triage."""
    since = previous.completed_at if previous is not None else None
    rows = await eventlog.timeline(session, incident_id)
    return [
        e
        for e in rows
        if e.kind == EventKind.CHAT_MESSAGE.value and (since is None or e.at >= since)
    ]


async def _supersede(
    session: AsyncSession, triage_id: int | None, now: datetime, correlation_id: str
) -> int:
    """The previous triage's proposals still waiting are replaced by the new triage's."""
    if triage_id is None:
        return 0
    result = await session.exec(
        update(ActionRow)
        .where(
            col(ActionRow.triage_id) == triage_id,
            col(ActionRow.state) == ActionState.AWAITING_APPROVAL.value,
            col(ActionRow.proposed_by) == "triage",
        )
        .values(state=ActionState.SUPERSEDED.value, version=ActionRow.version + 1)
    )
    return int(result.rowcount or 0)


def what_changed(
    old: CheckedTriage | None,
    new: CheckedTriage,
    changes: Any,
    said: list[EventRow],
    superseded: int,
) -> list[str]:
    """Short lines: what the new triage says differently, and what it saw that was new."""
    lines: list[str] = []
    report = new.report
    if old is None:
        return [f"first triage: {report.incident_class}, {report.classification.value}"]
    before = old.report
    if before.incident_class != report.incident_class:
        lines.append(f"class {before.incident_class} → {report.incident_class}")
    if before.classification != report.classification:
        lines.append(
            f"classification {before.classification.value} → {report.classification.value}"
        )
    if abs(before.confidence - report.confidence) >= 0.01:
        lines.append(f"confidence {before.confidence:.2f} → {report.confidence:.2f}")
    if before.hypothesis != report.hypothesis:
        lines.append("new hypothesis")
    old_pointers = {e.pointer for e in before.evidence}
    added = [e.pointer for e in report.evidence if e.pointer not in old_pointers]
    if added:
        lines.append("new evidence: " + ", ".join(added[:4]))
    old_actions = {(a.action, a.target) for a in before.proposed_actions}
    new_actions = {(a.action, a.target) for a in report.proposed_actions}
    for action, target in sorted(new_actions - old_actions):
        lines.append(f"now proposes {action} on {target}")
    for action, target in sorted(old_actions - new_actions):
        lines.append(f"no longer proposes {action} on {target}")
    if superseded:
        lines.append(f"{superseded} waiting proposal(s) superseded")
    if said:
        lines.append(f"{len(said)} responder message(s) since the last triage")
    if not lines:
        lines.append(f"same conclusion ({len(tuple(changes))} change(s) in view)")
    return lines
