"""Triage jobs: assemble, ask, check, record, then show it on the triage card."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.propose import propose_actions
from bot.changes.service import recent_changes
from bot.chat.copies import refresh_copies
from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.incidents.service import incident_subject
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.chat import ChatError
from bot.ports.ownership import OwnerLookup
from bot.runtime import Runtime
from bot.store.models import EventRow, IncidentRow, TriageRow
from bot.subjects.refine import refine_subject
from bot.triage import card, jobs
from bot.triage import service as triages
from bot.triage.assemble import ContextLimits, assemble_context
from bot.triage.context import estimate_tokens, render_untrusted
from bot.triage.run import TriageRun, run_triage

log = logging.getLogger(__name__)

BOT_ACTOR = "smokejumper"


def context_limits(rt: Runtime) -> ContextLimits:
    """How far back a triage looks: the settings' change lookback, the policy's memory."""
    return ContextLimits(
        change_lookback=timedelta(minutes=rt.settings.triage_change_lookback_minutes),
        outcome_memory_days=rt.policy.rules.limits.failed_action_memory_days,
    )


async def run_triage_job(rt: Runtime, job: Job) -> None:
    """Triage an incident once; a repeat of the job (or a second replica) changes nothing."""
    assert job.incident_id is not None
    limits = context_limits(rt)
    async with rt.sessions() as session:
        incident = await incidents.get(session, job.incident_id)
        if incident is None or incident.triage_id is not None:
            return
        if incident.status not in OPEN_STATUSES:
            log.info("incident %s closed before its triage; skipped", incident.id)
            return
        incident = await _refine_subject(rt, session, incident)
        context = await assemble_context(
            session,
            incident,
            runbooks=rt.runbooks,
            runbooks_version=rt.runbooks_version,
            now=rt.clock(),
            limits=limits,
        )
    rendered = render_untrusted(context, rt.settings.triage_budget_tokens)
    context_tokens = estimate_tokens(rendered)
    # The audit names what the triage was given, as well as what came back.
    input_sha256 = hashlib.sha256(rendered.encode()).hexdigest()
    run = await run_triage(context, rt.triager, rt.runbooks)
    await _record(rt, job, incident, run, context_tokens, input_sha256)


async def _refine_subject(rt: Runtime, session: AsyncSession, incident: IncidentRow) -> IncidentRow:
    """Ask the cluster who owns a pod subject, so actions can name the workload."""
    assert incident.id is not None
    subject = incident_subject(incident)
    remediator = rt.adapters.remediator_for("restart_deployment")
    lookup = remediator if isinstance(remediator, OwnerLookup) else None
    refined = await refine_subject(subject, lookup)
    if refined == subject:
        return incident
    stored = refined.model_dump(mode="json")
    await incidents.set_fields(session, incident.id, subject=stored)
    await session.commit()
    incident.subject = stored
    return incident


async def _record(
    rt: Runtime,
    job: Job,
    incident: IncidentRow,
    run: TriageRun,
    context_tokens: int,
    input_sha256: str,
) -> None:
    checked, now = run.checked, rt.clock()
    assert incident.id is not None
    async with rt.sessions() as session, session.begin():
        row = triages.done_row(incident.id, checked, context_tokens, job.correlation_id, now)
        session.add(row)
        await session.flush()
        assert row.id is not None
        claimed = await session.exec(
            update(IncidentRow)
            .where(col(IncidentRow.id) == incident.id, col(IncidentRow.triage_id).is_(None))
            .values(triage_id=row.id, updated_at=now, version=IncidentRow.version + 1)
        )
        if claimed.rowcount != 1:
            # Another worker finished this triage first; keep its answer, drop ours.
            await session.rollback()
            return
        _log_triage(session, job, incident.id, row.id, run, context_tokens, input_sha256, now)
        await propose_actions(rt, session, incident, row, checked, job.correlation_id)
        await outbox.enqueue(
            session,
            kind=jobs.REFRESH_TRIAGE_CARD,
            incident_id=incident.id,
            correlation_id=job.correlation_id,
            now=now,
            coalesce=True,
        )
    rt.wake_outbox()


def _log_triage(
    session: AsyncSession,
    job: Job,
    incident_id: int,
    triage_id: int,
    run: TriageRun,
    context_tokens: int,
    input_sha256: str,
    now: datetime,
) -> None:
    checked = run.checked
    report = checked.report

    def record(kind: EventKind, summary: str, data: dict[str, object]) -> None:
        eventlog.record(
            session,
            kind=kind,
            summary=summary,
            actor=BOT_ACTOR,
            correlation_id=job.correlation_id,
            at=now,
            incident_id=incident_id,
            data={"triage_id": triage_id, **data},
        )

    if run.model_failure is not None:
        record(
            EventKind.TRIAGE_MODEL_FAILED,
            f"Model triage failed ({run.model_failure.value}); the runbook triage stands in",
            {
                "reason": run.model_failure.value,
                "detail": run.model_failure_detail[:500],
                "duration_ms": round(run.model_duration_ms, 1),
            },
        )
    record(
        EventKind.TRIAGE_COMPLETED,
        f"Triage ({checked.source.value}): {report.incident_class}, {report.classification.value}"
        f", confidence {report.confidence:.2f}: {report.hypothesis[:200]}",
        {
            "classification": report.classification.value,
            "confidence": report.confidence,
            "proposed_confidence": checked.proposed_confidence,
            "incident_class": report.incident_class,
            "hypothesis": report.hypothesis,
            "evidence": [e.model_dump(mode="json") for e in report.evidence],
            "unknowns": list(report.unknowns),
            "recommended_team": report.recommended_team,
            "requires_ticket": report.requires_ticket,
            "requires_paging": report.requires_paging,
            "requires_mim": report.requires_mim,
            "source": checked.source.value,
            "model": checked.model,
            "prompt_version": checked.prompt_version,
            "runbooks_version": checked.runbooks_version,
            "answer_sha256": checked.answer_sha256,
            "input_sha256": input_sha256,
            "prompt_tokens": checked.prompt_tokens,
            "completion_tokens": checked.completion_tokens,
            "context_tokens": context_tokens,
            "fallback_reason": checked.fallback_reason.value if checked.fallback_reason else None,
            "runbook_pointers": [
                e.pointer for e in report.evidence if e.pointer.startswith("runbook:")
            ],
            "duration_ms": round(run.duration_ms, 1),
        },
    )
    record(
        EventKind.TRIAGE_CHECKED,
        f"Checks: {len(checked.flags)} flag(s), {len(checked.dropped_actions)} action(s) dropped",
        {
            "flags": [f.model_dump(mode="json") for f in checked.flags],
            "dropped": [
                {"action": d.action.action, "target": d.action.target, "code": d.code.value}
                for d in checked.dropped_actions
            ],
            "kept": [a.action for a in report.proposed_actions],
        },
    )


async def refresh_triage_card(rt: Runtime, job: Job) -> None:
    """Edit the triage card in place (post it if the placeholder never made it)."""
    assert job.incident_id is not None
    async with rt.sessions() as session:
        incident = await incidents.get(session, job.incident_id)
        if incident is None or incident.triage_id is None:
            return
        triage = await triages.get(session, incident.triage_id)
        assert triage is not None
        checked = triages.checked_of(triage)
        views = await triages.card_actions(session, triage, checked, rt.policy)
        failure = await _failure_detail(session, triage)
        recent = await _recent_changes(rt, session, incident)
        changed = await _what_changed(session, triage)
    if incident.channel_id is None:
        raise ChatError("channel_missing", "the incident channel is not open yet", retryable=True)
    assert incident.id is not None
    text = card.triage_text(incident.id, checked)
    blocks = card.triage_blocks(
        incident.id,
        checked,
        views,
        severity=incident.severity,
        recent=recent,
        model_failure_detail=failure,
        what_changed=changed,
    )
    ts = incident.triage_card_ts
    if ts is None:
        ts = await rt.chat.find_own_message(incident.channel_id, card.triage_marker(incident.id))
        if ts is None:
            ts = await rt.chat.post(incident.channel_id, text, blocks)
        async with rt.sessions() as session, session.begin():
            await incidents.set_fields(session, incident.id, triage_card_ts=ts)
    await rt.chat.update(incident.channel_id, ts, text, blocks)
    # Chat proposals have a copy with buttons in their thread; it tells the same story.
    await refresh_copies(rt, incident.id)


async def _what_changed(session: AsyncSession, triage: TriageRow) -> list[str]:
    """What a re-triage found different, when this triage is one."""
    result = await session.exec(
        select(EventRow).where(
            EventRow.incident_id == triage.incident_id,
            EventRow.kind == EventKind.TRIAGE_RERUN.value,
        )
    )
    for event in result.all():
        if event.data.get("triage_id") == triage.id:
            return [str(line) for line in event.data.get("what_changed", [])]
    return []


async def _recent_changes(
    rt: Runtime, session: AsyncSession, incident: IncidentRow
) -> card.RecentChanges:
    """The service's changes since the lookback before the incident, newest first."""
    lookback = rt.settings.triage_change_lookback_minutes
    rows = await recent_changes(
        session,
        service=incident.service,
        environment=incident.environment,
        since=incident.triggered_at - timedelta(minutes=lookback),
        until=rt.clock(),
        limit=card.MAX_CHANGES_SHOWN + 1,
    )
    return card.RecentChanges(
        lookback,
        tuple(
            card.ChangeView(
                kind=row.kind,
                description=row.description,
                at=row.at,
                pointer=row.pointer,
                actor=row.actor,
            )
            for row in rows
        ),
    )


async def _failure_detail(session: AsyncSession, triage: TriageRow) -> str:
    if triage.fallback_reason is None:
        return ""
    result = await session.exec(
        select(EventRow).where(
            EventRow.incident_id == triage.incident_id,
            EventRow.kind == EventKind.TRIAGE_MODEL_FAILED.value,
        )
    )
    for event in result.all():
        if event.data.get("triage_id") == triage.id:
            return str(event.data.get("detail", ""))
    return ""


async def post_placeholder(rt: Runtime, incident: IncidentRow, channel_id: str) -> None:
    """The triage card's first form, posted with the channel."""
    assert incident.id is not None
    if incident.triage_card_ts is not None:
        return
    marker = card.triage_marker(incident.id)
    ts = await rt.chat.find_own_message(channel_id, marker)
    if ts is None:
        ts = await rt.chat.post(
            channel_id, card.placeholder_text(incident.id), card.placeholder_blocks(incident.id)
        )
    async with rt.sessions() as session, session.begin():
        await incidents.set_fields(session, incident.id, triage_card_ts=ts)
