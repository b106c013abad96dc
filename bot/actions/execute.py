"""Run an approved action exactly once through its adapter, with bounded retries."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import jobs
from bot.actions import service as actions
from bot.actions.common import POLICY_ACTOR, log_action, refresh_cards, tell_channel
from bot.actions.give_up import Outcome, give_up
from bot.actions.human import HUMAN_ACTIONS, run_human_action
from bot.actions.recheck import recheck_autonomous
from bot.actions.recovery import interrupted_after, mark_interrupted
from bot.actions.retry_stage import with_retries
from bot.actions.states import ActionState
from bot.actions.undo import run_once
from bot.diagnostics.flows import DIAGNOSTICS
from bot.diagnostics.flows import queue_post as queue_diagnostics_post
from bot.domain.events import EventKind
from bot.outbox import service as outbox
from bot.outbox.service import Job
from bot.ports.adapters import AdapterError
from bot.ports.remediation import ExecutionResult, Remediator
from bot.runtime import Runtime
from bot.store.models import ActionRow
from policies.catalog import ActionEffect, catalog_action

log = logging.getLogger(__name__)

S = ActionState


async def execute_job(rt: Runtime, job: Job) -> None:
    """Claim the action (approved → executing) and run it; anyone else finds it claimed."""
    action_id = int(job.payload["action_id"])
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        row = await actions.get(session, action_id)
        if row is None:
            return
        if row.state == S.EXECUTING.value:
            await _maybe_interrupted(rt, session, row, job, now)
            return
        if row.state != S.APPROVED.value:
            return
        if row.decided_by == POLICY_ACTOR and await _hold_autonomous(rt, session, row, job, now):
            return
        remediator = rt.adapters.remediator_for(row.action)
        adapter_name = remediator.name if remediator is not None else None
        if not await actions.move(
            session,
            action_id,
            S.APPROVED,
            S.EXECUTING,
            version=row.version,
            started_at=now,
            adapter=adapter_name,
        ):
            return
        row.adapter = adapter_name
        log_action(
            session,
            row,
            EventKind.ACTION_EXECUTING,
            f"Running {row.action} on {row.target}",
            correlation_id=job.correlation_id,
            at=now,
        )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()

    if row.action in HUMAN_ACTIONS:
        await _human(rt, job, row)
        return
    started = time.perf_counter()
    try:
        if remediator is None:
            raise AdapterError(
                "no_adapter", f"no adapter is configured for {row.action}", retryable=False
            )
        result, attempts = await _run_with_retries(rt, remediator, row)
    except AdapterError as exc:
        await _failed(rt, job, row, exc, _ms(started))
        return
    await _succeeded(rt, job, row, result, attempts, _ms(started))


async def _hold_autonomous(
    rt: Runtime, session: AsyncSession, row: ActionRow, job: Job, now: datetime
) -> bool:
    """Right before the adapter call, decide again with today's facts (freeze, policy
    version, mode, budgets, breaker, outcome memory); a run the world no longer allows
    waits for a person, and the channel is told why. True when it was held back."""
    refusal = await recheck_autonomous(rt, session, row, now)
    if refusal is None:
        return False
    why = refusal.message
    assert row.id is not None
    if await actions.move(
        session,
        row.id,
        S.APPROVED,
        S.AWAITING_APPROVAL,
        version=row.version,
        decided_by=None,
        decided_at=None,
        approvals_needed=max(row.approvals_needed, 1),
    ):
        log_action(
            session,
            row,
            EventKind.ACTION_DECIDED,
            f"{row.action} on {row.target} will not run by itself: {why}; it needs approval",
            correlation_id=job.correlation_id,
            at=now,
            held_because=why,
            refusal=refusal.code.value,
        )
        await tell_channel(
            session,
            row.incident_id,
            f"✋ `{row.action}` on `{row.target}` was about to run by itself, but {why[:300]}"
            " It now waits for approval on the triage card.",
            job.correlation_id,
            now,
        )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    return True


async def _human(rt: Runtime, job: Job, row: ActionRow) -> None:
    """Paging, tickets and escalation are queued work of their own; nothing to verify here."""
    now = rt.clock()
    assert row.id is not None
    async with rt.sessions() as session, session.begin():
        summary = await run_human_action(rt, session, row, job.correlation_id)
        stored = {"summary": summary, "details": {}}
        await actions.move(
            session, row.id, S.EXECUTING, S.SUCCEEDED, finished_at=now, result=stored, attempts=1
        )
        await actions.move(session, row.id, S.SUCCEEDED, S.VERIFIED, verified_at=now)
        log_action(
            session,
            row,
            EventKind.ACTION_SUCCEEDED,
            f"{row.action}: {summary}",
            correlation_id=job.correlation_id,
            at=now,
            result=stored,
            attempts=1,
            duration_ms=0.0,
        )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()


async def _run_with_retries(
    rt: Runtime, remediator: Remediator, row: ActionRow
) -> tuple[ExecutionResult, int]:
    """Retry only what the adapter says may succeed later; stop at the policy's limit."""
    return await with_retries(
        rt,
        remediator.name,
        lambda: run_once(rt, remediator, row),
        on_breaker_opened=lambda: _breaker_opened(rt, row, remediator.name),
    )


async def _succeeded(
    rt: Runtime, job: Job, row: ActionRow, result: ExecutionResult, attempts: int, ms: float
) -> None:
    now = rt.clock()
    window = timedelta(minutes=rt.policy.rules.limits.verification_window_minutes)
    stored = {"summary": result.summary, "details": dict(result.details)}
    async with rt.sessions() as session, session.begin():
        assert row.id is not None
        await actions.move(
            session,
            row.id,
            S.EXECUTING,
            S.SUCCEEDED,
            finished_at=now,
            result=stored,
            attempts=attempts,
            verify_until=now + window,
        )
        log_action(
            session,
            row,
            EventKind.ACTION_SUCCEEDED,
            f"{row.action} on {row.target} done: {result.summary[:300]}",
            correlation_id=job.correlation_id,
            at=now,
            result=stored,
            attempts=attempts,
            duration_ms=round(ms, 1),
        )
        if _read_only(row.action):
            # Nothing changed, so there is nothing to watch recover.
            await actions.move(session, row.id, S.SUCCEEDED, S.VERIFIED, verified_at=now)
            if row.action == DIAGNOSTICS:
                await queue_diagnostics_post(session, row, job.correlation_id, now)
        else:
            await outbox.enqueue(
                session,
                kind=jobs.VERIFY,
                correlation_id=job.correlation_id,
                now=now,
                payload={"action_id": row.id, "incident_id": row.incident_id},
                not_before=now + timedelta(seconds=rt.settings.verify_poll_seconds),
            )
        await refresh_cards(session, row.incident_id, job.correlation_id, now)
    rt.wake_outbox()


async def _failed(rt: Runtime, job: Job, row: ActionRow, error: AdapterError, ms: float) -> None:
    outcome = Outcome(
        source=S.EXECUTING,
        target=S.FAILED,
        event=EventKind.ACTION_FAILED,
        what=f"failed ({error.code}): {error.message[:300]}",
        reason=f"failed: {error.message[:300]}",
        stamped="finished_at",
        columns={"error_code": error.code, "error": error.message[:1000]},
        facts={"error_code": error.code, "retryable": error.retryable, "duration_ms": round(ms, 1)},
    )
    await give_up(rt, job, row, outcome)


async def _breaker_opened(rt: Runtime, row: ActionRow, adapter: str) -> None:
    now = rt.clock()
    async with rt.sessions() as session, session.begin():
        await tell_channel(
            session,
            row.incident_id,
            f"⚡ {adapter} keeps failing: smokejumper stops calling it for "
            f"{int(rt.breakers.cool_down.total_seconds() // 60)} minutes. "
            "Actions that need it go to humans.",
            correlation_id=f"breaker-{adapter}",
            now=now,
        )


async def _maybe_interrupted(
    rt: Runtime, session: AsyncSession, row: ActionRow, job: Job, now: datetime
) -> None:
    """An action still "executing" long after any run could last was cut short by a crash."""
    if row.started_at is None or now - row.started_at < interrupted_after(rt):
        # Perhaps still running elsewhere; look again once no run could still be going.
        raise AdapterError("still_executing", "the action is still running", retryable=True)
    await mark_interrupted(rt, session, row, job.correlation_id, now)


def _read_only(action: str) -> bool:
    entry = catalog_action(action)
    return entry is not None and entry.effect is ActionEffect.READ_ONLY


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
