"""Shared steps of the action flows: requests, event entries, card refreshes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.chat.audit import digest
from bot.domain.events import EventKind
from bot.domain.subject import Subject
from bot.eventlog import service as eventlog
from bot.incidents import jobs as incident_jobs
from bot.outbox import service as outbox
from bot.ports.remediation import ActionRequest
from bot.store.models import ActionRow
from bot.tickets.requests import request_sync
from bot.triage import jobs as triage_jobs

BOT_ACTOR = "smokejumper"
# Who decided an action the policy let run by itself.
POLICY_ACTOR = "policy"


def request_of(row: ActionRow) -> ActionRequest:
    assert row.id is not None
    return ActionRequest(
        action=row.action,
        service=row.service,
        environment=row.environment,
        params=dict(row.params),
        idempotency_key=row.idempotency_key,
        incident_id=str(row.incident_id),
        subject=Subject.model_validate(row.subject) if row.subject else None,
    )


def audit(row: ActionRow, **extra: Any) -> dict[str, Any]:
    """The audit fields every action entry carries."""
    return {
        "action_id": row.id,
        "action": row.action,
        "target": row.target,
        "params": dict(row.params),
        "params_hash": row.params_hash,
        "approvers": list(row.approvers),
        "adapter": row.adapter,
        "idempotency_key": row.idempotency_key,
        "policy_version": row.policy_version,
        "decision": row.decision,
        **extra,
    }


def log_action(
    session: AsyncSession,
    row: ActionRow,
    kind: EventKind,
    summary: str,
    *,
    correlation_id: str,
    at: datetime,
    actor: str = BOT_ACTOR,
    **extra: Any,
) -> None:
    eventlog.record(
        session,
        kind=kind,
        summary=summary,
        actor=actor,
        correlation_id=correlation_id,
        at=at,
        incident_id=row.incident_id,
        data={**audit(row, **extra), **step_hashes(row, kind, extra)},
    )


# Timings differ run to run; they are not part of what a step produced.
_UNHASHED = frozenset({"duration_ms", "attempts"})


def step_hashes(row: ActionRow, kind: EventKind, extra: dict[str, Any]) -> dict[str, str]:
    """The executor's step in the audit: what it was asked to do and what came of it."""
    asked = {
        "action": row.action,
        "target": row.target,
        "params": dict(row.params),
        "params_hash": row.params_hash,
        "idempotency_key": row.idempotency_key,
    }
    came = {"kind": kind.value, **{k: v for k, v in extra.items() if k not in _UNHASHED}}
    return {"input_sha256": digest(asked), "output_sha256": digest(came)}


async def refresh_cards(
    session: AsyncSession, incident_id: int, correlation_id: str, now: datetime
) -> None:
    """Queue edits of the triage card and the incident card, coalescing with waiting ones.

    Whatever changed the cards also wrote to the event log, so the ticket is synced too.
    """
    await request_sync(session, incident_id, correlation_id, now)
    for kind in (triage_jobs.REFRESH_TRIAGE_CARD, incident_jobs.REFRESH_CARD):
        await outbox.enqueue(
            session,
            kind=kind,
            incident_id=incident_id,
            correlation_id=correlation_id,
            now=now,
            coalesce=True,
        )


async def tell_channel(
    session: AsyncSession, incident_id: int, text: str, correlation_id: str, now: datetime
) -> None:
    await outbox.enqueue(
        session,
        kind=incident_jobs.POST_NOTE,
        incident_id=incident_id,
        correlation_id=correlation_id,
        now=now,
        payload={"text": text},
    )
