"""Undo an executed action through its adapter's rollback(): which ones may be, and how."""

from __future__ import annotations

from datetime import timedelta

from bot.actions import jobs
from bot.actions import service as actions
from bot.actions.common import log_action, refresh_cards, request_of, tell_channel
from bot.actions.states import ActionState
from bot.domain.events import EventKind
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.ports.remediation import ExecutionResult, Remediator, VerificationResult, VerifyStatus
from bot.runtime import Runtime
from bot.store.models import ActionRow
from policies.catalog import ActionEffect, catalog_action
from policies.policy import Policy

S = ActionState
# Executed, and its change is still in place to be taken back.
UNDOABLE_STATES = frozenset({S.SUCCEEDED, S.VERIFIED, S.UNVERIFIED})


def undo_refusal(row: ActionRow, policy: Policy) -> str | None:
    """Why `row` cannot be undone, or None when it can."""
    entry = catalog_action(row.action)
    spec = policy.action(row.action)
    if row.undo_of is not None:
        return "it is itself an undo"
    if entry is None or spec is None or entry.effect is not ActionEffect.REMEDIATION:
        return f"`{row.action}` changes nothing that could be taken back"
    if not spec.reversible:
        return f"the policy marks `{row.action}` as not reversible"
    if row.state not in UNDOABLE_STATES:
        return f"it is {row.state.replace('_', ' ')}, not executed"
    return None


def result_of(row: ActionRow) -> ExecutionResult:
    return ExecutionResult(
        summary=str(row.result.get("summary", "")), details=dict(row.result.get("details", {}))
    )


async def original_of(rt: Runtime, row: ActionRow) -> ActionRow:
    assert row.undo_of is not None
    async with rt.sessions() as session:
        original = await actions.get(session, row.undo_of)
    if original is None:
        raise AdapterError("unknown_action", f"action #{row.undo_of} is gone", retryable=False)
    return original


async def run_once(rt: Runtime, remediator: Remediator, row: ActionRow) -> ExecutionResult:
    """One adapter call: the action itself, or the rollback of the action it undoes."""
    if row.undo_of is None:
        return await remediator.execute(request_of(row))
    original = await original_of(rt, row)
    # The original's request and result: the adapter reverses exactly what it did.
    return await remediator.rollback(request_of(original), result_of(original))


async def undo_plan(rt: Runtime, row: ActionRow) -> str:
    """The dry run of an undo: what was done, and that it is reversed by its adapter."""
    original = await original_of(rt, row)
    done = str(original.result.get("summary", "")) or f"{original.action} on {original.target}"
    remediator = rt.adapters.remediator_for(row.action)
    via = remediator.name if remediator is not None else "no configured adapter"
    return f"Reverse action #{original.id} ({done[:400]}) through {via}'s rollback."


async def verify_undo(rt: Runtime, job: Job, row: ActionRow, check: VerificationResult) -> None:
    """An undo is verified by its adapter alone: the alert is not what it answers to."""
    now = rt.clock()
    assert row.id is not None
    if check.status is VerifyStatus.PROGRESSING and (
        row.verify_until is None or now < row.verify_until
    ):
        async with rt.sessions() as session, session.begin():
            await outbox.enqueue(
                session,
                kind=jobs.VERIFY,
                correlation_id=job.correlation_id,
                now=now,
                payload=job.payload,
                not_before=now + timedelta(seconds=rt.settings.verify_poll_seconds),
            )
        return
    good = check.status in (VerifyStatus.HEALTHY, VerifyStatus.UNKNOWN)
    target, kind = (
        (S.VERIFIED, EventKind.ACTION_VERIFIED)
        if good
        else (
            S.UNVERIFIED,
            EventKind.ACTION_UNVERIFIED,
        )
    )
    async with rt.sessions() as session, session.begin():
        if not await actions.move(session, row.id, S.SUCCEEDED, target, verified_at=now):
            return
        words = "verified" if good else "not verified"
        log_action(
            session,
            row,
            kind,
            f"Undo of #{row.undo_of} ({row.action} on {row.target}) {words}: {check.summary}",
            correlation_id=job.correlation_id,
            at=now,
            outcome="undone" if good else "undo_not_confirmed",
            check=check.status.value,
            undo_of=row.undo_of,
        )
        icon = "↩️" if good else "⚠️"
        await tell_channel(
            session,
            row.incident_id,
            f"{icon} Undo of action #{row.undo_of} (`{row.action}` on `{row.target}`) {words}:"
            f" {check.summary[:300]}",
            job.correlation_id,
            now,
        )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()
