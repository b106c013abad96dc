"""Verify after act: the signal recovers and the adapter agrees, or humans take over."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from bot.actions import jobs
from bot.actions import service as actions
from bot.actions.common import log_action, refresh_cards, request_of
from bot.actions.give_up import Outcome, give_up
from bot.actions.states import ActionState
from bot.actions.undo import verify_undo
from bot.domain.events import EventKind
from bot.domain.lifecycle import IncidentStatus, LifecycleAction
from bot.eventlog import service as eventlog
from bot.incidents import service as incidents
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.ports.remediation import ExecutionResult, VerificationResult, VerifyStatus
from bot.runtime import Runtime
from bot.store.models import ActionRow

log = logging.getLogger(__name__)

S = ActionState


async def verify_job(rt: Runtime, job: Job) -> None:
    """One look at a succeeded action; queues the next look until the window closes."""
    action_id = int(job.payload["action_id"])
    async with rt.sessions() as session:
        row = await actions.get(session, action_id)
        if row is None or row.state != S.SUCCEEDED.value:
            return
        incident = await incidents.get(session, row.incident_id)
    if incident is None:
        return
    check = await _adapter_check(rt, row)
    if row.undo_of is not None:
        await verify_undo(rt, job, row, check)
        return
    now = rt.clock()
    recovered = incident.signal_resolved
    if check.status is VerifyStatus.FAILED:
        await _unverified(rt, job, row, f"the adapter reports failure: {check.summary}")
    elif recovered and check.status in (VerifyStatus.HEALTHY, VerifyStatus.UNKNOWN):
        await _verified(rt, job, row, check)
    elif row.verify_until is not None and now >= row.verify_until:
        why = (
            "the alert did not recover within the verification window"
            if not recovered
            else f"the adapter could not confirm the change ({check.summary})"
        )
        await _unverified(rt, job, row, why)
    else:
        async with rt.sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                kind=jobs.VERIFY,
                correlation_id=job.correlation_id,
                now=now,
                payload=job.payload,
                not_before=now + timedelta(seconds=rt.settings.verify_poll_seconds),
            )


async def _adapter_check(rt: Runtime, row: ActionRow) -> VerificationResult:
    remediator = rt.adapters.remediator_for(row.action)
    if remediator is None:
        return VerificationResult(VerifyStatus.UNKNOWN, "no adapter to ask")
    result = ExecutionResult(
        summary=str(row.result.get("summary", "")), details=dict(row.result.get("details", {}))
    )
    try:
        return await asyncio.wait_for(
            remediator.verify(request_of(row), result),
            timeout=rt.settings.action_timeout_seconds,
        )
    except TimeoutError:
        return VerificationResult(VerifyStatus.UNKNOWN, "the adapter's check timed out")
    except AdapterError as exc:
        return VerificationResult(VerifyStatus.UNKNOWN, f"the adapter's check failed: {exc.code}")


async def _verified(rt: Runtime, job: Job, row: ActionRow, check: VerificationResult) -> None:
    now = rt.clock()
    assert row.id is not None
    async with rt.sessions() as session, session.begin():
        if not await actions.move(session, row.id, S.SUCCEEDED, S.VERIFIED, verified_at=now):
            return
        log_action(
            session,
            row,
            EventKind.ACTION_VERIFIED,
            f"{row.action} on {row.target} verified: the alert recovered ({check.summary})",
            correlation_id=job.correlation_id,
            at=now,
            outcome="recovered",
            check=check.status.value,
        )
        incident = await incidents.get(session, row.incident_id)
        if incident is not None and incident.status in (
            IncidentStatus.TRIGGERED.value,
            IncidentStatus.ACKNOWLEDGED.value,
        ):
            old, new = await incidents.transition(
                session, row.incident_id, LifecycleAction.MITIGATE, now
            )
            eventlog.record(
                session,
                kind=EventKind.INCIDENT_TRANSITIONED,
                summary=f"Mitigated: {row.action} worked and the alert recovered",
                actor="smokejumper",
                correlation_id=job.correlation_id,
                at=now,
                incident_id=row.incident_id,
                data={"from": old.value, "to": new.value, "action": "mitigate"},
            )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()


async def _unverified(rt: Runtime, job: Job, row: ActionRow, why: str) -> None:
    outcome = Outcome(
        source=S.SUCCEEDED,
        target=S.UNVERIFIED,
        event=EventKind.ACTION_UNVERIFIED,
        what=f"not verified: {why}",
        reason=f"did not fix it: {why}",
        stamped="verified_at",
        facts={"outcome": "not_recovered"},
    )
    await give_up(rt, job, row, outcome)


async def verify_soon(rt: Runtime, incident_id: int, correlation_id: str) -> None:
    """The incident's alert recovered: look at its succeeded actions now, not at the next poll."""
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        for row in await actions.of_incident(session, incident_id):
            if row.state == S.SUCCEEDED.value:
                await outbox.enqueue(
                    session,
                    kind=jobs.VERIFY,
                    correlation_id=correlation_id,
                    now=now,
                    payload={"action_id": row.id, "incident_id": incident_id},
                )
    rt.wake_outbox()
