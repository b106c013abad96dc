"""Context assembly: what the store knows about an incident, bounded, as a TriageContext."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions.outcomes import past_outcomes
from bot.changes.service import recent_changes
from bot.diagnostics.render import LOG_PREFIX, diagnostics_summary
from bot.domain.events import EventKind
from bot.domain.lifecycle import OPEN_STATUSES
from bot.domain.signals import Link, Severity, Signal, SignalStatus
from bot.domain.subject import Subject
from bot.incidents.service import incident_subject
from bot.store.models import ActionRow, EventRow, IncidentRow, SignalRow
from bot.triage.context import (
    ChangeEvent,
    DiagnosticsFound,
    PastIncident,
    ResponderMessage,
    TriageContext,
    build_context,
)
from policies.runbooks import ChangeKind, Runbook


@dataclass(frozen=True, slots=True)
class ContextLimits:
    """How much of the history one triage may see; pointers stand in for the rest."""

    max_signals: int = 20
    max_changes: int = 10
    max_past_incidents: int = 3
    change_lookback: timedelta = timedelta(hours=6)
    outcome_memory_days: int = 7
    # Responders' newest messages, each already bounded when it was recorded.
    max_messages: int = 10
    max_message_chars: int = 500


async def _diagnostics(session: AsyncSession, incident_id: int) -> list[DiagnosticsFound]:
    """The latest collect_diagnostics result of the incident, if one ran."""
    found = await session.exec(
        select(ActionRow)
        .where(
            ActionRow.incident_id == incident_id,
            ActionRow.action == "collect_diagnostics",
            ActionRow.state == "verified",
        )
        .order_by(col(ActionRow.id).desc())
        .limit(1)
    )
    row = found.first()
    if row is None:
        return []
    details = {str(k): str(v) for k, v in dict(row.result.get("details", {})).items()}
    summary = diagnostics_summary(row.target, details)
    if details.get("restarts"):
        summary += f". {details['restarts']}"
    logs = tuple(
        (key.removeprefix(LOG_PREFIX), value)
        for key, value in details.items()
        if key.startswith(LOG_PREFIX)
    )
    return [DiagnosticsFound(pointer=f"action:{row.id}", summary=summary, logs=logs)]


def signal_from_row(row: SignalRow) -> Signal:
    return Signal(
        source=row.source,
        environment=row.environment,
        service=row.service,
        fingerprint=row.fingerprint,
        severity=Severity(row.severity),
        status=SignalStatus(row.status),
        summary=row.summary,
        labels=dict(row.labels),
        annotations=dict(row.annotations),
        links=[Link(title=link.get("title", ""), url=link["url"]) for link in row.links],
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        delivery_id=row.delivery_id,
        subject=Subject.model_validate(row.subject) if row.subject else None,
    )


async def incident_signals(session: AsyncSession, incident_id: int, limit: int) -> list[Signal]:
    """The latest delivery of each fingerprint on the incident, newest first."""
    result = await session.exec(
        select(SignalRow)
        .where(SignalRow.incident_id == incident_id)
        .order_by(col(SignalRow.id).desc())
        .limit(limit * 5)
    )
    latest: dict[str, SignalRow] = {}
    for row in result.all():
        latest.setdefault(row.fingerprint, row)
    return [signal_from_row(row) for row in list(latest.values())[:limit]]


async def _past_incidents(
    session: AsyncSession, incident: IncidentRow, limit: int
) -> list[PastIncident]:
    # The same group first (the same alert on the same service), then the same service.
    result = await session.exec(
        select(IncidentRow)
        .where(
            IncidentRow.service == incident.service,
            IncidentRow.environment == incident.environment,
            col(IncidentRow.id) != incident.id,
            col(IncidentRow.status).not_in(sorted(OPEN_STATUSES)),
        )
        .order_by(col(IncidentRow.id).desc())
        .limit(limit * 4)
    )
    rows = sorted(result.all(), key=lambda r: (r.group_key != incident.group_key, -(r.id or 0)))
    chosen = rows[:limit]
    endings = await _resolutions(session, chosen)
    return [
        PastIncident(
            title=row.title,
            resolution=endings.get(
                row.id or 0, (-1, f"{row.status} by a responder; none recorded")
            )[1],
            pointer=f"incident:{row.correlation_id}",
            verified=endings.get(row.id or 0, (-1, ""))[0] == _VERIFIED_RANK,
        )
        for row in chosen
    ]


_RESOLUTION_KINDS = (
    EventKind.ACTION_VERIFIED.value,
    EventKind.ACTION_SUCCEEDED.value,
    EventKind.TRIAGE_COMPLETED.value,
    EventKind.NOTE_ADDED.value,
)


_VERIFIED_RANK = 0


async def _resolutions(
    session: AsyncSession, incidents: list[IncidentRow]
) -> dict[int, tuple[int, str]]:
    """One line per past incident on how it ended, from their event logs in one query."""
    ids = [row.id for row in incidents if row.id is not None]
    if not ids:
        return {}
    result = await session.exec(
        select(EventRow.incident_id, EventRow.kind, EventRow.summary)
        .where(col(EventRow.incident_id).in_(ids), col(EventRow.kind).in_(_RESOLUTION_KINDS))
        .order_by(col(EventRow.id).desc())
    )
    best: dict[int, tuple[int, str]] = {}
    for incident_id, kind, summary in result.all():
        assert incident_id is not None
        rank = _RESOLUTION_KINDS.index(kind)
        if incident_id not in best or rank < best[incident_id][0]:
            best[incident_id] = (rank, summary)
    status = {row.id: row.status for row in incidents}
    # The rank travels along: only an ending by a verified action (rank 0) is a real outcome.
    return {
        incident_id: (rank, f"{status[incident_id]}; {summary[:240]}")
        for incident_id, (rank, summary) in best.items()
    }


async def responder_messages(
    session: AsyncSession, incident_id: int, limits: ContextLimits
) -> list[ResponderMessage]:
    """The newest things responders said in the channel (chat.message entries), bounded."""
    result = await session.exec(
        select(EventRow)
        .where(
            EventRow.incident_id == incident_id,
            EventRow.kind == EventKind.CHAT_MESSAGE.value,
        )
        .order_by(col(EventRow.id).desc())
        .limit(limits.max_messages)
    )
    return [
        ResponderMessage(
            who=str(row.data.get("user") or row.actor)[:64],
            text=str(row.data.get("text") or "")[: limits.max_message_chars],
            at=row.at,
            pointer=f"event:{row.id}",
        )
        for row in result.all()
    ]


async def assemble_context(
    session: AsyncSession,
    incident: IncidentRow,
    *,
    runbooks: Sequence[Runbook],
    runbooks_version: str,
    now: datetime,
    limits: ContextLimits = ContextLimits(),
) -> TriageContext:
    """Signals, recent changes, matching runbooks and similar past incidents of one incident."""
    assert incident.id is not None
    signals = await incident_signals(session, incident.id, limits.max_signals)
    changes = await recent_changes(
        session,
        service=incident.service,
        environment=incident.environment,
        since=incident.triggered_at - limits.change_lookback,
        until=now,
        limit=limits.max_changes,
    )
    past = await _past_incidents(session, incident, limits.max_past_incidents)
    return build_context(
        signals,
        service=incident.service,
        environment=incident.environment,
        subject=incident_subject(incident),
        runbooks=runbooks,
        runbooks_version=runbooks_version,
        changes=[
            ChangeEvent(
                kind=ChangeKind(row.kind),
                description=row.description,
                at=row.at,
                pointer=row.pointer,
                subject=row.subject,
            )
            for row in changes
        ],
        past_incidents=past,
        diagnostics=await _diagnostics(session, incident.id),
        conversation=await responder_messages(session, incident.id, limits),
        outcomes=await past_outcomes(
            session,
            incident_subject(incident),
            days=limits.outcome_memory_days,
            now=now,
            exclude_incident=incident.id,
        ),
    )
